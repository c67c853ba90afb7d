//! group_by: put the host in a group named from its variables, for the plays that follow.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct GroupBy;

static DOC: ModuleDoc = ModuleDoc {
    name: "group_by",
    short: "Group hosts by a key",
    description: "Makes the host a member of the group `key` (created when new, spaces turned into dashes) in the inventory of this run, and the group a child of each of `parents`. Later plays can target the group; its group_vars apply to the host from the next task on.",
    args: &[
        ArgSpec::new("key", ArgType::Str, "The group's name."),
        ArgSpec::new(
            "parents",
            ArgType::Raw,
            "The parent group or groups (a name or a list).",
        )
        .default("all"),
    ],
    free_form: FreeForm::KeyValue,
    check_mode: "Runs as usual: the inventory changes in check mode too.",
    returns: "add_group: the group's name\nparent_groups: its parents",
    examples: "- group_by:\n    key: \"role_{{ hotdb_role }}\"",
};

#[async_trait]
impl Module for GroupBy {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let Some(key) = args.get("key") else {
            return Ok(Outcome::failed(
                "the 'key' param is required when using group_by",
            ));
        };
        let group = text(key).replace(' ', "-");
        let parents: Vec<String> = match args.get("parents") {
            Some(Value::Array(a)) => a.iter().map(|p| text(p).replace(' ', "-")).collect(),
            Some(p) => vec![text(p).replace(' ', "-")],
            None => vec!["all".into()],
        };
        let mut out = Outcome::changed(would_change(h, &group, &parents))
            .with("add_group", group.as_str())
            .with("parent_groups", json!(parents));
        let invalid = |g: &str| !g.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if invalid(&group) || parents.iter().any(|p| invalid(p)) {
            out.warnings.push(
                "Invalid characters were found in group names but not replaced, use -vvvv to see details".into(),
            );
        }
        Ok(out)
    }
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// Whether the host is not yet in the group, or a parent is new.
fn would_change(h: &Handle<'_>, group: &str, parents: &[String]) -> bool {
    let groups = h
        .vars
        .get_attr("groups")
        .map(|v| serde_json::to_value(&v).unwrap_or(Value::Null))
        .unwrap_or_default();
    let in_group = groups
        .get(group)
        .and_then(Value::as_array)
        .is_some_and(|hs| hs.iter().any(|x| x == h.host));
    !in_group || parents.iter().any(|p| groups.get(p).is_none())
}
