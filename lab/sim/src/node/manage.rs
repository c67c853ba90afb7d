//! The management port (3325): HotDB's management commands with their column names,
//! messages and error codes; anything else is an error, never a dropped connection.

use super::ha::{go_offline, go_online};
use super::port::Port;
use super::service::{normalize, variables};
use super::{Node, Role, TAG, check_config_db, cluster, config::ServerConfig};
use crate::log::timestamp;
use crate::wire::server::{Reply, Session, serve};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `show @@longtransaction` lists transactions older than this.
const LONG_TRANSACTION: Duration = Duration::from_secs(10);

pub fn open_port(node: &Arc<Node>) -> Result<Port, String> {
    let port = node
        .config
        .lock()
        .map_err(|_| "config lock poisoned".to_string())?
        .port("managerPort")?;
    let n = node.clone();
    let opened = Port::open(
        port,
        Arc::new(move |stream, id| {
            let version = n.server_version();
            let _ = serve(stream, &version, id, &mut ManageSession { node: n.clone() });
        }),
    )
    .map_err(|e| format!("cannot listen on management port {port}: {e}"))?;
    node.log
        .info(TAG, &format!("HotDB-Manager listening on {port}"));
    Ok(opened)
}

struct ManageSession {
    node: Arc<Node>,
}

impl Session for ManageSession {
    fn query(&mut self, sql: &str) -> Reply {
        let node = &self.node;
        let text = normalize(sql);
        if let Some(reply) = variables(node, &text) {
            return reply;
        }
        match text.as_str() {
            "show @@version" => Reply::rows(&["version"], vec![vec![Some(node.server_version())]]),
            "show @@server" => show_server(node),
            "show @@cluster" => cluster::show(node),
            "show @@session" => show_session(node),
            "show @@longtransaction" => show_long_transactions(node),
            "show @@usbkey" => show_usbkey(node),
            "reload @@config" => reload(node),
            "online" => match go_online(node, "online command") {
                Ok(()) => Reply::ok(),
                Err(e) => {
                    node.log.error(TAG, &e);
                    Reply::error(10192, e)
                }
            },
            "offline" => {
                go_offline(node, "offline command");
                Reply::ok()
            }
            t if t.starts_with("set ") || t.starts_with("use ") => Reply::ok(),
            _ => Reply::error(10192, format!("Unsupported statement: {sql}")),
        }
    }
}

fn show_server(node: &Node) -> Reply {
    let now = SystemTime::now();
    let up = now
        .duration_since(node.started_at)
        .unwrap_or_default()
        .as_secs();
    let role = match node.role() {
        Role::Master | Role::Primary => "MASTER",
        _ => "BACKUP",
    };
    let status = if node.service_open() { "ON" } else { "OFF" };
    let reload = node.reload_time.lock().ok().and_then(|t| *t).map(timestamp);
    let row = vec![
        Some(timestamp(now)),
        Some(timestamp(node.started_at)),
        Some(format!(
            "{}d {}h {}m {}s",
            up / 86400,
            up / 3600 % 24,
            up / 60 % 60,
            up % 60
        )),
        Some("256".into()),
        Some("1024".into()),
        Some("4096".into()),
        reload,
        Some("utf8".into()),
        Some(status.into()),
        Some(format!("{}.{}", node.release.version, node.release.date)),
        Some(role.into()),
    ];
    Reply::rows(
        &[
            "datetime",
            "start_time",
            "uptime",
            "used_memory",
            "total_memory",
            "max_memory",
            "reload_time",
            "charset",
            "status",
            "version",
            "role",
        ],
        vec![row],
    )
}

fn show_session(node: &Node) -> Reply {
    let sessions = node.sessions.lock().map(|s| s.clone()).unwrap_or_default();
    let rows = sessions
        .iter()
        .map(|(id, s)| {
            vec![
                Some(id.to_string()),
                Some(s.host.clone()),
                Some(if s.query.is_some() { "true" } else { "false" }.into()),
                s.query.clone(),
                Some(
                    s.query_since
                        .map(|t| t.elapsed().as_millis())
                        .unwrap_or(0)
                        .to_string(),
                ),
                s.trx_started.map(timestamp),
                s.trx_query.clone(),
            ]
        })
        .collect();
    Reply::rows(
        &[
            "id",
            "host",
            "running",
            "sql",
            "time_ms",
            "trx_started",
            "trx_query",
        ],
        rows,
    )
}

/// Transactions open longer than 10 s, as HotDB reads them from `innodb_trx`: an explicit
/// transaction counts from its `begin`, a statement running in autocommit mode from its start
/// (InnoDB lists both). `host`/`port` are the client's address (the simulator has no data
/// sources to report).
fn show_long_transactions(node: &Node) -> Reply {
    let sessions = node.sessions.lock().map(|s| s.clone()).unwrap_or_default();
    let now = SystemTime::now();
    let rows = sessions
        .iter()
        .filter_map(|(id, s)| {
            let (started, query) = match s.trx_started {
                Some(t) => (t, s.trx_query.clone().or_else(|| s.query.clone())),
                None => (now - s.query_since?.elapsed(), s.query.clone()),
            };
            if now.duration_since(started).unwrap_or_default() <= LONG_TRANSACTION {
                return None;
            }
            let (host, port) = s.host.rsplit_once(':').unwrap_or((s.host.as_str(), ""));
            Some(vec![
                Some(host.to_string()),
                Some(port.to_string()),
                Some(id.to_string()),
                Some(timestamp(started)),
                query,
            ])
        })
        .collect();
    Reply::rows(
        &["host", "port", "trx_id", "trx_started", "trx_query"],
        rows,
    )
}

fn show_usbkey(node: &Node) -> Reply {
    let l = &node.license;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let left = l.left_time(node.activated, now).unwrap_or(0);
    Reply::rows(
        &[
            "left_time(s)",
            "usbkey_type",
            "node_limit",
            "logicdb_limit",
            "usbkey_status",
        ],
        vec![vec![
            Some(left.to_string()),
            Some(l.usbkey_type.to_string()),
            Some(l.node_limit.to_string()),
            Some(l.logicdb_limit.to_string()),
            Some("1".into()),
        ]],
    )
}

fn reload(node: &Node) -> Reply {
    let fail = |code: u16, message: String| {
        node.log
            .error(TAG, &format!("reload @@config failed: {message}"));
        Reply::error(code, message)
    };
    if node.settings.flag("fault.reload.fail") {
        node.log.fault("reload @@config fails");
        return fail(10191, "Reload config failure: injected fault".to_string());
    }
    let config = match ServerConfig::load(&node.home.join("conf/server.xml"), node.release.version)
    {
        Ok(c) => c,
        Err(e) => return fail(10191, format!("Reload config failure: {e}")),
    };
    if let Err(e) = check_config_db(&config, node.release, &node.license, true) {
        let code = if e.starts_with("Number of Datanodes") {
            10190
        } else {
            10191
        };
        return fail(code, format!("Reload config failure: {e}"));
    }
    if let Ok(mut c) = node.config.lock() {
        *c = config;
    }
    if let Ok(mut t) = node.reload_time.lock() {
        *t = Some(SystemTime::now());
    }
    node.log.info(TAG, "Reload config success");
    Reply::Ok {
        affected: 1,
        info: "Reload config success".into(),
    }
}
