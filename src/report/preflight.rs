//! `hotplay check`: the results of a playbook's `preflight` (and `always`) tasks, run in
//! check mode, as a table per host: OK, WARN (a failure the playbook tolerates) or FAIL with
//! the reason. A delegated task's result belongs to the host it acted on.

use crate::execute::events::{Event, HostResult, Listener, Status};
use indexmap::IndexMap;
use std::sync::Mutex;

/// One check's outcome on a host: (check, "OK" | "WARN" | "FAIL", reason).
pub type Row = (String, &'static str, String);

#[derive(Default)]
struct Table {
    task: String,
    /// host -> (check, result, reason)
    rows: IndexMap<String, Vec<(String, &'static str, String)>>,
}

#[derive(Default)]
pub struct PreflightTable {
    t: Mutex<Table>,
}

impl PreflightTable {
    pub fn new() -> PreflightTable {
        PreflightTable::default()
    }

    fn add(&self, r: &HostResult) {
        let verdict = match (r.status, r.ignored || r.rescued) {
            (Status::Ok | Status::Changed, _) => "OK",
            (Status::Failed | Status::Unreachable, true) => "WARN",
            (Status::Failed | Status::Unreachable, false) => "FAIL",
            (Status::Skipped, _) => return,
        };
        let first = |k: &str| {
            r.result
                .get(k)
                .and_then(|m| m.as_str())
                .and_then(|m| m.lines().find(|l| !l.trim().is_empty()))
                .map(str::to_string)
        };
        let reason = if verdict == "OK" {
            String::new()
        } else {
            // A command's own words say more than "non-zero return code".
            let msg = first("msg").unwrap_or_else(|| "failed".into());
            match first("stderr").or_else(|| first("stdout")) {
                Some(out) if msg == "non-zero return code" => out,
                _ => msg,
            }
        };
        let host = r.delegated_to.clone().unwrap_or_else(|| r.host.clone());
        if let Ok(mut t) = self.t.lock() {
            let task = t.task.clone();
            let rows = t.rows.entry(host).or_default();
            // One row per check and host: a later result of the same check wins.
            match rows.iter_mut().find(|(c, _, _)| *c == task) {
                Some(row) if row.1 == "OK" => *row = (task, verdict, reason),
                Some(_) => {}
                None => rows.push((task, verdict, reason)),
            }
        }
    }

    /// Per host (in the order first seen): (check, OK/WARN/FAIL, reason), reasons redacted.
    pub fn rows(&self) -> Vec<(String, Vec<Row>)> {
        let Ok(t) = self.t.lock() else {
            return Vec::new();
        };
        t.rows
            .iter()
            .map(|(h, rows)| {
                let rows = rows
                    .iter()
                    .map(|(c, v, r)| (c.clone(), *v, crate::parse::secrets::redact(r).into_owned()))
                    .collect();
                (h.clone(), rows)
            })
            .collect()
    }

    fn print(&self) {
        let Ok(t) = self.t.lock() else { return };
        let width = t
            .rows
            .values()
            .flatten()
            .map(|(c, _, _)| c.chars().count())
            .max()
            .unwrap_or(10)
            .clamp(10, 70);
        let (mut ok, mut warn, mut fail) = (0, 0, 0);
        for (host, rows) in &t.rows {
            println!("\n{host}");
            for (check, verdict, reason) in rows {
                match *verdict {
                    "OK" => ok += 1,
                    "WARN" => warn += 1,
                    _ => fail += 1,
                }
                let check: String = check.chars().take(width).collect();
                let text = crate::parse::secrets::redact(reason);
                let line = format!("  {verdict:<4}  {check:<width$}  {text}");
                println!("{}", line.trim_end());
            }
        }
        println!("\npreflight: {ok} OK, {warn} WARN, {fail} FAIL");
    }
}

impl PreflightTable {
    /// Records an event without printing the table at the end (`hotplay plan` prints it).
    pub fn record(&self, e: &Event) {
        if !matches!(e, Event::Recap { .. }) {
            self.event(e);
        }
    }
}

impl Listener for PreflightTable {
    fn event(&self, e: &Event) {
        match e {
            Event::TaskStart { name, .. } => {
                if let Ok(mut t) = self.t.lock() {
                    t.task = name.clone();
                }
            }
            Event::HostResult(r) | Event::ItemResult(r) if r.item.as_deref() != Some("") => {
                self.add(r)
            }
            Event::Warning { message } => eprintln!("[WARNING]: {message}"),
            Event::Recap { .. } => self.print(),
            _ => {}
        }
    }
}
