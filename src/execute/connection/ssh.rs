//! The `ssh` connection: one multiplexed OpenSSH master per host (the openssh
//! crate, native mux), opened at the host's first command and kept for the run;
//! every command is a session on it, at most `MAX_SESSIONS` at once.

use super::become_wrap::{self, Secret, env_exports};
use super::quote::quote;
use super::{ConnError, Connection, ExecOutput, ExecRequest};
use async_trait::async_trait;
use openssh::{ForwardType, KnownHosts, Session, SessionBuilder, Socket, Stdio};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

/// sshd's MaxSessions defaults to 10; keep one free for the master's own use.
pub const MAX_SESSIONS: usize = 9;

/// How to reach one host.
#[derive(Clone, Debug, Default)]
pub struct SshTarget {
    /// Inventory name, for messages.
    pub name: String,
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub key_file: Option<PathBuf>,
    /// `-F`: an ssh config file instead of ~/.ssh/config.
    pub config_file: Option<PathBuf>,
    /// `-o Key=Value` options from ansible_ssh_common_args / extra_args.
    pub options: Vec<(String, String)>,
    pub host_key_checking: HostKeyChecking,
    pub connect_timeout: Duration,
    /// Password login (`-k`, `ansible_password`) instead of keys.
    pub password: Option<Secret>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostKeyChecking {
    /// An unknown or changed key is an error.
    #[default]
    Strict,
    /// Unknown keys are added; changed keys are still an error.
    AcceptNew,
    Off,
}

pub struct Ssh {
    target: SshTarget,
    /// Private 0700 directory for control sockets (short: Unix socket paths are limited to 108 bytes).
    control_dir: PathBuf,
    session: Mutex<Option<Arc<Session>>>,
    slots: Semaphore,
    /// The directory of a password master this connection started (see ssh_password).
    password_master: std::sync::Mutex<Option<PathBuf>>,
}

impl Ssh {
    pub fn new(target: SshTarget, control_dir: PathBuf) -> Ssh {
        Ssh {
            target,
            control_dir,
            session: Mutex::new(None),
            slots: Semaphore::new(MAX_SESSIONS),
            password_master: std::sync::Mutex::new(None),
        }
    }

    /// `-o` options become a generated config file that includes the user's own.
    fn config_file(&self) -> Result<Option<PathBuf>, ConnError> {
        if self.target.options.is_empty() {
            return Ok(self.target.config_file.clone());
        }
        let mut text = String::new();
        for (k, v) in &self.target.options {
            text.push_str(&format!("{k} {v}\n"));
        }
        let include = self.target.config_file.clone().or_else(|| {
            std::env::var("HOME")
                .ok()
                .map(|h| PathBuf::from(h).join(".ssh/config"))
        });
        if let Some(inc) = include.filter(|p| p.exists()) {
            text.push_str(&format!("Include {}\n", inc.display()));
        }
        let path = self
            .control_dir
            .join(format!("{}.config", sanitize(&self.target.name)));
        std::fs::write(&path, text)
            .map_err(|e| ConnError::Io(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(path))
    }

    async fn connect(&self) -> Result<Arc<Session>, ConnError> {
        if let Some(pw) = &self.target.password {
            self.stop_password_master();
            let cfg = self.config_file()?;
            let (s, dir) =
                super::ssh_password::connect(&self.target, cfg, &self.control_dir, &pw.0).await?;
            if let Ok(mut m) = self.password_master.lock() {
                *m = Some(dir);
            }
            return Ok(Arc::new(s));
        }
        let mut b = SessionBuilder::default();
        b.known_hosts_check(match self.target.host_key_checking {
            HostKeyChecking::Strict => KnownHosts::Strict,
            HostKeyChecking::AcceptNew => KnownHosts::Add,
            HostKeyChecking::Off => KnownHosts::Accept,
        });
        b.connect_timeout(self.target.connect_timeout);
        b.server_alive_interval(Duration::from_secs(15));
        b.control_directory(&self.control_dir);
        if let Some(p) = self.target.port {
            b.port(p);
        }
        if let Some(u) = &self.target.user {
            b.user(u.clone());
        }
        if let Some(k) = &self.target.key_file {
            b.keyfile(k);
        }
        if let Some(cfg) = self.config_file()? {
            b.config_file(cfg);
        }
        if self.target.host_key_checking == HostKeyChecking::Off {
            b.user_known_hosts_file("/dev/null");
        }
        match b.connect_mux(&self.target.address).await {
            Ok(s) => Ok(Arc::new(s)),
            Err(e) => Err(ConnError::Unreachable(describe(&self.target, &e))),
        }
    }

    async fn session(&self, fresh: bool) -> Result<Arc<Session>, ConnError> {
        let mut guard = self.session.lock().await;
        if fresh {
            *guard = None;
        }
        if let Some(s) = guard.as_ref() {
            return Ok(s.clone());
        }
        let s = self.connect().await?;
        *guard = Some(s.clone());
        Ok(s)
    }

    async fn spawn<'s>(
        session: &'s Session,
        remote: &str,
    ) -> Result<openssh::Child<&'s Session>, openssh::Error> {
        session
            .raw_command(remote)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
    }
}

/// A name fit for a file name.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The reason a host is unreachable, in words: refused, no such host, timeout, auth, host key.
fn describe(t: &SshTarget, e: &openssh::Error) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    let lower = text.to_lowercase();
    let why = if lower.contains("host key verification failed")
        || lower.contains("remote host identification has changed")
    {
        "the host key is unknown or has changed (host key checking is strict; see --host-key-checking)"
    } else if lower.contains("permission denied") {
        "authentication failed"
    } else if lower.contains("connection refused") {
        "connection refused"
    } else if lower.contains("timed out") {
        "connection timed out"
    } else if lower.contains("could not resolve") || lower.contains("name or service not known") {
        "the host name does not resolve"
    } else {
        "ssh could not connect"
    };
    let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "Failed to connect to the host via ssh ({}{port}): {why}: {}",
        t.address,
        text.trim()
    )
}

#[async_trait]
impl Connection for Ssh {
    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, ConnError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ConnError::Io("connection closed".into()))?;
        // The environment travels inside the script (sshd would drop SendEnv variables).
        let script = format!("{}{}", env_exports(&req.env), req.script);
        let wrapped = match &req.become_ {
            Some(b) => Some(b.wrap(&script)?),
            None => None,
        };
        let remote = match &wrapped {
            Some(w) => w
                .argv
                .iter()
                .map(|a| quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            None => format!("/bin/sh -c {}", quote(&script)),
        };
        let password = req.become_.as_ref().and_then(|b| b.password.clone());
        let sent = req.sent.clone();
        let run = async {
            let mut session = self.session(false).await?;
            let mut child = match Self::spawn(&session, &remote).await {
                Ok(c) => c,
                // The command never started: re-establish the master once and try again.
                Err(_) => {
                    session = self.session(true).await?;
                    Self::spawn(&session, &remote)
                        .await
                        .map_err(|e| ConnError::Unreachable(describe(&self.target, &e)))?
                }
            };
            let (Some(stdin), Some(stdout), Some(stderr)) = (
                child.stdin().take(),
                child.stdout().take(),
                child.stderr().take(),
            ) else {
                return Err(ConnError::Io("ssh child pipes missing".into()));
            };
            let (out, err) = become_wrap::drive(
                stdin,
                stdout,
                stderr,
                req.stdin,
                wrapped.as_ref(),
                password.as_ref(),
                sent.as_deref(),
            )
            .await?;
            let status = child.wait().await.map_err(|e| match e {
                openssh::Error::RemoteProcessTerminated | openssh::Error::Disconnected => {
                    ConnError::Unreachable(format!(
                        "the connection to {} dropped during the command",
                        self.target.name
                    ))
                }
                other => ConnError::Unreachable(describe(&self.target, &other)),
            })?;
            Ok(ExecOutput {
                rc: status.code().unwrap_or(-1),
                stdout: out,
                stderr: err,
            })
        };
        super::with_timeout(req.timeout, run).await
    }

    async fn forward(&self, host: &str, port: u16) -> Result<std::net::SocketAddr, ConnError> {
        let session = self.session(false).await?;
        let local = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| ConnError::Io(format!("no free local port: {e}")))?;
        session
            .request_port_forward(
                ForwardType::Local,
                local,
                Socket::TcpSocket {
                    host: host.into(),
                    port,
                },
            )
            .await
            .map_err(|e| {
                ConnError::Io(format!(
                    "cannot forward to {host}:{port} through {}: {e}",
                    self.target.name
                ))
            })?;
        Ok(local)
    }

    async fn unforward(&self, local: std::net::SocketAddr, host: &str, port: u16) {
        if let Some(session) = self.session.lock().await.clone() {
            let _ = session
                .close_port_forward(
                    ForwardType::Local,
                    local,
                    Socket::TcpSocket {
                        host: host.into(),
                        port,
                    },
                )
                .await;
        }
    }

    async fn close(&self) {
        if let Some(s) = self.session.lock().await.take()
            && let Ok(s) = Arc::try_unwrap(s)
        {
            let _ = s.close().await;
        }
        self.stop_password_master();
    }
}

impl Ssh {
    /// Ends a password master we started (a resumed session does not end it on drop).
    fn stop_password_master(&self) {
        let Some(dir) = self.password_master.lock().ok().and_then(|mut m| m.take()) else {
            return;
        };
        let _ = std::process::Command::new("ssh")
            .arg("-S")
            .arg(dir.join("m"))
            .args(["-O", "exit", "hotplay-master"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

impl Drop for Ssh {
    fn drop(&mut self) {
        self.stop_password_master();
    }
}

/// The private directory for control sockets: /tmp/hotplay-<uid>, mode 0700, ours.
pub fn control_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let dir = PathBuf::from(format!("/tmp/hotplay-{uid}"));
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0 => Ok(dir),
        Ok(_) => Err(format!(
            "{} exists but is not a private directory of this user; remove it",
            dir.display()
        )),
        Err(_) => {
            std::fs::create_dir(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot secure {}: {e}", dir.display()))?;
            Ok(dir)
        }
    }
}

/// `-o Key=Value` (and `-oKey=Value`) words of ansible_ssh_common_args / extra_args.
/// ssh options (`Key`, `Value`) and an ssh config file.
pub type SshArgs = (Vec<(String, String)>, Option<PathBuf>);

/// `-o Key=Value` (or `-oKey=Value`), `-J host` and `-F file` words of
/// ansible_ssh_common_args / ansible_ssh_extra_args: the options and the config file.
pub fn parse_ssh_args(args: &str) -> Result<SshArgs, String> {
    let words = crate::parse::shell::shell_words(args)?;
    let mut out = Vec::new();
    let mut config = None;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let opt = match w.as_str() {
            "-o" => it.next().cloned().ok_or("`-o` needs an option")?,
            "-J" => {
                out.push((
                    "ProxyJump".into(),
                    it.next().cloned().ok_or("`-J` needs a jump host")?,
                ));
                continue;
            }
            "-F" => {
                config = Some(PathBuf::from(it.next().ok_or("`-F` needs a file")?));
                continue;
            }
            _ => match w.strip_prefix("-o") {
                Some(o) => o.to_string(),
                None => {
                    return Err(format!(
                        "unsupported ssh argument `{w}` (hotplay takes -o Key=Value, -J host and -F file)"
                    ));
                }
            },
        };
        let (k, v) = opt
            .split_once('=')
            .or_else(|| opt.split_once(' '))
            .ok_or(format!("`-o {opt}` needs Key=Value"))?;
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok((out, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_args() {
        let (opts, cfg) = parse_ssh_args(
            "-o StrictHostKeyChecking=no -oServerAliveInterval=5 -J bastion -F /etc/x",
        )
        .unwrap();
        assert_eq!(
            opts,
            vec![
                ("StrictHostKeyChecking".into(), "no".into()),
                ("ServerAliveInterval".into(), "5".into()),
                ("ProxyJump".into(), "bastion".into())
            ]
        );
        assert_eq!(cfg, Some(PathBuf::from("/etc/x")));
        assert!(parse_ssh_args("-v").is_err());
    }
}
