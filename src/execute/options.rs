//! Run options from the command line (and config), as execution needs them.

use super::connection::become_wrap::Secret;
use super::connection::ssh::HostKeyChecking;
use serde_json::{Map, Value};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub check: bool,
    pub diff: bool,
    pub forks: usize,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub limit: Option<String>,
    pub start_at_task: Option<String>,
    pub step: bool,
    pub verbosity: u8,
    pub extra_vars: Map<String, Value>,
    pub become_: bool,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    pub become_password: Option<Secret>,
    /// -k: the ssh login password.
    pub conn_password: Option<Secret>,
    pub remote_user: Option<String>,
    pub connection: Option<String>,
    pub force_handlers: bool,
    /// ansible.cfg error_on_missing_handler: notifying no handler stops the run.
    pub error_on_missing_handler: bool,
    pub inventory_sources: Vec<PathBuf>,
    /// -T: seconds to wait for a connection.
    pub timeout: Option<u64>,
    pub private_key: Option<PathBuf>,
    pub host_key_checking: HostKeyChecking,
    /// ansible.cfg gathering: plays without gather_facts gather unless `explicit`.
    pub gather_by_default: bool,
    /// ansible.cfg any_errors_fatal: the default of plays and tasks.
    pub any_errors_fatal: bool,
    /// ansible.cfg host_pattern_mismatch: warning, error or ignore.
    pub host_pattern_mismatch: String,
    /// `hotplay resume`: the earlier run's outcomes to restore instead of running again.
    pub replay: Option<std::sync::Arc<super::resume::ReplayLog>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            check: false,
            diff: false,
            forks: 10,
            tags: Vec::new(),
            skip_tags: Vec::new(),
            limit: None,
            start_at_task: None,
            step: false,
            verbosity: 0,
            extra_vars: Map::new(),
            become_: false,
            become_user: None,
            become_method: None,
            become_password: None,
            conn_password: None,
            remote_user: None,
            connection: None,
            force_handlers: false,
            error_on_missing_handler: true,
            inventory_sources: Vec::new(),
            timeout: None,
            private_key: None,
            host_key_checking: HostKeyChecking::Strict,
            gather_by_default: true,
            any_errors_fatal: false,
            host_pattern_mismatch: "warning".into(),
            replay: None,
        }
    }
}
