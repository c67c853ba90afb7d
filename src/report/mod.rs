//! Report layer: hears execution through events and writes the console output,
//! JSON lines and the run journal.

pub mod console;
pub mod failures;
pub mod journal;
pub mod json;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod wrap;
