//! tempfile: create a temporary file or directory on the target.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::parse::shell::quote;
use async_trait::async_trait;
use serde_json::Value;

pub struct TempFile;

static DOC: ModuleDoc = ModuleDoc {
    name: "tempfile",
    short: "Create a temporary file or directory",
    description: "Creates a file (mode 0600) or directory (mode 0700) with a unique name `<prefix><8 random characters><suffix>` in `path` (default: the target's $TMPDIR, else /tmp), as the task's user. It is not removed afterwards: remove it with `file: state=absent`.",
    args: &[
        ArgSpec::new("state", ArgType::Str, "What to create.")
            .default("file")
            .choices(&["file", "directory"]),
        ArgSpec::new("path", ArgType::Path, "The directory to create it in."),
        ArgSpec::new("prefix", ArgType::Str, "The name's start.").default("ansible."),
        ArgSpec::new("suffix", ArgType::Str, "The name's end.").default(""),
    ],
    free_form: FreeForm::KeyValue,
    check_mode: "Not supported (as in Ansible): skipped in check mode.",
    returns: "path, state, mode, owner, group, uid, gid, size",
    examples: "- tempfile:\n    state: directory\n    suffix: .upgrade\n  register: work",
};

#[async_trait]
impl Module for TempFile {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        if h.check_mode {
            return Ok(Outcome::skipped(
                "remote module (tempfile) does not support check mode",
            ));
        }
        let dir_wanted = args.str("state") == Some("directory");
        let prefix = args.str("prefix").unwrap_or("ansible.");
        let suffix = args.str("suffix").unwrap_or("");
        let dir = match args.str("path") {
            Some(p) => quote(p),
            None => "\"${TMPDIR:-/tmp}\"".to_string(),
        };
        let names = candidates(prefix, suffix).map_err(ConnError::Io)?;
        let create = if dir_wanted {
            "mkdir -m 0700 -- \"$p\""
        } else {
            "(umask 077; set -C; : > \"$p\")"
        };
        // Python's mkstemp: a few random names, the first that is free wins.
        let script = format!(
            "d={dir}; [ -d \"$d\" ] || {{ echo nodir; echo \"$d\"; exit 3; }}\n\
             d=$(cd -- \"$d\" && pwd) || exit 4; made=\n\
             for n in {names}; do p=\"$d/$n\"; if {create} 2>/dev/null; then made=1; break; fi; done\n\
             [ -n \"$made\" ] || {{ echo \"cannot create a file in $d\" >&2; exit 4; }}\n\
             echo \"$p\"; stat -c '%a %u %g %s %U %G' -- \"$p\""
        );
        let out = h.run(script).await?;
        let stdout = out.stdout_text();
        let mut lines = stdout.lines();
        if out.rc == 3 {
            let d = lines.nth(1).unwrap_or_default();
            return Ok(Outcome::failed(format!(
                "[Errno 2] No such file or directory: '{d}/{prefix}{}{suffix}'",
                random_part().unwrap_or_default()
            )));
        }
        if out.rc != 0 {
            return Ok(Outcome::failed(out.stderr_text().trim().to_string()));
        }
        let path = lines.next().unwrap_or_default().to_string();
        let f: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|s| s.parse::<u64>().ok())
                .map(Value::from)
                .unwrap_or(Value::Null)
        };
        let mode = f
            .first()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .map(|m| Value::from(format!("0{m:03o}")))
            .unwrap_or(Value::Null);
        let text = |i: usize| Value::from(f.get(i).copied().unwrap_or_default());
        Ok(Outcome::changed(true)
            .with("path", path)
            .with("uid", num(1))
            .with("gid", num(2))
            .with("owner", text(4))
            .with("group", text(5))
            .with("mode", mode)
            .with("state", if dir_wanted { "directory" } else { "file" })
            .with("size", num(3)))
    }
}

/// Python's tempfile names: 8 characters of a-z, 0-9 and _.
fn random_part() -> Result<String, String> {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut buf = [0u8; 8];
    crate::parse::vault::random(&mut buf)?;
    Ok(buf
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect())
}

/// Five candidate names, each a quoted shell word.
fn candidates(prefix: &str, suffix: &str) -> Result<String, String> {
    let mut words = Vec::new();
    for _ in 0..5 {
        words.push(quote(&format!("{prefix}{}{suffix}", random_part()?)));
    }
    Ok(words.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_pythons() {
        let n = super::random_part().expect("urandom");
        assert_eq!(n.len(), 8);
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
        assert_eq!(
            super::candidates("a b", ".x")
                .expect("names")
                .matches("'a b")
                .count(),
            5
        );
    }
}
