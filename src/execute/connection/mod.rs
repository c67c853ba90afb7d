//! Connections: how a module reaches a host. A module sees only `Connection`:
//! run a shell script (with stdin, environment and become_), and move files.

pub mod become_wrap;
pub mod local;
pub mod ssh;
mod ssh_password;
/// The quoting function lives with the shell syntax in `parse::shell`.
pub use crate::parse::shell as quote;

use async_trait::async_trait;
use std::path::PathBuf;
use std::time::Duration;

pub use become_wrap::Become;

/// What to feed a command on stdin.
#[derive(Clone, Debug, Default)]
pub enum Stdin {
    #[default]
    None,
    Bytes(Vec<u8>),
    /// Streamed from a controller file (large packages are never held in memory).
    File(PathBuf),
}

/// One command on the target: a POSIX shell script run by `/bin/sh -c`.
#[derive(Clone, Debug, Default)]
pub struct ExecRequest {
    pub script: String,
    pub stdin: Stdin,
    /// Set in the command's environment; values never appear on a command line.
    pub env: Vec<(String, String)>,
    pub become_: Option<Become>,
    pub timeout: Option<Duration>,
    /// Counts the stdin bytes sent so far (transfer progress).
    pub sent: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

#[derive(Clone, Debug, Default)]
pub struct ExecOutput {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A failure of the connection itself (the host is unreachable), or of become_.
#[derive(Clone, Debug)]
pub enum ConnError {
    Unreachable(String),
    /// Become failed: wrong password, sudo missing, a password needed but not given.
    Become(String),
    Timeout(Duration),
    Io(String),
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnError::Unreachable(m) => write!(f, "unreachable: {m}"),
            ConnError::Become(m) => write!(f, "become failed: {m}"),
            ConnError::Timeout(d) => write!(f, "the command timed out after {}s", d.as_secs()),
            ConnError::Io(m) => f.write_str(m),
        }
    }
}

#[async_trait]
pub trait Connection: Send + Sync {
    /// Runs a script on the target.
    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, ConnError>;

    /// Copies a controller file to `dest` on the target, atomically (temp name in the
    /// same directory, then rename), with `mode` when given.
    async fn put(
        &self,
        src: &std::path::Path,
        dest: &str,
        mode: Option<u32>,
        become_: Option<Become>,
    ) -> Result<(), ConnError> {
        self.put_stream(Stdin::File(src.to_path_buf()), dest, mode, become_)
            .await
    }

    /// Writes bytes to `dest` on the target, atomically.
    async fn put_bytes(
        &self,
        data: Vec<u8>,
        dest: &str,
        mode: Option<u32>,
        become_: Option<Become>,
    ) -> Result<(), ConnError> {
        self.put_stream(Stdin::Bytes(data), dest, mode, become_)
            .await
    }

    /// The default transfer: stream the data into `cat` over stdin, check its sha256
    /// on arrival, then rename it into place (one round trip).
    async fn put_stream(
        &self,
        data: Stdin,
        dest: &str,
        mode: Option<u32>,
        become_: Option<Become>,
    ) -> Result<(), ConnError> {
        let expected = sha256_of(&data)
            .map_err(|e| ConnError::Io(format!("cannot read what to send: {e}")))?;
        let q = quote::quote(dest);
        let chmod = mode
            .map(|m| format!("chmod {m:o} \"$t\"\n"))
            .unwrap_or_default();
        let script = format!(
            "set -e\nd=$(dirname -- {q}); t=$(mktemp \"$d/.hotplay.XXXXXX\"); trap 'rm -f \"$t\"' EXIT\n\
             cat > \"$t\"\ns=$(sha256sum < \"$t\"); s=${{s%% *}}\n\
             [ \"$s\" = {expected} ] || {{ echo \"checksum mismatch after the transfer\" >&2; exit 1; }}\n\
             {chmod}mv -f -- \"$t\" {q}\ntrap - EXIT\n"
        );
        let out = self
            .exec(ExecRequest {
                script,
                stdin: data,
                become_,
                ..Default::default()
            })
            .await?;
        if out.rc != 0 {
            return Err(ConnError::Io(format!(
                "cannot write {dest}: {}",
                out.stderr_text().trim()
            )));
        }
        Ok(())
    }

    /// Reads a file of the target into memory (small files: fetch, slurp).
    async fn get_bytes(&self, src: &str, become_: Option<Become>) -> Result<Vec<u8>, ConnError> {
        let out = self
            .exec(ExecRequest {
                script: format!("cat -- {}", quote::quote(src)),
                become_,
                ..Default::default()
            })
            .await?;
        if out.rc != 0 {
            return Err(ConnError::Io(format!(
                "cannot read {src}: {}",
                out.stderr_text().trim()
            )));
        }
        Ok(out.stdout)
    }

    /// A local address that reaches `host:port` as the target sees it (for modules
    /// that must reach a port only the target can reach); `unforward` releases it.
    async fn forward(&self, host: &str, port: u16) -> Result<std::net::SocketAddr, ConnError> {
        let _ = (host, port);
        Err(ConnError::Io("this connection cannot forward ports".into()))
    }

    async fn unforward(&self, local: std::net::SocketAddr, host: &str, port: u16) {
        let _ = (local, host, port);
    }

    async fn close(&self) {}
}

/// The sha256 of what a transfer sends, streamed for files.
fn sha256_of(data: &Stdin) -> std::io::Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    match data {
        Stdin::None => {}
        Stdin::Bytes(b) => h.update(b),
        Stdin::File(p) => {
            let mut f = std::fs::File::open(p)?;
            std::io::copy(&mut f, &mut h)?;
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs a command's future under its timeout, if it has one.
pub async fn with_timeout<F>(timeout: Option<Duration>, run: F) -> Result<ExecOutput, ConnError>
where
    F: std::future::Future<Output = Result<ExecOutput, ConnError>>,
{
    match timeout {
        Some(t) => tokio::time::timeout(t, run)
            .await
            .map_err(|_| ConnError::Timeout(t))?,
        None => run.await,
    }
}
