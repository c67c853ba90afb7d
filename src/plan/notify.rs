//! A `notify` that names no handler of its play is an error before anything runs
//! (ansible-core stops the run when the task notifies; a typo there would skip a restart).

use super::tree::{Action, HandlerBlocks, Item, Play, Task};
use crate::parse::diag::{Diag, DiagResult};

pub fn check(play: &Play) -> DiagResult<()> {
    let mut tasks = Vec::new();
    for section in &play.sections {
        collect(section, &mut tasks);
    }
    tasks.extend(play.handlers.iter().flatten().map(|h| &**h));
    // A role included at run time can bring handlers of its own.
    if tasks
        .iter()
        .any(|t| matches!(t.action, Action::IncludeRole { .. }))
    {
        return Ok(());
    }
    let mut names: Vec<String> = Vec::new();
    for h in play.handlers.iter().flatten() {
        names.extend(h.handler_names());
    }
    for t in tasks {
        for n in &t.notify {
            if n.contains("{{") || names.iter().any(|h| h == n) {
                continue;
            }
            return Err(Diag::new(
                t.span,
                format!(
                    "task '{}' notifies '{n}', but no handler of this play has that name or listens to it",
                    t.display_name()
                ),
            )
            .suggest(n, names.iter().map(String::as_str)));
        }
    }
    Ok(())
}

fn collect<'a>(items: &'a [Item], out: &mut Vec<&'a Task>) {
    for item in items {
        match item {
            Item::Task(t) => out.push(t),
            Item::Block(b) => {
                collect(&b.body, out);
                collect(&b.rescue, out);
                collect(&b.always, out);
            }
        }
    }
}

/// The handlers a notification wakes, as indexes into the flattened `blocks`, as
/// ansible-core searches: blocks from the last loaded, handlers within a block in
/// order; by name only the first found (so a role's handlers loaded by two role
/// calls run once), then every handler listening to it, once per handler name.
pub fn handlers_for(blocks: &HandlerBlocks, notification: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(blocks.len());
    let mut n = 0;
    for b in blocks {
        starts.push(n);
        n += b.len();
    }
    let search = || {
        blocks
            .iter()
            .zip(&starts)
            .rev()
            .flat_map(|(b, s)| b.iter().enumerate().map(move |(i, h)| (s + i, h)))
    };
    let mut found = Vec::new();
    let by_name = search().find(|(_, h)| {
        h.name.is_some()
            && (h.name.as_deref() == Some(notification) || h.display_name() == notification)
    });
    found.extend(by_name.map(|(i, _)| i));
    let mut seen: Vec<&str> = Vec::new();
    for (i, h) in search() {
        if !h.listen_names().iter().any(|l| l == notification) {
            continue;
        }
        if let Some(n) = h.name.as_deref() {
            if seen.contains(&n) {
                continue;
            }
            seen.push(n);
        }
        if !found.contains(&i) {
            found.push(i);
        }
    }
    found
}
