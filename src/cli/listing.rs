//! --list-hosts, --list-tasks, --list-tags: what a run would do, without running.

use crate::execute::options::RunOptions;
use crate::parse::inventory::Inventory;
use crate::plan::template::Templar;
use crate::plan::tree::{Item, Playbook};
use crate::plan::vars::{Context, Layer};
use serde_json::Value;
use std::sync::Arc;

pub fn print(
    books: &[Playbook],
    inv: &Inventory,
    opts: &RunOptions,
    hosts: bool,
    tasks: bool,
    tags: bool,
    templar: &Arc<Templar>,
) -> i32 {
    for book in books {
        println!("\nplaybook: {}", book.path.display());
        for (n, play) in book.plays.iter().enumerate() {
            let ctx = Context::new(
                vec![
                    Layer::lazy(Arc::new(opts.extra_vars.clone())),
                    Layer::lazy(play.vars.clone()),
                ],
                templar.clone(),
                None,
            );
            let pattern = match templar.render_json(&play.hosts.to_json(), &ctx.as_value()) {
                Ok(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join(":"),
                Ok(Value::String(s)) => s,
                Ok(v) => v.to_string(),
                Err(e) => {
                    eprintln!("ERROR! {}", e.message);
                    return 1;
                }
            };
            let name = play.name.clone().unwrap_or_default();
            println!(
                "\n  play #{} ({pattern}): {name}\tTAGS: [{}]",
                n + 1,
                play.tags.join(", ")
            );
            if hosts {
                let mut selected = match crate::plan::pattern::select(inv, &pattern) {
                    Ok(h) => h,
                    Err(e) => {
                        eprintln!("ERROR! {}", e.0);
                        return 1;
                    }
                };
                if let Some(l) = &opts.limit
                    && let Ok(allowed) = crate::plan::pattern::select(inv, l)
                {
                    selected.retain(|h| allowed.contains(h));
                }
                println!("    pattern: ['{pattern}']");
                println!("    hosts ({}):", selected.len());
                for h in selected {
                    println!("      {h}");
                }
            }
            if tasks {
                println!("    tasks:");
                for section in &play.sections {
                    list_tasks(section, opts, 6);
                }
            }
            if tags {
                let mut all: Vec<String> = Vec::new();
                for section in &play.sections {
                    collect_tags(section, &mut all);
                }
                all.sort();
                all.dedup();
                println!("      TASK TAGS: [{}]", all.join(", "));
            }
        }
    }
    0
}

fn list_tasks(items: &[Item], opts: &RunOptions, indent: usize) {
    for item in items {
        match item {
            Item::Task(t) => {
                if crate::execute::tags_selected(&t.attrs.tags, &opts.tags, &opts.skip_tags) {
                    println!(
                        "{}{}\tTAGS: [{}]",
                        " ".repeat(indent),
                        t.display_name(),
                        t.attrs.tags.join(", ")
                    );
                }
            }
            Item::Block(b) => {
                list_tasks(&b.body, opts, indent);
                list_tasks(&b.rescue, opts, indent);
                list_tasks(&b.always, opts, indent);
            }
        }
    }
}

fn collect_tags(items: &[Item], out: &mut Vec<String>) {
    for item in items {
        match item {
            Item::Task(t) => out.extend(t.attrs.tags.iter().cloned()),
            Item::Block(b) => {
                collect_tags(&b.body, out);
                collect_tags(&b.rescue, out);
                collect_tags(&b.always, out);
            }
        }
    }
}
