//! `hotplay plan`: the static part (plays, hosts by batch, tasks in order with what limits
//! them), built without connecting; names, delegates, loops and conditions rendered where the
//! inventory and vars tell them before the run. The preflight part runs through `run`.

use crate::execute::options::RunOptions;
use crate::parse::Node;
use crate::parse::inventory::Inventory;
use crate::plan::outline::{self, Render};
use crate::plan::template::Templar;
use crate::plan::tree::{Item, Play, Playbook, Task, VarMap};
use crate::plan::vars::{Context, Layer};
use crate::report::plan::{PLAN_TAG, PlayPlan};
use clap::Args;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub run: super::RunArgs,
    /// The static part only: no connection to any host, no preflight.
    #[arg(long)]
    pub offline: bool,
    /// The plan as one JSON document (also `--format json`).
    #[arg(long)]
    pub json: bool,
}

/// The plays of the playbooks, in order. `tags`/`skip_tags`: the user's selection.
pub fn build(
    books: &[Playbook],
    inv: &Inventory,
    opts: &RunOptions,
    tags: &[String],
    skip_tags: &[String],
    templar: &Arc<Templar>,
) -> Result<Vec<PlayPlan>, String> {
    let mut plays = Vec::new();
    for book in books {
        for play in &book.plays {
            let ctx = Context::new(
                vec![
                    Layer::lazy(Arc::new(opts.extra_vars.clone())),
                    Layer::lazy(play.vars.clone()),
                ],
                templar.clone(),
                None,
            );
            let at = |msg: &str| crate::parse::Diag::new(play.hosts.span, msg).to_string();
            let pattern = match templar.render_json(&play.hosts.to_json(), &ctx.as_value()) {
                Ok(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
                    .collect::<Vec<_>>()
                    .join(":"),
                Ok(Value::String(s)) => s,
                Ok(v) => v.to_string(),
                Err(e) => return Err(at(&e.message)),
            };
            let mut hosts = crate::plan::pattern::select(inv, &pattern).map_err(|e| at(&e.0))?;
            if let Some(l) = &opts.limit {
                let allowed = crate::plan::pattern::select(inv, l)
                    .map_err(|e| format!("--limit: {}", e.0))?;
                hosts.retain(|h| allowed.contains(h));
            }
            crate::execute::batches::order_hosts(&mut hosts, &play.order);
            let batches =
                crate::execute::batches::split(&hosts, play.serial.as_ref(), templar, &ctx)
                    .map_err(|e| {
                        let span = play.serial.as_ref().map_or(play.span, |n| n.span);
                        crate::parse::Diag::new(span, e).to_string()
                    })?;
            let name = match &play.name {
                Some(n) => templar
                    .render_string(n, &ctx.as_value())
                    .unwrap_or_else(|_| n.clone()),
                None => pattern.clone(),
            };
            let render = StaticVars::new(inv, play, opts, &hosts, &book.dir, templar)?;
            let selected = |t: &Task| crate::execute::tags_selected(&t.attrs.tags, tags, skip_tags);
            plays.push(PlayPlan {
                playbook: book.path.display().to_string(),
                name,
                pattern,
                hosts,
                batches,
                tasks: outline::outline(play, &selected, &render),
            });
        }
    }
    Ok(plays)
}

/// file:line:col of every task tagged `plan`: their messages are the plan's summary.
pub fn plan_tasks(books: &[Playbook]) -> HashSet<String> {
    fn add(items: &[Item], out: &mut HashSet<String>) {
        for i in items {
            match i {
                Item::Task(t) if t.attrs.tags.iter().any(|g| g == PLAN_TAG) => {
                    out.insert(t.span.to_string());
                }
                Item::Task(_) => {}
                Item::Block(b) => {
                    add(&b.body, out);
                    add(&b.rescue, out);
                    add(&b.always, out);
                }
            }
        }
    }
    let mut out = HashSet::new();
    for b in books {
        for p in &b.plays {
            for s in &p.sections {
                add(s, &mut out);
            }
        }
    }
    out
}

/// The variables a play's hosts have before the run: magic variables, extra vars, the
/// play's and roles' vars, inventory vars (no facts, no registered results).
struct StaticVars<'a> {
    play: &'a Play,
    hosts: Vec<String>,
    extra: Arc<VarMap>,
    common: Arc<VarMap>,
    magic: HashMap<String, Arc<VarMap>>,
    inventory: HashMap<String, Arc<VarMap>>,
    templar: &'a Arc<Templar>,
}

impl<'a> StaticVars<'a> {
    fn new(
        inv: &Inventory,
        play: &'a Play,
        opts: &RunOptions,
        hosts: &[String],
        playbook_dir: &std::path::Path,
        templar: &'a Arc<Templar>,
    ) -> Result<StaticVars<'a>, String> {
        let mut common = VarMap::new();
        common.insert(
            "groups".into(),
            serde_json::to_value(inv.groups_map()).unwrap_or_default(),
        );
        for k in [
            "ansible_play_hosts_all",
            "ansible_play_hosts",
            "play_hosts",
            "ansible_play_batch",
        ] {
            common.insert(k.into(), Value::from(hosts.to_vec()));
        }
        common.insert(
            "playbook_dir".into(),
            Value::String(playbook_dir.display().to_string()),
        );
        common.insert(
            "omit".into(),
            Value::String(crate::plan::template::OMIT.into()),
        );
        // As the run that the plan previews will have them.
        common.insert("ansible_check_mode".into(), Value::Bool(false));
        common.insert("ansible_diff_mode".into(), Value::Bool(false));
        let (mut magic, mut inventory) = (HashMap::new(), HashMap::new());
        for h in hosts {
            let mut m = VarMap::new();
            m.insert("inventory_hostname".into(), Value::String(h.clone()));
            m.insert(
                "inventory_hostname_short".into(),
                Value::String(h.split('.').next().unwrap_or(h).to_string()),
            );
            m.insert("group_names".into(), Value::from(inv.group_names(h)));
            magic.insert(h.clone(), Arc::new(m));
            let mut merged = VarMap::new();
            for l in inv
                .host_var_layers(h, Some(playbook_dir))
                .map_err(|d| d.to_string())?
            {
                merged.extend(l);
            }
            inventory.insert(h.clone(), Arc::new(merged));
        }
        Ok(StaticVars {
            play,
            hosts: hosts.to_vec(),
            extra: Arc::new(opts.extra_vars.clone()),
            common: Arc::new(common),
            magic,
            inventory,
            templar,
        })
    }

    /// A task's context on a host, in the run's precedence (play.rs `layers`).
    fn context(&self, task: Option<&Task>, host: &str) -> Arc<Context> {
        let empty = Arc::new(VarMap::new());
        let mut layers = vec![
            Layer::data(self.magic.get(host).cloned().unwrap_or(empty.clone())),
            Layer::data(self.common.clone()),
            Layer::lazy(self.extra.clone()),
        ];
        let role = task.and_then(|t| t.role.as_ref());
        if let Some(r) = role {
            layers.push(Layer::lazy(Arc::new(r.params.clone())));
        }
        if let Some(t) = task {
            layers.extend(t.scopes.iter().map(|s| Layer::lazy(s.clone())));
        }
        if let Some(r) = role {
            layers.push(Layer::lazy(Arc::new(r.vars.clone())));
        }
        for r in self.play.roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(r.vars.clone())));
        }
        layers.push(Layer::lazy(self.play.vars.clone()));
        layers.push(Layer::lazy(
            self.inventory.get(host).cloned().unwrap_or(empty),
        ));
        if let Some(r) = role {
            layers.push(Layer::lazy(Arc::new(r.defaults.clone())));
        }
        for r in self.play.roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(r.defaults.clone())));
        }
        Context::new(layers, self.templar.clone(), None)
    }

    fn first(&self) -> &str {
        self.hosts
            .first()
            .map(String::as_str)
            .unwrap_or("localhost")
    }
}

/// Templates that could act on the controller (lookups run programs) are not rendered.
fn renderable(text: &str) -> bool {
    Templar::is_template(text) && !text.contains("lookup(") && !text.contains("query(")
}

impl Render for StaticVars<'_> {
    fn text(&self, task: Option<&Task>, raw: &str) -> String {
        if !renderable(raw) {
            return raw.to_string();
        }
        let ctx = self.context(task, self.first());
        self.templar
            .render_string(raw, &ctx.as_value())
            .unwrap_or_else(|_| raw.to_string())
    }

    fn value(&self, task: &Task, node: &Node) -> String {
        let raw = node.to_json();
        let shown = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        if !renderable(&raw.to_string()) {
            return shown(&raw);
        }
        let ctx = self.context(Some(task), self.first());
        match self.templar.render_json(&raw, &ctx.as_value()) {
            Ok(v) => format!("{} ({})", shown(&raw), shown(&v)),
            Err(_) => shown(&raw),
        }
    }

    fn hosts_where(&self, task: &Task, conditions: &[String]) -> Option<Vec<String>> {
        if conditions
            .iter()
            .any(|c| c.contains("lookup(") || c.contains("query("))
        {
            return None;
        }
        let mut on = Vec::new();
        for h in &self.hosts {
            let ctx = self.context(Some(task), h).as_value();
            let mut holds = true;
            for c in conditions {
                match self.templar.eval_condition(c, &ctx) {
                    Ok(true) => {}
                    Ok(false) => holds = false,
                    Err(_) => return None,
                }
            }
            if holds {
                on.push(h.clone());
            }
        }
        // Only worth saying when it is not every host.
        (on.len() < self.hosts.len()).then_some(on)
    }
}
