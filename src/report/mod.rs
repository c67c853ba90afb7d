//! Report layer: hears execution through events and writes the console output
//! or JSON lines.

pub mod console;
pub mod json;
