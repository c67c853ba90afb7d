//! Python methods on values (`'a,b'.split(',')`, `d.items()`, `s.zfill(3)`):
//! minijinja_contrib's pycompat, plus the few more that playbooks use.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

fn width(v: &Value) -> Result<usize, Error> {
    Ok(i64::try_from(v.clone())?.max(0) as usize)
}

fn fill_char(args: &[Value]) -> Result<char, Error> {
    match args.get(1).and_then(Value::as_str) {
        None if args.len() < 2 => Ok(' '),
        Some(f) if f.chars().count() == 1 => Ok(f.chars().next().unwrap_or(' ')),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            "the fill character must be exactly one character long",
        )),
    }
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let len = s.chars().count();
    Some(match (method, args) {
        ("isdigit" | "isdecimal" | "isnumeric", []) => Ok(Value::from(
            !s.is_empty() && s.chars().all(char::is_numeric),
        )),
        ("casefold", []) => Ok(Value::from(s.to_lowercase())),
        ("swapcase", []) => Ok(Value::from(
            s.chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<String>()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect::<String>(),
        )),
        ("zfill", [w]) => width(w).map(|w| {
            let (sign, digits) = match s.chars().next() {
                Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                _ => (String::new(), s),
            };
            let pad = "0".repeat(w.saturating_sub(len));
            Value::from(format!("{sign}{pad}{digits}"))
        }),
        ("ljust" | "rjust" | "center", [w, ..]) if args.len() <= 2 => (|| {
            let (w, fill) = (width(w)?, fill_char(args)?);
            let total = w.saturating_sub(len);
            let (left, right) = match method {
                "ljust" => (0, total),
                "rjust" => (total, 0),
                // Python's center puts the odd extra character on the left when the width is odd.
                _ => {
                    let left = total / 2 + (total & w & 1);
                    (left, total - left)
                }
            };
            let pad = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
            Ok(Value::from(format!("{}{s}{}", pad(left), pad(right))))
        })(),
        ("partition" | "rpartition", [sep]) => {
            let sep = sep.as_str().unwrap_or_default();
            let found = if method == "partition" {
                s.find(sep)
            } else {
                s.rfind(sep)
            };
            let parts = match found {
                Some(i) if !sep.is_empty() => [&s[..i], sep, &s[i + sep.len()..]],
                _ if method == "partition" => [s, "", ""],
                _ => ["", "", s],
            };
            Ok(Value::from(
                parts.iter().map(|p| Value::from(*p)).collect::<Vec<_>>(),
            ))
        }
        ("rsplit", _) if args.len() <= 2 => {
            let sep = args.first().and_then(Value::as_str);
            let max = match args.get(1) {
                Some(m) => i64::try_from(m.clone()).unwrap_or(-1),
                None => -1,
            };
            let mut parts: Vec<String> = match (sep, max) {
                (Some(sep), m) if m >= 0 => {
                    s.rsplitn(m as usize + 1, sep).map(str::to_string).collect()
                }
                (Some(sep), _) => s.rsplit(sep).map(str::to_string).collect(),
                (None, m) => {
                    // Whitespace runs separate; the rest keeps its own leading blanks.
                    let mut out = Vec::new();
                    let mut rest = s.trim_end();
                    while m < 0 || out.len() < m as usize {
                        let Some((i, c)) =
                            rest.char_indices().rev().find(|(_, c)| c.is_whitespace())
                        else {
                            break;
                        };
                        out.push(rest[i + c.len_utf8()..].to_string());
                        rest = rest[..i].trim_end();
                    }
                    if !rest.trim_start().is_empty() {
                        out.push(if m < 0 { rest.trim_start() } else { rest }.to_string());
                    }
                    out
                }
            };
            parts.reverse();
            Ok(Value::from(
                parts.into_iter().map(Value::from).collect::<Vec<_>>(),
            ))
        }
        ("index", [sub]) => match s.find(sub.as_str().unwrap_or_default()) {
            Some(i) => Ok(Value::from(s[..i].chars().count())),
            None => Err(Error::new(
                ErrorKind::InvalidOperation,
                "substring not found",
            )),
        },
        _ => return None,
    })
}

pub fn unknown_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    if let Some(s) = value.as_str()
        && let Some(result) = string_method(s, method, args)
    {
        return result;
    }
    match (value.kind(), method, args) {
        (ValueKind::Seq, "index", [x]) => {
            return value
                .try_iter()?
                .position(|y| &y == x)
                .map(Value::from)
                .ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, format!("{x} is not in list"))
                });
        }
        (ValueKind::Map | ValueKind::Seq, "copy", []) => return Ok(value.clone()),
        _ => {}
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    #[test]
    fn python_methods() {
        let t = Templar::new();
        let c = to_jinja(&json!({"d": {"k": 1}}));
        for (expr, want) in [
            ("'42'.isdigit()", json!(true)),
            ("'4a'.isdigit()", json!(false)),
            ("'7'.zfill(3)", json!("007")),
            ("'-7'.zfill(4)", json!("-007")),
            ("'ab'.ljust(4, '.')", json!("ab..")),
            ("'ab'.rjust(4)", json!("  ab")),
            ("'ab'.center(5, '*')", json!("**ab*")),
            ("'a=b=c'.partition('=')", json!(["a", "=", "b=c"])),
            ("'a=b=c'.rpartition('=')", json!(["a=b", "=", "c"])),
            ("'a.b.c'.rsplit('.', 1)", json!(["a.b", "c"])),
            ("'a b  c'.rsplit(None, 1)", json!(["a b", "c"])),
            ("'a b c'.rsplit()", json!(["a", "b", "c"])),
            ("'  a b  c '.rsplit(None, 1)", json!(["  a b", "c"])),
            ("'hello'.index('l')", json!(2)),
            ("[1, 2, 3].index(3)", json!(2)),
            ("'ABC'.casefold()", json!("abc")),
            ("'a,b'.split(',')", json!(["a", "b"])),
            ("d.copy()", json!({"k": 1})),
            ("d.items() | list", json!([["k", 1]])),
        ] {
            let v = t.render_native(&format!("{{{{ {expr} }}}}"), &c);
            assert_eq!(v.map_err(|e| e.message), Ok(want), "{expr}");
        }
        assert!(t.render_native("{{ 'x'.index('y') }}", &c).is_err());
        assert!(t.render_native("{{ 'x'.nomethod() }}", &c).is_err());
    }
}
