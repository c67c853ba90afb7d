//! An ssh master that logs in with a password (`-k`, `ansible_password`).
//!
//! The openssh crate starts its masters with BatchMode=yes, which forbids
//! password prompts, so hotplay starts this one itself: ssh asks an askpass
//! script that reads the password from a 0600 file in the private control
//! directory. The password is never on a command line or in an environment,
//! and the file is gone once the master is up. Commands then go through the
//! master as for key logins (`Session::resume_mux`).

use super::ConnError;
use super::ssh::{HostKeyChecking, SshTarget};
use openssh::Session;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The files of one password master: removed when dropped (not the socket dir's log).
struct Askpass {
    password_file: PathBuf,
    script: PathBuf,
}

impl Askpass {
    fn write(dir: &Path, password: &str) -> Result<Askpass, ConnError> {
        let io = |p: &Path, e: std::io::Error| ConnError::Io(format!("{}: {e}", p.display()));
        let password_file = dir.join("pw");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&password_file)
            .map_err(|e| io(&password_file, e))?;
        f.write_all(password.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .map_err(|e| io(&password_file, e))?;
        let script = dir.join("ask");
        let text = format!(
            "#!/bin/sh\nexec cat {}\n",
            crate::parse::shell::quote(&password_file.display().to_string())
        );
        let mut s = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .open(&script)
            .map_err(|e| io(&script, e))?;
        s.write_all(text.as_bytes()).map_err(|e| io(&script, e))?;
        Ok(Askpass {
            password_file,
            script,
        })
    }
}

impl Drop for Askpass {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.password_file);
        let _ = std::fs::remove_file(&self.script);
    }
}

/// A fresh short directory under the control dir for one master's socket and log.
fn master_dir(control_dir: &Path) -> Result<PathBuf, ConnError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = control_dir.join(format!("p{}-{n}", std::process::id()));
    std::fs::create_dir(&dir)
        .map_err(|e| ConnError::Io(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Starts a master for `target` that authenticates with `password`, and attaches to it.
pub async fn connect(
    target: &SshTarget,
    config_file: Option<PathBuf>,
    control_dir: &Path,
    password: &str,
) -> Result<(Session, PathBuf), ConnError> {
    let dir = master_dir(control_dir)?;
    let socket = dir.join("m");
    let log = dir.join("log");
    let askpass = Askpass::write(&dir, password)?;
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .env("SSH_ASKPASS", &askpass.script)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("DISPLAY")
        .arg("-E")
        .arg(&log)
        .arg("-S")
        .arg(&socket)
        .args(["-M", "-f", "-N"])
        .args(["-o", "ControlPersist=yes", "-o", "BatchMode=no"])
        .args(["-o", "NumberOfPasswordPrompts=1"])
        .args([
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ])
        .arg("-o")
        .arg(format!(
            "StrictHostKeyChecking={}",
            match target.host_key_checking {
                HostKeyChecking::Strict => "yes",
                HostKeyChecking::AcceptNew => "accept-new",
                HostKeyChecking::Off => "no",
            }
        ))
        .arg("-o")
        .arg(format!(
            "ConnectTimeout={}",
            target.connect_timeout.as_secs().max(1)
        ))
        .args(["-o", "ServerAliveInterval=15"]);
    if target.host_key_checking == HostKeyChecking::Off {
        cmd.args(["-o", "UserKnownHostsFile=/dev/null"]);
    }
    if let Some(p) = target.port {
        cmd.arg("-p").arg(p.to_string());
    }
    if let Some(u) = &target.user {
        cmd.arg("-l").arg(u);
    }
    if let Some(cfg) = config_file {
        cmd.arg("-F").arg(cfg);
    }
    cmd.arg("--").arg(&target.address);
    let status = cmd.status().await;
    drop(askpass);
    let fail = |why: String| {
        let _ = std::fs::remove_dir_all(&dir);
        ConnError::Unreachable(why)
    };
    match status {
        Ok(s) if s.success() => {}
        Ok(_) => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(fail(describe(target, &text)));
        }
        Err(e) => return Err(fail(format!("cannot run ssh: {e}"))),
    }
    let session = Session::resume_mux(socket.into_boxed_path(), Some(log.into_boxed_path()));
    Ok((session, dir))
}

fn describe(t: &SshTarget, log: &str) -> String {
    let port = t.port.map(|p| format!(" port {p}")).unwrap_or_default();
    let lower = log.to_lowercase();
    let why = if lower.contains("permission denied") {
        "wrong password or password login refused"
    } else if lower.contains("host key verification failed")
        || lower.contains("remote host identification has changed")
    {
        "host key verification failed"
    } else if lower.contains("connection refused") {
        "connection refused"
    } else if lower.contains("timed out") {
        "connection timed out"
    } else {
        "ssh could not connect"
    };
    format!(
        "Failed to connect to the host via ssh ({}{port}): {why}: {}",
        t.address,
        log.trim()
    )
}
