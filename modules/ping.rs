//! ping: proves the host runs commands.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct Ping;

static DOC: ModuleDoc = ModuleDoc {
    name: "ping",
    short: "Check that a host answers",
    description: "Runs a trivial command on the target; returns `ping: pong` (or `data`).",
    args: &[ArgSpec::new(
        "data",
        ArgType::Str,
        "What to return as `ping`; `crash` fails.",
    )
    .default("pong")],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (changes nothing).",
    returns: "ping",
    examples: "- ping:",
};

#[async_trait]
impl Module for Ping {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let data = args.string("data").unwrap_or_else(|| "pong".into());
        if data == "crash" {
            return Ok(Outcome::failed("boom"));
        }
        let out = h.run("true").await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "the target shell failed: {}",
                out.stderr_text().trim()
            )));
        }
        Ok(Outcome::ok().with("ping", data))
    }
}
