//! `hotplay lab down`: removes what the state file records, and only that. Idempotent:
//! whatever is already gone is skipped; the state file goes last.

use crate::host::{self, ip};
use crate::state::{Resource, State, same_process};
use std::path::Path;
use std::time::Duration;

/// What `down` did, for its report.
#[derive(Debug, Default)]
pub struct Removed {
    pub processes: usize,
    pub namespaces: usize,
    pub links: usize,
    pub dir: bool,
}

pub fn down(dir: &Path) -> Result<Removed, String> {
    crate::require_root()?;
    let mut removed = Removed::default();
    let Some(st) = State::load(dir)? else {
        return Ok(removed);
    };
    // Every process inside the lab's network namespaces is the lab's (daemons, their
    // children, ssh sessions); recorded processes are killed only if still the same.
    let mut pids: Vec<i32> = Vec::new();
    for r in st.resources.iter().rev() {
        match r {
            Resource::Process {
                pid, start_time, ..
            } if same_process(*pid, *start_time) => pids.push(*pid),
            Resource::Netns { name } if Path::new(&format!("/run/netns/{name}")).exists() => {
                if let Ok(out) = ip(&["netns", "pids", name]) {
                    pids.extend(
                        String::from_utf8_lossy(&out.stdout)
                            .split_whitespace()
                            .filter_map(|p| p.parse::<i32>().ok()),
                    );
                }
            }
            _ => {}
        }
    }
    pids.sort_unstable();
    pids.dedup();
    for pid in &pids {
        // SAFETY: a pid recorded by this lab (checked by start time) or living in its netns.
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    host::wait_for(Duration::from_secs(5), || {
        pids.iter().all(|p| !host::alive(*p))
    });
    removed.processes = pids.len();
    for r in st.resources.iter().rev() {
        match r {
            Resource::Netns { name } if Path::new(&format!("/run/netns/{name}")).exists() => {
                ip(&["netns", "del", name])?;
                removed.namespaces += 1;
            }
            Resource::Veth { name } | Resource::Bridge { name }
                if Path::new(&format!("/sys/class/net/{name}")).exists() =>
            {
                ip(&["link", "del", name])?;
                removed.links += 1;
            }
            _ => {}
        }
    }
    for r in st.resources.iter().rev() {
        if let Resource::Dir { path } = r
            && path.exists()
        {
            std::fs::remove_dir_all(path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            removed.dir = true;
        }
    }
    let _ = std::fs::remove_file(State::path(dir));
    Ok(removed)
}
