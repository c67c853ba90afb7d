//! Values that must never be shown: vault plaintexts and the values of
//! password-like variables. Every output channel passes its text through
//! `redact` before writing it.

use serde_json::Value;
use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

/// Shorter values are not redacted: replacing every "ab" would hide the output, not a secret.
pub const MIN_LEN: usize = 4;
pub const MASK: &str = "********";

fn store() -> &'static RwLock<Vec<String>> {
    static SECRETS: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Vec::new()))
}

/// Whether a variable or argument name says it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passwd", "passphrase", "secret"]
        .iter()
        .any(|w| n.contains(w))
        || n.ends_with("_pass")
        || n == "pass"
}

/// Remembers a secret value (and its JSON-escaped spelling, as results show it).
pub fn remember(value: &str) {
    let value = value.trim_end_matches(['\n', '\r']);
    if value.chars().count() < MIN_LEN || value.contains("{{") {
        return;
    }
    let escaped = serde_json::to_string(value).unwrap_or_default();
    let escaped = escaped.trim_matches('"').to_string();
    let Ok(mut s) = store().write() else { return };
    for v in [value.to_string(), escaped] {
        if !s.contains(&v) {
            s.push(v);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    s.sort_by_key(|v| std::cmp::Reverse(v.len()));
}

/// Remembers every scalar inside a value (a decrypted vault file).
pub fn remember_all(v: &Value) {
    match v {
        Value::String(s) => remember(s),
        Value::Number(n) => remember(&n.to_string()),
        Value::Array(a) => a.iter().for_each(remember_all),
        Value::Object(m) => m.values().for_each(remember_all),
        _ => {}
    }
}

/// Remembers the values of secret-named keys, at any depth.
pub fn remember_named(v: &Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if is_secret_name(k) {
                    remember_all(x);
                } else {
                    remember_named(x);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(remember_named),
        _ => {}
    }
}

/// `text` with every remembered secret replaced by the mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(s) = store().read() else {
        return Cow::Borrowed(text);
    };
    if !s.iter().any(|v| text.contains(v.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for v in s.iter() {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_remembered_values_and_their_json_spelling() {
        remember("s3cr\"et-value");
        remember("ab");
        let shown = r#"{"msg": "login with s3cr\"et-value failed", "x": "ab"}"#;
        assert_eq!(
            redact(shown),
            r#"{"msg": "login with ******** failed", "x": "ab"}"#
        );
        assert_eq!(redact("s3cr\"et-value"), MASK);
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_names() {
        for n in [
            "ansible_become_password",
            "login_password",
            "ansible_ssh_pass",
            "api_secret",
            "DB_PASSWD",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["passenger", "bypass_check", "user", "compass", "token"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
