//! service: start, stop, restart or reload a service (systemd, SysV `service`, or a
//! vendor script such as bin/hotdb_server), knowing whether it runs, then waiting
//! until it really is up or down: ports, a log line, with TERM/KILL escalation when
//! a stop hangs. Query, decide, act: the query is one round trip, the act another.

use super::wait_for_port::{Want, port_checks, wanted};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct Service;

static DOC: ModuleDoc = ModuleDoc {
    name: "service",
    short: "Start, stop, restart or reload a service, and wait until it really is",
    description: "Manages a service through systemd, SysV `service`, or a vendor `script` run as `sh SCRIPT VERB [start_args]` (`bin/hotdb_server start`, `bin/hotdb_backup start -h IP -p PORT`).
Whether it runs is read, in this order, from `pid_file` (a live pid), `process` (a `pgrep -f` pattern), the manager's status (`systemctl is-active`, `service NAME status`, `sh SCRIPT status` exit code 0), or, with none of those, the first `ports` entry.
After a change it waits (up to `timeout` seconds) until: the service runs (or not), every `ports` entry is in its state (a number means open after a start and closed after a stop; `{port: N, state: stopped}` says otherwise, e.g. a backup node's service port), and, after a start, `log_regex` matches a line written to `log_file` after the action.
A stop that leaves the process running after `stop_timeout` seconds is escalated: TERM to its pids (from pid_file or process), then KILL after `kill_after` seconds, with a warning.
`state` omitted: only reports (`running`).",
    args: &[
        ArgSpec::new("name", ArgType::Str, "A systemd or SysV service name."),
        ArgSpec::new("script", ArgType::Path, "A vendor start/stop script on the target."),
        ArgSpec::new("start_args", ArgType::Raw, "Words after `start` (a string or a list)."),
        ArgSpec::new("state", ArgType::Str, "What it should be.")
            .choices(&["started", "stopped", "restarted", "reloaded"]),
        ArgSpec::new("manager", ArgType::Str, "How to drive it (auto: script if given, else systemd, else SysV).")
            .choices(&["auto", "systemd", "sysv", "script"])
            .default("auto"),
        ArgSpec::new("pid_file", ArgType::Path, "A pid file that names the running process."),
        ArgSpec::new("process", ArgType::Str, "A `pgrep -f` pattern for the process."),
        ArgSpec::new("ports", ArgType::List, "Ports to wait for after the change."),
        ArgSpec::new("host", ArgType::Str, "The address the ports are probed on (as the target sees it).")
            .default("127.0.0.1"),
        ArgSpec::new("log_file", ArgType::Path, "A log to watch after a start."),
        ArgSpec::new("log_regex", ArgType::Str, "An extended regex a new line of log_file must match."),
        ArgSpec::new("timeout", ArgType::Int, "Seconds to wait for the result.").default("120"),
        ArgSpec::new("stop_timeout", ArgType::Int, "Seconds a stop may take before TERM.")
            .default("60"),
        ArgSpec::new("kill_after", ArgType::Int, "Seconds between TERM and KILL.").default("10"),
        ArgSpec::new("chdir", ArgType::Path, "Where the script runs (default: its install home, the directory above bin/)."),
    ],
    free_form: FreeForm::No,
    check_mode: "Reads whether it runs and reports what it would do; changes nothing.",
    returns: "running (after), was_running, action (the verb run, if any), pids, escalated (a stop needed TERM/KILL), elapsed, output (the script's stdout)",
    examples: "# C-STOP: stop the compute node and make sure its ports are closed.
- service:
    script: /usr/local/hotdb/hotdb-server/bin/hotdb_server
    state: stopped
    pid_file: /usr/local/hotdb/hotdb-server/run/hotdb-server.pid
    ports: [3323, 3325]
# C-START of a backup compute node: management port open, service port closed.
- service:
    script: /usr/local/hotdb/hotdb-server/bin/hotdb_server
    state: started
    pid_file: /usr/local/hotdb/hotdb-server/run/hotdb-server.pid
    ports: [{port: 3325}, {port: 3323, state: stopped}]
    log_file: /usr/local/hotdb/hotdb-server/logs/hotdb.log
    log_regex: HotDB-Manager listening on 3325
- service: name=keepalived state=stopped",
};

/// Shell function `alive PID`: the process exists and is no zombie (a process nobody
/// reaped, as under an init that never waits, has stopped for every purpose).
pub(super) const ALIVE: &str = "alive() { kill -0 \"$1\" 2>/dev/null && [ \"$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null)\" != Z ]; }\n";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Manager {
    Systemd,
    Sysv,
    Script,
}

/// The shell pieces that drive and observe one service.
struct Plan {
    /// Defines `running` (exit 0 when it runs), `pids` (prints its pids) and `verb VERB`.
    functions: String,
}

fn plan(args: &Args, manager: Manager) -> Result<Plan, String> {
    let mut f = String::new();
    let pid_file = args.str("pid_file").map(quote);
    let process = args.str("process").map(quote);
    match manager {
        Manager::Script => {
            let script = args.str("script").ok_or("manager script needs `script`")?;
            let home = match args.str("chdir") {
                Some(d) => quote(d),
                None => format!("\"$(dirname \"$(dirname {})\")\"", quote(script)),
            };
            let start_args: Vec<String> = match args.get("start_args") {
                None => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect(),
                Some(Value::String(s)) => crate::parse::shell::shell_words(s)?,
                Some(other) => vec![other.to_string()],
            };
            let extra: Vec<String> = start_args.iter().map(|w| quote(w)).collect();
            f.push_str(&format!(
                "verb() {{ ( cd {home} && if [ \"$1\" = start ]; then exec sh {s} start {extra}; else exec sh {s} \"$1\"; fi ) ; }}\n\
                 status_verb() {{ ( cd {home} && sh {s} status ) >/dev/null 2>&1; }}\n",
                s = quote(script),
                extra = extra.join(" ")
            ));
        }
        Manager::Systemd => {
            let name = quote(args.str("name").ok_or("manager systemd needs `name`")?);
            f.push_str(&format!(
                "verb() {{ case $1 in reload) systemctl reload {name} ;; *) systemctl \"$1\" {name} ;; esac; }}\n\
                 status_verb() {{ systemctl is-active --quiet {name}; }}\n"
            ));
        }
        Manager::Sysv => {
            let name = quote(args.str("name").ok_or("manager sysv needs `name`")?);
            f.push_str(&format!(
                "verb() {{ service {name} \"$1\"; }}\n\
                 status_verb() {{ service {name} status >/dev/null 2>&1; }}\n"
            ));
        }
    }
    // pids: from the pid file when it names a live process, else from the pattern.
    f.push_str(ALIVE);
    f.push_str("pids() {\n");
    if let Some(p) = &pid_file {
        f.push_str(&format!(
            "  if [ -r {p} ]; then p=$(tr -dc 0-9 < {p}); if [ -n \"$p\" ] && alive \"$p\"; then echo \"$p\"; return; fi; fi\n"
        ));
    }
    if let Some(pat) = &process {
        f.push_str(&format!("  pgrep -f -- {pat} | grep -vx \"$$\" || true\n"));
    }
    f.push_str("  :\n}\n");
    let running = if pid_file.is_some() || process.is_some() {
        "[ -n \"$(pids)\" ]".to_string()
    } else {
        "status_verb".to_string()
    };
    f.push_str(&format!("running() {{ {running}; }}\n"));
    Ok(Plan { functions: f })
}

fn choose_manager(args: &Args, has_systemd: bool) -> Result<Manager, String> {
    Ok(match args.str("manager").unwrap_or("auto") {
        "script" => Manager::Script,
        "systemd" => Manager::Systemd,
        "sysv" => Manager::Sysv,
        _ if args.has("script") => Manager::Script,
        _ if !args.has("name") => return Err("give `name` or `script`".into()),
        _ if has_systemd => Manager::Systemd,
        _ => Manager::Sysv,
    })
}

/// The ports to wait for after `action` (numbers take the action's state).
fn port_wants(args: &Args, after_start: bool) -> Result<Vec<Want>, String> {
    if !args.has("ports") {
        return Ok(Vec::new());
    }
    let mut values = Map::new();
    values.insert(
        "ports".into(),
        args.get("ports").cloned().unwrap_or_default(),
    );
    values.insert(
        "host".into(),
        Value::String(args.str("host").unwrap_or("127.0.0.1").into()),
    );
    values.insert(
        "state".into(),
        Value::String(if after_start { "started" } else { "stopped" }.into()),
    );
    let mut w = wanted(&Args { values })?;
    if !after_start {
        // After a stop every port must close, whatever it does while running.
        for x in &mut w {
            x.state = "stopped".into();
        }
    }
    Ok(w)
}

/// The act: run the verb, then wait for the result, in one script.
fn act_script(plan: &Plan, args: &Args, action: &str, after_start: bool) -> Result<String, String> {
    let timeout = args.int("timeout").unwrap_or(120).max(1);
    let stop_timeout = args.int("stop_timeout").unwrap_or(60).max(1);
    let kill_after = args.int("kill_after").unwrap_or(10).max(1);
    let wants = port_wants(args, after_start)?;
    let mut s = plan.functions.clone();
    s.push_str(&port_checks(&wants, 3, None));
    let port_ok: Vec<String> = (0..wants.len()).map(|i| format!("c{i}")).collect();
    let log = match (args.str("log_file"), args.str("log_regex")) {
        (Some(f), Some(re)) if after_start => Some((quote(f), quote(re))),
        (None, Some(_)) | (Some(_), None) if after_start => {
            return Err("log_file and log_regex go together".into());
        }
        _ => None,
    };
    if let Some((f, _)) = &log {
        s.push_str(&format!("size0=$(wc -c < {f} 2>/dev/null || echo 0)\n"));
    }
    s.push_str("s0=$(date +%s); escalated=\n");
    let stopping = action == "stop" || action == "restart";
    if stopping {
        // A stop that hangs is cut at stop_timeout, then the process is TERMed and KILLed.
        s.push_str(&format!(
            "pre=$(pids)\n\
             if [ -n \"$pre\" ] || running; then\n\
               out=$(mktemp \"${{TMPDIR:-/tmp}}/.hotplay-svc.XXXXXX\")\n\
               ( verb stop ) > \"$out\" 2>&1 < /dev/null & vp=$!\n\
               n=0; while kill -0 $vp 2>/dev/null && [ $n -lt {stop_timeout} ]; do sleep 1; n=$((n+1)); done\n\
               if kill -0 $vp 2>/dev/null; then pkill -P $vp 2>/dev/null; kill $vp 2>/dev/null; fi\n\
               wait $vp 2>/dev/null; cat \"$out\"; rm -f \"$out\"\n\
               n=0; while running && [ $n -lt {stop_timeout} ]; do sleep 1; n=$((n+1)); done\n\
               if running; then\n\
                 p=$(pids); [ -n \"$p\" ] || p=$pre\n\
                 if [ -n \"$p\" ]; then escalated=TERM; kill -TERM $p 2>/dev/null\n\
                   n=0; while running && [ $n -lt {kill_after} ]; do sleep 1; n=$((n+1)); done\n\
                   if running; then escalated=KILL; kill -KILL $p 2>/dev/null; sleep 1; fi\n\
                 fi\n\
               fi\n\
             fi\n"
        ));
    }
    // The verb's output goes through a file: a daemon it starts must not hold our pipe.
    let run_verb = |v: &str| {
        format!(
            "out=$(mktemp \"${{TMPDIR:-/tmp}}/.hotplay-svc.XXXXXX\")\n\
             verb {v} > \"$out\" 2>&1 < /dev/null; rc=$?\n\
             cat \"$out\"; rm -f \"$out\"\n\
             if [ $rc -ne 0 ]; then echo \"@@failed 0  the {v} command exited with $rc\"; exit 0; fi\n"
        )
    };
    match action {
        "start" | "restart" => s.push_str(&run_verb("start")),
        "reload" => s.push_str(&run_verb("reload")),
        _ => {}
    }
    let mut conditions = vec![if after_start { "running" } else { "! running" }.to_string()];
    conditions.extend(port_ok);
    if let Some((f, re)) = &log {
        conditions.push(format!(
            "tail -c +$((size0 + 1)) {f} 2>/dev/null | grep -qE -e {re}"
        ));
    }
    s.push_str(&format!(
        "end=$((s0 + {timeout}))\n\
         while :; do\n\
           if {}; then echo \"@@ok $(( $(date +%s) - s0 )) $escalated\"; exit 0; fi\n\
           [ \"$(date +%s)\" -lt \"$end\" ] || break\n\
           sleep 1\n\
         done\n\
         why=\n\
         {}\n\
         echo \"@@timeout $(( $(date +%s) - s0 )) $escalated $why\"\n",
        conditions.join(" && "),
        wait_reasons(after_start, &wants, log.as_ref())
    ));
    Ok(s)
}

/// Shell lines that collect, after a timeout, which conditions still fail into `$why`.
fn wait_reasons(after_start: bool, wants: &[Want], log: Option<&(String, String)>) -> String {
    let mut lines = vec![if after_start {
        "running || why=\"$why;it is not running\"".to_string()
    } else {
        "running && why=\"$why;it is still running\"".to_string()
    }];
    for (i, w) in wants.iter().enumerate() {
        lines.push(format!(
            "c{i} || why=\"$why;port {} is not {}\"",
            w.port, w.state
        ));
    }
    if let Some((f, re)) = log {
        lines.push(format!(
            "tail -c +$((size0 + 1)) {f} 2>/dev/null | grep -qE -e {re} || why=\"$why;no new line of the log matches\""
        ));
    }
    lines.join("\n")
}

#[async_trait]
impl Module for Service {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        if args.has("name") && args.has("script") {
            return Ok(Outcome::failed("give `name` or `script`, not both"));
        }
        // Query: which manager exists, and does it run (one round trip).
        let probe = h
            .run("command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] && echo systemd")
            .await?;
        let manager = match choose_manager(args, probe.stdout_text().trim() == "systemd") {
            Ok(m) => m,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let plan = match plan(args, manager) {
            Ok(p) => p,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let q = h
            .run(format!(
                "{}if running; then echo \"running $(pids | tr '\\n' ' ')\"; else echo stopped; fi",
                plan.functions
            ))
            .await?;
        if q.rc != 0 {
            return Ok(Outcome::failed(format!(
                "cannot tell whether it runs: {}",
                q.stderr_text().trim()
            )));
        }
        let text = q.stdout_text();
        let was_running = text.starts_with("running");
        let pids: Vec<String> = text
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect();
        // Decide.
        let state = args.str("state");
        let action = match (state, was_running) {
            (None, _) => None,
            (Some("started"), false) => Some("start"),
            (Some("started"), true) => None,
            (Some("stopped"), true) => Some("stop"),
            (Some("stopped"), false) => None,
            (Some("restarted"), _) => Some("restart"),
            (Some("reloaded"), true) => Some("reload"),
            (Some("reloaded"), false) => Some("start"),
            (Some(_), _) => None,
        };
        let base = |o: Outcome| {
            o.with("was_running", was_running)
                .with("pids", pids.clone())
                .with("manager", format!("{manager:?}").to_lowercase())
        };
        let Some(action) = action else {
            return Ok(base(Outcome::ok()).with("running", was_running));
        };
        if h.check_mode {
            return Ok(base(Outcome::changed(true))
                .with("action", action)
                .with("running", action != "stop")
                .msg(format!("would {action} (check mode)")));
        }
        // Act and wait.
        let after_start = action != "stop";
        let script = match act_script(&plan, args, action, after_start) {
            Ok(s) => s,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let out = h.run(script).await?;
        let stdout = out.stdout_text();
        let (shown, verdict) = match stdout.rfind("@@") {
            Some(i) => (
                stdout[..i].trim_end().to_string(),
                stdout[i + 2..].trim().to_string(),
            ),
            None => (stdout.trim_end().to_string(), String::new()),
        };
        let mut words = verdict.splitn(4, ' ');
        let how = words.next().unwrap_or_default();
        let elapsed: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let escalated = words.next().unwrap_or_default().to_string();
        let why = words
            .next()
            .unwrap_or_default()
            .trim_start_matches(';')
            .replace(';', "; ");
        let mut o = base(Outcome::changed(true))
            .with("action", action)
            .with("elapsed", elapsed)
            .with("output", shown.clone())
            .with(
                "escalated",
                if escalated.is_empty() {
                    Value::Null
                } else {
                    Value::String(escalated.clone())
                },
            );
        if !escalated.is_empty() {
            o.warnings.push(format!(
                "the stop did not end the process within stop_timeout; it was ended with {escalated}"
            ));
        }
        if how == "ok" {
            return Ok(o.with("running", after_start));
        }
        o.failed = true;
        let stderr = out.stderr_text();
        o.msg = Some(if how == "failed" {
            format!(
                "{}{}",
                why.trim(),
                if shown.is_empty() {
                    String::new()
                } else {
                    format!(": {}", shown.lines().last().unwrap_or_default())
                }
            )
        } else if how == "timeout" {
            format!(
                "after `{action}`, waited {elapsed}s: {why}{}",
                if shown.is_empty() {
                    String::new()
                } else {
                    format!(" (output: {})", shown.lines().last().unwrap_or_default())
                }
            )
        } else {
            format!("`{action}` failed: {}", stderr.trim())
        });
        Ok(o.with("running", !after_start))
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;
    use serde_json::json;

    /// A vendor-style script: start runs a listener in the background and writes a pid
    /// file and a log line; stop kills it (or hangs, with HANG set in conf/hang).
    fn vendor(fx: &Fixture, port: u16) -> String {
        let home = fx.path("svc");
        std::fs::create_dir_all(format!("{home}/bin")).expect("mkdir");
        std::fs::create_dir_all(format!("{home}/run")).expect("mkdir");
        std::fs::create_dir_all(format!("{home}/logs")).expect("mkdir");
        std::fs::create_dir_all(format!("{home}/conf")).expect("mkdir");
        let script = format!(
            "#!/bin/sh\nH=$(cd \"$(dirname \"$0\")/..\" && pwd)\ncase $1 in\n\
             start) python3 -c 'import socket,time,sys\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\",{port})); s.listen(5)\ntime.sleep(1000)' &\n\
             echo $! > \"$H/run/svc.pid\"; sleep 1; echo \"listening on {port} $2\" >> \"$H/logs/svc.log\"; echo started ;;\n\
             stop) if [ -f \"$H/conf/hang\" ]; then sleep 1000; fi; kill $(cat \"$H/run/svc.pid\"); echo stopped ;;\n\
             status) kill -0 $(cat \"$H/run/svc.pid\" 2>/dev/null) 2>/dev/null ;;\n\
             esac\n"
        );
        std::fs::write(format!("{home}/bin/svc"), script).expect("script");
        format!("{home}/bin/svc")
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    }

    #[tokio::test]
    async fn vendor_script_start_stop_idempotent_with_ports_and_log() {
        let fx = Fixture::new();
        let port = free_port();
        let script = vendor(&fx, port);
        let pid_file = fx.path("svc/run/svc.pid");
        let common = json!({"script": script, "pid_file": pid_file, "ports": [port], "timeout": 20,
                            "log_file": fx.path("svc/logs/svc.log"), "log_regex": format!("listening on {port} -x")});
        let with = |extra: Value| {
            let mut m = common.as_object().cloned().unwrap_or_default();
            m.extend(extra.as_object().cloned().unwrap_or_default());
            Value::Object(m)
        };
        // check mode predicts and does nothing
        let o = fx
            .run(
                &Service,
                with(json!({"state": "started", "start_args": ["-x"]})),
                true,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{:?}", o.msg);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        let o = fx
            .run(
                &Service,
                with(json!({"state": "started", "start_args": "-x"})),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{:?} {:?}", o.msg, o.data);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        let o = fx
            .run(
                &Service,
                with(json!({"state": "started", "start_args": "-x"})),
                false,
                false,
            )
            .await;
        assert!(!o.changed && !o.failed, "{:?}", o.msg);
        let o = fx
            .run(&Service, with(json!({"state": "stopped"})), false, false)
            .await;
        assert!(o.changed && !o.failed, "{:?}", o.msg);
        assert!(o.data["escalated"].is_null());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        let o = fx
            .run(&Service, with(json!({"state": "stopped"})), false, false)
            .await;
        assert!(!o.changed && !o.failed);
    }

    #[tokio::test]
    async fn a_hanging_stop_is_escalated_with_a_warning() {
        let fx = Fixture::new();
        let port = free_port();
        let script = vendor(&fx, port);
        let args = json!({"script": script, "pid_file": fx.path("svc/run/svc.pid"), "ports": [port],
                          "timeout": 20, "stop_timeout": 2, "kill_after": 1});
        let mut start = args.clone();
        start["state"] = json!("started");
        let o = fx.run(&Service, start, false, false).await;
        assert!(!o.failed, "{:?}", o.msg);
        std::fs::write(fx.path("svc/conf/hang"), "").expect("hang");
        let mut stop = args.clone();
        stop["state"] = json!("stopped");
        let o = fx.run(&Service, stop, false, false).await;
        assert!(o.changed && !o.failed, "{:?}", o.msg);
        assert_eq!(o.data["escalated"], "TERM");
        assert!(!o.warnings.is_empty());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[tokio::test]
    async fn a_start_that_never_opens_its_port_fails_saying_why() {
        let fx = Fixture::new();
        let port = free_port();
        let other = free_port();
        let script = vendor(&fx, port);
        let o = fx
            .run(
                &Service,
                json!({"script": script, "pid_file": fx.path("svc/run/svc.pid"), "state": "started",
                       "ports": [other], "timeout": 3}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
        let msg = o.msg.clone().unwrap_or_default();
        assert!(
            msg.contains(&format!("port {other} is not started")),
            "{msg}"
        );
        let _ = fx
            .run(&Service, json!({"script": script, "pid_file": fx.path("svc/run/svc.pid"), "state": "stopped", "timeout": 10}), false, false)
            .await;
    }
}
