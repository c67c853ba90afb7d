//! `-e`: key=value pairs, JSON/YAML text, or @file; later ones win.

use crate::parse::yaml;
use serde_json::{Map, Value};
use std::path::Path;

pub fn parse_all(items: &[String]) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for item in items {
        out.extend(parse_one(item)?);
    }
    Ok(out)
}

fn parse_one(item: &str) -> Result<Map<String, Value>, String> {
    let trimmed = item.trim();
    if let Some(file) = trimmed.strip_prefix('@') {
        let node = yaml::load_file(Path::new(file)).map_err(|d| d.to_string())?;
        return as_map(node.to_json(), item);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let node =
            yaml::parse_str(Path::new("<extra vars>"), trimmed).map_err(|d| d.to_string())?;
        return as_map(node.to_json(), item);
    }
    let mut out = Map::new();
    for word in split_kv(trimmed) {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "invalid extra vars `{item}`: expected key=value, JSON/YAML or @file"
            ));
        };
        if !crate::plan::valid_var_name(k) {
            return Err(format!("invalid variable name `{k}` in extra vars"));
        }
        out.insert(k.to_string(), Value::String(unquote(v)));
    }
    Ok(out)
}

fn as_map(v: Value, item: &str) -> Result<Map<String, Value>, String> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(format!("extra vars `{item}` must be a mapping")),
    }
}

fn split_kv(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_forms() {
        let m = parse_all(&["a=1 b='x y'".into(), "{\"c\": [1, 2]}".into(), "a=2".into()]).unwrap();
        assert_eq!(m["a"], "2");
        assert_eq!(m["b"], "x y");
        assert_eq!(m["c"], serde_json::json!([1, 2]));
        assert!(parse_all(&["novalue".into()]).is_err());
    }
}
