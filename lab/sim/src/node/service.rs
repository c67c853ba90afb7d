//! The service port (3323): a stand-in for client traffic. It answers `select 1`,
//! `select @@version`, `select sleep(N)`, transactions and `set`/`use`; sessions are
//! tracked for `show @@session` and `show @@longtransaction`.

use super::port::Handler;
use super::{Node, SessionInfo};
use crate::wire::server::{Reply, Session, serve};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub fn handler(node: &Arc<Node>) -> Handler {
    let node = node.clone();
    Arc::new(move |stream, id| {
        let host = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        if let Ok(mut s) = node.sessions.lock() {
            s.insert(
                id,
                SessionInfo {
                    host,
                    since: Instant::now(),
                    query: None,
                    query_since: None,
                    trx_started: None,
                    trx_query: None,
                },
            );
        }
        let version = node.server_version();
        let mut session = ServiceSession {
            node: node.clone(),
            id,
        };
        let _ = serve(stream, &version, id, &mut session);
        if let Ok(mut s) = node.sessions.lock() {
            s.remove(&id);
        }
    })
}

struct ServiceSession {
    node: Arc<Node>,
    id: u32,
}

impl ServiceSession {
    fn update(&self, f: impl FnOnce(&mut SessionInfo)) {
        if let Ok(mut s) = self.node.sessions.lock()
            && let Some(info) = s.get_mut(&self.id)
        {
            f(info);
        }
    }
}

impl Session for ServiceSession {
    fn query(&mut self, sql: &str) -> Reply {
        let text = normalize(sql);
        self.update(|i| {
            i.query = Some(sql.to_string());
            i.query_since = Some(Instant::now());
            if i.trx_started.is_some() {
                i.trx_query = Some(sql.to_string());
            }
        });
        let reply = answer(&self.node, &text, sql);
        match text.as_str() {
            "begin" | "start transaction" => self.update(|i| {
                i.trx_started = Some(SystemTime::now());
                i.trx_query = None;
            }),
            "commit" | "rollback" => self.update(|i| {
                i.trx_started = None;
                i.trx_query = None;
            }),
            _ => {}
        }
        self.update(|i| {
            i.query = None;
            i.query_since = None;
        });
        reply
    }
}

/// Lower case, single spaces, no trailing `;`.
pub fn normalize(sql: &str) -> String {
    let lower = sql.trim().trim_end_matches(';').trim().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn answer(node: &Node, text: &str, sql: &str) -> Reply {
    if let Some(reply) = variables(node, text) {
        return reply;
    }
    if let Some(arg) = text
        .strip_prefix("select sleep(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return match arg.trim().parse::<f64>() {
            Ok(secs) if (0.0..=3600.0).contains(&secs) => {
                std::thread::sleep(Duration::from_secs_f64(secs));
                Reply::rows(
                    &[&format!("sleep({})", arg.trim())],
                    vec![vec![Some("0".into())]],
                )
            }
            _ => Reply::error(1064, format!("invalid sleep time in: {sql}")),
        };
    }
    match text {
        "select 1" => Reply::rows(&["1"], vec![vec![Some("1".into())]]),
        "begin" | "start transaction" | "commit" | "rollback" => Reply::ok(),
        t if t.starts_with("set ") || t.starts_with("use ") => Reply::ok(),
        _ => Reply::error(
            1064,
            format!("hotdb-sim: the service port does not run this statement: {sql}"),
        ),
    }
}

/// `select @@x[, @@y]` and `select version()`, as client libraries send them.
pub fn variables(node: &Node, text: &str) -> Option<Reply> {
    if text == "select version()" {
        return Some(Reply::rows(
            &["version()"],
            vec![vec![Some(node.server_version())]],
        ));
    }
    let list = text.strip_prefix("select ")?;
    let list = list.strip_suffix(" limit 1").unwrap_or(list);
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    if !names.iter().all(|n| n.starts_with("@@")) {
        return None;
    }
    let row = names
        .iter()
        .map(|n| {
            let name = n
                .trim_start_matches("@@")
                .trim_start_matches("session.")
                .trim_start_matches("global.");
            match name {
                "version" => Some(node.server_version()),
                "version_comment" => Some("HotDB Server by Hotpu Tech".to_string()),
                "max_allowed_packet" => Some("67108864".to_string()),
                "wait_timeout" | "interactive_timeout" => Some("28800".to_string()),
                "autocommit" => Some("1".to_string()),
                "character_set_client" | "character_set_connection" | "character_set_results" => {
                    Some("utf8".to_string())
                }
                "tx_isolation" | "transaction_isolation" => Some("REPEATABLE-READ".to_string()),
                "socket" | "hostname" => Some(String::new()),
                _ => None,
            }
        })
        .collect();
    Some(Reply::rows(&names, vec![row]))
}
