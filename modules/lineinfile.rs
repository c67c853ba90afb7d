//! lineinfile: make sure a line is (or is not) in a file.

use super::remote_file::{EditOptions, edit_file};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use regex::Regex;

pub struct LineInFile;

static DOC: ModuleDoc = ModuleDoc {
    name: "lineinfile",
    short: "Manage one line in a text file",
    description: "Replaces the last line matching `regexp` (or `search_string`) with `line`, or adds `line` (after `insertafter`/before `insertbefore`, default the end) when nothing matches and it is not there yet; with state=absent removes every matching line. Python regular expression semantics; backrefs with \\1.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("line", ArgType::Str, "The line.").aliases(&["value"]),
        ArgSpec::new("regexp", ArgType::Str, "Lines to replace or remove.").aliases(&["regex"]),
        ArgSpec::new(
            "search_string",
            ArgType::Str,
            "A literal string instead of regexp.",
        ),
        ArgSpec::new("state", ArgType::Str, "present or absent.")
            .choices(&["present", "absent"])
            .default("present"),
        ArgSpec::new(
            "insertafter",
            ArgType::Str,
            "EOF or a regexp: insert after its last match.",
        ),
        ArgSpec::new(
            "insertbefore",
            ArgType::Str,
            "BOF or a regexp: insert before its last match.",
        ),
        ArgSpec::new(
            "firstmatch",
            ArgType::Bool,
            "Use the first match of insertafter/insertbefore/regexp.",
        )
        .default("no"),
        ArgSpec::new(
            "backrefs",
            ArgType::Bool,
            "Expand \\1 in line from regexp; never add a line.",
        )
        .default("no"),
        ArgSpec::new("create", ArgType::Bool, "Create the file when missing.").default("no"),
        ArgSpec::new("backup", ArgType::Bool, "Keep the old file.").default("no"),
        ArgSpec::new("mode", ArgType::Mode, "Mode."),
        ArgSpec::new("owner", ArgType::Str, "Owner."),
        ArgSpec::new("group", ArgType::Str, "Group."),
        ArgSpec::new(
            "validate",
            ArgType::Str,
            "Command run on the new file (%s) first.",
        ),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: reads the file and reports the change it would make (with --diff, the diff).",
    returns: "msg, backup_file",
    examples: "- lineinfile:\n    path: /usr/local/hotdb/hotdb-server/bin/hotdb_server\n    regexp: '^JAVA_BIN='\n    line: 'JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java'",
};

pub struct LineEdit<'a> {
    pub line: Option<&'a str>,
    pub regexp: Option<Regex>,
    pub search: Option<&'a str>,
    pub present: bool,
    pub insertafter: Option<&'a str>,
    pub insertbefore: Option<&'a str>,
    pub firstmatch: bool,
    pub backrefs: bool,
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn join_lines(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("{}\n", lines.join("\n"))
    }
}

/// Python's `\1`/`\g<1>` expansion for backrefs.
fn expand(caps: &regex::Captures, template: &str) -> String {
    let re = Regex::new(r"\\(\d+)|\\g<(\w+)>").expect("static regex");
    re.replace_all(template, |c: &regex::Captures| {
        let g = c
            .get(1)
            .or(c.get(2))
            .map(|m| m.as_str())
            .unwrap_or_default();
        match g.parse::<usize>() {
            Ok(n) => caps
                .get(n)
                .map(|m| m.as_str())
                .unwrap_or_default()
                .to_string(),
            Err(_) => caps
                .name(g)
                .map(|m| m.as_str())
                .unwrap_or_default()
                .to_string(),
        }
    })
    .into_owned()
}

impl LineEdit<'_> {
    fn matches(&self, l: &str) -> bool {
        match (&self.regexp, self.search) {
            (Some(re), _) => re.is_match(l),
            (None, Some(s)) => l.contains(s),
            (None, None) => Some(l) == self.line,
        }
    }

    /// The new text and Ansible's message.
    pub fn apply(&self, text: &str) -> Result<(String, String), String> {
        let mut lines = split_lines(text);
        let found: Vec<usize> = (0..lines.len())
            .filter(|i| self.matches(&lines[*i]))
            .collect();
        if !self.present {
            let n = found.len();
            lines = lines
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !found.contains(i))
                .map(|(_, l)| l)
                .collect();
            return Ok((
                join_lines(&lines),
                if n > 0 {
                    format!("{n} line(s) removed")
                } else {
                    String::new()
                },
            ));
        }
        let line = self.line.ok_or("line is required with state=present")?;
        if let Some(&at) = if self.firstmatch {
            found.first()
        } else {
            found.last()
        } {
            let new = match (&self.regexp, self.backrefs) {
                (Some(re), true) => re
                    .captures(&lines[at])
                    .map(|c| expand(&c, line))
                    .unwrap_or_else(|| line.to_string()),
                _ => line.to_string(),
            };
            if lines[at] == new {
                return Ok((text.to_string(), String::new()));
            }
            lines[at] = new;
            return Ok((join_lines(&lines), "line replaced".into()));
        }
        if self.backrefs {
            return Ok((text.to_string(), String::new()));
        }
        if lines.iter().any(|l| l == line) {
            return Ok((text.to_string(), String::new()));
        }
        let pick = |pattern: &str| -> Result<Option<usize>, String> {
            let re = Regex::new(pattern)
                .map_err(|e| format!("bad regular expression `{pattern}`: {e}"))?;
            let hits: Vec<usize> = (0..lines.len())
                .filter(|i| re.is_match(&lines[*i]))
                .collect();
            Ok(if self.firstmatch {
                hits.first().copied()
            } else {
                hits.last().copied()
            })
        };
        let at = match (self.insertafter, self.insertbefore) {
            (_, Some("BOF")) => 0,
            (_, Some(p)) => pick(p)?.unwrap_or(lines.len()),
            (Some("EOF") | None, None) => lines.len(),
            (Some(p), None) => pick(p)?.map(|i| i + 1).unwrap_or(lines.len()),
        };
        lines.insert(at, line.to_string());
        Ok((join_lines(&lines), "line added".into()))
    }
}

#[async_trait]
impl Module for LineInFile {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let regexp = match args.str("regexp").map(Regex::new).transpose() {
            Ok(r) => r,
            Err(e) => return Ok(Outcome::failed(format!("bad regexp: {e}"))),
        };
        if args.bool("backrefs") && regexp.is_none() {
            return Ok(Outcome::failed("regexp is required with backrefs = true"));
        }
        let edit = LineEdit {
            line: args.str("line"),
            regexp,
            search: args.str("search_string"),
            present: args.str("state") != Some("absent"),
            insertafter: args.str("insertafter"),
            insertbefore: args.str("insertbefore"),
            firstmatch: args.bool("firstmatch"),
            backrefs: args.bool("backrefs"),
        };
        if edit.present && edit.line.is_none() {
            return Ok(Outcome::failed("line is required with state=present"));
        }
        if !edit.present && edit.line.is_none() && edit.regexp.is_none() && edit.search.is_none() {
            return Ok(Outcome::failed(
                "one of line, search_string, or regexp is required with state=absent",
            ));
        }
        let opts = EditOptions::from_args(args);
        let path = args.string("path").unwrap_or_default();
        edit_file(h, &path, &opts, |text| edit.apply(text)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit<'a>(line: Option<&'a str>, regexp: Option<&str>) -> LineEdit<'a> {
        LineEdit {
            line,
            regexp: regexp.map(|r| Regex::new(r).unwrap()),
            search: None,
            present: true,
            insertafter: None,
            insertbefore: None,
            firstmatch: false,
            backrefs: false,
        }
    }

    #[test]
    fn replaces_last_match_or_adds() {
        let e = edit(Some("JAVA_BIN=/new"), Some("^JAVA_BIN="));
        assert_eq!(
            e.apply("a\nJAVA_BIN=/x\nJAVA_BIN=/y\n").unwrap(),
            (
                "a\nJAVA_BIN=/x\nJAVA_BIN=/new\n".into(),
                "line replaced".into()
            )
        );
        assert_eq!(
            e.apply("a\n").unwrap(),
            ("a\nJAVA_BIN=/new\n".into(), "line added".into())
        );
        assert_eq!(e.apply("JAVA_BIN=/new\n").unwrap().1, "");
        let mut first = edit(Some("X=1"), Some("^X="));
        first.firstmatch = true;
        assert_eq!(first.apply("X=0\nX=2\n").unwrap().0, "X=1\nX=2\n");
    }

    #[test]
    fn inserts_where_asked() {
        let mut e = edit(Some("new"), None);
        e.insertafter = Some("^\\[mysqld\\]");
        assert_eq!(
            e.apply("[client]\n[mysqld]\nport=1\n").unwrap().0,
            "[client]\n[mysqld]\nnew\nport=1\n"
        );
        e.insertafter = None;
        e.insertbefore = Some("BOF");
        assert_eq!(e.apply("a\n").unwrap().0, "new\na\n");
        e.insertbefore = Some("^nomatch");
        assert_eq!(e.apply("a\n").unwrap().0, "a\nnew\n");
    }

    #[test]
    fn backrefs_and_absent() {
        let mut e = edit(
            Some("JAVA_OPTS=\"\\1 -Xmx8G\""),
            Some("^JAVA_OPTS=\"(.*) -Xmx4G\""),
        );
        e.backrefs = true;
        assert_eq!(
            e.apply("JAVA_OPTS=\"-server -Xmx4G\"\n").unwrap().0,
            "JAVA_OPTS=\"-server -Xmx8G\"\n"
        );
        assert_eq!(
            e.apply("other\n").unwrap(),
            ("other\n".into(), String::new())
        );
        let mut a = edit(None, Some("^#"));
        a.present = false;
        assert_eq!(
            a.apply("#a\nb\n#c\n").unwrap(),
            ("b\n".into(), "2 line(s) removed".into())
        );
    }
}
