//! `hotplay plan`: the plays with their hosts by batch and their tasks in order (the static
//! part), then per host what the preflight (run in check mode) found: the messages of the
//! `plan`-tagged tasks (the playbook's own summary: versions, SQL route) and every check that
//! did not pass. As text, or one JSON document.

use super::preflight::{PreflightTable, Row};
use crate::execute::events::{Event, Listener, Status};
use crate::plan::outline::Entry;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Mutex;

/// The tag of the tasks (debug) whose messages are the plan's summary per host.
pub const PLAN_TAG: &str = "plan";

#[derive(Clone, Debug, Serialize)]
pub struct PlayPlan {
    pub playbook: String,
    pub name: String,
    pub pattern: String,
    pub hosts: Vec<String>,
    pub batches: Vec<Vec<String>>,
    pub tasks: Vec<Entry>,
}

/// The static part as text.
pub fn print_static(plays: &[PlayPlan]) {
    let mut book = "";
    for (n, p) in plays.iter().enumerate() {
        if p.playbook != book {
            book = &p.playbook;
            println!("PLAYBOOK: {book}");
        }
        println!("\nPLAY {}: {}", n + 1, p.name);
        println!(
            "  hosts: {} ({} host{})",
            p.pattern,
            p.hosts.len(),
            if p.hosts.len() == 1 { "" } else { "s" }
        );
        for (i, b) in p.batches.iter().enumerate() {
            println!("  batch {}/{}: {}", i + 1, p.batches.len(), b.join(", "));
        }
        println!("  tasks:");
        let mut num = 0;
        let mut switches = Vec::new();
        let mut in_handlers = false;
        for e in &p.tasks {
            if e.kind == "handler" && !in_handlers {
                in_handlers = true;
                println!("  handlers:");
            }
            let pad = " ".repeat(4 + 2 * e.depth);
            let head = match e.kind {
                "block" => format!("block: {}", e.name).trim_end().to_string(),
                "rescue" => "rescue (on failure):".to_string(),
                "always" => "always:".to_string(),
                _ => {
                    num += 1;
                    if e.ha_switch {
                        switches.push((num, e.name.clone(), e.at.clone()));
                    }
                    format!("{num:>3}. {}", e.name)
                }
            };
            let line = format!("{pad}{head}{}", markers(e));
            println!("{}", crate::parse::secrets::redact(&line));
        }
        for (num, name, at) in switches {
            println!("  HA switch: task {num}: {name} ({at})");
        }
    }
}

fn markers(e: &Entry) -> String {
    let mut m = Vec::new();
    if !e.tags.is_empty() {
        m.push(format!("[{}]", e.tags.join(", ")));
    }
    if !e.when.is_empty() {
        m.push(format!("when: {}", e.when.join(" and ")));
    }
    if let Some(h) = &e.only_on {
        m.push(if h.is_empty() {
            "on no host".to_string()
        } else {
            format!("only on: {}", h.join(", "))
        });
    } else if e.some_hosts {
        m.push("on some hosts".into());
    }
    if e.run_once {
        m.push("run_once".into());
    }
    if let Some(d) = &e.delegate_to {
        m.push(format!("-> {d}"));
    }
    if let Some(l) = &e.loop_over {
        m.push(format!("loop: {l}"));
    }
    if !e.notify.is_empty() {
        let what = if e.kind == "handler" {
            "notified by"
        } else {
            "notify"
        };
        m.push(format!("{what}: {}", e.notify.join(", ")));
    }
    if e.ha_switch {
        m.push("<== HA switch".into());
    }
    if m.is_empty() {
        String::new()
    } else {
        format!("  {}", m.join("  "))
    }
}

/// Hears the preflight run: the checks (as `hotplay check` does) and the plan messages.
pub struct PlanReport {
    /// file:line:col of the tasks tagged `plan`.
    plan_tasks: HashSet<String>,
    table: PreflightTable,
    current: Mutex<String>,
    said: Mutex<IndexMap<String, Vec<String>>>,
}

impl PlanReport {
    pub fn new(plan_tasks: HashSet<String>) -> PlanReport {
        PlanReport {
            plan_tasks,
            table: PreflightTable::new(),
            current: Mutex::new(String::new()),
            said: Mutex::new(IndexMap::new()),
        }
    }

    /// Per host: the plan messages, then the checks.
    fn hosts(&self) -> Vec<(String, Vec<String>, Vec<Row>)> {
        let said = self.said.lock().map(|s| s.clone()).unwrap_or_default();
        let rows = self.table.rows();
        let mut names: Vec<String> = said.keys().cloned().collect();
        for (h, _) in &rows {
            if !names.contains(h) {
                names.push(h.clone());
            }
        }
        names
            .into_iter()
            .map(|h| {
                let lines = said.get(&h).cloned().unwrap_or_default();
                let checks = rows
                    .iter()
                    .find(|(n, _)| *n == h)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_default();
                (h, lines, checks)
            })
            .collect()
    }

    /// The preflight part as text: what each host's plan says and what did not pass.
    pub fn print(&self) {
        println!("\nPREFLIGHT (check mode: nothing was changed)");
        let (mut ok, mut warn, mut fail) = (0, 0, 0);
        for (host, lines, checks) in self.hosts() {
            println!("\n{host}");
            for l in &lines {
                println!("  {l}");
            }
            for (check, verdict, reason) in &checks {
                match *verdict {
                    "OK" => ok += 1,
                    "WARN" => warn += 1,
                    _ => fail += 1,
                }
                if *verdict != "OK" {
                    println!(
                        "  {}",
                        format!("{verdict:<4}  {check}  {reason}").trim_end()
                    );
                }
            }
        }
        println!("\npreflight: {ok} OK, {warn} WARN, {fail} FAIL");
    }

    /// The preflight part as JSON, per host.
    pub fn to_json(&self) -> Value {
        let mut hosts = serde_json::Map::new();
        for (host, lines, checks) in self.hosts() {
            let checks: Vec<Value> = checks
                .iter()
                .map(|(c, v, r)| json!({"check": c, "result": v, "reason": r}))
                .collect();
            hosts.insert(host, json!({"plan": lines, "checks": checks}));
        }
        Value::Object(hosts)
    }
}

impl Listener for PlanReport {
    fn event(&self, e: &Event) {
        match e {
            Event::TaskStart { path, .. } => {
                if let Ok(mut c) = self.current.lock() {
                    c.clone_from(path);
                }
            }
            Event::HostResult(r)
                if matches!(r.status, Status::Ok | Status::Changed)
                    && self
                        .current
                        .lock()
                        .is_ok_and(|c| self.plan_tasks.contains(c.as_str())) =>
            {
                let lines: Vec<String> = match r.result.get("msg") {
                    Some(Value::String(s)) => s.lines().map(str::to_string).collect(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .flat_map(|v| match v {
                            Value::String(s) => s.lines().map(str::to_string).collect(),
                            other => vec![other.to_string()],
                        })
                        .collect(),
                    Some(other) => vec![other.to_string()],
                    None => Vec::new(),
                };
                if let Ok(mut s) = self.said.lock() {
                    s.entry(r.host.clone()).or_default().extend(
                        lines
                            .iter()
                            .map(|l| crate::parse::secrets::redact(l).into_owned()),
                    );
                }
            }
            _ => {}
        }
        self.table.record(e);
    }
}
