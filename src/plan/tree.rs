//! The planned playbook: plays, blocks and tasks with their inherited keywords,
//! variables scoped as Ansible scopes them, and source positions.

use crate::parse::{Node, Span};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

pub type VarMap = Map<String, Value>;

/// Keywords a task inherits from its play and enclosing blocks (innermost wins;
/// `when` conditions and `environment` accumulate, tags are a union).
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    pub become_: Option<Node>,
    pub become_user: Option<Node>,
    pub become_method: Option<Node>,
    pub become_flags: Option<Node>,
    pub environment: Vec<Node>,
    pub check_mode: Option<Node>,
    pub diff: Option<Node>,
    pub ignore_errors: Option<Node>,
    pub ignore_unreachable: Option<Node>,
    pub no_log: Option<Node>,
    pub run_once: Option<Node>,
    pub delegate_to: Option<Node>,
    pub delegate_facts: Option<Node>,
    pub any_errors_fatal: Option<Node>,
    pub timeout: Option<Node>,
    pub connection: Option<Node>,
    pub remote_user: Option<Node>,
    pub port: Option<Node>,
    pub when: Vec<Node>,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Action {
    /// A module call; `args` is a mapping node or a free-form string node.
    Module {
        name: String,
        name_span: Span,
        args: Node,
        /// The `args:` keyword, merged under the module's own arguments.
        extra_args: Option<Node>,
    },
    /// `include_tasks`: a file resolved per host at run time.
    IncludeTasks {
        file: Node,
        /// `apply:` keywords (tags, become ...) given to every included task.
        apply: Option<Node>,
    },
    /// `include_role`: a role loaded per host at run time.
    IncludeRole {
        args: Node,
    },
    /// `include_vars`: variables from a file, at include_vars precedence.
    IncludeVars {
        args: Node,
    },
    Meta {
        what: String,
    },
}

#[derive(Debug)]
pub struct Task {
    /// Position in the play, for running hosts in step (lower runs first).
    pub order: Vec<u32>,
    pub span: Span,
    pub name: Option<String>,
    pub action: Action,
    pub attrs: Attrs,
    /// `loop`, or `with_<lookup>` (the lookup name and its terms).
    pub loop_items: Option<LoopSource>,
    pub loop_control: Option<Node>,
    pub register: Option<String>,
    pub until: Option<Node>,
    pub retries: Option<Node>,
    pub delay: Option<Node>,
    pub changed_when: Vec<Node>,
    pub failed_when: Vec<Node>,
    pub notify: Vec<String>,
    pub listen: Vec<String>,
    /// Variable scopes, innermost first: task vars, then enclosing blocks' vars.
    pub scopes: Vec<Arc<VarMap>>,
    pub role: Option<Arc<Role>>,
    /// The directory of the file the task is in (relative includes).
    pub dir: PathBuf,
    pub is_handler: bool,
}

#[derive(Clone, Debug)]
pub enum LoopSource {
    Loop(Node),
    With { lookup: String, terms: Node },
}

#[derive(Debug)]
pub struct Block {
    pub order: Vec<u32>,
    pub span: Span,
    pub name: Option<String>,
    pub body: Vec<Item>,
    pub rescue: Vec<Item>,
    pub always: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Task(Arc<Task>),
    Block(Arc<Block>),
}

#[derive(Debug)]
pub struct Role {
    pub name: String,
    pub path: PathBuf,
    pub defaults: VarMap,
    pub vars: VarMap,
    /// Parameters given where the role is used (`roles: - role: x\n  a: 1`).
    pub params: VarMap,
    /// include_role's `public`: its vars and defaults stay visible after it.
    pub public: bool,
}

/// What a play's role uses gather while it is loaded and run: the role calls already
/// made (a dependency or `roles:` entry runs once per parameters), the handlers that
/// import_role and include_role bring.
/// Handlers grouped as ansible-core groups them, which decides which of two handlers
/// with one name a notification wakes: a block per `block:` and per run of bare
/// handlers in one file.
pub type HandlerBlocks = Vec<Vec<Arc<Task>>>;

#[derive(Debug, Default)]
pub struct PlayRoles {
    pub seen: std::collections::HashSet<String>,
    pub handlers: HandlerBlocks,
    /// Roles of import_role: public, their vars reach the whole play.
    pub imported: Vec<Arc<Role>>,
}

impl Task {
    /// A task with only a name and an action (the engine's own, like Gathering Facts).
    pub fn bare(name: &str, action: Action, span: Span, dir: PathBuf) -> Task {
        Task {
            order: Vec::new(),
            span,
            name: Some(name.to_string()),
            action,
            attrs: Attrs::default(),
            loop_items: None,
            loop_control: None,
            register: None,
            until: None,
            retries: None,
            delay: None,
            changed_when: Vec::new(),
            failed_when: Vec::new(),
            notify: Vec::new(),
            listen: Vec::new(),
            scopes: Vec::new(),
            role: None,
            dir,
            is_handler: false,
        }
    }

    /// The name shown in output: the task's name, else `module` (Ansible style).
    pub fn display_name(&self) -> String {
        let base = match (&self.name, &self.action) {
            (Some(n), _) => n.clone(),
            (None, Action::Module { name, .. }) => name.clone(),
            (None, Action::IncludeTasks { .. }) => "include_tasks".into(),
            // As ansible-core: `include_role : <role>`.
            (None, Action::IncludeRole { args }) => match args
                .get("name")
                .or_else(|| args.get("role"))
                .or(Some(args))
                .and_then(|n| n.as_str().map(str::to_string))
            {
                Some(role) => format!("include_role : {role}"),
                None => "include_role".into(),
            },
            (None, Action::IncludeVars { .. }) => "include_vars".into(),
            (None, Action::Meta { .. }) => "meta".into(),
        };
        match &self.role {
            Some(r) => format!("{} : {base}", r.name),
            None => base,
        }
    }

    /// The names a handler answers to: its name, `role : name`, its listen topics
    /// (a role's also as `role : topic`).
    pub fn handler_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.name.iter().cloned().collect();
        if self.name.is_some() {
            names.push(self.display_name());
        }
        names.extend(self.listen_names());
        names
    }

    /// The topics a handler listens to, also as `role : topic` for a role's.
    pub fn listen_names(&self) -> Vec<String> {
        let mut names = self.listen.clone();
        if let Some(r) = &self.role {
            names.extend(self.listen.iter().map(|l| format!("{} : {l}", r.name)));
        }
        names
    }

    pub fn module_name(&self) -> Option<&str> {
        match &self.action {
            Action::Module { name, .. } => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Play {
    pub span: Span,
    pub name: Option<String>,
    pub hosts: Node,
    pub vars: Arc<VarMap>,
    pub vars_files: Vec<Node>,
    /// vars_prompt entries (mappings with a `name`), asked before the play starts.
    pub vars_prompt: Vec<Node>,
    /// pre_tasks, roles + tasks, post_tasks: handlers are flushed after each.
    pub sections: Vec<Vec<Item>>,
    pub handlers: HandlerBlocks,
    pub roles: Vec<Arc<Role>>,
    /// Role calls made so far and handlers of include_role (added as it runs).
    pub role_uses: Arc<std::sync::Mutex<PlayRoles>>,
    pub serial: Option<Node>,
    pub max_fail_percentage: Option<Node>,
    pub any_errors_fatal: bool,
    pub force_handlers: bool,
    pub gather_facts: Option<Node>,
    /// gather_subset, gather_timeout, fact_path: the implicit setup's arguments.
    pub gather_args: Vec<(String, Node)>,
    pub strategy: String,
    pub order: String,
    pub tags: Vec<String>,
    pub dir: PathBuf,
}

impl Play {
    /// The play's handlers, then those include_role brought (indexes stay stable).
    pub fn all_handlers(&self) -> Vec<Arc<Task>> {
        self.handler_blocks().into_iter().flatten().collect()
    }

    /// The same, in their blocks.
    pub fn handler_blocks(&self) -> HandlerBlocks {
        let mut all = self.handlers.clone();
        if let Ok(u) = self.role_uses.lock() {
            all.extend(u.handlers.iter().cloned());
        }
        all
    }
}

#[derive(Debug)]
pub struct Playbook {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub plays: Vec<Arc<Play>>,
}
