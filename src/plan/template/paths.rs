//! Ansible's path filters, as Python's posixpath computes them (on the controller).

use super::collections::list_of;
use super::filters::{err, plain_string};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("basename", |v: &Value| -> Result<String, Error> {
        Ok(basename(&plain_string(v)?).to_string())
    });
    env.add_filter("dirname", |v: &Value| -> Result<String, Error> {
        Ok(dirname(&plain_string(v)?))
    });
    env.add_filter("expanduser", |v: &Value| -> Result<String, Error> {
        Ok(expanduser(&plain_string(v)?))
    });
    env.add_filter("expandvars", |v: &Value| -> Result<String, Error> {
        Ok(expandvars(&plain_string(v)?))
    });
    env.add_filter("normpath", |v: &Value| -> Result<String, Error> {
        Ok(normpath(&plain_string(v)?))
    });
    env.add_filter("realpath", |v: &Value| -> Result<String, Error> {
        Ok(realpath(&plain_string(v)?))
    });
    env.add_filter("relpath", |v: &Value, start: Option<String>| {
        relpath(&plain_string(v)?, start.as_deref())
    });
    env.add_filter("splitext", |v: &Value| {
        let (root, ext) = splitext(&plain_string(v)?);
        Ok::<_, Error>(super::collections::tuple(vec![
            Value::from(root),
            Value::from(ext),
        ]))
    });
    env.add_filter("path_join", path_join);
    env.add_filter("commonpath", commonpath);
}

pub fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or_default()
}

/// posixpath.dirname: the head, trailing slashes stripped unless it is all slashes.
pub fn dirname(p: &str) -> String {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let head = &p[..i];
    if !head.is_empty() && head.bytes().any(|b| b != b'/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

/// posixpath.splitext: the extension is the last dot of the name, leading dots aside.
pub fn splitext(p: &str) -> (String, String) {
    let name_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    if let Some(dot) = p.rfind('.').filter(|&d| d > name_start)
        && p[name_start..dot].bytes().any(|b| b != b'.')
    {
        return (p[..dot].to_string(), p[dot..].to_string());
    }
    (p.to_string(), String::new())
}

/// A user's home directory from the password database.
fn home_of(user: &str) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 5 && f[0] == user).then(|| f[5].to_string())
    })
}

pub fn expanduser(p: &str) -> String {
    let Some(rest) = p.strip_prefix('~') else {
        return p.to_string();
    };
    let (user, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let home = if user.is_empty() {
        std::env::var("HOME")
            .ok()
            .or_else(|| std::env::var("USER").ok().and_then(|u| home_of(&u)))
    } else {
        home_of(user)
    };
    match home {
        Some(h) => {
            let h = h.trim_end_matches('/');
            format!("{}{tail}", if h.is_empty() { "/" } else { h })
        }
        None => p.to_string(),
    }
}

/// posixpath.expandvars: `$NAME` and `${NAME}` from the controller's environment;
/// unknown variables stay as written.
pub fn expandvars(p: &str) -> String {
    static VAR: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\$(\w+|\{[^}]*\})").expect("static regex"));
    VAR.replace_all(p, |c: &regex::Captures| {
        let name = c[1].trim_start_matches('{').trim_end_matches('}');
        std::env::var(name).unwrap_or_else(|_| c[0].to_string())
    })
    .into_owned()
}

/// posixpath.normpath: `.` and `..` resolved, repeated slashes collapsed.
pub fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let initial = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." if initial == 0 && parts.last().is_none_or(|l| *l == "..") => parts.push(".."),
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let out = format!("{}{}", "/".repeat(initial), parts.join("/"));
    if out.is_empty() { ".".into() } else { out }
}

fn abspath(p: &str) -> String {
    if p.starts_with('/') {
        return normpath(p);
    }
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "/".into());
    normpath(&format!("{cwd}/{p}"))
}

/// os.path.realpath: symlinks resolved as far as the path exists.
pub fn realpath(p: &str) -> String {
    let abs = abspath(p);
    let mut existing = abs.as_str();
    let mut rest: Vec<&str> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real.display().to_string();
            for r in rest.iter().rev() {
                if !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(r);
            }
            return out;
        }
        match existing.rsplit_once('/') {
            Some((head, tail)) => {
                rest.push(tail);
                existing = if head.is_empty() { "/" } else { head };
            }
            None => return abs,
        }
    }
}

/// os.path.relpath(path, start=cwd).
pub fn relpath(p: &str, start: Option<&str>) -> Result<String, Error> {
    if p.is_empty() {
        return Err(err("relpath: no path specified"));
    }
    let path = abspath(p);
    let start = abspath(start.unwrap_or("."));
    let split = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (split(&start), split(&path));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(b[common..].iter().cloned());
    Ok(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// posixpath.join: an absolute part starts over.
pub fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if p.starts_with('/') || i == 0 {
            out = p.clone();
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(p);
        } else {
            out.push('/');
            out.push_str(p);
        }
    }
    out
}

fn path_join(v: &Value) -> Result<String, Error> {
    match v.kind() {
        ValueKind::String => plain_string(v),
        ValueKind::Seq | ValueKind::Iterable => Ok(join(
            &list_of(v)?
                .iter()
                .map(plain_string)
                .collect::<Result<Vec<_>, _>>()?,
        )),
        _ => Err(err(format!(
            "|path_join expects string or sequence, got {} instead.",
            v.kind()
        ))),
    }
}

/// os.path.commonpath.
fn commonpath(v: &Value) -> Result<String, Error> {
    let paths: Vec<String> = list_of(v)?
        .iter()
        .map(plain_string)
        .collect::<Result<_, _>>()?;
    let Some(first) = paths.first() else {
        return Err(err("commonpath() arg is an empty sequence"));
    };
    let absolute = first.starts_with('/');
    if paths.iter().any(|p| p.starts_with('/') != absolute) {
        return Err(err("Can't mix absolute and relative paths"));
    }
    let split: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| {
            p.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect()
        })
        .collect();
    let mut common: Vec<&str> = split[0].clone();
    for s in &split[1..] {
        let n = common.iter().zip(s).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    Ok(format!(
        "{}{}",
        if absolute { "/" } else { "" },
        common.join("/")
    ))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn r(t: &str) -> serde_json::Value {
        Templar::new()
            .render_native(t, &to_jinja(&json!({})))
            .unwrap_or_else(|e| panic!("{t}: {}", e.message))
    }

    #[test]
    fn like_posixpath() {
        let home = std::env::var("HOME").unwrap_or_default();
        for (t, want) in [
            ("{{ '/a/b/c.txt' | basename }}", json!("c.txt")),
            ("{{ '/a/b/' | basename }}", json!("")),
            ("{{ '/a/b/c.txt' | dirname }}", json!("/a/b")),
            ("{{ '/a//b' | dirname }}", json!("/a")),
            ("{{ '/a' | dirname }}", json!("/")),
            ("{{ 'a' | dirname }}", json!("")),
            ("{{ 'a/b.tar.gz' | splitext }}", json!(["a/b.tar", ".gz"])),
            ("{{ '.bashrc' | splitext }}", json!([".bashrc", ""])),
            ("{{ 'a.d/b' | splitext }}", json!(["a.d/b", ""])),
            (
                "{{ ['/etc', 'x', 'y.conf'] | path_join }}",
                json!("/etc/x/y.conf"),
            ),
            ("{{ ['a', '/abs', 'b'] | path_join }}", json!("/abs/b")),
            ("{{ ['a/', 'b'] | path_join }}", json!("a/b")),
            ("{{ '/a/./b/../c//d/' | normpath }}", json!("/a/c/d")),
            ("{{ '../x/..' | normpath }}", json!("..")),
            ("{{ '/a/b/c' | relpath('/a/x') }}", json!("../b/c")),
            ("{{ '/a' | relpath('/a') }}", json!(".")),
            (
                "{{ '/nonexistent-hotplay/x/../y' | realpath }}",
                json!("/nonexistent-hotplay/y"),
            ),
            (
                "{{ ['/a/b/c', '/a/b/d', '/a/bc'] | commonpath }}",
                json!("/a"),
            ),
            ("{{ '~root/x' | expanduser }}", json!("/root/x")),
            ("{{ 'nochange/~' | expanduser }}", json!("nochange/~")),
            (
                "{{ '$HOTPLAY_SURELY_UNSET/x' | expandvars }}",
                json!("$HOTPLAY_SURELY_UNSET/x"),
            ),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
        assert_eq!(r("{{ '~/x' | expanduser }}"), json!(format!("{home}/x")));
        assert_eq!(
            r("{{ '${HOME}/x' | expandvars }}"),
            json!(format!("{home}/x"))
        );
    }
}
