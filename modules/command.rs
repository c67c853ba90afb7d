//! command, shell, raw: run a command on the target.

use crate::execute::args::to_bool;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::parse::shell::{quote, shell_words};
use async_trait::async_trait;
use serde_json::Value;

const RETURNS: &str = "rc, stdout, stderr, stdout_lines, stderr_lines, cmd, start, end, delta";

/// Printed instead of running when `creates`/`removes` say the command is not needed.
const NOT_NEEDED: &str = "__HOTPLAY_NOT_NEEDED__";

pub struct Command;
pub struct Shell;
pub struct Raw;

static COMMAND_ARGS: &[ArgSpec] = &[
    ArgSpec::new(
        "cmd",
        ArgType::Str,
        "The command to run (instead of the free form).",
    ),
    ArgSpec::new(
        "argv",
        ArgType::List,
        "The command as a list of words; no quoting needed.",
    ),
    ArgSpec::new("chdir", ArgType::Path, "Change into this directory first."),
    ArgSpec::new(
        "creates",
        ArgType::Path,
        "Do not run when this path exists.",
    ),
    ArgSpec::new("removes", ArgType::Path, "Run only when this path exists."),
    ArgSpec::new("stdin", ArgType::Str, "Text fed to the command's stdin."),
    ArgSpec::new(
        "stdin_add_newline",
        ArgType::Bool,
        "Append a newline to stdin.",
    )
    .default("yes"),
    ArgSpec::new(
        "strip_empty_ends",
        ArgType::Bool,
        "Strip trailing newlines of stdout/stderr.",
    )
    .default("yes"),
    ArgSpec::new(
        "executable",
        ArgType::Path,
        "The shell to use (shell only; command ignores it).",
    ),
];

static COMMAND_DOC: ModuleDoc = ModuleDoc {
    name: "command",
    short: "Run a command without a shell",
    description: "Runs the command's words directly (each quoted), so shell operators such as |, > and $VAR are not interpreted. Use `shell` for those.",
    args: COMMAND_ARGS,
    free_form: FreeForm::Command,
    check_mode: "Skipped (cannot predict) unless `creates` or `removes` decide that it would not run.",
    returns: RETURNS,
    examples: "- command: /usr/bin/make install chdir=/src\n- command:\n    argv: [echo, 'a b']",
};

static SHELL_DOC: ModuleDoc = ModuleDoc {
    name: "shell",
    short: "Run a command through a shell",
    description: "Runs the text with /bin/sh (or `executable`), so pipes, redirections and variables work.",
    args: COMMAND_ARGS,
    free_form: FreeForm::Command,
    check_mode: "Skipped (cannot predict) unless `creates` or `removes` decide that it would not run.",
    returns: RETURNS,
    examples: "- shell: ps -ef | grep hotdb > /tmp/ps.txt\n  args:\n    chdir: /tmp\n    creates: /tmp/ps.txt",
};

static RAW_DOC: ModuleDoc = ModuleDoc {
    name: "raw",
    short: "Run a raw command line",
    description: "Sends the text as it is to the target's shell. No chdir/creates/removes.",
    args: &[ArgSpec::new(
        "executable",
        ArgType::Path,
        "The shell to use.",
    )],
    free_form: FreeForm::Command,
    check_mode: "Skipped (cannot predict).",
    returns: "rc, stdout, stderr, stdout_lines, stderr_lines",
    examples: "- raw: uptime",
};

#[derive(PartialEq)]
enum Kind {
    Command,
    Shell,
    Raw,
}

/// The script that runs the command, guarded by creates/removes in the same round trip.
fn build_script(kind: &Kind, args: &Args) -> Result<(Value, String), String> {
    let text = args.string("_raw_params").or_else(|| args.string("cmd"));
    let (display, body) = match kind {
        Kind::Command => {
            let words = match (args.has("argv"), &text) {
                (true, None) => args.str_list("argv"),
                (false, Some(t)) => shell_words(t)?,
                (true, Some(_)) => {
                    return Err("only one of 'argv' and a command string may be given".into());
                }
                (false, None) => return Err("no command given".into()),
            };
            if words.is_empty() {
                return Err("no command given".into());
            }
            let line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
            (Value::from(words), format!("exec {line}"))
        }
        Kind::Shell | Kind::Raw => {
            let text = text.ok_or("no command given")?;
            let body = match args.str("executable") {
                Some(exe) => format!("exec {} -c {}", quote(exe), quote(&text)),
                None => text.clone(),
            };
            (Value::String(text), body)
        }
    };
    let mut script = String::new();
    if let Some(c) = args.str("creates") {
        script.push_str(&format!(
            "if [ -e {} ]; then printf {NOT_NEEDED}; exit 0; fi\n",
            quote(c)
        ));
    }
    if let Some(r) = args.str("removes") {
        script.push_str(&format!(
            "if [ ! -e {} ]; then printf {NOT_NEEDED}; exit 0; fi\n",
            quote(r)
        ));
    }
    if let Some(d) = args.str("chdir") {
        script.push_str(&format!("cd {} || exit 1\n", quote(d)));
    }
    script.push_str(&body);
    Ok((display, script))
}

fn text_out(bytes: &[u8], strip: bool) -> String {
    let s = String::from_utf8_lossy(bytes).into_owned();
    if strip {
        s.trim_end_matches(['\n', '\r']).to_string()
    } else {
        s
    }
}

fn lines(s: &str) -> Value {
    Value::from(s.lines().map(str::to_string).collect::<Vec<_>>())
}

async fn run_command(kind: Kind, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
    let (display, script) = match build_script(&kind, args) {
        Ok(s) => s,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    let guarded = args.has("creates") || args.has("removes");
    if h.check_mode && kind != Kind::Raw && guarded {
        // Only the guard decides: run just the test part.
        let test: String = script
            .lines()
            .filter(|l| l.starts_with("if ["))
            .chain(std::iter::once("exit 1"))
            .collect::<Vec<_>>()
            .join("\n");
        let out = h.run(test).await?;
        if out.stdout == NOT_NEEDED.as_bytes() {
            return Ok(not_needed(args));
        }
        return Ok(Outcome::changed(true).msg("Command would have run if not in check mode"));
    }
    if h.check_mode {
        return Ok(Outcome::skipped(
            "Command would have run if not in check mode",
        ));
    }
    let stdin = match args.str("stdin") {
        Some(s) => {
            let mut data = s.as_bytes().to_vec();
            if to_bool(args.get("stdin_add_newline").unwrap_or(&Value::Bool(true))) == Some(true) {
                data.push(b'\n');
            }
            Stdin::Bytes(data)
        }
        None => Stdin::None,
    };
    let start = chrono_like_now();
    let started = std::time::Instant::now();
    let out = h.run_with_stdin(script, stdin).await?;
    if out.stdout == NOT_NEEDED.as_bytes() {
        return Ok(not_needed(args));
    }
    let strip = kind == Kind::Raw
        || args
            .get("strip_empty_ends")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    let stdout = text_out(&out.stdout, strip);
    let stderr = text_out(&out.stderr, strip);
    let mut o = Outcome::changed(true)
        .with("rc", out.rc)
        .with("stdout_lines", lines(&stdout))
        .with("stderr_lines", lines(&stderr))
        .with("stdout", stdout)
        .with("stderr", stderr);
    if kind != Kind::Raw {
        // As ansible-core: the argv list for command, the string for shell.
        o = o
            .with("cmd", display)
            .with("start", start)
            .with("end", chrono_like_now())
            .with("delta", format_delta(started.elapsed()));
    }
    if out.rc != 0 {
        o.failed = true;
        o.msg = Some("non-zero return code".into());
    } else if kind != Kind::Raw {
        o.msg = Some(String::new());
    }
    Ok(o)
}

fn not_needed(args: &Args) -> Outcome {
    let msg = match (args.str("creates"), args.str("removes")) {
        (Some(c), _) => format!("Did not run command since '{c}' exists"),
        (None, Some(r)) => format!("Did not run command since '{r}' does not exist"),
        _ => "Did not run command".into(),
    };
    Outcome::ok()
        .msg(msg)
        .with("rc", 0)
        .with("stdout", "")
        .with("stderr", "")
}

/// Local time as Ansible prints it, `2024-01-01 12:00:00.000000`.
fn chrono_like_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r writes into our own tm and reads our own time_t.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_micros()
    )
}

fn format_delta(d: std::time::Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        d.subsec_micros()
    )
}

#[async_trait]
impl Module for Command {
    fn doc(&self) -> &'static ModuleDoc {
        &COMMAND_DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        run_command(Kind::Command, h, args).await
    }
}

#[async_trait]
impl Module for Shell {
    fn doc(&self) -> &'static ModuleDoc {
        &SHELL_DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        run_command(Kind::Shell, h, args).await
    }
}

#[async_trait]
impl Module for Raw {
    fn doc(&self) -> &'static ModuleDoc {
        &RAW_DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        run_command(Kind::Raw, h, args).await
    }
}
