//! Lookups on the controller: `lookup(name, terms..., wantlist=False,
//! errors='strict')`, `query(...)` and `q(...)`. Each lookup is one line of
//! `LOOKUPS`: a function from the terms and options to a list of values.

use super::filters::{err, plain_string};
use super::lookups_extra as extra;
use super::lookups_more as more;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, State};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// Terms (positional arguments) and options (keyword arguments) in, values out.
type Lookup = fn(&State, &[Value], &Kwargs) -> Result<Vec<Value>, Error>;

const LOOKUPS: &[(&str, Lookup)] = &[
    ("env", env),
    ("file", file),
    ("template", template),
    ("pipe", pipe),
    ("vars", vars),
    ("items", items),
    ("list", extra::list),
    ("sequence", extra::sequence),
    ("subelements", extra::subelements),
    ("inventory_hostnames", extra::inventory_hostnames),
    ("password", extra::password),
    ("fileglob", more::fileglob),
    ("first_found", more::first_found),
    ("lines", more::lines),
    ("random_choice", more::random_choice),
    ("together", more::together),
    ("nested", more::nested),
    ("dict", more::dict),
    ("indexed_items", more::indexed_items),
    ("flattened", more::flattened),
    ("varnames", more::varnames),
    ("csvfile", more::csvfile),
    ("ini", more::ini),
];

pub fn register(env: &mut Environment<'static>, enabled: bool) {
    if enabled {
        env.add_function("lookup", lookup);
        env.add_function("query", query);
        env.add_function("q", query);
    } else {
        for name in ["lookup", "query", "q"] {
            env.add_function(name, move |_: Rest<Value>| -> Result<Value, Error> {
                Err(err(format!(
                    "{name}() cannot run here: the text came out of a variable, and data never runs lookups"
                )))
            });
        }
    }
}

fn terms(args: &[Value]) -> Result<Vec<String>, Error> {
    args.iter().map(plain_string).collect()
}

fn env(_: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default: Option<String> = kwargs.get("default")?;
    Ok(terms(args)?
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

/// A path variable of the play (`role_path`, `playbook_dir`).
pub(super) fn dir_var(state: &State, name: &str) -> Option<PathBuf> {
    state
        .lookup(name)
        .filter(|v| v.kind() == ValueKind::String)
        .and_then(|v| v.as_str().map(PathBuf::from))
}

/// A controller file: absolute, or searched in the role (`role_path`), then the
/// playbook's directory (`playbook_dir`), then the working directory, each in
/// its `files/` or `templates/` subdirectory first.
pub(super) fn find(state: &State, kind: &str, name: &str) -> Result<PathBuf, Error> {
    let p = Path::new(name);
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    let mut dirs: Vec<PathBuf> = ["role_path", "playbook_dir"]
        .iter()
        .filter_map(|var| dir_var(state, var))
        .collect();
    dirs.push(PathBuf::from("."));
    dirs.iter()
        .flat_map(|d| [d.join(kind).join(name), d.join(name)])
        .find(|c| c.exists())
        .ok_or_else(|| err(format!("could not locate file in lookup: {name}")))
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))
}

fn file(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
    let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
    let mut out = Vec::new();
    for name in terms(args)? {
        let path = find(state, "files", &name).map_err(|_| {
            err(format!(
                "The 'file' lookup had an issue accessing the file '{name}'. file not found, use -vvvvv to see paths searched"
            ))
        })?;
        let mut text = read(&path)?;
        if rstrip {
            text.truncate(text.trim_end().len());
        }
        if lstrip {
            text = text.trim_start().to_string();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

thread_local! {
    /// Template lookups nested in template lookups, to stop a template that includes itself.
    static TEMPLATE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// The variables the calling template sees, for a template it looks up.
pub(super) fn variables(state: &State) -> Value {
    if let Some(v) = state.lookup("vars").filter(|v| v.kind() == ValueKind::Map) {
        return v;
    }
    Value::from_pairs(
        state
            .known_variables()
            .iter()
            .filter_map(|n| state.lookup(n).map(|v| (n.to_string(), v)))
            .collect::<Vec<_>>(),
    )
}

/// `template`: renders a file with the current variables (and `template_vars`).
fn template(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let extra: Option<Value> = kwargs.get("template_vars")?;
    let _: Option<bool> = kwargs.get("convert_data")?;
    let _: Option<bool> = kwargs.get("jinja2_native")?;
    let depth = TEMPLATE_DEPTH.with(Cell::get);
    if depth >= 16 {
        return Err(err(
            "lookup template: templates nest too deeply (does one include itself?)",
        ));
    }
    let ctx = match extra {
        Some(e) => minijinja::value::merge_maps([e, variables(state)]),
        None => variables(state),
    };
    let mut out = Vec::new();
    for name in terms(args)? {
        let path = find(state, "templates", &name).map_err(|_| {
            err(format!(
                "the template file {name} could not be found for the lookup"
            ))
        })?;
        let text = read(&path)?;
        let source = super::chain::template(&text);
        let tmpl = state.env().template_from_str(&source)?;
        TEMPLATE_DEPTH.with(|d| d.set(depth + 1));
        let rendered = tmpl.render(ctx.clone());
        TEMPLATE_DEPTH.with(|d| d.set(depth));
        out.push(Value::from(rendered?));
    }
    Ok(out)
}

/// `pipe`: `sh -c` on the controller in the playbook's directory; stdout with
/// trailing whitespace stripped; a non-zero exit is an error.
fn pipe(state: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let cwd = dir_var(state, "playbook_dir").filter(|d| d.is_dir());
    let mut out = Vec::new();
    for cmd in terms(args)? {
        let mut command = std::process::Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(&cmd)
            .stdin(std::process::Stdio::null());
        if let Some(d) = &cwd {
            command.current_dir(d);
        }
        let o = command
            .output()
            .map_err(|e| err(format!("lookup pipe: cannot run /bin/sh: {e}")))?;
        if !o.status.success() {
            return Err(err(format!(
                "lookup_plugin.pipe({cmd}) returned {}",
                o.status.code().unwrap_or(-1)
            )));
        }
        out.push(Value::from(
            String::from_utf8_lossy(&o.stdout).trim_end().to_string(),
        ));
    }
    Ok(out)
}

/// `vars`: variables by name (`default=` when one is missing).
fn vars(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default: Option<Value> = kwargs.get("default")?;
    let all = variables(state);
    terms(args)?
        .into_iter()
        .map(|name| {
            let v = state
                .lookup(&name)
                .filter(|v| !v.is_undefined())
                .or_else(|| all.get_attr(&name).ok().filter(|v| !v.is_undefined()));
            v.or_else(|| default.clone())
                .ok_or_else(|| err(format!("No variable found with this name: {name}")))
        })
        .collect()
}

/// `items`: the terms, lists flattened one level.
fn items(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for a in args {
        match a.kind() {
            ValueKind::Seq => out.extend(a.try_iter()?),
            _ => out.push(a.clone()),
        }
    }
    Ok(out)
}

/// Runs a lookup; `errors='ignore'|'warn'` turn its failure into None.
fn run(
    state: &State,
    name: &str,
    args: &[Value],
    kwargs: &Kwargs,
) -> Result<Option<Vec<Value>>, Error> {
    let errors = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    if !["strict", "warn", "ignore"].contains(&errors.as_str()) {
        return Err(err(format!(
            "lookup: errors must be strict, warn or ignore, not '{errors}'"
        )));
    }
    let Some((_, f)) = LOOKUPS.iter().find(|(n, _)| *n == name) else {
        let why = if name.split('.').count() == 3 && !name.starts_with("ansible.") {
            ": it comes from an Ansible collection (a Python plugin), which hotplay does not run"
        } else {
            ""
        };
        return Err(err(format!("lookup plugin ({name}) not found{why}")));
    };
    match f(state, args, kwargs).and_then(|v| kwargs.assert_all_used().map(|_| v)) {
        Ok(v) => Ok(Some(v)),
        Err(e) if errors == "strict" => Err(e),
        Err(e) => {
            if errors == "warn" {
                let why = e.detail().map_or_else(|| e.to_string(), str::to_string);
                super::warn(format!(
                    "Lookup failed but the error is being ignored: {why}"
                ));
            }
            Ok(None)
        }
    }
}

/// `lookup`: Ansible joins a list of strings with commas, returns a single
/// non-string value itself, and otherwise the list (all with `wantlist=True`).
fn lookup(state: &State, name: &str, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let wantlist = kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
    let Some(values) = run(state, name, &args, &kwargs)? else {
        return Ok(if wantlist {
            Value::from(Vec::<Value>::new())
        } else {
            Value::from(())
        });
    };
    if wantlist || values.is_empty() {
        return Ok(Value::from(values));
    }
    if values.iter().all(|v| v.kind() == ValueKind::String) {
        let texts: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        return Ok(Value::from(texts.join(",")));
    }
    if values.len() == 1 {
        return Ok(values.into_iter().next().unwrap_or_default());
    }
    Ok(Value::from(values))
}

fn query(state: &State, name: &str, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let _: Option<bool> = kwargs.get("wantlist")?;
    Ok(Value::from(
        run(state, name, &args, &kwargs)?.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, TemplateErrorKind, to_jinja};
    use serde_json::json;

    #[test]
    fn controller_lookups() {
        let t = Templar::new();
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        std::fs::create_dir_all(d.join("files")).expect("mkdir");
        std::fs::create_dir_all(d.join("templates")).expect("mkdir");
        std::fs::create_dir_all(d.join("role/files")).expect("mkdir");
        std::fs::write(d.join("files/f.txt"), "content\n\n").expect("write");
        std::fs::write(d.join("role/files/f.txt"), "from role\n").expect("write");
        std::fs::write(d.join("plain.txt"), "  plain  ").expect("write");
        std::fs::write(
            d.join("templates/t.j2"),
            "{{ x }}-{{ y | default('none') }}\n",
        )
        .expect("write");
        std::fs::write(
            d.join("templates/self.j2"),
            "{{ lookup('template', 'self.j2') }}",
        )
        .expect("write");
        let c = to_jinja(&json!({"playbook_dir": d.display().to_string(), "x": 1}));
        let r = |s: &str| {
            t.render_native(s, &c)
                .unwrap_or_else(|e| panic!("{s}: {}", e.message))
        };
        assert_eq!(r("{{ lookup('pipe', 'echo hi') }}"), json!("hi"));
        assert_eq!(r("{{ lookup('pipe', 'ls files') }}"), json!("f.txt"));
        assert_eq!(r("{{ lookup('pipe', 'echo a', 'echo b') }}"), json!("a,b"));
        assert_eq!(
            r("{{ query('pipe', 'echo a', 'echo b') }}"),
            json!(["a", "b"])
        );
        assert_eq!(
            r("{{ lookup('pipe', 'echo a', wantlist=True) }}"),
            json!(["a"])
        );
        assert_eq!(r("{{ lookup('file', 'f.txt') }}"), json!("content"));
        assert_eq!(r("{{ lookup('file', 'plain.txt') }}"), json!("  plain"));
        assert_eq!(
            r("{{ lookup('file', 'plain.txt', lstrip=True) }}"),
            json!("plain")
        );
        assert_eq!(r("{{ lookup('template', 't.j2') }}"), json!("1-none\n"));
        assert_eq!(
            r("{{ lookup('template', 't.j2', template_vars={'y': 2}) }}"),
            json!("1-2\n")
        );
        assert_eq!(r("{{ lookup('vars', 'x') }}"), json!(1));
        assert_eq!(r("{{ lookup('vars', 'nope', default=0) }}"), json!(0));
        assert_eq!(r("{{ q('items', [1, 2], 3) }}"), json!([1, 2, 3]));
        assert_eq!(r("{{ lookup('items', [1, 2]) }}"), json!([1, 2]));
        assert_eq!(r("{{ lookup('items', []) }}"), json!([]));
        assert_eq!(
            r("{{ lookup('env', 'HOTPLAY_SURELY_UNSET', default='d') }}"),
            json!("d")
        );
        assert_eq!(r("{{ lookup('env', 'HOTPLAY_SURELY_UNSET') }}"), json!(""));
        assert_eq!(
            r("{{ lookup('pipe', 'exit 3', errors='ignore') }}"),
            json!(null)
        );
        assert_eq!(
            r("{{ query('file', 'missing', errors='ignore') }}"),
            json!([])
        );
        assert_eq!(
            r("{{ lookup('file', 'missing', errors='warn') | default('w', true) }}"),
            json!("w")
        );
        let role = to_jinja(
            &json!({"playbook_dir": d.display().to_string(), "role_path": d.join("role").display().to_string()}),
        );
        assert_eq!(
            t.render_native("{{ lookup('file', 'f.txt') }}", &role)
                .unwrap(),
            json!("from role")
        );
        let e = t
            .render_native("{{ lookup('pipe', 'exit 3') }}", &c)
            .unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Other);
        assert!(
            e.message.contains("lookup_plugin.pipe(exit 3) returned 3"),
            "{}",
            e.message
        );
        for bad in [
            "{{ lookup('nope', 'x') }}",
            "{{ lookup('nope', 'x', errors='ignore') }}",
            "{{ lookup('file', 'missing') }}",
            "{{ lookup('vars', 'nope') }}",
            "{{ lookup('file', 'f.txt', bogus=1) }}",
            "{{ lookup('template', 'self.j2') }}",
        ] {
            assert!(t.render_native(bad, &c).is_err(), "{bad}");
        }
    }
}
