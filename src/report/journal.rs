//! The run journal: every `hotplay run` writes its events as JSON lines (secrets redacted,
//! each with its time) to `<root>/<run id>/events.jsonl`, and `run.json`: who ran what, when,
//! against which inventory, with which extra vars (redacted), and how it ended. `hotplay
//! audit` reads them back. The root is `--journal DIR`, else `$HOTPLAY_JOURNAL_DIR`, else
//! `~/.hotplay/runs`; directories are 0700 and files 0600.

use crate::execute::events::{Event, HostStats, Listener, Status};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What `run.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub user: String,
    pub controller: String,
    pub cwd: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub playbooks: Vec<String>,
    pub inventory: Vec<String>,
    pub limit: Option<String>,
    pub tags: Vec<String>,
    pub check: bool,
    /// The `-e` arguments, secrets redacted.
    pub extra_vars: Vec<String>,
    /// None while running (or when the process died).
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub changes: u32,
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub recap: Vec<(String, HostStats)>,
    /// The run's own arguments (after `run`), for `hotplay resume`; an argument that held
    /// a secret is left out (`secret_args` says so) and must be given again.
    #[serde(default)]
    pub argv: Vec<String>,
    #[serde(default)]
    pub secret_args: bool,
    /// sha256 of each playbook file as it ran.
    #[serde(default)]
    pub playbook_sha256: Vec<String>,
    /// The run this one resumed.
    #[serde(default)]
    pub resumed_from: Option<String>,
}

/// The default journal root.
pub fn default_root() -> PathBuf {
    if let Some(d) = std::env::var_os("HOTPLAY_JOURNAL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".hotplay/runs")
}

fn now() -> String {
    chrono_like(std::time::SystemTime::now())
}

/// UTC `YYYY-MM-DDTHH:MM:SS.mmmZ` without a date crate.
fn chrono_like(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

fn private_dir(p: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
        .map_err(|e| format!("cannot create the run journal {}: {e}", p.display()))
}

fn private_file(p: &Path) -> Result<File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(p)
        .map_err(|e| format!("cannot write {}: {e}", p.display()))
}

pub struct Journal {
    pub dir: PathBuf,
    events: Mutex<File>,
    record: Mutex<RunRecord>,
}

impl Journal {
    /// A new run under `root`: its directory, `run.json` (running) and `events.jsonl`.
    pub fn create(root: &Path, mut record: RunRecord) -> Result<Journal, String> {
        private_dir(root)?;
        let stamp: String = now()
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == 'T')
            .take(15)
            .collect();
        let mut id = format!("{stamp}-{}", std::process::id());
        let mut n = 1;
        while root.join(&id).exists() {
            n += 1;
            id = format!("{stamp}-{}-{n}", std::process::id());
        }
        let dir = root.join(&id);
        private_dir(&dir)?;
        record.id = id;
        record.started = now();
        record.extra_vars = record
            .extra_vars
            .iter()
            .map(|e| crate::parse::secrets::redact(e).into_owned())
            .collect();
        let (argv, dropped) = without_secrets(&record.argv);
        record.argv = argv;
        record.secret_args = dropped;
        let events = private_file(&dir.join("events.jsonl"))?;
        let j = Journal {
            dir,
            events: Mutex::new(events),
            record: Mutex::new(record),
        };
        j.write_record()?;
        Ok(j)
    }

    pub fn id(&self) -> String {
        self.record.lock().map(|r| r.id.clone()).unwrap_or_default()
    }

    fn write_record(&self) -> Result<(), String> {
        let rec = self
            .record
            .lock()
            .map_err(|_| "journal lock".to_string())?
            .clone();
        let text = serde_json::to_string_pretty(&rec).map_err(|e| e.to_string())?;
        let tmp = self.dir.join("run.json.tmp");
        let mut f = private_file(&tmp)?;
        f.write_all(crate::parse::secrets::redact(&text).as_bytes())
            .map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, self.dir.join("run.json")).map_err(|e| e.to_string())
    }

    /// The run is over: its exit code and finish time go into `run.json`.
    pub fn finish(&self, exit_code: i32) {
        if let Ok(mut r) = self.record.lock() {
            r.exit_code = Some(exit_code);
            r.finished = Some(now());
        }
        let _ = self.write_record();
    }
}

impl Listener for Journal {
    fn event(&self, e: &Event) {
        match e {
            Event::HostResult(r) if !r.ignored => {
                if let Ok(mut rec) = self.record.lock() {
                    match r.status {
                        Status::Changed => rec.changes += 1,
                        Status::Failed | Status::Unreachable if !r.rescued => rec.failures += 1,
                        _ => {}
                    }
                }
            }
            Event::Recap { hosts } => {
                if let Ok(mut rec) = self.record.lock() {
                    rec.recap = hosts.clone();
                }
            }
            // Live progress is for the terminal: the journal keeps outcomes.
            Event::Progress { .. } => return,
            _ => {}
        }
        let Ok(serde_json::Value::Object(mut m)) = serde_json::to_value(e) else {
            return;
        };
        m.insert("time".into(), serde_json::Value::String(now()));
        let Some(mut line) = serde_json::to_string(&m).ok() else {
            return;
        };
        let mut masked = crate::parse::secrets::redact(&line).into_owned();
        if masked != line && matches!(e, Event::TaskDone(_)) {
            // An output with a secret in it is not kept (resume runs that task again).
            m.insert("output".into(), serde_json::Value::Null);
            m.insert("redacted".into(), serde_json::Value::Bool(true));
            line = serde_json::to_string(&m).unwrap_or_default();
            masked = crate::parse::secrets::redact(&line).into_owned();
        }
        if let Ok(mut f) = self.events.lock() {
            let _ = writeln!(f, "{masked}");
        }
    }
}

/// The arguments with every one that holds a secret left out (with its option's name,
/// for `-e SECRET`); true when one was.
fn without_secrets(argv: &[String]) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::new();
    let mut dropped = false;
    for a in argv {
        if crate::parse::secrets::redact(a) == *a {
            out.push(a.clone());
            continue;
        }
        dropped = true;
        let takes_value = out.last().is_some_and(|p| {
            matches!(
                p.as_str(),
                "-e" | "--extra-vars"
                    | "-i"
                    | "--inventory"
                    | "-l"
                    | "--limit"
                    | "-u"
                    | "--user"
                    | "--become-user"
                    | "--vault-id"
                    | "--start-at-task"
                    | "-t"
                    | "--tags"
            )
        });
        if takes_value {
            out.pop();
        }
    }
    (out, dropped)
}

/// Every run under `root`, oldest first.
pub fn runs(root: &Path) -> Vec<RunRecord> {
    let mut out: Vec<RunRecord> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("run.json")).ok())
        .filter_map(|t| serde_json::from_str(&t).ok())
        .collect();
    out.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
    out
}

/// Events of one run, parsed (lines that do not parse are skipped).
pub fn events(root: &Path, id: &str) -> Result<Vec<serde_json::Value>, String> {
    let p = root.join(id).join("events.jsonl");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Sends every event to each listener in turn (the console and the journal).
pub struct Tee<'a>(pub Vec<&'a dyn Listener>);

impl Listener for Tee<'_> {
    fn event(&self, e: &Event) {
        for l in &self.0 {
            l.event(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_arguments_are_left_out() {
        crate::parse::secrets::remember("Sekr1t-journal-arg");
        let argv: Vec<String> = [
            "site.yml",
            "-e",
            "pw=Sekr1t-journal-arg",
            "-e",
            "x=1",
            "--extra-vars=pw=Sekr1t-journal-arg",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (out, dropped) = without_secrets(&argv);
        assert!(dropped);
        assert_eq!(out, ["site.yml", "-e", "x=1"]);
    }

    #[test]
    fn utc_times() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_764_066_896_123);
        assert_eq!(chrono_like(t), "2025-11-25T10:34:56.123Z");
        assert_eq!(
            chrono_like(std::time::UNIX_EPOCH),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
