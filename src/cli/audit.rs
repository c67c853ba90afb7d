//! `hotplay audit`: the runs of the run journal (who, when, what, outcome), and one run's
//! changes, failures and diffs.

use crate::report::journal::{self, RunRecord};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// A run's id (as `hotplay audit` lists them): show its changes; none lists every run.
    pub run_id: Option<String>,
    /// The journal's directory (default: $HOTPLAY_JOURNAL_DIR, else ~/.hotplay/runs).
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// As JSON.
    #[arg(long)]
    pub json: bool,
}

/// The controller user's name.
pub fn user_name() -> String {
    for k in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(k)
            && !u.is_empty()
        {
            return u;
        }
    }
    // SAFETY: geteuid has no preconditions.
    format!("uid {}", unsafe { libc::geteuid() })
}

/// The controller's host name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn outcome(r: &RunRecord) -> String {
    match r.exit_code {
        None => "running or killed".into(),
        Some(0) => "ok".into(),
        Some(2) => "failed (2)".into(),
        Some(4) => "unreachable (4)".into(),
        Some(c) => format!("error ({c})"),
    }
}

pub fn main(args: AuditArgs) -> i32 {
    let root = args.journal.unwrap_or_else(journal::default_root);
    let runs = journal::runs(&root);
    let Some(id) = args.run_id else {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&runs).unwrap_or_default()
            );
            return 0;
        }
        if runs.is_empty() {
            println!("no runs in {}", root.display());
            return 0;
        }
        println!(
            "{:<24} {:<20} {:<10} {:<18} {:>7}  WHAT",
            "RUN", "STARTED (UTC)", "WHO", "OUTCOME", "CHANGES"
        );
        for r in &runs {
            println!(
                "{:<24} {:<20} {:<10} {:<18} {:>7}  {}{}",
                r.id,
                r.started.get(..19).unwrap_or(&r.started).replace('T', " "),
                r.user,
                outcome(r),
                r.changes,
                r.playbooks.join(" "),
                if r.check { " --check" } else { "" }
            );
        }
        return 0;
    };
    let Some(r) = runs.iter().find(|r| r.id == id) else {
        eprintln!(
            "ERROR! no run {id} in {} (hotplay audit lists them)",
            root.display()
        );
        return 1;
    };
    let events = match journal::events(&root, &id) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ERROR! {e}");
            return 1;
        }
    };
    if args.json {
        let v = serde_json::json!({"run": r, "events": events});
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return 0;
    }
    show(r, &events);
    0
}

fn show(r: &RunRecord, events: &[Value]) {
    println!("run        {}", r.id);
    println!("who        {} on {} (in {})", r.user, r.controller, r.cwd);
    println!(
        "when       {} .. {}",
        r.started,
        r.finished.as_deref().unwrap_or("(not finished)")
    );
    println!(
        "what       {}{}",
        r.playbooks.join(" "),
        if r.check { " --check" } else { "" }
    );
    println!("inventory  {}", r.inventory.join(", "));
    if let Some(l) = &r.limit {
        println!("limit      {l}");
    }
    if !r.tags.is_empty() {
        println!("tags       {}", r.tags.join(","));
    }
    if !r.extra_vars.is_empty() {
        println!("extra vars {}", r.extra_vars.join(" "));
    }
    println!(
        "outcome    {}: {} changes, {} failures",
        outcome(r),
        r.changes,
        r.failures
    );
    println!("\nchanges and failures:");
    let mut task = String::new();
    let mut steps = String::new();
    for e in events {
        let kind = e["event"].as_str().unwrap_or_default();
        let time = e["time"].as_str().unwrap_or_default();
        let time = time.get(11..19).unwrap_or(time);
        match kind {
            "task_start" => {
                task = e["name"].as_str().unwrap_or_default().to_string();
                let ids: Vec<&str> = e["step_ids"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                steps = if ids.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", ids.join(","))
                };
            }
            "host_result" => {
                let status = e["status"].as_str().unwrap_or_default();
                if !matches!(status, "changed" | "failed" | "unreachable") {
                    continue;
                }
                let host = match e["delegated_to"].as_str() {
                    Some(d) => format!("{} -> {d}", e["host"].as_str().unwrap_or_default()),
                    None => e["host"].as_str().unwrap_or_default().to_string(),
                };
                let mut note = String::new();
                if e["rescued"] == true {
                    note.push_str(" (rescued)");
                }
                if e["ignored"] == true {
                    note.push_str(" (ignored)");
                }
                println!("  {time}  {status:<11} {host:<22} {task}{steps}{note}");
                if status != "changed"
                    && let Some(m) = e["result"]["msg"].as_str()
                {
                    for line in m.lines().take(6) {
                        println!("              {line}");
                    }
                }
            }
            "diff" => {
                for line in e["diff"].as_str().unwrap_or_default().lines() {
                    println!("              {line}");
                }
            }
            _ => {}
        }
    }
    if !r.recap.is_empty() {
        println!("\nrecap:");
        for (h, s) in &r.recap {
            println!(
                "  {h:<20} ok={} changed={} unreachable={} failed={} skipped={} rescued={} ignored={}",
                s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored
            );
        }
    }
}
