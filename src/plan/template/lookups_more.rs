//! More of ansible.builtin's lookups, each a function of the terms and options as in
//! `lookups.rs`: fileglob, first_found, lines, random_choice, together, nested, dict,
//! indexed_items, flattened, varnames, csvfile, ini.

use super::filters::{err, plain_string};
use super::lookups::{find, variables};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, State};
use std::path::{Path, PathBuf};

/// A shell-style glob (`*`, `?`, `[..]`) as an anchored regex.
fn glob_regex(pattern: &str) -> Result<regex::Regex, Error> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    if d == '\\' || d == '^' {
                        re.push('\\');
                    }
                    re.push(d);
                }
                re.push(']');
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| err(format!("bad glob {pattern}: {e}")))
}

/// `fileglob`: the files (not directories) matching each pattern; a relative pattern is
/// searched in the role's and the playbook's `files/` as the `file` lookup searches.
pub fn fileglob(state: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for pattern in args.iter().map(plain_string) {
        let pattern = pattern?;
        let p = Path::new(&pattern);
        let (dir, name) = (
            p.parent().map(Path::to_path_buf).unwrap_or_default(),
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let dirs: Vec<PathBuf> = if dir.is_absolute() {
            vec![dir]
        } else {
            let mut v = Vec::new();
            for base in ["role_path", "playbook_dir"] {
                if let Some(b) = state
                    .lookup(base)
                    .and_then(|v| v.as_str().map(PathBuf::from))
                {
                    v.push(b.join("files").join(&dir));
                    v.push(b.join(&dir));
                }
            }
            v.push(dir);
            v
        };
        let re = glob_regex(&name)?;
        // The first directory with matches wins (as Ansible's search path).
        for d in dirs {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut found: Vec<String> = rd
                .flatten()
                .filter(|e| e.path().is_file())
                .filter(|e| re.is_match(&e.file_name().to_string_lossy()))
                .map(|e| {
                    std::path::absolute(e.path())
                        .unwrap_or(e.path())
                        .display()
                        .to_string()
                })
                .collect();
            if !found.is_empty() {
                found.sort();
                out.extend(found.into_iter().map(Value::from));
                break;
            }
        }
    }
    Ok(out)
}

/// `first_found`: the first of the terms (names, lists of names, or `{files, paths,
/// skip}`) that exists; an error when none does, unless `skip`.
pub fn first_found(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut files: Vec<String> = Vec::new();
    let mut paths: Vec<String> = kwargs
        .get::<Option<Vec<String>>>("paths")?
        .unwrap_or_default();
    let mut skip = kwargs.get::<Option<bool>>("skip")?.unwrap_or(false);
    if let Some(f) = kwargs.get::<Option<Vec<String>>>("files")? {
        files.extend(f);
    }
    fn names(v: &Value, out: &mut Vec<String>) -> Result<(), Error> {
        match v.kind() {
            ValueKind::Seq => {
                for x in v.try_iter()? {
                    names(&x, out)?;
                }
            }
            // Comma/semicolon separated, as Ansible splits a string term.
            _ => out.extend(
                plain_string(v)?
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
        }
        Ok(())
    }
    for a in args {
        if a.kind() == ValueKind::Map {
            if let Ok(f) = a.get_attr("files")
                && !f.is_undefined()
            {
                names(&f, &mut files)?;
            }
            if let Ok(p) = a.get_attr("paths")
                && !p.is_undefined()
            {
                names(&p, &mut paths)?;
            }
            if let Ok(s) = a.get_attr("skip")
                && !s.is_undefined()
            {
                skip = s.is_true();
            }
        } else {
            names(a, &mut files)?;
        }
    }
    for f in &files {
        let candidates: Vec<String> = if paths.is_empty() || Path::new(f).is_absolute() {
            vec![f.clone()]
        } else {
            paths
                .iter()
                .map(|p| Path::new(p).join(f).display().to_string())
                .collect()
        };
        for c in candidates {
            if let Ok(p) = find(state, "files", &c)
                && p.exists()
            {
                return Ok(vec![Value::from(
                    std::path::absolute(&p).unwrap_or(p).display().to_string(),
                )]);
            }
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(err(format!(
        "No file was found when using first_found (searched {})",
        files.join(", ")
    )))
}

/// `lines`: each line a command prints (run on the controller with sh).
pub fn lines(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for cmd in args.iter().map(plain_string) {
        let cmd = cmd?;
        let o = std::process::Command::new("/bin/sh")
            .args(["-c", &cmd])
            .output()
            .map_err(|e| err(format!("lines: cannot run {cmd}: {e}")))?;
        if !o.status.success() {
            return Err(err(format!(
                "lookup_plugin.lines(a command) returned {}",
                o.status.code().unwrap_or(-1)
            )));
        }
        out.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| Value::from(l.to_string())),
        );
    }
    Ok(out)
}

fn lists(args: &[Value]) -> Result<Vec<Vec<Value>>, Error> {
    args.iter()
        .map(|a| match a.kind() {
            ValueKind::Seq => Ok(a.try_iter()?.collect()),
            _ => Ok(vec![a.clone()]),
        })
        .collect()
}

/// `random_choice`: one of the terms.
pub fn random_choice(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0);
    Ok(vec![
        args[(nanos ^ std::process::id() as usize) % args.len()].clone(),
    ])
}

/// `together`: the lists side by side (missing places are None), as with_together.
pub fn together(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let ls = lists(args)?;
    let n = ls.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..n)
        .map(|i| {
            Value::from(
                ls.iter()
                    .map(|l| l.get(i).cloned().unwrap_or(Value::from(())))
                    .collect::<Vec<_>>(),
            )
        })
        .collect())
}

/// `nested`: every combination of the lists, first list outermost.
pub fn nested(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let ls = lists(args)?;
    if ls.is_empty() {
        return Ok(Vec::new());
    }
    let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
    for l in ls {
        acc = acc
            .into_iter()
            .flat_map(|prefix| {
                l.iter().map(move |x| {
                    let mut p = prefix.clone();
                    p.push(x.clone());
                    p
                })
            })
            .collect();
    }
    Ok(acc.into_iter().map(Value::from).collect())
}

/// `dict`: each key and value of a mapping as `{key, value}`.
pub fn dict(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for a in args {
        if a.kind() != ValueKind::Map {
            return Err(err("with_dict expects a dict"));
        }
        for k in a.try_iter()? {
            let v = a.get_item(&k)?;
            out.push(Value::from_pairs(vec![("key", k), ("value", v)]));
        }
    }
    Ok(out)
}

/// `indexed_items`: `[index, item]` pairs.
pub fn indexed_items(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let items: Vec<Value> = lists(args)?.into_iter().flatten().collect();
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| super::collections::tuple(vec![Value::from(i), v]))
        .collect())
}

/// `flattened`: every list nested in the terms, flattened.
pub fn flattened(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    fn flat(v: &Value, out: &mut Vec<Value>) -> Result<(), Error> {
        if v.kind() == ValueKind::Seq {
            for x in v.try_iter()? {
                flat(&x, out)?;
            }
        } else {
            out.push(v.clone());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for a in args {
        flat(a, &mut out)?;
    }
    Ok(out)
}

/// `varnames`: the names of the variables matching each regular expression.
pub fn varnames(state: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let vars = variables(state);
    let mut names: Vec<String> = vars
        .try_iter()?
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in args.iter().map(plain_string) {
        let p = p?;
        let re = regex::Regex::new(&p).map_err(|e| err(format!("varnames: {p}: {e}")))?;
        out.extend(
            names
                .iter()
                .filter(|n| re.find(n).is_some_and(|m| m.start() == 0))
                .map(|n| Value::from(n.clone())),
        );
    }
    Ok(out)
}

/// The `key opt=value ...` form of csvfile and ini terms.
fn term_options(term: &str) -> (String, std::collections::HashMap<String, String>) {
    let mut words = term.split_whitespace();
    let key = words.next().unwrap_or_default().to_string();
    let opts = words
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (key, opts)
}

fn option(
    opts: &std::collections::HashMap<String, String>,
    kwargs: &Kwargs,
    name: &str,
    default: &str,
) -> Result<String, Error> {
    if let Some(v) = opts.get(name) {
        return Ok(v.clone());
    }
    Ok(kwargs
        .get::<Option<Value>>(name)?
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .unwrap_or_else(|| default.to_string()))
}

/// `csvfile`: the `col` column of the row whose first column is the key.
pub fn csvfile(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for t in args.iter().map(plain_string) {
        let (key, opts) = term_options(&t?);
        let file = option(&opts, kwargs, "file", "ansible.csv")?;
        let delim = option(&opts, kwargs, "delimiter", ",")?;
        let delim = if delim == "TAB" || delim == "\\t" {
            "\t".to_string()
        } else {
            delim
        };
        let col: usize = option(&opts, kwargs, "col", "1")?
            .parse()
            .map_err(|_| err("csvfile: col must be a number"))?;
        let default = option(&opts, kwargs, "default", "")?;
        let text = std::fs::read_to_string(find(state, "files", &file)?)
            .map_err(|e| err(format!("csvfile: {file}: {e}")))?;
        let found = text.lines().find_map(|l| {
            let cells: Vec<&str> = l
                .split(delim.as_str())
                .map(|c| c.trim_matches('"'))
                .collect();
            (cells.first() == Some(&key.as_str())).then(|| cells.get(col).map(|c| c.to_string()))
        });
        out.push(Value::from(found.flatten().unwrap_or(default)));
    }
    Ok(out)
}

/// `ini`: a key of a section of an INI file (or of a .properties file with type=properties).
pub fn ini(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for t in args.iter().map(plain_string) {
        let (key, opts) = term_options(&t?);
        let kind = option(&opts, kwargs, "type", "ini")?;
        let file = option(
            &opts,
            kwargs,
            "file",
            if kind == "properties" {
                "ansible.properties"
            } else {
                "ansible.ini"
            },
        )?;
        let section = option(&opts, kwargs, "section", "global")?;
        let default = option(&opts, kwargs, "default", "")?;
        let text = std::fs::read_to_string(find(state, "files", &file)?)
            .map_err(|e| err(format!("ini: {file}: {e}")))?;
        let mut current = if kind == "properties" {
            section.clone()
        } else {
            String::new()
        };
        let mut found = None;
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                continue;
            }
            if kind != "properties" && l.starts_with('[') && l.ends_with(']') {
                current = l[1..l.len() - 1].trim().to_string();
                continue;
            }
            if current != section {
                continue;
            }
            if let Some((k, v)) = l.split_once(['=', ':'])
                && k.trim() == key
            {
                found = Some(v.trim().to_string());
            }
        }
        out.push(Value::from(found.unwrap_or(default)));
    }
    Ok(out)
}
