//! lineinfile: make sure a line is (or is not) in a text file, with Ansible's exact
//! rules. Also home of what the three in-place text editors (lineinfile, blockinfile,
//! replace) share: Python regular expressions read by the regex crate, and the edit
//! itself (one round trip to read and decide, one to write).

use super::remote_file::{
    Algorithm, Kind, NewContent, Probe, WriteOptions, apply_attrs, attr_commands, parse_mode_umask,
    query_with, write_decided,
};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome, VarMap,
};
use async_trait::async_trait;
use regex::bytes::{Regex, RegexBuilder};
use serde_json::Value;

pub struct LineInFile;

static DOC: ModuleDoc = ModuleDoc {
    name: "lineinfile",
    short: "Manage one line in a text file",
    description: "Makes sure a line is in a file, or replaces the line `regexp` (or `search_string`) matches, or removes every matching line (state=absent), with Ansible's rules:
- `regexp`/`search_string` matching: the LAST matching line is replaced (the first with firstmatch=yes); insertafter/insertbefore are then ignored.
- No match: if `line` is already in the file nothing changes; else it is added after the last line `insertafter` matches (before the last `insertbefore` match; the first with firstmatch=yes), at the end when nothing matches, or at BOF/EOF.
- backrefs=yes: `\\1`, `\\g<name>` in `line` are filled from `regexp`; when `regexp` matches nothing the file is left alone.
- state=absent removes every line matching `regexp`, containing `search_string`, or equal to `line`.
Regular expressions are Python's `re` syntax as the regex crate reads it (no look-around or backreferences inside a pattern). The file is read and written as bytes; links are followed.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The file to edit.")
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new(
            "state",
            ArgType::Str,
            "Whether the line should be there or not.",
        )
        .choices(&["absent", "present"])
        .default("present"),
        ArgSpec::new(
            "regexp",
            ArgType::Str,
            "The line to replace (present) or lines to remove (absent): a Python regular expression searched in each line.",
        )
        .aliases(&["regex"]),
        ArgSpec::new(
            "search_string",
            ArgType::Str,
            "Like regexp, but a literal string a line must contain.",
        ),
        ArgSpec::new(
            "line",
            ArgType::Str,
            "The line to put in the file (required with state=present).",
        )
        .aliases(&["value"]),
        ArgSpec::new(
            "insertafter",
            ArgType::Str,
            "EOF, BOF, or a regular expression: a new line goes after its last match (default EOF).",
        ),
        ArgSpec::new(
            "insertbefore",
            ArgType::Str,
            "BOF or a regular expression: a new line goes before its last match.",
        ),
        ArgSpec::new(
            "backrefs",
            ArgType::Bool,
            "Fill \\1 and \\g<name> of `line` from `regexp`; never add a line.",
        )
        .default("no"),
        ArgSpec::new(
            "firstmatch",
            ArgType::Bool,
            "Use the first match of regexp/insertafter/insertbefore instead of the last.",
        )
        .default("no"),
        ArgSpec::new("create", ArgType::Bool, "Create the file (and its directory) when it is missing.")
            .default("no"),
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
    returns: "msg: \"line added\", \"line replaced\", \"N line(s) removed\", \"file not present\" (absent, no file), with \" and ownership, perms or SE linux context changed\" when attributes change too
backup: the backup's path, or \"\"
found: (state=absent) how many lines matched",
    examples: "- lineinfile:
    path: /usr/local/hotdb/hotdb-server/bin/hotdb_server
    regexp: '^JAVA_BIN='
    line: JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java
- lineinfile:
    path: /etc/my.cnf
    insertafter: '^\\[mysqld\\]'
    line: lower_case_table_names=1
- lineinfile:
    path: /etc/hotdb.conf
    regexp: '^(Xmx=)\\d+G$'
    line: '\\g<1>8G'
    backrefs: yes
- lineinfile: path=/etc/hosts regexp='hotdb-old' state=absent",
};

// ---------------------------------------------------------------------------------
// Python regular expressions and lines, shared with blockinfile and replace.

/// A pattern in Python's `re` syntax rewritten for the regex crate: `\Z` is `\z`,
/// a `{` that is no repetition is literal, `[` inside a class is literal.
fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some('Z') if !in_class => out.push_str("\\z"),
                    Some(n) => {
                        out.push('\\');
                        out.push(*n);
                    }
                    None => out.push('\\'),
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal in both syntaxes.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class && chars.get(i + 1) == Some(&c) => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => {
                let rest: String = chars[i..].iter().take(24).collect();
                match repetition(&rest) {
                    Some((len, text)) => {
                        out.push_str(&text);
                        i += len;
                        continue;
                    }
                    None => out.push_str("\\{"),
                }
            }
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// A Python counted repetition at the start of `s` (`{2}`, `{2,}`, `{,3}`, `{1,3}`):
/// its length in chars and its text for the regex crate.
fn repetition(s: &str) -> Option<(usize, String)> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let inner = &body[..end];
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let text = match hi {
        Some(h) => format!("{{{lo},{h}}}"),
        None => format!("{{{lo}}}"),
    };
    Some((inner.chars().count() + 2, text))
}

/// Compiles a Python regular expression for searching bytes.
pub(super) fn py_regex(pattern: &str, multi_line: bool, dot_all: bool) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern))
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .build()
        .map_err(|e| {
            let why = e.to_string();
            let last = why
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!("bad regular expression '{pattern}': {}", last.trim())
        })
}

/// Whether a Python pattern turns on MULTILINE itself with a leading `(?m)`.
pub(super) fn sets_multiline(pattern: &str) -> bool {
    let Some(rest) = pattern.strip_prefix("(?") else {
        return false;
    };
    match rest.find(')') {
        Some(end) => {
            let flags = &rest[..end];
            flags.chars().all(|c| c.is_ascii_alphabetic()) && flags.contains('m')
        }
        None => false,
    }
}

/// Python's `re` replacement template (`\1`, `\g<name>`) expanded from a match.
pub(super) fn expand(caps: &regex::bytes::Captures, template: &str) -> Vec<u8> {
    let rust = crate::plan::template::python_replacement(template);
    let mut out = Vec::new();
    caps.expand(rust.as_bytes(), &mut out);
    out
}

/// The lines of a file as Python's `readlines()` in binary mode gives them: split
/// after each `\n`, endings kept.
pub(super) fn readlines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// A line without its final `\n`, where Python's `$` would match.
pub(super) fn without_nl(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// Python's `line.rstrip(b'\r\n')`.
fn rstrip_eol(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    &line[..end]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Ansible's "parameters are mutually exclusive" check.
pub(super) fn mutually_exclusive(args: &Args, groups: &[&[&str]]) -> Option<String> {
    let hits: Vec<String> = groups
        .iter()
        .filter(|g| g.iter().filter(|k| args.has(k)).count() > 1)
        .map(|g| g.join("|"))
        .collect();
    (!hits.is_empty()).then(|| format!("parameters are mutually exclusive: {}", hits.join(", ")))
}

// ---------------------------------------------------------------------------------
// The edit: read once, decide on the controller, write once.

/// What an editor makes of the file's bytes (None: there is no file).
pub(super) enum Decision {
    /// Nothing to write; this is the result (a failure, or "file not present").
    Done(Outcome),
    /// The file's new bytes, the message for a change, and values to return.
    Content {
        after: Vec<u8>,
        msg: String,
        data: VarMap,
    },
}

/// The options of an in-place edit, as the three editors name them.
pub(super) struct InPlace<'a> {
    pub path: &'a str,
    pub create: bool,
    pub backup: bool,
    /// Where the backup's path is returned: lineinfile says `backup` (always, "" for
    /// none), the others `backup_file` (only when one was made).
    pub backup_key: &'static str,
    pub mode: Option<&'a Value>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub validate: Option<&'a str>,
    pub diff_headers: (String, String),
}

impl<'a> InPlace<'a> {
    pub fn from_args(args: &'a Args, backup_key: &'static str, headers: (String, String)) -> Self {
        InPlace {
            path: args.str("path").unwrap_or_default(),
            create: args.bool("create"),
            backup: args.bool("backup"),
            backup_key,
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            validate: args.str("validate"),
            diff_headers: headers,
        }
    }
}

const ATTRS_CHANGED: &str = "ownership, perms or SE linux context changed";

/// Ansible's `check_file_attrs`: the message when attributes change as well.
fn with_attrs(msg: &str, attrs_differ: bool) -> String {
    match (attrs_differ, msg.is_empty()) {
        (false, _) => msg.to_string(),
        (true, true) => ATTRS_CHANGED.to_string(),
        (true, false) => format!("{msg} and {ATTRS_CHANGED}"),
    }
}

/// Reads `path` (links followed), lets `decide` compute the new bytes, and writes
/// them atomically when they differ (backup, validate, mode/owner/group in the same
/// trip); attributes alone are fixed when only they differ. Check mode stops after
/// deciding; --diff shows the content change.
pub(super) async fn edit_in_place<F>(
    h: &Handle<'_>,
    e: &InPlace<'_>,
    decide: F,
) -> Result<Outcome, ConnError>
where
    F: FnOnce(Option<&[u8]>) -> Decision,
{
    let path = e.path;
    let probe = Probe {
        checksum: Some(Algorithm::Sha256),
        follow: true,
        content_up_to: Some(u64::MAX),
    };
    let state = query_with(h, path, probe).await?;
    if state.exists && state.kind == Kind::Directory {
        return Ok(Outcome::failed(format!("Path {path} is a directory !")).with("rc", 256));
    }
    let before = match (state.exists, &state.content) {
        (false, _) => None,
        (true, Some(c)) => Some(c.as_slice()),
        (true, None) if state.kind != Kind::File => {
            return Ok(Outcome::failed(format!(
                "Path {path} is not a regular file"
            )));
        }
        (true, None) => {
            return Ok(Outcome::failed(format!(
                "Unable to read the contents of {path}: permission denied"
            )));
        }
    };
    let (after, msg, data) = match decide(before) {
        Decision::Done(o) => return Ok(o),
        Decision::Content { after, msg, data } => (after, msg, data),
    };
    let target = state
        .link_source
        .clone()
        .unwrap_or_else(|| path.to_string());
    let base = if state.exists {
        state.mode
    } else {
        state.new_file_mode()
    };
    let mode = match e
        .mode
        .map(|m| parse_mode_umask(m, Some(base), false, state.umask))
        .transpose()
    {
        Ok(m) => m,
        Err(err) => return Ok(Outcome::failed(err)),
    };
    let attrs_differ = if state.exists {
        !attr_commands(&target, mode, e.owner, e.group, &state).is_empty()
    } else {
        mode.is_some_and(|m| m != base)
    };
    let finish = |mut o: Outcome, data: VarMap, backup: Option<Value>| {
        o.data = data;
        match backup {
            Some(b) => {
                o.data.insert(e.backup_key.into(), b);
            }
            None if e.backup_key == "backup" => {
                o.data.insert("backup".into(), Value::from(""));
            }
            None => {}
        }
        o
    };
    if state.exists && before == Some(after.as_slice()) {
        let changed = match apply_attrs(h, &target, mode, e.owner, e.group, &state).await {
            Ok(c) => c,
            Err(err) => return Ok(Outcome::failed(err.to_string())),
        };
        let o = Outcome::changed(changed).msg(with_attrs("", changed));
        return Ok(finish(o, data, None));
    }
    let wopts = WriteOptions {
        mode: e.mode,
        owner: e.owner,
        group: e.group,
        backup: e.backup,
        validate: e.validate,
        force: true,
        follow: true,
        make_parent: e.create,
        directory_mode: None,
        diff_headers: Some(e.diff_headers.clone()),
    };
    let mut o = write_decided(h, path, &state, &NewContent::bytes(after), &wopts).await?;
    if o.failed {
        if o.msg.as_deref() == Some("failed to validate") {
            let rc = o.data.get("exit_status").cloned().unwrap_or(Value::from(1));
            let err = o.data.get("stderr").and_then(Value::as_str).unwrap_or("");
            o.msg = Some(format!("failed to validate: rc:{rc} error:{err}"));
        }
        return Ok(o);
    }
    let backup = o.data.remove("backup_file");
    // A file that is not there yet: Ansible reports no attribute change in check mode.
    let attrs = attrs_differ && (state.exists || !h.check_mode);
    o.msg = Some(with_attrs(&msg, attrs));
    Ok(finish(o, data, backup))
}

// ---------------------------------------------------------------------------------
// lineinfile's own rules, as pure functions over the file's lines.

/// What lineinfile looks for and puts in.
pub struct LineSpec {
    pub line: Vec<u8>,
    pub regexp: Option<Regex>,
    pub search_string: Option<Vec<u8>>,
    /// After the defaulting: EOF when neither insertafter nor insertbefore is given.
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
    pub backrefs: bool,
    pub firstmatch: bool,
}

impl LineSpec {
    /// state=present: the message ("line added", "line replaced", or "" for no change).
    pub fn present(&self, lines: &mut Vec<Vec<u8>>) -> Result<&'static str, String> {
        let (ia, ib) = (self.insertafter.as_deref(), self.insertbefore.as_deref());
        let insert_re = match (ia, ib) {
            (Some(a), _) if a != "BOF" && a != "EOF" => Some(py_regex(a, false, false)?),
            (_, Some(b)) if b != "BOF" => Some(py_regex(b, false, false)?),
            _ => None,
        };
        let line = self.line.as_slice();
        // 1. The line regexp or search_string designates (the last, or the first).
        let mut found: Option<usize> = None;
        let mut matched = false;
        if let Some(re) = &self.regexp {
            for (i, l) in lines.iter().enumerate() {
                if re.is_match(without_nl(l)) {
                    (found, matched) = (Some(i), true);
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        if let Some(s) = &self.search_string {
            for (i, l) in lines.iter().enumerate() {
                if contains(l, s) {
                    (found, matched) = (Some(i), true);
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        // 2. No match: the line itself, and where insertafter/insertbefore point.
        let mut insert_at: Option<usize> = None;
        if !matched {
            for (i, l) in lines.iter().enumerate() {
                if rstrip_eol(l) == line {
                    found = Some(i);
                } else if let Some(re) = &insert_re
                    && re.is_match(without_nl(l))
                {
                    insert_at = Some(if ia.is_some() { i + 1 } else { i });
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        let with_nl = |l: &[u8]| {
            let mut v = l.to_vec();
            if !v.ends_with(b"\n") {
                v.push(b'\n');
            }
            v
        };
        if let Some(i) = found {
            let new = match (&self.regexp, self.backrefs && matched) {
                (Some(re), true) => match re.captures(without_nl(&lines[i])) {
                    Some(c) => expand(&c, &String::from_utf8_lossy(line)),
                    None => line.to_vec(),
                },
                _ => line.to_vec(),
            };
            let new = with_nl(&new);
            if lines[i] == new {
                return Ok("");
            }
            lines[i] = new;
            return Ok("line replaced");
        }
        if self.backrefs {
            // Without a match there is nothing to fill the backreferences from.
            return Ok("");
        }
        let ends_open = |lines: &Vec<Vec<u8>>| {
            lines
                .last()
                .is_some_and(|l| !l.ends_with(b"\n") && !l.ends_with(b"\r"))
        };
        if ib == Some("BOF") || ia == Some("BOF") {
            lines.insert(0, with_nl(line));
        } else if ia == Some("EOF") || insert_at.is_none() {
            if ends_open(lines) {
                lines.push(b"\n".to_vec());
            }
            lines.push(with_nl(line));
        } else if let (Some(_), Some(k)) = (ia, insert_at) {
            // Not again where it already is, right after the insertafter match.
            if k == lines.len() {
                if rstrip_eol(&lines[k - 1]) == line {
                    return Ok("");
                }
                // Ansible would glue the line to an unterminated last line; we end it first.
                if ends_open(lines) {
                    lines.push(b"\n".to_vec());
                }
                lines.push(with_nl(line));
            } else {
                if rstrip_eol(&lines[k]) == line {
                    return Ok("");
                }
                lines.insert(k, with_nl(line));
            }
        } else if let Some(k) = insert_at {
            lines.insert(k, with_nl(line));
        }
        Ok("line added")
    }

    /// state=absent: removes the matching lines and says how many there were.
    pub fn absent(&self, lines: &mut Vec<Vec<u8>>) -> usize {
        let before = lines.len();
        lines.retain(|l| {
            let hit = match (&self.regexp, &self.search_string) {
                (Some(re), _) => re.is_match(without_nl(l)),
                (None, Some(s)) => contains(l, s),
                (None, None) => rstrip_eol(l) == self.line.as_slice(),
            };
            !hit
        });
        before - lines.len()
    }
}

#[async_trait]
impl Module for LineInFile {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        if let Some(msg) = mutually_exclusive(
            args,
            &[
                &["insertbefore", "insertafter"],
                &["regexp", "search_string"],
                &["backrefs", "search_string"],
            ],
        ) {
            return Ok(Outcome::failed(msg));
        }
        let path = args.str("path").unwrap_or_default().to_string();
        let present = args.str("state") != Some("absent");
        let mut warnings = Vec::new();
        if args.str("regexp") == Some("") {
            warnings.push("The regular expression is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending. If this is desired, use '^' to match every line in the file and avoid this warning.".to_string());
        } else if args.str("search_string") == Some("") {
            warnings.push("The search string is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.".to_string());
        }
        if present {
            if args.bool("backrefs") && !args.has("regexp") {
                return Ok(Outcome::failed("regexp is required with backrefs=true"));
            }
            if !args.has("line") {
                return Ok(Outcome::failed("line is required with state=present"));
            }
        } else if !args.has("regexp") && !args.has("search_string") && !args.has("line") {
            return Ok(Outcome::failed(
                "one of line, search_string, or regexp is required with state=absent",
            ));
        }
        let regexp = match args
            .str("regexp")
            .map(|r| py_regex(r, false, false))
            .transpose()
        {
            Ok(r) => r,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let (mut ia, ib) = (args.string("insertafter"), args.string("insertbefore"));
        if ia.is_none() && ib.is_none() {
            ia = Some("EOF".into());
        }
        let spec = LineSpec {
            line: args.str("line").unwrap_or_default().as_bytes().to_vec(),
            regexp,
            search_string: args.str("search_string").map(|s| s.as_bytes().to_vec()),
            insertafter: ia,
            insertbefore: ib,
            backrefs: args.bool("backrefs"),
            firstmatch: args.bool("firstmatch"),
        };
        let headers = (
            format!("before: {path} (content)"),
            format!("after: {path} (content)"),
        );
        let edit = InPlace::from_args(args, "backup", headers);
        let mut o = edit_in_place(h, &edit, |before| match before {
            None if !present => Decision::Done(Outcome::ok().msg("file not present")),
            None if !edit.create => Decision::Done(
                Outcome::failed(format!("Destination {path} does not exist !")).with("rc", 257),
            ),
            before => {
                let mut lines = readlines(before.unwrap_or_default());
                let mut data = VarMap::new();
                let msg = if present {
                    match spec.present(&mut lines) {
                        Ok(m) => m.to_string(),
                        Err(e) => return Decision::Done(Outcome::failed(e)),
                    }
                } else {
                    let n = spec.absent(&mut lines);
                    data.insert("found".into(), Value::from(n));
                    if n > 0 {
                        format!("{n} line(s) removed")
                    } else {
                        String::new()
                    }
                };
                let after = if msg.is_empty() && before.is_some() {
                    before.unwrap_or_default().to_vec()
                } else {
                    lines.concat()
                };
                Decision::Content { after, msg, data }
            }
        })
        .await?;
        o.warnings.extend(warnings);
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, mode_of, tree_digest};
    use super::*;
    use serde_json::json;

    fn spec(line: &str, regexp: Option<&str>) -> LineSpec {
        LineSpec {
            line: line.as_bytes().to_vec(),
            regexp: regexp.map(|r| py_regex(r, false, false).expect("regex")),
            search_string: None,
            insertafter: Some("EOF".into()),
            insertbefore: None,
            backrefs: false,
            firstmatch: false,
        }
    }

    fn present(s: &LineSpec, text: &str) -> (String, &'static str) {
        let mut lines = readlines(text.as_bytes());
        let msg = s.present(&mut lines).expect("present");
        let out = if msg.is_empty() {
            text.to_string()
        } else {
            String::from_utf8(lines.concat()).expect("utf8")
        };
        (out, msg)
    }

    fn absent(s: &LineSpec, text: &str) -> (String, usize) {
        let mut lines = readlines(text.as_bytes());
        let n = s.absent(&mut lines);
        (String::from_utf8(lines.concat()).expect("utf8"), n)
    }

    #[test]
    fn regexp_replaces_the_last_match_or_the_first() {
        let s = spec("JAVA_BIN=/new", Some("^JAVA_BIN="));
        assert_eq!(
            present(&s, "a\nJAVA_BIN=/x\nJAVA_BIN=/y\n"),
            ("a\nJAVA_BIN=/x\nJAVA_BIN=/new\n".into(), "line replaced")
        );
        assert_eq!(
            present(&s, "a\n"),
            ("a\nJAVA_BIN=/new\n".into(), "line added")
        );
        assert_eq!(
            present(&s, "JAVA_BIN=/new\n"),
            ("JAVA_BIN=/new\n".into(), "")
        );
        let mut first = spec("X=1", Some("^X="));
        first.firstmatch = true;
        assert_eq!(present(&first, "X=0\nX=2\n").0, "X=1\nX=2\n");
        // `$` matches before the line's newline, as Python's does.
        let dollar = spec("port=2", Some("^port=1$"));
        assert_eq!(present(&dollar, "port=1\n").0, "port=2\n");
        // The matched last line without a newline gets one.
        assert_eq!(present(&s, "JAVA_BIN=/new").1, "line replaced");
    }

    #[test]
    fn regexp_that_matches_nothing_leaves_an_existing_identical_line() {
        let s = spec("x=1", Some("^y="));
        assert_eq!(present(&s, "x=1\nz\n"), ("x=1\nz\n".into(), ""));
    }

    #[test]
    fn search_string_is_literal() {
        let mut s = spec("a.b=2", None);
        s.search_string = Some(b"a.b=".to_vec());
        assert_eq!(present(&s, "axb=1\na.b=1\n").0, "axb=1\na.b=2\n");
    }

    #[test]
    fn insertafter_uses_the_last_match_unless_firstmatch() {
        let mut s = spec("new", None);
        s.insertafter = Some("^\\[".into());
        let text = "[client]\nx\n[mysqld]\nport=1\n";
        assert_eq!(present(&s, text).0, "[client]\nx\n[mysqld]\nnew\nport=1\n");
        s.firstmatch = true;
        assert_eq!(present(&s, text).0, "[client]\nnew\nx\n[mysqld]\nport=1\n");
        // Not twice: the line already follows the match.
        s.firstmatch = false;
        let done = "[client]\nx\n[mysqld]\nnew\nport=1\n";
        assert_eq!(present(&s, done), (done.into(), ""));
        // The match is the last line.
        assert_eq!(present(&s, "a\n[x]\n").0, "a\n[x]\nnew\n");
        assert_eq!(present(&s, "a\n[x]").0, "a\n[x]\nnew\n");
        // No match: the end of the file.
        s.insertafter = Some("^nothing".into());
        assert_eq!(present(&s, "a\n").0, "a\nnew\n");
    }

    #[test]
    fn insertbefore_and_bof_eof() {
        let mut s = spec("new", None);
        s.insertafter = None;
        s.insertbefore = Some("^port".into());
        assert_eq!(
            present(&s, "port=1\nx\nport=2\n").0,
            "port=1\nx\nnew\nport=2\n"
        );
        s.firstmatch = true;
        assert_eq!(
            present(&s, "port=1\nx\nport=2\n").0,
            "new\nport=1\nx\nport=2\n"
        );
        s.insertbefore = Some("BOF".into());
        assert_eq!(present(&s, "a\n").0, "new\na\n");
        assert_eq!(present(&s, "new\na\n").1, "");
        s.insertbefore = Some("^nomatch".into());
        assert_eq!(present(&s, "a\n").0, "a\nnew\n");
        s.insertbefore = None;
        s.insertafter = Some("BOF".into());
        assert_eq!(present(&s, "a\n").0, "new\na\n");
        s.insertafter = Some("EOF".into());
        // A file without a final newline gets one before the new line.
        assert_eq!(present(&s, "a").0, "a\nnew\n");
        assert_eq!(present(&s, "").0, "new\n");
    }

    #[test]
    fn regexp_match_wins_over_insertafter() {
        let mut s = spec("port=3", Some("^port="));
        s.insertafter = Some("^\\[x\\]".into());
        assert_eq!(present(&s, "port=1\n[x]\n").0, "port=3\n[x]\n");
    }

    #[test]
    fn backrefs_fill_groups_and_never_add() {
        let mut s = spec(
            "JAVA_OPTS=\"\\1 -Xmx8G\"",
            Some("^JAVA_OPTS=\"(.*) -Xmx4G\""),
        );
        s.backrefs = true;
        assert_eq!(
            present(&s, "JAVA_OPTS=\"-server -Xmx4G\"\n"),
            ("JAVA_OPTS=\"-server -Xmx8G\"\n".into(), "line replaced")
        );
        assert_eq!(present(&s, "other\n"), ("other\n".into(), ""));
        let mut named = spec("\\g<k>=on", Some("^(?P<k>\\w+)=off$"));
        named.backrefs = true;
        assert_eq!(present(&named, "a=off\nb\n").0, "a=on\nb\n");
        // Idempotent: the filled line is already there.
        let mut again = spec("\\1=8G", Some("^(Xmx)=\\d+G$"));
        again.backrefs = true;
        assert_eq!(present(&again, "Xmx=8G\n").1, "");
    }

    #[test]
    fn absent_removes_every_match_and_counts() {
        let s = spec("", Some("^#"));
        assert_eq!(absent(&s, "#a\nb\n#c\n"), ("b\n".into(), 2));
        assert_eq!(absent(&s, "b\n"), ("b\n".into(), 0));
        let exact = spec("b", None);
        assert_eq!(absent(&exact, "b\nbb\nb\r\n"), ("bb\n".into(), 2));
        let mut lit = spec("", None);
        lit.search_string = Some(b"[x]".to_vec());
        assert_eq!(absent(&lit, "a[x]\n[y]\n"), ("[y]\n".into(), 1));
    }

    #[test]
    fn python_patterns_read_by_the_regex_crate() {
        let re = py_regex("{mark}", false, false).expect("literal brace");
        assert!(re.is_match(b"# {mark} x"));
        let re = py_regex("a{2,}b{,1}\\Z", false, false).expect("counts");
        assert!(re.is_match(b"xaab"));
        assert!(!re.is_match(b"aab\n"));
        let re = py_regex("[[]x]", false, false).expect("bracket in class");
        assert!(re.is_match(b"[x]"));
        let re = py_regex("[]a]", false, false).expect("] first in class");
        assert!(re.is_match(b"]"));
        assert!(
            py_regex("(?<=a)b", false, false)
                .unwrap_err()
                .starts_with("bad regular expression")
        );
        assert!(sets_multiline("(?m)^x"));
        assert!(sets_multiline("(?im)^x"));
        assert!(!sets_multiline("(?m:^x)"));
        assert!(!sets_multiline("^x"));
    }

    async fn run(fx: &Fixture, args: serde_json::Value, check: bool) -> Outcome {
        fx.run(&LineInFile, args, check, true).await
    }

    #[tokio::test]
    async fn edits_a_real_file_idempotently_with_backup() {
        let fx = Fixture::new();
        let p = fx.path("hotdb_server");
        std::fs::write(&p, "JAVA_BIN=/old\nX=1\n").expect("write");
        let args =
            json!({"path": p, "regexp": "^JAVA_BIN=", "line": "JAVA_BIN=/new", "backup": true});
        let o = run(&fx, args.clone(), false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.msg.as_deref(), Some("line replaced"));
        assert_eq!(
            std::fs::read_to_string(&p).expect("read"),
            "JAVA_BIN=/new\nX=1\n"
        );
        let b = o.data["backup"].as_str().expect("backup").to_string();
        assert_eq!(
            std::fs::read_to_string(&b).expect("backup file"),
            "JAVA_BIN=/old\nX=1\n"
        );
        assert!(o.diff[0].before.contains("/old") && o.diff[0].after.contains("/new"));
        std::fs::remove_file(&b).expect("rm");
        let again = run(&fx, args, false).await;
        assert!(!again.changed && !again.failed, "{again:?}");
        assert_eq!(again.data["backup"], "");
        assert_eq!(again.msg.as_deref(), Some(""));
    }

    #[tokio::test]
    async fn check_mode_predicts_and_changes_nothing() {
        let fx = Fixture::new();
        let p = fx.path("f");
        std::fs::write(&p, "a\n").expect("write");
        let before = tree_digest(&fx.target());
        let o = run(&fx, json!({"path": p, "line": "b", "mode": "0600"}), true).await;
        assert!(o.changed, "{o:?}");
        assert_eq!(
            o.msg.as_deref(),
            Some("line added and ownership, perms or SE linux context changed")
        );
        assert_eq!(o.diff[0].after, "a\nb\n");
        let o = run(
            &fx,
            json!({"path": fx.path("new/f"), "line": "b", "create": true}),
            true,
        )
        .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(before, tree_digest(&fx.target()));
    }

    #[tokio::test]
    async fn missing_files_create_and_absent() {
        let fx = Fixture::new();
        let p = fx.path("d/new.conf");
        let o = run(&fx, json!({"path": p, "line": "x"}), false).await;
        assert!(o.failed);
        assert_eq!(o.msg, Some(format!("Destination {p} does not exist !")));
        assert_eq!(o.data["rc"], 257);
        let o = run(
            &fx,
            json!({"path": p, "line": "x", "state": "absent"}),
            false,
        )
        .await;
        assert!(!o.changed && !o.failed);
        assert_eq!(o.msg.as_deref(), Some("file not present"));
        let o = run(
            &fx,
            json!({"path": p, "line": "x", "create": true, "mode": "0640"}),
            false,
        )
        .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "x\n");
        assert_eq!(mode_of(&p), 0o640);
        let o = run(
            &fx,
            json!({"path": p, "regexp": "^x$", "state": "absent"}),
            false,
        )
        .await;
        assert_eq!(o.msg.as_deref(), Some("1 line(s) removed"));
        assert_eq!(o.data["found"], 1);
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "");
        let o = run(&fx, json!({"path": fx.path("d"), "line": "x"}), false).await;
        assert_eq!(
            o.msg,
            Some(format!("Path {} is a directory !", fx.path("d")))
        );
    }

    #[tokio::test]
    async fn attributes_alone_and_argument_errors() {
        let fx = Fixture::new();
        let p = fx.path("f");
        std::fs::write(&p, "a\n").expect("write");
        let o = run(&fx, json!({"path": p, "line": "a", "mode": "0600"}), false).await;
        assert!(o.changed);
        assert_eq!(o.msg.as_deref(), Some(ATTRS_CHANGED));
        assert_eq!(mode_of(&p), 0o600);
        let o = run(&fx, json!({"path": p, "line": "a", "mode": "0600"}), false).await;
        assert!(!o.changed);
        let o = run(
            &fx,
            json!({"path": p, "line": "a", "insertafter": "x", "insertbefore": "y"}),
            false,
        )
        .await;
        assert_eq!(
            o.msg.as_deref(),
            Some("parameters are mutually exclusive: insertbefore|insertafter")
        );
        let o = run(
            &fx,
            json!({"path": p, "line": "a", "backrefs": true}),
            false,
        )
        .await;
        assert_eq!(
            o.msg.as_deref(),
            Some("regexp is required with backrefs=true")
        );
        let o = run(&fx, json!({"path": p, "regexp": "a"}), false).await;
        assert_eq!(
            o.msg.as_deref(),
            Some("line is required with state=present")
        );
        let o = run(&fx, json!({"path": p, "state": "absent"}), false).await;
        assert!(o.failed);
        let o = run(
            &fx,
            json!({"path": p, "line": "b", "validate": "grep -q nothing %s"}),
            false,
        )
        .await;
        assert!(o.failed);
        assert!(
            o.msg
                .as_deref()
                .unwrap_or_default()
                .starts_with("failed to validate: rc:1"),
            "{o:?}"
        );
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "a\n");
    }
}
