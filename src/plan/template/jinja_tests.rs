//! Ansible's Jinja tests (`is version(...)`, `is failed`, `is match` ...).

use super::filters::plain_string;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

fn result_flag(v: &Value, key: &str) -> bool {
    v.get_attr(key).map(|x| x.is_true()).unwrap_or(false)
}

fn regex_test(
    v: Value,
    pattern: String,
    kwargs: Kwargs,
    anchored: bool,
    whole: bool,
) -> Result<bool, Error> {
    let ignorecase: Option<bool> = kwargs.get("ignorecase")?;
    let multiline: Option<bool> = kwargs.get("multiline")?;
    kwargs.assert_all_used()?;
    let p = if whole {
        format!("^(?:{pattern})$")
    } else if anchored {
        format!("^(?:{pattern})")
    } else {
        pattern
    };
    let re = regex::RegexBuilder::new(&p)
        .case_insensitive(ignorecase.unwrap_or(false))
        .multi_line(multiline.unwrap_or(false))
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("bad regular expression: {e}"),
            )
        })?;
    Ok(re.is_match(&plain_string(&v)))
}

pub fn register(env: &mut Environment<'static>) {
    env.add_test("version", super::version::compare_filter);
    env.add_test("version_compare", super::version::compare_filter);
    env.add_test("match", |v: Value, p: String, k: Kwargs| {
        regex_test(v, p, k, true, false)
    });
    env.add_test("search", |v: Value, p: String, k: Kwargs| {
        regex_test(v, p, k, false, false)
    });
    env.add_test("regex", |v: Value, p: String, k: Kwargs| {
        let match_type: Option<String> = k.get("match_type")?;
        match match_type.as_deref() {
            Some("match") => regex_test(v, p, k, true, false),
            Some("fullmatch") => regex_test(v, p, k, false, true),
            _ => regex_test(v, p, k, false, false),
        }
    });
    for name in ["failed", "failure"] {
        env.add_test(name, |v: Value| result_flag(&v, "failed"));
    }
    for name in ["success", "succeeded"] {
        env.add_test(name, |v: Value| !result_flag(&v, "failed"));
    }
    for name in ["changed", "change"] {
        env.add_test(name, |v: Value| result_flag(&v, "changed"));
    }
    for name in ["skipped", "skip"] {
        env.add_test(name, |v: Value| result_flag(&v, "skipped"));
    }
    env.add_test("finished", |v: Value| {
        v.get_attr("finished")
            .map(|x| x.is_undefined() || x.is_true())
            .unwrap_or(true)
    });
    env.add_test("unreachable", |v: Value| result_flag(&v, "unreachable"));
    env.add_test("truthy", |v: Value| v.is_true());
    env.add_test("falsy", |v: Value| !v.is_true());
    env.add_test("subset", |a: Value, b: Value| -> Result<bool, Error> {
        let bl: Vec<Value> = b.try_iter()?.collect();
        Ok(a.try_iter()?.all(|x| bl.contains(&x)))
    });
    env.add_test("superset", |a: Value, b: Value| -> Result<bool, Error> {
        let al: Vec<Value> = a.try_iter()?.collect();
        Ok(b.try_iter()?.all(|x| al.contains(&x)))
    });
    env.add_test("contains", |a: Value, x: Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.any(|y| y == x))
    });
    env.add_test("any", |a: Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.any(|y| y.is_true()))
    });
    env.add_test("all", |a: Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.all(|y| y.is_true()))
    });
    env.add_test("abs", |p: String| p.starts_with('/'));
    env.add_test("exists", |p: String| std::path::Path::new(&p).exists());
    env.add_test("file", |p: String| std::path::Path::new(&p).is_file());
    env.add_test("directory", |p: String| std::path::Path::new(&p).is_dir());
    env.add_test("link", |p: String| {
        std::fs::symlink_metadata(&p)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
    });
    env.add_test("integer", |v: Value| {
        v.kind() == ValueKind::Number && v.as_i64().is_some()
    });
    env.add_test("float", |v: Value| {
        v.kind() == ValueKind::Number && v.as_i64().is_none()
    });
    env.add_test("boolean", |v: Value| v.kind() == ValueKind::Bool);
    env.add_test("list", |v: Value| v.kind() == ValueKind::Seq);
    env.add_test("dict", |v: Value| v.kind() == ValueKind::Map);
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn t(expr: &str, ctx: serde_json::Value) -> bool {
        Templar::new()
            .eval_condition(expr, &to_jinja(&ctx))
            .unwrap_or_else(|e| panic!("{expr}: {}", e.message))
    }

    #[test]
    fn ansible_tests() {
        let c = json!({"v": "2.5.10", "r": {"failed": true, "changed": false}, "ok": {"changed": true}, "s": "hotdb-server-2.5.4"});
        assert!(t("v is version('2.5.9', '>')", c.clone()));
        assert!(t("v is version('2.5.10', 'eq')", c.clone()));
        assert!(t("'2.4.9' is version('2.5.3', operator='lt')", c.clone()));
        assert!(t("r is failed", c.clone()));
        assert!(t("ok is changed and ok is succeeded", c.clone()));
        assert!(t("r is not skipped", c.clone()));
        assert!(t("s is match('hotdb-')", c.clone()));
        assert!(!t("s is match('server')", c.clone()));
        assert!(t("s is search('server')", c.clone()));
        assert!(t("[1, 2] is subset([1, 2, 3])", c.clone()));
        assert!(t("[1, 2, 3] is contains(2)", c.clone()));
        assert!(t("'/x' is abs", c));
    }
}
