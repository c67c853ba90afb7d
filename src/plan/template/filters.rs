//! Ansible's filters, where minijinja's differ or are missing: types and
//! conversions, JSON and YAML here; the rest by theme in `collections`, `text`,
//! `paths` and `clock`.

use super::chain::NAME_KWARG;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use serde_json::Value as J;

pub fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

pub fn json_of(v: &Value) -> Result<J, Error> {
    serde_json::to_value(defined(v)?).map_err(|e| err(format!("cannot convert value: {e}")))
}

pub fn val(j: &J) -> Value {
    super::to_jinja(j)
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("type_debug", |v: &Value| type_name(v));
    env.add_filter("log", log);
    env.add_filter("pow", |x: f64, y: f64| x.powf(y));
    env.add_filter("root", |x: f64, base: Option<f64>| match base {
        None | Some(2.0) => x.sqrt(),
        Some(b) => x.powf(1.0 / b),
    });
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_nice_yaml);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("from_yaml_all", from_yaml_all);
    env.add_filter("version_compare", super::version::compare_filter);
    super::collections::register(env);
    super::text::register(env);
    super::paths::register(env);
    super::clock::register(env);
    super::vaulting::register(env);
    super::hotdb::register(env);
}

/// An undefined value given to a filter or test is an error, as in Ansible.
pub fn defined(v: &Value) -> Result<&Value, Error> {
    if v.is_undefined() {
        Err(Error::from(ErrorKind::UndefinedError))
    } else {
        Ok(v)
    }
}

/// A value's text as Python's str() shows it.
pub fn plain_string(v: &Value) -> Result<String, Error> {
    Ok(match defined(v)?.as_str() {
        Some(s) => s.to_string(),
        None => v.to_string(),
    })
}

/// Python's name of a value's type (`type_debug`).
pub fn type_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if v.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq if v.is_tuple() => "tuple",
        ValueKind::Seq => "list",
        ValueKind::Iterable => "generator",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

/// Ansible's `bool`: "yes", "on", "true", "1" (any case) and the number 1 are
/// true; booleans are themselves; anything else is false.
fn to_bool(v: &Value) -> Result<bool, Error> {
    Ok(match defined(v)?.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => f64::try_from(v.clone()).is_ok_and(|f| f == 1.0),
        ValueKind::String => matches!(
            v.as_str().unwrap_or_default().to_lowercase().as_str(),
            "yes" | "on" | "true" | "1"
        ),
        _ => false,
    })
}

/// Python's int() of a string in a base: sign, underscores between digits,
/// surrounding whitespace and (for the matching base or base 0) a 0x/0o/0b prefix.
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let prefixed = |p: &str, b: u32| (base == b || base == 0) && lower.starts_with(p);
    let (digits, radix) = if prefixed("0x", 16) {
        (&t[2..], 16)
    } else if prefixed("0o", 8) {
        (&t[2..], 8)
    } else if prefixed("0b", 2) {
        (&t[2..], 2)
    } else {
        (t, if base == 0 { 10 } else { base })
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !(2..=36).contains(&radix)
    {
        return None;
    }
    let n = i64::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    Some(if neg { -n } else { n })
}

/// Python's float() of a string.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// Jinja's `int(default=0, base=10)` as Ansible uses it: strings in a base,
/// floats (and float strings) truncated, `default` when nothing fits.
fn to_int(
    v: &Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0)),
    };
    let base = match base {
        Some(b) => b,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    let n = match defined(v)?.kind() {
        ValueKind::Number if v.is_integer() => return Ok(v.clone()),
        ValueKind::Number => f64::try_from(v.clone()).ok().map(|f| f.trunc() as i64),
        ValueKind::Bool => Some(i64::from(v.is_true())),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default();
            parse_int(s, base).or_else(|| {
                parse_float(s)
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc() as i64)
            })
        }
        _ => None,
    };
    Ok(n.map(Value::from).unwrap_or(default))
}

/// Jinja's `float(default=0.0)`.
fn to_float(v: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0.0)),
    };
    kwargs.assert_all_used()?;
    let f = match defined(v)?.kind() {
        ValueKind::Number => f64::try_from(v.clone()).ok(),
        ValueKind::String => parse_float(v.as_str().unwrap_or_default()),
        ValueKind::Bool => Some(if v.is_true() { 1.0 } else { 0.0 }),
        _ => None,
    };
    Ok(f.map(Value::from).unwrap_or(default))
}

/// `mandatory(msg=None)`: the value, or an error when it is undefined. The
/// variable's name comes from the chain rewrite.
fn mandatory(v: &Value, msg: Option<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let name: Option<String> = kwargs.get(NAME_KWARG)?;
    let msg = match msg {
        Some(m) => Some(m),
        None => kwargs.get("msg")?,
    };
    kwargs.assert_all_used()?;
    if !v.is_undefined() {
        return Ok(v.clone());
    }
    let text = match (msg, name) {
        (Some(m), _) => m,
        (None, Some(n)) => format!("Mandatory variable '{n}'  not defined."),
        (None, None) => "Mandatory variable not defined.".into(),
    };
    Err(Error::new(ErrorKind::UndefinedError, text))
}

/// `ternary(true_val, false_val, none_val=None)`.
fn ternary(v: &Value, yes: Value, no: Value, none: Option<Value>) -> Result<Value, Error> {
    Ok(match none {
        Some(n) if v.is_none() && !n.is_none() => n,
        _ if defined(v)?.is_true() => yes,
        _ => no,
    })
}

fn log(x: f64, base: Option<f64>) -> f64 {
    match base {
        None => x.ln(),
        Some(10.0) => x.log10(),
        Some(b) => x.ln() / b.ln(),
    }
}

/// Python's json.dumps options that the filters accept.
fn dump_options(
    kwargs: &Kwargs,
    indent: Option<usize>,
    sort_keys: bool,
) -> Result<super::pyjson::Dump, Error> {
    let indent = match kwargs.get::<Option<Value>>("indent")? {
        Some(v) if v.is_none() => None,
        Some(v) => Some(usize::try_from(v)?),
        None => indent,
    };
    let separators: Option<Vec<String>> = kwargs.get("separators")?;
    let (item, key) = match separators.as_deref() {
        Some([i, k]) => (i.clone(), k.clone()),
        Some(_) => return Err(err("separators must be a pair of strings")),
        None if indent.is_some() => (",".into(), ": ".into()),
        None => (", ".into(), ": ".into()),
    };
    Ok(super::pyjson::Dump {
        indent,
        sort_keys: kwargs
            .get::<Option<bool>>("sort_keys")?
            .unwrap_or(sort_keys),
        ensure_ascii: kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true),
        item_separator: item,
        key_separator: key,
    })
}

/// `to_json`: Python's json.dumps (insertion order, non-ASCII escaped).
fn to_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = dump_options(&kwargs, None, false)?;
    kwargs.assert_all_used()?;
    Ok(super::pyjson::dumps(&json_of(v)?, &opts))
}

/// `to_nice_json(indent=4, sort_keys=True)`.
fn to_nice_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let mut opts = dump_options(&kwargs, Some(4), true)?;
    opts.item_separator = ",".into();
    opts.key_separator = ": ".into();
    kwargs.assert_all_used()?;
    Ok(super::pyjson::dumps(&json_of(v)?, &opts))
}

fn from_json(s: &str) -> Result<Value, Error> {
    serde_json::from_str::<J>(s)
        .map(|j| val(&j))
        .map_err(|e| err(format!("from_json: {e}")))
}

fn yaml_options(
    kwargs: &Kwargs,
    indent: usize,
    flow: Option<bool>,
) -> Result<super::yaml_dump::Options, Error> {
    let flow = match kwargs.get::<Option<Value>>("default_flow_style")? {
        Some(v) if v.is_none() => None,
        Some(v) => Some(v.is_true()),
        None => flow,
    };
    let _: Option<bool> = kwargs.get("allow_unicode")?;
    Ok(super::yaml_dump::Options {
        indent: kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent),
        width: kwargs.get::<Option<usize>>("width")?.unwrap_or(80),
        sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true),
        flow,
        explicit_start: kwargs
            .get::<Option<bool>>("explicit_start")?
            .unwrap_or(false),
        literal_multiline: false,
    })
}

/// `to_yaml`: PyYAML's dump with flow style for collections of scalars.
fn to_yaml(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = yaml_options(&kwargs, 2, None)?;
    kwargs.assert_all_used()?;
    Ok(super::yaml_dump::dump(&json_of(v)?, &opts))
}

/// `to_nice_yaml(indent=4)`: block style throughout.
fn to_nice_yaml(v: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let mut opts = yaml_options(&kwargs, 4, Some(false))?;
    if let Some(i) = indent {
        opts.indent = i;
    }
    kwargs.assert_all_used()?;
    Ok(super::yaml_dump::dump(&json_of(v)?, &opts))
}

fn parse_yaml(text: &str, what: &str) -> Result<J, Error> {
    crate::parse::yaml::parse_str(std::path::Path::new(what), text)
        .map(|n| n.to_json())
        .map_err(|d| err(format!("{what}: {}", d.message)))
}

fn from_yaml(v: &Value) -> Result<Value, Error> {
    match defined(v)?.as_str() {
        Some(s) => Ok(val(&parse_yaml(s, "from_yaml")?)),
        None if v.is_none() => Ok(Value::from(())),
        None => Ok(v.clone()),
    }
}

/// `from_yaml_all`: every document of a multi-document stream.
fn from_yaml_all(v: &Value) -> Result<Value, Error> {
    let Some(s) = defined(v)?.as_str() else {
        return Ok(if v.is_none() {
            Value::from(Vec::<Value>::new())
        } else {
            v.clone()
        });
    };
    let mut docs = vec![String::new()];
    for line in s.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || line.starts_with("--- ") || line.starts_with("---\t") {
            docs.push(line.get(4..).unwrap_or_default().to_string());
        } else if bare == "..." {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        // An empty stretch before the first `---` or after a `...` is no document.
        if d.trim().is_empty() && (i == 0 || docs.len() > 1) {
            continue;
        }
        out.push(val(&parse_yaml(d, "from_yaml_all")?));
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    pub fn r(t: &str) -> serde_json::Value {
        Templar::new()
            .render_native(t, &to_jinja(&json!({"u": "é", "d": {"b": 1, "a": [1, 2]}})))
            .unwrap_or_else(|e| panic!("{t}: {}", e.message))
    }

    #[test]
    fn types() {
        for (t, want) in [
            ("{{ 'yes' | bool }}", json!(true)),
            ("{{ 'On' | bool }}", json!(true)),
            ("{{ 'TRUE' | bool }}", json!(true)),
            ("{{ '1' | bool }}", json!(true)),
            ("{{ 1 | bool }}", json!(true)),
            ("{{ 1.0 | bool }}", json!(true)),
            ("{{ 'off' | bool }}", json!(false)),
            ("{{ 'y' | bool }}", json!(false)),
            ("{{ 2 | bool }}", json!(false)),
            ("{{ none | bool }}", json!(false)),
            ("{{ true | bool }}", json!(true)),
            ("{{ '42' | int + 1 }}", json!(43)),
            ("{{ ' 42 ' | int }}", json!(42)),
            ("{{ '-7' | int }}", json!(-7)),
            ("{{ '4.7' | int }}", json!(4)),
            ("{{ 3.9 | int }}", json!(3)),
            ("{{ 'x' | int }}", json!(0)),
            ("{{ 'x' | int(7) }}", json!(7)),
            ("{{ 'x' | int(default=7) }}", json!(7)),
            ("{{ '0x1A' | int(base=16) }}", json!(26)),
            ("{{ '1A' | int(base=16) }}", json!(26)),
            ("{{ '0x1A' | int }}", json!(0)),
            ("{{ '0b101' | int(0, 2) }}", json!(5)),
            ("{{ '1_000' | int }}", json!(1000)),
            ("{{ true | int }}", json!(1)),
            ("{{ '1.5' | float }}", json!(1.5)),
            ("{{ 'x' | float }}", json!(0.0)),
            ("{{ 'x' | float(2.5) }}", json!(2.5)),
            ("{{ 3 | float }}", json!(3.0)),
            ("{{ 3 | string }}", json!("3")),
            ("{{ none | string }}", json!("None")),
            ("{{ true | ternary('on', 'off') }}", json!("on")),
            ("{{ 0 | ternary('on', 'off') }}", json!("off")),
            ("{{ none | ternary('on', 'off', 'null') }}", json!("null")),
            ("{{ none | ternary('on', 'off') }}", json!("off")),
            ("{{ 'a' | type_debug }}", json!("str")),
            ("{{ 1 | type_debug }}", json!("int")),
            ("{{ 1.0 | type_debug }}", json!("float")),
            ("{{ [] | type_debug }}", json!("list")),
            ("{{ {} | type_debug }}", json!("dict")),
            ("{{ none | type_debug }}", json!("NoneType")),
            ("{{ true | type_debug }}", json!("bool")),
            ("{{ 100 | log(10) }}", json!(2.0)),
            ("{{ 2 | pow(3) }}", json!(8.0)),
            ("{{ 9 | root }}", json!(3.0)),
            ("{{ 27 | root(3) | round(6) }}", json!(3.0)),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
    }

    #[test]
    fn json_and_yaml() {
        for (t, want) in [
            (
                "{{ {'k': [1, 'x'], 'a': none} | to_json }}",
                json!(r#"{"k": [1, "x"], "a": null}"#),
            ),
            ("{{ u | to_json }}", json!(r#""\u00e9""#)),
            ("{{ u | to_json(ensure_ascii=false) }}", json!("\"é\"")),
            (
                "{{ d | to_json(sort_keys=true) }}",
                json!(r#"{"a": [1, 2], "b": 1}"#),
            ),
            ("{{ 1.0 | to_json }}", json!("1.0")),
            (
                "{{ d | to_nice_json }}",
                json!("{\n    \"a\": [\n        1,\n        2\n    ],\n    \"b\": 1\n}"),
            ),
            (
                "{{ d | to_nice_json(indent=2) }}",
                json!("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": 1\n}"),
            ),
            ("{{ '{\"k\": [1]}' | from_json }}", json!({"k": [1]})),
            ("{{ d | to_yaml }}", json!("a: [1, 2]\nb: 1\n")),
            ("{{ d | to_nice_yaml }}", json!("a:\n- 1\n- 2\nb: 1\n")),
            (
                "{{ 'k: [1, 2]\nb: yes' | from_yaml }}",
                json!({"k": [1, 2], "b": true}),
            ),
            (
                "{{ '---\na: 1\n---\nb: 2\n' | from_yaml_all }}",
                json!([{"a": 1}, {"b": 2}]),
            ),
            ("{{ 'a: 1' | from_yaml_all }}", json!([{"a": 1}])),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
        let t = Templar::new();
        assert!(
            t.render_native("{{ '{' | from_json }}", &to_jinja(&json!({})))
                .is_err()
        );
        assert!(
            t.render_native("{{ 'a: [' | from_yaml }}", &to_jinja(&json!({})))
                .is_err()
        );
    }
}
