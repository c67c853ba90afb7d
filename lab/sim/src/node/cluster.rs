//! Cluster mode (haMode 1/4). Members register themselves (`serverId`, `clusterHost`,
//! `clusterPort`) in the config DB table `hotdb_cluster_member` and ask each other for their
//! status on the cluster port twice a second. A started node is `Started`; when a quorum of
//! `clusterSize` is up, the lowest `serverId` without a primary in sight becomes `Primary`,
//! everyone else who sees a primary `Secondary`; both serve. A member of a build that is not
//! rolling-compatible with a running member refuses to join and exits.

use super::{Node, Role, TAG, ha};
use crate::catalog::{Release, Version, find_release, rolling_compatible};
use crate::configdb::Target;
use crate::wire::client::Client;
use crate::wire::server::Reply;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One member as seen in the last round.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: u64,
    pub host: String,
    pub cluster_port: u16,
    pub server_port: u16,
    pub manager_port: u16,
    pub status: String,
    pub release: Option<Release>,
}

struct Me {
    id: u64,
    host: String,
    cluster_port: u16,
    server_port: u16,
    manager_port: u16,
    size: u64,
    name: String,
}

pub fn status_word(role: Role) -> &'static str {
    match role {
        Role::Primary => "Primary",
        Role::Secondary => "Secondary",
        _ => "Started",
    }
}

pub fn start(node: &Arc<Node>) -> Result<(), String> {
    let me = {
        let c = node
            .config
            .lock()
            .map_err(|_| "config lock poisoned".to_string())?;
        Me {
            id: c.number("serverId")?,
            host: c.get("clusterHost").to_string(),
            cluster_port: c.port("clusterPort")?,
            server_port: c.port("serverPort")?,
            manager_port: c.port("managerPort")?,
            size: c.number("clusterSize")?,
            name: c.get("clusterName").to_string(),
        }
    };
    let n = node.clone();
    let port = super::port::Port::open(
        me.cluster_port,
        Arc::new(move |stream, _| answer_peer(&n, stream)),
    )
    .map_err(|e| format!("cannot listen on cluster port {}: {e}", me.cluster_port))?;
    node.log.info(
        TAG,
        &format!(
            "cluster {} member {} listening on {}:{} (clusterSize {})",
            me.name, me.id, me.host, me.cluster_port, me.size
        ),
    );
    let n = node.clone();
    std::thread::spawn(move || {
        let _port = port; // lives as long as the process
        let mut db: Option<Client> = None;
        let mut peers: Vec<(u64, String, u16)> = Vec::new();
        let mut last_refresh: Option<Instant> = None;
        loop {
            if last_refresh.is_none_or(|t| t.elapsed() > Duration::from_secs(2)) {
                match refresh(&n, &me, &mut db) {
                    Ok(p) => peers = p,
                    Err(e) => {
                        db = None;
                        n.log
                            .warn(TAG, &format!("cluster: cannot reach the config DB: {e}"));
                    }
                }
                last_refresh = Some(Instant::now());
            }
            round(&n, &me, &peers);
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    Ok(())
}

fn target(node: &Node) -> Result<Target, String> {
    let c = node
        .config
        .lock()
        .map_err(|_| "config lock poisoned".to_string())?;
    Target::from_jdbc(c.get("url"), c.get("username"), c.get("password"))
}

/// Registers this member and reads the others.
fn refresh(
    node: &Node,
    me: &Me,
    db: &mut Option<Client>,
) -> Result<Vec<(u64, String, u16)>, String> {
    if db.is_none() {
        *db = Some(target(node)?.connect().map_err(|e| e.to_string())?);
    }
    let c = db.as_mut().ok_or("no config DB connection")?;
    let host = me.host.replace('\'', "");
    c.query(&format!(
        "REPLACE INTO hotdb_cluster_member (server_id, host, cluster_port) VALUES ({}, '{host}', {})",
        me.id, me.cluster_port
    ))
    .map_err(|e| e.to_string())?;
    let rows = c
        .query("SELECT server_id, host, cluster_port FROM hotdb_cluster_member")
        .map_err(|e| e.to_string())?
        .rows;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id = r.first()?.as_deref()?.parse().ok()?;
            let host = r.get(1)?.clone()?;
            let port = r.get(2)?.as_deref()?.parse().ok()?;
            (id != me.id).then_some((id, host, port))
        })
        .collect())
}

fn answer_peer(node: &Node, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.trim() != "STATUS" {
        return;
    }
    let (server_port, manager_port, id, host) = match node.config.lock() {
        Ok(c) => (
            c.get("serverPort").to_string(),
            c.get("managerPort").to_string(),
            c.get("serverId").to_string(),
            c.get("clusterHost").to_string(),
        ),
        Err(_) => return,
    };
    let reply = format!(
        "{id} {} {} {} {server_port} {manager_port} {host}\n",
        node.release.version,
        node.release.date,
        status_word(node.role())
    );
    let mut stream = stream;
    let _ = stream.write_all(reply.as_bytes());
}

fn ask(host: &str, port: u16) -> Option<Member> {
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(b"STATUS\n").ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 7 {
        return None;
    }
    Some(Member {
        id: f[0].parse().ok()?,
        release: Version::parse(f[1]).and_then(|v| find_release(v, f[2])),
        status: f[3].to_string(),
        server_port: f[4].parse().ok()?,
        manager_port: f[5].parse().ok()?,
        host: f[6].to_string(),
        cluster_port: port,
    })
}

fn round(node: &Arc<Node>, me: &Me, peers: &[(u64, String, u16)]) {
    let alive: Vec<Member> = peers
        .iter()
        .filter_map(|(_, host, port)| ask(host, *port))
        .collect();
    let role = node.role();
    for m in &alive {
        let compatible = m
            .release
            .is_some_and(|r| rolling_compatible(r, node.release));
        if !compatible && role == Role::Started {
            let theirs = m
                .release
                .map(|r| format!("{} ({})", r.version, r.date))
                .unwrap_or_else(|| "an unknown build".into());
            node.log.error(
                TAG,
                &format!(
                    "refusing to join cluster {}: member {} runs {theirs}, not rolling-compatible with {} ({})",
                    me.name, m.id, node.release.version, node.release.date
                ),
            );
            node.log.error(TAG, "HotDB-server start failed");
            std::process::exit(1);
        }
    }
    let primary = alive
        .iter()
        .filter(|m| m.status == "Primary")
        .map(|m| m.id)
        .min();
    let quorum = alive.len() as u64 + 1 > me.size / 2;
    let lowest = alive.iter().all(|m| m.id > me.id);
    let next = match (role, primary) {
        (Role::Primary, Some(p)) if p < me.id => Role::Secondary,
        (Role::Primary, _) => Role::Primary,
        (_, Some(_)) => Role::Secondary,
        (_, None) if quorum && lowest => Role::Primary,
        (r, None) => r,
    };
    if next != role {
        if let Ok(mut s) = node.state.lock() {
            s.role = next;
        }
        node.log.info(
            TAG,
            &format!(
                "cluster {}: this member is now {}",
                me.name,
                status_word(next)
            ),
        );
        if let Err(e) = ha::go_online(node, "cluster election") {
            node.log.error(TAG, &e);
        }
    }
    let mut rows = vec![Member {
        id: me.id,
        host: me.host.clone(),
        cluster_port: me.cluster_port,
        server_port: me.server_port,
        manager_port: me.manager_port,
        status: status_word(next).to_string(),
        release: Some(node.release),
    }];
    rows.extend(alive);
    rows.sort_by_key(|m| m.id);
    if let Ok(mut m) = node.members.lock() {
        *m = rows;
    }
}

/// `show @@cluster`: every live member; empty outside cluster mode.
pub fn show(node: &Node) -> Reply {
    let members = node.members.lock().map(|m| m.clone()).unwrap_or_default();
    let rows = members
        .iter()
        .map(|m| {
            vec![
                Some(m.status.clone()),
                Some(m.host.clone()),
                Some(m.cluster_port.to_string()),
                Some(m.server_port.to_string()),
                Some(m.manager_port.to_string()),
            ]
        })
        .collect();
    Reply::rows(
        &["status", "host", "port", "server_port", "manager_port"],
        rows,
    )
}
