//! hotplay: an Ansible-style playbook interpreter. Layers call only downward:
//! parse -> plan -> execute -> report; `cli` ties them together.

pub mod cli;
pub mod execute;
#[path = "../modules/mod.rs"]
pub mod modules;
pub mod parse;
pub mod plan;
pub mod report;
