//! hotdb-sim: a faithful simulator of HotDB Server's components (compute node, management
//! platform, backup, listener), their vendor-named packages and their config DB scripts, so
//! the bundled upgrade playbooks can be proven on the lab. Behaviour and deliberate
//! differences from the real product: lab/README.md.

pub mod backup;
pub mod catalog;
pub mod cli;
pub mod configdb;
pub mod daemon;
pub mod http;
pub mod license;
pub mod listener;
pub mod log;
pub mod management;
pub mod node;
pub mod package;
pub mod settings;
pub mod signal;
pub mod sql;
pub mod wire;
