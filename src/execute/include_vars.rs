//! include_vars: variables from a YAML/JSON file or a directory of them.

use crate::parse::yaml;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Loads the variables `include_vars` names. `args` is the rendered argument: a
/// path string, or a mapping with `file`/`dir`/`name`/`files_matching`/`depth`.
pub fn load(
    args: &Value,
    search: &[PathBuf],
    task_dir: &Path,
) -> Result<Map<String, Value>, String> {
    let (file, dir, name, matching, depth) = match args {
        Value::String(s) => (Some(s.clone()), None, None, None, 0),
        Value::Object(m) => {
            for k in m.keys() {
                if ![
                    "file",
                    "dir",
                    "name",
                    "files_matching",
                    "ignore_files",
                    "depth",
                    "extensions",
                    "_raw_params",
                    "hash_behaviour",
                    "ignore_unknown_extensions",
                ]
                .contains(&k.as_str())
                {
                    return Err(format!("include_vars: unsupported parameter `{k}`"));
                }
            }
            let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
            (
                s("file").or(s("_raw_params")),
                s("dir"),
                s("name"),
                s("files_matching"),
                m.get("depth").and_then(Value::as_u64).unwrap_or(0),
            )
        }
        other => return Err(format!("include_vars needs a file name, got {other}")),
    };
    let find = |rel: &str, kind: &str| -> Option<PathBuf> {
        let p = Path::new(rel);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        std::iter::once(task_dir.join("..").join(kind).join(rel))
            .chain(std::iter::once(task_dir.join(rel)))
            .chain(
                search
                    .iter()
                    .flat_map(|d| [d.join(kind).join(rel), d.join(rel)]),
            )
            .find(|c| c.exists())
    };
    let mut vars = Map::new();
    if let Some(f) = file {
        let path = find(&f, "vars")
            .ok_or_else(|| format!("include_vars: could not find or access '{f}'"))?;
        vars = read_vars(&path)?;
    } else if let Some(d) = dir {
        let path = find(&d, "vars")
            .ok_or_else(|| format!("include_vars: could not find directory '{d}'"))?;
        let re = matching
            .map(|m| {
                regex::Regex::new(&m).map_err(|e| format!("include_vars: bad files_matching: {e}"))
            })
            .transpose()?;
        let mut files = Vec::new();
        collect(&path, depth, 1, &mut files);
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if re.as_ref().is_some_and(|r| !r.is_match(&name)) {
                continue;
            }
            vars.extend(read_vars(&f)?);
        }
    } else {
        return Err("include_vars needs `file` or `dir`".into());
    }
    Ok(match name {
        Some(n) => {
            let mut m = Map::new();
            m.insert(n, Value::Object(vars));
            m
        }
        None => vars,
    })
}

fn collect(dir: &Path, max_depth: u64, depth: u64, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if max_depth == 0 || depth < max_depth {
                collect(&p, max_depth, depth + 1, out);
            }
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("yml" | "yaml" | "json")
        ) {
            out.push(p);
        }
    }
}

pub fn read_vars(path: &Path) -> Result<Map<String, Value>, String> {
    let node = yaml::load_file(path).map_err(|d| d.to_string())?;
    match node.to_json() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(format!(
            "{}: a vars file must hold a mapping",
            path.display()
        )),
    }
}
