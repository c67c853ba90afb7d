//! debug: print a message or a variable.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct Debug;

static DOC: ModuleDoc = ModuleDoc {
    name: "debug",
    short: "Print a message or a variable",
    description: "Prints `msg`, or the value of the expression `var`. Runs on the controller.",
    args: &[
        ArgSpec::new("msg", ArgType::Raw, "The message (any value)."),
        ArgSpec::new(
            "var",
            ArgType::Str,
            "A variable name or expression to show, without braces.",
        ),
        ArgSpec::new(
            "verbosity",
            ArgType::Int,
            "Show only at this -v level or above.",
        )
        .default("0"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual.",
    returns: "msg, or the variable under its own name",
    examples: "- debug: msg=\"Upgrading to {{ target_version }}\"\n- debug: var=result.stdout_lines",
};

#[async_trait]
impl Module for Debug {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let threshold = args.int("verbosity").unwrap_or(0);
        if threshold > i64::from(h.verbosity) {
            return Ok(Outcome::skipped("Verbosity threshold not met."));
        }
        if args.has("msg") && args.has("var") {
            return Ok(Outcome::failed("'msg' and 'var' are incompatible options"));
        }
        if let Some(var) = args.str("var") {
            let expr = var.trim();
            let template = if crate::plan::template::Templar::is_template(expr) {
                expr.to_string()
            } else {
                format!("{{{{ {expr} }}}}")
            };
            let value = match h.templar.render_value(&template, h.vars) {
                Ok(v) => v,
                // With -v Ansible says why.
                Err(e) if h.verbosity > 0 => {
                    Value::String(format!("VARIABLE IS NOT DEFINED!: {}", e.message))
                }
                Err(_) => Value::String("VARIABLE IS NOT DEFINED!".into()),
            };
            return Ok(Outcome::ok()
                .with(var, value)
                .with("_ansible_verbose_always", true));
        }
        let msg = args
            .get("msg")
            .cloned()
            .unwrap_or_else(|| Value::String("Hello world!".into()));
        let mut o = Outcome::ok();
        o.data.insert("msg".into(), msg);
        o.data
            .insert("_ansible_verbose_always".into(), Value::Bool(true));
        Ok(o)
    }
}
