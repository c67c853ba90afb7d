//! Module arguments: free-form `k=v` strings as Ansible splits them, and
//! validation against a module's spec (types, choices, required, unknown names).

use super::module::{ArgSpec, ArgType, Args, FreeForm, ModuleDoc, VarMap};
use crate::parse::shell::{split_quoted, unquote};
use serde_json::Value;

/// Ansible's boolean conversion for module arguments.
pub fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => {
            let x = n.as_f64()?;
            if x == 1.0 {
                Some(true)
            } else if x == 0.0 {
                Some(false)
            } else {
                None
            }
        }
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn kv_key(word: &str) -> Option<(&str, &str)> {
    let (k, v) = word.split_once('=')?;
    let ident = !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    ident.then_some((k, v))
}

/// Python escapes in a `k=v` value, as ansible-core's parse_kv decodes them
/// (`\n`, `\t`, `\\`, `\'`, `\"`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`, octal).
fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = chars.peek() else {
            out.push(c);
            break;
        };
        let simple = match e {
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            _ => None,
        };
        if let Some(d) = simple {
            chars.next();
            out.push(d);
            continue;
        }
        let (len, radix) = match e {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (3, 8),
            _ => (0, 0),
        };
        let rest: String = chars
            .clone()
            .skip(usize::from(radix == 16))
            .take(len)
            .collect();
        let digits: String = if radix == 8 {
            rest.chars().take_while(|d| d.is_digit(8)).collect()
        } else {
            rest.clone()
        };
        let code = (len > 0 && (radix == 8 || digits.len() == len))
            .then(|| u32::from_str_radix(&digits, radix).ok())
            .flatten()
            .and_then(char::from_u32);
        match code {
            Some(d) => {
                let used = digits.len() + usize::from(radix == 16);
                for _ in 0..used {
                    chars.next();
                }
                out.push(d);
            }
            None => out.push(c),
        }
    }
    out
}

/// Parses a free-form module string into arguments. Text that is not `k=v`
/// becomes `_raw_params`; for command-like modules only spec'd keys are taken.
pub fn parse_free_form(doc: &ModuleDoc, s: &str) -> VarMap {
    let mut out = VarMap::new();
    let mut raw: Vec<String> = Vec::new();
    let words = split_quoted(s);
    for word in &words {
        match kv_key(word) {
            Some((k, v)) if doc.free_form != FreeForm::Command || doc.arg(k).is_some() => {
                out.insert(
                    k.to_string(),
                    Value::String(unquote(&decode_escapes(v.trim()))),
                );
            }
            _ => raw.push(word.clone()),
        }
    }
    if !raw.is_empty() {
        // Keep the command text as written, not re-joined words, when nothing was extracted.
        let text = if raw.len() == words.len() {
            s.trim().to_string()
        } else {
            raw.join(" ")
        };
        out.insert("_raw_params".into(), Value::String(text));
    }
    out
}

fn convert(spec: &ArgSpec, v: Value) -> Result<Value, String> {
    let name = spec.name;
    match coerce(spec.ty, v.clone()) {
        Some(v) => Ok(v),
        None if spec.ty == ArgType::Bool => Err(format!(
            "argument '{name}' is of type {} and we were unable to convert to bool: the value '{}' is not a valid boolean. Valid booleans include: 'yes', 'on', '1', 'true', 'no', 'off', '0', 'false'",
            type_word(&v),
            display(&v)
        )),
        None => Err(format!(
            "argument '{name}' is of type {} and we were unable to convert to {}",
            type_word(&v),
            type_name(spec.ty)
        )),
    }
}

/// Ansible's name of an argument type (`str`, `int` ...).
pub fn type_name(ty: ArgType) -> &'static str {
    match ty {
        ArgType::Str => "str",
        ArgType::Bool => "bool",
        ArgType::Int => "int",
        ArgType::Float => "float",
        ArgType::Path => "path",
        ArgType::List => "list",
        ArgType::Dict => "dict",
        ArgType::Mode => "raw",
        ArgType::Raw => "raw",
    }
}

/// A value converted to an argument type as Ansible's `check_type_*` convert it; None
/// when it cannot be. The one conversion of module arguments and argument specs.
pub fn coerce(ty: ArgType, v: Value) -> Option<Value> {
    Some(match ty {
        ArgType::Raw | ArgType::Mode => v,
        ArgType::Str | ArgType::Path => match v {
            Value::String(_) => v,
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(if b { "True" } else { "False" }.into()),
            _ => return None,
        },
        ArgType::Bool => Value::Bool(to_bool(&v)?),
        ArgType::Int => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => v,
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 => Value::from(f as i64),
                _ => return None,
            },
            Value::String(s) => Value::from(s.trim().parse::<i64>().ok()?),
            _ => return None,
        },
        ArgType::Float => match &v {
            Value::Number(_) => v,
            Value::String(s) => Value::from(s.trim().parse::<f64>().ok()?),
            _ => return None,
        },
        // As check_type_list: a string splits on commas, a number is one string item.
        ArgType::List => match v {
            Value::Array(_) => v,
            Value::String(s) => Value::Array(s.split(',').map(Value::from).collect()),
            Value::Number(n) => Value::Array(vec![Value::String(n.to_string())]),
            Value::Bool(b) => Value::Array(vec![Value::from(if b { "True" } else { "False" })]),
            _ => return None,
        },
        ArgType::Dict => match v {
            Value::Object(_) => v,
            Value::String(s) if s.starts_with('{') => serde_json::from_str(&s).ok()?,
            Value::String(s) if s.contains('=') => Value::Object(kv_dict(&s)?),
            _ => return None,
        },
    })
}

/// `k1=v1, k2=v2` as check_type_dict splits it: on commas and blanks outside quotes,
/// a backslash escaping the next character; the values stay strings.
fn kv_dict(s: &str) -> Option<VarMap> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut quote, mut escape) = (None, false);
    for c in s.trim().chars() {
        if escape {
            field.push(c);
            escape = false;
        } else if c == '\\' {
            escape = true;
        } else if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
        } else if quote == Some(c) {
            quote = None;
        } else if quote.is_none() && (c == ',' || c == ' ') {
            if !field.is_empty() {
                fields.push(std::mem::take(&mut field));
            }
        } else {
            field.push(c);
        }
    }
    if !field.is_empty() {
        fields.push(field);
    }
    fields
        .iter()
        .map(|f| {
            let (k, v) = f.split_once('=')?;
            Some((k.to_string(), Value::String(v.to_string())))
        })
        .collect()
}

/// Python's name of a value's type (`dict`, `NoneType`), for messages as Ansible's.
pub fn type_word(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks and types raw arguments against the spec. Messages follow Ansible's.
pub fn validate(doc: &ModuleDoc, raw: &VarMap) -> Result<Args, String> {
    let mut values = VarMap::new();
    let mut unknown = Vec::new();
    for (k, v) in raw {
        if k == "_raw_params" {
            if doc.free_form == FreeForm::No {
                return Err(format!(
                    "this module takes no free-form argument; got '{}'",
                    display(v)
                ));
            }
            values.insert(k.clone(), v.clone());
            continue;
        }
        let Some(spec) = doc.arg(k) else {
            if doc.arg("*").is_some() {
                values.insert(k.clone(), v.clone());
            } else {
                unknown.push(k.clone());
            }
            continue;
        };
        if values.contains_key(spec.name) {
            return Err(format!(
                "argument '{}' was given more than once (through an alias)",
                spec.name
            ));
        }
        if v.is_null() {
            continue;
        }
        let v = convert(spec, v.clone())?;
        if !spec.choices.is_empty() {
            let s = display(&v);
            if !spec.choices.contains(&s.as_str()) {
                return Err(format!(
                    "value of {} must be one of: {}, got: {s}",
                    spec.name,
                    spec.choices.join(", ")
                ));
            }
        }
        values.insert(spec.name.to_string(), v);
    }
    if !unknown.is_empty() {
        unknown.sort();
        let mut supported: Vec<&str> = doc.arg_names().collect();
        supported.sort();
        return Err(format!(
            "Unsupported parameters for ({}) module: {}. Supported parameters include: {}.",
            doc.name,
            unknown.join(", "),
            supported.join(", ")
        ));
    }
    let mut missing = Vec::new();
    for spec in doc.args {
        if spec.name == "*" || values.contains_key(spec.name) {
            continue;
        }
        if let Some(d) = spec.default {
            values.insert(
                spec.name.to_string(),
                convert(spec, Value::String(d.into()))?,
            );
        } else if spec.required {
            missing.push(spec.name);
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing required arguments: {}",
            missing.join(", ")
        ));
    }
    Ok(Args { values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_values_decode_python_escapes() {
        assert_eq!(decode_escapes(r"a\nb\tc"), "a\nb\tc");
        assert_eq!(decode_escapes(r"\x41\u00e9\101\\n"), "A\u{e9}A\\n");
        assert_eq!(decode_escapes(r"keep \d and \"), "keep \\d and \\");
        let doc = &DOC;
        let m = parse_free_form(doc, r#"path=/x line="one\ntwo""#);
        assert_eq!(m["line"], "one\ntwo");
    }

    static DOC: ModuleDoc = ModuleDoc {
        name: "t",
        short: "",
        description: "",
        args: &[
            ArgSpec::new("path", ArgType::Path, "")
                .required()
                .aliases(&["dest"]),
            ArgSpec::new("state", ArgType::Str, "")
                .choices(&["file", "absent"])
                .default("file"),
            ArgSpec::new("force", ArgType::Bool, "").default("no"),
            ArgSpec::new("count", ArgType::Int, ""),
            ArgSpec::new("items", ArgType::List, ""),
        ],
        free_form: FreeForm::No,
        check_mode: "",
        returns: "",
        examples: "",
    };

    static CMD: ModuleDoc = ModuleDoc {
        name: "command",
        short: "",
        description: "",
        args: &[
            ArgSpec::new("chdir", ArgType::Path, ""),
            ArgSpec::new("creates", ArgType::Path, ""),
        ],
        free_form: FreeForm::Command,
        check_mode: "",
        returns: "",
        examples: "",
    };

    fn map(v: Value) -> VarMap {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn types_defaults_and_aliases() {
        let a = validate(
            &DOC,
            &map(serde_json::json!({"dest": "/x", "force": "yes", "count": "3", "items": "a, b"})),
        )
        .unwrap();
        assert_eq!(a.str("path"), Some("/x"));
        assert!(a.bool("force"));
        assert_eq!(a.int("count"), Some(3));
        assert_eq!(a.str("state"), Some("file"));
        assert_eq!(
            a.str_list("items"),
            vec!["a", " b"],
            "split as check_type_list does"
        );
    }

    #[test]
    fn errors_read_like_ansible() {
        let e = validate(
            &DOC,
            &map(serde_json::json!({"path": "/x", "stat": "file"})),
        )
        .unwrap_err();
        assert!(
            e.starts_with("Unsupported parameters for (t) module: stat."),
            "{e}"
        );
        let e = validate(
            &DOC,
            &map(serde_json::json!({"path": "/x", "state": "dir"})),
        )
        .unwrap_err();
        assert_eq!(e, "value of state must be one of: file, absent, got: dir");
        let e = validate(&DOC, &map(serde_json::json!({}))).unwrap_err();
        assert_eq!(e, "missing required arguments: path");
        let e = validate(
            &DOC,
            &map(serde_json::json!({"path": "/x", "force": "maybe"})),
        )
        .unwrap_err();
        assert!(e.contains("not a valid boolean"), "{e}");
    }

    #[test]
    fn free_form_splits_like_ansible() {
        let m = parse_free_form(&CMD, "echo 'a b' chdir=/tmp x=1");
        assert_eq!(m["_raw_params"], "echo 'a b' x=1");
        assert_eq!(m["chdir"], "/tmp");
        let m = parse_free_form(&DOC, "path=\"/a b\" state=absent");
        assert_eq!(m["path"], "/a b");
        assert_eq!(m["state"], "absent");
        let m = parse_free_form(&CMD, "ls -l   /tmp");
        assert_eq!(m["_raw_params"], "ls -l   /tmp");
    }
}
