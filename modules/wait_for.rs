//! wait_for: wait, ON THE TARGET, until a port opens, closes or drains, or a path
//! appears (holding a pattern) or goes. The whole wait is one shell loop on the
//! target, one round trip; only the waits with neither port nor path sleep here.
//!
//! A port is probed the first way the target offers: bash's /dev/tcp (under
//! `timeout` when there is one), else `nc -z`, else, for a local address only, the
//! listening sockets of /proc/net/tcp and /proc/net/tcp6 (state 0A). Draining reads
//! /proc/net/tcp{,6} (Linux targets). Patterns are searched with `grep -P` where grep
//! has it (Perl syntax, close to Python's), else `grep -E` with \d, \s, \w rewritten.

use super::lineinfile::py_regex;
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::net::IpAddr;

pub struct WaitFor;

static DOC: ModuleDoc = ModuleDoc {
    name: "wait_for",
    short: "Wait for a port, a path or some time, on the target",
    description: "Waits until a condition holds, checking every `sleep` seconds for at most `timeout` seconds (counted from the start, `delay` included); the checks run ON THE TARGET in one shell loop, so `host` is an address as the target sees it (default 127.0.0.1).
- port + state=started: a TCP connection to host:port succeeds (and, with search_regex, the data the port sends matches); state=stopped: it fails; state=drained: no connection in active_connection_states is left on the port (read from /proc/net/tcp{,6}; host 0.0.0.0 counts every local address; exclude_hosts are peers to ignore).
- path + state=present/started: the path exists (and, with search_regex, the file matches it, line by line); state=absent: it does not.
- neither: sleeps `timeout` seconds (after `delay`).
Ports are probed with bash's /dev/tcp, else `nc -z`, else (local addresses only) the listening sockets in /proc/net/tcp{,6}.",
    args: &[
        ArgSpec::new(
            "host",
            ArgType::Str,
            "The address to probe, as the target resolves it.",
        )
        .default("127.0.0.1"),
        ArgSpec::new("port", ArgType::Int, "The TCP port to wait for."),
        ArgSpec::new("path", ArgType::Path, "The file to wait for."),
        ArgSpec::new(
            "state",
            ArgType::Str,
            "started/present: open or there; stopped/absent: closed or gone; drained: no active connections.",
        )
        .choices(&["absent", "drained", "present", "started", "stopped"])
        .default("started"),
        ArgSpec::new(
            "search_regex",
            ArgType::Str,
            "A regular expression the file (or what the port sends) must match.",
        ),
        ArgSpec::new("delay", ArgType::Int, "Seconds to wait before the first check.")
            .default("0"),
        ArgSpec::new("sleep", ArgType::Int, "Seconds between checks.").default("1"),
        ArgSpec::new("timeout", ArgType::Int, "Seconds to wait at most.").default("300"),
        ArgSpec::new(
            "connect_timeout",
            ArgType::Int,
            "Seconds one connection attempt may take.",
        )
        .default("5"),
        ArgSpec::new(
            "active_connection_states",
            ArgType::List,
            "With state=drained: the TCP states that count as active.",
        )
        .default("ESTABLISHED,FIN_WAIT1,FIN_WAIT2,SYN_RECV,SYN_SENT,TIME_WAIT"),
        ArgSpec::new(
            "exclude_hosts",
            ArgType::List,
            "With state=drained: peer addresses (IP literals) whose connections do not count.",
        ),
        ArgSpec::new("msg", ArgType::Str, "The failure message instead of the default one."),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual: it only looks.",
    returns: "elapsed: seconds waited
state, port, path, search_regex: as given
match_groups, match_groupdict: the groups search_regex matched",
    examples: "- wait_for: port=3323 timeout=60
- wait_for: port=3306 state=stopped timeout=30
- wait_for:
    path: /usr/local/hotdb/hotdb-server/logs/hotdb.log
    search_regex: 'HotDB-Manager listening on (\\d+)'
- wait_for: host=0.0.0.0 port=3323 state=drained timeout=120",
};

/// TCP states as /proc/net/tcp writes them.
pub(super) const TCP_STATES: &[(&str, &str)] = &[
    ("ESTABLISHED", "01"),
    ("SYN_SENT", "02"),
    ("SYN_RECV", "03"),
    ("FIN_WAIT1", "04"),
    ("FIN_WAIT2", "05"),
    ("TIME_WAIT", "06"),
    ("CLOSE", "07"),
    ("CLOSE_WAIT", "08"),
    ("LAST_ACK", "09"),
    ("LISTEN", "0A"),
    ("CLOSING", "0B"),
];

/// An address as /proc/net/tcp (IPv4) and /proc/net/tcp6 write it: 32-bit words in
/// the host's order (little-endian here), an IPv4 address also as `::ffff:a.b.c.d`.
fn proc_hex(ip: IpAddr) -> Vec<String> {
    let words = |b: &[u8]| -> String {
        b.chunks(4)
            .map(|w| {
                w.iter()
                    .rev()
                    .map(|x| format!("{x:02X}"))
                    .collect::<String>()
            })
            .collect()
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            vec![words(&o), words(&v4.to_ipv6_mapped().octets())]
        }
        IpAddr::V6(v6) => vec![words(&v6.octets())],
    }
}

/// Whether `host` is the target itself, so its own socket tables answer for it.
fn is_local(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// A Python pattern for `grep -E` (POSIX ERE): the common escapes spelled out.
fn to_ere(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match (c, in_class) {
            ('\\', _) => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let (outside, inside) = match n {
                    'd' => ("[0-9]", "0-9"),
                    'D' => ("[^0-9]", ""),
                    's' => ("[[:space:]]", "[:space:]"),
                    'S' => ("[^[:space:]]", ""),
                    'w' => ("[[:alnum:]_]", "[:alnum:]_"),
                    'W' => ("[^[:alnum:]_]", ""),
                    _ => ("", ""),
                };
                match (in_class, outside, inside) {
                    (false, o, _) if !o.is_empty() => out.push_str(o),
                    (true, _, i) if !i.is_empty() => out.push_str(i),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            ('[', false) => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            (']', true) => {
                in_class = false;
                out.push(']');
            }
            ('(', false) if chars.peek() == Some(&'?') => {
                // (?:...) and (?P<name>...) are plain groups in ERE.
                chars.next();
                if chars.peek() == Some(&':') {
                    chars.next();
                } else if chars.peek() == Some(&'P') {
                    chars.next();
                    for x in chars.by_ref() {
                        if x == '>' {
                            break;
                        }
                    }
                }
                out.push('(');
            }
            ('*' | '+' | '?' | '}', false) if chars.peek() == Some(&'?') => {
                // Lazy quantifiers match the same lines.
                chars.next();
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The shell function `m` that searches its stdin (or a file) for the pattern.
fn matcher(re: &str) -> String {
    format!(
        "if printf 'a1\\n' | grep -qP 'a\\d' 2>/dev/null; then g=-P; r={}; else g=-E; r={}; fi\n\
         m() {{ grep -m 1 $g -e \"$r\" \"$@\" 2>/dev/null; }}\n",
        quote(re),
        quote(&to_ere(re))
    )
}

/// The shell function `probe` that succeeds when host:port accepts a connection
/// (with `$1` = 1: and prints the data it sends, for a search). `$how` says how.
pub(super) fn port_probe(host: &str, port: i64, ct: i64, needs_data: bool) -> String {
    let hq = quote(host);
    let local_hex: Vec<String> = match host {
        "localhost" => proc_hex(IpAddr::from([127, 0, 0, 1])),
        h => h.parse::<IpAddr>().map(proc_hex).unwrap_or_default(),
    };
    // A listener on the wildcard address answers on every local address.
    let mut addrs = vec!["00000000".to_string(), "0".repeat(32)];
    if host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified()) {
        addrs.clear();
    } else {
        addrs.extend(local_hex);
    }
    let proc_pattern = if addrs.is_empty() {
        format!("^ *[0-9]+: [0-9A-F]+:{port:04X} [0-9A-F]+:[0-9A-F]+ 0A ")
    } else {
        format!(
            "^ *[0-9]+: ({}):{port:04X} [0-9A-F]+:[0-9A-F]+ 0A ",
            addrs.join("|")
        )
    };
    // The socket tables know only the target's own listeners, and send no data.
    let proc_ok = if is_local(host) && !needs_data {
        "1"
    } else {
        ""
    };
    format!(
        "if command -v timeout >/dev/null 2>&1; then to=\"timeout {ct}\"; else to=; fi\n\
         if command -v bash >/dev/null 2>&1; then how=bash\n\
         elif command -v nc >/dev/null 2>&1; then how=nc\n\
         elif [ -n '{proc_ok}' ] && [ -r /proc/net/tcp ]; then how=proc\n\
         else echo 'wait_for needs bash, nc or (for a local address) /proc/net/tcp on the target to probe a port' >&2; exit 4; fi\n\
         probe() {{\n\
         case $how in\n\
         bash) if [ \"$1\" = 1 ]; then $to bash -c 'exec 3<>\"/dev/tcp/$1/$2\" && cat <&3' _ {hq} {port}; else $to bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' _ {hq} {port}; fi ;;\n\
         nc) if [ \"$1\" = 1 ]; then nc -w {ct} {hq} {port} </dev/null; else nc -z -w {ct} {hq} {port}; fi ;;\n\
         proc) cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -Eq {} ;;\n\
         esac\n\
         }} 2>/dev/null\n",
        quote(&proc_pattern)
    )
}

/// The shell function `active` that counts connections to be drained.
pub(super) fn drain_probe(host: &str, port: i64, states: &[&str], exclude: &[IpAddr]) -> String {
    let local = if host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified()) {
        "[0-9A-F]+".to_string()
    } else {
        let hex: Vec<String> = match host {
            "localhost" => proc_hex(IpAddr::from([127, 0, 0, 1])),
            h => h.parse::<IpAddr>().map(proc_hex).unwrap_or_default(),
        };
        if hex.is_empty() {
            "[0-9A-F]+".to_string()
        } else {
            format!("({})", hex.join("|"))
        }
    };
    let pattern = format!(
        "^ *[0-9]+: {local}:{port:04X} [0-9A-F]+:[0-9A-F]+ ({}) ",
        states.join("|")
    );
    let excluded: Vec<String> = exclude.iter().flat_map(|ip| proc_hex(*ip)).collect();
    let drop = if excluded.is_empty() {
        String::new()
    } else {
        format!(
            " | grep -Ev {}",
            quote(&format!(
                "^ *[0-9]+: [0-9A-F]+:[0-9A-F]+ ({}):[0-9A-F]+ ",
                excluded.join("|")
            ))
        )
    };
    format!(
        "[ -r /proc/net/tcp ] || {{ echo 'state=drained needs /proc/net/tcp on the target' >&2; exit 4; }}\n\
         active() {{ cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -E {}{drop} | grep -c . ; }}\n",
        quote(&pattern)
    )
}

/// The groups of the first match of `pattern` in `text`, as Python's
/// `match.groups()` and `match.groupdict()` give them.
fn groups(pattern: &str, text: &[u8]) -> (Value, Value) {
    let mut list = Vec::new();
    let mut dict = Map::new();
    if let Ok(re) = py_regex(pattern, true, false)
        && let Some(c) = re.captures(text)
    {
        let text_of = |m: Option<regex::bytes::Match>| {
            m.map(|m| Value::from(String::from_utf8_lossy(m.as_bytes()).into_owned()))
                .unwrap_or(Value::Null)
        };
        list = (1..c.len()).map(|i| text_of(c.get(i))).collect();
        for name in re.capture_names().flatten() {
            dict.insert(name.to_string(), text_of(c.name(name)));
        }
    }
    (Value::Array(list), Value::Object(dict))
}

#[async_trait]
impl Module for WaitFor {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let state = args.str("state").unwrap_or("started").to_string();
        let host = args.str("host").unwrap_or("127.0.0.1").to_string();
        let port = args.int("port");
        let path = args.string("path");
        let search = args.string("search_regex");
        let timeout = args.int("timeout").unwrap_or(300).max(0);
        let delay = args.int("delay").unwrap_or(0).max(0);
        let sleep = args.int("sleep").unwrap_or(1).max(0);
        let ct = args.int("connect_timeout").unwrap_or(5).max(1);
        let fail = |msg: String| Ok(Outcome::failed(msg).with("elapsed", 0));
        if port.is_some() && path.is_some() {
            return fail("port and path parameter can not both be passed to wait_for".into());
        }
        if path.is_some() && (state == "stopped" || state == "drained") {
            return fail(format!(
                "state={state} should only be used for checking a port in the wait_for module"
            ));
        }
        if args.has("exclude_hosts") && state != "drained" {
            return fail("exclude_hosts should only be with state=drained".into());
        }
        if let Some(p) = port
            && !(0..=65535).contains(&p)
        {
            return fail(format!("port {p} is not a TCP port"));
        }
        let mut states = Vec::new();
        for s in args.str_list("active_connection_states") {
            match TCP_STATES.iter().find(|(n, _)| *n == s) {
                Some((_, code)) => states.push(*code),
                None => return fail(format!("unknown active_connection_state ({s}) defined")),
            }
        }
        let mut exclude = Vec::new();
        for e in args.str_list("exclude_hosts") {
            match e.parse::<IpAddr>() {
                Ok(ip) => exclude.push(ip),
                Err(_) => {
                    return fail(format!(
                        "exclude_hosts must be IP addresses on this target, got {e}"
                    ));
                }
            }
        }
        if let Some(re) = &search
            && let Err(e) = py_regex(re, true, false)
        {
            return fail(e);
        }
        let base = |o: Outcome, elapsed: i64| {
            o.with("elapsed", elapsed)
                .with("state", state.clone())
                .with("port", port.map(Value::from).unwrap_or(Value::Null))
                .with("path", path.clone().map(Value::from).unwrap_or(Value::Null))
                .with(
                    "search_regex",
                    search.clone().map(Value::from).unwrap_or(Value::Null),
                )
        };
        if port.is_none() && path.is_none() && state != "drained" {
            // Nothing to look at: a plain wait, on the controller.
            let started = std::time::Instant::now();
            let secs = std::time::Duration::from_secs((delay + timeout) as u64);
            h.waiting("the time to pass", Some(secs), tokio::time::sleep(secs))
                .await;
            return Ok(base(Outcome::ok(), started.elapsed().as_secs() as i64)
                .with("match_groups", Value::Array(Vec::new()))
                .with("match_groupdict", Value::Object(Map::new())));
        }
        // The condition is checked at once, then every `sleep` seconds until `end`.
        let (functions, condition, waited) = match (&path, port) {
            (Some(p), _) => {
                let pq = quote(p);
                match (state.as_str(), &search) {
                    ("absent", _) => (
                        String::new(),
                        format!("[ ! -e {pq} ] && [ ! -L {pq} ]"),
                        format!("{p} to be absent."),
                    ),
                    (_, Some(re)) => (
                        matcher(re),
                        format!("[ -e {pq} ] && found=$(m -- {pq}) && [ -n \"$found\" ]"),
                        format!("search string {re} in {p}"),
                    ),
                    _ => (String::new(), format!("[ -e {pq} ]"), format!("file {p}")),
                }
            }
            (None, Some(port)) if state == "drained" => (
                drain_probe(&host, port, &states, &exclude),
                "[ \"$(active)\" = 0 ]".to_string(),
                format!("{host}:{port} to drain"),
            ),
            (None, None) => {
                return fail("state=drained needs a port".into());
            }
            (None, Some(port)) => {
                let probe = port_probe(
                    &host,
                    port,
                    ct,
                    search.is_some() && state != "stopped" && state != "absent",
                );
                match (state.as_str(), &search) {
                    ("stopped" | "absent", _) => (
                        probe,
                        "! probe 0".to_string(),
                        format!("{host}:{port} to stop."),
                    ),
                    (_, Some(re)) => (
                        format!("{probe}{}", matcher(re)),
                        "found=$(probe 1 | m) && [ -n \"$found\" ]".to_string(),
                        format!("search string {re} in {host}:{port}"),
                    ),
                    _ => (probe, "probe 0".to_string(), format!("{host}:{port}")),
                }
            }
        };
        let script = format!(
            "{functions}s0=$(date +%s); end=$((s0 + {timeout})); found=\n\
             [ {delay} -gt 0 ] && sleep {delay}\n\
             while :; do\n\
             if {condition}; then echo \"ok $(( $(date +%s) - s0 ))\"; printf '%s\\n' \"$found\"; exit 0; fi\n\
             [ \"$(date +%s)\" -lt \"$end\" ] || break\n\
             sleep {sleep}\n\
             done\n\
             echo \"timeout $(( $(date +%s) - s0 ))\"\n"
        );
        let what = format!("{} ({state})", waited.trim_end_matches('.'));
        let limit = std::time::Duration::from_secs((delay + timeout) as u64);
        let out = h.waiting(what, Some(limit), h.run(script)).await?;
        if out.rc != 0 {
            return fail(out.stderr_text().trim().to_string());
        }
        let text = out.stdout_text();
        let (head, found) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let (verdict, elapsed) = head.split_once(' ').unwrap_or((head, "0"));
        let elapsed: i64 = elapsed.trim().parse().unwrap_or(0);
        if verdict != "ok" {
            let msg = args
                .string("msg")
                .unwrap_or_else(|| format!("Timeout when waiting for {waited}"));
            let mut f = base(Outcome::failed(msg), elapsed);
            f.data.retain(|k, _| k == "elapsed");
            return Ok(f);
        }
        let (match_groups, match_groupdict) = match &search {
            Some(re) => groups(re, found.trim_end_matches('\n').as_bytes()),
            None => (Value::Array(Vec::new()), Value::Object(Map::new())),
        };
        Ok(base(Outcome::ok(), elapsed)
            .with("match_groups", match_groups)
            .with("match_groupdict", match_groupdict))
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;
    use serde_json::json;

    #[test]
    fn proc_addresses_and_patterns() {
        assert_eq!(
            proc_hex("127.0.0.1".parse().expect("ip")),
            vec![
                "0100007F".to_string(),
                "0000000000000000FFFF00000100007F".to_string()
            ]
        );
        assert_eq!(
            proc_hex("::1".parse().expect("ip")),
            vec!["00000000000000000000000001000000".to_string()]
        );
        assert!(
            is_local("127.0.0.1")
                && is_local("::1")
                && is_local("0.0.0.0")
                && is_local("localhost")
        );
        assert!(!is_local("10.0.0.1") && !is_local("db1"));
        assert_eq!(to_ere("listening on (\\d+)"), "listening on ([0-9]+)");
        assert_eq!(
            to_ere("(?P<port>[\\d.]+)\\s*x+?"),
            "([0-9.]+)[[:space:]]*x+"
        );
        assert_eq!(to_ere("(?:a|b)\\.c"), "(a|b)\\.c");
        let (g, d) = groups("on (?P<port>\\d+)", b"HotDB listening on 3325");
        assert_eq!(g, json!(["3325"]));
        assert_eq!(d, json!({"port": "3325"}));
    }

    async fn wait(fx: &Fixture, args: serde_json::Value) -> Outcome {
        fx.run(&WaitFor, args, false, false).await
    }

    #[tokio::test]
    async fn ports_open_and_closed_on_the_target() {
        let fx = Fixture::new();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let o = wait(&fx, json!({"port": port, "timeout": 5})).await;
        assert!(!o.failed, "{o:?}");
        assert_eq!(o.data["state"], "started");
        assert_eq!(o.data["port"], port);
        drop(listener);
        let o = wait(&fx, json!({"port": port, "state": "stopped", "timeout": 5})).await;
        assert!(!o.failed, "{o:?}");
        let o = wait(&fx, json!({"port": port, "timeout": 1})).await;
        assert!(o.failed);
        assert_eq!(
            o.msg,
            Some(format!("Timeout when waiting for 127.0.0.1:{port}"))
        );
        assert!(o.data["elapsed"].as_i64().is_some_and(|e| e >= 1));
        let o = wait(&fx, json!({"port": port, "timeout": 1, "msg": "db down"})).await;
        assert_eq!(o.msg.as_deref(), Some("db down"));
        // A port that opens while waiting.
        let late = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let late_port = late.local_addr().expect("addr").port();
        drop(late);
        let opener = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            let l = std::net::TcpListener::bind(("127.0.0.1", late_port)).expect("rebind");
            std::thread::sleep(std::time::Duration::from_secs(3));
            drop(l);
        });
        let o = wait(&fx, json!({"port": late_port, "timeout": 10})).await;
        assert!(!o.failed, "{o:?}");
        assert!(o.data["elapsed"].as_i64().is_some_and(|e| e >= 1), "{o:?}");
        opener.join().expect("opener");
    }

    #[tokio::test]
    async fn without_bash_or_nc_the_socket_tables_answer() {
        if !std::path::Path::new("/proc/net/tcp").exists() {
            return;
        }
        let fx = Fixture::new();
        // A PATH with the coreutils the loop needs, and neither bash nor nc.
        let bin = fx.dir.path().join("bin");
        std::fs::create_dir(&bin).expect("mkdir");
        for tool in ["cat", "grep", "date", "sleep", "timeout"] {
            let found = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| std::path::Path::new(d).join(tool))
                .find(|p| p.exists());
            if let Some(p) = found {
                std::os::unix::fs::symlink(p, bin.join(tool)).expect("symlink");
            }
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut h = fx.handle(false, false);
        h.env = vec![("PATH".into(), bin.display().to_string())];
        let run = async |args: serde_json::Value| {
            let args = super::super::remote_file::testing::args(&DOC, args);
            WaitFor.run(&h, &args).await.expect("run")
        };
        let o = run(json!({"port": port, "timeout": 3})).await;
        assert!(!o.failed, "{o:?}");
        drop(listener);
        let o = run(json!({"port": port, "state": "stopped", "timeout": 3})).await;
        assert!(!o.failed, "{o:?}");
        let o = run(json!({"host": "10.255.255.1", "port": port, "timeout": 1})).await;
        assert!(o.failed);
        assert!(
            o.msg
                .as_deref()
                .unwrap_or_default()
                .contains("needs bash, nc"),
            "{o:?}"
        );
    }

    #[tokio::test]
    async fn port_banner_and_drain() {
        let fx = Fixture::new();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut s, _)) = listener.accept() {
                let _ = s.write_all(b"5.7.25 HotDB-2.5.6\n");
            }
        });
        let o = wait(
            &fx,
            json!({"port": port, "search_regex": "HotDB-([\\d.]+)", "timeout": 5}),
        )
        .await;
        assert!(!o.failed, "{o:?}");
        assert_eq!(o.data["match_groups"], json!(["2.5.6"]));
        server.join().expect("server");
        // Nothing connected to a fresh port: drained at once.
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let p = l.local_addr().expect("addr").port();
        let o = wait(&fx, json!({"port": p, "state": "drained", "timeout": 3})).await;
        assert!(!o.failed, "{o:?}");
        // A live connection keeps it from draining.
        let c = std::net::TcpStream::connect(("127.0.0.1", p)).expect("connect");
        let (_s, _) = l.accept().expect("accept");
        let o = wait(&fx, json!({"port": p, "state": "drained", "timeout": 1})).await;
        assert!(o.failed, "{o:?}");
        assert_eq!(
            o.msg,
            Some(format!("Timeout when waiting for 127.0.0.1:{p} to drain"))
        );
        let o = wait(
            &fx,
            json!({"port": p, "state": "drained", "timeout": 2, "exclude_hosts": ["127.0.0.1"]}),
        )
        .await;
        assert!(!o.failed, "{o:?}");
        drop(c);
    }

    #[tokio::test]
    async fn paths_appear_match_and_go() {
        let fx = Fixture::new();
        let p = fx.path("hotdb.log");
        let writer = {
            let p = p.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(1200));
                std::fs::write(&p, "start\n").expect("write");
                std::thread::sleep(std::time::Duration::from_millis(1200));
                std::fs::write(&p, "start\nHotDB-Manager listening on 3325\n").expect("write");
            })
        };
        let o = wait(&fx, json!({"path": p, "timeout": 10})).await;
        assert!(!o.failed, "{o:?}");
        let o = wait(
            &fx,
            json!({"path": p, "search_regex": "listening on (?P<port>\\d+)$", "timeout": 10}),
        )
        .await;
        assert!(!o.failed, "{o:?}");
        assert_eq!(o.data["match_groups"], json!(["3325"]));
        assert_eq!(o.data["match_groupdict"], json!({"port": "3325"}));
        writer.join().expect("writer");
        let o = wait(&fx, json!({"path": p, "state": "absent", "timeout": 1})).await;
        assert!(o.failed);
        assert_eq!(
            o.msg,
            Some(format!("Timeout when waiting for {p} to be absent."))
        );
        let o = wait(
            &fx,
            json!({"path": fx.path("none"), "state": "absent", "timeout": 1}),
        )
        .await;
        assert!(!o.failed, "{o:?}");
        let o = wait(&fx, json!({"path": fx.path("none"), "timeout": 1})).await;
        assert_eq!(
            o.msg,
            Some(format!("Timeout when waiting for file {}", fx.path("none")))
        );
        let o = wait(&fx, json!({"path": p, "port": 1})).await;
        assert_eq!(
            o.msg.as_deref(),
            Some("port and path parameter can not both be passed to wait_for")
        );
        let o = wait(&fx, json!({"path": p, "state": "stopped"})).await;
        assert_eq!(
            o.msg.as_deref(),
            Some("state=stopped should only be used for checking a port in the wait_for module")
        );
        let o = wait(&fx, json!({"timeout": 0, "delay": 0})).await;
        assert!(!o.failed && !o.changed);
    }
}
