//! `hotplay resume RUN_ID`: shows what a failed, interrupted or killed run did on each host
//! and where each host takes up again, then runs the same command line with the journal's
//! outcomes restored (registered variables, facts, notifications) instead of running the
//! tasks that finished again.

use crate::execute::resume::{HostResume, ReplayLog, TaskRecord};
use crate::report::journal::{self, RunRecord};
use clap::Args;
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// The run's id as `hotplay audit` lists it, or `last`.
    pub run_id: String,
    /// The journal's directory (default: $HOTPLAY_JOURNAL_DIR, else ~/.hotplay/runs).
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Resume without asking (needed when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Resume even when a playbook changed since the run, or a host's failure went to a
    /// `rescue` (its rollback ran) before the point where it would resume.
    #[arg(long)]
    pub force: bool,
    /// Run options added to the run's own, after `--`: `-- -e @secrets.yml`.
    #[arg(last = true, value_name = "RUN_OPTIONS")]
    pub more: Vec<String>,
}

/// The sha256 of a file, hex.
pub fn file_sha256(p: &Path) -> Option<String> {
    let data = std::fs::read(p).ok()?;
    Some(
        Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

fn find_run(root: &Path, id: &str) -> Result<RunRecord, String> {
    let runs = journal::runs(root);
    let found = if id == "last" {
        runs.into_iter().next_back()
    } else {
        runs.into_iter().find(|r| r.id == id)
    };
    found.ok_or_else(|| {
        format!(
            "no run {id} in the journal {} (`hotplay audit` lists the runs)",
            root.display()
        )
    })
}

fn records(root: &Path, id: &str) -> Result<Vec<TaskRecord>, String> {
    Ok(journal::events(root, id)?
        .into_iter()
        .filter(|e| e["event"] == "task_done")
        .filter_map(|e| serde_json::from_value(e).ok())
        .collect())
}

fn describe(r: &TaskRecord) -> String {
    let name = if r.shown.is_empty() {
        &r.task
    } else {
        &r.shown
    };
    format!("'{name}' ({})", r.path)
}

/// The preview: one paragraph per host.
fn preview(rec: &RunRecord, plans: &[HostResume], untouched: &[String]) -> String {
    let mut out = format!(
        "Resuming run {} ({} -i {}), started {} by {}, {}.\n",
        rec.id,
        rec.playbooks.join(" "),
        rec.inventory.join(","),
        rec.started,
        rec.user,
        match rec.exit_code {
            None => "which did not finish (killed or lost)".to_string(),
            Some(c) => format!("which ended with exit code {c}"),
        }
    );
    for p in plans {
        out.push_str(&format!("  {}: ", p.host));
        match &p.last_done {
            Some(last) => out.push_str(&format!(
                "{} task result{} restored (the last: {}); ",
                p.replayed,
                if p.replayed == 1 { "" } else { "s" },
                describe(last)
            )),
            None => out.push_str("nothing to restore; "),
        }
        match &p.failed_at {
            Some(f) => {
                out.push_str(&format!("runs again from {}, which failed", describe(f)));
                if let Some(m) = &f.message {
                    out.push_str(&format!(": {m}"));
                }
                if p.after_failure > 0 {
                    out.push_str(&format!(
                        " ({} later results, such as always sections, run again too)",
                        p.after_failure
                    ));
                }
            }
            None => out.push_str("runs on from the next task"),
        }
        out.push('\n');
        for r in &p.rescued {
            out.push_str(&format!(
                "    ! its failure at {} went to a rescue (a rollback?) that the replay repeats\n",
                describe(r)
            ));
        }
    }
    for h in untouched {
        out.push_str(&format!(
            "  {h}: not reached by the run; runs from the start\n"
        ));
    }
    out
}

fn confirm() -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("stdin is not a terminal: pass --yes to resume without asking".into());
    }
    eprint!("Resume? [y/N] ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

pub fn main(args: ResumeArgs) -> i32 {
    let root = args.journal.clone().unwrap_or_else(journal::default_root);
    let rec = match find_run(&root, &args.run_id) {
        Ok(r) => r,
        Err(e) => return super::error(&e),
    };
    if rec.exit_code == Some(0) {
        println!("run {} ended ok: nothing to resume", rec.id);
        return 0;
    }
    if rec.argv.is_empty() {
        return super::error(&format!(
            "run {} has no command line in its journal (written by an older hotplay): run the playbook again",
            rec.id
        ));
    }
    let cwd = PathBuf::from(&rec.cwd);
    let changed: Vec<&String> = rec
        .playbooks
        .iter()
        .zip(&rec.playbook_sha256)
        .filter(|(p, sum)| file_sha256(&cwd.join(p)).as_ref() != Some(*sum))
        .map(|(p, _)| p)
        .collect();
    let list = match records(&root, &rec.id) {
        Ok(l) => l,
        Err(e) => return super::error(&e),
    };
    let (log, plans) = ReplayLog::new(&rec.id, list);
    let reached: Vec<&str> = plans.iter().map(|p| p.host.as_str()).collect();
    let untouched: Vec<String> = rec
        .recap
        .iter()
        .map(|(h, _)| h.clone())
        .filter(|h| !reached.contains(&h.as_str()))
        .collect();
    print!("{}", preview(&rec, &plans, &untouched));
    if rec.secret_args {
        println!(
            "  The run had arguments holding secrets; they are not in the journal: give them again after `--` (e.g. `-- -e @secrets.yml`)."
        );
    }
    let rescued: Vec<&str> = plans
        .iter()
        .filter(|p| !p.rescued.is_empty())
        .map(|p| p.host.as_str())
        .collect();
    if !args.force {
        if !changed.is_empty() {
            return super::error(&format!(
                "{} changed since run {}: its task positions may no longer match (--force resumes anyway)",
                changed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                rec.id
            ));
        }
        if !rescued.is_empty() {
            return super::error(&format!(
                "not resuming: a failure on {} went to the playbook's rescue (its rollback) before the resume point; after fixing the cause run the playbook again from the start (--force replays it anyway)",
                rescued.join(", ")
            ));
        }
    }
    if !args.yes {
        match confirm() {
            Ok(true) => {}
            Ok(false) => {
                println!("not resumed");
                return 1;
            }
            Err(e) => return super::error(&e),
        }
    }
    if let Err(e) = std::env::set_current_dir(&cwd) {
        return super::error(&format!(
            "cannot go to the run's directory {}: {e}",
            rec.cwd
        ));
    }
    let mut argv: Vec<String> = vec!["hotplay".into(), "run".into()];
    argv.extend(rec.argv.iter().cloned());
    argv.extend(args.more.iter().cloned());
    let cli = match <super::Cli as clap::Parser>::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return 5;
        }
    };
    let super::Command::Run(mut run_args) = cli.command else {
        return super::error("the journal's command line is not a run");
    };
    run_args.argv = argv[2..].to_vec();
    run_args.replay = Some(Arc::new(log));
    run_args.resumed_from = Some(rec.id.clone());
    super::run(*run_args, super::Mode::Run)
}
