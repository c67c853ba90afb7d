//! A play's tasks as a flat outline in execution order, for `hotplay plan`: imports already
//! expanded by the loader, blocks with their rescue and always sections, includes left to run
//! time, and what limits each task (conditions, run_once, delegate_to, loops, notify).

use super::tree::{Action, Item, LoopSource, Play, Task};
use crate::parse::{Node, Span};
use serde::Serialize;

/// The tag that marks the tasks where service moves to another node (the HA switch).
pub const HA_SWITCH_TAG: &str = "ha_switch";

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// task, include, block, rescue, always or handler.
    pub kind: &'static str,
    pub depth: usize,
    pub name: String,
    /// file:line:col of the task or block.
    pub at: String,
    pub tags: Vec<String>,
    /// The conditions of this entry, without those its enclosing block shows.
    pub when: Vec<String>,
    /// The hosts the conditions hold on, when they can be told before the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_on: Option<Vec<String>>,
    /// A condition on the host's name or groups that cannot be told before the run.
    pub some_hosts: bool,
    pub run_once: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegate_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_over: Option<String>,
    pub notify: Vec<String>,
    pub ha_switch: bool,
}

/// What the outline asks of the caller: templated text where it can be rendered before the
/// run (else the raw text), and the hosts a task's conditions hold on.
pub trait Render {
    fn text(&self, task: Option<&Task>, raw: &str) -> String;
    fn value(&self, task: &Task, node: &Node) -> String;
    fn hosts_where(&self, task: &Task, conditions: &[String]) -> Option<Vec<String>>;
}

pub fn outline(play: &Play, selected: &dyn Fn(&Task) -> bool, r: &dyn Render) -> Vec<Entry> {
    let mut out = Vec::new();
    for section in &play.sections {
        walk(section, 0, &[], selected, r, &mut out);
    }
    for h in play.handlers.iter().flatten() {
        let mut e = entry("handler", 0, h, &[], r);
        let by: Vec<String> = tasks_of(play)
            .into_iter()
            .filter(|t| {
                t.notify
                    .iter()
                    .any(|n| h.name.as_deref() == Some(n.as_str()) || h.listen.contains(n))
            })
            .map(|t| r.text(Some(t), &t.display_name()))
            .collect();
        e.notify = by;
        out.push(e);
    }
    out
}

fn tasks_of(play: &Play) -> Vec<&Task> {
    let mut out = Vec::new();
    for s in &play.sections {
        collect(s, &mut out);
    }
    out
}

fn walk(
    items: &[Item],
    depth: usize,
    shown: &[Span],
    selected: &dyn Fn(&Task) -> bool,
    r: &dyn Render,
    out: &mut Vec<Entry>,
) {
    for item in items {
        match item {
            Item::Task(t) => {
                if selected(t) {
                    out.push(entry(task_kind(t), depth, t, shown, r));
                }
            }
            Item::Block(b) => {
                let mut tasks = Vec::new();
                collect(&b.body, &mut tasks);
                collect(&b.rescue, &mut tasks);
                collect(&b.always, &mut tasks);
                if !tasks.iter().any(|t| selected(t)) {
                    continue;
                }
                // A block's own conditions are those every task in it inherits.
                let common = common_when(&tasks);
                let own: Vec<&Node> = tasks[0].attrs.when[shown.len().min(common)..common]
                    .iter()
                    .collect();
                let inner: Vec<Span> = tasks[0].attrs.when[..common]
                    .iter()
                    .map(|n| n.span)
                    .collect();
                let when: Vec<String> = own.iter().map(|n| condition_text(n)).collect();
                let only_on = if !when.iter().any(|w| on_host_identity(w)) {
                    None
                } else {
                    r.hosts_where(tasks[0], &when)
                };
                out.push(Entry {
                    kind: "block",
                    depth,
                    name: b
                        .name
                        .as_deref()
                        .map(|n| r.text(Some(tasks[0]), n))
                        .unwrap_or_default(),
                    at: b.span.to_string(),
                    tags: Vec::new(),
                    some_hosts: only_on.is_none() && when.iter().any(|w| on_host_identity(w)),
                    only_on,
                    when,
                    run_once: false,
                    delegate_to: None,
                    loop_over: None,
                    notify: Vec::new(),
                    ha_switch: false,
                });
                walk(&b.body, depth + 1, &inner, selected, r, out);
                for (kind, part) in [("rescue", &b.rescue), ("always", &b.always)] {
                    let mut in_part = Vec::new();
                    collect(part, &mut in_part);
                    if in_part.iter().any(|t| selected(t)) {
                        out.push(section(kind, depth, b.span));
                        walk(part, depth + 1, &inner, selected, r, out);
                    }
                }
            }
        }
    }
}

fn section(kind: &'static str, depth: usize, span: Span) -> Entry {
    Entry {
        kind,
        depth,
        name: String::new(),
        at: span.to_string(),
        tags: Vec::new(),
        when: Vec::new(),
        only_on: None,
        some_hosts: false,
        run_once: false,
        delegate_to: None,
        loop_over: None,
        notify: Vec::new(),
        ha_switch: false,
    }
}

fn collect<'a>(items: &'a [Item], out: &mut Vec<&'a Task>) {
    for i in items {
        match i {
            Item::Task(t) => out.push(t),
            Item::Block(b) => {
                collect(&b.body, out);
                collect(&b.rescue, out);
                collect(&b.always, out);
            }
        }
    }
}

/// How many leading conditions (by position in the source) all the tasks share.
fn common_when(tasks: &[&Task]) -> usize {
    let Some(first) = tasks.first() else { return 0 };
    let mut n = first.attrs.when.len();
    for t in &tasks[1..] {
        n = n.min(
            first
                .attrs
                .when
                .iter()
                .zip(&t.attrs.when)
                .take_while(|(a, b)| a.span == b.span)
                .count(),
        );
    }
    n
}

fn task_kind(t: &Task) -> &'static str {
    match t.action {
        Action::IncludeTasks { .. } | Action::IncludeRole { .. } => "include",
        _ => "task",
    }
}

fn entry(kind: &'static str, depth: usize, t: &Task, shown: &[Span], r: &dyn Render) -> Entry {
    let when: Vec<String> = t
        .attrs
        .when
        .iter()
        .filter(|n| !shown.contains(&n.span))
        .map(condition_text)
        .collect();
    // Only conditions on the host's identity are told before the run: others may read
    // results the run has not produced yet.
    let only_on = if !when.iter().any(|w| on_host_identity(w)) {
        None
    } else {
        r.hosts_where(t, &when)
    };
    let mut name = r.text(Some(t), &t.display_name());
    match &t.action {
        Action::IncludeTasks { file, .. } => {
            name = format!(
                "{name} (include_tasks {}: resolved at run time)",
                r.value(t, file)
            );
        }
        Action::IncludeRole { args } => {
            let role = args
                .get("name")
                .map(|n| r.value(t, n))
                .or_else(|| args.scalar_text())
                .unwrap_or_default();
            name = format!("{name} (include_role {role}: resolved at run time)");
        }
        Action::Meta { what } if t.name.is_none() => name = format!("meta: {what}"),
        _ => {}
    }
    let truthy = |n: &Option<Node>| {
        n.as_ref()
            .is_some_and(|n| super::ansible_bool(&n.to_json()) != Some(false))
    };
    Entry {
        kind,
        depth,
        name,
        at: t.span.to_string(),
        tags: t.attrs.tags.clone(),
        some_hosts: only_on.is_none() && when.iter().any(|w| on_host_identity(w)),
        only_on,
        when,
        run_once: truthy(&t.attrs.run_once),
        delegate_to: t.attrs.delegate_to.as_ref().map(|n| r.value(t, n)),
        loop_over: t.loop_items.as_ref().map(|l| match l {
            LoopSource::Loop(n) => r.value(t, n),
            LoopSource::With { lookup, terms } => format!("with_{lookup} {}", r.value(t, terms)),
        }),
        notify: t.notify.clone(),
        ha_switch: t.attrs.tags.iter().any(|g| g == HA_SWITCH_TAG),
    }
}

pub fn condition_text(n: &Node) -> String {
    n.scalar_text().unwrap_or_else(|| n.to_json().to_string())
}

/// A condition on which host this is: its name, its groups, the play's host lists.
fn on_host_identity(cond: &str) -> bool {
    [
        "inventory_hostname",
        "group_names",
        "groups[",
        "groups.",
        "play_hosts",
        "ansible_play_batch",
        "ansible_play_hosts",
    ]
    .iter()
    .any(|w| cond.contains(w))
}
