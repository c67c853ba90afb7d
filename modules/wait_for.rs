//! wait_for: wait on the target until a port opens or closes, or a path appears.

use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct WaitFor;

static DOC: ModuleDoc = ModuleDoc {
    name: "wait_for",
    short: "Wait for a port or a path",
    description: "Waits ON THE TARGET (one shell loop, one round trip) until `port` on `host` accepts connections (state started) or refuses them (stopped), or until `path` exists (present, optionally containing `search_regex`) or is gone (absent). A port is probed with bash's /dev/tcp, else `nc -z`, else (for local ports) the listening sockets in /proc/net/tcp{,6}.",
    args: &[
        ArgSpec::new(
            "host",
            ArgType::Str,
            "Address to probe, as seen from the target.",
        )
        .default("127.0.0.1"),
        ArgSpec::new("port", ArgType::Int, "TCP port."),
        ArgSpec::new("path", ArgType::Path, "A file to wait for."),
        ArgSpec::new("state", ArgType::Str, "started/present or stopped/absent.")
            .choices(&["started", "stopped", "present", "absent"])
            .default("started"),
        ArgSpec::new(
            "search_regex",
            ArgType::Str,
            "With path: a regexp the file must contain.",
        ),
        ArgSpec::new("delay", ArgType::Int, "Seconds before the first check.").default("0"),
        ArgSpec::new("sleep", ArgType::Int, "Seconds between checks.").default("1"),
        ArgSpec::new("timeout", ArgType::Int, "Seconds before giving up.").default("300"),
        ArgSpec::new(
            "connect_timeout",
            ArgType::Int,
            "Seconds for one connection attempt.",
        )
        .default("5"),
        ArgSpec::new("msg", ArgType::Str, "Message on timeout."),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (it only looks).",
    returns: "elapsed, state, port, path",
    examples: "- wait_for: port=3325 timeout=60\n- wait_for: path=/usr/local/hotdb/hotdb-server/logs/hotdb.log search_regex='HotDB-Manager listening on 3325'",
};

#[async_trait]
impl Module for WaitFor {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let state = args.string("state").unwrap_or_else(|| "started".into());
        let host = args.string("host").unwrap_or_else(|| "127.0.0.1".into());
        let timeout = args.int("timeout").unwrap_or(300).max(0);
        let (delay, sleep, ct) = (
            args.int("delay").unwrap_or(0).max(0),
            args.int("sleep").unwrap_or(1).max(1),
            args.int("connect_timeout").unwrap_or(5).max(1),
        );
        let (check, what) = match (args.int("port"), args.str("path")) {
            (Some(port), None) => {
                if !(1..=65535).contains(&port) {
                    return Ok(Outcome::failed(format!("port {port} is out of range")));
                }
                let hq = quote(&host);
                let probe = format!(
                    "check() {{ if command -v bash >/dev/null 2>&1; then timeout {ct} bash -c 'exec 3<>/dev/tcp/'{hq}'/{port}' 2>/dev/null; return $?; fi; \
                     if command -v nc >/dev/null 2>&1; then nc -z -w {ct} {hq} {port} 2>/dev/null; return $?; fi; \
                     grep -Eq ':{port:04X} [0-9A-F]+:[0-9A-F]{{4}} 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; }}"
                );
                let positive = matches!(state.as_str(), "started" | "present");
                (
                    format!(
                        "{probe}\nok() {{ {}check; }}",
                        if positive { "" } else { "! " }
                    ),
                    format!("{host}:{port}"),
                )
            }
            (None, Some(path)) => {
                let p = quote(path);
                let body = match (state.as_str(), args.str("search_regex")) {
                    ("absent" | "stopped", _) => format!("[ ! -e {p} ]"),
                    (_, Some(re)) => format!("[ -e {p} ] && grep -Eq {} {p}", quote(re)),
                    _ => format!("[ -e {p} ]"),
                };
                (format!("ok() {{ {body}; }}"), path.to_string())
            }
            (Some(_), Some(_)) => {
                return Ok(Outcome::failed("port and path are mutually exclusive"));
            }
            (None, None) => {
                tokio::time::sleep(std::time::Duration::from_secs(
                    delay.max(timeout.min(1)) as u64
                ))
                .await;
                return Ok(Outcome::ok().with("elapsed", delay));
            }
        };
        let script = format!(
            "{check}\nstart=$(date +%s); sleep {delay}; end=$((start + {timeout}))\nwhile :; do\n  if ok; then echo $(( $(date +%s) - start )); exit 0; fi\n  [ \"$(date +%s)\" -ge \"$end\" ] && {{ echo $(( $(date +%s) - start )); exit 1; }}\n  sleep {sleep}\ndone\n"
        );
        let out = h.run(script).await?;
        let elapsed: i64 = out.stdout_text().trim().parse().unwrap_or(0);
        let mut o = Outcome::ok()
            .with("elapsed", elapsed)
            .with("state", state.clone());
        if let Some(p) = args.int("port") {
            o = o.with("port", p);
        }
        if let Some(p) = args.str("path") {
            o = o.with("path", p);
        }
        if out.rc != 0 {
            let msg = args
                .string("msg")
                .unwrap_or_else(|| format!("Timeout when waiting for {what}"));
            let mut f = Outcome::failed(msg);
            f.data = o.data;
            return Ok(f);
        }
        Ok(o)
    }
}
