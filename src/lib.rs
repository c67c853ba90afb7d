//! hotplay: an Ansible-style playbook interpreter. Layers call only downward:
//! parse -> plan -> execute -> report; `cli` ties them together.

pub mod parse;
