//! The built-in modules. Adding one: a file here and one line in `MODULES`.

mod add_host;
mod assert;
mod blockinfile;
mod command;
pub mod config_formats;
mod config_merge;
mod copy;
mod debug;
mod fail;
mod fetch;
mod file;
mod group_by;
mod hotdb_admin;
mod hotdb_facts;
mod lineinfile;
mod mysql_dump;
mod mysql_exec;
mod mysql_login;
mod mysql_restore;
pub mod pause;
mod ping;
mod remote_file;
mod replace;
mod script;
mod service;
pub mod set_fact;
mod setup;
mod setup_subsets;
mod slurp;
mod sql_guard;
pub mod sql_split;
mod stat;
mod tempfile;
mod template;
mod unarchive;
mod validate_argument_spec;
mod vip_check;
mod wait_for;
mod wait_for_port;

use crate::execute::module::Module;

static MODULES: &[&dyn Module] = &[
    &add_host::AddHost,
    &assert::Assert,
    &blockinfile::BlockInFile,
    &command::Command,
    &config_merge::ConfigMerge,
    &copy::Copy,
    &debug::Debug,
    &fail::Fail,
    &fetch::Fetch,
    &file::File,
    &group_by::GroupBy,
    &hotdb_admin::HotdbAdmin,
    &hotdb_facts::HotdbFacts,
    &lineinfile::LineInFile,
    &mysql_dump::MysqlDump,
    &mysql_exec::MysqlExec,
    &mysql_restore::MysqlRestore,
    &pause::Pause,
    &ping::Ping,
    &command::Raw,
    &replace::Replace,
    &script::Script,
    &service::Service,
    &set_fact::SetFact,
    &setup::Setup,
    &command::Shell,
    &slurp::Slurp,
    &sql_guard::SqlGuard,
    &stat::Stat,
    &tempfile::TempFile,
    &template::Template,
    &unarchive::Unarchive,
    &validate_argument_spec::ValidateArgumentSpec,
    &vip_check::VipCheck,
    &wait_for::WaitFor,
    &wait_for_port::WaitForPort,
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

#[cfg(test)]
mod tests {
    #[test]
    fn registry_is_in_name_order_without_duplicates() {
        let names: Vec<&str> = super::all().map(|m| m.doc().name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
