//! One connection per host for the run, chosen from the host's variables.

use super::connection::become_wrap::Secret;
use super::connection::local::Local;
use super::connection::ssh::{self, HostKeyChecking, Ssh, SshTarget};
use super::connection::{ConnError, Connection, ExecOutput, ExecRequest};
use super::options::RunOptions;
use crate::plan::vars::Context;
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
pub struct Pool {
    conns: HashMap<String, Arc<dyn Connection>>,
    control_dir: Option<PathBuf>,
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
            "ssh" | "smart" | "paramiko" => {
                match ssh_target(host, ctx, options).and_then(|t| Ok((t, self.control_dir()?))) {
                    Ok((target, dir)) => Arc::new(Ssh::new(target, dir)),
                    Err(msg) => Arc::new(Unavailable(msg)),
                }
            }
            other => {
                return Err(format!(
                    "unknown connection type `{other}` for {host}; hotplay has local and ssh"
                ));
            }
        };
        self.conns.insert(host.to_string(), conn.clone());
        Ok(conn)
    }

    fn control_dir(&mut self) -> Result<PathBuf, String> {
        if let Some(d) = &self.control_dir {
            return Ok(d.clone());
        }
        let d = ssh::control_dir()?;
        self.control_dir = Some(d.clone());
        Ok(d)
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

/// How to reach a host over ssh, from its variables (hotplay_* first, then ansible_*) and the options.
fn ssh_target(host: &str, ctx: &Arc<Context>, options: &RunOptions) -> Result<SshTarget, String> {
    let text = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| ctx.get_json(n)).map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    };
    let port = match text(&["hotplay_port", "ansible_port", "ansible_ssh_port"]) {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("{host}: ansible_port `{p}` is not a port number"))?,
        ),
        None => None,
    };
    let mut opts = Vec::new();
    let mut config_file = None;
    for names in [
        ["hotplay_ssh_common_args", "ansible_ssh_common_args"],
        ["hotplay_ssh_extra_args", "ansible_ssh_extra_args"],
    ] {
        if let Some(a) = text(&names) {
            let (o, f) = ssh::parse_ssh_args(&a).map_err(|e| format!("{host}: {e}"))?;
            opts.extend(o);
            config_file = f.or(config_file);
        }
    }
    let checking = match text(&[
        "hotplay_host_key_checking",
        "ansible_host_key_checking",
        "ansible_ssh_host_key_checking",
    ]) {
        Some(v) if v == "accept-new" => HostKeyChecking::AcceptNew,
        Some(v) => match crate::plan::ansible_bool(&serde_json::Value::String(v)) {
            Some(false) => HostKeyChecking::Off,
            _ => HostKeyChecking::Strict,
        },
        None => options.host_key_checking,
    };
    let timeout = text(&[
        "hotplay_ssh_timeout",
        "ansible_ssh_timeout",
        "ansible_timeout",
    ])
    .and_then(|t| t.parse::<u64>().ok())
    .or(options.timeout)
    .unwrap_or(10);
    Ok(SshTarget {
        name: host.to_string(),
        address: text(&["hotplay_host", "ansible_host", "ansible_ssh_host"])
            .unwrap_or_else(|| host.to_string()),
        port,
        user: text(&["hotplay_user", "ansible_user", "ansible_ssh_user"])
            .or_else(|| options.remote_user.clone()),
        key_file: text(&[
            "hotplay_ssh_private_key_file",
            "ansible_ssh_private_key_file",
            "ansible_private_key_file",
        ])
        .map(PathBuf::from)
        .or_else(|| options.private_key.clone()),
        config_file,
        options: opts,
        host_key_checking: checking,
        connect_timeout: Duration::from_secs(timeout),
        password: text(&[
            "hotplay_password",
            "ansible_password",
            "ansible_ssh_pass",
            "ansible_ssh_password",
        ])
        .map(Secret)
        .or_else(|| options.conn_password.clone())
        .inspect(|p| crate::parse::secrets::remember(&p.0)),
    })
}

fn is_local_name(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}
