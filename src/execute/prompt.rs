//! vars_prompt: the play's questions, asked on the controller's terminal before the
//! play starts, as ansible-playbook asks them.

use crate::parse::inventory::VarMap;
use crate::plan::template::Templar;
use crate::plan::tree::Play;
use crate::plan::vars::{Context, Layer};
use serde_json::Value;
use std::io::IsTerminal;
use std::sync::Arc;

/// The answers, by variable name. A name given as an extra var is not asked; without
/// a terminal nothing is asked (a warning) and the default is taken.
pub fn ask_vars(
    play: &Play,
    extra: &Arc<VarMap>,
    templar: &Arc<Templar>,
    warn: &dyn Fn(String),
) -> Result<VarMap, String> {
    let mut answers = VarMap::new();
    if play.vars_prompt.is_empty() {
        return Ok(answers);
    }
    let ctx = Context::new(
        vec![Layer::lazy(extra.clone()), Layer::lazy(play.vars.clone())],
        templar.clone(),
        None,
    );
    let interactive = std::io::stdin().is_terminal();
    for entry in &play.vars_prompt {
        let spec = templar
            .render_json(&entry.to_json(), &ctx.as_value())
            .map_err(|e| format!("{}: vars_prompt: {}", entry.span, e.message))?;
        let text = |k: &str| match spec.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        };
        let flag = |k: &str, default: bool| {
            spec.get(k)
                .and_then(crate::execute::args::to_bool)
                .unwrap_or(default)
        };
        let name = text("name").unwrap_or_default();
        if extra.contains_key(&name) {
            continue;
        }
        let private = flag("private", true);
        let default = text("default");
        let mut answer: Option<String> = None;
        if interactive {
            let msg = match (text("prompt"), &default) {
                (Some(p), Some(d)) => format!("{p} [{d}]: "),
                (Some(p), None) => format!("{p}: "),
                (None, _) => format!("input for {name}: "),
            };
            loop {
                let first = crate::modules::pause::ask(&msg, !private)?;
                if !flag("confirm", false) {
                    answer = Some(first);
                    break;
                }
                let second = crate::modules::pause::ask(&format!("confirm {msg}"), !private)?;
                if first == second {
                    answer = Some(first);
                    break;
                }
                eprintln!("***** VALUES ENTERED DO NOT MATCH ****");
            }
        } else {
            warn("Not prompting as we are not in interactive mode".into());
        }
        if answer.as_deref().is_none_or(str::is_empty)
            && let Some(d) = default
        {
            answer = Some(d);
        }
        let given = answer.is_some();
        // Python's to_text(None) is "None".
        let mut value = answer.unwrap_or_else(|| "None".into());
        if let Some(scheme) = text("encrypt") {
            value = encrypt(templar, &value, &scheme, text("salt"))
                .map_err(|e| format!("{}: vars_prompt {name}: {e}", entry.span))?;
        }
        if private && given {
            crate::parse::secrets::remember(&value);
        }
        answers.insert(name, Value::String(value));
    }
    Ok(answers)
}

/// `encrypt: sha512_crypt` (passlib's names) through the password_hash filter.
fn encrypt(
    templar: &Templar,
    value: &str,
    scheme: &str,
    salt: Option<String>,
) -> Result<String, String> {
    let hash = scheme.trim_end_matches("_crypt");
    let mut vars = serde_json::Map::new();
    vars.insert("v".into(), Value::from(value));
    vars.insert("h".into(), Value::from(hash));
    vars.insert("s".into(), salt.map(Value::from).unwrap_or(Value::Null));
    let ctx = crate::plan::template::to_jinja(&Value::Object(vars));
    match templar.render_value("{{ v | password_hash(h, s) }}", &ctx) {
        Ok(Value::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(e.message),
    }
}
