//! JSON as Ansible prints it (Python's json.dumps with sorted keys): compact with
//! ", " and ": " separators, or indented by four spaces.

use serde_json::Value;

pub fn compact(v: &Value) -> String {
    let mut s = String::new();
    write(v, None, 0, &mut s);
    s
}

pub fn pretty(v: &Value) -> String {
    indented(v, 4)
}

pub fn indented(v: &Value, indent: usize) -> String {
    let mut s = String::new();
    write(v, Some(indent), 0, &mut s);
    s
}

fn write(v: &Value, indent: Option<usize>, depth: usize, out: &mut String) {
    let newline = |out: &mut String, d: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * d));
        }
    };
    let sep = if indent.is_some() { "," } else { ", " };
    match v {
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                write(x, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                write(&m[*k], indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A value as Python's repr() shows it (Ansible's loop item labels): `[0, 'x']`, `{'k': True}`.
pub fn repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(a) => format!("[{}]", a.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("'{k}': {}", repr(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python() {
        assert_eq!(
            repr(&serde_json::json!([0, "x", {"k": true, "n": null}])),
            "[0, 'x', {'k': True, 'n': None}]"
        );
        let v = serde_json::json!({"msg": "hi", "changed": false, "list": [1, "a"]});
        assert_eq!(
            compact(&v),
            r#"{"changed": false, "list": [1, "a"], "msg": "hi"}"#
        );
        assert_eq!(
            pretty(&serde_json::json!({"msg": "x"})),
            "{\n    \"msg\": \"x\"\n}"
        );
    }
}
