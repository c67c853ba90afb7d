//! Become (sudo, su): wraps a script so it runs as another user, and drives the
//! password exchange over the command's own stdin, never its argv.

use super::quote::quote;
use super::{ConnError, Stdin};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BecomeMethod {
    Sudo,
    Su,
}

#[derive(Clone, Debug)]
pub struct Become {
    pub method: BecomeMethod,
    pub user: String,
    pub password: Option<Secret>,
    pub flags: Option<String>,
}

/// A script wrapped for become_, and what to expect from it.
pub struct Wrapped {
    pub argv: Vec<String>,
    /// Printed on stdout once become succeeded (only when a password may be asked).
    pub marker: Option<String>,
    pub prompt: String,
}

fn token() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", nanos, std::process::id())
}

impl Become {
    /// The argv that runs `script` (already containing its env exports) as the become user.
    pub fn wrap(&self, script: &str) -> Result<Wrapped, ConnError> {
        let id = token();
        let prompt = format!("[hotplay-become-{id}] password:");
        match self.method {
            BecomeMethod::Sudo => {
                let mut argv = vec!["sudo".to_string(), "-H".into()];
                if let Some(flags) = &self.flags {
                    argv.extend(flags.split_whitespace().map(str::to_string));
                }
                let marker = if self.password.is_some() {
                    argv.extend(["-S".into(), "-p".into(), prompt.clone()]);
                    Some(format!("BECOME-SUCCESS-{id}"))
                } else {
                    argv.push("-n".into());
                    None
                };
                let inner = match &marker {
                    Some(m) => format!("echo {m}; {script}"),
                    None => script.to_string(),
                };
                argv.extend([
                    "-u".into(),
                    self.user.clone(),
                    "--".into(),
                    "/bin/sh".into(),
                    "-c".into(),
                    inner,
                ]);
                Ok(Wrapped {
                    argv,
                    marker,
                    prompt,
                })
            }
            BecomeMethod::Su => {
                if self.password.is_some() {
                    return Err(ConnError::Become(
                        "su with a password needs a terminal, which hotplay does not allocate; use become_method: sudo".into(),
                    ));
                }
                Ok(Wrapped {
                    argv: vec![
                        "su".into(),
                        "-s".into(),
                        "/bin/sh".into(),
                        self.user.clone(),
                        "-c".into(),
                        script.to_string(),
                    ],
                    marker: None,
                    prompt,
                })
            }
        }
    }
}

/// `export K='v'; ` lines for a script (used when become would reset the environment).
pub fn env_exports(env: &[(String, String)]) -> String {
    env.iter()
        .map(|(k, v)| format!("export {k}={}; ", quote(v)))
        .collect()
}

async fn feed<W: AsyncWrite + Unpin>(
    mut w: W,
    data: Stdin,
    sent: Option<&AtomicU64>,
) -> std::io::Result<()> {
    match data {
        Stdin::None => {}
        Stdin::Bytes(b) => w.write_all(&b).await?,
        Stdin::File(path) => {
            let mut f = tokio::fs::File::open(&path).await?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                w.write_all(&buf[..n]).await?;
                if let Some(c) = sent {
                    c.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }
    w.shutdown().await
}

/// Drives a started command: answers the become prompt when one is expected,
/// then streams stdin and collects stdout and stderr.
pub async fn drive<W, O, E>(
    mut stdin: W,
    mut stdout: O,
    mut stderr: E,
    data: Stdin,
    wrapped: Option<&Wrapped>,
    password: Option<&Secret>,
    sent: Option<&AtomicU64>,
) -> Result<(Vec<u8>, Vec<u8>), ConnError>
where
    W: AsyncWrite + Unpin + Send,
    O: AsyncRead + Unpin + Send,
    E: AsyncRead + Unpin + Send,
{
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let (Some(w), Some(marker)) = (wrapped, wrapped.and_then(|w| w.marker.as_ref())) {
        let marker_line = format!("{marker}\n");
        let mut answered = false;
        let mut buf_o = [0u8; 4096];
        let mut buf_e = [0u8; 4096];
        loop {
            if let Some(pos) = find(&out, marker_line.as_bytes()) {
                out.drain(..pos + marker_line.len());
                break;
            }
            if find(&err, w.prompt.as_bytes()).is_some() {
                if answered {
                    return Err(ConnError::Become("incorrect become password".into()));
                }
                let pw = password.map(|p| p.0.as_str()).unwrap_or("");
                stdin
                    .write_all(format!("{pw}\n").as_bytes())
                    .await
                    .map_err(|e| ConnError::Io(e.to_string()))?;
                stdin
                    .flush()
                    .await
                    .map_err(|e| ConnError::Io(e.to_string()))?;
                answered = true;
                err = remove_all(&err, w.prompt.as_bytes());
                continue;
            }
            tokio::select! {
                n = stdout.read(&mut buf_o) => match n {
                    Ok(0) | Err(_) => return Err(become_failure(&err)),
                    Ok(n) => out.extend_from_slice(&buf_o[..n]),
                },
                n = stderr.read(&mut buf_e) => match n {
                    Ok(0) | Err(_) => return Err(become_failure(&err)),
                    Ok(n) => err.extend_from_slice(&buf_e[..n]),
                },
            }
        }
        if answered {
            err = remove_all(&err, b"Sorry, try again.\n");
        }
    }
    let writer = feed(stdin, data, sent);
    let read_out = stdout.read_to_end(&mut out);
    let read_err = stderr.read_to_end(&mut err);
    let (w, o, e) = tokio::join!(writer, read_out, read_err);
    // A command that does not read its stdin closes the pipe early: not an error.
    if let Err(e) = w
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(ConnError::Io(format!("cannot send stdin: {e}")));
    }
    o.map_err(|e| ConnError::Io(e.to_string()))?;
    e.map_err(|e| ConnError::Io(e.to_string()))?;
    Ok((out, err))
}

fn become_failure(stderr: &[u8]) -> ConnError {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.contains("incorrect password") || text.contains("Sorry, try again") {
        ConnError::Become("incorrect become password".into())
    } else if text.is_empty() {
        ConnError::Become("become ended before the command started".into())
    } else {
        ConnError::Become(text.to_string())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn remove_all(hay: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}
