//! The built-in modules. Adding one: a file here and one line in `MODULES`.

mod assert;
mod command;
mod debug;
mod fail;
mod ping;
pub mod set_fact;
mod setup;

use crate::execute::module::Module;

static MODULES: &[&dyn Module] = &[
    &assert::Assert,
    &command::Command,
    &command::Raw,
    &command::Shell,
    &debug::Debug,
    &fail::Fail,
    &ping::Ping,
    &set_fact::SetFact,
    &setup::Setup,
];

/// Every module, in name order.
pub fn all() -> impl Iterator<Item = &'static dyn Module> {
    MODULES.iter().copied()
}

/// A module by name; `ansible.builtin.X` and `ansible.legacy.X` name the same module.
pub fn find(name: &str) -> Option<&'static dyn Module> {
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    all().find(|m| m.doc().name == short)
}
