//! Plan layer: the playbook as plays, blocks and tasks; hosts and batches;
//! variables in Ansible's precedence; templating. Reads files through `parse`.

pub mod keywords;
pub mod load;
pub mod notify;
pub mod outline;
pub mod pattern;
pub mod template;
pub mod tree;
pub mod vars;

use serde_json::Value;

/// Variable names as Python identifiers (what Ansible accepts).
pub fn valid_var_name(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Ansible's boolean reading of keyword values (`yes`, `on`, `1`, `true` ...).
pub fn ansible_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|x| x != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" | "" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}
