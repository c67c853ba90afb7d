//! fail: stop the host with a message.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct Fail;

static DOC: ModuleDoc = ModuleDoc {
    name: "fail",
    short: "Fail with a message",
    description: "Fails the host, usually with `when`.",
    args: &[
        ArgSpec::new("msg", ArgType::Raw, "The message.").default("Failed as requested from task")
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual.",
    returns: "msg",
    examples: "- fail:\n    msg: the cluster has more data nodes than the trial license allows\n  when: data_nodes | int > 16",
};

#[async_trait]
impl Module for Fail {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, _h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let msg = match args.get("msg") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "Failed as requested from task".into(),
        };
        Ok(Outcome::failed(msg))
    }
}
