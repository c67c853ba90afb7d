//! The module contract: an argument spec with docs, and `run`, which queries the
//! host, decides, and acts only outside check mode. Modules reach the host and the
//! controller only through the `Handle`.

use super::connection::{Become, ConnError, Connection, ExecOutput, ExecRequest, Stdin};
use super::events::Progress;
use super::progress::{Pace, ProgressSink};
use crate::plan::template::Templar;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub type VarMap = Map<String, Value>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Str,
    Bool,
    Int,
    Float,
    Path,
    /// A list; a comma-separated string is split, as Ansible does.
    List,
    Dict,
    /// A file mode: octal string (`"0644"`, `"u+x"`) or an integer.
    Mode,
    /// Anything, kept as given.
    Raw,
}

#[derive(Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub ty: ArgType,
    pub required: bool,
    /// Default as YAML-ish text (`"yes"`, `"10"`); None: absent when not given.
    pub default: Option<&'static str>,
    pub choices: &'static [&'static str],
    pub aliases: &'static [&'static str],
    /// Never shown in output, logs or the journal.
    pub secret: bool,
    pub doc: &'static str,
}

impl ArgSpec {
    pub const fn new(name: &'static str, ty: ArgType, doc: &'static str) -> ArgSpec {
        ArgSpec {
            name,
            ty,
            required: false,
            default: None,
            choices: &[],
            aliases: &[],
            secret: false,
            doc,
        }
    }
    pub const fn required(mut self) -> ArgSpec {
        self.required = true;
        self
    }
    pub const fn default(mut self, d: &'static str) -> ArgSpec {
        self.default = Some(d);
        self
    }
    pub const fn choices(mut self, c: &'static [&'static str]) -> ArgSpec {
        self.choices = c;
        self
    }
    pub const fn aliases(mut self, a: &'static [&'static str]) -> ArgSpec {
        self.aliases = a;
        self
    }
    pub const fn secret(mut self) -> ArgSpec {
        self.secret = true;
        self
    }
}

/// How a module takes a free-form string (`shell: echo hi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeForm {
    /// No free form: `k=v` pairs only.
    No,
    /// The string is the command (`_raw_params`); only the listed `k=v` words are arguments.
    Command,
    /// Free form is the module's main argument (e.g. `debug: msg=...` or `fail: msg`); `k=v` parsed.
    KeyValue,
}

#[derive(Debug)]
pub struct ModuleDoc {
    pub name: &'static str,
    pub short: &'static str,
    pub description: &'static str,
    pub args: &'static [ArgSpec],
    pub free_form: FreeForm,
    /// How the module behaves under --check.
    pub check_mode: &'static str,
    pub returns: &'static str,
    pub examples: &'static str,
}

impl ModuleDoc {
    pub fn arg(&self, name: &str) -> Option<&ArgSpec> {
        self.args
            .iter()
            .find(|a| a.name == name || a.aliases.contains(&name))
    }

    /// Every accepted argument name, aliases included (for "did you mean").
    pub fn arg_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.args
            .iter()
            .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
    }

    /// The text `hotplay doc MODULE` prints.
    pub fn render(&self) -> String {
        let mut s = format!(
            "> {} — {}\n\n{}\n\nARGUMENTS\n",
            self.name,
            self.short,
            self.description.trim()
        );
        for a in self.args {
            let mut flags = Vec::new();
            if a.required {
                flags.push("required".to_string());
            }
            if let Some(d) = a.default {
                flags.push(format!("default: {d}"));
            }
            if !a.choices.is_empty() {
                flags.push(format!("choices: {}", a.choices.join(", ")));
            }
            if !a.aliases.is_empty() {
                flags.push(format!("aliases: {}", a.aliases.join(", ")));
            }
            let ty = format!("{:?}", a.ty).to_lowercase();
            s.push_str(&format!(
                "  {} ({ty}{}{})\n      {}\n",
                a.name,
                if flags.is_empty() { "" } else { "; " },
                flags.join("; "),
                a.doc
            ));
        }
        s.push_str(&format!("\nCHECK MODE\n  {}\n", self.check_mode.trim()));
        if !self.returns.is_empty() {
            s.push_str(&format!("\nRETURNS\n{}\n", indent(self.returns.trim())));
        }
        if !self.examples.is_empty() {
            s.push_str(&format!("\nEXAMPLES\n{}\n", indent(self.examples.trim())));
        }
        s
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validated arguments, typed by the spec, defaults applied.
#[derive(Clone, Debug, Default)]
pub struct Args {
    pub values: VarMap,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_string)
    }
    pub fn bool(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    pub fn float(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }
    pub fn list(&self, name: &str) -> Vec<Value> {
        self.get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
    pub fn str_list(&self, name: &str) -> Vec<String> {
        self.list(name)
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// What a module reports.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    /// Module-specific return values (rc, stdout, path, ...).
    pub data: VarMap,
    pub diff: Vec<Diff>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Diff {
    pub before_header: String,
    pub after_header: String,
    pub before: String,
    pub after: String,
}

impl Outcome {
    pub fn ok() -> Outcome {
        Outcome::default()
    }
    pub fn changed(changed: bool) -> Outcome {
        Outcome {
            changed,
            ..Default::default()
        }
    }
    pub fn failed(msg: impl Into<String>) -> Outcome {
        Outcome {
            failed: true,
            msg: Some(msg.into()),
            ..Default::default()
        }
    }
    pub fn skipped(msg: impl Into<String>) -> Outcome {
        Outcome {
            skipped: true,
            msg: Some(msg.into()),
            ..Default::default()
        }
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.data.insert(key.to_string(), value.into());
        self
    }
    pub fn msg(mut self, msg: impl Into<String>) -> Outcome {
        self.msg = Some(msg.into());
        self
    }

    /// The registered result, as Ansible shapes it.
    pub fn to_json(&self) -> VarMap {
        let mut m = VarMap::new();
        m.insert("changed".into(), Value::Bool(self.changed));
        for (k, v) in &self.data {
            m.insert(k.clone(), v.clone());
        }
        if let Some(msg) = &self.msg {
            m.insert("msg".into(), Value::String(msg.clone()));
        }
        if self.failed {
            m.insert("failed".into(), Value::Bool(true));
        }
        if self.skipped {
            m.insert("skipped".into(), Value::Bool(true));
        }
        if !self.diff.is_empty() {
            let d: Vec<Value> = self
                .diff
                .iter()
                .filter_map(|d| serde_json::to_value(d).ok())
                .collect();
            m.insert("diff".into(), Value::Array(d));
        }
        if !self.warnings.is_empty() {
            m.insert("warnings".into(), Value::from(self.warnings.clone()));
        }
        m
    }
}

/// The one thing a module talks through: the host, the controller's files, the templar.
pub struct Handle<'a> {
    pub host: &'a str,
    pub conn: &'a dyn Connection,
    pub check_mode: bool,
    pub diff: bool,
    /// The -v count, for `debug: verbosity`.
    pub verbosity: u8,
    pub become_: Option<Become>,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    /// The task's variables, for modules that template (template, debug, assert).
    pub vars: &'a minijinja::Value,
    pub templar: &'a Templar,
    /// Controller directories searched for `src` files: role dir first, then the playbook's.
    pub search_paths: &'a [PathBuf],
    /// Connections to the other inventory hosts, for modules that say `uses_peers`
    /// (empty otherwise). Commands on them run without the task's become or environment.
    pub peers: &'a Peers,
    /// Where long work (waits, transfers) reports how far it got.
    pub progress: &'a ProgressSink<'a>,
}

/// Other hosts' connections by inventory name.
pub type Peers = std::collections::HashMap<String, std::sync::Arc<dyn Connection>>;

impl Handle<'_> {
    /// Runs a script on the host with the task's become_, environment and timeout.
    pub async fn run(&self, script: impl Into<String>) -> Result<ExecOutput, ConnError> {
        self.run_with_stdin(script, Stdin::None).await
    }

    /// Runs a script fed `stdin`; a controller file on its way reports bytes sent.
    pub async fn run_with_stdin(
        &self,
        script: impl Into<String>,
        stdin: Stdin,
    ) -> Result<ExecOutput, ConnError> {
        let total = match &stdin {
            Stdin::File(p) => std::fs::metadata(p).map(|m| m.len()).ok(),
            _ => None,
        };
        let sent = total.map(|_| std::sync::Arc::new(AtomicU64::new(0)));
        let exec = self.conn.exec(ExecRequest {
            script: script.into(),
            stdin,
            env: self.env.clone(),
            become_: self.become_.clone(),
            timeout: self.timeout,
            sent: sent.clone(),
        });
        let (Some(total), Some(sent)) = (total, sent) else {
            return exec.await;
        };
        let pace = Pace {
            first: Duration::from_millis(500),
            every: Duration::from_millis(500),
        };
        // The rate is over the sending time: the check on arrival is not part of it.
        let rate = std::sync::Mutex::new(0u64);
        self.progress
            .track_specific(exec, pace, |elapsed| {
                let done = sent.load(Ordering::Relaxed);
                let mut r = rate.lock().ok()?;
                if done < total || *r == 0 {
                    *r = (done as f64 / elapsed.as_secs_f64().max(0.001)) as u64;
                }
                Some(Progress::Transfer {
                    sent: done,
                    total,
                    bytes_per_sec: *r,
                })
            })
            .await
    }

    /// Runs `work`, a wait for `what` (e.g. "port 3306 to start"), reporting its
    /// elapsed time against `timeout` while it lasts.
    pub async fn waiting<F: std::future::Future>(
        &self,
        what: impl Into<String>,
        timeout: Option<Duration>,
        work: F,
    ) -> F::Output {
        let what = what.into();
        self.progress
            .track_specific(work, Pace::SECOND, |elapsed| {
                Some(Progress::Wait {
                    what: what.clone(),
                    elapsed_s: elapsed.as_secs(),
                    timeout_s: timeout.map(|t| t.as_secs()),
                })
            })
            .await
    }

    /// Finds a controller file: absolute, or under `<dir>/<kind>/` or `<dir>/` of each search path.
    pub fn find_file(&self, kind: &str, name: &str) -> Option<PathBuf> {
        let p = std::path::Path::new(name);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        self.search_paths
            .iter()
            .flat_map(|d| [d.join(kind).join(name), d.join(name)])
            .find(|c| c.exists())
    }
}

#[async_trait]
pub trait Module: Send + Sync {
    fn doc(&self) -> &'static ModuleDoc;
    /// Runs once for the whole batch, like Ansible's BYPASS_HOST_LOOP (pause).
    fn once_per_batch(&self) -> bool {
        false
    }
    /// Needs the connections of other inventory hosts (Handle::peers).
    fn uses_peers(&self) -> bool {
        false
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::connection::local::Local;
    use crate::execute::events::{Event, Listener};
    use std::sync::Mutex;

    #[derive(Default)]
    struct Heard(Mutex<Vec<Progress>>);
    impl Listener for Heard {
        fn event(&self, e: &Event) {
            if let Event::Progress { progress, .. } = e {
                self.0.lock().unwrap().push(progress.clone());
            }
        }
    }

    #[tokio::test]
    async fn a_controller_file_on_its_way_reports_bytes_sent() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pkg.bin");
        std::fs::write(&file, vec![7u8; 4 << 20]).unwrap();
        let heard = Heard::default();
        let sink = ProgressSink::new(&heard, "h1", "copy", false);
        let (templar, vars, peers) = (Templar::new(), minijinja::Value::UNDEFINED, Peers::new());
        let h = Handle {
            host: "h1",
            conn: &Local,
            check_mode: false,
            diff: false,
            verbosity: 0,
            become_: None,
            env: Vec::new(),
            timeout: None,
            vars: &vars,
            templar: &templar,
            search_paths: &[],
            peers: &peers,
            progress: &sink,
        };
        // The reader waits first: the pipe fills and the transfer stalls part way.
        let out = h
            .run_with_stdin("sleep 1.3; wc -c", Stdin::File(file))
            .await
            .unwrap();
        assert_eq!(out.stdout_text().trim(), (4 << 20).to_string());
        let got = heard.0.lock().unwrap().clone();
        let partial = got.iter().any(|p| {
            matches!(p, Progress::Transfer { sent, total, .. } if *sent > 0 && *sent < *total && *total == 4 << 20)
        });
        assert!(partial, "{got:?}");
    }
}
