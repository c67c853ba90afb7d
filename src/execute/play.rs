//! The linear strategy: a play's hosts in batches (`serial`), each task run on
//! all hosts of the batch at once, blocks and handlers as Ansible runs them.

use super::connection::Connection;
use super::cursor::{Cursor, FailureOutcome};
use super::events::{Event, HostStats, Listener, Status};
use super::host_task::{TaskOutput, TaskRun, error_at};
use super::module::VarMap;
use super::options::RunOptions;
use super::resume::Outcome;
use super::{connections, tags};
use crate::parse::inventory::Inventory;
use crate::parse::{Kind, Node, Span};
use crate::plan::load::Loader;
use crate::plan::notify;
use crate::plan::template::{OMIT, Templar};
use crate::plan::tree::{Action, Item, Play, Role, Task};
use crate::plan::vars::{Context, HostVarsSource, Layer};
use futures::StreamExt;
use indexmap::{IndexMap, IndexSet};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// How deep includes (and blocks) may nest on one host: a file that includes itself
/// stops here with an error instead of looping forever.
const MAX_NESTING: usize = 200;

/// What a host carries from play to play.
#[derive(Debug, Default, Clone)]
pub struct HostState {
    pub inventory: Arc<VarMap>,
    pub facts: Arc<VarMap>,
    /// set_fact and register.
    pub vars: Arc<VarMap>,
    pub include_vars: Arc<VarMap>,
    /// Roles included with `public: true` in this play, latest last.
    pub public_roles: Vec<Arc<Role>>,
    pub failed: bool,
    pub unreachable: bool,
}

/// A host within the current batch.
struct BatchHost {
    cursor: Cursor,
    vars_files: Arc<VarMap>,
    /// Notifications by name, resolved to handlers when they flush (as ansible-core:
    /// then the last loaded handler of a name is the one that runs).
    pending: IndexSet<String>,
    /// Handlers to run at this flush, as indexes into the play's handlers.
    notified: IndexSet<usize>,
    /// `meta: end_host`/`end_play`: no more tasks here, not a failure.
    ended: bool,
    /// ansible_failed_task / ansible_failed_result while in rescue.
    rescue_vars: Arc<VarMap>,
}

/// One host's share of a task step.
enum Job {
    /// Restored from the journal of the run being resumed.
    Replayed(String, TaskOutput),
    /// Failed before it could start (interrupted, no connection).
    Failed(String, TaskOutput),
    Run(Box<HostJob>),
}

struct HostJob {
    host: String,
    ctx: Arc<Context>,
    conn: Arc<dyn Connection>,
    delegated: Option<String>,
    search: Vec<PathBuf>,
    peers: Arc<crate::execute::module::Peers>,
    item_delegates: Option<Arc<crate::execute::module::Peers>>,
}

fn failed_output(msg: &str) -> TaskOutput {
    let mut out = TaskOutput {
        failed: true,
        status: Some(Status::Failed),
        ..Default::default()
    };
    out.result.insert("failed".into(), Value::Bool(true));
    out.result
        .insert("msg".into(), Value::String(msg.to_string()));
    out
}

#[derive(Debug, PartialEq, Eq)]
pub enum PlayEnd {
    Continue,
    /// A batch failed entirely or max_fail_percentage was exceeded: stop the run.
    BreakRun,
}

pub struct Runner<'a> {
    /// The run's inventory; add_host and group_by change it (a copy is made then).
    pub inventory: Cow<'a, Inventory>,
    /// The `groups` magic var, rebuilt when the inventory changes.
    groups_var: Arc<VarMap>,
    pub options: &'a RunOptions,
    pub listener: &'a dyn Listener,
    pub templar: Arc<Templar>,
    pub loader: &'a Loader<'a>,
    pub playbook_dir: PathBuf,
    pub hosts: IndexMap<String, HostState>,
    pub stats: IndexMap<String, HostStats>,
    pub conns: connections::Pool,
    pub start_at: Option<String>,
    include_cache: HashMap<String, Arc<Vec<Item>>>,
    role_include_cache: HashMap<String, (Arc<Role>, Arc<Vec<Item>>)>,
    /// `hotplay resume`: each host's outcomes from the earlier run, still to restore.
    replay: Option<super::resume::ReplayLog>,
    /// An error found while a result was applied that stops the run (a notify of no
    /// handler), returned once the step's results are in.
    run_error: Option<String>,
}

/// Everything of the play every context needs.
struct PlayScope {
    play: Arc<Play>,
    common: Arc<VarMap>,
    extra: Arc<VarMap>,
    /// The vars_prompt answers (play-vars precedence, over the play's `vars`).
    prompted: Arc<VarMap>,
}

/// `hostvars` for one task step: every host's variables as of this step.
#[derive(Debug)]
struct Snapshot {
    layers: IndexMap<String, Vec<Layer>>,
    templar: Arc<Templar>,
}

impl HostVarsSource for Snapshot {
    fn host_names(&self) -> Vec<String> {
        self.layers.keys().cloned().collect()
    }
    fn context_of(&self, host: &str) -> Option<Arc<Context>> {
        let layers = self.layers.get(host)?.clone();
        Some(Context::new(layers, self.templar.clone(), None))
    }
}

impl<'a> Runner<'a> {
    pub fn new(
        inventory: &'a Inventory,
        options: &'a RunOptions,
        listener: &'a dyn Listener,
        templar: Arc<Templar>,
        loader: &'a Loader<'a>,
        playbook_dir: PathBuf,
    ) -> Runner<'a> {
        Runner {
            groups_var: groups_layer(inventory),
            inventory: Cow::Borrowed(inventory),
            options,
            listener,
            templar,
            loader,
            playbook_dir,
            hosts: IndexMap::new(),
            stats: IndexMap::new(),
            conns: connections::Pool::default(),
            start_at: options.start_at_task.clone(),
            include_cache: HashMap::new(),
            role_include_cache: HashMap::new(),
            replay: options.replay.as_deref().cloned(),
            run_error: None,
        }
    }

    fn warn(&self, message: impl Into<String>) {
        self.listener.event(&Event::Warning {
            message: message.into(),
        });
    }

    fn host_state(&mut self, host: &str) -> Result<&mut HostState, String> {
        if !self.hosts.contains_key(host) {
            let layers = self
                .inventory
                .host_var_layers(host, Some(&self.playbook_dir))
                .map_err(|d| d.to_string())?;
            let mut merged = VarMap::new();
            for l in layers {
                merged.extend(l);
            }
            self.hosts.insert(
                host.to_string(),
                HostState {
                    inventory: Arc::new(merged),
                    ..Default::default()
                },
            );
        }
        self.hosts
            .get_mut(host)
            .ok_or_else(|| "host state missing".to_string())
    }

    pub async fn run_play(&mut self, play: Arc<Play>) -> Result<PlayEnd, String> {
        for hs in self.hosts.values_mut() {
            hs.public_roles.clear();
        }
        let extra = Arc::new(self.options.extra_vars.clone());
        crate::parse::secrets::remember_named(&Value::Object((*play.vars).clone()));
        let prompted = Arc::new(super::prompt::ask_vars(
            &play,
            &extra,
            &self.templar,
            &|m| self.warn(m),
        )?);
        let static_ctx = Context::new(
            vec![
                Layer::lazy(extra.clone()),
                Layer::data(prompted.clone()),
                Layer::lazy(play.vars.clone()),
            ],
            self.templar.clone(),
            None,
        );
        let pattern = match self
            .templar
            .render_json(&play.hosts.to_json(), &static_ctx.as_value())
        {
            Ok(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(":"),
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => return Err(error_line(play.hosts.span, &e.message)),
        };
        let name = match &play.name {
            Some(n) => self
                .templar
                .render_string(n, &static_ctx.as_value())
                .unwrap_or_else(|_| n.clone()),
            None => pattern.clone(),
        };
        let mut hosts = crate::plan::pattern::select(&self.inventory, &pattern)
            .map_err(|e| error_line(play.hosts.span, &e.0))?;
        for term in crate::plan::pattern::unmatched_terms(&self.inventory, &pattern) {
            let message = format!("Could not match supplied host pattern, ignoring: {term}");
            match self.options.host_pattern_mismatch.as_str() {
                "error" => return Err(error_line(play.hosts.span, &message)),
                "ignore" => {}
                _ => self.listener.event(&Event::Warning { message }),
            }
        }
        if let Some(limit) = &self.options.limit {
            let allowed = crate::plan::pattern::select(&self.inventory, limit)
                .map_err(|e| format!("--limit: {}", e.0))?;
            hosts.retain(|h| allowed.contains(h));
        }
        hosts.retain(|h| {
            self.hosts
                .get(h)
                .is_none_or(|s| !s.failed && !s.unreachable)
        });
        super::batches::order_hosts(&mut hosts, &play.order);
        self.listener.event(&Event::PlayStart {
            name,
            hosts: hosts.clone(),
        });
        if hosts.is_empty() {
            self.listener.event(&Event::NoHostsMatched { pattern });
            return Ok(PlayEnd::Continue);
        }
        for h in &hosts {
            self.host_state(h)?;
        }
        let batches =
            super::batches::split(&hosts, play.serial.as_ref(), &self.templar, &static_ctx)
                .map_err(|e| {
                    error_line(
                        play.serial.as_ref().map(|n| n.span).unwrap_or(play.span),
                        &e,
                    )
                })?;
        let max_fail = match &play.max_fail_percentage {
            Some(n) => Some(match n.to_json() {
                Value::Number(x) => x.as_f64().unwrap_or(100.0),
                Value::String(s) => s
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .map_err(|_| error_line(n.span, "max_fail_percentage must be a number"))?,
                _ => return Err(error_line(n.span, "max_fail_percentage must be a number")),
            }),
            None => None,
        };
        let mut common = VarMap::new();
        common.insert("ansible_play_hosts_all".into(), Value::from(hosts.clone()));
        common.insert(
            "playbook_dir".into(),
            Value::String(self.playbook_dir.display().to_string()),
        );
        common.insert(
            "ansible_play_name".into(),
            Value::String(play.name.clone().unwrap_or_default()),
        );
        common.insert("omit".into(), Value::String(OMIT.into()));
        common.insert("ansible_check_mode".into(), Value::Bool(self.options.check));
        common.insert("ansible_diff_mode".into(), Value::Bool(self.options.diff));
        common.insert(
            "ansible_verbosity".into(),
            Value::from(self.options.verbosity),
        );
        common.insert(
            "ansible_run_tags".into(),
            Value::from(if self.options.tags.is_empty() {
                vec!["all".to_string()]
            } else {
                self.options.tags.clone()
            }),
        );
        common.insert(
            "ansible_skip_tags".into(),
            Value::from(self.options.skip_tags.clone()),
        );
        common.insert("ansible_version".into(), serde_json::json!({"full": "2.17.0", "major": 2, "minor": 17, "revision": 0, "string": "2.17.0", "hotplay": env!("CARGO_PKG_VERSION")}));
        common.insert("inventory_dir".into(), Value::Null);
        for batch in batches {
            let scope = {
                let mut c = common.clone();
                let alive: Vec<String> = hosts
                    .iter()
                    .filter(|h| {
                        self.hosts
                            .get(*h)
                            .is_some_and(|s| !s.failed && !s.unreachable)
                    })
                    .cloned()
                    .collect();
                c.insert("ansible_play_batch".into(), Value::from(batch.clone()));
                c.insert("ansible_play_hosts".into(), Value::from(alive.clone()));
                c.insert("play_hosts".into(), Value::from(alive));
                PlayScope {
                    play: play.clone(),
                    common: Arc::new(c),
                    extra: extra.clone(),
                    prompted: prompted.clone(),
                }
            };
            let failed_before = self.lost(&batch);
            let end = self.run_batch(&scope, &batch, max_fail).await?;
            let failed_now = self.lost(&batch);
            if end == PlayEnd::BreakRun
                || (failed_now - failed_before == batch.len() && !batch.is_empty())
            {
                return Ok(PlayEnd::BreakRun);
            }
        }
        Ok(PlayEnd::Continue)
    }

    /// How many of `hosts` have failed or are unreachable.
    fn lost(&self, hosts: &[String]) -> usize {
        hosts
            .iter()
            .filter(|h| {
                self.hosts
                    .get(*h)
                    .is_some_and(|s| s.failed || s.unreachable)
            })
            .count()
    }

    fn is_active(&self, host: &str, batch: &IndexMap<String, BatchHost>) -> bool {
        self.hosts
            .get(host)
            .is_some_and(|s| !s.failed && !s.unreachable)
            && batch.get(host).is_some_and(|b| !b.ended)
    }

    async fn run_batch(
        &mut self,
        scope: &PlayScope,
        batch: &[String],
        max_fail: Option<f64>,
    ) -> Result<PlayEnd, String> {
        let play = scope.play.clone();
        let mut state: IndexMap<String, BatchHost> = IndexMap::new();
        for h in batch {
            let vars_files = self.load_vars_files(scope, h)?;
            state.insert(
                h.clone(),
                BatchHost {
                    cursor: Cursor::default(),
                    vars_files,
                    pending: IndexSet::new(),
                    notified: IndexSet::new(),
                    ended: false,
                    rescue_vars: Arc::new(VarMap::new()),
                },
            );
        }
        if self.gathers_facts(&play) {
            let task = gather_task(&play);
            let hosts: Vec<String> = batch
                .iter()
                .filter(|h| self.is_active(h, &state))
                .cloned()
                .collect();
            self.listener.event(&Event::TaskStart {
                name: "Gathering Facts".into(),
                handler: false,
                path: play.span.to_string(),
                step_ids: vec![],
            });
            let outs = self.run_on_hosts(scope, &task, &hosts, &state).await;
            for (h, out) in outs {
                self.apply(&task, &h, out, &mut state, scope, batch);
            }
        }
        for section in &play.sections {
            let items = Arc::new(section.clone());
            for h in batch {
                if let Some(b) = state.get_mut(h) {
                    b.cursor = Cursor::new(items.clone());
                }
            }
            let end = self.run_section(scope, batch, &mut state, max_fail).await?;
            if end == PlayEnd::BreakRun {
                if play.force_handlers || self.options.force_handlers {
                    self.flush_handlers(scope, batch, &mut state).await?;
                }
                return Ok(end);
            }
            self.flush_handlers(scope, batch, &mut state).await?;
        }
        Ok(PlayEnd::Continue)
    }

    fn gathers_facts(&self, play: &Play) -> bool {
        match &play.gather_facts {
            None => self.options.gather_by_default,
            Some(n) => crate::plan::ansible_bool(&n.to_json()).unwrap_or(true),
        }
    }

    fn load_vars_files(&mut self, scope: &PlayScope, host: &str) -> Result<Arc<VarMap>, String> {
        let mut merged = VarMap::new();
        if scope.play.vars_files.is_empty() {
            return Ok(Arc::new(merged));
        }
        let ctx = self.context(
            scope,
            host,
            None,
            &Arc::new(VarMap::new()),
            &Arc::new(VarMap::new()),
            None,
        );
        for node in &scope.play.vars_files {
            // A list entry means "the first of these that exists".
            let candidates: Vec<Node> = match &node.kind {
                Kind::Seq(items) => items.clone(),
                _ => vec![node.clone()],
            };
            let mut found = None;
            for c in &candidates {
                let rendered = self
                    .templar
                    .render_json(&c.to_json(), &ctx.as_value())
                    .map_err(|e| error_line(c.span, &e.message))?;
                let name = rendered
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| rendered.to_string());
                let path = scope.play.dir.join(&name);
                if path.is_file() {
                    found = Some(path);
                    break;
                }
            }
            let path = found
                .ok_or_else(|| error_line(node.span, "vars_files: none of these files exists"))?;
            merged.extend(super::include_vars::read_vars(&path)?);
        }
        Ok(Arc::new(merged))
    }

    /// The variables a template sees on `host` for `task`, highest layer first.
    /// The task's name templated with the host's variables (as ansible_failed_task has it);
    /// the raw name when it does not render.
    fn rendered_name(
        &self,
        scope: &PlayScope,
        task: &Task,
        host: &str,
        state: &IndexMap<String, BatchHost>,
    ) -> String {
        let raw = task.display_name();
        if !raw.contains("{{") {
            return raw;
        }
        let empty = Arc::new(VarMap::new());
        let b = state.get(host);
        let vf = b.map_or_else(|| empty.clone(), |b| b.vars_files.clone());
        let rv = b.map_or_else(|| empty.clone(), |b| b.rescue_vars.clone());
        let ctx = self.context(scope, host, Some(task), &vf, &rv, None);
        match self
            .templar
            .render_json(&Value::String(raw.clone()), &ctx.as_value())
        {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => raw,
        }
    }

    fn context(
        &self,
        scope: &PlayScope,
        host: &str,
        task: Option<&Task>,
        vars_files: &Arc<VarMap>,
        rescue: &Arc<VarMap>,
        hostvars: Option<Arc<dyn HostVarsSource>>,
    ) -> Arc<Context> {
        let layers = self.layers(scope, host, task, vars_files, rescue);
        Context::new(layers, self.templar.clone(), hostvars)
    }

    fn layers(
        &self,
        scope: &PlayScope,
        host: &str,
        task: Option<&Task>,
        vars_files: &Arc<VarMap>,
        rescue: &Arc<VarMap>,
    ) -> Vec<Layer> {
        let empty = HostState::default();
        let hs = self.hosts.get(host).unwrap_or(&empty);
        let mut magic = VarMap::new();
        magic.insert("inventory_hostname".into(), Value::String(host.to_string()));
        magic.insert(
            "inventory_hostname_short".into(),
            Value::String(host.split('.').next().unwrap_or(host).to_string()),
        );
        if let Some(h) = self.inventory.hosts.get(host).filter(|h| h.span.is_known()) {
            let file = std::path::absolute(h.span.path()).unwrap_or_else(|_| h.span.path());
            let dir = file.parent().map(|d| d.display().to_string());
            magic.insert(
                "inventory_file".into(),
                Value::String(file.display().to_string()),
            );
            magic.insert(
                "inventory_dir".into(),
                dir.map(Value::String).unwrap_or_default(),
            );
        }
        magic.insert(
            "group_names".into(),
            Value::from(self.inventory.group_names(host)),
        );
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            magic.insert("role_name".into(), Value::String(role.name.clone()));
            magic.insert(
                "role_path".into(),
                Value::String(role.path.display().to_string()),
            );
        }
        let mut facts = (*hs.facts).clone();
        let plain: VarMap = facts
            .iter()
            .map(|(k, v)| {
                let name = k.strip_prefix("ansible_").unwrap_or(k);
                (name.to_string(), v.clone())
            })
            .collect();
        facts.insert("ansible_facts".into(), Value::Object(plain));
        let mut layers = vec![
            Layer::data(Arc::new(magic)),
            Layer::data(scope.common.clone()),
            Layer::data(self.groups_var.clone()),
            Layer::lazy(scope.extra.clone()),
        ];
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            layers.push(Layer::lazy(Arc::new(role.params.clone())));
        }
        layers.push(Layer::data(rescue.clone()));
        layers.push(Layer::host_results(hs.vars.clone()));
        layers.push(Layer::lazy(hs.include_vars.clone()));
        if let Some(t) = task {
            layers.extend(t.scopes.iter().map(|s| Layer::lazy(s.clone())));
            if let Some(role) = &t.role {
                layers.push(Layer::lazy(Arc::new(role.vars.clone())));
            }
        }
        // The play's roles export their vars and defaults to the whole play; a later role
        // wins; so do the roles included with `public: true` so far.
        for role in hs.public_roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(role.vars.clone())));
        }
        for role in scope.play.roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(role.vars.clone())));
        }
        layers.push(Layer::lazy(vars_files.clone()));
        layers.push(Layer::data(scope.prompted.clone()));
        layers.push(Layer::lazy(scope.play.vars.clone()));
        layers.push(Layer::data(Arc::new(facts)));
        layers.push(Layer::lazy(hs.inventory.clone()));
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            layers.push(Layer::lazy(Arc::new(role.defaults.clone())));
        }
        for role in hs.public_roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(role.defaults.clone())));
        }
        for role in scope.play.roles.iter().rev() {
            layers.push(Layer::lazy(Arc::new(role.defaults.clone())));
        }
        layers
    }

    fn snapshot(
        &self,
        scope: &PlayScope,
        state: &IndexMap<String, BatchHost>,
    ) -> Arc<dyn HostVarsSource> {
        let empty = Arc::new(VarMap::new());
        let layers = self
            .hosts
            .keys()
            .map(|h| {
                let vf = state
                    .get(h)
                    .map(|b| b.vars_files.clone())
                    .unwrap_or_else(|| empty.clone());
                (h.clone(), self.layers(scope, h, None, &vf, &empty))
            })
            .collect();
        Arc::new(Snapshot {
            layers,
            templar: self.templar.clone(),
        })
    }

    async fn run_section(
        &mut self,
        scope: &PlayScope,
        batch: &[String],
        state: &mut IndexMap<String, BatchHost>,
        max_fail: Option<f64>,
    ) -> Result<PlayEnd, String> {
        loop {
            // Each active host's next task; the earliest in play order runs next.
            let mut next: Vec<(String, Arc<Task>)> = Vec::new();
            for h in batch {
                if !self.is_active(h, state) {
                    continue;
                }
                let Some(b) = state.get_mut(h) else { continue };
                if b.cursor.failed_after_always {
                    b.cursor.failed_after_always = false;
                    if let Some(s) = self.hosts.get_mut(h) {
                        s.failed = true;
                    }
                    continue;
                }
                if let Some(t) = b.cursor.peek() {
                    next.push((h.clone(), t));
                }
            }
            // A host whose `always` ended in failure drops out above; look again.
            let Some(first) = next
                .iter()
                .map(|(_, t)| t.clone())
                .min_by(|a, b| a.order.cmp(&b.order))
            else {
                let pending = batch
                    .iter()
                    .any(|h| state.get(h).is_some_and(|b| b.cursor.failed_after_always));
                if pending {
                    continue;
                }
                return Ok(PlayEnd::Continue);
            };
            let hosts: Vec<String> = next
                .iter()
                .filter(|(_, t)| Arc::ptr_eq(t, &first))
                .map(|(h, _)| h.clone())
                .collect();
            for h in &hosts {
                if let Some(b) = state.get_mut(h) {
                    b.cursor.advance();
                }
            }
            if !self.selected(&first) {
                continue;
            }
            if self.options.step && !step_confirm(&first.display_name()) {
                continue;
            }
            if let Action::Meta { what } = &first.action {
                if self
                    .run_meta(scope, &first, what, &hosts, batch, state)
                    .await?
                    == PlayEnd::BreakRun
                {
                    return Ok(PlayEnd::BreakRun);
                }
                continue;
            }
            // As ansible-core: the banner's name templated with the first host's vars.
            let name = match hosts.first() {
                Some(h) => self.rendered_name(scope, &first, h, state),
                None => first.display_name(),
            };
            self.listener.event(&Event::TaskStart {
                name,
                handler: false,
                path: first.span.to_string(),
                step_ids: step_ids(&first.attrs.tags),
            });
            let outs = self.run_on_hosts(scope, &first, &hosts, state).await;
            let mut fatal = false;
            let mut failed_here = Vec::new();
            let errors_fatal = self.any_errors_fatal(scope, &first);
            for (h, out) in outs {
                let failed = out.failed || out.unreachable;
                self.apply(&first, &h, out, state, scope, batch);
                if let Some(e) = self.run_error.take() {
                    return Err(e);
                }
                if failed && errors_fatal {
                    failed_here.push(h.clone());
                    if self
                        .hosts
                        .get(&h)
                        .is_some_and(|s| s.failed || s.unreachable)
                    {
                        fatal = true;
                    }
                }
            }
            // A rescued failure under any_errors_fatal sends the other hosts into
            // their rescue too (ansible-core marks them failed, uncounted).
            if !fatal && !failed_here.is_empty() {
                for h in batch.iter().filter(|h| !failed_here.contains(h)) {
                    let alive = self
                        .hosts
                        .get(h)
                        .is_some_and(|s| !s.failed && !s.unreachable);
                    let Some(b) = state.get_mut(h) else { continue };
                    if alive
                        && !b.cursor.recovering()
                        && b.cursor.fail() == FailureOutcome::HostFailed
                    {
                        fatal = true;
                    }
                }
            }
            if fatal {
                for h in batch {
                    if let Some(s) = self.hosts.get_mut(h)
                        && !s.unreachable
                    {
                        s.failed = true;
                    }
                }
                return Ok(PlayEnd::BreakRun);
            }
            if let Some(pct) = max_fail {
                let failed = self.lost(batch);
                if (failed as f64) * 100.0 / (batch.len() as f64) > pct {
                    // The only case where ansible-core prints the banner.
                    self.listener.event(&Event::NoMoreHosts);
                    return Ok(PlayEnd::BreakRun);
                }
            }
        }
    }

    fn any_errors_fatal(&self, scope: &PlayScope, task: &Task) -> bool {
        match &task.attrs.any_errors_fatal {
            Some(n) => crate::plan::ansible_bool(&n.to_json()).unwrap_or(false),
            None => scope.play.any_errors_fatal || self.options.any_errors_fatal,
        }
    }

    /// Tags and --start-at-task.
    fn selected(&mut self, task: &Task) -> bool {
        if let Some(start) = &self.start_at {
            let name = task.display_name();
            let bare = task.name.clone().unwrap_or_default();
            if name == *start || bare == *start || glob(start, &bare) {
                self.start_at = None;
            } else {
                return false;
            }
        }
        tags::selected(
            &task.attrs.tags,
            &self.options.tags,
            &self.options.skip_tags,
        )
    }

    async fn run_on_hosts(
        &mut self,
        scope: &PlayScope,
        task: &Arc<Task>,
        hosts: &[String],
        state: &IndexMap<String, BatchHost>,
    ) -> Vec<(String, TaskOutput)> {
        let hostvars = self.snapshot(scope, state);
        let run_once = task
            .attrs
            .run_once
            .as_ref()
            .is_some_and(|n| crate::plan::ansible_bool(&n.to_json()).unwrap_or(false));
        // Ansible's BYPASS_HOST_LOOP: the first host only, its result not copied.
        let bypass = matches!(&task.action, Action::Module { name, .. }
                if crate::modules::find(name).is_some_and(|m| m.once_per_batch()));
        let targets: Vec<String> = if run_once || bypass {
            hosts.iter().take(1).cloned().collect()
        } else {
            hosts.to_vec()
        };
        let peers = match &task.action {
            Action::Module { name, .. }
                if crate::modules::find(name).is_some_and(|m| m.uses_peers()) =>
            {
                self.peer_connections()
            }
            _ => Arc::new(Default::default()),
        };
        // A loop whose delegate_to names a host per item picks its connection per item.
        let item_delegates = (task.loop_items.is_some() && task.attrs.delegate_to.is_some())
            .then(|| self.delegate_connections());
        let mut jobs = Vec::new();
        let interrupted = super::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst);
        for h in &targets {
            let b = state.get(h);
            if let Some(out) = self.replay.as_ref().and_then(|r| {
                r.next_output(
                    h,
                    &task.display_name(),
                    &task.span.to_string(),
                    task.is_handler,
                )
            }) {
                jobs.push(Job::Replayed(h.clone(), out.clone()));
                continue;
            }
            if interrupted && !b.is_some_and(|b| b.cursor.in_recovery()) {
                jobs.push(Job::Failed(
                    h.clone(),
                    failed_output(
                        "interrupted by the operator (Ctrl-C or SIGTERM): this task did not run",
                    ),
                ));
                continue;
            }
            let empty = Arc::new(VarMap::new());
            let vf = b
                .map(|b| b.vars_files.clone())
                .unwrap_or_else(|| empty.clone());
            let rv = b.map(|b| b.rescue_vars.clone()).unwrap_or(empty);
            let ctx = self.context(scope, h, Some(task), &vf, &rv, Some(hostvars.clone()));
            let conn = match &item_delegates {
                Some(_) => self.own_connection(h, &ctx),
                None => self.connection_for(task, h, &ctx),
            };
            let (conn, delegated) = match conn {
                Ok(c) => c,
                Err(msg) => {
                    jobs.push(Job::Failed(h.clone(), failed_output(&msg)));
                    continue;
                }
            };
            let mut search = Vec::new();
            if let Some(r) = &task.role {
                search.push(r.path.clone());
            }
            search.push(task.dir.clone());
            search.push(scope.play.dir.clone());
            jobs.push(Job::Run(Box::new(HostJob {
                host: h.clone(),
                ctx,
                conn,
                delegated,
                search,
                peers: peers.clone(),
                item_delegates: item_delegates.clone(),
            })));
        }
        let options = self.options;
        let listener = self.listener;
        let forks = self.options.forks.max(1);
        let mut results: Vec<(String, TaskOutput)> = futures::stream::iter(jobs)
            .map(|job| async move {
                match job {
                    Job::Replayed(h, out) => {
                        listener.event(&Event::Replayed {
                            host: h.clone(),
                            status: out.status.unwrap_or(Status::Ok),
                        });
                        (h, out)
                    }
                    Job::Failed(h, out) => {
                        listener.event(&Event::HostResult(super::events::HostResult {
                            host: h.clone(),
                            delegated_to: None,
                            status: Status::Failed,
                            ignored: false,
                            rescued: false,
                            item: None,
                            result: out.result.clone(),
                            verbose_always: false,
                            action: task.module_name().unwrap_or_default().to_string(),
                        }));
                        (h, out)
                    }
                    Job::Run(j) => {
                        let HostJob {
                            host: h,
                            ctx,
                            conn,
                            delegated,
                            search,
                            peers,
                            item_delegates,
                        } = *j;
                        let run = TaskRun {
                            task,
                            host: &h,
                            ctx,
                            conn,
                            delegated_to: delegated,
                            options,
                            listener,
                            search_paths: search,
                            peers,
                            item_delegates,
                        };
                        let out = run.run().await;
                        (h, out)
                    }
                }
            })
            .buffer_unordered(forks)
            .collect()
            .await;
        if run_once && let Some((_, first)) = results.first() {
            let copy: Vec<(String, TaskOutput)> = hosts
                .iter()
                .skip(1)
                .map(|h| (h.clone(), clone_output(first)))
                .collect();
            results.extend(copy);
        }
        results
    }

    /// Connections to every inventory host (opened lazily, at their first command).
    fn peer_connections(&mut self) -> Arc<crate::execute::module::Peers> {
        let names: Vec<String> = self.inventory.hosts.keys().cloned().collect();
        let mut peers = crate::execute::module::Peers::new();
        for h in names {
            let Ok(hs) = self.host_state(&h) else {
                continue;
            };
            let ctx = Context::new(
                vec![Layer::lazy(hs.inventory.clone())],
                self.templar.clone(),
                None,
            );
            if let Ok(c) = self.conns.get(&h, &ctx, self.options) {
                peers.insert(h, c);
            }
        }
        Arc::new(peers)
    }

    /// Connections to every inventory host and to localhost, for per-item delegation.
    fn delegate_connections(&mut self) -> Arc<crate::execute::module::Peers> {
        let mut peers = (*self.peer_connections()).clone();
        if !peers.contains_key("localhost") {
            let ctx = Context::new(vec![], self.templar.clone(), None);
            if let Ok(c) = self.conns.get("localhost", &ctx, self.options) {
                peers.insert("localhost".into(), c);
            }
        }
        Arc::new(peers)
    }

    /// The host's own connection (no delegation).
    fn own_connection(
        &mut self,
        host: &str,
        ctx: &Arc<Context>,
    ) -> Result<(Arc<dyn Connection>, Option<String>), String> {
        Ok((self.conns.get(host, ctx, self.options)?, None))
    }

    fn connection_for(
        &mut self,
        task: &Task,
        host: &str,
        ctx: &Arc<Context>,
    ) -> Result<(Arc<dyn Connection>, Option<String>), String> {
        let delegate = match &task.attrs.delegate_to {
            Some(n) => {
                let v = self
                    .templar
                    .render_json(&n.to_json(), &ctx.as_value())
                    .map_err(|e| error_at(n.span, task, &e.message))?;
                v.as_str()
                    .map(str::to_string)
                    .filter(|s| !s.is_empty() && s != host)
            }
            None => None,
        };
        let target = delegate.clone().unwrap_or_else(|| host.to_string());
        let target_ctx = if delegate.is_some() {
            // A host outside the play still connects with its own inventory vars.
            let known = self.inventory.hosts.contains_key(&target);
            match known.then(|| self.host_state(&target)) {
                Some(Ok(hs)) => Context::new(
                    vec![Layer::lazy(hs.inventory.clone())],
                    self.templar.clone(),
                    None,
                ),
                _ => Context::new(vec![], self.templar.clone(), None),
            }
        } else {
            ctx.clone()
        };
        let conn = self.conns.get(&target, &target_ctx, self.options)?;
        Ok((conn, delegate))
    }

    /// Applies one host's result and tells the journal what it did, for `resume`.
    fn apply(
        &mut self,
        task: &Arc<Task>,
        host: &str,
        out: TaskOutput,
        state: &mut IndexMap<String, BatchHost>,
        scope: &PlayScope,
        batch: &[String],
    ) {
        let (name, path) = (task.display_name(), task.span.to_string());
        if let Some(r) = &mut self.replay {
            r.consume(host, &name, &path, task.is_handler);
        }
        // A templated no_log counts as on: the journal errs on the side of keeping nothing.
        let no_log = task
            .attrs
            .no_log
            .as_ref()
            .is_some_and(|n| crate::plan::ansible_bool(&n.to_json()) != Some(false));
        let message = (out.failed || out.unreachable)
            .then(|| out.result.get("msg").and_then(Value::as_str))
            .flatten()
            .map(|m| m.lines().next().unwrap_or_default().to_string());
        let kept = (!no_log).then(|| out.clone());
        let shown = self.rendered_name(scope, task, host, state);
        let before = self.stats.get(host).cloned().unwrap_or_default();
        self.apply_outcome(task, host, out, state, scope, batch);
        let after = self.stats.get(host).cloned().unwrap_or_default();
        let outcome = if after.unreachable > before.unreachable {
            Outcome::Unreachable
        } else if after.failed > before.failed {
            Outcome::Failed
        } else if after.rescued > before.rescued {
            Outcome::Rescued
        } else {
            Outcome::Done
        };
        self.listener
            .event(&Event::TaskDone(Box::new(super::resume::TaskRecord {
                host: host.to_string(),
                task: name,
                shown,
                path,
                handler: task.is_handler,
                outcome,
                message,
                output: kept,
            })));
    }

    /// add_host and group_by results (of the task or of its loop items) change the
    /// inventory; the hosts concerned see their new groups' vars from the next task on.
    fn apply_inventory_changes(&mut self, host: &str, result: &VarMap) {
        let items: Vec<&VarMap> = match result.get("results") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
            _ => vec![result],
        };
        let mut touched: Vec<String> = Vec::new();
        for r in items {
            let strings = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            };
            if let Some(Value::Object(add)) = r.get("add_host") {
                let Some(name) = add.get("host_name").and_then(Value::as_str) else {
                    continue;
                };
                let vars = add
                    .get("host_vars")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let groups = strings(add.get("groups"));
                if self
                    .inventory
                    .to_mut()
                    .add_dynamic_host(name, &groups, &vars)
                {
                    touched.push(name.to_string());
                }
            } else if let Some(group) = r.get("add_group").and_then(Value::as_str) {
                let parents = strings(r.get("parent_groups"));
                if self
                    .inventory
                    .to_mut()
                    .add_dynamic_group(host, group, &parents)
                {
                    touched.extend(self.inventory.hosts_of(group));
                }
            }
        }
        if touched.is_empty() {
            return;
        }
        self.groups_var = groups_layer(&self.inventory);
        for h in touched {
            // New hosts join hostvars; known ones get their inventory vars again.
            if !self.hosts.contains_key(&h) {
                let _ = self.host_state(&h);
            } else if let Ok(layers) = self.inventory.host_var_layers(&h, Some(&self.playbook_dir))
                && let Some(hs) = self.hosts.get_mut(&h)
            {
                let mut merged = VarMap::new();
                for l in layers {
                    merged.extend(l);
                }
                hs.inventory = Arc::new(merged);
            }
        }
    }

    /// Applies one host's result: stats, register, facts, notifications, includes, failure.
    fn apply_outcome(
        &mut self,
        task: &Arc<Task>,
        host: &str,
        out: TaskOutput,
        state: &mut IndexMap<String, BatchHost>,
        scope: &PlayScope,
        _batch: &[String],
    ) {
        if !out.run_once_copy {
            self.apply_inventory_changes(host, &out.result);
        }
        for (target, set_facts, facts) in &out.item_facts {
            if self.host_state(target).is_ok()
                && let Some(ts) = self.hosts.get_mut(target)
            {
                Arc::make_mut(&mut ts.vars).extend(set_facts.clone());
                merge_facts(&mut ts.facts, facts);
            }
        }
        if let Some(target) = &out.facts_host {
            // delegate_facts: the facts belong to the delegated host.
            if self.host_state(target).is_ok()
                && let Some(ts) = self.hosts.get_mut(target)
            {
                Arc::make_mut(&mut ts.vars).extend(out.set_facts.clone());
                merge_facts(&mut ts.facts, &out.facts);
            }
        }
        // A run_once result copied to the other hosts counts only where it ran.
        let mut scratch = HostStats::default();
        let stats = if out.run_once_copy {
            &mut scratch
        } else {
            self.stats.entry(host.to_string()).or_default()
        };
        // Ansible counts an include once per included file (per loop item).
        if out.includes.len() > 1 {
            stats.ok += out.includes.len() as u32 - 1;
        }
        let status = out.status.unwrap_or(Status::Ok);
        let Some(hs) = self.hosts.get_mut(host) else {
            return;
        };
        if let Some(reg) = &task.register {
            // The registered copy carries `failed`/`skipped` even where the shown one does not.
            let mut result = out.result.clone();
            if status == Status::Skipped {
                result.entry("skipped").or_insert(Value::Bool(true));
            } else {
                result.entry("failed").or_insert(Value::Bool(false));
            }
            Arc::make_mut(&mut hs.vars).insert(reg.clone(), Value::Object(result));
        }
        if out.facts_host.is_none() {
            if !out.set_facts.is_empty() {
                Arc::make_mut(&mut hs.vars).extend(out.set_facts.clone());
            }
            merge_facts(&mut hs.facts, &out.facts);
        }
        if !out.include_vars.is_empty() {
            Arc::make_mut(&mut hs.include_vars).extend(out.include_vars.clone());
        }
        match status {
            Status::Unreachable if out.unreachable => {
                stats.unreachable += 1;
                hs.unreachable = true;
            }
            Status::Unreachable => {
                stats.ignored += 1;
                stats.ok += 1;
            }
            Status::Failed if out.failed => {
                let b = state.get_mut(host);
                let outcome = b
                    .map(|b| b.cursor.fail())
                    .unwrap_or(FailureOutcome::HostFailed);
                match outcome {
                    FailureOutcome::Rescued => {
                        stats.rescued += 1;
                        let name = self.rendered_name(scope, task, host, state);
                        if let Some(b) = state.get_mut(host) {
                            let mut rv = VarMap::new();
                            rv.insert("ansible_failed_task".into(), serde_json::json!({"name": name, "action": task.module_name().unwrap_or_default()}));
                            rv.insert(
                                "ansible_failed_result".into(),
                                Value::Object(out.result.clone()),
                            );
                            b.rescue_vars = Arc::new(rv);
                        }
                    }
                    FailureOutcome::Deferred => {
                        stats.failed += 1;
                    }
                    FailureOutcome::HostFailed => {
                        stats.failed += 1;
                        hs.failed = true;
                    }
                }
            }
            Status::Failed => {
                stats.ok += 1;
                stats.ignored += 1;
                if out.changed {
                    stats.changed += 1;
                }
            }
            Status::Skipped => stats.skipped += 1,
            Status::Changed => {
                stats.ok += 1;
                stats.changed += 1;
            }
            Status::Ok => stats.ok += 1,
        }
        if out.changed
            && !task.notify.is_empty()
            && let Some(b) = state.get_mut(host)
        {
            let blocks = scope.play.handler_blocks();
            for name in &task.notify {
                let found = notify::handlers_for(&blocks, name);
                if task.is_handler {
                    // Running handlers: a handler notifies the others directly.
                    b.notified.extend(found.iter().copied());
                } else if !found.is_empty() {
                    b.pending.insert(name.clone());
                }
                if found.is_empty() {
                    let message = format!(
                        "The requested handler '{name}' was not found in either the main handlers list nor in the listening handlers list"
                    );
                    if self.options.error_on_missing_handler {
                        self.run_error.get_or_insert(message);
                    } else {
                        self.listener.event(&Event::Warning { message });
                    }
                }
            }
        }
        if out.includes.is_empty() && out.role_includes.is_empty() {
            return;
        }
        let mut lists = Vec::new();
        let mut loaded = Vec::new();
        let depth = state.get(host).map_or(0, |b| b.cursor.depth());
        if depth >= MAX_NESTING {
            loaded.push(Err(format!(
                "includes and blocks nest deeper than {MAX_NESTING} levels at task '{}' ({}): does a file include itself?",
                task.display_name(),
                task.span
            )));
        }
        for (path, vars) in out.includes.iter().filter(|_| depth < MAX_NESTING) {
            loaded.push(self.load_include(task, path, vars, &scope.play));
        }
        for (args, vars) in out.role_includes.iter().filter(|_| depth < MAX_NESTING) {
            let l = self.load_role_include(task, args, vars, &scope.play);
            // include_role with `public`: the role's vars stay visible after it.
            if let Ok((role, _)) = &l
                && role.public
                && let Some(hs) = self.hosts.get_mut(host)
            {
                hs.public_roles.push(role.clone());
            }
            loaded.push(l.map(|(_, items)| items));
        }
        for l in loaded {
            match l {
                Ok(items) => lists.push(items),
                Err(msg) => {
                    // A file that cannot be included fails the include task on this host.
                    let mut failed = TaskOutput {
                        status: Some(Status::Failed),
                        failed: true,
                        ..Default::default()
                    };
                    failed.result.insert("failed".into(), Value::Bool(true));
                    failed.result.insert("msg".into(), Value::String(msg));
                    self.listener
                        .event(&Event::HostResult(super::events::HostResult {
                            host: host.to_string(),
                            delegated_to: None,
                            status: Status::Failed,
                            ignored: false,
                            rescued: false,
                            item: None,
                            result: failed.result.clone(),
                            verbose_always: false,
                            action: "include".into(),
                        }));
                    self.apply_outcome(task, host, failed, state, scope, _batch);
                    return;
                }
            }
        }
        if let Some(b) = state.get_mut(host) {
            for items in lists.into_iter().rev() {
                b.cursor.push(items);
            }
        }
    }

    fn load_include(
        &mut self,
        task: &Arc<Task>,
        path: &std::path::Path,
        vars: &VarMap,
        play: &Play,
    ) -> Result<Arc<Vec<Item>>, String> {
        let key = format!(
            "{}|{:?}|{}",
            path.display(),
            task.order,
            serde_json::to_string(vars).unwrap_or_default()
        );
        if let Some(items) = self.include_cache.get(&key) {
            return Ok(items.clone());
        }
        let mut scopes = vec![Arc::new(vars.clone())];
        scopes.extend(task.scopes.iter().cloned());
        let items = self
            .loader
            .load_task_file(
                path,
                &task.attrs,
                match &task.action {
                    Action::IncludeTasks { apply, .. } => apply.as_ref(),
                    _ => None,
                },
                &scopes,
                task.role.as_ref(),
                play,
                &task.order,
                self.include_cache.len() as u32,
            )
            .map_err(|d| d.to_string())?;
        let items = Arc::new(items);
        self.include_cache.insert(key, items.clone());
        Ok(items)
    }

    fn load_role_include(
        &mut self,
        task: &Arc<Task>,
        args: &VarMap,
        vars: &VarMap,
        play: &Play,
    ) -> Result<(Arc<Role>, Arc<Vec<Item>>), String> {
        let key = format!(
            "role|{:?}|{}|{}",
            task.order,
            serde_json::to_string(args).unwrap_or_default(),
            serde_json::to_string(vars).unwrap_or_default()
        );
        if let Some(loaded) = self.role_include_cache.get(&key) {
            return Ok(loaded.clone());
        }
        let mut entry = args.clone();
        if let Some(n) = entry.remove("name") {
            entry.insert("role".into(), n);
        }
        // The include task's vars (outer blocks first) and loop vars: the role's `vars`.
        let mut inc_vars = VarMap::new();
        for scope in task.scopes.iter().rev() {
            inc_vars.extend(scope.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (k, v) in vars {
            inc_vars.insert(k.clone(), v.clone());
        }
        if !inc_vars.is_empty() {
            entry.insert("vars".into(), Value::Object(inc_vars));
        }
        let node = Node::from_json(&Value::Object(entry), task.span);
        let (role, items) = self
            .loader
            .load_role_dynamic(&node, &task.attrs, play, &task.dir, &task.order)
            .map_err(|d| d.to_string())?;
        let loaded = (role, Arc::new(items));
        self.role_include_cache.insert(key, loaded.clone());
        Ok(loaded)
    }

    async fn run_meta(
        &mut self,
        scope: &PlayScope,
        task: &Arc<Task>,
        what: &str,
        hosts: &[String],
        batch: &[String],
        state: &mut IndexMap<String, BatchHost>,
    ) -> Result<PlayEnd, String> {
        // `when` decides per host for the metas that act per host.
        let mut chosen = Vec::new();
        for h in hosts {
            let b = state.get(h);
            let empty = Arc::new(VarMap::new());
            let vf = b
                .map(|b| b.vars_files.clone())
                .unwrap_or_else(|| empty.clone());
            let ctx = self.context(scope, h, Some(task), &vf, &empty, None);
            let mut ok = true;
            for c in &task.attrs.when {
                let text = c.scalar_text().unwrap_or_default();
                match &c.kind {
                    Kind::Bool(b) => ok &= *b,
                    _ => {
                        ok &= self
                            .templar
                            .eval_condition(&text, &ctx.as_value())
                            .map_err(|e| error_at(c.span, task, &e.message))?
                    }
                }
            }
            if ok {
                chosen.push(h.clone());
            }
        }
        match what {
            "flush_handlers" => self.flush_handlers(scope, batch, state).await?,
            "end_play" | "end_batch" if !chosen.is_empty() => {
                for b in state.values_mut() {
                    b.ended = true;
                }
            }
            // As ansible-core 2.18 (2.17 rejects it): the rest of this role is skipped for
            // the host; the play goes on.
            "end_role" => {
                let Some(role) = task.role.clone() else {
                    return Err(error_at(
                        task.span,
                        task,
                        "meta: end_role can only be used inside a role",
                    ));
                };
                if task.is_handler {
                    return Err(error_at(
                        task.span,
                        task,
                        "meta: end_role cannot be used in handlers",
                    ));
                }
                for h in &chosen {
                    if let Some(b) = state.get_mut(h) {
                        b.cursor
                            .skip_while(|t| t.role.as_ref().is_some_and(|r| Arc::ptr_eq(r, &role)));
                    }
                }
            }
            "end_host" => {
                for h in &chosen {
                    if let Some(b) = state.get_mut(h) {
                        b.ended = true;
                    }
                }
            }
            "clear_host_errors" => {
                for h in batch {
                    if let Some(s) = self.hosts.get_mut(h) {
                        s.failed = false;
                    }
                }
            }
            "clear_facts" => {
                for h in &chosen {
                    if let Some(s) = self.hosts.get_mut(h) {
                        s.facts = Arc::new(VarMap::new());
                    }
                }
            }
            "reset_connection" => {
                for h in &chosen {
                    self.conns.reset(h).await;
                }
            }
            "noop" | "refresh_inventory" | "end_play" | "end_batch" => {}
            other => self.warn(format!(
                "meta: {other} is accepted but does nothing in hotplay"
            )),
        }
        Ok(PlayEnd::Continue)
    }

    async fn flush_handlers(
        &mut self,
        scope: &PlayScope,
        batch: &[String],
        state: &mut IndexMap<String, BatchHost>,
    ) -> Result<(), String> {
        let force = scope.play.force_handlers || self.options.force_handlers;
        let blocks = scope.play.handler_blocks();
        for h in batch {
            if let Some(b) = state.get_mut(h) {
                for name in std::mem::take(&mut b.pending) {
                    b.notified.extend(notify::handlers_for(&blocks, &name));
                }
            }
        }
        for _pass in 0..64 {
            let mut ran = false;
            for (i, handler) in scope.play.all_handlers().iter().enumerate() {
                let hosts: Vec<String> = batch
                    .iter()
                    .filter(|h| state.get(*h).is_some_and(|b| b.notified.contains(&i)))
                    .filter(|h| {
                        let s = self.hosts.get(*h);
                        let alive = s.is_some_and(|s| !s.unreachable)
                            && (force || s.is_some_and(|s| !s.failed));
                        alive && (force || state.get(*h).is_some_and(|b| !b.ended))
                    })
                    .cloned()
                    .collect();
                for h in batch {
                    if let Some(b) = state.get_mut(h) {
                        b.notified.shift_remove(&i);
                    }
                }
                if hosts.is_empty() {
                    continue;
                }
                ran = true;
                self.listener.event(&Event::TaskStart {
                    name: handler.display_name(),
                    handler: true,
                    path: handler.span.to_string(),
                    step_ids: step_ids(&handler.attrs.tags),
                });
                let outs = self.run_on_hosts(scope, handler, &hosts, state).await;
                for (h, out) in outs {
                    self.apply(handler, &h, out, state, scope, batch);
                    if let Some(e) = self.run_error.take() {
                        return Err(e);
                    }
                }
            }
            if !ran {
                break;
            }
        }
        Ok(())
    }
}

/// Facts are stored as `ansible_<name>`; `ansible_facts.<name>` is derived from them.
fn merge_facts(into: &mut Arc<VarMap>, facts: &VarMap) {
    if facts.is_empty() {
        return;
    }
    // As ansible-core: facts become variables under their own names (setup's carry the
    // ansible_ prefix, a module's own need not), and `ansible_facts` gathers them all.
    let f = Arc::make_mut(into);
    for (k, v) in facts {
        f.insert(k.clone(), v.clone());
    }
}

/// Step IDs of the manual (`MBR-4`, `C-STOP`) among a task's tags.
fn step_ids(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter(|t| t.contains('-') && t.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .cloned()
        .collect()
}

/// The layer holding the `groups` magic var.
fn groups_layer(inventory: &Inventory) -> Arc<VarMap> {
    let mut layer = VarMap::new();
    layer.insert(
        "groups".into(),
        serde_json::to_value(inventory.groups_map()).unwrap_or_default(),
    );
    Arc::new(layer)
}

fn clone_output(o: &TaskOutput) -> TaskOutput {
    TaskOutput {
        status: o.status,
        result: o.result.clone(),
        failed: o.failed,
        unreachable: o.unreachable,
        ignored: o.ignored,
        changed: o.changed,
        set_facts: o.set_facts.clone(),
        facts: o.facts.clone(),
        include_vars: o.include_vars.clone(),
        includes: Vec::new(),
        role_includes: Vec::new(),
        run_once_copy: true,
        facts_host: o.facts_host.clone(),
        delegated: o.delegated.clone(),
        item_facts: Vec::new(),
    }
}

fn gather_task(play: &Play) -> Arc<Task> {
    let setup = Action::Module {
        name: "setup".into(),
        name_span: play.span,
        args: if play.gather_args.is_empty() {
            Node::new(Kind::Null, play.span)
        } else {
            let pairs = play
                .gather_args
                .iter()
                .map(|(k, v)| (Node::new(Kind::Str(k.clone()), v.span), v.clone()));
            Node::new(Kind::Map(pairs.collect()), play.span)
        },
        extra_args: None,
    };
    Arc::new(Task::bare(
        "Gathering Facts",
        setup,
        play.span,
        play.dir.clone(),
    ))
}

fn error_line(span: Span, msg: &str) -> String {
    crate::parse::Diag::new(span, msg.to_string()).to_string()
}

fn glob(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if let Some(pos) = rest.find(p) {
            rest = &rest[pos + p.len()..];
        } else {
            return false;
        }
    }
    parts
        .last()
        .is_none_or(|l| l.is_empty() || name.ends_with(l))
}

/// --step: ask before each task on the terminal.
fn step_confirm(name: &str) -> bool {
    use std::io::{BufRead, Write};
    eprint!("Perform task: TASK: {name} (N)o/(y)es/(c)ontinue: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "c" | "continue"
    )
}
