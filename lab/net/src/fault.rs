//! `hotplay lab fault HOST KIND`: network faults, process faults, and the simulator's own
//! faults (written to the component's `conf/sim.properties`, read at its next start).

use crate::host::{self, in_host, ip, read_pid, run};
use std::path::Path;

pub const KINDS: &[(&str, &str)] = &[
    ("link-down", "take the host's eth0 down"),
    ("link-up", "bring eth0 back"),
    ("kill-sshd", "kill the host's sshd"),
    ("stop-node", "stop the compute node with its script"),
    ("kill-node", "kill -9 the compute node (its pid file stays)"),
    ("start-node", "start the compute node with its script"),
    ("stop-keepalived", "kill the host's keepalived"),
    (
        "start-fail-after=N",
        "simulator: the next start fails after N s",
    ),
    (
        "crash-after=N",
        "simulator: the node crashes N s after its next start",
    ),
    ("stop-hang", "simulator: the next stop hangs (TERM ignored)"),
    ("reload-fail", "simulator: reload @@config fails"),
    (
        "ha-no-service-port",
        "simulator: no service port after an HA switch",
    ),
    ("clear", "simulator: remove every injected fault"),
];

pub fn inject(dir: &Path, host_name: &str, kind: &str) -> Result<String, String> {
    crate::require_root()?;
    let st = crate::load(dir)?;
    let h = st.host(host_name)?;
    let hd = st.host_dir(&h.name);
    let home = "/usr/local/hotdb/hotdb-server";
    let props = hd.join("usr-local/hotdb/hotdb-server/conf/sim.properties");
    let add = |line: &str| -> Result<String, String> {
        let mut text = std::fs::read_to_string(&props).unwrap_or_default();
        text.push_str(line);
        text.push('\n');
        std::fs::write(&props, text)
            .map_err(|e| format!("cannot write {}: {e}", props.display()))?;
        Ok(format!(
            "{}: {line} in conf/sim.properties (read at the next start)",
            h.name
        ))
    };
    let kill = |pidfile: &Path, what: &str| -> Result<String, String> {
        let pid = read_pid(pidfile)
            .filter(|p| host::alive(*p))
            .ok_or(format!("{}: {what} is not running", h.name))?;
        // SAFETY: a pid of this lab host's daemon, read from its pid file in the lab dir.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        Ok(format!("{}: killed {what} (pid {pid})", h.name))
    };
    let (word, n) = kind.split_once('=').unwrap_or((kind, ""));
    match word {
        "link-down" | "link-up" => {
            ip(&[
                "-n",
                &h.netns,
                "link",
                "set",
                "eth0",
                if word == "link-down" { "down" } else { "up" },
            ])?;
            Ok(format!("{}: eth0 {}", h.name, &word[5..]))
        }
        "kill-sshd" => kill(&hd.join("run/sshd.pid"), "sshd"),
        "stop-keepalived" => kill(&hd.join("run/keepalived.pid"), "keepalived"),
        "kill-node" => kill(
            &hd.join("usr-local/hotdb/hotdb-server/run/hotdb-server.pid"),
            "hotdb-server",
        ),
        "stop-node" | "start-node" => {
            let out = run(in_host(h.holder_pid, "sh")
                .arg(format!("{home}/bin/hotdb_server"))
                .arg(if word == "stop-node" { "stop" } else { "start" }))?;
            Ok(format!(
                "{}: {}",
                h.name,
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
        "start-fail-after" => add(&format!("fault.start.fail.after.s={n}")),
        "crash-after" => add(&format!("fault.crash.after.s={n}")),
        "stop-hang" => add("fault.stop.hang=true"),
        "reload-fail" => add("fault.reload.fail=true"),
        "ha-no-service-port" => add("fault.ha.no_service_port=true"),
        "clear" => {
            let text = std::fs::read_to_string(&props).unwrap_or_default();
            let kept: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("fault."))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&props, kept).map_err(|e| e.to_string())?;
            Ok(format!("{}: faults cleared", h.name))
        }
        _ => {
            let list: Vec<String> = KINDS
                .iter()
                .map(|(k, d)| format!("  {k:<20} {d}"))
                .collect();
            Err(format!(
                "unknown fault {kind}; the faults are:\n{}",
                list.join("\n")
            ))
        }
    }
}
