//! `hotplay resume`: a run's journal holds every task's outcome per host, in the order the
//! play runner applied them. A resumed run replays each host's outcomes in that order
//! (registered variables, facts, notifications and block moves come back exactly as they
//! happened) instead of running those tasks again, and runs for real from the first task
//! the earlier run did not finish on that host.

use super::host_task::TaskOutput;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// What a task's outcome did to its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// ok, changed, skipped, or a failure that `ignore_errors` let pass.
    Done,
    /// A failure a block's `rescue` took over.
    Rescued,
    /// A failure that ended the host (now or after an `always`).
    Failed,
    Unreachable,
}

/// One task on one host, as the journal keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskRecord {
    pub host: String,
    /// The task's name as shown and its place (`file:line:col`): together, which task it was.
    pub task: String,
    /// The name as the banner showed it (templated), for people.
    #[serde(default)]
    pub shown: String,
    pub path: String,
    pub handler: bool,
    pub outcome: Outcome,
    /// The first line of a failure's message.
    #[serde(default)]
    pub message: Option<String>,
    /// None when it cannot be kept: `no_log`, or a secret inside (the journal never holds
    /// one). Such a task runs again on resume.
    #[serde(default)]
    pub output: Option<TaskOutput>,
}

impl TaskRecord {
    pub fn same_task(&self, task: &str, path: &str, handler: bool) -> bool {
        self.path == path && self.task == task && self.handler == handler
    }
}

/// What a resumed run replays, per host.
#[derive(Clone, Debug, Default)]
pub struct ReplayLog {
    pub run_id: String,
    hosts: HashMap<String, VecDeque<TaskRecord>>,
}

/// One host's part of a resume, for the preview.
#[derive(Debug, Default)]
pub struct HostResume {
    pub host: String,
    /// Outcomes replayed from the journal.
    pub replayed: usize,
    /// The last one of them.
    pub last_done: Option<TaskRecord>,
    /// The record that ends the replay: the task that failed there, run again.
    pub failed_at: Option<TaskRecord>,
    /// Outcomes after that failure (`always`, handlers): they run again as the play reaches them.
    pub after_failure: usize,
    /// A failure before the resume point went to a `rescue` (the playbook's rollback ran).
    pub rescued: Vec<TaskRecord>,
}

impl ReplayLog {
    /// Each host's records up to (not including) its first failure that the host did not
    /// survive: that task and everything after it run for real.
    pub fn new(run_id: &str, records: Vec<TaskRecord>) -> (ReplayLog, Vec<HostResume>) {
        let mut per_host: Vec<(String, Vec<TaskRecord>)> = Vec::new();
        for r in records {
            match per_host.iter_mut().find(|(h, _)| *h == r.host) {
                Some((_, list)) => list.push(r),
                None => per_host.push((r.host.clone(), vec![r])),
            }
        }
        let mut log = ReplayLog {
            run_id: run_id.to_string(),
            hosts: HashMap::new(),
        };
        let mut plans = Vec::new();
        for (host, list) in per_host {
            let cut = list
                .iter()
                .position(|r| matches!(r.outcome, Outcome::Failed | Outcome::Unreachable))
                .unwrap_or(list.len());
            let plan = HostResume {
                host: host.clone(),
                replayed: cut,
                last_done: cut.checked_sub(1).map(|i| list[i].clone()),
                failed_at: list.get(cut).cloned(),
                after_failure: list.len().saturating_sub(cut + 1),
                rescued: list[..cut]
                    .iter()
                    .filter(|r| r.outcome == Outcome::Rescued)
                    .cloned()
                    .collect(),
            };
            plans.push(plan);
            log.hosts
                .insert(host, list.into_iter().take(cut).collect::<VecDeque<_>>());
        }
        (log, plans)
    }

    /// The outcome to restore for this task on this host, if it is the host's next one.
    pub fn next_output(
        &self,
        host: &str,
        task: &str,
        path: &str,
        handler: bool,
    ) -> Option<&TaskOutput> {
        let next = self.hosts.get(host)?.front()?;
        if next.same_task(task, path, handler) {
            next.output.as_ref()
        } else {
            None
        }
    }

    /// The host has applied this task: its record is used up. A task that is not the
    /// host's next record means the run went another way: the host's replay ends there.
    pub fn consume(&mut self, host: &str, task: &str, path: &str, handler: bool) {
        let Some(list) = self.hosts.get_mut(host) else {
            return;
        };
        match list.front() {
            Some(next) if next.same_task(task, path, handler) => {
                list.pop_front();
            }
            Some(_) => list.clear(),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(host: &str, task: &str, outcome: Outcome) -> TaskRecord {
        TaskRecord {
            host: host.into(),
            task: task.into(),
            shown: task.into(),
            path: format!("site.yml:{}:3", task.len()),
            handler: false,
            outcome,
            message: None,
            output: Some(TaskOutput::default()),
        }
    }

    #[test]
    fn replay_stops_at_the_first_failure_the_host_did_not_survive() {
        let records = vec![
            rec("a", "one", Outcome::Done),
            rec("b", "one", Outcome::Done),
            rec("a", "two", Outcome::Rescued),
            rec("a", "rollback", Outcome::Done),
            rec("a", "reraise", Outcome::Failed),
            rec("a", "always", Outcome::Done),
            rec("b", "two", Outcome::Done),
        ];
        let (log, plans) = ReplayLog::new("r1", records);
        let a = &plans[0];
        assert_eq!((a.host.as_str(), a.replayed, a.after_failure), ("a", 3, 1));
        assert_eq!(
            a.failed_at.as_ref().map(|r| r.task.as_str()),
            Some("reraise")
        );
        assert_eq!(a.rescued.len(), 1);
        let b = &plans[1];
        assert_eq!((b.replayed, b.rescued.len()), (2, 0));
        assert!(b.failed_at.is_none());
        let path = |t: &str| format!("site.yml:{}:3", t.len());
        assert!(log.next_output("a", "one", &path("one"), false).is_some());
        assert!(log.next_output("a", "two", &path("two"), false).is_none());
        assert!(log.next_output("a", "one", &path("one"), true).is_none());
    }

    #[test]
    fn a_different_task_ends_the_hosts_replay() {
        let records = vec![
            rec("a", "one", Outcome::Done),
            rec("a", "two", Outcome::Done),
        ];
        let (mut log, _) = ReplayLog::new("r1", records);
        let path = |t: &str| format!("site.yml:{}:3", t.len());
        log.consume("a", "other", "x.yml:1:1", false);
        assert!(log.next_output("a", "one", &path("one"), false).is_none());
        assert!(log.next_output("a", "two", &path("two"), false).is_none());
    }
}
