//! `-e`: key=value pairs, JSON/YAML text, or @file; later ones win.

use crate::parse::shell::{split_quoted, unquote};
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
    for word in split_quoted(trimmed) {
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
