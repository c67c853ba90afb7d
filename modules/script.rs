//! script: run a controller script on the target.

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
    short: "Run a local script on the target",
    description: "Sends the controller script (first word of the free form, searched in files/) over stdin to a small wrapper that stores it in a private temporary file, runs it with the remaining words as arguments (through `executable` when given, else its #! line), removes it and returns its exit code: one round trip.",
    args: &[
        ArgSpec::new(
            "cmd",
            ArgType::Str,
            "The script and its arguments (instead of the free form).",
        ),
        ArgSpec::new("chdir", ArgType::Path, "Directory to run in."),
        ArgSpec::new(
            "creates",
            ArgType::Path,
            "Do not run when this path exists.",
        ),
        ArgSpec::new("removes", ArgType::Path, "Run only when this path exists."),
        ArgSpec::new(
            "executable",
            ArgType::Str,
            "Interpreter to run the script with.",
        ),
    ],
    free_form: FreeForm::Command,
    check_mode: "Skipped (cannot predict) unless creates/removes decide.",
    returns: "rc, stdout, stderr, stdout_lines, stderr_lines",
    examples: "- script: check_cluster.sh --vip 10.89.0.100\n  args:\n    creates: /tmp/checked",
};

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
        let words = match shell_words(&text) {
            Ok(w) if !w.is_empty() => w,
            Ok(_) => return Ok(Outcome::failed("no script given")),
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let Some(local) = h.find_file("files", &words[0]) else {
            return Ok(Outcome::failed(format!(
                "Could not find or access '{}' on the Ansible Controller.",
                words[0]
            )));
        };
        let mut guard = String::new();
        if let Some(c) = args.str("creates") {
            guard.push_str(&format!(
                "if [ -e {} ]; then echo __HOTPLAY_SKIP__; exit 0; fi\n",
                quote(c)
            ));
        }
        if let Some(r) = args.str("removes") {
            guard.push_str(&format!(
                "if [ ! -e {} ]; then echo __HOTPLAY_SKIP__; exit 0; fi\n",
                quote(r)
            ));
        }
        if h.check_mode {
            if guard.is_empty() {
                return Ok(Outcome::skipped("script would run if not in check mode"));
            }
            let out = h.run(format!("{guard}exit 1")).await?;
            return Ok(if out.rc == 0 {
                Outcome::ok().msg("skipped, the guard says it is not needed")
            } else {
                Outcome::changed(true)
            });
        }
        let argv: String = words[1..]
            .iter()
            .map(|w| format!(" {}", quote(w)))
            .collect();
        let exe = args
            .str("executable")
            .map(|e| format!("{e} "))
            .unwrap_or_default();
        let cd = args
            .str("chdir")
            .map(|d| format!("cd {} || exit 1\n", quote(d)))
            .unwrap_or_default();
        let script = format!(
            "{guard}t=$(mktemp) || exit 1\ncat > \"$t\" && chmod 700 \"$t\"\n{cd}{exe}\"$t\"{argv} </dev/null\nrc=$?\nrm -f \"$t\"\nexit $rc\n"
        );
        let out = h.run_with_stdin(script, Stdin::File(local)).await?;
        if out.stdout_text().trim() == "__HOTPLAY_SKIP__" {
            return Ok(Outcome::ok().msg("skipped, the guard says it is not needed"));
        }
        let (stdout, stderr) = (out.stdout_text(), out.stderr_text());
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
