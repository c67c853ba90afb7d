//! script: run a controller script on the target in one round trip: the script
//! travels on stdin to a small wrapper that stores it in a private temporary file,
//! runs it with the task's arguments, removes it and exits with its code.

use crate::execute::connection::quote::quote;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::parse::shell::shell_words;
use async_trait::async_trait;

pub struct Script;

static DOC: ModuleDoc = ModuleDoc {
    name: "script",
    short: "Run a controller script on the target",
    description: "The first word of the free form (or `cmd`) names a controller script (searched in files/); the rest is passed to it as written, through the target's shell, as Ansible does (quotes and variables keep their meaning). The script is streamed on stdin to a wrapper that writes it to a private temporary file, makes it executable, runs it (through `executable` when given, else its #! line; a temporary directory mounted noexec is handled by reading the #! line), removes it and exits with its code: one round trip. The script's own stdin is empty. `creates`/`removes` are checked in the same trip.",
    args: &[
        ArgSpec::new(
            "cmd",
            ArgType::Str,
            "The script and its arguments, instead of the free form.",
        ),
        ArgSpec::new(
            "chdir",
            ArgType::Path,
            "An absolute directory of the target to run the script in.",
        ),
        ArgSpec::new(
            "creates",
            ArgType::Path,
            "Skip the task when this path exists on the target.",
        ),
        ArgSpec::new(
            "removes",
            ArgType::Path,
            "Skip the task unless this path exists on the target.",
        ),
        ArgSpec::new(
            "executable",
            ArgType::Str,
            "The interpreter (and its options) to run the script with, e.g. /bin/bash.",
        ),
    ],
    free_form: FreeForm::Command,
    check_mode: "With creates or removes: one look on the target, then skipped or changed as predicted, without running. Without them: skipped (\"Check mode is not supported for this task.\"): what a script does cannot be predicted.",
    returns: "rc, stdout, stdout_lines, stderr, stderr_lines; changed is always true when it ran; failed with \"non-zero return code\" when rc != 0",
    examples: "- script: check_cluster.sh --vip 10.89.0.100
- script: backup_configs.sh /usr/local/hotdb \"{{ backup_dir }}\"
  args:
    creates: \"{{ backup_dir }}/done\"
    executable: /bin/bash",
};

/// The first shell word of `text` as written, and the rest after it.
fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            c if c.is_whitespace() && !single && !double => {
                return (&text[..i], text[i..].trim_start());
            }
            _ => {}
        }
    }
    (text, "")
}

/// A line no script prints: how the wrapper says it skipped.
fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("::hotplay-script-{:x}-{nanos:x}::", std::process::id())
}

#[async_trait]
impl Module for Script {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let text = args
            .string("_raw_params")
            .or_else(|| args.string("cmd"))
            .unwrap_or_default();
        let (raw_name, rest) = first_word(&text);
        let name = match shell_words(raw_name) {
            Ok(w) if !w.is_empty() => w.concat(),
            Ok(_) => return Ok(Outcome::failed("script: no script given")),
            Err(e) => return Ok(Outcome::failed(e)),
        };
        if let Some(d) = args.str("chdir")
            && !d.starts_with('/')
        {
            return Ok(Outcome::failed(format!(
                "chdir {d} must be an absolute path for a Unix-aware remote node"
            )));
        }
        let Some(local) = h.find_file("files", &name) else {
            return Ok(Outcome::failed(format!(
                "Could not find or access '{name}' on the Ansible Controller."
            )));
        };
        if local.is_dir() {
            return Ok(Outcome::failed(format!(
                "{name} is a directory, not a script"
            )));
        }
        let m = marker();
        // The guards drain stdin (the script) before they leave.
        let mut guard = String::new();
        if let Some(c) = args.str("creates") {
            guard.push_str(&format!(
                "if [ -e {} ]; then cat >/dev/null; echo {m}creates; exit 0; fi\n",
                quote(c)
            ));
        }
        if let Some(r) = args.str("removes") {
            guard.push_str(&format!(
                "if [ ! -e {} ]; then cat >/dev/null; echo {m}removes; exit 0; fi\n",
                quote(r)
            ));
        }
        let skipped = |stdout: &str| -> Option<Outcome> {
            let why = stdout.trim_end().strip_prefix(&m)?;
            let msg = match why {
                "creates" => format!(
                    "{} exists, matching creates option",
                    args.str("creates").unwrap_or_default()
                ),
                _ => format!(
                    "{} does not exist, matching removes option",
                    args.str("removes").unwrap_or_default()
                ),
            };
            Some(Outcome::skipped(msg))
        };
        if h.check_mode {
            if guard.is_empty() {
                return Ok(Outcome::skipped(
                    "Check mode is not supported for this task.",
                ));
            }
            let out = h.run(format!("{guard}exit 0\n")).await?;
            return Ok(skipped(&out.stdout_text()).unwrap_or_else(|| Outcome::changed(true)));
        }
        let cd = args
            .str("chdir")
            .map(|d| format!("cd -- {} || exit 1\n", quote(d)))
            .unwrap_or_default();
        let run = match args.str("executable") {
            Some(exe) => format!("{exe} \"$t\" {rest} </dev/null"),
            None => format!(
                "if [ -x \"$t\" ]; then i=; else IFS= read -r l < \"$t\" || l=; case $l in '#!'*) i=${{l#??}};; *) i=/bin/sh;; esac; fi\n\
                 $i \"$t\" {rest} </dev/null"
            ),
        };
        let script = format!(
            "{guard}t=$(mktemp \"${{TMPDIR:-/tmp}}/.hotplay-script.XXXXXX\") || exit 1\n\
             trap 'rm -f \"$t\"' EXIT\n\
             cat > \"$t\" && chmod 700 \"$t\" || exit 1\n\
             {cd}{run}\n\
             rc=$?\nrm -f \"$t\"\ntrap - EXIT\nexit $rc\n"
        );
        let out = h.run_with_stdin(script, Stdin::File(local)).await?;
        let stdout = out.stdout_text();
        if let Some(skip) = skipped(&stdout) {
            return Ok(skip);
        }
        let stderr = out.stderr_text();
        let mut o = Outcome::changed(true)
            .with("rc", out.rc)
            .with("stdout_lines", stdout.lines().collect::<Vec<_>>())
            .with("stderr_lines", stderr.lines().collect::<Vec<_>>())
            .with("stdout", stdout)
            .with("stderr", stderr);
        if out.rc != 0 {
            o.failed = true;
            o.msg = Some("non-zero return code".into());
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, tree_digest};
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_the_script_from_its_arguments() {
        assert_eq!(first_word("  s.sh 'a b' c "), ("s.sh", "'a b' c"));
        assert_eq!(first_word("'my script.sh' x"), ("'my script.sh'", "x"));
        assert_eq!(first_word("a\\ b.sh"), ("a\\ b.sh", ""));
    }

    #[tokio::test]
    async fn runs_with_arguments_as_written_and_guards() {
        let fx = Fixture::new();
        fx.controller_file(
            "files/check.sh",
            "#!/bin/sh\necho \"args: $1|$2\"\necho \"pwd: $(pwd)\"\necho err >&2\nread x && echo \"stdin: $x\"\nexit 0\n",
        );
        let o = fx
            .run(
                &Script,
                json!({"_raw_params": "check.sh 'a b' \"$HOME\"", "chdir": "/"}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(o.data["stdout_lines"][0], format!("args: a b|{home}"));
        assert_eq!(o.data["stdout_lines"][1], "pwd: /");
        assert_eq!(
            o.data["stdout_lines"].as_array().map(Vec::len),
            Some(2),
            "{o:?}"
        );
        assert_eq!(o.data["stderr"], "err\n");
        assert_eq!(o.data["rc"], 0);
        let marker_file = fx.path("done");
        let args = json!({"_raw_params": "check.sh", "creates": marker_file});
        let o = fx.run(&Script, args.clone(), false, false).await;
        assert!(o.changed, "{o:?}");
        std::fs::write(&marker_file, "").expect("write");
        let o = fx.run(&Script, args, false, false).await;
        assert!(o.skipped && !o.changed, "{o:?}");
        assert_eq!(
            o.msg,
            Some(format!("{marker_file} exists, matching creates option"))
        );
        let o = fx
            .run(
                &Script,
                json!({"_raw_params": "check.sh", "removes": fx.path("none")}),
                false,
                false,
            )
            .await;
        assert!(o.skipped);
        assert_eq!(
            o.msg,
            Some(format!(
                "{} does not exist, matching removes option",
                fx.path("none")
            ))
        );
    }

    #[tokio::test]
    async fn failures_executable_and_check_mode() {
        let fx = Fixture::new();
        fx.controller_file("files/fail.sh", "echo out; exit 3\n");
        fx.controller_file("files/bash.sh", "echo \"${BASH_VERSION:+bash}\" \"$1\"\n");
        let o = fx
            .run(&Script, json!({"_raw_params": "fail.sh"}), false, false)
            .await;
        assert!(o.failed && o.changed, "{o:?}");
        assert_eq!(o.data["rc"], 3);
        assert_eq!(o.msg.as_deref(), Some("non-zero return code"));
        assert_eq!(o.data["stdout"], "out\n");
        let o = fx
            .run(
                &Script,
                json!({"cmd": "bash.sh x", "executable": "bash"}),
                false,
                false,
            )
            .await;
        assert_eq!(o.data["stdout"], "bash x\n", "{o:?}");
        let before = tree_digest(&fx.target());
        let o = fx
            .run(&Script, json!({"_raw_params": "fail.sh"}), true, false)
            .await;
        assert!(o.skipped, "{o:?}");
        assert_eq!(
            o.msg.as_deref(),
            Some("Check mode is not supported for this task.")
        );
        let o = fx
            .run(
                &Script,
                json!({"_raw_params": "fail.sh", "creates": fx.path("x")}),
                true,
                false,
            )
            .await;
        assert!(o.changed && !o.skipped, "{o:?}");
        assert_eq!(before, tree_digest(&fx.target()));
        let o = fx
            .run(&Script, json!({"_raw_params": "none.sh"}), false, false)
            .await;
        assert_eq!(
            o.msg.as_deref(),
            Some("Could not find or access 'none.sh' on the Ansible Controller.")
        );
        let o = fx
            .run(
                &Script,
                json!({"_raw_params": "fail.sh", "chdir": "rel"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
    }
}
