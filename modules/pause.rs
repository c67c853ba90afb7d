//! pause: wait on the controller for some time, or for the operator's answer on the
//! controller's terminal.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant, SystemTime};

pub struct Pause;

static DOC: ModuleDoc = ModuleDoc {
    name: "pause",
    short: "Wait for some time or for the operator",
    description: "Runs on the controller. With `seconds` or `minutes` it waits that long (showing `prompt` on the terminal, if there is one). Without them it shows `prompt` on the controller's terminal and waits for a line (Enter); what was typed is returned as `user_input` (not echoed with echo=no). With no terminal (stdin not a tty: CI, cron, a pipe) a prompt without seconds/minutes is an error, never a silent skip.",
    args: &[
        ArgSpec::new(
            "seconds",
            ArgType::Float,
            "Seconds to wait (fractions allowed).",
        ),
        ArgSpec::new(
            "minutes",
            ArgType::Float,
            "Minutes to wait (wins over seconds).",
        ),
        ArgSpec::new("prompt", ArgType::Str, "The text to show the operator."),
        ArgSpec::new("echo", ArgType::Bool, "Show what the operator types.").default("yes"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (it changes nothing).",
    returns: "user_input: the line typed (\"\" after a timed pause)
start, stop: local date and time (YYYY-MM-DD HH:MM:SS.ffffff)
delta: whole seconds paused
stdout: \"Paused for N seconds\" (or minutes)
echo: as given",
    examples: "- pause:
    prompt: The backup holds the VIP now. Press Enter to upgrade the old master
- pause:
    minutes: 2
- pause:
    prompt: Type the cluster name to confirm
    echo: no
  register: confirm",
};

/// The local date and time as Python's `str(datetime.datetime.now())` writes it.
fn local_now() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = !unsafe { libc::localtime_r(&secs, &mut tm) }.is_null();
    if !ok {
        return format!("{}.{:06}", now.as_secs(), now.subsec_micros());
    }
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

/// Shows `prompt` on the terminal and reads one line, without echo when asked.
pub fn ask(prompt: &str, echo: bool) -> Result<String, String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("cannot open the terminal: {e}"))?;
    let fd = std::os::unix::io::AsRawFd::as_raw_fd(&tty);
    // SAFETY: termios calls on our own open tty descriptor.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    let saved = (!echo && unsafe { libc::tcgetattr(fd, &mut term) } == 0).then_some(term);
    if let Some(mut quiet) = saved {
        quiet.c_lflag &= !libc::ECHO;
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let mut w = &tty;
    let _ = write!(w, "{prompt}");
    let _ = w.flush();
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if let Some(old) = saved {
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &old) };
        let _ = writeln!(w);
    }
    read.map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Shows a line on the terminal, if there is one.
fn show(text: &str) {
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = write!(tty, "{text}");
        let _ = tty.flush();
    }
}

#[async_trait]
impl Module for Pause {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    fn once_per_batch(&self) -> bool {
        true
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let (wait, unit) = match (args.float("minutes"), args.float("seconds")) {
            (Some(m), _) => (Some(m * 60.0), "minutes"),
            (None, Some(s)) => (Some(s), "seconds"),
            (None, None) => (None, "seconds"),
        };
        if wait.is_some_and(|w| !w.is_finite()) {
            return Ok(Outcome::failed(
                "non-integer value given for prompt duration",
            ));
        }
        let echo = args.bool("echo");
        let hidden = if echo { "" } else { " (output is hidden)" };
        let interactive = std::io::stdin().is_terminal();
        let started = Instant::now();
        let start = local_now();
        let mut input = String::new();
        match wait {
            Some(secs) => {
                let secs = secs.max(0.0);
                if interactive {
                    let text = args
                        .str("prompt")
                        .map(|p| format!("{p}\n"))
                        .unwrap_or_default();
                    show(&format!("Pausing for {secs} seconds{hidden}\n{text}"));
                }
                let d = Duration::from_secs_f64(secs);
                h.waiting("the pause to end", Some(d), tokio::time::sleep(d))
                    .await;
            }
            None => {
                if !interactive {
                    return Ok(Outcome::failed(
                        "pause: a prompt needs a terminal to answer on (stdin is not a tty); give seconds or minutes to pause unattended",
                    ));
                }
                let prompt = format!(
                    "[pause]\n{}{hidden}:\n",
                    args.str("prompt")
                        .unwrap_or("Press enter to continue, Ctrl+C to interrupt")
                );
                let answer = tokio::task::spawn_blocking(move || ask(&prompt, echo)).await;
                input = match answer {
                    Ok(Ok(line)) => line,
                    Ok(Err(e)) => return Ok(Outcome::failed(format!("pause: {e}"))),
                    Err(e) => return Ok(Outcome::failed(format!("pause: {e}"))),
                };
            }
        }
        let took = started.elapsed().as_secs_f64();
        let shown = if unit == "minutes" { took / 60.0 } else { took };
        let rounded = (shown * 100.0).round() / 100.0;
        Ok(Outcome::ok()
            .with("user_input", input)
            .with("start", start)
            .with("stop", local_now())
            .with("delta", took as i64)
            .with("echo", echo)
            .with("rc", 0)
            .with("stderr", "")
            .with(
                "stdout",
                format!(
                    "Paused for {} {unit}",
                    crate::plan::template::pyjson::float(rounded)
                ),
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn timed_pause_returns_ansible_fields() {
        let fx = Fixture::new();
        let t = Instant::now();
        let o = fx.run(&Pause, json!({"seconds": 0.3}), false, false).await;
        assert!(!o.failed && !o.changed, "{o:?}");
        assert!(t.elapsed() >= Duration::from_millis(300));
        assert_eq!(o.data["user_input"], "");
        assert_eq!(o.data["delta"], 0);
        let stdout = o.data["stdout"].as_str().unwrap_or_default();
        assert!(
            stdout.starts_with("Paused for 0.") && stdout.ends_with(" seconds"),
            "{stdout}"
        );
        let start = o.data["start"].as_str().expect("start");
        assert_eq!(start.len(), "2024-01-01 00:00:00.000000".len(), "{start}");
        let o = fx
            .run(
                &Pause,
                json!({"minutes": 0.005, "prompt": "wait"}),
                false,
                false,
            )
            .await;
        assert!(!o.failed, "{o:?}");
        assert!(
            o.data["stdout"]
                .as_str()
                .unwrap_or_default()
                .ends_with(" minutes")
        );
    }

    #[tokio::test]
    async fn prompt_without_terminal_is_an_error() {
        if std::io::stdin().is_terminal() {
            return;
        }
        let fx = Fixture::new();
        let o = fx
            .run(&Pause, json!({"prompt": "continue?"}), false, false)
            .await;
        assert!(o.failed);
        assert!(
            o.msg
                .as_deref()
                .unwrap_or_default()
                .contains("needs a terminal")
        );
    }
}
