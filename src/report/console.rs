//! The console output Ansible users know: PLAY/TASK banners, ok/changed/failed
//! lines and the PLAY RECAP; colour on a terminal, none when piped or NO_COLOR.

use crate::execute::events::{Event, HostResult, HostStats, Listener, Status};
use crate::parse::secrets::redact;
use crate::plan::template::{pyjson, yaml_dump};
use console::Style;
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::Mutex;

pub struct Console {
    verbosity: u8,
    colour: bool,
    settings: ConsoleSettings,
    out: Mutex<Box<dyn Write + Send>>,
    /// Includes of the current task not yet shown: (file, item, hosts). ansible-core
    /// names each file once with all its hosts, after the task's results.
    included: Mutex<Vec<(String, String, Vec<String>)>>,
    /// Warnings already shown: ansible-core shows each text once per run.
    warned: Mutex<std::collections::HashSet<String>>,
    /// Banner and warning width, as ansible-core's display: the terminal's less one, at
    /// least 79.
    columns: usize,
}

/// What ansible.cfg's display settings ask of the output.
#[derive(Clone, Debug)]
pub struct ConsoleSettings {
    /// Some: forced on or off (ANSIBLE_FORCE_COLOR, ANSIBLE_NOCOLOR); None: the terminal decides.
    pub colour: Option<bool>,
    pub show_skipped: bool,
    pub show_ok: bool,
    /// CALLBACK_RESULT_FORMAT = yaml.
    pub yaml: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            colour: None,
            show_skipped: true,
            show_ok: true,
            yaml: false,
        }
    }
}

/// ansible-core's display width: stdout's terminal columns less one, at least 79.
fn columns() -> usize {
    let term = console::Term::stdout();
    let cols = match term.is_term() {
        true => term.size_checked().map_or(0, |(_, c)| usize::from(c)),
        false => 0,
    };
    cols.saturating_sub(1).max(79)
}

impl Console {
    pub fn new(verbosity: u8, settings: ConsoleSettings) -> Console {
        Console {
            verbosity,
            colour: settings.colour.unwrap_or_else(console::colors_enabled),
            settings,
            out: Mutex::new(Box::new(std::io::stdout())),
            included: Mutex::new(Vec::new()),
            warned: Mutex::default(),
            columns: columns(),
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.colour {
            style.apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }

    fn line(&self, text: &str) {
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "{}", redact(text));
            let _ = o.flush();
        }
    }

    fn banner(&self, title: &str) {
        let stars = "*".repeat(self.columns.saturating_sub(title.chars().count()).max(3));
        self.line(&format!("\n{title} {stars}"));
    }

    fn host_label(r: &HostResult) -> String {
        match &r.delegated_to {
            Some(d) => format!("[{} -> {d}]", r.host),
            None => format!("[{}]", r.host),
        }
    }

    /// The result as shown: internal keys dropped, `changed` dropped for debug output.
    fn shown(r: &HostResult) -> Map<String, Value> {
        let mut m: Map<String, Value> = r
            .result
            .iter()
            .filter(|(k, _)| !k.starts_with("_ansible") && !k.starts_with("_hotplay"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Ansible shows a debug message alone (its _clean_results).
        if r.action == "debug" && m.contains_key("msg") {
            m.retain(|k, _| matches!(k.as_str(), "msg" | "warnings" | "deprecations"));
        } else if r.action == "debug" {
            for hidden in ["changed", "failed", "skipped", "invocation", "skip_reason"] {
                m.remove(hidden);
            }
        }
        m.remove("diff");
        if matches!(m.get("warnings"), Some(Value::Array(_))) {
            m.remove("warnings");
        }
        // ansible-core's clean_copy: the status is the line's word, not a key.
        m.remove("failed");
        m.remove("skipped");
        m
    }

    fn dump(&self, r: &HostResult) -> String {
        if self.settings.yaml {
            return Self::yaml(Self::shown(r));
        }
        let m = Value::Object(Self::shown(r));
        if r.verbose_always || self.verbosity >= 3 {
            pyjson::pretty(&m)
        } else {
            pyjson::compact(&m)
        }
    }

    /// The yaml result format: the lines of stdout/stderr omitted, indented by four.
    fn yaml(mut m: Map<String, Value>) -> String {
        for base in ["stdout", "stderr"] {
            let lines = format!("{base}_lines");
            if m.contains_key(base) && m.contains_key(&lines) {
                m.insert(lines, Value::String("<omitted>".into()));
            }
        }
        let text = yaml_dump::dump(
            &Value::Object(m),
            &yaml_dump::Options {
                indent: 4,
                width: 80,
                sort_keys: true,
                flow: Some(false),
                explicit_start: false,
                literal_multiline: true,
            },
        );
        let body: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
        format!("\n{}", body.join("\n"))
    }

    fn result(&self, r: &HostResult, is_item: bool) {
        let label = Self::host_label(r);
        let item = r
            .item
            .as_deref()
            .filter(|_| is_item)
            .map(|i| format!(" => (item={i})"))
            .unwrap_or_default();
        if let (Some(serde_json::Value::String(path)), Status::Ok) =
            (r.result.get("include"), r.status)
        {
            if let Ok(mut pending) = self.included.lock() {
                match pending.iter_mut().find(|(p, i, _)| p == path && *i == item) {
                    Some((_, _, hosts)) => hosts.push(r.host.clone()),
                    None => pending.push((path.clone(), item, vec![r.host.clone()])),
                }
            }
            return;
        }
        // A module's warnings come before its line (ansible-core's _handle_warnings).
        if let Some(Value::Array(ws)) = r.result.get("warnings") {
            for w in ws.iter().filter_map(Value::as_str) {
                self.warn(w);
            }
        }
        let show = r.verbose_always || self.verbosity > 0;
        let (green, yellow, red, cyan) = (
            Style::new().green(),
            Style::new().yellow(),
            Style::new().red(),
            Style::new().cyan(),
        );
        match r.status {
            Status::Ok if !self.settings.show_ok => {}
            Status::Skipped if !self.settings.show_skipped => {}
            Status::Ok | Status::Changed => {
                let (word, style) = if r.status == Status::Ok {
                    ("ok", green)
                } else {
                    ("changed", yellow)
                };
                let tail = if show {
                    format!(" => {}", self.dump(r))
                } else {
                    String::new()
                };
                self.line(&self.paint(style, &format!("{word}: {label}{item}{tail}")));
            }
            Status::Skipped => {
                let tail = if self.verbosity > 0 {
                    format!(" => {}", self.dump(r))
                } else {
                    String::new()
                };
                // ansible-core ends a skipped item's line with a space.
                let pad = if is_item { " " } else { "" };
                self.line(&self.paint(cyan, &format!("skipping: {label}{item}{pad}{tail}")));
            }
            Status::Failed => {
                let text = if is_item {
                    format!(
                        "failed: {label} (item={}) => {}",
                        r.item.clone().unwrap_or_default(),
                        self.dump(r)
                    )
                } else {
                    format!("fatal: {label}: FAILED! => {}", self.dump(r))
                };
                self.line(&self.paint(red, &text));
                if r.ignored && !is_item {
                    self.line(&self.paint(cyan, "...ignoring"));
                }
            }
            Status::Unreachable => {
                let text = format!("fatal: {label}: UNREACHABLE! => {}", self.dump(r));
                self.line(&self.paint(red, &text));
                if r.ignored {
                    self.line(&self.paint(cyan, "...ignoring"));
                }
            }
        }
    }

    fn recap(&self, hosts: &[(String, HostStats)]) {
        self.banner("PLAY RECAP");
        let mut sorted: Vec<&(String, HostStats)> = hosts.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (h, s) in sorted {
            let host_style = if s.failed > 0 || s.unreachable > 0 {
                Style::new().red()
            } else if s.changed > 0 {
                Style::new().yellow()
            } else {
                Style::new().green()
            };
            let field = |name: &str, n: u32, style: Style| {
                let text = format!("{name}={n:<4}");
                if n > 0 {
                    self.paint(style, &text)
                } else {
                    text
                }
            };
            let host = if self.colour {
                format!("{:<37}", self.paint(host_style, h))
            } else {
                format!("{h:<26}")
            };
            self.line(&format!(
                "{host} : {} {} {} {} {} {} {}",
                field("ok", s.ok, Style::new().green()),
                field("changed", s.changed, Style::new().yellow()),
                field("unreachable", s.unreachable, Style::new().red()),
                field("failed", s.failed, Style::new().red()),
                field("skipped", s.skipped, Style::new().cyan()),
                field("rescued", s.rescued, Style::new().magenta()),
                field("ignored", s.ignored, Style::new().magenta()),
            ));
        }
        self.line("");
    }
}

impl Console {
    /// `[WARNING]: ...` on stderr, each text once, wrapped as ansible-core wraps it.
    fn warn(&self, message: &str) {
        if let Ok(mut seen) = self.warned.lock()
            && !seen.insert(message.to_string())
        {
            return;
        }
        // Redacted before it is wrapped: a secret split over two lines would escape.
        let raw = format!("[WARNING]: {message}");
        let text = super::wrap::wrap(&redact(&raw), self.columns).join("\n");
        eprintln!("{}", self.paint(Style::new().magenta().bright(), &text));
    }

    fn show_included(&self) {
        let pending = match self.included.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return,
        };
        for (path, item, hosts) in pending {
            self.line(&format!("included: {path} for {}{item}", hosts.join(", ")));
        }
    }
}

/// A host's result within the current task (the include lines wait for the task's end).
fn is_result(e: &Event) -> bool {
    matches!(e, Event::ItemResult(_) | Event::HostResult(_))
}

impl Listener for Console {
    fn event(&self, e: &Event) {
        if !is_result(e) {
            self.show_included();
        }
        match e {
            Event::PlaybookStart { .. } => {}
            Event::PlayStart { name, .. } => self.banner(&format!("PLAY [{name}]")),
            Event::NoHostsMatched { .. } => {
                self.line(&self.paint(Style::new().cyan(), "skipping: no hosts matched"))
            }
            Event::TaskStart {
                name,
                handler,
                path,
                ..
            } => {
                let kind = if *handler { "RUNNING HANDLER" } else { "TASK" };
                self.banner(&format!("{kind} [{name}]"));
                if self.verbosity >= 2 {
                    self.line(&format!("task path: {path}"));
                }
            }
            Event::ItemResult(r) => self.result(r, true),
            Event::HostResult(r) => {
                // A loop's own line: items were shown; only "all skipped" gets one.
                if r.item.is_some() && r.status != Status::Skipped {
                    if r.status == Status::Failed && r.ignored {
                        self.line(&self.paint(Style::new().cyan(), "...ignoring"));
                    }
                    return;
                }
                self.result(r, false)
            }
            Event::Retry {
                host,
                task,
                retries_left,
                ..
            } => {
                self.line(&self.paint(
                    Style::new().red(),
                    &format!("FAILED - RETRYING: [{host}]: {task} ({retries_left} retries left)."),
                ));
            }
            Event::Diff { diff, .. } => self.line(diff.strip_suffix('\n').unwrap_or(diff)),
            Event::Warning { message } => self.warn(message),
            // ansible-core 2.17 announces it twice (once per check that trips).
            Event::NoMoreHosts => {
                self.banner("NO MORE HOSTS LEFT");
                self.banner("NO MORE HOSTS LEFT");
            }
            // Live lines are the progress reporter's (report::progress).
            Event::TaskDone(_) | Event::Progress { .. } => {}
            Event::Replayed { host, status } => {
                let word = match status {
                    Status::Changed => "changed",
                    Status::Skipped => "skipping",
                    Status::Failed => "failed",
                    _ => "ok",
                };
                self.line(&self.paint(
                    Style::new().dim(),
                    &format!(
                        "{word}: [{host}] (done in the resumed run: restored from its journal)"
                    ),
                ));
            }
            Event::Recap { hosts } => self.recap(hosts),
        }
    }
}
