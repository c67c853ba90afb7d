//! What execution tells the report layer. Execution never calls a reporter
//! directly: it sends events to a `Listener`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

#[derive(Clone, Debug, Serialize)]
pub struct HostResult {
    pub host: String,
    pub delegated_to: Option<String>,
    pub status: Status,
    /// A failure that `ignore_errors` (or `ignore_unreachable`) let pass.
    pub ignored: bool,
    /// A failure that a block's `rescue` took over.
    pub rescued: bool,
    /// The loop item's label, for item results.
    pub item: Option<String>,
    /// The result as shown (no_log results are censored before they get here).
    pub result: Map<String, Value>,
    /// Show the result even without -v (debug, assert).
    pub verbose_always: bool,
    /// The module (or engine action) that produced the result.
    pub action: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HostStats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PlaybookStart {
        playbook: String,
        check: bool,
    },
    PlayStart {
        name: String,
        hosts: Vec<String>,
    },
    NoHostsMatched {
        pattern: String,
    },
    TaskStart {
        name: String,
        handler: bool,
        path: String,
        step_ids: Vec<String>,
    },
    /// A loop item's result (the task's own result follows as `HostResult`).
    ItemResult(HostResult),
    HostResult(HostResult),
    /// `until` is retrying: `attempt` (1-based) of `attempts` runs comes next.
    Retry {
        host: String,
        task: String,
        retries_left: u32,
        attempt: u32,
        attempts: u32,
        result: Map<String, Value>,
    },
    /// How far a long task on a host got (rate-limited; never part of the result).
    Progress {
        host: String,
        task: String,
        #[serde(flatten)]
        progress: Progress,
    },
    /// A unified diff of a change (--diff).
    Diff {
        host: String,
        diff: String,
    },
    Warning {
        message: String,
    },
    NoMoreHosts,
    /// A task's outcome on one host as the play runner applied it: what the journal keeps
    /// so `hotplay resume` can restore it instead of running the task again.
    TaskDone(Box<super::resume::TaskRecord>),
    /// A task done in the run being resumed: its result restored from the journal.
    Replayed {
        host: String,
        status: Status,
    },
    Recap {
        hosts: Vec<(String, HostStats)>,
    },
}

/// What a long task is doing, for the live progress lines.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    /// The task has been running on the host for `elapsed_s` seconds.
    Running { elapsed_s: u64 },
    /// A file on its way to the host.
    Transfer {
        sent: u64,
        total: u64,
        bytes_per_sec: u64,
    },
    /// A wait (`what`: a port, a path, a pause) `elapsed_s` into its `timeout_s`.
    Wait {
        what: String,
        elapsed_s: u64,
        timeout_s: Option<u64>,
    },
}

/// Receives events in the order they happen.
pub trait Listener: Send + Sync {
    fn event(&self, e: &Event);
}

/// Passes events on, each after the warnings templating raised since the last one
/// (a lookup with errors=warn, a condition with `{{ }}`), as ansible-core shows
/// them when they happen.
pub struct WarningsFirst<'a>(pub &'a dyn Listener);

impl Listener for WarningsFirst<'_> {
    fn event(&self, e: &Event) {
        for message in crate::plan::template::take_warnings() {
            self.0.event(&Event::Warning { message });
        }
        self.0.event(e);
    }
}
