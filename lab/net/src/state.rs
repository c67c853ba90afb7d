//! The state file: everything a lab made, written before each thing is made, so `down`
//! removes exactly that, even after a crash half-way through `up`.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = "lab.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// The lab directory itself (created by `up`, removed by `down`).
    Dir {
        path: PathBuf,
    },
    Bridge {
        name: String,
    },
    Netns {
        name: String,
    },
    /// The root-namespace end of a host's veth pair.
    Veth {
        name: String,
    },
    /// A process, identified by pid and its start time (so a reused pid is never killed).
    Process {
        pid: i32,
        start_time: u64,
        host: String,
        what: String,
    },
    /// A bind mount inside a host's mount namespace (gone with the namespace).
    Mount {
        host: String,
        source: PathBuf,
        target: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub address: String,
    pub netns: String,
    /// Roles: compute-master, compute-backup, compute-single, compute-cluster, management,
    /// configdb, client; `dr-room` marks the DR room's hosts.
    pub roles: Vec<String>,
    /// The process that holds the host's mount and UTS namespaces.
    pub holder_pid: i32,
}

impl Host {
    pub fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub dir: PathBuf,
    pub prefix: String,
    pub topology: String,
    pub version: String,
    pub subnet: String,
    pub vip: Option<String>,
    /// The DR room's VIP (topology dr).
    #[serde(default)]
    pub dr_vip: Option<String>,
    pub hosts: Vec<Host>,
    pub resources: Vec<Resource>,
}

impl State {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn load(dir: &Path) -> Result<Option<State>, String> {
        let path = State::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("{}: not a lab state file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Writes atomically (temp file, rename).
    pub fn save(&self) -> Result<(), String> {
        let path = State::path(&self.dir);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Records a resource before it is created.
    pub fn record(&mut self, r: Resource) -> Result<(), String> {
        self.resources.push(r);
        self.save()
    }

    pub fn host(&self, name: &str) -> Result<&Host, String> {
        self.hosts.iter().find(|h| h.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
            format!("no host {name} in this lab (hosts: {})", names.join(", "))
        })
    }

    /// The host of a role in the same room (center or DR) as `of`.
    pub fn room_host(&self, of: &Host, role: &str) -> Option<&Host> {
        self.hosts
            .iter()
            .find(|h| h.has(role) && h.has("dr-room") == of.has("dr-room"))
    }

    /// The VIP of a host's room.
    pub fn room_vip(&self, of: &Host) -> Option<&String> {
        if of.has("dr-room") {
            self.dr_vip.as_ref()
        } else {
            self.vip.as_ref()
        }
    }

    pub fn host_dir(&self, name: &str) -> PathBuf {
        self.dir.join("hosts").join(name)
    }
}

/// The start time of a process (field 22 of /proc/PID/stat), `None` when it is gone.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Is this pid still the process that was recorded?
pub fn same_process(pid: i32, recorded_start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(recorded_start)
}
