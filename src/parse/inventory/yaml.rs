//! Ansible's YAML inventory: `all: {hosts: ..., children: ..., vars: ...}`.

use super::{Builder, expand_ranges};
use crate::parse::yaml::load_file;
use crate::parse::{Diag, DiagResult, Kind, Node};
use std::path::Path;

pub fn load(path: &Path, b: &mut Builder) -> DiagResult<()> {
    let doc = load_file(path)?;
    if doc.is_null() {
        return Ok(());
    }
    for (k, v) in doc.expect_map("an inventory")? {
        let name = k.expect_string("a group name")?;
        group(&name, v, b, 0)?;
    }
    Ok(())
}

fn group(name: &str, node: &Node, b: &mut Builder, depth: usize) -> DiagResult<()> {
    if depth > 64 {
        return Err(Diag::new(node.span, "groups nest too deeply"));
    }
    b.group(name, node.span);
    if node.is_null() {
        return Ok(());
    }
    for (k, v) in node.expect_map(&format!("the group `{name}`"))? {
        let key = k.expect_string("a group keyword")?;
        match key.as_str() {
            "hosts" => {
                if v.is_null() {
                    continue;
                }
                for (h, hv) in v.expect_map("`hosts`")? {
                    let pattern = h.expect_string("a host name")?;
                    let vars = match &hv.kind {
                        Kind::Null => serde_json::Map::new(),
                        Kind::Map(_) => hv.to_json().as_object().cloned().unwrap_or_default(),
                        _ => {
                            return Err(Diag::new(
                                hv.span,
                                format!(
                                    "the variables of host `{pattern}` must be a mapping, found {}",
                                    hv.type_name()
                                ),
                            ));
                        }
                    };
                    for host in expand_ranges(&pattern).map_err(|e| Diag::new(h.span, e))? {
                        b.host(&host, name, vars.clone(), h.span);
                    }
                }
            }
            "children" => {
                if v.is_null() {
                    continue;
                }
                for (c, cv) in v.expect_map("`children`")? {
                    let child = c.expect_string("a group name")?;
                    group(&child, cv, b, depth + 1)?;
                    b.child(name, &child, c.span)?;
                }
            }
            "vars" => {
                if v.is_null() {
                    continue;
                }
                v.expect_map("`vars`")?;
                if let Some(m) = v.to_json().as_object() {
                    for (vk, vv) in m {
                        b.group_var(name, vk, vv.clone());
                    }
                }
            }
            other => {
                return Err(Diag::new(
                    k.span,
                    format!("`{other}` is not valid in an inventory group"),
                )
                .suggest(other, ["hosts", "children", "vars"]));
            }
        }
    }
    Ok(())
}
