//! The built-in modules. Adding one: a file here and one line in `MODULES`.

mod assert;
mod command;
mod copy;
mod debug;
mod fail;
mod file;
mod ping;
mod remote_file;
pub mod set_fact;
mod setup;
mod stat;
mod template;

use crate::execute::module::Module;

static MODULES: &[&dyn Module] = &[
    &assert::Assert,
    &command::Command,
    &command::Raw,
    &command::Shell,
    &copy::Copy,
    &debug::Debug,
    &fail::Fail,
    &file::File,
    &ping::Ping,
    &set_fact::SetFact,
    &setup::Setup,
    &stat::Stat,
    &template::Template,
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
