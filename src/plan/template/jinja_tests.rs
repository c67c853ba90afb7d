//! Ansible's Jinja tests (`is version(...)`, `is failed`, `is match` ...); the
//! type tests (`string`, `number`, `mapping`, `iterable`, `sequence`, `none`,
//! `defined`, `undefined`) are minijinja's own.

use super::filters::{err, plain_string};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error};
use std::path::Path;

/// A task result's flag, as Ansible's result tests read it.
fn result_flag(v: &Value, test: &str, key: &str) -> Result<bool, Error> {
    if v.kind() != ValueKind::Map {
        return Err(err(format!("The '{test}' test expects a dictionary")));
    }
    Ok(v.get_attr(key).is_ok_and(|x| x.is_true()))
}

/// `changed`: the result's own flag, or for a loop any item's.
fn changed(v: &Value) -> Result<bool, Error> {
    if v.kind() != ValueKind::Map {
        return Err(err("The 'changed' test expects a dictionary"));
    }
    let flag = v.get_attr("changed").unwrap_or_default();
    if !flag.is_undefined() {
        return Ok(flag.is_true());
    }
    let results = v.get_attr("results").unwrap_or_default();
    if results.kind() == ValueKind::Seq {
        for r in results.try_iter()? {
            if r.get_attr("changed").is_ok_and(|c| c.is_true()) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn regex_test(v: &Value, pattern: &str, kwargs: &Kwargs, match_type: &str) -> Result<bool, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let p = match match_type {
        "match" => format!(r"\A(?:{pattern})"),
        "fullmatch" => format!(r"\A(?:{pattern})\z"),
        "search" => pattern.to_string(),
        other => return Err(err(format!("Invalid match_type ({other})"))),
    };
    let re = regex::RegexBuilder::new(&p.replace("\\Z", "\\z"))
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| err(format!("bad regular expression `{pattern}`: {e}")))?;
    Ok(re.is_match(&plain_string(v)?))
}

/// `truthy(convert_bool=False)`: Python's truth, or Ansible's `bool` reading first.
fn truthy(v: &Value, kwargs: &Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    if convert && let Some(b) = v.as_str().and_then(|s| super::bool_word(s.trim())) {
        return Ok(b);
    }
    Ok(v.is_true())
}

pub fn register(env: &mut Environment<'static>) {
    env.add_test("version", super::version::compare_filter);
    env.add_test("version_compare", super::version::compare_filter);
    env.add_test("match", |v: &Value, p: &str, k: Kwargs| {
        regex_test(v, p, &k, "match")
    });
    env.add_test("search", |v: &Value, p: &str, k: Kwargs| {
        regex_test(v, p, &k, "search")
    });
    env.add_test("regex", |v: &Value, p: &str, k: Kwargs| {
        let match_type = k
            .get::<Option<String>>("match_type")?
            .unwrap_or_else(|| "search".into());
        regex_test(v, p, &k, &match_type)
    });
    for name in ["failed", "failure"] {
        env.add_test(name, move |v: &Value| result_flag(v, name, "failed"));
    }
    for name in ["success", "succeeded"] {
        env.add_test(name, move |v: &Value| {
            result_flag(v, name, "failed").map(|f| !f)
        });
    }
    for name in ["changed", "change"] {
        env.add_test(name, changed);
    }
    for name in ["skipped", "skip"] {
        env.add_test(name, move |v: &Value| result_flag(v, name, "skipped"));
    }
    env.add_test("unreachable", |v: &Value| {
        result_flag(v, "unreachable", "unreachable")
    });
    env.add_test("reachable", |v: &Value| {
        result_flag(v, "reachable", "unreachable").map(|u| !u)
    });
    env.add_test("finished", |v: &Value| -> Result<bool, Error> {
        result_flag(v, "finished", "failed")?;
        let f = v.get_attr("finished").unwrap_or_default();
        Ok(f.is_undefined() || f.is_true())
    });
    env.add_test("started", |v: &Value| -> Result<bool, Error> {
        result_flag(v, "started", "failed")?;
        Ok(v.get_attr("started").is_ok_and(|s| s.is_true()))
    });
    env.add_test("truthy", |v: &Value, k: Kwargs| truthy(v, &k));
    env.add_test("falsy", |v: &Value, k: Kwargs| truthy(v, &k).map(|t| !t));
    env.add_test("subset", |a: &Value, b: &Value| -> Result<bool, Error> {
        let bl: Vec<Value> = b.try_iter()?.collect();
        Ok(a.try_iter()?.all(|x| bl.contains(&x)))
    });
    env.add_test("superset", |a: &Value, b: &Value| -> Result<bool, Error> {
        let al: Vec<Value> = a.try_iter()?.collect();
        Ok(b.try_iter()?.all(|x| al.contains(&x)))
    });
    env.add_test("contains", |a: &Value, x: &Value| -> Result<bool, Error> {
        match a.as_str() {
            Some(s) => Ok(s.contains(&plain_string(x)?)),
            None => Ok(a.try_iter()?.any(|y| &y == x)),
        }
    });
    env.add_test("any", |a: &Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.any(|y| y.is_true()))
    });
    env.add_test("all", |a: &Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.all(|y| y.is_true()))
    });
    env.add_test("nan", |v: &Value| {
        f64::try_from(v.clone()).is_ok_and(f64::is_nan)
    });
    env.add_test("vault_encrypted", |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.trim_start().starts_with("$ANSIBLE_VAULT;"))
    });
    // Controller paths.
    type PathTest = fn(&Path) -> bool;
    let path_tests: [(&str, PathTest); 5] = [
        ("abs", |p| p.is_absolute()),
        ("exists", |p| p.exists()),
        ("file", |p| p.is_file()),
        ("directory", |p| p.is_dir()),
        ("link", |p| p.is_symlink()),
    ];
    for (name, test) in path_tests {
        env.add_test(name, move |p: &Value| -> Result<bool, Error> {
            Ok(test(Path::new(&plain_string(p)?)))
        });
    }
    env.add_test("mount", |p: &Value| -> Result<bool, Error> {
        Ok(is_mount(&plain_string(p)?))
    });
    env.add_test("same_file", |a: &Value, b: &Value| -> Result<bool, Error> {
        use std::os::unix::fs::MetadataExt;
        Ok(
            match (
                std::fs::metadata(plain_string(a)?),
                std::fs::metadata(plain_string(b)?),
            ) {
                (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
                _ => false,
            },
        )
    });
    // Types, with Python's distinctions (a float is not an integer).
    env.add_test("integer", |v: &Value| v.is_integer());
    env.add_test("float", |v: &Value| v.is_number() && !v.is_integer());
    env.add_test("boolean", |v: &Value| v.kind() == ValueKind::Bool);
    env.add_test("list", |v: &Value| v.kind() == ValueKind::Seq);
    env.add_test("dict", |v: &Value| v.kind() == ValueKind::Map);
}

/// os.path.ismount: a different device than the parent, or the same inode.
fn is_mount(p: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let path = Path::new(p);
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if meta.file_type().is_symlink() {
        return false;
    }
    match std::fs::metadata(path.join("..")) {
        Ok(parent) => parent.dev() != meta.dev() || parent.ino() == meta.ino(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn t(expr: &str) -> bool {
        let c = json!({
            "v": "2.5.10",
            "r": {"failed": true, "changed": false},
            "ok": {"changed": true},
            "skip": {"skipped": true, "changed": false},
            "loop": {"results": [{"changed": false}, {"changed": true}]},
            "async_job": {"finished": 0, "started": 1},
            "s": "hotdb-server-2.5.4",
            "tmp": std::env::temp_dir().display().to_string(),
        });
        Templar::new()
            .eval_condition(expr, &to_jinja(&c))
            .unwrap_or_else(|e| panic!("{expr}: {}", e.message))
    }

    #[test]
    fn ansible_tests() {
        for yes in [
            "v is version('2.5.9', '>')",
            "v is version('2.5.10', 'eq')",
            "v is version('2.5.10')",
            "'2.4.9' is version('2.5.3', operator='lt')",
            "'1.0.0-rc.1' is version('1.0.0', '<', version_type='semver')",
            "'1.2.3' is version('1.2.3b1', '>', strict=true)",
            "v is version_compare('2.5', '>=')",
            "v | version_compare('2.6', '<')",
            "r is failed and r is failure",
            "ok is changed and ok is succeeded and ok is success and ok is change",
            "loop is changed",
            "r is not skipped and skip is skipped and skip is skip",
            "async_job is not finished and async_job is started",
            "ok is reachable and ok is not unreachable",
            "s is match('hotdb-')",
            "s is not match('server')",
            "s is match('HOTDB', ignorecase=true)",
            "s is search('server')",
            "s is regex('server-[0-9]')",
            "s is regex('hotdb-server-2.5.4', match_type='fullmatch')",
            "'a\nb' is search('^b', multiline=true)",
            "[1, 2] is subset([1, 2, 3])",
            "[1, 2, 3] is superset([3])",
            "[1, 2, 3] is contains(2)",
            "'abc' is contains('b')",
            "[1, 0] is any and [1, 1] is all and [1, 0] is not all",
            "'x' is truthy and '' is falsy and 'no' is falsy(convert_bool=true)",
            "'/x' is abs and 'x' is not abs",
            "tmp is exists and tmp is directory and tmp is not file and tmp is not link",
            "'/' is mount and '/' is same_file('/')",
            "1 is integer and 1.5 is float and 1.0 is not integer and true is boolean",
            "'a' is string and 1 is number and {} is mapping and [] is sequence and [] is iterable",
            "none is none and nope is undefined and v is defined",
            "'$ANSIBLE_VAULT;1.1;AES256' is vault_encrypted",
        ] {
            assert!(t(yes), "{yes}");
        }
        let templar = Templar::new();
        let c = to_jinja(&json!({"s": "x"}));
        for bad in [
            "s is failed",
            "s is version('1', 'bogus')",
            "s is regex('x', match_type='nope')",
        ] {
            assert!(templar.eval_condition(bad, &c).is_err(), "{bad}");
        }
    }
}
