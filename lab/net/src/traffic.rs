//! Client traffic: a loop of `select 1` against the service port through the VIP, counting
//! successes and failures into a JSON file, run inside the client host's network namespace.

use crate::host::{self, spawn_detached};
use crate::state::{Resource, State, start_time};
use hotdb_sim::wire::client::Client;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Counts {
    pub target: String,
    pub ok: u64,
    pub failed: u64,
    /// The longest stretch without a successful query, in ms.
    pub longest_gap_ms: u64,
    /// Cluster targets: how often the client moved to another member.
    #[serde(default)]
    pub failovers: u64,
    pub last_error: Option<String>,
    pub updated_unix: u64,
}

pub fn counts_file(dir: &Path) -> PathBuf {
    dir.join("traffic.json")
}

/// The generator's loop (hidden `hotplay lab traffic-run`): never returns. `target` is one
/// `addr:port` or, for a cluster, several separated by commas: then the generator behaves as
/// a driver with a host list does (JDBC `jdbc:mysql://h1,h2,h3/`): on a connection error
/// outside a transaction it reconnects to the next member and retries the query there, and
/// a query counts as failed only when every member refused it.
pub fn run_loop(target: &str, out: &Path, interval: Duration) -> ! {
    let endpoints: Vec<(String, u16)> = target
        .split(',')
        .map(|t| {
            let (addr, port) = t.trim().rsplit_once(':').unwrap_or((t.trim(), "3323"));
            (addr.to_string(), port.parse().unwrap_or(3323))
        })
        .collect();
    let mut counts = Counts {
        target: target.to_string(),
        ..Counts::default()
    };
    let mut conn: Option<Client> = None;
    let mut at = 0usize;
    let mut last_ok = Instant::now();
    loop {
        let started = Instant::now();
        let mut ok = false;
        // One endpoint, or each member once.
        for _ in 0..endpoints.len() {
            if conn.is_none() {
                let (addr, port) = &endpoints[at];
                match Client::connect(addr, *port, "traffic", "traffic", None) {
                    Ok(c) => conn = Some(c),
                    Err(e) => counts.last_error = Some(e.to_string()),
                }
            }
            match conn.as_mut().map(|c| c.query("select 1")) {
                Some(Ok(_)) => {
                    ok = true;
                    break;
                }
                Some(Err(e)) => {
                    counts.last_error = Some(e.to_string());
                    conn = None;
                }
                None => {}
            }
            if endpoints.len() > 1 {
                at = (at + 1) % endpoints.len();
                counts.failovers += 1;
            }
        }
        if ok {
            counts.ok += 1;
            last_ok = Instant::now();
        } else {
            counts.failed += 1;
            counts.longest_gap_ms = counts
                .longest_gap_ms
                .max(last_ok.elapsed().as_millis() as u64);
        }
        counts.updated_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let tmp = out.with_extension("json.tmp");
        if let Ok(text) = serde_json::to_string(&counts)
            && std::fs::write(&tmp, text).is_ok()
        {
            let _ = std::fs::rename(&tmp, out);
        }
        if let Some(rest) = interval.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

fn client_host(st: &State) -> Result<&crate::state::Host, String> {
    st.hosts
        .iter()
        .find(|h| h.roles.iter().any(|r| r == "client"))
        .ok_or_else(|| "this lab has no client host".to_string())
}

/// Starts the generator on the client host against the VIP (or the single node).
pub fn start(dir: &Path, exe: &Path) -> Result<String, String> {
    let mut st = crate::load(dir)?;
    if running_pid(&st).is_some() {
        return Err("traffic is already running (`hotplay lab traffic stop` first)".into());
    }
    // The VIP; else every serving compute node (a cluster: the client fails over among them).
    let target = match &st.vip {
        Some(vip) => format!("{vip}:3323"),
        None => st
            .hosts
            .iter()
            .filter(|h| crate::topology::is_compute(&h.roles) && !h.has("dr-room"))
            .map(|h| format!("{}:3323", h.address))
            .collect::<Vec<_>>()
            .join(","),
    };
    if target.is_empty() {
        return Err("no service address".into());
    }
    let client = client_host(&st)?.clone();
    let out = counts_file(dir);
    let _ = std::fs::remove_file(&out);
    let mut cmd = std::process::Command::new("ip");
    cmd.args(["netns", "exec", &client.netns])
        .arg(exe)
        .args(["lab", "traffic-run", "--target", &target, "--out"])
        .arg(&out);
    let pid = spawn_detached(cmd, &st.host_dir(&client.name).join("logs/traffic.log"))?;
    st.record(Resource::Process {
        pid,
        start_time: start_time(pid).unwrap_or(0),
        host: client.name.clone(),
        what: "traffic".into(),
    })?;
    Ok(target)
}

fn running_pid(st: &State) -> Option<i32> {
    st.resources.iter().rev().find_map(|r| match r {
        Resource::Process {
            pid,
            start_time,
            what,
            ..
        } if what == "traffic" && crate::state::same_process(*pid, *start_time) => Some(*pid),
        _ => None,
    })
}

pub fn stop(dir: &Path) -> Result<Option<Counts>, String> {
    let st = crate::load(dir)?;
    if let Some(pid) = running_pid(&st) {
        // SAFETY: the generator this lab started (checked by start time).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        host::wait_for(Duration::from_secs(3), || !host::alive(pid));
    }
    report(dir)
}

pub fn report(dir: &Path) -> Result<Option<Counts>, String> {
    match std::fs::read_to_string(counts_file(dir)) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(_) => Ok(None),
    }
}
