//! The keywords of plays, blocks and tasks, as Ansible names them.

pub const PLAY: &[&str] = &[
    "hosts",
    "name",
    "vars",
    "vars_files",
    "vars_prompt",
    "pre_tasks",
    "roles",
    "tasks",
    "post_tasks",
    "handlers",
    "serial",
    "max_fail_percentage",
    "any_errors_fatal",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "fact_path",
    "become",
    "become_user",
    "become_method",
    "become_flags",
    "become_exe",
    "environment",
    "check_mode",
    "diff",
    "ignore_unreachable",
    "ignore_errors",
    "tags",
    "strategy",
    "order",
    "connection",
    "remote_user",
    "port",
    "no_log",
    "run_once",
    "module_defaults",
    "collections",
    "throttle",
    "timeout",
    "debugger",
];

/// Keywords every task and block share (and inherit from their play and blocks).
pub const COMMON: &[&str] = &[
    "name",
    "when",
    "tags",
    "vars",
    "become",
    "become_user",
    "become_method",
    "become_flags",
    "become_exe",
    "environment",
    "check_mode",
    "diff",
    "ignore_errors",
    "ignore_unreachable",
    "no_log",
    "run_once",
    "delegate_to",
    "delegate_facts",
    "any_errors_fatal",
    "timeout",
    "connection",
    "remote_user",
    "port",
    "module_defaults",
    "collections",
    "throttle",
    "debugger",
    "notify",
];

pub const TASK_ONLY: &[&str] = &[
    "action",
    "local_action",
    "args",
    "loop",
    "loop_control",
    "register",
    "until",
    "retries",
    "delay",
    "changed_when",
    "failed_when",
    "listen",
    "async",
    "poll",
];

pub const BLOCK_ONLY: &[&str] = &["block", "rescue", "always"];

/// Actions the engine itself carries out (they shape the task list).
pub const ENGINE_ACTIONS: &[&str] = &[
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "import_playbook",
    "meta",
    "include_vars",
    "include",
];

pub fn is_task_keyword(k: &str) -> bool {
    COMMON.contains(&k) || TASK_ONLY.contains(&k) || k.starts_with("with_")
}

pub fn is_block_keyword(k: &str) -> bool {
    COMMON.contains(&k) || BLOCK_ONLY.contains(&k)
}

/// `ansible.builtin.X` and `ansible.legacy.X` are X.
pub fn short_action(name: &str) -> &str {
    name.strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name)
}

/// The collection a fully qualified name belongs to (`community.mysql` of
/// `community.mysql.mysql_db`), unless it is Ansible's own.
pub fn collection_of(name: &str) -> Option<&str> {
    let mut parts = name.splitn(3, '.');
    let (ns, coll, _) = (parts.next()?, parts.next()?, parts.next()?);
    let collection = &name[..ns.len() + 1 + coll.len()];
    (!matches!(collection, "ansible.builtin" | "ansible.legacy")).then_some(collection)
}

pub fn task_keywords() -> impl Iterator<Item = &'static str> {
    COMMON.iter().chain(TASK_ONLY).copied()
}
