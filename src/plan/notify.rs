//! A `notify` that names no handler of its play is an error before anything runs
//! (ansible-core stops the run when the task notifies; a typo there would skip a restart).

use super::tree::{Action, Item, Play, Task};
use crate::parse::diag::{Diag, DiagResult};

pub fn check(play: &Play) -> DiagResult<()> {
    let mut tasks = Vec::new();
    for section in &play.sections {
        collect(section, &mut tasks);
    }
    tasks.extend(play.handlers.iter().map(|h| &**h));
    // A role included at run time can bring handlers of its own.
    if tasks
        .iter()
        .any(|t| matches!(t.action, Action::IncludeRole { .. }))
    {
        return Ok(());
    }
    let mut names: Vec<String> = Vec::new();
    for h in &play.handlers {
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
