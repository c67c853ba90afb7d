//! `--format json`: one JSON event per line on stdout.

use crate::execute::events::{Event, Listener};
use std::io::Write;
use std::sync::Mutex;

pub struct JsonLines {
    out: Mutex<std::io::Stdout>,
}

impl JsonLines {
    pub fn new() -> JsonLines {
        JsonLines {
            out: Mutex::new(std::io::stdout()),
        }
    }
}

impl Default for JsonLines {
    fn default() -> Self {
        JsonLines::new()
    }
}

impl Listener for JsonLines {
    fn event(&self, e: &Event) {
        // Kept for the journal only: a whole task output per host.
        if matches!(e, Event::TaskDone(_)) {
            return;
        }
        let Ok(line) = serde_json::to_string(e) else {
            return;
        };
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "{}", crate::parse::secrets::redact(&line));
            let _ = o.flush();
        }
    }
}
