//! add_host: add a host (and its groups and vars) to the run's in-memory inventory.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct AddHost;

static DOC: ModuleDoc = ModuleDoc {
    name: "add_host",
    short: "Add a host to the in-memory inventory",
    description: "Adds a host (or updates one) in the inventory of this run, for the plays that follow: its groups (created when new) and any other argument as its host variables. Runs once on the controller for the first host of the batch, like Ansible's (give it a loop to add several); its result is registered for that host only. A `name:port` sets ansible_ssh_port.",
    args: &[
        ArgSpec::new("name", ArgType::Str, "The host's name (or `name:port`).")
            .aliases(&["host", "hostname"]),
        ArgSpec::new(
            "groups",
            ArgType::List,
            "Groups to put the host in (a list or a comma-separated string).",
        )
        .aliases(&["group", "groupname"]),
        ArgSpec::new("*", ArgType::Raw, "Any other key: a host variable."),
    ],
    free_form: FreeForm::KeyValue,
    check_mode: "Runs as usual: the inventory changes in check mode too.",
    returns: "add_host: {host_name, groups, host_vars}",
    examples: "- add_host:\n    name: \"{{ new_ip }}\"\n    groups: [hotdb_cluster]\n    ansible_user: hotdb",
};

#[async_trait]
impl Module for AddHost {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    fn once_per_batch(&self) -> bool {
        true
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let Some(given) = args.get("name").map(text) else {
            return Ok(Outcome::failed(
                "name, host or hostname needs to be provided",
            ));
        };
        let mut host_vars = serde_json::Map::new();
        let name = match crate::parse::inventory::parse_address(&given) {
            Some((name, Some(port))) => {
                host_vars.insert("ansible_ssh_port".into(), json!(port));
                name
            }
            Some((name, None)) => name,
            None => given.clone(),
        };
        let mut groups: Vec<String> = Vec::new();
        for g in args
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let g = text(g).trim().to_string();
            if !g.is_empty() && !groups.contains(&g) {
                groups.push(g);
            }
        }
        for (k, v) in &args.values {
            if !matches!(k.as_str(), "name" | "groups" | "_raw_params") && !v.is_null() {
                host_vars.insert(k.clone(), v.clone());
            }
        }
        let changed = would_change(h, &name, &groups, &host_vars);
        Ok(Outcome::changed(changed).with(
            "add_host",
            json!({"host_name": name, "groups": groups, "host_vars": host_vars}),
        ))
    }
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// Whether the inventory would change: a new host, a new membership, or a new value.
fn would_change(
    h: &Handle<'_>,
    name: &str,
    groups: &[String],
    vars: &serde_json::Map<String, Value>,
) -> bool {
    let as_json = |v: minijinja::Value| serde_json::to_value(&v).unwrap_or(Value::Null);
    let all_groups = h.vars.get_attr("groups").map(as_json).unwrap_or_default();
    let member = |g: &str| {
        all_groups
            .get(g)
            .and_then(Value::as_array)
            .is_some_and(|hs| hs.iter().any(|x| x == name))
    };
    if !member("all") || groups.iter().any(|g| !member(g)) {
        return true;
    }
    let Ok(host) = h
        .vars
        .get_attr("hostvars")
        .and_then(|hv| hv.get_item(&minijinja::Value::from(name)))
    else {
        return true;
    };
    vars.iter().any(|(k, v)| {
        host.get_attr(k)
            .ok()
            .filter(|x| !x.is_undefined())
            .map(as_json)
            .as_ref()
            != Some(v)
    })
}
