//! The `local` connection: runs scripts on the controller itself.

use super::become_wrap::{self, env_exports};
use super::{ConnError, Connection, ExecOutput, ExecRequest};
use async_trait::async_trait;
use std::process::Stdio;
use tokio::process::Command;

#[derive(Default)]
pub struct Local;

#[async_trait]
impl Connection for Local {
    /// The controller reaches the address itself: nothing to forward.
    async fn forward(&self, host: &str, port: u16) -> Result<std::net::SocketAddr, ConnError> {
        let mut addrs = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| ConnError::Io(format!("cannot resolve {host}: {e}")))?;
        addrs
            .next()
            .ok_or_else(|| ConnError::Io(format!("{host} has no address")))
    }

    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, ConnError> {
        let wrapped = match &req.become_ {
            Some(b) => Some(b.wrap(&format!("{}{}", env_exports(&req.env), req.script))?),
            None => None,
        };
        let mut cmd = match &wrapped {
            Some(w) => {
                let mut c = Command::new(&w.argv[0]);
                c.args(&w.argv[1..]);
                c
            }
            None => {
                let mut c = Command::new("/bin/sh");
                c.arg("-c").arg(&req.script).envs(req.env.iter().cloned());
                c
            }
        };
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| match &wrapped {
            Some(w) => ConnError::Become(format!("cannot run {}: {e}", w.argv[0])),
            None => ConnError::Io(format!("cannot run /bin/sh: {e}")),
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ConnError::Io("child pipes missing".into()));
        };
        let password = req.become_.as_ref().and_then(|b| b.password.as_ref());
        let sent = req.sent.as_deref();
        let run = async {
            let (out, err) = become_wrap::drive(
                stdin,
                stdout,
                stderr,
                req.stdin,
                wrapped.as_ref(),
                password,
                sent,
            )
            .await?;
            let status = child
                .wait()
                .await
                .map_err(|e| ConnError::Io(e.to_string()))?;
            Ok(ExecOutput {
                rc: status.code().unwrap_or(-1),
                stdout: out,
                stderr: err,
            })
        };
        super::with_timeout(req.timeout, run).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::Stdin;
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn runs_with_stdin_and_env() {
        let out = rt()
            .block_on(Local.exec(ExecRequest {
                script: "read x; echo \"$x-$GREETING\"; echo err >&2; exit 3".into(),
                stdin: Stdin::Bytes(b"hello\n".to_vec()),
                env: vec![("GREETING".into(), "hi there".into())],
                ..Default::default()
            }))
            .expect("exec");
        assert_eq!(out.rc, 3);
        assert_eq!(out.stdout_text(), "hello-hi there\n");
        assert_eq!(out.stderr_text(), "err\n");
    }

    #[test]
    fn put_and_get_roundtrip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("a b.txt");
        let dest = dest.to_str().expect("utf8");
        rt().block_on(async {
            Local
                .put_bytes(b"content\n".to_vec(), dest, Some(0o600), None)
                .await
                .expect("put");
            let back = Local.get_bytes(dest, None).await.expect("get");
            assert_eq!(back, b"content\n");
        });
        let mode = std::fs::metadata(dest).expect("meta");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn timeout_is_reported() {
        let r = rt().block_on(Local.exec(ExecRequest {
            script: "sleep 5".into(),
            timeout: Some(std::time::Duration::from_millis(200)),
            ..Default::default()
        }));
        assert!(matches!(r, Err(ConnError::Timeout(_))));
    }
}
