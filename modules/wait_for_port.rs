//! wait_for_port: wait until several TCP ports are each in their state (started,
//! stopped, drained), on the target in one shell loop, or from the controller.
//! The manual's checks ("service port open, management port closed") are one task.

use super::wait_for::{TCP_STATES, drain_probe, port_probe};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct WaitForPort;

static DOC: ModuleDoc = ModuleDoc {
    name: "wait_for_port",
    short: "Wait until TCP ports are open, closed or drained",
    description: "Waits until every listed port is in its state, checking every `sleep` seconds for at most `timeout` seconds (counted from the start, `delay` included):
- started: a TCP connection to host:port succeeds (with search_regex on a single port: and what the port sends first matches);
- stopped: the connection is refused or times out;
- drained: no established (or closing) connection is left on the port (target only; read from /proc/net/tcp{,6}).
`ports` takes numbers (with the task's `state`) or mappings `{port: N, state: S, host: H}`. On the target (the default) the whole wait is one shell loop, one round trip, and `host` is an address as the target sees it; with `from: controller` hotplay itself connects. On timeout the message names every port that is not yet in its state.",
    args: &[
        ArgSpec::new("port", ArgType::Int, "One port (or use `ports`)."),
        ArgSpec::new(
            "ports",
            ArgType::List,
            "Ports: numbers, or mappings with port, state and host.",
        ),
        ArgSpec::new("host", ArgType::Str, "The address to probe.").default("127.0.0.1"),
        ArgSpec::new("state", ArgType::Str, "The state of ports that do not name one.")
            .choices(&["started", "stopped", "drained"])
            .default("started"),
        ArgSpec::new(
            "from",
            ArgType::Str,
            "Where the probes run: on the target, or from the controller.",
        )
        .choices(&["target", "controller"])
        .default("target"),
        ArgSpec::new("timeout", ArgType::Int, "Seconds to wait at most.").default("300"),
        ArgSpec::new("delay", ArgType::Int, "Seconds before the first check.").default("0"),
        ArgSpec::new("sleep", ArgType::Int, "Seconds between checks.").default("1"),
        ArgSpec::new(
            "connect_timeout",
            ArgType::Int,
            "Seconds one connection attempt may take.",
        )
        .default("5"),
        ArgSpec::new(
            "search_regex",
            ArgType::Str,
            "With one started port: a pattern the port's first data must match (target only).",
        ),
        ArgSpec::new("msg", ArgType::Str, "The failure message instead of the default one."),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual: it only looks.",
    returns: "elapsed: seconds waited
ports: [{host, port, state, ok}] as last seen",
    examples: "# The backup compute node after its start (MBR-3): service port closed, management open.
- wait_for_port:
    ports:
      - {port: 3323, state: stopped}
      - {port: 3325, state: started}
    timeout: 120
- wait_for_port: host={{ hotdb_vip }} port=3323 from=controller timeout=30
- wait_for_port: port=3323 state=drained timeout=600",
};

#[derive(Clone, Debug)]
pub(super) struct Want {
    pub(super) host: String,
    pub(super) port: i64,
    pub(super) state: String,
}

pub(super) fn wanted(args: &Args) -> Result<Vec<Want>, String> {
    let host = args.str("host").unwrap_or("127.0.0.1").to_string();
    let state = args.str("state").unwrap_or("started").to_string();
    let mut out = Vec::new();
    if let Some(p) = args.int("port") {
        out.push(Want {
            host: host.clone(),
            port: p,
            state: state.clone(),
        });
    }
    for item in args.list("ports") {
        let want = match &item {
            Value::Number(n) => Want {
                host: host.clone(),
                port: n.as_i64().unwrap_or(-1),
                state: state.clone(),
            },
            Value::String(s) => Want {
                host: host.clone(),
                port: s
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{s}` is not a port"))?,
                state: state.clone(),
            },
            Value::Object(m) => {
                for k in m.keys() {
                    if !matches!(k.as_str(), "port" | "state" | "host") {
                        return Err(format!(
                            "a port entry takes port, state and host, not `{k}`"
                        ));
                    }
                }
                let port = match m.get("port") {
                    Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
                    Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
                    _ => return Err(format!("a port entry needs `port`: {item}")),
                };
                let s = m.get("state").and_then(Value::as_str).unwrap_or(&state);
                if !matches!(s, "started" | "stopped" | "drained") {
                    return Err(format!(
                        "port {port}: state must be started, stopped or drained, not `{s}`"
                    ));
                }
                Want {
                    host: m
                        .get("host")
                        .and_then(Value::as_str)
                        .unwrap_or(&host)
                        .to_string(),
                    port,
                    state: s.to_string(),
                }
            }
            other => return Err(format!("a port must be a number or a mapping, not {other}")),
        };
        out.push(want);
    }
    if out.is_empty() {
        return Err("give `port` or `ports`".into());
    }
    if let Some(w) = out.iter().find(|w| !(1..=65535).contains(&w.port)) {
        return Err(format!("{} is not a TCP port", w.port));
    }
    Ok(out)
}

fn report(wants: &[Want], ok: &[bool]) -> Value {
    Value::Array(
        wants
            .iter()
            .zip(ok)
            .map(|(w, ok)| json!({"host": w.host, "port": w.port, "state": w.state, "ok": ok}))
            .collect(),
    )
}

fn timeout_message(wants: &[Want], ok: &[bool]) -> String {
    let missing: Vec<String> = wants
        .iter()
        .zip(ok)
        .filter(|(_, ok)| !**ok)
        .map(|(w, _)| format!("{}:{} to be {}", w.host, w.port, w.state))
        .collect();
    format!("Timeout when waiting for {}", missing.join(", "))
}

/// Shell functions `c0`, `c1`, ... that each succeed when one port is in its state
/// (every probe runs in its own subshell, so the helpers of wait_for stay apart).
pub(super) fn port_checks(wants: &[Want], ct: i64, search: Option<&str>) -> String {
    let states: Vec<&str> = TCP_STATES
        .iter()
        .filter(|(n, _)| {
            matches!(
                *n,
                "ESTABLISHED" | "FIN_WAIT1" | "FIN_WAIT2" | "SYN_RECV" | "SYN_SENT"
            )
        })
        .map(|(_, c)| *c)
        .collect();
    let mut script = String::new();
    for (i, w) in wants.iter().enumerate() {
        let body = match w.state.as_str() {
            "drained" => format!(
                "{}[ \"$(active)\" = 0 ]",
                drain_probe(&w.host, w.port, &states, &[])
            ),
            "stopped" => format!("{}! probe 0", port_probe(&w.host, w.port, ct, false)),
            _ => match search {
                Some(re) if wants.len() == 1 => format!(
                    "{}probe 1 | grep -qE -e {}",
                    port_probe(&w.host, w.port, ct, true),
                    crate::execute::connection::quote::quote(re)
                ),
                _ => format!("{}probe 0", port_probe(&w.host, w.port, ct, false)),
            },
        };
        script.push_str(&format!("c{i}() (\n{body}\n)\n"));
    }
    script
}

/// The shell script that waits on the target; prints `ok|timeout SECONDS BITS`.
fn target_script(wants: &[Want], args: &Args) -> String {
    let ct = args.int("connect_timeout").unwrap_or(5).max(1);
    let timeout = args.int("timeout").unwrap_or(300).max(0);
    let delay = args.int("delay").unwrap_or(0).max(0);
    let sleep = args.int("sleep").unwrap_or(1).max(0);
    let search = args.string("search_regex");
    let mut script = port_checks(wants, ct, search.as_deref());
    let checks: Vec<String> = (0..wants.len())
        .map(|i| format!("if c{i}; then b=\"${{b}}1\"; else b=\"${{b}}0\"; all=; fi"))
        .collect();
    script.push_str(&format!(
        "s0=$(date +%s); end=$((s0 + {timeout}))\n\
         [ {delay} -gt 0 ] && sleep {delay}\n\
         while :; do\n\
         all=1; b=\n\
         {}\n\
         if [ -n \"$all\" ]; then echo \"ok $(( $(date +%s) - s0 )) $b\"; exit 0; fi\n\
         [ \"$(date +%s)\" -lt \"$end\" ] || break\n\
         sleep {sleep}\n\
         done\n\
         echo \"timeout $(( $(date +%s) - s0 )) $b\"\n",
        checks.join("\n")
    ));
    script
}

/// Whether the controller opens a TCP connection to `addr` within `timeout`.
pub(super) async fn controller_connects(addr: &str, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

async fn probe_from_controller(w: &Want, ct: Duration) -> bool {
    let open = controller_connects(&format!("{}:{}", w.host, w.port), ct).await;
    open == (w.state == "started")
}

#[async_trait]
impl Module for WaitForPort {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let wants = match wanted(args) {
            Ok(w) => w,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        if args.has("search_regex") && wants.len() != 1 {
            return Ok(Outcome::failed("search_regex needs exactly one port"));
        }
        let failed = |msg: String, elapsed: u64, ok: &[bool]| {
            let msg = args.string("msg").unwrap_or(msg);
            Ok(Outcome::failed(msg)
                .with("elapsed", elapsed)
                .with("ports", report(&wants, ok)))
        };
        let what = wants
            .iter()
            .map(|w| format!("{}:{} {}", w.host, w.port, w.state))
            .collect::<Vec<_>>()
            .join(", ");
        let limit = Duration::from_secs(
            (args.int("timeout").unwrap_or(300).max(0) + args.int("delay").unwrap_or(0).max(0))
                as u64,
        );
        if args.str("from") == Some("controller") {
            if wants.iter().any(|w| w.state == "drained") {
                return Ok(Outcome::failed(
                    "state=drained can only be checked on the target",
                ));
            }
            let ct = Duration::from_secs(args.int("connect_timeout").unwrap_or(5).max(1) as u64);
            let timeout = Duration::from_secs(args.int("timeout").unwrap_or(300).max(0) as u64);
            let sleep = Duration::from_secs(args.int("sleep").unwrap_or(1).max(0) as u64);
            let delay = Duration::from_secs(args.int("delay").unwrap_or(0).max(0) as u64);
            let poll = async {
                let started = Instant::now();
                tokio::time::sleep(delay).await;
                loop {
                    let ok = futures::future::join_all(
                        wants.iter().map(|w| probe_from_controller(w, ct)),
                    )
                    .await;
                    let elapsed = started.elapsed().as_secs();
                    if ok.iter().all(|x| *x) {
                        return Ok(Outcome::ok()
                            .with("elapsed", elapsed)
                            .with("ports", report(&wants, &ok)));
                    }
                    if started.elapsed() >= timeout {
                        return failed(timeout_message(&wants, &ok), elapsed, &ok);
                    }
                    tokio::time::sleep(sleep).await;
                }
            };
            return h.waiting(what, Some(limit), poll).await;
        }
        let out = h
            .waiting(what, Some(limit), h.run(target_script(&wants, args)))
            .await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(out.stderr_text().trim().to_string()));
        }
        let text = out.stdout_text();
        let mut words = text.split_whitespace();
        let verdict = words.next().unwrap_or_default();
        let elapsed: u64 = words.next().and_then(|e| e.parse().ok()).unwrap_or(0);
        let ok: Vec<bool> = words
            .next()
            .unwrap_or_default()
            .chars()
            .map(|c| c == '1')
            .collect();
        if verdict == "ok" {
            Ok(Outcome::ok()
                .with("elapsed", elapsed)
                .with("ports", report(&wants, &ok)))
        } else {
            failed(timeout_message(&wants, &ok), elapsed, &ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    }

    #[tokio::test]
    async fn several_ports_each_in_its_state_on_the_target_and_from_the_controller() {
        let fx = Fixture::new();
        let open = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let open_port = open.local_addr().expect("addr").port();
        let closed_port = free_port();
        for from in ["target", "controller"] {
            let o = fx
                .run(
                    &WaitForPort,
                    json!({"from": from, "timeout": 5, "ports": [
                        open_port, {"port": closed_port, "state": "stopped"}
                    ]}),
                    false,
                    false,
                )
                .await;
            assert!(!o.failed && !o.changed, "{from}: {:?}", o.msg);
            assert_eq!(o.data["ports"][1]["state"], "stopped");
            // The other way round times out, naming both ports.
            let o = fx
                .run(
                    &WaitForPort,
                    json!({"from": from, "timeout": 1, "sleep": 1, "ports": [
                        {"port": open_port, "state": "stopped"}, closed_port
                    ]}),
                    false,
                    false,
                )
                .await;
            assert!(o.failed, "{from}");
            let msg = o.msg.clone().unwrap_or_default();
            assert!(
                msg.contains(&format!("127.0.0.1:{open_port} to be stopped"))
                    && msg.contains(&format!("127.0.0.1:{closed_port} to be started")),
                "{from}: {msg}"
            );
            assert_eq!(o.data["ports"][0]["ok"], false);
        }
        drop(open);
    }

    #[tokio::test]
    async fn a_port_that_opens_later_is_waited_for() {
        let fx = Fixture::new();
        let port = free_port();
        let opener = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            let l = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
            std::thread::sleep(Duration::from_secs(3));
            drop(l);
        });
        let o = fx
            .run(
                &WaitForPort,
                json!({"port": port, "timeout": 10}),
                false,
                false,
            )
            .await;
        assert!(!o.failed, "{:?}", o.msg);
        assert!(o.data["elapsed"].as_u64().unwrap_or(0) >= 1);
        opener.join().expect("opener");
    }

    #[tokio::test]
    async fn bad_arguments_are_clear() {
        let fx = Fixture::new();
        for (args, words) in [
            (json!({}), "give `port` or `ports`"),
            (json!({"port": 70000}), "not a TCP port"),
            (
                json!({"ports": [{"port": 1, "state": "open"}]}),
                "started, stopped or drained",
            ),
            (json!({"ports": [{"prt": 1}]}), "not `prt`"),
            (
                json!({"from": "controller", "port": 1, "state": "drained"}),
                "on the target",
            ),
        ] {
            let o = fx.run(&WaitForPort, args.clone(), false, false).await;
            assert!(o.failed, "{args}");
            assert!(
                o.msg.clone().unwrap_or_default().contains(words),
                "{args}: {:?}",
                o.msg
            );
        }
    }
}
