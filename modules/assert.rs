//! assert: fail unless every condition holds.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct Assert;

static DOC: ModuleDoc = ModuleDoc {
    name: "assert",
    short: "Check conditions",
    description: "Evaluates each expression of `that` (as `when` does) and fails at the first false one.",
    args: &[
        ArgSpec::new(
            "that",
            ArgType::Raw,
            "Conditions, as bare Jinja expressions: a list, or one expression (never split at commas).",
        )
        .required(),
        ArgSpec::new("fail_msg", ArgType::Raw, "Message when an assertion fails.")
            .aliases(&["msg"]),
        ArgSpec::new("success_msg", ArgType::Raw, "Message when all pass."),
        ArgSpec::new("quiet", ArgType::Bool, "Print less.").default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual.",
    returns: "msg, assertion, evaluated_to",
    examples: "- assert:\n    that:\n      - target_version is version(current_version, '>')\n    fail_msg: the package is older than the installed version",
};

#[async_trait]
impl Module for Assert {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        // As Ansible's assert: one string is one condition (commas are Jinja's).
        let thats = match args.get("that") {
            Some(Value::Array(a)) => a.clone(),
            Some(v) => vec![v.clone()],
            None => Vec::new(),
        };
        for cond in thats {
            let expr = match &cond {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            };
            match h.templar.eval_condition(&expr, h.vars) {
                Ok(true) => {}
                Ok(false) => {
                    let msg = match args.get("fail_msg") {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => "Assertion failed".into(),
                    };
                    let mut o = Outcome::failed(msg)
                        .with("assertion", expr)
                        .with("evaluated_to", false);
                    o.data
                        .insert("_ansible_verbose_always".into(), Value::Bool(true));
                    return Ok(o);
                }
                Err(e) => {
                    return Ok(Outcome::failed(format!(
                        "The conditional check '{expr}' failed. The error was: {}",
                        e.message
                    )));
                }
            }
        }
        let msg = match args.get("success_msg") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "All assertions passed".into(),
        };
        Ok(Outcome::ok().msg(msg).with("_ansible_verbose_always", true))
    }
}
