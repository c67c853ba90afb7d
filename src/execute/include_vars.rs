//! include_vars: variables from a YAML/JSON file or a directory of them, as
//! ansible-core's action plugin reads them (argument checks, directory walk, depth,
//! files_matching, ignore_files, extensions, name, hash_behaviour, messages).

use super::module::{ArgSpec, ArgType, FreeForm, ModuleDoc};
use crate::parse::yaml;
use crate::plan::template::pyjson;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Only for parsing `include_vars: dir=vars name=x` free-form arguments.
static FREE_FORM: ModuleDoc = ModuleDoc {
    name: "include_vars",
    short: "",
    description: "",
    args: &[ArgSpec::new("*", ArgType::Raw, "")],
    free_form: FreeForm::KeyValue,
    check_mode: "",
    returns: "",
    examples: "",
};

const FILE_ARGS: [&str; 2] = ["file", "_raw_params"];
const DIR_ARGS: [&str; 6] = [
    "dir",
    "depth",
    "files_matching",
    "ignore_files",
    "extensions",
    "ignore_unknown_extensions",
];
const ALL_ARGS: [&str; 2] = ["name", "hash_behaviour"];

/// What one include_vars task read.
#[derive(Debug, Default)]
pub struct Included {
    pub vars: Map<String, Value>,
    /// The files read, in order (`ansible_included_var_files`).
    pub files: Vec<String>,
    /// Ansible reports these in the result's `message` (the task fails).
    pub failure: Option<String>,
}

/// Where the task is: its file's directory, its role's path, the search paths.
pub struct Place<'a> {
    pub task_dir: &'a Path,
    pub role_path: Option<&'a Path>,
    pub search: &'a [PathBuf],
}

/// Loads what `args` (the rendered argument) names. `current` gives a variable's
/// value before the task (for hash_behaviour). An `Err` fails the task with `msg`.
pub fn load(
    args: &Value,
    place: &Place<'_>,
    current: &dyn Fn(&str) -> Option<Value>,
) -> Result<Included, String> {
    let m = match args {
        Value::String(s) => super::args::parse_free_form(&FREE_FORM, s),
        Value::Object(m) => m.clone(),
        other => return Err(format!("include_vars needs a file name, got {other}")),
    };
    let (mut dirs, mut files) = (0, 0);
    for k in m.keys() {
        if DIR_ARGS.contains(&k.as_str()) {
            dirs += 1;
        } else if FILE_ARGS.contains(&k.as_str()) {
            files += 1;
        } else if !ALL_ARGS.contains(&k.as_str()) {
            return Err(format!("{k} is not a valid option in include_vars"));
        }
    }
    if dirs > 0 && files > 0 {
        return Err(
            "You are mixing file only and dir only arguments, these are incompatible".into(),
        );
    }
    let text = |k: &str| match m.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.to_string()),
    };
    let mut inc = Included::default();
    if let Some(dir) = text("dir") {
        read_dir(&m, &dir, place, &mut inc)?;
    } else {
        let file = text("file")
            .or_else(|| text("_raw_params").map(|f| f.trim_end_matches('\n').to_string()))
            .unwrap_or_default();
        match find(&file, place) {
            Ok(path) => {
                if let Err(e) = read_into(&path, &mut inc.vars, &mut inc.files) {
                    inc.failure = Some(e);
                }
            }
            Err(e) => inc.failure = Some(e),
        }
    }
    if inc.failure.is_some() {
        inc.vars = Map::new();
    }
    if let Some(name) = text("name") {
        let mut scoped = Map::new();
        scoped.insert(name, Value::Object(std::mem::take(&mut inc.vars)));
        inc.vars = scoped;
    }
    if inc.failure.is_none()
        && let Some(how) = text("hash_behaviour").filter(|h| h != "replace")
    {
        for (key, value) in inc.vars.iter_mut() {
            let old = current(key).unwrap_or(Value::Null);
            match (old, &*value) {
                (Value::Object(mut o), Value::Object(n)) => {
                    crate::plan::template::merge_hash(&mut o, n, how == "merge", "replace");
                    *value = Value::Object(o);
                }
                (old, new) => {
                    return Err(format!(
                        "failed to combine variables, expected dicts but got a '{}' and a '{}': \n{}\n{}",
                        super::args::type_word(&old),
                        super::args::type_word(new),
                        pyjson::compact(&old),
                        pyjson::compact(new)
                    ));
                }
            }
        }
    }
    Ok(inc)
}

/// `_find_needle('vars', file)`: each search path (role, task file's directory,
/// playbook's), with `vars/` and without.
fn find(rel: &str, place: &Place<'_>) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() {
        return if p.exists() {
            Ok(p.to_path_buf())
        } else {
            Err(format!(
                "Could not find or access '{rel}' on the Ansible Controller."
            ))
        };
    }
    let mut tried: Vec<PathBuf> = Vec::new();
    for d in place.search {
        tried.push(d.join("vars").join(rel));
        tried.push(d.join(rel));
    }
    if let Some(hit) = tried.iter().find(|c| c.exists()) {
        return Ok(hit.clone());
    }
    let mut msg = format!("Could not find or access '{rel}'\nSearched in:");
    for t in &tried {
        msg.push_str(&format!("\n\t{}", t.display()));
    }
    msg.push_str(" on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option");
    Err(msg)
}

fn read_dir(
    m: &Map<String, Value>,
    dir: &str,
    place: &Place<'_>,
    inc: &mut Included,
) -> Result<(), String> {
    let root = match place.role_path {
        Some(r) if dir.split('/').next() == Some("vars") && r.join(dir).exists() => r.join(dir),
        Some(_) if dir.split('/').next() == Some("vars") => PathBuf::from(dir),
        Some(r) => r.join("vars").join(dir),
        None => place.task_dir.join(dir),
    };
    if !root.exists() {
        inc.failure = Some(format!("{} directory does not exist", root.display()));
        return Ok(());
    }
    if !root.is_dir() {
        inc.failure = Some(format!("{} is not a directory", root.display()));
        return Ok(());
    }
    let depth = match m.get("depth") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    };
    let matcher = match m.get("files_matching").and_then(Value::as_str) {
        Some(p) => Some(regex::Regex::new(p).map_err(|e| format!("files_matching: {e}"))?),
        None => None,
    };
    let mut ignores = Vec::new();
    match m.get("ignore_files") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => ignores.extend(s.split_whitespace().map(str::to_string)),
        Some(Value::Array(a)) => ignores.extend(a.iter().map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })),
        Some(other) => {
            inc.failure = Some(format!("{} must be a list", pyjson::repr(other)));
            return Ok(());
        }
    }
    let ignores = ignores
        .iter()
        .map(|p| {
            regex::Regex::new(&format!("{p}$"))
                .map_err(|_| format!("Invalid regular expression: {p}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let extensions: Vec<String> = match m.get("extensions") {
        None | Some(Value::Null) => vec!["yaml".into(), "yml".into(), "json".into()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        // Ansible's list() of a string: its characters.
        Some(Value::String(s)) => s.chars().map(String::from).collect(),
        Some(_) => return Err("Invalid type for \"extensions\" option, it must be a list".into()),
    };
    let lenient = m
        .get("ignore_unknown_extensions")
        .and_then(super::args::to_bool)
        .unwrap_or(false);
    let valid_ext = |name: &str| {
        let (_, ext) = crate::plan::template::splitext(name);
        ext.len() > 1 && extensions.iter().any(|e| *e == ext[1..])
    };
    let role_main = place.role_path.map(|r| r.join("vars").join("main.yml"));
    let mut walk: Vec<(PathBuf, Vec<String>)> = Vec::new();
    walk_dirs(&root, &mut walk);
    walk.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    for (dir, mut names) in walk {
        let level = dir
            .strip_prefix(&root)
            .map_or(0, |r| r.components().count())
            + 1;
        if depth != 0 && level as u64 > depth {
            continue;
        }
        names.sort();
        let mut vars = Map::new();
        for name in names {
            let path = dir.join(&name);
            if role_main.as_ref() == Some(&path)
                || matcher.as_ref().is_some_and(|r| !r.is_match(&name))
                || ignores.iter().any(|r| r.is_match(&name))
                || (lenient && !valid_ext(&name))
            {
                continue;
            }
            if !valid_ext(&name) {
                inc.failure = Some(format!(
                    "{} does not have a valid extension: {}",
                    path.display(),
                    extensions.join(", ")
                ));
                return Ok(());
            }
            if let Err(e) = read_into(&path, &mut vars, &mut inc.files) {
                inc.failure = Some(e);
                return Ok(());
            }
        }
        inc.vars.extend(vars);
    }
    Ok(())
}

/// Every directory under `dir` (itself included, symlinks followed) with its files.
fn walk_dirs(dir: &Path, out: &mut Vec<(PathBuf, Vec<String>)>) {
    if out.len() > 100_000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            subdirs.push(p);
        } else {
            files.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out.push((dir.to_path_buf(), files));
    for d in subdirs {
        walk_dirs(&d, out);
    }
}

/// Reads one vars file into `vars`, noting it in `files`.
fn read_into(
    path: &Path,
    vars: &mut Map<String, Value>,
    files: &mut Vec<String>,
) -> Result<(), String> {
    let node = yaml::load_file(path).map_err(|d| d.to_string())?;
    match node.to_json() {
        Value::Object(m) => vars.extend(m),
        Value::Null => {}
        _ => {
            return Err(format!(
                "{} must be stored as a dictionary/hash",
                path.display()
            ));
        }
    }
    files.push(path.display().to_string());
    Ok(())
}

/// A whole vars file (vars_files, role vars): a mapping, or nothing.
pub fn read_vars(path: &Path) -> Result<Map<String, Value>, String> {
    let mut vars = Map::new();
    read_into(path, &mut vars, &mut Vec::new())?;
    Ok(vars)
}
