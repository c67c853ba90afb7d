//! Lookups on the controller: `lookup('env', ...)`, `query(...)`, `q(...)`.
//! Each lookup is one entry of `LOOKUPS`.

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use std::path::{Path, PathBuf};

type Lookup = fn(&State, &[Value], &Kwargs) -> Result<Vec<Value>, Error>;

const LOOKUPS: &[(&str, Lookup)] = &[
    ("env", env),
    ("file", file),
    ("template", template),
    ("pipe", pipe),
    ("items", items),
    ("list", items),
];

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn terms(args: &[Value]) -> Vec<String> {
    args.iter().map(super::filters::plain_string).collect()
}

fn env(_: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default: Option<String> = kwargs.get("default")?;
    Ok(terms(args)
        .iter()
        .map(|name| {
            Value::from(
                std::env::var(name)
                    .ok()
                    .or_else(|| default.clone())
                    .unwrap_or_default(),
            )
        })
        .collect())
}

/// A controller file: absolute, or under the role's and the playbook's `files/` (or `templates/`) and themselves.
fn find(state: &State, kind: &str, name: &str) -> Result<PathBuf, Error> {
    let p = Path::new(name);
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    let mut dirs = Vec::new();
    for var in ["role_path", "playbook_dir"] {
        if let Some(d) = state
            .lookup(var)
            .and_then(|v| v.as_str().map(PathBuf::from))
        {
            dirs.push(d);
        }
    }
    dirs.push(PathBuf::from("."));
    dirs.iter()
        .flat_map(|d| [d.join(kind).join(name), d.join(name)])
        .find(|c| c.exists())
        .ok_or_else(|| err(format!("could not locate file in lookup: {name}")))
}

fn file(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let rstrip: Option<bool> = kwargs.get("rstrip")?;
    let mut out = Vec::new();
    for name in terms(args) {
        let path = find(state, "files", &name)?;
        let mut text = std::fs::read_to_string(&path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        if rstrip.unwrap_or(true) {
            text = text.trim_end().to_string();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

fn template(state: &State, args: &[Value], _kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for name in terms(args) {
        let path = find(state, "templates", &name)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        let tmpl = state.env().template_from_str(&text)?;
        // The lookup sees the caller's variables.
        let ctx = state.lookup("vars").unwrap_or_default();
        out.push(Value::from(tmpl.render(ctx)?));
    }
    Ok(out)
}

fn pipe(_: &State, args: &[Value], _kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for cmd in terms(args) {
        let o = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&cmd)
            .output()
            .map_err(|e| err(format!("lookup pipe: cannot run: {e}")))?;
        if !o.status.success() {
            return Err(err(format!(
                "lookup_plugin.pipe({cmd}) returned {}",
                o.status.code().unwrap_or(-1)
            )));
        }
        out.push(Value::from(
            String::from_utf8_lossy(&o.stdout)
                .trim_end_matches('\n')
                .to_string(),
        ));
    }
    Ok(out)
}

fn items(_: &State, args: &[Value], _kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for a in args {
        match a.try_iter() {
            Ok(it) if a.kind() == minijinja::value::ValueKind::Seq => out.extend(it),
            _ => out.push(a.clone()),
        }
    }
    Ok(out)
}

fn run(state: &State, name: &str, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let Some((_, f)) = LOOKUPS.iter().find(|(n, _)| *n == name) else {
        return Err(err(format!("lookup plugin '{name}' not found")));
    };
    f(state, args, kwargs)
}

/// `lookup(name, terms..., wantlist=False, errors='strict')`: a comma-joined string unless wantlist.
fn lookup(state: &State, name: String, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let wantlist: Option<bool> = kwargs.get("wantlist")?;
    let errors: Option<String> = kwargs.get("errors")?;
    let result = run(state, &name, &args, &kwargs);
    let values = match (result, errors.as_deref()) {
        (Ok(v), _) => v,
        (Err(_), Some("ignore")) => return Ok(Value::from(())),
        (Err(e), Some("warn")) => {
            eprintln!("[WARNING]: lookup {name}: {e}");
            return Ok(Value::from(()));
        }
        (Err(e), _) => return Err(e),
    };
    let _ = kwargs.assert_all_used();
    if wantlist.unwrap_or(false) {
        return Ok(Value::from(values));
    }
    if values.len() == 1 {
        return Ok(values.into_iter().next().unwrap_or_default());
    }
    Ok(Value::from(
        values
            .iter()
            .map(super::filters::plain_string)
            .collect::<Vec<_>>()
            .join(","),
    ))
}

fn query(state: &State, name: String, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let errors: Option<String> = kwargs.get("errors")?;
    match run(state, &name, &args, &kwargs) {
        Ok(v) => {
            let _ = kwargs.assert_all_used();
            Ok(Value::from(v))
        }
        Err(_) if errors.as_deref() == Some("ignore") => Ok(Value::from(Vec::<Value>::new())),
        Err(e) => Err(e),
    }
}

pub fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", lookup);
    env.add_function("query", query);
    env.add_function("q", query);
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    #[test]
    fn env_pipe_file_lookups() {
        let t = Templar::new();
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("f.txt"), "content\n").expect("write");
        let c = to_jinja(&json!({"playbook_dir": dir.path().display().to_string()}));
        assert_eq!(
            t.render_value("{{ lookup('pipe', 'echo hi') }}", &c)
                .unwrap(),
            json!("hi")
        );
        assert_eq!(
            t.render_value("{{ lookup('file', 'f.txt') }}", &c).unwrap(),
            json!("content")
        );
        assert_eq!(
            t.render_value("{{ query('items', [1, 2]) }}", &c).unwrap(),
            json!([1, 2])
        );
        assert_eq!(
            t.render_value(
                "{{ lookup('env', 'HOTPLAY_SURELY_UNSET', default='d') }}",
                &c
            )
            .unwrap(),
            json!("d")
        );
        assert!(
            t.render_value("{{ lookup('pipe', 'exit 3') }}", &c)
                .is_err()
        );
        assert!(t.render_value("{{ lookup('nope', 'x') }}", &c).is_err());
    }
}
