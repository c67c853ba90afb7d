//! The topologies: which hosts a lab has, their addresses and roles, and which build a
//! version names.

use hotdb_sim::catalog::{RELEASES, Release, Version};

pub const TOPOLOGIES: &[&str] = &["single", "master-backup", "multi-node", "dr", "full"];
pub const BACKUP_PACKAGE: &str = "hotdb-backup-2.0-20190109.tar.gz";
pub const LISTENER_PACKAGE: &str = "hotdb-listener-0.0.1-linux.tar.gz";
/// A host of a topology: name, last octet of its address, roles.
pub type Planned = (&'static str, u8, Vec<&'static str>);

pub fn hosts_of(topology: &str) -> Result<Vec<Planned>, String> {
    let common = [
        ("mgmt", 20, vec!["management"]),
        ("configdb", 30, vec!["configdb"]),
        ("client", 50, vec!["client"]),
    ];
    let mut out = match topology {
        "single" => vec![("hotdb1", 11, vec!["compute-single"])],
        "master-backup" => vec![
            ("hotdb1", 11, vec!["compute-master"]),
            ("hotdb2", 12, vec!["compute-backup"]),
        ],
        "multi-node" => vec![
            ("hotdb1", 11, vec!["compute-cluster"]),
            ("hotdb2", 12, vec!["compute-cluster"]),
            ("hotdb3", 13, vec!["compute-cluster"]),
        ],
        "dr" => vec![
            ("hotdb1", 11, vec!["compute-master"]),
            ("hotdb2", 12, vec!["compute-backup"]),
            ("hotdb3", 13, vec!["compute-master", "dr-room"]),
            ("hotdb4", 14, vec!["compute-backup", "dr-room"]),
            ("configdb-dr", 31, vec!["configdb", "dr-room"]),
        ],
        "full" => vec![
            ("hotdb1", 11, vec!["compute-master"]),
            ("hotdb2", 12, vec!["compute-backup"]),
            ("storage1", 40, vec!["storage"]),
        ],
        other => {
            return Err(format!(
                "unknown topology {other} (available: {})",
                TOPOLOGIES.join(", ")
            ));
        }
    };
    out.extend(common);
    out.sort_by_key(|(_, last, _)| *last);
    Ok(out)
}

/// `2.5.3` (the newest build of that version) or `2.5.3-20190801`.
pub fn release_of(text: &str) -> Result<Release, String> {
    let (v, date) = match text.split_once('-') {
        Some((v, d)) => (v, Some(d)),
        None => (text, None),
    };
    let version = Version::parse(v).ok_or_else(|| format!("bad version {text:?}"))?;
    RELEASES
        .iter()
        .rev()
        .find(|r| r.version == version && date.is_none_or(|d| d == r.date))
        .copied()
        .ok_or_else(|| {
            let known: Vec<String> = RELEASES
                .iter()
                .map(|r| format!("{}-{}", r.version, r.date))
                .collect();
            format!("no build {text} (known: {})", known.join(", "))
        })
}

pub fn is_compute(roles: &[String]) -> bool {
    roles.iter().any(|r| r.starts_with("compute-"))
}
