//! pause: wait on the controller for some time, or for the operator.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use std::io::IsTerminal;

pub struct Pause;

static DOC: ModuleDoc = ModuleDoc {
    name: "pause",
    short: "Wait for a time or for the operator",
    description: "Sleeps `seconds`/`minutes`, or shows `prompt` and waits for Enter on the controller's terminal. Without a terminal a prompt alone is an error; with a time as well, the prompt is shown and the time waited.",
    args: &[
        ArgSpec::new("seconds", ArgType::Float, "Seconds to wait."),
        ArgSpec::new("minutes", ArgType::Float, "Minutes to wait."),
        ArgSpec::new("prompt", ArgType::Str, "Text to show."),
        ArgSpec::new("echo", ArgType::Bool, "Echo what the operator types.").default("yes"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual.",
    returns: "user_input, start, stop, delta, echo",
    examples: "- pause:\n    prompt: \"The backup holds the VIP now. Press Enter to upgrade the old master\"",
};

#[async_trait]
impl Module for Pause {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, _h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let secs = args
            .float("seconds")
            .or_else(|| args.float("minutes").map(|m| m * 60.0));
        if secs.is_some_and(|s| s < 0.0) {
            return Ok(Outcome::failed("pause: the time must not be negative"));
        }
        let started = std::time::Instant::now();
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0)
        };
        let start = now();
        let mut input = String::new();
        match (secs, args.str("prompt")) {
            (Some(s), prompt) => {
                if let Some(p) = prompt {
                    eprintln!("[pause]\n{p}:");
                }
                tokio::time::sleep(std::time::Duration::from_secs_f64(s)).await;
            }
            (None, prompt) => {
                if !std::io::stdin().is_terminal() {
                    return Ok(Outcome::failed(
                        "pause: a prompt needs a terminal to answer on; give seconds or minutes to run unattended",
                    ));
                }
                eprint!(
                    "[pause]\n{}:\n",
                    prompt.unwrap_or("Press enter to continue, Ctrl+C to interrupt")
                );
                let read = tokio::task::spawn_blocking(|| {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map(|_| line)
                })
                .await;
                match read {
                    Ok(Ok(l)) => input = l.trim_end_matches(['\n', '\r']).to_string(),
                    _ => return Ok(Outcome::failed("pause: cannot read the answer")),
                }
            }
        }
        Ok(Outcome::ok()
            .with("user_input", input)
            .with("start", format!("{start:.6}"))
            .with("stop", format!("{:.6}", now()))
            .with("delta", started.elapsed().as_secs())
            .with("echo", args.bool("echo")))
    }
}
