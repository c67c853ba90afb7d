//! Parse layer: YAML with positions, playbooks, inventories. Knows nothing of execution.

pub mod diag;
pub mod inventory;
pub mod secrets;
pub mod shell;
pub mod source;
pub mod vault;
pub mod yaml;

pub use diag::{Diag, DiagResult};
pub use source::Span;
pub use yaml::{Kind, Node};
