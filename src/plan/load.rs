//! Builds the planned playbook from YAML: checks every keyword, expands static
//! imports and roles, pushes inherited keywords down to each task.

use super::keywords::{self, short_action};
use super::template::Templar;
use super::tree::*;
use crate::parse::diag::did_you_mean;
use crate::parse::{Diag, DiagResult, Kind, Node, yaml};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the loader needs to know about modules (the execute layer provides it).
pub trait Catalog {
    fn is_module(&self, name: &str) -> bool;
    fn module_names(&self) -> Vec<&'static str>;
    /// Ok, or every accepted argument name (for "did you mean").
    fn check_arg(&self, module: &str, arg: &str) -> Result<(), Vec<&'static str>>;
}

pub struct Loader<'a> {
    pub catalog: &'a dyn Catalog,
    pub templar: &'a Templar,
    pub extra_vars: &'a VarMap,
    /// Extra places to look for roles (ANSIBLE_ROLES_PATH, config).
    pub roles_path: Vec<PathBuf>,
}

/// Context for one play: which variables static imports may use, the play's dir.
struct Scope<'s> {
    play_dir: &'s Path,
    static_vars: minijinja::Value,
    is_handler: bool,
    /// The play's role calls so far and the handlers imported roles bring.
    uses: Arc<Mutex<PlayRoles>>,
}

/// Where a role is used: dependencies and `roles:` entries run once per parameters
/// (unless the role allows duplicates); import_role and include_role always run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleUse {
    Play,
    Dependency,
    Import,
    Include,
}

const MAX_IMPORT_DEPTH: usize = 64;

/// What an `import_playbook` entry gives the plays it imports: its keywords and vars.
#[derive(Default)]
struct Imported {
    attrs: Attrs,
    vars: VarMap,
}

impl Loader<'_> {
    pub fn load_playbook(&self, path: &Path) -> DiagResult<Playbook> {
        let mut plays = Vec::new();
        self.load_into(path, &mut plays, 0, &Imported::default())?;
        let dir = absolute_parent(path);
        Ok(Playbook {
            path: path.to_path_buf(),
            dir,
            plays,
        })
    }

    fn load_into(
        &self,
        path: &Path,
        plays: &mut Vec<Arc<Play>>,
        depth: usize,
        outer: &Imported,
    ) -> DiagResult<()> {
        if depth > MAX_IMPORT_DEPTH {
            return Err(Diag::plain(format!(
                "import_playbook nests deeper than {MAX_IMPORT_DEPTH} levels at {}: a cycle?",
                path.display()
            )));
        }
        let doc = yaml::load_file(path)?;
        let dir = absolute_parent(path);
        let entries = match &doc.kind {
            Kind::Seq(items) => items.as_slice(),
            Kind::Null => &[],
            _ => {
                return Err(Diag::new(
                    doc.span,
                    format!(
                        "a playbook must be a list of plays, found {}",
                        doc.type_name()
                    ),
                ));
            }
        };
        for entry in entries {
            let map = entry.expect_map("a play")?;
            if let Some(target) = entry
                .get("import_playbook")
                .or_else(|| entry.get("ansible.builtin.import_playbook"))
            {
                for (k, _) in map {
                    let key = k.as_str().unwrap_or_default();
                    if ![
                        "import_playbook",
                        "ansible.builtin.import_playbook",
                        "name",
                        "vars",
                        "when",
                        "tags",
                    ]
                    .contains(&key)
                    {
                        return Err(Diag::new(
                            k.span,
                            format!("`{key}` is not valid beside import_playbook"),
                        ));
                    }
                }
                let file = self.static_string(target, &self.static_context(&VarMap::new()))?;
                let child = dir.join(&file);
                if !child.exists() {
                    return Err(Diag::new(
                        target.span,
                        format!("import_playbook: cannot find {}", child.display()),
                    ));
                }
                // The import's tags, when and vars reach every task of the imported plays.
                let mut inner = Imported {
                    attrs: attrs_of(entry, &outer.attrs)?,
                    vars: outer.vars.clone(),
                };
                inner.vars.extend(vars_of(entry.get("vars"))?);
                self.load_into(&child, plays, depth + 1, &inner)?;
                continue;
            }
            let play = self.load_play(entry, &dir, outer)?;
            super::notify::check(&play)?;
            plays.push(Arc::new(play));
        }
        Ok(())
    }

    fn static_context(&self, play_vars: &VarMap) -> minijinja::Value {
        let mut m = play_vars.clone();
        for (k, v) in self.extra_vars {
            m.insert(k.clone(), v.clone());
        }
        minijinja::Value::from(minijinja::value::Serde(&m))
    }

    fn static_string(&self, node: &Node, ctx: &minijinja::Value) -> DiagResult<String> {
        let raw = node.expect_string("this value")?;
        if !Templar::is_template(&raw) {
            return Ok(raw);
        }
        self.templar.render_string(&raw, ctx).map_err(|e| {
            Diag::new(
                node.span,
                format!(
                    "{} (only extra vars and play vars can be used in a static import)",
                    e.message
                ),
            )
        })
    }

    fn load_play(&self, node: &Node, dir: &Path, outer: &Imported) -> DiagResult<Play> {
        let map = node.expect_map("a play")?;
        for (k, _) in map {
            let key = k.expect_string("a play keyword")?;
            if !keywords::PLAY.contains(&key.as_str()) {
                let mut d = Diag::new(k.span, format!("`{key}` is not a valid play keyword"));
                if keywords::is_task_keyword(&key) || self.catalog.is_module(&key) {
                    d = d.note("tasks go under `tasks:` (or pre_tasks/post_tasks/handlers)");
                } else {
                    d = d.suggest(&key, keywords::PLAY.iter().copied());
                }
                return Err(d);
            }
        }
        let hosts = node.get("hosts").cloned().ok_or_else(|| {
            Diag::new(node.span, "this play has no `hosts`")
                .note("every play names the hosts it runs on, e.g. `hosts: all`")
        })?;
        if !matches!(hosts.kind, Kind::Str(_) | Kind::Seq(_)) {
            return Err(Diag::new(
                hosts.span,
                format!(
                    "`hosts` must be a pattern string or a list, found {}",
                    hosts.type_name()
                ),
            ));
        }
        let mut play_vars = outer.vars.clone();
        play_vars.extend(vars_of(node.get("vars"))?);
        let vars = Arc::new(play_vars);
        let attrs = attrs_of(node, &outer.attrs)?;
        let uses = Arc::new(Mutex::new(PlayRoles::default()));
        let scope = Scope {
            play_dir: dir,
            static_vars: self.static_context(&vars),
            is_handler: false,
            uses: uses.clone(),
        };
        let mut roles = Vec::new();
        let mut role_items = Vec::new();
        let mut handlers = Vec::new();
        if let Some(r) = node.get("roles") {
            for (i, entry) in r.expect_seq("`roles`")?.iter().enumerate() {
                let (role, items, role_handlers) = self.load_role_call(
                    entry,
                    &attrs,
                    &[],
                    &scope,
                    vec![1, i as u32],
                    dir,
                    RoleUse::Play,
                )?;
                roles.push(role);
                role_items.extend(items);
                handlers.extend(role_handlers);
            }
        }
        let section = |key: &str, n: u32| -> DiagResult<Vec<Item>> {
            match node.get(key) {
                Some(list) if !list.is_null() => {
                    self.load_items(list, &attrs, &[], None, &scope, &[n], dir, 0)
                }
                _ => Ok(Vec::new()),
            }
        };
        let pre = section("pre_tasks", 0)?;
        let mut main = role_items;
        main.extend(section("tasks", 2)?);
        let post = section("post_tasks", 3)?;
        // As ansible-core: the handlers of `roles:`, the play's, then those of
        // import_role (include_role's join as they run).
        if let Some(h) = node.get("handlers").filter(|h| !h.is_null()) {
            let hscope = Scope {
                is_handler: true,
                ..scope
            };
            let items = self.load_items(h, &attrs, &[], None, &hscope, &[9], dir, 0)?;
            handlers.extend(handler_blocks(&items));
        }
        if let Ok(mut u) = uses.lock() {
            handlers.append(&mut u.handlers);
            roles.append(&mut u.imported);
        }
        let bool_kw = |k: &str| -> DiagResult<bool> {
            match node.get(k) {
                None => Ok(false),
                Some(n) => static_bool(n, k),
            }
        };
        Ok(Play {
            span: node.span,
            name: node
                .get("name")
                .map(|n| n.expect_string("`name`"))
                .transpose()?,
            hosts,
            vars,
            vars_files: match node.get("vars_files") {
                Some(v) => v.expect_seq("`vars_files`")?.to_vec(),
                None => Vec::new(),
            },
            vars_prompt: vars_prompt_of(node.get("vars_prompt"))?,
            sections: vec![pre, main, post],
            handlers,
            roles,
            role_uses: uses,
            serial: node.get("serial").cloned(),
            max_fail_percentage: node.get("max_fail_percentage").cloned(),
            any_errors_fatal: bool_kw("any_errors_fatal")?,
            force_handlers: bool_kw("force_handlers")?,
            gather_facts: node.get("gather_facts").cloned(),
            gather_args: ["gather_subset", "gather_timeout", "fact_path"]
                .iter()
                .filter_map(|k| node.get(k).map(|n| (k.to_string(), n.clone())))
                .collect(),
            strategy: match node.get("strategy") {
                Some(s) => {
                    let s = s.expect_string("`strategy`")?;
                    if s != "linear" && s != "free" {
                        return Err(Diag::new(
                            node.get("strategy").map(|n| n.span).unwrap_or(node.span),
                            format!("unknown strategy `{s}`; hotplay has `linear` and `free`"),
                        ));
                    }
                    s
                }
                None => "linear".into(),
            },
            order: match node.get("order") {
                Some(o) => {
                    let s = o.expect_string("`order`")?;
                    if ![
                        "inventory",
                        "reverse_inventory",
                        "sorted",
                        "reverse_sorted",
                        "shuffle",
                    ]
                    .contains(&s.as_str())
                    {
                        return Err(Diag::new(
                            o.span,
                            format!(
                                "`order` must be inventory, reverse_inventory, sorted, reverse_sorted or shuffle, found `{s}`"
                            ),
                        ));
                    }
                    s
                }
                None => "inventory".into(),
            },
            tags: attrs.tags.clone(),
            dir: dir.to_path_buf(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn load_items(
        &self,
        list: &Node,
        parent: &Attrs,
        scopes: &[Arc<VarMap>],
        role: Option<&Arc<Role>>,
        scope: &Scope,
        order: &[u32],
        dir: &Path,
        depth: usize,
    ) -> DiagResult<Vec<Item>> {
        if depth > MAX_IMPORT_DEPTH {
            return Err(Diag::new(list.span, "imports nest too deeply: a cycle?"));
        }
        let entries = match &list.kind {
            Kind::Null => return Ok(Vec::new()),
            Kind::Seq(s) => s,
            _ => {
                return Err(Diag::new(
                    list.span,
                    format!("a task list must be a list, found {}", list.type_name()),
                ));
            }
        };
        let mut items = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let mut o = order.to_vec();
            o.push(i as u32);
            entry.expect_map("a task")?;
            if entry.get("block").is_some() {
                items.push(Item::Block(Arc::new(
                    self.load_block(entry, parent, scopes, role, scope, o, dir, depth)?,
                )));
                continue;
            }
            items.extend(self.load_task(entry, parent, scopes, role, scope, o, dir, depth)?);
        }
        Ok(items)
    }

    #[allow(clippy::too_many_arguments)]
    fn load_block(
        &self,
        node: &Node,
        parent: &Attrs,
        scopes: &[Arc<VarMap>],
        role: Option<&Arc<Role>>,
        scope: &Scope,
        order: Vec<u32>,
        dir: &Path,
        depth: usize,
    ) -> DiagResult<Block> {
        for (k, _) in node.expect_map("a block")? {
            let key = k.expect_string("a keyword")?;
            if !keywords::is_block_keyword(&key) {
                let all = keywords::COMMON.iter().chain(keywords::BLOCK_ONLY).copied();
                return Err(
                    Diag::new(k.span, format!("`{key}` is not a valid block keyword"))
                        .suggest(&key, all),
                );
            }
        }
        let attrs = attrs_of(node, parent)?;
        let mut inner = scopes.to_vec();
        if let Some(v) = node.get("vars") {
            inner.insert(0, Arc::new(vars_of(Some(v))?));
        }
        let section = |key: &str, n: u32| -> DiagResult<Vec<Item>> {
            let mut o = order.clone();
            o.push(n);
            match node.get(key) {
                Some(list) => self.load_items(list, &attrs, &inner, role, scope, &o, dir, depth),
                None => Ok(Vec::new()),
            }
        };
        Ok(Block {
            span: node.span,
            name: node
                .get("name")
                .map(|n| n.expect_string("`name`"))
                .transpose()?,
            body: section("block", 0)?,
            rescue: section("rescue", 1)?,
            always: section("always", 2)?,
            order,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn load_task(
        &self,
        node: &Node,
        parent: &Attrs,
        scopes: &[Arc<VarMap>],
        role: Option<&Arc<Role>>,
        scope: &Scope,
        order: Vec<u32>,
        dir: &Path,
        depth: usize,
    ) -> DiagResult<Vec<Item>> {
        let map = node.expect_map("a task")?;
        let mut actions: Vec<(Node, Node)> = Vec::new();
        let mut loop_items = None;
        for (k, v) in map {
            let key = k.expect_string("a task keyword")?;
            if let Some(lookup) = key.strip_prefix("with_") {
                if loop_items.is_some() {
                    return Err(Diag::new(
                        k.span,
                        "a task can have only one loop (`loop` or one `with_*`)",
                    ));
                }
                loop_items = Some(LoopSource::With {
                    lookup: lookup.to_string(),
                    terms: v.clone(),
                });
            } else if key == "loop" {
                if loop_items.is_some() {
                    return Err(Diag::new(
                        k.span,
                        "a task can have only one loop (`loop` or one `with_*`)",
                    ));
                }
                loop_items = Some(LoopSource::Loop(v.clone()));
            } else if key == "listen" && !scope.is_handler {
                return Err(Diag::new(k.span, "`listen` is only valid on handlers"));
            } else if !keywords::is_task_keyword(&key) {
                actions.push((k.clone(), v.clone()));
            }
        }
        if let Some(a) = node.get("action").or_else(|| node.get("local_action")) {
            let (name, args) = split_action(a)?;
            actions.push((Node::new(Kind::Str(name), a.span), args));
        }
        let (action_key, action_args) = match actions.as_slice() {
            [(k, v)] => (k, v),
            [] => {
                return Err(Diag::new(node.span, "no module or action in this task")
                    .note("a task names exactly one module, e.g. `shell: echo hi`"));
            }
            many => {
                // A misspelt keyword beside the module reads best as "did you mean".
                for (k, _) in many {
                    let key = k.as_str().unwrap_or_default();
                    if !self.catalog.is_module(key)
                        && !keywords::ENGINE_ACTIONS.contains(&short_action(key))
                    {
                        return Err(match did_you_mean(key, keywords::task_keywords()) {
                            Some(kw) => {
                                Diag::new(k.span, format!("`{key}` is not a valid task keyword"))
                                    .note(format!("did you mean `{kw}`?"))
                            }
                            None => Diag::new(
                                k.span,
                                format!("`{key}` is neither a task keyword nor a module"),
                            )
                            .suggest(key, self.catalog.module_names()),
                        });
                    }
                }
                let names: Vec<&str> = many.iter().filter_map(|(k, _)| k.as_str()).collect();
                return Err(Diag::new(
                    many[1].0.span,
                    format!("conflicting action statements: {}", names.join(", ")),
                )
                .note("a task names exactly one module"));
            }
        };
        let action_name = action_key.expect_string("a module name")?;
        let short = short_action(&action_name).to_string();
        // `import_role: name=app tasks_from=x`: k=v as Ansible parses it.
        let kv_form;
        let action_args = match short.as_str() {
            "import_role" | "include_role" => {
                kv_form = role_kv_args(&short, action_args)?;
                kv_form.as_ref().unwrap_or(action_args)
            }
            _ => action_args,
        };
        let attrs = attrs_of(node, parent)?;
        let mut task_scopes = scopes.to_vec();
        if let Some(v) = node.get("vars") {
            task_scopes.insert(0, Arc::new(vars_of(Some(v))?));
        }
        // Static imports become the tasks they import.
        match short.as_str() {
            "import_tasks" => {
                if loop_items.is_some() {
                    return Err(Diag::new(
                        node.span,
                        "import_tasks cannot loop; use include_tasks",
                    ));
                }
                let file = self.static_string(action_args, &scope.static_vars)?;
                let path = resolve_task_file(&file, dir, role, scope.play_dir).ok_or_else(|| {
                    Diag::new(action_args.span, format!("import_tasks: cannot find `{file}` (looked beside this file, in the role and the playbook dir)"))
                })?;
                let doc = yaml::load_file(&path)?;
                return self.load_items(
                    &doc,
                    &attrs,
                    &task_scopes,
                    role,
                    scope,
                    &order,
                    &parent_dir(&path),
                    depth + 1,
                );
            }
            "import_role" => {
                let (role, items, handlers) = self.load_role_call(
                    action_args,
                    &attrs,
                    &task_scopes,
                    scope,
                    order,
                    dir,
                    RoleUse::Import,
                )?;
                if let Ok(mut u) = scope.uses.lock() {
                    u.handlers.extend(handlers);
                    u.imported.push(role);
                }
                return Ok(items);
            }
            "include" => {
                return Err(Diag::new(
                    action_key.span,
                    "`include` was removed from Ansible; use include_tasks or import_tasks",
                ));
            }
            "import_playbook" => {
                return Err(Diag::new(
                    action_key.span,
                    "import_playbook is only valid at the top level of a playbook",
                ));
            }
            _ => {}
        }
        let action = match short.as_str() {
            "include_tasks" => {
                let apply = action_args.get("apply").cloned();
                if let Some(a) = &apply {
                    if a.as_map().is_none() {
                        return Err(Diag::new(
                            a.span,
                            format!(
                                "`apply` must be a mapping of task keywords, found {}",
                                a.type_name()
                            ),
                        ));
                    }
                    attrs_of(a, &Attrs::default())?;
                }
                Action::IncludeTasks {
                    file: match action_args.get("file") {
                        Some(f) => f.clone(),
                        None => action_args.clone(),
                    },
                    apply,
                }
            }
            "include_role" => Action::IncludeRole {
                args: action_args.clone(),
            },
            "include_vars" => Action::IncludeVars {
                args: action_args.clone(),
            },
            "meta" => {
                let what = action_args.expect_string("meta")?;
                const METAS: &[&str] = &[
                    "flush_handlers",
                    "end_play",
                    "end_host",
                    "end_batch",
                    "clear_host_errors",
                    "noop",
                    "refresh_inventory",
                    "reset_connection",
                    "clear_facts",
                    "end_role",
                ];
                if !METAS.contains(&what.as_str()) {
                    return Err(Diag::new(
                        action_args.span,
                        format!("unknown meta action `{what}`"),
                    )
                    .suggest(&what, METAS.iter().copied()));
                }
                Action::Meta { what }
            }
            _ => {
                if let Some(collection) = keywords::collection_of(&action_name)
                    && !self.catalog.is_module(&short)
                {
                    let bare = action_name.rsplit('.').next().unwrap_or_default();
                    let mut d = Diag::new(
                        action_key.span,
                        format!(
                            "`{action_name}` is a module of the collection `{collection}`: hotplay runs its own modules, not Ansible collections (Python plugins)"
                        ),
                    )
                    .note("`hotplay doc --list` lists the modules hotplay has");
                    if self.catalog.is_module(bare) {
                        d = d.note(format!("hotplay's own `{bare}` may do what you need"));
                    }
                    return Err(d);
                }
                if !self.catalog.is_module(&short) {
                    return Err(Diag::new(
                        action_key.span,
                        format!("couldn't resolve module/action `{action_name}`"),
                    )
                    .suggest(
                        &short,
                        self.catalog
                            .module_names()
                            .into_iter()
                            .chain(keywords::task_keywords()),
                    ));
                }
                self.check_module_args(&short, action_args)?;
                if let Some(extra) = node.get("args") {
                    self.check_module_args(&short, extra)?;
                }
                Action::Module {
                    name: short.clone(),
                    name_span: action_key.span,
                    args: action_args.clone(),
                    extra_args: node.get("args").cloned(),
                }
            }
        };
        let strings = |k: &str| -> DiagResult<Vec<String>> {
            node.get(k)
                .map(|n| n.string_list(&format!("`{k}`")))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let conditions = |k: &str| -> Vec<Node> {
            match node.get(k) {
                Some(Node {
                    kind: Kind::Seq(items),
                    ..
                }) => items.clone(),
                Some(n) => vec![n.clone()],
                None => Vec::new(),
            }
        };
        let name = match node.get("name") {
            Some(n) if !n.is_null() => Some(n.expect_string("`name`")?),
            _ => None,
        };
        let mut attrs = attrs;
        if node.get("local_action").is_some() {
            attrs.delegate_to = Some(Node::new(Kind::Str("localhost".into()), node.span));
        }
        let task = Task {
            order,
            span: node.span,
            name,
            action,
            attrs,
            loop_items,
            loop_control: node.get("loop_control").cloned(),
            register: node
                .get("register")
                .map(|r| r.expect_string("`register`"))
                .transpose()?,
            until: node.get("until").cloned(),
            retries: node.get("retries").cloned(),
            delay: node.get("delay").cloned(),
            changed_when: conditions("changed_when"),
            failed_when: conditions("failed_when"),
            notify: strings("notify")?,
            listen: strings("listen")?,
            scopes: task_scopes,
            role: role.cloned(),
            dir: dir.to_path_buf(),
            is_handler: scope.is_handler,
        };
        if let Some(r) = &task.register
            && !crate::plan::valid_var_name(r)
        {
            return Err(Diag::new(
                node.get("register").map(|n| n.span).unwrap_or(node.span),
                format!("`{r}` is not a valid variable name for register"),
            ));
        }
        self.check_templates(node)?;
        Ok(vec![Item::Task(Arc::new(task))])
    }

    /// A task file included at run time (include_tasks). Its tasks sort after the
    /// include task (`order` + `slot`), carry `scopes`, and inherit `attrs`' keywords
    /// except `when` and tags, which applied to the include itself; `apply` adds keywords.
    #[allow(clippy::too_many_arguments)]
    pub fn load_task_file(
        &self,
        path: &Path,
        attrs: &Attrs,
        apply: Option<&Node>,
        scopes: &[Arc<VarMap>],
        role: Option<&Arc<Role>>,
        play: &Play,
        order: &[u32],
        slot: u32,
    ) -> DiagResult<Vec<Item>> {
        let doc = yaml::load_file(path)?;
        let mut inherited = attrs.clone();
        inherited.when.clear();
        inherited.tags.clear();
        if let Some(a) = apply {
            inherited = attrs_of(a, &inherited)?;
        }
        let scope = Scope {
            play_dir: &play.dir,
            static_vars: self.static_context(&VarMap::new()),
            is_handler: false,
            uses: play.role_uses.clone(),
        };
        let mut o = order.to_vec();
        o.push(slot);
        self.load_items(
            &doc,
            &inherited,
            scopes,
            role,
            &scope,
            &o,
            &parent_dir(path),
            1,
        )
    }

    /// A role included at run time (include_role); `entry` is its rendered arguments.
    /// Its handlers join the play's.
    pub fn load_role_dynamic(
        &self,
        entry: &Node,
        attrs: &Attrs,
        play: &Play,
        dir: &Path,
        order: &[u32],
    ) -> DiagResult<(Arc<Role>, Vec<Item>)> {
        let mut inherited = attrs.clone();
        inherited.when.clear();
        inherited.tags.clear();
        let scope = Scope {
            play_dir: &play.dir,
            static_vars: self.static_context(&VarMap::new()),
            is_handler: false,
            uses: play.role_uses.clone(),
        };
        let (role, items, handlers) = self.load_role_call(
            entry,
            &inherited,
            &[],
            &scope,
            order.to_vec(),
            dir,
            RoleUse::Include,
        )?;
        if let Ok(mut u) = play.role_uses.lock() {
            u.handlers.extend(handlers);
        }
        Ok((role, items))
    }

    fn check_module_args(&self, module: &str, args: &Node) -> DiagResult<()> {
        let Some(map) = args.as_map() else {
            return Ok(());
        };
        for (k, _) in map {
            let key = k.scalar_text().unwrap_or_default();
            if let Err(accepted) = self.catalog.check_arg(module, &key) {
                return Err(Diag::new(
                    k.span,
                    format!("unsupported parameter `{key}` for module {module}"),
                )
                .suggest(&key, accepted.iter().copied())
                .note(format!("{module} takes: {}", accepted.join(", "))));
            }
        }
        Ok(())
    }

    /// Jinja syntax errors are found at load time, at their line.
    fn check_templates(&self, node: &Node) -> DiagResult<()> {
        let Some(map) = node.as_map() else {
            return Ok(());
        };
        for (k, v) in map {
            let key = k.as_str().unwrap_or_default();
            let bare = matches!(key, "when" | "changed_when" | "failed_when" | "until");
            self.check_node_templates(v, bare)?;
        }
        Ok(())
    }

    fn check_node_templates(&self, node: &Node, bare: bool) -> DiagResult<()> {
        match &node.kind {
            Kind::Str(s) => {
                let text = if bare && !Templar::is_template(s) {
                    format!("{{{{ {s} }}}}")
                } else {
                    s.clone()
                };
                if Templar::is_template(&text)
                    && let Err(e) = self.templar.check_syntax(&text)
                {
                    return Err(Diag::new(
                        node.span,
                        format!("template error: {}", e.message),
                    ));
                }
                Ok(())
            }
            Kind::Seq(items) => items
                .iter()
                .try_for_each(|i| self.check_node_templates(i, bare)),
            Kind::Map(entries) => entries
                .iter()
                .try_for_each(|(_, v)| self.check_node_templates(v, false)),
            _ => Ok(()),
        }
    }

    fn find_role(&self, name: &str, play_dir: &Path, from_dir: &Path) -> Option<PathBuf> {
        let p = Path::new(name);
        if p.is_absolute() {
            return p.is_dir().then(|| p.to_path_buf());
        }
        let mut candidates = vec![
            from_dir.join("roles").join(name),
            play_dir.join("roles").join(name),
        ];
        candidates.extend(self.roles_path.iter().map(|r| r.join(name)));
        candidates.push(play_dir.join(name));
        candidates.into_iter().find(|c| c.is_dir())
    }

    /// A role use (`roles:` entry, import_role, include_role): a name, or a mapping
    /// with `role`/`name` plus keywords and params.
    /// `scopes`: the vars of the import_role task and its blocks, which its tasks
    /// and handlers see as Ansible's parent block vars.
    #[allow(clippy::too_many_arguments)]
    fn load_role_call(
        &self,
        entry: &Node,
        parent: &Attrs,
        scopes: &[Arc<VarMap>],
        scope: &Scope,
        order: Vec<u32>,
        dir: &Path,
        usage: RoleUse,
    ) -> DiagResult<RoleLoad> {
        let mut public = false;
        let mut validate = true;
        // The role's params: the entry's own keys, checked by its argument spec, and
        // its `vars` (not checked, as Ansible).
        let mut given = VarMap::new();
        let (name_node, params, attrs, from) = match &entry.kind {
            Kind::Str(_) => (
                entry.clone(),
                VarMap::new(),
                parent.clone(),
                RoleFiles::default(),
            ),
            Kind::Map(map) => {
                let name_node = entry
                    .get("role")
                    .or_else(|| entry.get("name"))
                    .cloned()
                    .ok_or_else(|| {
                        Diag::new(entry.span, "a role entry needs `role` (or `name`)")
                    })?;
                let mut params = VarMap::new();
                let mut from = RoleFiles::default();
                for (k, v) in map {
                    let key = k.scalar_text().unwrap_or_default();
                    match key.as_str() {
                        "role" | "name" => {}
                        "tasks_from" => from.tasks = Some(v.expect_string("`tasks_from`")?),
                        "vars_from" => from.vars = Some(v.expect_string("`vars_from`")?),
                        "defaults_from" => {
                            from.defaults = Some(v.expect_string("`defaults_from`")?)
                        }
                        "handlers_from" => {
                            from.handlers = Some(v.expect_string("`handlers_from`")?)
                        }
                        "public" => public = static_bool(v, "public")?,
                        "rolespec_validate" => validate = static_bool(v, "rolespec_validate")?,
                        "allow_duplicates" | "apply" => {}
                        "vars" => params.extend(vars_of(Some(v))?),
                        k if keywords::COMMON.contains(&k) => {}
                        _ => {
                            params.insert(key.clone(), v.to_json());
                            given.insert(key.clone(), v.to_json());
                        }
                    }
                }
                (name_node, params, attrs_of(entry, parent)?, from)
            }
            _ => {
                return Err(Diag::new(
                    entry.span,
                    format!(
                        "a role must be a name or a mapping, found {}",
                        entry.type_name()
                    ),
                ));
            }
        };
        let name = self.static_string(&name_node, &scope.static_vars)?;
        let path = self.find_role(&name, scope.play_dir, dir).ok_or_else(|| {
            Diag::new(name_node.span, format!("the role `{name}` was not found in {}/roles, beside the playbook or the roles path", scope.play_dir.display()))
        })?;
        let role_name = Path::new(&name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name.clone());
        let meta = match find_main(&path.join("meta"), None) {
            Some(m) => Some(yaml::load_file(&m)?),
            None => None,
        };
        let role = Arc::new(Role {
            name: role_name,
            defaults: load_role_vars(&path, "defaults", from.defaults.as_deref())?,
            vars: load_role_vars(&path, "vars", from.vars.as_deref())?,
            params,
            path: path.clone(),
            // import_role is always public; include_role only when asked.
            public: usage != RoleUse::Include || public,
        });
        // As ansible-core: a role runs once per parameters (and from-files) in a play,
        // unless its meta allows duplicates; import_role and include_role always run.
        let allow_duplicates = meta
            .as_ref()
            .and_then(|m| m.get("allow_duplicates"))
            .map(|n| static_bool(n, "allow_duplicates"))
            .transpose()?
            .unwrap_or(false);
        let key = format!(
            "{}|{}|{:?}|{:?}|{:?}|{:?}",
            path.display(),
            serde_json::to_string(&role.params).unwrap_or_default(),
            from.tasks,
            from.vars,
            from.defaults,
            from.handlers
        );
        let seen_before = match scope.uses.lock() {
            Ok(mut u) => !u.seen.insert(key),
            Err(_) => false,
        };
        if seen_before && !allow_duplicates && matches!(usage, RoleUse::Play | RoleUse::Dependency)
        {
            return Ok((role, Vec::new(), Vec::new()));
        }
        let mut items = Vec::new();
        // meta/main.yml dependencies run first.
        if let Some(deps) = meta
            .as_ref()
            .and_then(|m| m.get("dependencies"))
            .and_then(Node::as_seq)
        {
            for (i, d) in deps.iter().enumerate() {
                let mut o = order.clone();
                o.push(i as u32);
                let (_, dep_items, _) =
                    self.load_role_call(d, &attrs, scopes, scope, o, &path, RoleUse::Dependency)?;
                items.extend(dep_items);
            }
        }
        let rscope = Scope {
            play_dir: scope.play_dir,
            static_vars: scope.static_vars.clone(),
            is_handler: false,
            uses: scope.uses.clone(),
        };
        // The arguments of the entry point are checked before its tasks.
        let entry_point = from.tasks.clone().unwrap_or_else(|| "main".into());
        if validate && let Some(spec) = argument_spec(&path, meta.as_ref(), &entry_point)? {
            let mut task_name = format!("Validating arguments against arg spec '{entry_point}'");
            if let Some(d) = spec.get("short_description") {
                task_name += &format!(" - {}", d.scalar_text().unwrap_or_default());
            }
            let task = serde_json::json!({
                "name": task_name,
                "validate_argument_spec": {
                    "argument_spec": spec.get("options").map(Node::to_json).unwrap_or_else(|| serde_json::json!({})),
                    "provided_arguments": given,
                    "validate_args_context": {
                        "argument_spec_name": entry_point,
                        "name": role.name,
                        "path": path.display().to_string(),
                        "type": "role",
                    },
                },
                "tags": ["always"],
            });
            let mut o = order.clone();
            o.push(999);
            items.extend(self.load_task(
                &Node::from_json(&task, entry.span),
                &attrs,
                scopes,
                Some(&role),
                &rscope,
                o,
                &path,
                1,
            )?);
        }
        let mut o = order.clone();
        o.push(1000);
        if let Some(tasks) = find_main(&path.join("tasks"), from.tasks.as_deref()) {
            let doc = yaml::load_file(&tasks)?;
            items.extend(self.load_items(
                &doc,
                &attrs,
                scopes,
                Some(&role),
                &rscope,
                &o,
                &parent_dir(&tasks),
                1,
            )?);
        } else if from.tasks.is_some() {
            return Err(Diag::new(
                entry.span,
                format!("tasks_from: no such file in {}/tasks", path.display()),
            ));
        }
        let mut handlers = Vec::new();
        if let Some(h) = find_main(&path.join("handlers"), from.handlers.as_deref()) {
            let doc = yaml::load_file(&h)?;
            let hscope = Scope {
                play_dir: scope.play_dir,
                static_vars: scope.static_vars.clone(),
                is_handler: true,
                uses: scope.uses.clone(),
            };
            let hitems = self.load_items(
                &doc,
                &attrs,
                scopes,
                Some(&role),
                &hscope,
                &[9, 1000],
                &parent_dir(&h),
                1,
            )?;
            handlers.extend(handler_blocks(&hitems));
        }
        Ok((role, items, handlers))
    }
}

/// The argument spec of a role's entry point: meta/argument_specs.yml, else the
/// `argument_specs` of meta/main.yml.
fn argument_spec(role: &Path, meta: Option<&Node>, entry: &str) -> DiagResult<Option<Node>> {
    let specs = match find_main(&role.join("meta"), Some("argument_specs")) {
        Some(p) => yaml::load_file(&p)?.get("argument_specs").cloned(),
        None => meta.and_then(|m| m.get("argument_specs")).cloned(),
    };
    Ok(specs.and_then(|s| s.get(entry).cloned()))
}

/// A role as loaded: the role, its tasks, its handlers.
type RoleLoad = (Arc<Role>, Vec<Item>, HandlerBlocks);

#[derive(Default)]
struct RoleFiles {
    tasks: Option<String>,
    vars: Option<String>,
    defaults: Option<String>,
    handlers: Option<String>,
}

/// `<dir>/main.yml` (or `name.yml`, `.yaml`, no extension).
pub fn find_main(dir: &Path, name: Option<&str>) -> Option<PathBuf> {
    let base = name.unwrap_or("main");
    [
        format!("{base}.yml"),
        format!("{base}.yaml"),
        base.to_string(),
        format!("{base}.json"),
    ]
    .into_iter()
    .map(|f| dir.join(f))
    .find(|p| p.is_file())
}

fn load_role_vars(role: &Path, kind: &str, from: Option<&str>) -> DiagResult<VarMap> {
    match find_main(&role.join(kind), from) {
        Some(p) => vars_of(Some(&yaml::load_file(&p)?)),
        None if from.is_some() => Err(Diag::plain(format!(
            "{kind}_from: no such file in {}/{kind}",
            role.display()
        ))),
        None => Ok(VarMap::new()),
    }
}

/// Handlers in ansible-core's blocks: each `block:` one, each run of bare handlers one.
fn handler_blocks(items: &[Item]) -> HandlerBlocks {
    let mut blocks: HandlerBlocks = Vec::new();
    let mut bare = Vec::new();
    for item in items {
        match item {
            Item::Task(t) => bare.push(t.clone()),
            Item::Block(_) => {
                if !bare.is_empty() {
                    blocks.push(std::mem::take(&mut bare));
                }
                let mut b = Vec::new();
                flatten_tasks(std::slice::from_ref(item), &mut b);
                blocks.push(b);
            }
        }
    }
    if !bare.is_empty() {
        blocks.push(bare);
    }
    blocks
}

fn flatten_tasks(items: &[Item], out: &mut Vec<Arc<Task>>) {
    for item in items {
        match item {
            Item::Task(t) => out.push(t.clone()),
            Item::Block(b) => {
                flatten_tasks(&b.body, out);
                flatten_tasks(&b.rescue, out);
                flatten_tasks(&b.always, out);
            }
        }
    }
}

/// The file an import/include names: beside the current file, in the role's tasks/, or the playbook dir.
pub fn resolve_task_file(
    file: &str,
    dir: &Path,
    role: Option<&Arc<Role>>,
    play_dir: &Path,
) -> Option<PathBuf> {
    let p = Path::new(file);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    let mut candidates = vec![dir.join(file)];
    if let Some(r) = role {
        candidates.push(r.path.join("tasks").join(file));
    }
    candidates.push(play_dir.join(file));
    candidates.into_iter().find(|c| c.is_file())
}

/// The mapping a role task's `k=v` string stands for (None when the arguments are a
/// mapping or a template already); a bare word is an error, as in ansible-core.
fn role_kv_args(action: &str, args: &Node) -> DiagResult<Option<Node>> {
    let Kind::Str(s) = &args.kind else {
        return Ok(None);
    };
    if s.trim_start().starts_with("{{") {
        return Ok(None);
    }
    let mut entries = Vec::new();
    for word in crate::parse::shell::split_quoted(s) {
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                entries.push((
                    Node::new(Kind::Str(k.to_string()), args.span),
                    Node::new(Kind::Str(crate::parse::shell::unquote(v)), args.span),
                ));
            }
            _ => {
                return Err(Diag::new(
                    args.span,
                    format!(
                        "'name' is a required field for {action}: `{word}` is not a k=v argument"
                    ),
                )
                .note(format!(
                    "write `{action}: name=ROLE` (and other k=v arguments) or a mapping"
                )));
            }
        }
    }
    Ok(Some(Node::new(Kind::Map(entries), args.span)))
}

/// `action: module k=v` or `action: {module: x, ...}`.
fn split_action(node: &Node) -> DiagResult<(String, Node)> {
    match &node.kind {
        Kind::Str(s) => {
            let s = s.trim();
            let (name, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
            Ok((
                name.to_string(),
                Node::new(Kind::Str(rest.trim().to_string()), node.span),
            ))
        }
        Kind::Map(entries) => {
            let module = node
                .get("module")
                .ok_or_else(|| Diag::new(node.span, "`action` as a mapping needs `module`"))?;
            let rest: Vec<(Node, Node)> = entries
                .iter()
                .filter(|(k, _)| k.as_str() != Some("module"))
                .cloned()
                .collect();
            Ok((
                module.expect_string("`module`")?,
                Node::new(Kind::Map(rest), node.span),
            ))
        }
        _ => Err(Diag::new(
            node.span,
            format!(
                "`action` must be a string or a mapping, found {}",
                node.type_name()
            ),
        )),
    }
}

/// The directory of a playbook as Ansible's `playbook_dir`: absolute, not resolved.
fn absolute_parent(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    parent_dir(&abs)
}

pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `vars:` as a mapping (or Ansible's old list of mappings).
pub fn vars_of(node: Option<&Node>) -> DiagResult<VarMap> {
    let Some(node) = node else {
        return Ok(VarMap::new());
    };
    match &node.kind {
        Kind::Null => Ok(VarMap::new()),
        Kind::Map(entries) => {
            let mut m = VarMap::new();
            for (k, v) in entries {
                let key = k.scalar_text().unwrap_or_default();
                if !crate::plan::valid_var_name(&key) {
                    return Err(Diag::new(k.span, format!("`{key}` is not a valid variable name")).note("variable names start with a letter or underscore and hold only letters, digits and underscores"));
                }
                m.insert(key, v.to_json());
            }
            Ok(m)
        }
        Kind::Seq(items) => {
            let mut m = VarMap::new();
            for i in items {
                m.extend(vars_of(Some(i))?);
            }
            Ok(m)
        }
        _ => Err(Diag::new(
            node.span,
            format!("`vars` must be a mapping, found {}", node.type_name()),
        )),
    }
}

fn static_bool(node: &Node, what: &str) -> DiagResult<bool> {
    match &node.kind {
        Kind::Bool(b) => Ok(*b),
        _ => match crate::plan::ansible_bool(&node.to_json()) {
            Some(b) => Ok(b),
            None => Err(Diag::new(
                node.span,
                format!("`{what}` must be a boolean, found {}", node.type_name()),
            )),
        },
    }
}

/// This node's keywords over the inherited ones.
fn attrs_of(node: &Node, parent: &Attrs) -> DiagResult<Attrs> {
    let mut a = parent.clone();
    let set = |slot: &mut Option<Node>, key: &str| {
        if let Some(v) = node.get(key) {
            *slot = Some(v.clone());
        }
    };
    set(&mut a.become_, "become");
    set(&mut a.become_user, "become_user");
    set(&mut a.become_method, "become_method");
    set(&mut a.become_flags, "become_flags");
    set(&mut a.check_mode, "check_mode");
    set(&mut a.diff, "diff");
    set(&mut a.ignore_errors, "ignore_errors");
    set(&mut a.ignore_unreachable, "ignore_unreachable");
    set(&mut a.no_log, "no_log");
    set(&mut a.run_once, "run_once");
    set(&mut a.delegate_to, "delegate_to");
    set(&mut a.delegate_facts, "delegate_facts");
    set(&mut a.any_errors_fatal, "any_errors_fatal");
    set(&mut a.timeout, "timeout");
    set(&mut a.connection, "connection");
    set(&mut a.remote_user, "remote_user");
    set(&mut a.port, "port");
    if let Some(e) = node.get("environment") {
        a.environment.push(e.clone());
    }
    match node.get("when") {
        Some(Node {
            kind: Kind::Seq(items),
            ..
        }) => a.when.extend(items.iter().cloned()),
        Some(n) => a.when.push(n.clone()),
        None => {}
    }
    if let Some(t) = node.get("tags") {
        for tag in t.string_list("`tags`")? {
            for part in tag.split(',') {
                let part = part.trim().to_string();
                if !part.is_empty() && !a.tags.contains(&part) {
                    a.tags.push(part);
                }
            }
        }
    }
    Ok(a)
}

/// A JSON value from YAML for an inline default.
pub fn json_of(node: &Node) -> Value {
    node.to_json()
}

/// `vars_prompt`: a list of mappings, each with a `name` and only Ansible's keys.
fn vars_prompt_of(node: Option<&Node>) -> DiagResult<Vec<Node>> {
    const KEYS: &[&str] = &[
        "name",
        "prompt",
        "default",
        "private",
        "confirm",
        "encrypt",
        "salt_size",
        "salt",
        "unsafe",
    ];
    let Some(list) = node.filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let entries = list.expect_seq("`vars_prompt`")?;
    for e in entries {
        let map = e.expect_map("a vars_prompt entry")?;
        for (k, _) in map {
            let key = k.expect_string("a vars_prompt key")?;
            if !KEYS.contains(&key.as_str()) {
                return Err(
                    Diag::new(k.span, format!("`{key}` is not a vars_prompt key"))
                        .suggest(&key, KEYS.iter().copied()),
                );
            }
        }
        if e.get("name").is_none() {
            return Err(Diag::new(e.span, "this vars_prompt entry has no `name`"));
        }
    }
    Ok(entries.to_vec())
}
