//! blockinfile: a block of lines between two marker lines, inserted, updated or
//! removed with Ansible's exact rules.

use super::lineinfile::{
    Decision, InPlace, edit_in_place, mutually_exclusive, py_regex, sets_multiline, without_nl,
};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome, VarMap,
};
use async_trait::async_trait;

pub struct BlockInFile;

static DOC: ModuleDoc = ModuleDoc {
    name: "blockinfile",
    short: "Manage a block of lines between marker lines",
    description: "Inserts, updates or removes the lines between two marker lines (`# BEGIN ANSIBLE MANAGED BLOCK` and `# END ANSIBLE MANAGED BLOCK` unless `marker`, `marker_begin` and `marker_end` say otherwise). An existing block is replaced where it is; a new block goes after the last line `insertafter` matches, before the last line `insertbefore` matches (BOF: the top), or at the end of the file. A pattern starting with (?m) is searched in the whole file instead of line by line. An empty `block` (or state=absent) removes the block and its markers. The markers must be whole lines; links are followed.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file to edit.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("state", ArgType::Str, "Whether the block should be there or not.")
            .choices(&["absent", "present"])
            .default("present"),
        ArgSpec::new(
            "block",
            ArgType::Str,
            "The text between the markers; empty removes the block.",
        )
        .aliases(&["content"])
        .default(""),
        ArgSpec::new(
            "marker",
            ArgType::Str,
            "The marker line; {mark} becomes marker_begin or marker_end.",
        )
        .default("# {mark} ANSIBLE MANAGED BLOCK"),
        ArgSpec::new("marker_begin", ArgType::Str, "{mark} in the first marker.").default("BEGIN"),
        ArgSpec::new("marker_end", ArgType::Str, "{mark} in the last marker.").default("END"),
        ArgSpec::new(
            "insertafter",
            ArgType::Str,
            "EOF or a regular expression: a new block goes after its last match (default EOF).",
        ),
        ArgSpec::new(
            "insertbefore",
            ArgType::Str,
            "BOF or a regular expression: a new block goes before its last match.",
        ),
        ArgSpec::new(
            "create",
            ArgType::Bool,
            "Create the file (and its directory) when it is missing.",
        )
        .default("no"),
        ArgSpec::new(
            "backup",
            ArgType::Bool,
            "Keep a copy of the old file as PATH.<pid>.<date>~.",
        )
        .default("no"),
        ArgSpec::new(
            "append_newline",
            ArgType::Bool,
            "Put an empty line after the block unless one is there or it ends the file.",
        )
        .default("no"),
        ArgSpec::new(
            "prepend_newline",
            ArgType::Bool,
            "Put an empty line before the block unless one is there or it starts the file.",
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
    returns: "msg: \"Block inserted\" (new or replaced), \"Block removed\", \"File created\", or \"\" for no change, with \" and ownership, perms or SE linux context changed\" when attributes change too
backup_file: the backup's path, when one was made",
    examples: "- blockinfile:
    path: /etc/hosts
    block: |
      10.89.0.11 hotdb-master
      10.89.0.12 hotdb-backup
- blockinfile:
    path: /etc/my.cnf
    marker: '# {mark} HOTDB'
    insertafter: '^\\[mysqld\\]'
    block: |
      lower_case_table_names=1
- blockinfile: path=/etc/hosts marker='# {mark} HOTDB' state=absent",
};

/// Python's `bytes.splitlines(keepends=True)`: lines end at `\n`, `\r\n` or `\r`.
fn splitlines(text: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let end = match text[i] {
            b'\n' => Some(i + 1),
            b'\r' if text.get(i + 1) == Some(&b'\n') => Some(i + 2),
            b'\r' => Some(i + 1),
            _ => None,
        };
        match end {
            Some(e) => {
                lines.push(text[start..e].to_vec());
                start = e;
                i = e;
            }
            None => i += 1,
        }
    }
    if start < text.len() {
        lines.push(text[start..].to_vec());
    }
    lines
}

/// What blockinfile puts between (and as) the markers.
pub struct BlockSpec {
    /// The marker lines, newline included.
    pub begin: Vec<u8>,
    pub end: Vec<u8>,
    pub block: Vec<u8>,
    pub present: bool,
    /// After the defaulting: EOF when neither insertafter nor insertbefore is given.
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
    pub append_newline: bool,
    pub prepend_newline: bool,
}

impl BlockSpec {
    /// The new content and Ansible's message ("" when nothing changes).
    pub fn apply(&self, original: Option<&[u8]>) -> Result<(Vec<u8>, &'static str), String> {
        let mut lines = original.map(splitlines).unwrap_or_default();
        let (ia, ib) = (self.insertafter.as_deref(), self.insertbefore.as_deref());
        let blocklines: Vec<Vec<u8>> = if self.present && !self.block.is_empty() {
            let mut block = self.block.clone();
            if !block.ends_with(b"\n") {
                block.push(b'\n');
            }
            std::iter::once(self.begin.clone())
                .chain(splitlines(&block))
                .chain(std::iter::once(self.end.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let (mut n0, mut n1) = (None, None);
        for (i, l) in lines.iter().enumerate() {
            if *l == self.begin {
                n0 = Some(i);
            }
            if *l == self.end {
                n1 = Some(i);
            }
        }
        let mut at = match (n0, n1) {
            (Some(b), Some(e)) if b < e => {
                lines.drain(b..=e);
                b
            }
            (Some(b), Some(e)) => {
                lines.drain(e..=b);
                e
            }
            _ => {
                // Ansible compiles insertafter=BOF as a pattern too; only insertbefore has BOF.
                let pattern = match (ia, ib) {
                    (Some(a), _) if a != "EOF" => Some(a),
                    (_, Some(b)) if b != "BOF" => Some(b),
                    _ => None,
                };
                match pattern {
                    Some(p) => {
                        let re = py_regex(p, false, false)?;
                        let mut n = None;
                        if sets_multiline(p) {
                            if let Some(text) = original
                                && let Some(m) = re.find(text)
                            {
                                let upto = if ia.is_some() { m.end() } else { m.start() };
                                n = Some(text[..upto].iter().filter(|b| **b == b'\n').count());
                            }
                        } else {
                            for (i, l) in lines.iter().enumerate() {
                                if re.is_match(without_nl(l)) {
                                    n = Some(i);
                                }
                            }
                        }
                        match n {
                            None => lines.len(),
                            Some(k) if ia.is_some() => k + 1,
                            Some(k) => k,
                        }
                    }
                    None if ib.is_some() => 0,
                    None => lines.len(),
                }
            }
        };
        at = at.min(lines.len());
        // The line before the block must end.
        if at > 0 && !lines[at - 1].ends_with(b"\n") {
            lines[at - 1].push(b'\n');
        }
        if self.prepend_newline && self.present && at != 0 && lines[at - 1] != b"\n" {
            lines.insert(at, b"\n".to_vec());
            at += 1;
        }
        let count = blocklines.len();
        lines.splice(at..at, blocklines);
        if self.append_newline && self.present {
            let after = at + count;
            if after < lines.len() && lines[after] != b"\n" {
                lines.insert(after, b"\n".to_vec());
            }
        }
        let result = lines.concat();
        let msg = if original == Some(result.as_slice()) {
            ""
        } else if original.is_none() {
            "File created"
        } else if count == 0 {
            "Block removed"
        } else {
            "Block inserted"
        };
        Ok((result, msg))
    }
}

#[async_trait]
impl Module for BlockInFile {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        if let Some(msg) = mutually_exclusive(args, &[&["insertbefore", "insertafter"]]) {
            return Ok(Outcome::failed(msg));
        }
        let path = args.str("path").unwrap_or_default().to_string();
        let marker = args
            .str("marker")
            .unwrap_or("# {mark} ANSIBLE MANAGED BLOCK");
        let mark = |word: &str| format!("{}\n", marker.replace("{mark}", word)).into_bytes();
        let (mut ia, ib) = (args.string("insertafter"), args.string("insertbefore"));
        if ia.is_none() && ib.is_none() {
            ia = Some("EOF".into());
        }
        let spec = BlockSpec {
            begin: mark(args.str("marker_begin").unwrap_or("BEGIN")),
            end: mark(args.str("marker_end").unwrap_or("END")),
            block: args.str("block").unwrap_or_default().as_bytes().to_vec(),
            present: args.str("state") != Some("absent"),
            insertafter: ia,
            insertbefore: ib,
            append_newline: args.bool("append_newline"),
            prepend_newline: args.bool("prepend_newline"),
        };
        let headers = (
            format!("before: {path} (content)"),
            format!("after: {path} (content)"),
        );
        let edit = InPlace::from_args(args, "backup_file", headers);
        edit_in_place(h, &edit, |before| {
            if before.is_none() && !edit.create {
                return Decision::Done(
                    Outcome::failed(format!("Path {path} does not exist !")).with("rc", 257),
                );
            }
            if before.is_none() && !spec.present {
                return Decision::Done(Outcome::ok().msg(format!("File {path} not present")));
            }
            match spec.apply(before) {
                Ok((after, msg)) => Decision::Content {
                    after,
                    msg: msg.to_string(),
                    data: VarMap::new(),
                },
                Err(e) => Decision::Done(Outcome::failed(e)),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, tree_digest};
    use super::*;
    use serde_json::json;

    fn spec(block: &str) -> BlockSpec {
        BlockSpec {
            begin: b"# BEGIN X\n".to_vec(),
            end: b"# END X\n".to_vec(),
            block: block.as_bytes().to_vec(),
            present: true,
            insertafter: Some("EOF".into()),
            insertbefore: None,
            append_newline: false,
            prepend_newline: false,
        }
    }

    fn apply(s: &BlockSpec, text: Option<&str>) -> (String, &'static str) {
        let (out, msg) = s.apply(text.map(str::as_bytes)).expect("apply");
        (String::from_utf8(out).expect("utf8"), msg)
    }

    #[test]
    fn inserts_replaces_in_place_and_removes() {
        let (t, m) = apply(&spec("a\nb\n"), Some("top\n"));
        assert_eq!(
            (t.as_str(), m),
            ("top\n# BEGIN X\na\nb\n# END X\n", "Block inserted")
        );
        let (t2, m2) = apply(&spec("c"), Some(&format!("{t}tail\n")));
        assert_eq!(
            (t2.as_str(), m2),
            ("top\n# BEGIN X\nc\n# END X\ntail\n", "Block inserted")
        );
        assert_eq!(apply(&spec("c"), Some(&t2)).1, "");
        let (t3, m3) = apply(&spec(""), Some(&t2));
        assert_eq!((t3.as_str(), m3), ("top\ntail\n", "Block removed"));
        let mut gone = spec("c");
        gone.present = false;
        assert_eq!(apply(&gone, Some(&t2)).0, "top\ntail\n");
        // Nothing to remove: no change, except that the last line gets its newline (as Ansible).
        assert_eq!(apply(&gone, Some("top\n")), ("top\n".into(), ""));
        assert_eq!(apply(&gone, Some("top")), ("top\n".into(), "Block removed"));
    }

    #[test]
    fn markers_in_the_wrong_order_and_only_one_marker() {
        let s = spec("new");
        assert_eq!(
            apply(&s, Some("a\n# END X\nold\n# BEGIN X\nb\n")).0,
            "a\n# BEGIN X\nnew\n# END X\nb\n"
        );
        // A lone marker is no block: a new one goes at the end.
        assert_eq!(
            apply(&s, Some("# BEGIN X\nb\n")).0,
            "# BEGIN X\nb\n# BEGIN X\nnew\n# END X\n"
        );
    }

    #[test]
    fn where_a_new_block_goes() {
        let text = "[a]\nx=1\n[b]\ny=1\n";
        let mut s = spec("z=1");
        s.insertafter = Some("^\\[".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            "[a]\nx=1\n[b]\n# BEGIN X\nz=1\n# END X\ny=1\n"
        );
        s.insertafter = None;
        s.insertbefore = Some("^\\[".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            "[a]\nx=1\n# BEGIN X\nz=1\n# END X\n[b]\ny=1\n"
        );
        s.insertbefore = Some("BOF".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            format!("# BEGIN X\nz=1\n# END X\n{text}")
        );
        s.insertbefore = Some("^nomatch".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            format!("{text}# BEGIN X\nz=1\n# END X\n")
        );
        // (?m): searched in the whole text, so it may span lines.
        s.insertbefore = None;
        s.insertafter = Some("(?m)^x=1\\n\\[b\\]$".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            "[a]\nx=1\n[b]\n# BEGIN X\nz=1\n# END X\ny=1\n"
        );
        s.insertafter = None;
        s.insertbefore = Some("(?m)^y".into());
        assert_eq!(
            apply(&s, Some(text)).0,
            "[a]\nx=1\n[b]\n# BEGIN X\nz=1\n# END X\ny=1\n"
        );
        // The file's last line is ended before the block.
        s.insertbefore = None;
        s.insertafter = Some("EOF".into());
        assert_eq!(apply(&s, Some("a")).0, "a\n# BEGIN X\nz=1\n# END X\n");
    }

    #[test]
    fn blank_lines_around_and_new_files() {
        let mut s = spec("z");
        s.prepend_newline = true;
        s.append_newline = true;
        s.insertbefore = Some("^b".into());
        s.insertafter = None;
        assert_eq!(
            apply(&s, Some("a\nb\n")).0,
            "a\n\n# BEGIN X\nz\n# END X\n\nb\n"
        );
        // Not twice, and not at the edges of the file.
        assert_eq!(
            apply(&s, Some("a\n\n\nb\n")).0,
            "a\n\n\n# BEGIN X\nz\n# END X\n\nb\n"
        );
        s.insertbefore = Some("BOF".into());
        assert_eq!(apply(&s, Some("")).0, "# BEGIN X\nz\n# END X\n");
        assert_eq!(
            apply(&spec("z"), None),
            ("# BEGIN X\nz\n# END X\n".into(), "File created")
        );
        assert_eq!(apply(&spec(""), None), (String::new(), "File created"));
        // CRLF lines are kept as they are; the block is written with \n.
        assert_eq!(
            apply(&spec("z"), Some("a\r\nb\r\n")).0,
            "a\r\nb\r\n# BEGIN X\nz\n# END X\n"
        );
    }

    #[tokio::test]
    async fn real_file_with_custom_markers_check_mode_and_backup() {
        let fx = Fixture::new();
        let p = fx.path("hosts");
        std::fs::write(&p, "127.0.0.1 localhost\n").expect("write");
        let args = json!({
            "path": p, "marker": "## {mark} hotdb", "marker_begin": "start", "marker_end": "stop",
            "block": "10.0.0.1 master\n10.0.0.2 backup\n", "backup": true,
        });
        let before = tree_digest(&fx.target());
        let o = fx.run(&BlockInFile, args.clone(), true, true).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.msg.as_deref(), Some("Block inserted"));
        assert!(
            o.diff[0]
                .after
                .contains("## start hotdb\n10.0.0.1 master\n")
        );
        assert_eq!(before, tree_digest(&fx.target()));
        let o = fx.run(&BlockInFile, args.clone(), false, false).await;
        assert!(o.changed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(&p).expect("read"),
            "127.0.0.1 localhost\n## start hotdb\n10.0.0.1 master\n10.0.0.2 backup\n## stop hotdb\n"
        );
        let b = o.data["backup_file"]
            .as_str()
            .expect("backup_file")
            .to_string();
        assert_eq!(
            std::fs::read_to_string(&b).expect("backup"),
            "127.0.0.1 localhost\n"
        );
        std::fs::remove_file(&b).expect("rm");
        let o = fx.run(&BlockInFile, args, false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
        assert!(!o.data.contains_key("backup_file"));
    }

    #[tokio::test]
    async fn missing_files() {
        let fx = Fixture::new();
        let p = fx.path("sub/new");
        let o = fx
            .run(&BlockInFile, json!({"path": p, "block": "x"}), false, false)
            .await;
        assert_eq!(o.msg, Some(format!("Path {p} does not exist !")));
        let o = fx
            .run(
                &BlockInFile,
                json!({"path": p, "state": "absent", "create": true}),
                false,
                false,
            )
            .await;
        assert!(!o.changed && !o.failed);
        assert_eq!(o.msg, Some(format!("File {p} not present")));
        let o = fx
            .run(
                &BlockInFile,
                json!({"path": p, "block": "x", "create": true}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.msg.as_deref(), Some("File created"));
        assert_eq!(
            std::fs::read_to_string(&p).expect("read"),
            "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n"
        );
    }
}
