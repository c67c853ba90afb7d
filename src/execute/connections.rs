//! One connection per host for the run, chosen from the host's variables.

use super::connection::local::Local;
use super::connection::{ConnError, Connection, ExecOutput, ExecRequest};
use super::options::RunOptions;
use crate::plan::vars::Context;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Pool {
    conns: HashMap<String, Arc<dyn Connection>>,
}

/// A host whose connection type hotplay cannot open: every command is unreachable.
struct Unavailable(String);

#[async_trait]
impl Connection for Unavailable {
    async fn exec(&self, _req: ExecRequest) -> Result<ExecOutput, ConnError> {
        Err(ConnError::Unreachable(self.0.clone()))
    }
}

fn var(ctx: &Arc<Context>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| ctx.get_json(n).and_then(|v| v.as_str().map(str::to_string)))
}

impl Pool {
    pub fn get(
        &mut self,
        host: &str,
        ctx: &Arc<Context>,
        options: &RunOptions,
    ) -> Result<Arc<dyn Connection>, String> {
        if let Some(c) = self.conns.get(host) {
            return Ok(c.clone());
        }
        let kind = var(ctx, &["hotplay_connection", "ansible_connection"])
            .or_else(|| options.connection.clone())
            .unwrap_or_else(|| {
                if is_local_name(host) {
                    "local".into()
                } else {
                    "ssh".into()
                }
            });
        let conn: Arc<dyn Connection> = match kind.as_str() {
            "local" => Arc::new(Local),
            "ssh" | "smart" | "paramiko" => Arc::new(Unavailable(format!(
                "Failed to connect to the host via ssh: hotplay's ssh transport is not built yet (use ansible_connection=local for {host})"
            ))),
            other => {
                return Err(format!(
                    "unknown connection type `{other}` for {host}; hotplay has local and ssh"
                ));
            }
        };
        self.conns.insert(host.to_string(), conn.clone());
        Ok(conn)
    }

    pub async fn reset(&mut self, host: &str) {
        if let Some(c) = self.conns.remove(host) {
            c.close().await;
        }
    }

    pub async fn close_all(&mut self) {
        for (_, c) in self.conns.drain() {
            c.close().await;
        }
    }
}

fn is_local_name(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}
