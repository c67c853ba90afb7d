//! replace: replace every match of a regular expression in a file.

use super::remote_file::{EditOptions, edit_file};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use regex::Regex;

pub struct Replace;

static DOC: ModuleDoc = ModuleDoc {
    name: "replace",
    short: "Replace all matches of a regexp in a file",
    description: "Replaces every match of `regexp` (multiline: ^ and $ match at line ends, as Python's re.MULTILINE) with `replace` (\\1 and \\g<name> backrefs), optionally only between the first match of `after` and the last of `before`.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("regexp", ArgType::Str, "What to replace.").required(),
        ArgSpec::new("replace", ArgType::Str, "The replacement.").default(""),
        ArgSpec::new(
            "after",
            ArgType::Str,
            "Only after the first match of this regexp.",
        ),
        ArgSpec::new(
            "before",
            ArgType::Str,
            "Only before the last match of this regexp.",
        ),
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
    check_mode: "Full: reads the file and reports the change it would make.",
    returns: "msg (\"N replacements made\"), backup_file",
    examples: "- replace:\n    path: /usr/local/hotdb/hotdb-server/conf/server.xml\n    regexp: '(<property name=\"haState\">)master(</property>)'\n    replace: '\\1backup\\2'",
};

pub fn apply(
    text: &str,
    re: &Regex,
    rep: &str,
    after: Option<&Regex>,
    before: Option<&Regex>,
) -> (String, usize) {
    let start = after
        .and_then(|a| a.find(text))
        .map(|m| m.end())
        .unwrap_or(0);
    let end = before
        .and_then(|b| b.find_iter(text).last())
        .map(|m| m.start())
        .unwrap_or(text.len())
        .max(start);
    let region = &text[start..end];
    let n = re.find_iter(region).count();
    let replaced = re.replace_all(
        region,
        crate::plan::template::python_replacement(rep).as_str(),
    );
    (format!("{}{}{}", &text[..start], replaced, &text[end..]), n)
}

#[async_trait]
impl Module for Replace {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let compile = |k: &str| -> Result<Option<Regex>, String> {
            args.str(k)
                .map(|p| {
                    regex::RegexBuilder::new(p)
                        .multi_line(true)
                        .build()
                        .map_err(|e| format!("bad {k}: {e}"))
                })
                .transpose()
        };
        let (re, after, before) = match (compile("regexp"), compile("after"), compile("before")) {
            (Ok(Some(r)), Ok(a), Ok(b)) => (r, a, b),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Ok(Outcome::failed(e)),
            _ => return Ok(Outcome::failed("regexp is required")),
        };
        let rep = args.string("replace").unwrap_or_default();
        let opts = EditOptions::from_args(args);
        let path = args.string("path").unwrap_or_default();
        edit_file(h, &path, &opts, |text| {
            let (new, n) = apply(text, &re, &rep, after.as_ref(), before.as_ref());
            Ok((
                new,
                if n > 0 {
                    format!("{n} replacements made")
                } else {
                    String::new()
                },
            ))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_with_backrefs_in_region() {
        let re = regex::RegexBuilder::new("^port=(\\d+)$")
            .multi_line(true)
            .build()
            .unwrap();
        let (t, n) = apply("port=1\n[x]\nport=2\n", &re, "port=\\g<1>0", None, None);
        assert_eq!((t.as_str(), n), ("port=10\n[x]\nport=20\n", 2));
        let after = Regex::new("\\[x\\]").unwrap();
        let (t, n) = apply("port=1\n[x]\nport=2\n", &re, "port=9", Some(&after), None);
        assert_eq!((t.as_str(), n), ("port=1\n[x]\nport=9\n", 1));
    }
}
