//! replace: replace every match of a regular expression in a file, as Ansible's
//! replace does (Python's re.MULTILINE; `after`/`before` bound the region).

use super::lineinfile::{Decision, InPlace, edit_in_place, py_regex};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome, VarMap,
};
use async_trait::async_trait;
use regex::bytes::Regex;
use serde_json::Value;

pub struct Replace;

static DOC: ModuleDoc = ModuleDoc {
    name: "replace",
    short: "Replace all matches of a regular expression in a file",
    description: "Replaces every match of `regexp` in the file with `replace`. The pattern is Python's `re` syntax with MULTILINE (^ and $ match at each line), as the regex crate reads it (no look-around or backreferences inside a pattern); the replacement takes \\1 and \\g<name>. With `after` and/or `before` only the text between the first match of `after` and the next match of `before` is touched (both are searched with DOTALL, so `.` crosses lines); when they match nothing the file is left alone. Not idempotent by nature when the replacement still matches `regexp`. Links are followed.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file to edit.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("regexp", ArgType::Str, "What to replace: a Python regular expression.")
            .required(),
        ArgSpec::new(
            "replace",
            ArgType::Str,
            "The replacement; \\1 and \\g<name> insert groups. Empty removes the matches.",
        )
        .default(""),
        ArgSpec::new(
            "after",
            ArgType::Str,
            "Only replace after the first match of this regular expression.",
        ),
        ArgSpec::new(
            "before",
            ArgType::Str,
            "Only replace before this regular expression (its last match without `after`).",
        ),
        ArgSpec::new(
            "backup",
            ArgType::Bool,
            "Keep a copy of the old file as PATH.<pid>.<date>~.",
        )
        .default("no"),
        ArgSpec::new(
            "validate",
            ArgType::Str,
            "Command run on the new file (%s) before it replaces the old one.",
        ),
        ArgSpec::new("mode", ArgType::Mode, "Mode of the file (octal or symbolic)."),
        ArgSpec::new("owner", ArgType::Str, "Owner of the file."),
        ArgSpec::new("group", ArgType::Str, "Group of the file."),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: reads the file, decides, and reports the change it would make (with --diff, the new content) without writing.",
    returns: "msg: \"N replacements made\" or \"\", with \" and ownership, perms or SE linux context changed\" when attributes change too
rc: 0
backup_file: the backup's path, when one was made",
    examples: "- replace:
    path: /usr/local/hotdb/hotdb-server/conf/server.xml
    regexp: '(<property name=\"haState\">)master(</property>)'
    replace: '\\1backup\\2'
- replace:
    path: /etc/my.cnf
    after: '^\\[mysqld\\]'
    before: '^\\['
    regexp: '^port=\\d+$'
    replace: port=3307",
};

/// What a replacement made of the text.
#[derive(Debug, PartialEq)]
pub enum Replaced {
    /// `after`/`before` matched nothing (the combined pattern is given).
    NoRegion(String),
    /// The new text and how many matches were replaced (0: unchanged).
    Text(Vec<u8>, usize),
}

/// Ansible's replace over `contents`: the region `after`/`before` bound, then
/// `re.subn` with the Python replacement template.
pub fn replace_in(
    contents: &[u8],
    re: &Regex,
    replacement: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Replaced, String> {
    let pattern = match (
        after.filter(|a| !a.is_empty()),
        before.filter(|b| !b.is_empty()),
    ) {
        (Some(a), Some(b)) => Some(format!("{a}(?P<subsection>.*?){b}")),
        (Some(a), None) => Some(format!("{a}(?P<subsection>.*)")),
        (None, Some(b)) => Some(format!("(?P<subsection>.*){b}")),
        (None, None) => None,
    };
    let (start, end) = match &pattern {
        Some(p) => {
            let region = py_regex(p, false, true)?;
            match region.captures(contents).and_then(|c| c.name("subsection")) {
                Some(m) => (m.start(), m.end()),
                None => return Ok(Replaced::NoRegion(p.clone())),
            }
        }
        None => (0, contents.len()),
    };
    let section = &contents[start..end];
    let count = re.find_iter(section).count();
    let template = crate::plan::template::python_replacement(replacement);
    let new = re.replace_all(section, template.as_bytes());
    if count == 0 || new.as_ref() == section {
        return Ok(Replaced::Text(contents.to_vec(), 0));
    }
    let mut text = Vec::with_capacity(contents.len());
    text.extend_from_slice(&contents[..start]);
    text.extend_from_slice(&new);
    text.extend_from_slice(&contents[end..]);
    Ok(Replaced::Text(text, count))
}

#[async_trait]
impl Module for Replace {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let path = args.str("path").unwrap_or_default().to_string();
        let re = match py_regex(args.str("regexp").unwrap_or_default(), true, false) {
            Ok(r) => r,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let replacement = args.str("replace").unwrap_or_default();
        let (after, before) = (args.str("after"), args.str("before"));
        let headers = (format!("before: {path}"), format!("after: {path}"));
        let edit = InPlace::from_args(args, "backup_file", headers);
        let rc = |mut o: Outcome| {
            o.data.insert("rc".into(), Value::from(0));
            o
        };
        let o = edit_in_place(h, &edit, |before_text| {
            let Some(text) = before_text else {
                return Decision::Done(
                    Outcome::failed(format!("Path {path} does not exist !")).with("rc", 257),
                );
            };
            match replace_in(text, &re, replacement, after, before) {
                Ok(Replaced::NoRegion(p)) => Decision::Done(rc(Outcome::ok().msg(format!(
                    "Pattern for before/after params did not match the given file: {p}"
                )))),
                Ok(Replaced::Text(after, n)) => Decision::Content {
                    after,
                    msg: if n > 0 {
                        format!("{n} replacements made")
                    } else {
                        String::new()
                    },
                    data: VarMap::new(),
                },
                Err(e) => Decision::Done(Outcome::failed(e)),
            }
        })
        .await?;
        Ok(if o.failed { o } else { rc(o) })
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, tree_digest};
    use super::*;
    use serde_json::json;

    fn run(
        text: &str,
        re: &str,
        rep: &str,
        after: Option<&str>,
        before: Option<&str>,
    ) -> (String, usize) {
        let re = py_regex(re, true, false).expect("regex");
        match replace_in(text.as_bytes(), &re, rep, after, before).expect("replace") {
            Replaced::Text(t, n) => (String::from_utf8(t).expect("utf8"), n),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn multiline_and_backrefs() {
        assert_eq!(
            run(
                "port=1\n[x]\nport=2\n",
                "^port=(\\d+)$",
                "port=\\g<1>0",
                None,
                None
            ),
            ("port=10\n[x]\nport=20\n".into(), 2)
        );
        assert_eq!(
            run(
                "<a>master</a>",
                "(<a>)master(</a>)",
                "\\1backup\\2",
                None,
                None
            ),
            ("<a>backup</a>".into(), 1)
        );
        assert_eq!(
            run("k=v\n", "(?P<key>\\w+)=v", "\\g<key>=w $0", None, None),
            ("k=w $0\n".into(), 1)
        );
        // Removing, and no match at all.
        assert_eq!(
            run("a # x\nb\n", " #.*$", "", None, None),
            ("a\nb\n".into(), 1)
        );
        assert_eq!(run("a\n", "^z", "y", None, None), ("a\n".into(), 0));
        // Matches whose replacement is the same text change nothing.
        assert_eq!(run("a\n", "a", "a", None, None), ("a\n".into(), 0));
    }

    #[test]
    fn after_and_before_bound_the_region() {
        let text = "port=1\n[mysqld]\nport=2\n[client]\nport=3\n[mysqld]\nport=4\n";
        assert_eq!(
            run(text, "^port=\\d$", "port=9", Some("\\[mysqld\\]"), None).0,
            "port=1\n[mysqld]\nport=9\n[client]\nport=9\n[mysqld]\nport=9\n"
        );
        // The first `after`, then the nearest `before`.
        assert_eq!(
            run(
                text,
                "^port=\\d$",
                "port=9",
                Some("\\[mysqld\\]"),
                Some("\\[client\\]")
            )
            .0,
            "port=1\n[mysqld]\nport=9\n[client]\nport=3\n[mysqld]\nport=4\n"
        );
        // Only `before`: up to its last match.
        assert_eq!(
            run(text, "^port=\\d$", "port=9", None, Some("\\[mysqld\\]")).0,
            "port=9\n[mysqld]\nport=9\n[client]\nport=9\n[mysqld]\nport=4\n"
        );
        let re = py_regex("x", true, false).expect("regex");
        assert_eq!(
            replace_in(b"abc", &re, "y", Some("nothing"), None).expect("replace"),
            Replaced::NoRegion("nothing(?P<subsection>.*)".into())
        );
    }

    #[tokio::test]
    async fn real_file_check_mode_backup_and_messages() {
        let fx = Fixture::new();
        let p = fx.path("server.xml");
        std::fs::write(&p, "<p name=\"haState\">master</p>\n").expect("write");
        let args = json!({
            "path": p, "regexp": "(<p name=\"haState\">)master(</p>)",
            "replace": "\\1backup\\2", "backup": true,
        });
        let digest = tree_digest(&fx.target());
        let o = fx.run(&Replace, args.clone(), true, true).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.msg.as_deref(), Some("1 replacements made"));
        assert_eq!(o.diff[0].after, "<p name=\"haState\">backup</p>\n");
        assert_eq!(digest, tree_digest(&fx.target()));
        let o = fx.run(&Replace, args.clone(), false, false).await;
        assert!(o.changed);
        assert_eq!(o.data["rc"], 0);
        assert_eq!(
            std::fs::read_to_string(&p).expect("read"),
            "<p name=\"haState\">backup</p>\n"
        );
        let b = o.data["backup_file"]
            .as_str()
            .expect("backup_file")
            .to_string();
        assert_eq!(
            std::fs::read_to_string(&b).expect("backup"),
            "<p name=\"haState\">master</p>\n"
        );
        let o = fx.run(&Replace, args, false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
        assert_eq!(o.msg.as_deref(), Some(""));
        let o = fx
            .run(
                &Replace,
                json!({"path": p, "regexp": "x", "after": "zzz"}),
                false,
                false,
            )
            .await;
        assert!(!o.changed && !o.failed);
        assert_eq!(
            o.msg.as_deref(),
            Some(
                "Pattern for before/after params did not match the given file: zzz(?P<subsection>.*)"
            )
        );
        let missing = fx.path("none");
        let o = fx
            .run(
                &Replace,
                json!({"path": missing, "regexp": "x"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
        assert_eq!(o.msg, Some(format!("Path {missing} does not exist !")));
        assert_eq!(o.data["rc"], 257);
        let o = fx
            .run(
                &Replace,
                json!({"path": p, "regexp": "(?<=a)b"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
    }
}
