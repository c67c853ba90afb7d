//! Ansible's YAML inventory: top-level groups (usually `all`), each a mapping of
//! `hosts`, `children` and `vars`; host keys may hold ranges and `:port`. As in
//! Ansible a section may also be a lone name (`hosts: web1`).

use super::{Builder, VarMap, expand_host_pattern};
use crate::parse::{Diag, DiagResult, Kind, Node};
use serde_json::Value;

const KEYWORDS: [&str; 3] = ["hosts", "children", "vars"];

pub(super) fn load(doc: &Node, b: &mut Builder) -> DiagResult<()> {
    if doc.is_null() {
        return Ok(());
    }
    let groups = doc.expect_map("a YAML inventory")?;
    if let Some((key, _)) = groups.iter().find(|(k, _)| k.as_str() == Some("plugin")) {
        return Err(Diag::new(
            key.span,
            "inventory plugin configurations (`plugin:`) are not supported",
        )
        .note("list the hosts and groups in the file: all: {hosts: ..., children: ...}"));
    }
    for (key, value) in groups {
        let name = key.expect_string("a group name")?;
        group(&name, key, value, b, 0)?;
    }
    Ok(())
}

fn group(name: &str, key: &Node, node: &Node, b: &mut Builder, depth: usize) -> DiagResult<()> {
    if depth > 64 {
        return Err(Diag::new(node.span, "inventory groups nest too deeply"));
    }
    b.group(name, key.span);
    let entries = match &node.kind {
        Kind::Null => return Ok(()),
        Kind::Map(entries) => entries,
        _ => {
            return Err(Diag::new(
                node.span,
                format!(
                    "the group `{name}` must be a mapping of `hosts`, `children` and `vars`, found {}",
                    node.type_name()
                ),
            ));
        }
    };
    for (k, v) in entries {
        let word = k.expect_string("a group keyword")?;
        match word.as_str() {
            "hosts" => hosts(name, v, b)?,
            "children" => children(name, v, b, depth)?,
            "vars" => vars(name, v, b)?,
            other => {
                return Err(Diag::new(
                    k.span,
                    format!("`{other}` is not valid in the inventory group `{name}`"),
                )
                .note("a group holds `hosts`, `children` and `vars`")
                .suggest(other, KEYWORDS));
            }
        }
    }
    Ok(())
}

/// A section's entries, each a key and its value (none for the lone-name form).
fn section<'a>(
    what: &str,
    group: &str,
    node: &'a Node,
) -> DiagResult<Vec<(&'a Node, Option<&'a Node>)>> {
    match &node.kind {
        Kind::Null => Ok(Vec::new()),
        Kind::Map(entries) => Ok(entries.iter().map(|(k, v)| (k, Some(v))).collect()),
        Kind::Str(_) => Ok(vec![(node, None)]),
        _ => Err(Diag::new(
            node.span,
            format!("`{what}` must be a mapping, found {}", node.type_name()),
        )
        .note(format!("in the inventory group `{group}`"))),
    }
}

fn hosts(group: &str, node: &Node, b: &mut Builder) -> DiagResult<()> {
    for (key, value) in section("hosts", group, node)? {
        let entry = key.expect_string("a host name")?;
        let vars = match value {
            None => VarMap::new(),
            Some(v) => match v.to_json() {
                Value::Object(m) => m,
                Value::Null => VarMap::new(),
                _ => {
                    return Err(Diag::new(
                        v.span,
                        format!(
                            "the variables of the host `{entry}` must be a mapping, found {}",
                            v.type_name()
                        ),
                    ));
                }
            },
        };
        let (names, port) = expand_host_pattern(&entry).map_err(|e| Diag::new(key.span, e))?;
        let mut host_vars = VarMap::new();
        if let Some(p) = port {
            host_vars.insert("ansible_port".into(), Value::from(p));
        }
        host_vars.extend(vars);
        for name in names {
            b.host(&name, group, host_vars.clone(), key.span);
        }
    }
    Ok(())
}

fn children(group: &str, node: &Node, b: &mut Builder, depth: usize) -> DiagResult<()> {
    for (key, value) in section("children", group, node)? {
        let child = key.expect_string("a group name")?;
        match value {
            Some(v) => self::group(&child, key, v, b, depth + 1)?,
            None => b.group(&child, key.span),
        }
        b.child(group, &child, key.span)?;
    }
    Ok(())
}

fn vars(group: &str, node: &Node, b: &mut Builder) -> DiagResult<()> {
    for (key, value) in section("vars", group, node)? {
        let name = key.expect_string("a variable name")?;
        b.group_var(group, &name, value.map_or(Value::Null, Node::to_json));
    }
    Ok(())
}
