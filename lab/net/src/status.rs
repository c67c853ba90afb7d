//! `hotplay lab status`: what runs where, who holds the VIP, roles and schema versions.

use crate::configdb::{CLOUD_PASSWORD, CLOUD_USER, CONFIG_PASSWORD, CONFIG_USER};
use crate::host::{self, alive, read_pid};
use crate::topology::is_compute;
use hotdb_sim::wire::client::Client;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Component {
    pub name: String,
    pub running: bool,
    pub pid: Option<i32>,
    pub version: Option<String>,
    /// Compute nodes: `show @@server`'s role and status (service port ON/OFF).
    pub role: Option<String>,
    pub service: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HostStatus {
    pub name: String,
    pub address: String,
    pub roles: Vec<String>,
    pub link_up: bool,
    pub sshd: bool,
    pub holds_vip: bool,
    pub components: Vec<Component>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub dir: String,
    pub topology: String,
    pub version: String,
    pub subnet: String,
    pub vip: Option<String>,
    pub vip_holder: Option<String>,
    pub dr_vip: Option<String>,
    pub dr_vip_holder: Option<String>,
    pub hosts: Vec<HostStatus>,
    pub schema: Vec<(String, Option<String>)>,
    pub healthy: bool,
    pub problems: Vec<String>,
}

fn pid_component(name: &str, pidfile: &Path, version_file: Option<&Path>) -> Component {
    let pid = read_pid(pidfile);
    let version = version_file.and_then(|f| {
        let text = std::fs::read_to_string(f).ok()?;
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")).map(str::to_string))
        };
        Some(format!("{}-{}", get("version")?, get("build_date")?))
    });
    Component {
        name: name.into(),
        running: pid.is_some_and(alive),
        pid,
        version,
        role: None,
        service: None,
    }
}

fn query(
    addr: &str,
    port: u16,
    user: &str,
    db: Option<&str>,
    sql: &str,
) -> Option<Vec<(String, String)>> {
    let mut c = Client::connect(addr, port, user, user, db).ok()?;
    let o = c.query(sql).ok()?;
    let row = o.rows.first()?;
    Some(
        o.columns
            .iter()
            .zip(row)
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect(),
    )
}

/// This member's `status` in `show @@cluster` (Started, Primary, Secondary).
fn cluster_status(addr: &str) -> Option<String> {
    let mut c = Client::connect(addr, 3325, "root", "root", None).ok()?;
    let o = c.query("show @@cluster").ok()?;
    let si = o.columns.iter().position(|k| k == "status")?;
    let hi = o.columns.iter().position(|k| k == "host")?;
    o.rows
        .iter()
        .find(|r| r.get(hi).cloned().flatten().as_deref() == Some(addr))
        .and_then(|r| r.get(si).cloned().flatten())
}

pub fn status(dir: &Path) -> Result<Status, String> {
    let st = crate::load(dir)?;
    let mut hosts = Vec::new();
    let mut problems = Vec::new();
    let mut vip_holder = None;
    let mut dr_vip_holder = None;
    let mut schema = Vec::new();
    for h in &st.hosts {
        let hd = st.host_dir(&h.name);
        let addrs = host::addresses(&h.netns);
        let holds_vip = st.vip.as_ref().is_some_and(|v| addrs.contains(v));
        if holds_vip {
            vip_holder = Some(h.name.clone());
        }
        let holds_dr_vip = st.dr_vip.as_ref().is_some_and(|v| addrs.contains(v));
        if holds_dr_vip {
            dr_vip_holder = Some(h.name.clone());
        }
        let link_up = addrs.contains(&h.address)
            && host::ip(&["-n", &h.netns, "link", "show", "eth0"])
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("state UP"))
                .unwrap_or(false);
        let sshd = read_pid(&hd.join("run/sshd.pid")).is_some_and(alive);
        let mut components = Vec::new();
        let base = hd.join("usr-local/hotdb");
        if is_compute(&h.roles) {
            let home = base.join("hotdb-server");
            let mut c = pid_component(
                "hotdb-server",
                &home.join("run/hotdb-server.pid"),
                Some(&home.join("lib/classes/version.properties")),
            );
            if c.running
                && let Some(row) = query(&h.address, 3325, "root", None, "show @@server")
            {
                c.role = row
                    .iter()
                    .find(|(k, _)| k == "role")
                    .map(|(_, v)| v.clone());
                c.service = row
                    .iter()
                    .find(|(k, _)| k == "status")
                    .map(|(_, v)| v.clone());
            }
            if c.running && h.roles.iter().any(|r| r == "compute-cluster") {
                c.role = cluster_status(&h.address);
            }
            components.push(c);
            if st.vip.is_some() {
                components.push(pid_component(
                    "keepalived",
                    &hd.join("run/keepalived.pid"),
                    None,
                ));
            }
        }
        if h.roles.iter().any(|r| r == "management") {
            let home = base.join("hotdb-management");
            let mut c = pid_component(
                "hotdb-management",
                &home.join("run/hotdb-management.pid"),
                Some(&home.join("lib/classes/version.properties")),
            );
            c.service = Some(
                if host::port_open(&h.address, 3324) {
                    "ON"
                } else {
                    "OFF"
                }
                .into(),
            );
            components.push(c);
        }
        if h.has("storage") {
            for (name, dir, pid) in [
                ("hotdb-backup", "hotdb-backup", "hotdb_backup.pid"),
                ("hotdb-listener", "hotdb-listener", "hotdb_listener.pid"),
            ] {
                let home = base.join(dir);
                let mut c = pid_component(
                    name,
                    &home.join("run").join(pid),
                    Some(&home.join("lib/classes/version.properties")),
                );
                if name == "hotdb-listener" {
                    c.service = Some(
                        if host::port_open(&h.address, 3330) {
                            "ON"
                        } else {
                            "OFF"
                        }
                        .into(),
                    );
                }
                components.push(c);
            }
        }
        if h.roles.iter().any(|r| r == "configdb") {
            let mut c = pid_component("mariadb", &hd.join("run/mysqld/mysqld.pid"), None);
            c.service = Some(
                if host::port_open(&h.address, 3306) {
                    "ON"
                } else {
                    "OFF"
                }
                .into(),
            );
            components.push(c);
            for (db, user, password) in [
                ("hotdb_config", CONFIG_USER, CONFIG_PASSWORD),
                ("hotdb_cloud_config", CLOUD_USER, CLOUD_PASSWORD),
            ] {
                let v = Client::connect(&h.address, 3306, user, password, Some(db))
                    .ok()
                    .and_then(|mut c| hotdb_sim::configdb::schema_version(&mut c).ok().flatten())
                    .map(|v| v.to_string());
                let label = if st.topology == "dr" {
                    format!("{db} on {}", h.name)
                } else {
                    db.to_string()
                };
                schema.push((label, v));
            }
            if h.has("dr-room") {
                let out =
                    crate::configdb::sql_in(h, None, "SHOW SLAVE STATUS\\G").unwrap_or_default();
                let running =
                    out.contains("Slave_IO_Running: Yes") && out.contains("Slave_SQL_Running: Yes");
                components.push(Component {
                    name: "replication".into(),
                    running,
                    pid: None,
                    version: None,
                    role: Some("replica".into()),
                    service: None,
                });
            }
        }
        if !sshd {
            problems.push(format!("{}: sshd is not running", h.name));
        }
        if !link_up {
            problems.push(format!("{}: eth0 is down", h.name));
        }
        for c in &components {
            if !c.running {
                problems.push(format!("{}: {} is not running", h.name, c.name));
            } else if h.roles.iter().any(|r| r == "compute-cluster")
                && c.name == "hotdb-server"
                && !matches!(c.role.as_deref(), Some("Primary" | "Secondary"))
            {
                problems.push(format!(
                    "{}: cluster member is {}",
                    h.name,
                    c.role.as_deref().unwrap_or("not answering")
                ));
            }
        }
        hosts.push(HostStatus {
            name: h.name.clone(),
            address: h.address.clone(),
            roles: h.roles.clone(),
            link_up,
            sshd,
            holds_vip: holds_vip || holds_dr_vip,
            components,
        });
    }
    if st.dr_vip.is_some() && dr_vip_holder.is_none() {
        problems.push("nobody holds the DR room's VIP".into());
    }
    if st.vip.is_some() && vip_holder.is_none() {
        problems.push("nobody holds the VIP".into());
    }
    let service = st.vip.clone().or_else(|| {
        st.hosts
            .iter()
            .find(|h| is_compute(&h.roles))
            .map(|h| h.address.clone())
    });
    if let Some(s) = &service
        && !host::port_open(s, 3323)
    {
        problems.push(format!("the service port {s}:3323 is closed"));
    }
    for (db, v) in &schema {
        if v.is_none() {
            problems.push(format!("config DB {db}: no schema version"));
        }
    }
    Ok(Status {
        dir: st.dir.display().to_string(),
        topology: st.topology.clone(),
        version: st.version.clone(),
        subnet: st.subnet.clone(),
        vip: st.vip.clone(),
        vip_holder,
        dr_vip: st.dr_vip.clone(),
        dr_vip_holder,
        hosts,
        schema,
        healthy: problems.is_empty(),
        problems,
    })
}

impl Status {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "lab {} ({}, HotDB {}, subnet {})",
            self.dir, self.topology, self.version, self.subnet
        );
        if let Some(v) = &self.vip {
            let _ = writeln!(
                s,
                "VIP {v}: held by {}",
                self.vip_holder.as_deref().unwrap_or("nobody")
            );
        }
        if let Some(v) = &self.dr_vip {
            let _ = writeln!(
                s,
                "DR room VIP {v}: held by {}",
                self.dr_vip_holder.as_deref().unwrap_or("nobody")
            );
        }
        let name_w = self.hosts.iter().map(|h| h.name.len()).max().unwrap_or(0);
        let roles_w = self
            .hosts
            .iter()
            .map(|h| h.roles.join(",").len())
            .max()
            .unwrap_or(0);
        for h in &self.hosts {
            let _ = writeln!(
                s,
                "{:<name_w$}  {:<12} {:<roles_w$}  sshd {}{}{}",
                h.name,
                h.address,
                h.roles.join(","),
                if h.sshd { "up" } else { "DOWN" },
                if h.link_up { "" } else { "  LINK DOWN" },
                if h.holds_vip { "  [VIP]" } else { "" }
            );
            for c in &h.components {
                let mut line = format!(
                    "    {:<17} {}",
                    c.name,
                    if c.running { "running" } else { "STOPPED" }
                );
                if let Some(v) = &c.version {
                    let _ = write!(line, "  {v}");
                }
                if let Some(r) = &c.role {
                    let _ = write!(line, "  role {r}");
                }
                if let Some(p) = &c.service {
                    let _ = write!(line, "  service {p}");
                }
                let _ = writeln!(s, "{line}");
            }
        }
        for (db, v) in &self.schema {
            let _ = writeln!(s, "config DB {db}: schema {}", v.as_deref().unwrap_or("?"));
        }
        if self.healthy {
            let _ = writeln!(s, "healthy");
        } else {
            let _ = writeln!(s, "NOT healthy:");
            for p in &self.problems {
                let _ = writeln!(s, "  - {p}");
            }
        }
        s
    }
}
