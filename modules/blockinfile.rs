//! blockinfile: a block of lines between marker lines.

use super::remote_file::{EditOptions, edit_file};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use regex::Regex;

pub struct BlockInFile;

static DOC: ModuleDoc = ModuleDoc {
    name: "blockinfile",
    short: "Manage a block of lines between markers",
    description: "Inserts, updates or removes the lines between `# BEGIN ANSIBLE MANAGED BLOCK` and `# END ANSIBLE MANAGED BLOCK` (the marker is configurable). A new block goes after `insertafter` / before `insertbefore` (default: end of file).",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("block", ArgType::Str, "The lines; empty removes the block.")
            .aliases(&["content"])
            .default(""),
        ArgSpec::new(
            "marker",
            ArgType::Str,
            "Marker line; {mark} becomes marker_begin/marker_end.",
        )
        .default("# {mark} ANSIBLE MANAGED BLOCK"),
        ArgSpec::new("marker_begin", ArgType::Str, "Begin word.").default("BEGIN"),
        ArgSpec::new("marker_end", ArgType::Str, "End word.").default("END"),
        ArgSpec::new("state", ArgType::Str, "present or absent.")
            .choices(&["present", "absent"])
            .default("present"),
        ArgSpec::new("insertafter", ArgType::Str, "EOF or a regexp."),
        ArgSpec::new("insertbefore", ArgType::Str, "BOF or a regexp."),
        ArgSpec::new("create", ArgType::Bool, "Create the file when missing.").default("no"),
        ArgSpec::new("backup", ArgType::Bool, "Keep the old file.").default("no"),
        ArgSpec::new(
            "append_newline",
            ArgType::Bool,
            "Add an empty line after a new block.",
        )
        .default("no"),
        ArgSpec::new(
            "prepend_newline",
            ArgType::Bool,
            "Add an empty line before a new block.",
        )
        .default("no"),
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
    returns: "msg, backup_file",
    examples: "- blockinfile:\n    path: /etc/hosts\n    block: |\n      10.89.0.11 hotdb-master\n      10.89.0.12 hotdb-backup",
};

pub struct BlockEdit<'a> {
    pub begin: String,
    pub end: String,
    pub block: &'a str,
    pub present: bool,
    pub insertafter: Option<&'a str>,
    pub insertbefore: Option<&'a str>,
    pub append_newline: bool,
    pub prepend_newline: bool,
}

impl BlockEdit<'_> {
    pub fn apply(&self, text: &str) -> Result<(String, String), String> {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let b = lines.iter().position(|l| *l == self.begin);
        let e = lines.iter().position(|l| *l == self.end);
        let mut block: Vec<String> = Vec::new();
        if self.present && !self.block.is_empty() {
            block.push(self.begin.clone());
            block.extend(
                self.block
                    .trim_end_matches('\n')
                    .lines()
                    .map(str::to_string),
            );
            block.push(self.end.clone());
        }
        let msg = match (b, e) {
            (Some(b), Some(e)) if b <= e => {
                let old: Vec<String> = lines[b..=e].to_vec();
                if old == block {
                    return Ok((text.to_string(), String::new()));
                }
                lines.splice(b..=e, block.clone());
                if block.is_empty() {
                    "Block removed"
                } else {
                    "Block replaced"
                }
            }
            _ => {
                if block.is_empty() {
                    return Ok((text.to_string(), String::new()));
                }
                let find = |p: &str| -> Result<Option<usize>, String> {
                    let re =
                        Regex::new(p).map_err(|x| format!("bad regular expression `{p}`: {x}"))?;
                    Ok(lines.iter().rposition(|l| re.is_match(l)))
                };
                let at = match (self.insertafter, self.insertbefore) {
                    (_, Some("BOF")) => 0,
                    (_, Some(p)) => find(p)?.unwrap_or(lines.len()),
                    (Some("EOF") | None, None) => lines.len(),
                    (Some(p), None) => find(p)?.map(|i| i + 1).unwrap_or(lines.len()),
                };
                let mut insert = block.clone();
                if self.prepend_newline && at > 0 {
                    insert.insert(0, String::new());
                }
                if self.append_newline && at < lines.len() {
                    insert.push(String::new());
                }
                lines.splice(at..at, insert);
                "Block inserted"
            }
        };
        let out = if lines.is_empty() {
            String::new()
        } else {
            format!("{}\n", lines.join("\n"))
        };
        Ok((out, msg.into()))
    }
}

#[async_trait]
impl Module for BlockInFile {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let marker = args.string("marker").unwrap_or_default();
        let edit = BlockEdit {
            begin: marker.replace("{mark}", args.str("marker_begin").unwrap_or("BEGIN")),
            end: marker.replace("{mark}", args.str("marker_end").unwrap_or("END")),
            block: args.str("block").unwrap_or_default(),
            present: args.str("state") != Some("absent"),
            insertafter: args.str("insertafter"),
            insertbefore: args.str("insertbefore"),
            append_newline: args.bool("append_newline"),
            prepend_newline: args.bool("prepend_newline"),
        };
        let opts = EditOptions::from_args(args);
        let path = args.string("path").unwrap_or_default();
        edit_file(h, &path, &opts, |text| edit.apply(text)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(block: &str, present: bool) -> BlockEdit<'_> {
        BlockEdit {
            begin: "# BEGIN X".into(),
            end: "# END X".into(),
            block,
            present,
            insertafter: None,
            insertbefore: None,
            append_newline: false,
            prepend_newline: false,
        }
    }

    #[test]
    fn insert_replace_remove() {
        let (t, m) = edit("a\nb\n", true).apply("top\n").unwrap();
        assert_eq!(
            (t.as_str(), m.as_str()),
            ("top\n# BEGIN X\na\nb\n# END X\n", "Block inserted")
        );
        let (t2, m2) = edit("c", true).apply(&t).unwrap();
        assert_eq!(
            (t2.as_str(), m2.as_str()),
            ("top\n# BEGIN X\nc\n# END X\n", "Block replaced")
        );
        assert_eq!(edit("c", true).apply(&t2).unwrap().1, "");
        let (t3, m3) = edit("c", false).apply(&t2).unwrap();
        assert_eq!((t3.as_str(), m3.as_str()), ("top\n", "Block removed"));
        let mut before = edit("x", true);
        before.insertbefore = Some("BOF");
        assert_eq!(
            before.apply("top\n").unwrap().0,
            "# BEGIN X\nx\n# END X\ntop\n"
        );
    }
}
