//! After the recap, on stderr: every failure of the run with its host, task, step IDs,
//! place, command, rc, message and the end of stderr — what an operator reads first when
//! an upgrade stopped or rolled back. Standard output stays as ansible-playbook's.

use crate::execute::events::{Event, HostResult, Listener, Status};
use crate::parse::secrets::redact;
use console::Style;
use serde_json::{Map, Value};
use std::sync::Mutex;

const STDERR_LINES: usize = 6;
const LINE_CHARS: usize = 300;

#[derive(Default)]
pub struct FailureSummary {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    task: String,
    path: String,
    steps: Vec<String>,
    /// The first failed loop item per host in the current task.
    items: Vec<(String, Map<String, Value>)>,
    /// (host, what failed).
    failures: Vec<(String, String)>,
}

impl FailureSummary {
    pub fn new() -> FailureSummary {
        FailureSummary::default()
    }
}

impl Listener for FailureSummary {
    fn event(&self, e: &Event) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        match e {
            Event::TaskStart {
                name,
                path,
                step_ids,
                handler,
            } => {
                s.task = if *handler {
                    format!("RUNNING HANDLER [{name}]")
                } else {
                    format!("TASK [{name}]")
                };
                s.path = path.clone();
                s.steps = step_ids.clone();
                s.items.clear();
            }
            Event::ItemResult(r)
                if r.status == Status::Failed
                    && !r.ignored
                    && !s.items.iter().any(|(h, _)| *h == r.host) =>
            {
                s.items.push((r.host.clone(), r.result.clone()));
            }
            Event::HostResult(r)
                if matches!(r.status, Status::Failed | Status::Unreachable) && !r.ignored =>
            {
                let text = describe(&s, r);
                s.failures.push((r.host.clone(), text));
            }
            Event::Recap { hosts } if !s.failures.is_empty() => {
                let title = format!("FAILURES ({})", s.failures.len());
                let stars = "*".repeat(79usize.saturating_sub(title.len()).max(3));
                let red = Style::new().red().bold().for_stderr();
                eprintln!("\n{}", red.apply_to(format!("{title} {stars}")));
                for (host, text) in &s.failures {
                    // A host that ended without a failure had each one rescued.
                    let rescued = hosts
                        .iter()
                        .any(|(h, st)| h == host && st.failed == 0 && st.unreachable == 0);
                    let note = if rescued {
                        "\n  (rescued: the block's rescue ran and the host went on)"
                    } else {
                        ""
                    };
                    eprintln!("{}{note}", redact(text));
                }
                s.failures.clear();
            }
            _ => {}
        }
    }
}

fn describe(s: &State, r: &HostResult) -> String {
    let host = match &r.delegated_to {
        Some(d) => format!("{} -> {d}", r.host),
        None => r.host.clone(),
    };
    let mut head = format!("[{host}] {}", s.task);
    if !s.steps.is_empty() {
        head.push_str(&format!(" (step {})", s.steps.join(", ")));
    }
    if !s.path.is_empty() {
        head.push_str(&format!(" at {}", s.path));
    }
    if r.status == Status::Unreachable {
        head.push_str(" UNREACHABLE");
    }
    let mut out = vec![head];
    // A loop: its first failed item says what went wrong.
    let failed_item = s.items.iter().find(|(h, _)| *h == r.host).map(|(_, m)| m);
    let result = failed_item.unwrap_or(&r.result);
    if let Some(item) = failed_item.and_then(|i| i.get("item")) {
        out.push(format!("  item: {}", short(&plain(item))));
    }
    out.extend(fields(result));
    out.join("\n")
}

fn fields(m: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    if m.get("censored").is_some() {
        out.push("  (output hidden by no_log)".to_string());
        return out;
    }
    if let Some(cmd) = m.get("cmd") {
        let cmd = match cmd {
            Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(" "),
            v => plain(v),
        };
        out.push(format!("  command: {}", short(&cmd)));
    }
    if let Some(rc) = m.get("rc") {
        out.push(format!("  rc: {rc}"));
    }
    if let Some(msg) = m.get("msg") {
        for (i, line) in plain(msg).lines().enumerate() {
            let lead = if i == 0 { "  msg: " } else { "       " };
            out.push(format!("{lead}{}", short(line)));
        }
    }
    if let Some(err) = m.get("stderr").map(plain).filter(|e| !e.trim().is_empty()) {
        let lines: Vec<&str> = err.lines().collect();
        let from = lines.len().saturating_sub(STDERR_LINES);
        if from > 0 {
            out.push(format!(
                "  stderr (last {STDERR_LINES} of {} lines):",
                lines.len()
            ));
        } else {
            out.push("  stderr:".to_string());
        }
        out.extend(lines[from..].iter().map(|l| format!("    {}", short(l))));
    }
    out
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= LINE_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(LINE_CHARS).collect();
    format!("{cut}...")
}
