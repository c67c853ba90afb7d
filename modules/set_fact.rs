//! set_fact: set host variables for the rest of the run.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct SetFact;

static DOC: ModuleDoc = ModuleDoc {
    name: "set_fact",
    short: "Set host variables",
    description: "Sets each given key as a variable of the host, above play and host vars and below extra vars (Ansible's precedence). A string value true/false/yes/no (any case) becomes a boolean, as in ansible-core. Runs on the controller.",
    args: &[
        ArgSpec::new(
            "cacheable",
            ArgType::Bool,
            "Also store as a fact (accepted; hotplay keeps no fact cache between runs).",
        )
        .default("no"),
        ArgSpec::new("*", ArgType::Raw, "Any variable name and its value."),
    ],
    free_form: FreeForm::KeyValue,
    check_mode: "Runs as usual: facts are set in check mode too.",
    returns: "ansible_facts",
    examples: "- set_fact:\n    old_version: \"{{ installed.stdout }}\"",
};

/// The key under which set_fact's variables travel to the engine.
pub const SET_FACT_KEY: &str = "_hotplay_set_fact";

#[async_trait]
impl Module for SetFact {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, _h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let mut facts = serde_json::Map::new();
        for (k, v) in &args.values {
            if k == "cacheable" {
                continue;
            }
            if k == "_raw_params" {
                return Ok(Outcome::failed(format!(
                    "set_fact takes key=value pairs, not '{}'",
                    v.as_str().unwrap_or_default()
                )));
            }
            if !valid_name(k) {
                return Ok(Outcome::failed(format!(
                    "The variable name '{k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
                )));
            }
            facts.insert(k.clone(), yes_no_as_bool(v));
        }
        if facts.is_empty() {
            return Ok(Outcome::failed(
                "No key/value pairs provided, at least one is required for this action to succeed",
            ));
        }
        Ok(Outcome::ok()
            .with("ansible_facts", Value::Object(facts))
            .with(SET_FACT_KEY, true))
    }
}

pub fn valid_name(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// As ansible-core's set_fact (without jinja2_native): a string true/false/yes/no, in
/// any case, becomes a boolean.
fn yes_no_as_bool(v: &Value) -> Value {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("true" | "yes") => Value::Bool(true),
        Some("false" | "no") => Value::Bool(false),
        _ => v.clone(),
    }
}
