//! Config DB SQL: the schema and upgrade scripts each package carries, and the statement
//! splitter that runs them the way the `mysql` client does (`DELIMITER` included).

pub mod scripts;
pub mod split;

pub use scripts::{Database, install_script, upgrade_script, upgrade_script_name};
pub use split::split_statements;
