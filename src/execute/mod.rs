//! Execute layer: the strategy that runs plays on hosts, the connections that
//! reach them, and the module contract. Reports only through events.

pub mod args;
pub mod batches;
pub mod connection;
mod connections;
mod cursor;
mod diff;
pub mod events;
mod host_task;
mod include_vars;
pub mod module;
pub mod options;
mod play;
pub mod progress;
mod prompt;
pub mod resume;
mod tags;

use crate::parse::inventory::Inventory;
use crate::plan::load::{Catalog, Loader};
use crate::plan::template::Templar;
use crate::plan::tree::Playbook;
use events::{Event, HostStats, Listener};
use options::RunOptions;
use std::sync::Arc;

pub use tags::selected as tags_selected;

/// The modules, as the plan layer's loader asks about them.
pub struct ModuleCatalog;

impl Catalog for ModuleCatalog {
    fn is_module(&self, name: &str) -> bool {
        crate::modules::find(name).is_some()
    }
    fn module_names(&self) -> Vec<&'static str> {
        crate::modules::all().map(|m| m.doc().name).collect()
    }
    fn check_arg(&self, module: &str, arg: &str) -> Result<(), Vec<&'static str>> {
        let Some(m) = crate::modules::find(module) else {
            return Ok(());
        };
        let doc = m.doc();
        if doc.arg(arg).is_some() || doc.arg("*").is_some() {
            return Ok(());
        }
        Err(doc.arg_names().collect())
    }
}

/// Set by the CLI on the first Ctrl-C or SIGTERM: running tasks finish, and every later
/// task fails as "interrupted" except inside `rescue`/`always`, so a playbook's rollback
/// still runs (a second Ctrl-C aborts at once).
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How a run ended, for the exit code.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub stats: Vec<(String, HostStats)>,
}

impl RunSummary {
    /// ansible-playbook's exit codes: 0 ok, 2 failed hosts, 4 unreachable hosts.
    pub fn exit_code(&self) -> i32 {
        if self.stats.iter().any(|(_, s)| s.failed > 0) {
            2
        } else if self.stats.iter().any(|(_, s)| s.unreachable > 0) {
            4
        } else {
            0
        }
    }
}

/// Runs the plays of the playbooks in order; the report hears everything through `listener`.
pub async fn run(
    playbooks: &[Playbook],
    inventory: &Inventory,
    options: &RunOptions,
    listener: &dyn Listener,
    templar: Arc<Templar>,
    loader: &Loader<'_>,
) -> Result<RunSummary, String> {
    let first_dir = playbooks.first().map(|p| p.dir.clone()).unwrap_or_default();
    let listener = &events::WarningsFirst(listener);
    let mut runner = play::Runner::new(inventory, options, listener, templar, loader, first_dir);
    let mut result = Ok(());
    'books: for pb in playbooks {
        listener.event(&Event::PlaybookStart {
            playbook: pb.path.display().to_string(),
            check: options.check,
        });
        runner.playbook_dir = pb.dir.clone();
        for p in &pb.plays {
            match runner.run_play(p.clone()).await {
                Ok(play::PlayEnd::Continue) => {}
                Ok(play::PlayEnd::BreakRun) => break 'books,
                Err(e) => {
                    result = Err(e);
                    break 'books;
                }
            }
        }
    }
    runner.conns.close_all().await;
    let summary = RunSummary {
        stats: runner.stats.into_iter().collect(),
    };
    result?;
    listener.event(&Event::Recap {
        hosts: summary.stats.clone(),
    });
    Ok(summary)
}
