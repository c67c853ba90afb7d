//! One task on one host: `when`, the loop, arguments, the module with `until`,
//! `changed_when`/`failed_when`, and the result as `register` stores it.

use super::args;
use super::connection::become_wrap::{BecomeMethod, Secret};
use super::connection::{Become, ConnError, Connection};
use super::events::{Event, HostResult, Listener, Progress, Status};
use super::module::{Handle, Outcome, VarMap};
use super::options::RunOptions;
use super::progress::{Pace, ProgressSink};
use crate::parse::{Diag, Kind, Node};
use crate::plan::ansible_bool;
use crate::plan::template::{OMIT, TemplateError};
use crate::plan::tree::{Action, LoopSource, Task};
use crate::plan::vars::{Context, Layer};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything one host's run of a task needs.
pub struct TaskRun<'a> {
    pub task: &'a Arc<Task>,
    pub host: &'a str,
    pub ctx: Arc<Context>,
    pub conn: Arc<dyn Connection>,
    pub delegated_to: Option<String>,
    pub options: &'a RunOptions,
    pub listener: &'a dyn Listener,
    pub search_paths: Vec<PathBuf>,
    pub peers: Arc<crate::execute::module::Peers>,
    /// A loop whose `delegate_to` names a host per item: the connections to pick from.
    pub item_delegates: Option<Arc<crate::execute::module::Peers>>,
}

/// What came of it, for the play runner to apply (and the journal to keep for `resume`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TaskOutput {
    pub status: Option<Status>,
    pub result: VarMap,
    /// Failed and not ignored.
    pub failed: bool,
    pub unreachable: bool,
    pub ignored: bool,
    pub changed: bool,
    pub set_facts: VarMap,
    pub facts: VarMap,
    pub include_vars: VarMap,
    /// include_tasks: files to run next, each with its loop variables.
    pub includes: Vec<(PathBuf, VarMap)>,
    /// include_role: the role arguments (rendered), per item.
    pub role_includes: Vec<(VarMap, VarMap)>,
    /// With `delegate_facts`, the host that gets this task's facts.
    pub facts_host: Option<String>,
    /// A run_once result given to another host of the batch (not counted there).
    pub run_once_copy: bool,
    /// Per-item delegation: the host this item ran on.
    pub delegated: Option<String>,
    /// Per-item delegation with `delegate_facts`: (host, set_facts, facts) of each item.
    pub item_facts: Vec<(String, VarMap, VarMap)>,
}

/// A task-level error (bad template, bad loop): the host fails with this message.
pub fn error_at(node_span: crate::parse::Span, task: &Task, message: &str) -> String {
    let d = Diag::new(node_span, message.to_string())
        .note(format!("in task '{}'", task.display_name()));
    d.to_string().trim_end().to_string()
}

impl TaskRun<'_> {
    fn templar(&self) -> &crate::plan::template::Templar {
        self.ctx.templar()
    }

    fn fail_message(&self, node: &Node, ctx: &Arc<Context>, e: &TemplateError) -> String {
        let msg = ctx.take_error().unwrap_or_else(|| e.message.clone());
        error_at(node.span, self.task, &msg)
    }

    /// Renders a keyword's value (templates inside resolved).
    fn render(&self, node: &Node, ctx: &Arc<Context>) -> Result<Value, String> {
        let raw = node.to_json();
        self.templar()
            .render_json(&raw, &ctx.as_value())
            .map_err(|e| self.fail_message(self.failing_part(node, ctx), ctx, &e))
    }

    /// The innermost part of `node` whose template fails (for the error's position).
    fn failing_part<'n>(&self, node: &'n Node, ctx: &Arc<Context>) -> &'n Node {
        let children: Vec<&Node> = match &node.kind {
            Kind::Seq(items) => items.iter().collect(),
            Kind::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
            _ => return node,
        };
        for child in children {
            if self
                .templar()
                .render_json(&child.to_json(), &ctx.as_value())
                .is_err()
            {
                return self.failing_part(child, ctx);
            }
        }
        node
    }

    fn render_bool(
        &self,
        node: Option<&Node>,
        ctx: &Arc<Context>,
        default: bool,
    ) -> Result<bool, String> {
        match node {
            None => Ok(default),
            Some(n) => {
                let v = self.render(n, ctx)?;
                ansible_bool(&v).ok_or_else(|| {
                    error_at(n.span, self.task, &format!("expected a boolean, got {v}"))
                })
            }
        }
    }

    /// A list of conditions, all of which must hold (Ansible's `when`).
    fn conditions(&self, list: &[Node], ctx: &Arc<Context>) -> Result<bool, String> {
        for cond in list {
            let ok = match &cond.kind {
                Kind::Bool(b) => *b,
                Kind::Null => false,
                Kind::Int(i) => *i != 0,
                _ => {
                    let text = cond.scalar_text().unwrap_or_default();
                    self.templar()
                        .eval_condition(&text, &ctx.as_value())
                        .map_err(|e| {
                            let msg = ctx.take_error().unwrap_or_else(|| e.message.clone());
                            error_at(
                                cond.span,
                                self.task,
                                &format!("the conditional check '{text}' failed: {msg}"),
                            )
                        })?
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub async fn run(&self) -> TaskOutput {
        let facts_host = match (
            &self.delegated_to,
            self.render_bool(self.task.attrs.delegate_facts.as_ref(), &self.ctx, false),
        ) {
            (Some(d), Ok(true)) => Some(d.clone()),
            _ => None,
        };
        match self.run_inner().await {
            Ok(mut out) => {
                out.facts_host = facts_host;
                out
            }
            Err(msg) => {
                let mut out = TaskOutput::default();
                out.result.insert("failed".into(), Value::Bool(true));
                out.result.insert("msg".into(), Value::String(msg));
                self.finish_failed(out)
            }
        }
    }

    fn finish_failed(&self, mut out: TaskOutput) -> TaskOutput {
        out.status = Some(Status::Failed);
        let ignore = self
            .render_bool(self.task.attrs.ignore_errors.as_ref(), &self.ctx, false)
            .unwrap_or(false);
        out.ignored = ignore;
        out.failed = !ignore;
        self.emit(false, &out, None);
        out
    }

    fn emit(&self, item: bool, out: &TaskOutput, label: Option<String>) {
        let no_log = self
            .render_bool(self.task.attrs.no_log.as_ref(), &self.ctx, false)
            .unwrap_or(true);
        let result = if no_log {
            censor(&out.result)
        } else {
            out.result.clone()
        };
        let verbose_always = out.result.contains_key("_ansible_verbose_always");
        let hr = HostResult {
            host: self.host.to_string(),
            delegated_to: out.delegated.clone().or_else(|| self.delegated_to.clone()),
            status: out.status.unwrap_or(Status::Ok),
            ignored: out.ignored,
            rescued: false,
            item: label,
            result,
            verbose_always,
            action: self.task.module_name().unwrap_or_default().to_string(),
        };
        self.listener.event(&if item {
            Event::ItemResult(hr)
        } else {
            Event::HostResult(hr)
        });
    }

    async fn run_inner(&self) -> Result<TaskOutput, String> {
        let items = match &self.task.loop_items {
            None => None,
            Some(src) => Some(self.loop_items(src)?),
        };
        let Some(items) = items else {
            if !self.conditions(&self.task.attrs.when, &self.ctx)? {
                let mut out = skipped_output("Conditional result was False");
                out.result.insert(
                    "false_condition".into(),
                    Value::String(false_condition(&self.task.attrs.when)),
                );
                self.emit(false, &out, None);
                return Ok(out);
            }
            let out = self.run_once(&self.ctx).await?;
            let out = self.settle(out);
            self.emit(false, &out, None);
            return Ok(out);
        };
        self.run_loop(items).await
    }

    fn loop_items(&self, src: &LoopSource) -> Result<Vec<Value>, String> {
        match src {
            LoopSource::Loop(node) => match self.render(node, &self.ctx)? {
                Value::Array(a) => Ok(a),
                Value::Null => Ok(Vec::new()),
                other => Err(error_at(
                    node.span,
                    self.task,
                    &format!(
                        "Invalid data passed to 'loop', it requires a list, got this instead: {other}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup."
                    ),
                )),
            },
            LoopSource::With { lookup, terms } => {
                let rendered = self.render(terms, &self.ctx)?;
                with_lookup(lookup, rendered, self.templar(), &self.ctx)
                    .map_err(|e| error_at(terms.span, self.task, &e))
            }
        }
    }

    async fn run_loop(&self, items: Vec<Value>) -> Result<TaskOutput, String> {
        // `label` is rendered per item, with the loop variables; the rest once.
        let mut control = Map::new();
        if let Some(entries) = self.task.loop_control.as_ref().and_then(Node::as_map) {
            for (k, v) in entries {
                let key = k.scalar_text().unwrap_or_default();
                if ![
                    "loop_var",
                    "index_var",
                    "label",
                    "pause",
                    "extended",
                    "extended_allitems",
                    "break_when",
                ]
                .contains(&key.as_str())
                {
                    return Err(error_at(
                        k.span,
                        self.task,
                        &format!("`{key}` is not a loop_control keyword"),
                    ));
                }
                if key != "label" {
                    control.insert(key, self.render(v, &self.ctx)?);
                }
            }
        }
        let loop_var = control
            .get("loop_var")
            .and_then(Value::as_str)
            .unwrap_or("item")
            .to_string();
        let index_var = control
            .get("index_var")
            .and_then(Value::as_str)
            .map(str::to_string);
        let pause = control.get("pause").and_then(Value::as_f64).unwrap_or(0.0);
        let extended = control
            .get("extended")
            .and_then(ansible_bool)
            .unwrap_or(false);
        let label_tpl = self
            .task
            .loop_control
            .as_ref()
            .and_then(|n| n.get("label"))
            .cloned();
        let mut results = Vec::new();
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = true;
        let mut out = TaskOutput::default();
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            if i > 0 && pause > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(pause)).await;
            }
            let mut lv = VarMap::new();
            lv.insert(loop_var.clone(), item.clone());
            if let Some(iv) = &index_var {
                lv.insert(iv.clone(), Value::from(i));
            }
            let mut al = VarMap::new();
            al.insert("index".into(), Value::from(i + 1));
            al.insert("index0".into(), Value::from(i));
            al.insert("first".into(), Value::Bool(i == 0));
            al.insert("last".into(), Value::Bool(i + 1 == n));
            al.insert("length".into(), Value::from(n));
            al.insert("revindex".into(), Value::from(n - i));
            al.insert("revindex0".into(), Value::from(n - i - 1));
            if extended {
                al.insert("allitems".into(), Value::Array(items.clone()));
                al.insert(
                    "previtem".into(),
                    if i > 0 {
                        items[i - 1].clone()
                    } else {
                        Value::Null
                    },
                );
                al.insert(
                    "nextitem".into(),
                    items.get(i + 1).cloned().unwrap_or(Value::Null),
                );
            }
            lv.insert("ansible_loop".into(), Value::Object(al));
            lv.insert("ansible_loop_var".into(), Value::String(loop_var.clone()));
            let base = if out.set_facts.is_empty() {
                self.ctx.clone()
            } else {
                self.ctx.with_host_results(Arc::new(out.set_facts.clone()))
            };
            let ctx = base.with_top(vec![Layer::data(Arc::new(lv))]);
            let label = match &label_tpl {
                Some(l) => match self.render(l, &ctx)? {
                    Value::String(s) => s,
                    v => v.to_string(),
                },
                None => display_item(item),
            };
            let mut item_out = if !self.conditions(&self.task.attrs.when, &ctx)? {
                skipped_output("Conditional result was False")
            } else {
                match self.run_once(&ctx).await {
                    Ok(o) => self.settle(o),
                    Err(msg) => {
                        let mut o = TaskOutput::default();
                        o.result.insert("failed".into(), Value::Bool(true));
                        o.result.insert("msg".into(), Value::String(msg));
                        o.status = Some(Status::Failed);
                        o
                    }
                }
            };
            item_out.result.insert(loop_var.clone(), item.clone());
            item_out
                .result
                .insert("ansible_loop_var".into(), Value::String(loop_var.clone()));
            if let Some(iv) = &index_var {
                item_out
                    .result
                    .insert("ansible_index_var".into(), Value::String(iv.clone()));
                item_out.result.insert(iv.clone(), Value::from(i));
            }
            self.emit(true, &item_out, Some(label));
            if item_out.unreachable {
                out.unreachable = true;
            }
            any_changed |= item_out.changed;
            any_failed |= item_out.status == Some(Status::Failed);
            all_skipped &= item_out.status == Some(Status::Skipped);
            match item_out.facts_host.take() {
                Some(h) => out.item_facts.push((
                    h,
                    std::mem::take(&mut item_out.set_facts),
                    std::mem::take(&mut item_out.facts),
                )),
                None => {
                    out.set_facts.extend(item_out.set_facts);
                    out.facts.extend(item_out.facts);
                }
            }
            out.include_vars.extend(item_out.include_vars);
            out.includes.extend(item_out.includes);
            out.role_includes.extend(item_out.role_includes);
            results.push(Value::Object(item_out.result));
        }
        out.result
            .insert("changed".into(), Value::Bool(any_changed));
        out.result.insert(
            "msg".into(),
            Value::String(if any_failed {
                "One or more items failed".into()
            } else {
                "All items completed".into()
            }),
        );
        out.result.insert("results".into(), Value::Array(results));
        out.changed = any_changed;
        if any_failed {
            out.result.insert("failed".into(), Value::Bool(true));
            out.status = Some(Status::Failed);
        } else if all_skipped && n > 0 {
            out.result.insert("skipped".into(), Value::Bool(true));
            out.status = Some(Status::Skipped);
        } else if n == 0 {
            out.result.insert("skipped".into(), Value::Bool(true));
            out.result.insert(
                "skipped_reason".into(),
                Value::String("No items in the list".into()),
            );
            out.status = Some(Status::Skipped);
        } else {
            out.status = Some(if any_changed {
                Status::Changed
            } else {
                Status::Ok
            });
        }
        if out.unreachable {
            out.status = Some(Status::Unreachable);
        }
        if out.status == Some(Status::Failed) {
            let ignore =
                self.render_bool(self.task.attrs.ignore_errors.as_ref(), &self.ctx, false)?;
            out.ignored = ignore;
            out.failed = !ignore;
        }
        // Items were shown one by one; the task's own line marks the loop's end
        // (`item` = Some("")), which the console shows only when all items skipped.
        if out.status == Some(Status::Skipped) {
            self.emit(false, &out, None);
        } else {
            self.listener.event(&Event::HostResult(HostResult {
                host: self.host.to_string(),
                delegated_to: self.delegated_to.clone(),
                status: out.status.unwrap_or(Status::Ok),
                ignored: out.ignored,
                rescued: false,
                item: Some(String::new()),
                result: VarMap::new(),
                verbose_always: false,
                action: self.task.module_name().unwrap_or_default().to_string(),
            }));
        }
        Ok(out)
    }

    /// Status, `failed`/`ignored` for a single (non-loop) run.
    fn settle(&self, mut out: TaskOutput) -> TaskOutput {
        if out.status.is_none() {
            out.status = Some(if out.changed {
                Status::Changed
            } else {
                Status::Ok
            });
        }
        if out.status == Some(Status::Unreachable)
            && (out.delegated.is_some() || self.delegated_to.is_some())
        {
            // The play's host is fine: a delegate that cannot be reached fails the task (so
            // rescue and ignore_errors can act), unlike Ansible, which marks the play's host
            // unreachable (docs/differences.md).
            out.status = Some(Status::Failed);
            out.result.insert("failed".into(), Value::Bool(true));
        }
        if out.status == Some(Status::Failed) {
            let ignore = self
                .render_bool(self.task.attrs.ignore_errors.as_ref(), &self.ctx, false)
                .unwrap_or(false);
            out.ignored = ignore;
            out.failed = !ignore;
            out.unreachable = false;
        }
        if out.status == Some(Status::Unreachable) {
            let ignore = self
                .render_bool(
                    self.task.attrs.ignore_unreachable.as_ref(),
                    &self.ctx,
                    false,
                )
                .unwrap_or(false);
            out.ignored = ignore;
            out.unreachable = !ignore;
        }
        out
    }

    /// The action once (one loop item): engine actions, or the module with `until`.
    /// The connection for one run: the task's, or with per-item delegation the host that
    /// `delegate_to` names for this item (None when that is the task's own host).
    fn item_connection(
        &self,
        ctx: &Arc<Context>,
    ) -> Result<(Arc<dyn Connection>, Option<String>), String> {
        let (Some(peers), Some(node)) = (&self.item_delegates, &self.task.attrs.delegate_to) else {
            return Ok((self.conn.clone(), None));
        };
        let name = match self.render(node, ctx)? {
            Value::String(s) => s,
            other => other.to_string(),
        };
        if name.is_empty() || name == self.host {
            return Ok((self.conn.clone(), None));
        }
        match peers.get(&name) {
            Some(c) => Ok((c.clone(), Some(name))),
            None => Err(error_at(
                node.span,
                self.task,
                &format!("delegate_to: `{name}` is not a host of the inventory"),
            )),
        }
    }

    async fn run_once(&self, ctx: &Arc<Context>) -> Result<TaskOutput, String> {
        match &self.task.action {
            Action::Module {
                name,
                args,
                extra_args,
                ..
            } => {
                let (conn, delegated) = self.item_connection(ctx)?;
                let mut out = self
                    .run_module(name, args, extra_args.as_ref(), ctx, conn)
                    .await?;
                if let Some(d) = delegated {
                    if self.render_bool(self.task.attrs.delegate_facts.as_ref(), ctx, false)? {
                        out.facts_host = Some(d.clone());
                    }
                    out.delegated = Some(d);
                }
                Ok(out)
            }
            Action::IncludeTasks { file, .. } => {
                let f = self.render(file, ctx)?;
                let f = f
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| f.to_string());
                let path = crate::plan::load::resolve_task_file(
                    &f,
                    &self.task.dir,
                    self.task.role.as_ref(),
                    &self.search_paths.last().cloned().unwrap_or_default(),
                )
                .ok_or_else(|| {
                    error_at(
                        file.span,
                        self.task,
                        &format!("include_tasks: cannot find `{f}`"),
                    )
                })?;
                let mut out = TaskOutput::default();
                out.result
                    .insert("include".into(), Value::String(path.display().to_string()));
                out.includes.push((path, loop_vars_of(ctx, self)));
                out.status = Some(Status::Ok);
                Ok(out)
            }
            Action::IncludeRole { args } => {
                let rendered = self.render(args, ctx)?;
                let map = match rendered {
                    Value::Object(m) => m,
                    Value::String(s) => {
                        let mut m = Map::new();
                        m.insert("name".into(), Value::String(s));
                        m
                    }
                    other => {
                        return Err(error_at(
                            args.span,
                            self.task,
                            &format!("include_role needs a mapping with `name`, got {other}"),
                        ));
                    }
                };
                let mut out = TaskOutput::default();
                // Shown as ansible-core shows it: `included: <role> for <hosts>`.
                if let Some(Value::String(role)) = map.get("name").or_else(|| map.get("role")) {
                    out.result
                        .insert("include".into(), Value::String(role.clone()));
                }
                out.role_includes.push((map, loop_vars_of(ctx, self)));
                out.status = Some(Status::Ok);
                Ok(out)
            }
            Action::IncludeVars { args } => {
                let place = super::include_vars::Place {
                    task_dir: &self.task.dir,
                    role_path: self.task.role.as_ref().map(|r| r.path.as_path()),
                    search: &self.search_paths,
                };
                let current = |k: &str| ctx.get_json(k);
                let mut out = TaskOutput::default();
                let inc =
                    match super::include_vars::load(&self.render(args, ctx)?, &place, &current) {
                        Ok(inc) => inc,
                        Err(e) => {
                            out.failed = true;
                            out.status = Some(Status::Failed);
                            out.result.insert("failed".into(), Value::Bool(true));
                            out.result.insert("msg".into(), Value::String(e));
                            return Ok(out);
                        }
                    };
                out.result
                    .insert("ansible_included_var_files".into(), Value::from(inc.files));
                out.result.insert("changed".into(), Value::Bool(false));
                if let Some(message) = inc.failure {
                    out.failed = true;
                    out.status = Some(Status::Failed);
                    out.result
                        .insert("ansible_facts".into(), Value::Object(Default::default()));
                    out.result.insert("failed".into(), Value::Bool(true));
                    out.result.insert("message".into(), Value::String(message));
                    return Ok(out);
                }
                out.result
                    .insert("ansible_facts".into(), Value::Object(inc.vars.clone()));
                out.include_vars = inc.vars;
                out.status = Some(Status::Ok);
                Ok(out)
            }
            Action::Meta { .. } => Ok(TaskOutput {
                status: Some(Status::Ok),
                ..Default::default()
            }),
        }
    }

    async fn run_module(
        &self,
        name: &str,
        args_node: &Node,
        extra: Option<&Node>,
        ctx: &Arc<Context>,
        conn: Arc<dyn Connection>,
    ) -> Result<TaskOutput, String> {
        let module = crate::modules::find(name).ok_or_else(|| {
            error_at(
                self.task.span,
                self.task,
                &format!("couldn't resolve module/action '{name}'"),
            )
        })?;
        let doc = module.doc();
        let mut raw = match extra {
            Some(e) => match self.render(e, ctx)? {
                Value::Object(m) => m,
                Value::Null => Map::new(),
                other => {
                    return Err(error_at(
                        e.span,
                        self.task,
                        &format!("`args` must be a mapping, got {other}"),
                    ));
                }
            },
            None => Map::new(),
        };
        // As Ansible: `k=v` text is split before it is templated, so a value may render
        // to anything (quotes, blanks, `=`) without being split again.
        let free_form = match &args_node.kind {
            crate::parse::Kind::Str(text) => Some(args::parse_free_form(doc, text))
                .filter(|m| m.keys().any(|k| k != "_raw_params")),
            _ => None,
        };
        let rendered = match free_form {
            Some(m) => self.render(&Node::from_json(&Value::Object(m), args_node.span), ctx)?,
            None => self.render(args_node, ctx)?,
        };
        match rendered {
            Value::Object(m) => raw.extend(m),
            Value::String(s) => raw.extend(args::parse_free_form(doc, &s)),
            Value::Null => {}
            other => {
                return Err(error_at(
                    args_node.span,
                    self.task,
                    &format!("the arguments of {name} must be a mapping or a string, got {other}"),
                ));
            }
        }
        raw.retain(|_, v| v.as_str() != Some(OMIT));
        // An argument the module's spec marks secret (a password) never shows in any
        // output after this, error messages about it included.
        for (k, v) in &raw {
            if doc.arg(k).is_some_and(|a| a.secret) {
                crate::parse::secrets::remember_all(v);
            }
        }
        let args =
            args::validate(doc, &raw).map_err(|e| error_at(args_node.span, self.task, &e))?;
        let check_mode =
            self.render_bool(self.task.attrs.check_mode.as_ref(), ctx, self.options.check)?;
        let diff = self.render_bool(self.task.attrs.diff.as_ref(), ctx, self.options.diff)?;
        let become_ = self.become_(ctx)?;
        let env = self.environment(ctx)?;
        let timeout = match &self.task.attrs.timeout {
            Some(n) => number(&self.render(n, ctx)?).map(|t| Duration::from_secs(t as u64)),
            None => None,
        };
        let no_log = self
            .render_bool(self.task.attrs.no_log.as_ref(), ctx, false)
            .unwrap_or(true);
        let progress =
            ProgressSink::new(self.listener, self.host, &self.task.display_name(), no_log);
        let handle = Handle {
            host: self.host,
            conn: conn.as_ref(),
            check_mode,
            diff,
            verbosity: self.options.verbosity,
            become_,
            env,
            // The task's `timeout` bounds the whole module run (below); -T is for connecting.
            timeout: None,
            vars: &ctx.as_value(),
            templar: ctx.templar(),
            search_paths: &self.search_paths,
            peers: &self.peers,
            progress: &progress,
        };
        let retries = match &self.task.retries {
            Some(n) => number(&self.render(n, ctx)?).map_or(3, |r| r.max(0.0) as u32),
            None => 3,
        };
        let delay = match &self.task.delay {
            Some(n) => number(&self.render(n, ctx)?).unwrap_or(5.0),
            None => 5.0,
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let run = progress.track(module.run(&handle, &args), Pace::SECOND, |e| {
                Some(Progress::Running {
                    elapsed_s: e.as_secs(),
                })
            });
            let outcome = match timeout {
                Some(t) => match tokio::time::timeout(t, run).await {
                    Ok(r) => r,
                    Err(_) => Ok(Outcome::failed(format!(
                        "The task exceeded the timeout of {} seconds",
                        t.as_secs()
                    ))),
                },
                None => run.await,
            };
            let mut out = self.outcome_to_output(outcome, diff);
            self.apply_overrides(&mut out, ctx)?;
            let Some(until) = &self.task.until else {
                return Ok(out);
            };
            if out.unreachable {
                return Ok(out);
            }
            let rctx = self.with_registered(ctx, &out.result);
            let done = self.conditions(std::slice::from_ref(until), &rctx)?;
            out.result.insert("attempts".into(), Value::from(attempt));
            if done {
                return Ok(out);
            }
            if attempt > retries {
                out.status = Some(Status::Failed);
                out.result.insert("failed".into(), Value::Bool(true));
                // ansible-core reports `retries` here, one less than the runs made.
                if retries > 0 {
                    out.result.insert("attempts".into(), Value::from(retries));
                }
                return Ok(out);
            }
            self.listener.event(&Event::Retry {
                host: self.host.to_string(),
                task: self.task.display_name(),
                retries_left: retries + 1 - attempt,
                attempt: attempt + 1,
                attempts: retries + 1,
                result: out.result.clone(),
            });
            tokio::time::sleep(Duration::from_secs_f64(delay)).await;
        }
    }

    fn outcome_to_output(&self, outcome: Result<Outcome, ConnError>, diff: bool) -> TaskOutput {
        let mut out = TaskOutput::default();
        match outcome {
            Ok(o) => {
                if let Some(Value::Object(facts)) = o.data.get("ansible_facts") {
                    if o.data.contains_key(crate::modules::set_fact::SET_FACT_KEY) {
                        out.set_facts = facts.clone();
                    } else {
                        out.facts = facts.clone();
                    }
                }
                out.changed = o.changed;
                out.status = Some(if o.failed {
                    Status::Failed
                } else if o.skipped {
                    Status::Skipped
                } else if o.changed {
                    Status::Changed
                } else {
                    Status::Ok
                });
                out.result = o.to_json();
                out.result.remove(crate::modules::set_fact::SET_FACT_KEY);
                if o.skipped {
                    out.result.insert("skipped".into(), Value::Bool(true));
                }
                if !o.diff.is_empty() && diff {
                    for d in &o.diff {
                        self.listener.event(&Event::Diff {
                            host: self.host.to_string(),
                            diff: super::diff::unified(d),
                        });
                    }
                }
            }
            Err(ConnError::Unreachable(msg)) => {
                out.status = Some(Status::Unreachable);
                out.unreachable = true;
                out.result.insert("unreachable".into(), Value::Bool(true));
                out.result.insert("msg".into(), Value::String(msg));
                out.result.insert("changed".into(), Value::Bool(false));
            }
            Err(e) => {
                out.status = Some(Status::Failed);
                out.result.insert("failed".into(), Value::Bool(true));
                out.result
                    .insert("msg".into(), Value::String(e.to_string()));
                out.result.insert("changed".into(), Value::Bool(false));
            }
        }
        out
    }

    /// `changed_when` and `failed_when`, with the result under the register name.
    fn apply_overrides(&self, out: &mut TaskOutput, ctx: &Arc<Context>) -> Result<(), String> {
        if out.unreachable
            || (self.task.changed_when.is_empty() && self.task.failed_when.is_empty())
        {
            return Ok(());
        }
        let rctx = self.with_registered(ctx, &out.result);
        if !self.task.changed_when.is_empty() && out.status != Some(Status::Skipped) {
            let changed = self.conditions(&self.task.changed_when, &rctx)?;
            out.changed = changed;
            out.result.insert("changed".into(), Value::Bool(changed));
            if out.status != Some(Status::Failed) {
                out.status = Some(if changed { Status::Changed } else { Status::Ok });
            }
        }
        if !self.task.failed_when.is_empty() && out.status != Some(Status::Skipped) {
            // Ansible ANDs the conditions of a failed_when list, as for when.
            let failed = self.conditions(&self.task.failed_when, &rctx)?;
            out.result
                .insert("failed_when_result".into(), Value::Bool(failed));
            if failed {
                out.status = Some(Status::Failed);
                out.result.insert("failed".into(), Value::Bool(true));
            } else {
                out.result.remove("failed");
                out.status = Some(if out.changed {
                    Status::Changed
                } else {
                    Status::Ok
                });
            }
        }
        Ok(())
    }

    fn with_registered(&self, ctx: &Arc<Context>, result: &VarMap) -> Arc<Context> {
        match &self.task.register {
            Some(name) => {
                let mut m = VarMap::new();
                m.insert(name.clone(), Value::Object(result.clone()));
                ctx.with_top(vec![Layer::data(Arc::new(m))])
            }
            None => ctx.clone(),
        }
    }

    fn become_(&self, ctx: &Arc<Context>) -> Result<Option<Become>, String> {
        let attrs = &self.task.attrs;
        let var_bool = |name: &str| ctx.get_json(name).and_then(|v| ansible_bool(&v));
        let on = match &attrs.become_ {
            Some(n) => self.render_bool(Some(n), ctx, false)?,
            None => var_bool("ansible_become")
                .or(var_bool("hotplay_become"))
                .unwrap_or(self.options.become_),
        };
        if !on {
            return Ok(None);
        }
        let text = |node: Option<&Node>,
                    vars: &[&str],
                    cli: Option<&String>,
                    default: &str|
         -> Result<String, String> {
            if let Some(n) = node {
                let v = self.render(n, ctx)?;
                return Ok(v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()));
            }
            for name in vars {
                if let Some(Value::String(s)) = ctx.get_json(name) {
                    return Ok(s);
                }
            }
            Ok(cli.cloned().unwrap_or_else(|| default.to_string()))
        };
        let user = text(
            attrs.become_user.as_ref(),
            &["ansible_become_user", "hotplay_become_user"],
            self.options.become_user.as_ref(),
            "root",
        )?;
        let method = text(
            attrs.become_method.as_ref(),
            &["ansible_become_method", "hotplay_become_method"],
            self.options.become_method.as_ref(),
            "sudo",
        )?;
        let flags = match &attrs.become_flags {
            Some(n) => self.render(n, ctx)?.as_str().map(str::to_string),
            None => None,
        };
        let method = match method.as_str() {
            "sudo" => BecomeMethod::Sudo,
            "su" => BecomeMethod::Su,
            other => {
                return Err(error_at(
                    self.task.span,
                    self.task,
                    &format!("become_method `{other}` is not supported; hotplay has sudo and su"),
                ));
            }
        };
        let password = [
            "ansible_become_password",
            "ansible_become_pass",
            "hotplay_become_password",
        ]
        .iter()
        .find_map(|n| {
            ctx.get_json(n)
                .and_then(|v| v.as_str().map(|s| Secret(s.to_string())))
        })
        .or_else(|| self.options.become_password.clone());
        if let Some(p) = &password {
            crate::parse::secrets::remember(&p.0);
        }
        Ok(Some(Become {
            method,
            user,
            password,
            flags,
        }))
    }

    fn environment(&self, ctx: &Arc<Context>) -> Result<Vec<(String, String)>, String> {
        let mut env = Map::new();
        for node in &self.task.attrs.environment {
            match self.render(node, ctx)? {
                Value::Object(m) => env.extend(m),
                Value::Null => {}
                other => {
                    return Err(error_at(
                        node.span,
                        self.task,
                        &format!("`environment` must be a mapping, got {other}"),
                    ));
                }
            }
        }
        let mut out = Vec::new();
        for (k, v) in env {
            if !crate::plan::valid_var_name(&k) {
                return Err(error_at(
                    self.task.span,
                    self.task,
                    &format!("`{k}` is not a valid environment variable name"),
                ));
            }
            let v = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            if v != OMIT {
                out.push((k, v));
            }
        }
        Ok(out)
    }
}

fn loop_vars_of(ctx: &Arc<Context>, run: &TaskRun) -> VarMap {
    let mut m = VarMap::new();
    let loop_var = ctx
        .get_json("ansible_loop_var")
        .and_then(|v| v.as_str().map(str::to_string));
    if run.task.loop_items.is_some()
        && let Some(lv) = loop_var
    {
        if let Some(v) = ctx.get_json(&lv) {
            m.insert(lv.clone(), v);
        }
        if let Some(v) = ctx.get_json("ansible_loop") {
            m.insert("ansible_loop".into(), v);
        }
    }
    m
}

fn skipped_output(reason: &str) -> TaskOutput {
    let mut out = TaskOutput {
        status: Some(Status::Skipped),
        ..Default::default()
    };
    out.result.insert("changed".into(), Value::Bool(false));
    out.result
        .insert("skip_reason".into(), Value::String(reason.into()));
    out.result.insert("skipped".into(), Value::Bool(true));
    out
}

fn false_condition(when: &[Node]) -> String {
    when.iter()
        .filter_map(Node::scalar_text)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn display_item(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => crate::plan::template::pyjson::repr(other),
    }
}

/// The result as shown when `no_log` is on.
pub fn censor(result: &VarMap) -> VarMap {
    let mut m = VarMap::new();
    m.insert("censored".into(), Value::String("the output has been hidden due to the fact that 'no_log: true' was specified for this result".into()));
    if let Some(c) = result.get("changed") {
        m.insert("changed".into(), c.clone());
    }
    if let Some(f) = result.get("failed") {
        m.insert("failed".into(), f.clone());
    }
    m
}

/// The items of a `with_<lookup>` loop.
fn with_lookup(
    lookup: &str,
    terms: Value,
    templar: &crate::plan::template::Templar,
    ctx: &Arc<Context>,
) -> Result<Vec<Value>, String> {
    Ok(match lookup {
        "items" => match terms {
            Value::Array(a) => a
                .into_iter()
                .flat_map(|v| match v {
                    Value::Array(inner) => inner,
                    other => vec![other],
                })
                .collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        },
        "list" => match terms {
            Value::Array(a) => a,
            other => vec![other],
        },
        "dict" => match terms {
            Value::Object(m) => m
                .into_iter()
                .map(|(k, v)| {
                    let mut e = Map::new();
                    e.insert("key".into(), Value::String(k));
                    e.insert("value".into(), v);
                    Value::Object(e)
                })
                .collect(),
            other => return Err(format!("with_dict expects a dict, got {other}")),
        },
        "indexed_items" => match terms {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, v)| Value::Array(vec![Value::from(i), v]))
                .collect(),
            other => return Err(format!("with_indexed_items expects a list, got {other}")),
        },
        "flattened" => {
            fn flat(v: Value, out: &mut Vec<Value>) {
                match v {
                    Value::Array(a) => a.into_iter().for_each(|x| flat(x, out)),
                    other => out.push(other),
                }
            }
            let mut out = Vec::new();
            flat(terms, &mut out);
            out
        }
        "sequence" => sequence(&terms)?,
        other => {
            // Any other lookup, as `query(name, terms...)`.
            let args = match terms {
                Value::Array(a) => a,
                v => vec![v],
            };
            let expr = format!(
                "{{{{ query({}, *__with_terms) }}}}",
                serde_json::to_string(other).unwrap_or_default()
            );
            let mut m = VarMap::new();
            m.insert("__with_terms".into(), Value::Array(args));
            let c = ctx.with_top(vec![Layer::data(Arc::new(m))]);
            match templar.render_value(&expr, &c.as_value()) {
                Ok(Value::Array(a)) => a,
                Ok(v) => vec![v],
                Err(e) => return Err(format!("with_{other}: {}", e.message)),
            }
        }
    })
}

/// `with_sequence: start=1 end=5 stride=1 format=host%02d` (or count=).
fn sequence(terms: &Value) -> Result<Vec<Value>, String> {
    let text = match terms {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.len() == 1 => a[0].as_str().unwrap_or_default().to_string(),
        other => {
            return Err(format!(
                "with_sequence takes a string like 'start=1 end=5', got {other}"
            ));
        }
    };
    let items = crate::plan::template::sequence_of(&text)?;
    Ok(items.into_iter().map(Value::String).collect())
}

/// A number from a rendered keyword value: templates give numbers as text.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences() {
        let v = sequence(&Value::String("start=1 end=3 format=db%02d".into())).unwrap();
        assert_eq!(
            v,
            vec![
                Value::from("db01"),
                Value::from("db02"),
                Value::from("db03")
            ]
        );
        let v = sequence(&Value::String("count=2 start=5 stride=5".into())).unwrap();
        assert_eq!(v, vec![Value::from("5"), Value::from("10")]);
        let v = sequence(&Value::String("4-6".into())).unwrap();
        assert_eq!(v.len(), 3);
    }
}
