//! Commands run under `strace -ff`, and a reader of the traces that lists every file the
//! traced processes changed and every address they bound or connected to, so a test can prove
//! that the simulator stays inside its install base, its config DB and its ports.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What a set of traces did.
#[derive(Debug, Default)]
pub struct Effects {
    /// Files and directories created, written, removed, renamed or re-owned (absolute).
    pub written: BTreeSet<PathBuf>,
    /// Changes to a relative path whose directory the trace did not show.
    pub unresolved: Vec<String>,
    /// TCP ports bound (any address).
    pub bound: BTreeSet<u16>,
    /// `host:port` of every TCP connect.
    pub connected: BTreeSet<String>,
    /// Unix sockets connected to.
    pub unix: BTreeSet<String>,
}

fn strace() -> PathBuf {
    let find = || {
        ["/usr/bin/strace", "/bin/strace", "/usr/local/bin/strace"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    };
    if let Some(p) = find() {
        return p;
    }
    // SAFETY: geteuid has no preconditions.
    assert!(
        unsafe { libc::geteuid() } == 0,
        "strace is missing and this test is not root: apt-get install -y strace"
    );
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let install = ["install", "-y", "-qq", "--no-install-recommends", "strace"];
    // A fresh machine may have no package lists yet.
    let ok = apt(&install) || (apt(&["update", "-qq"]) && apt(&install));
    assert!(ok, "apt-get install strace failed");
    find().expect("strace after apt-get")
}

/// Starts `cmd` under `strace -f -ff` writing `<dir>/<tag>.<pid>`; the tracer exits when the
/// last traced process (a daemon included) exits.
pub fn spawn(dir: &Path, tag: &str, cmd: &Command) -> Child {
    let mut c = Command::new(strace());
    c.args(["-f", "-ff", "-qq", "-y", "-s", "1024", "-e"])
        .arg("trace=%file,%network,fchdir")
        .arg("-o")
        .arg(dir.join(tag))
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = cmd.get_current_dir() {
        c.current_dir(cwd);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.spawn().expect("run strace")
}

/// Reads every trace file in `dir`.
pub fn effects(dir: &Path) -> Effects {
    let mut out = Effects::default();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        let mut cwd = initial_cwd(&text);
        for line in text.lines() {
            read_line(line, &mut cwd, &mut out);
        }
    }
    out
}

/// The working directory a process started in: `-y` prints it with every `AT_FDCWD` call,
/// and it cannot change before the first `chdir`/`fchdir` (a program's loader opens its
/// libraries with `AT_FDCWD` first thing).
fn initial_cwd(text: &str) -> Option<PathBuf> {
    for line in text.lines() {
        if line.starts_with("chdir(") || line.starts_with("fchdir(") {
            return None;
        }
        if let Some((p, _)) = line
            .split_once("AT_FDCWD<")
            .and_then(|(_, r)| r.split_once('>'))
        {
            return Some(PathBuf::from(p));
        }
    }
    None
}

/// The quoted strings of a line, in order (`\"` unescaped).
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '"' => break,
                _ => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// The `<path>` that `-y` prints after the first argument (a dirfd or `AT_FDCWD`).
fn dirfd_path(args: &str) -> Option<PathBuf> {
    let first = args.split(", ").next()?;
    let start = first.find('<')?;
    let end = first.rfind('>')?;
    Some(PathBuf::from(&first[start + 1..end]))
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn resolve(path: &str, base: Option<&Path>, out: &mut Effects, line: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if p.is_absolute() {
        return Some(normalize(p));
    }
    match base {
        Some(b) => Some(normalize(&b.join(p))),
        None => {
            out.unresolved.push(line.to_string());
            None
        }
    }
}

const WRITE_FLAGS: &[&str] = &["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];

fn read_line(line: &str, cwd: &mut Option<PathBuf>, out: &mut Effects) {
    let Some((call, rest)) = line.split_once('(') else {
        return;
    };
    let Some((args, ret)) = rest.rsplit_once(" = ") else {
        return;
    };
    let args = args.trim_end().strip_suffix(')').unwrap_or(args);
    let failed = ret.starts_with('-') || ret.starts_with('?');
    if failed && call != "connect" {
        return; // failed: changed nothing (a connect is an attempt even when in progress)
    }
    // `-y` shows the cwd of every AT_FDCWD call.
    if let Some(p) = args
        .strip_prefix("AT_FDCWD<")
        .and_then(|r| r.split_once('>'))
    {
        *cwd = Some(PathBuf::from(p.0));
    }
    let strings = quoted(args);
    let base = if call.ends_with("at") || call.ends_with("at2") {
        dirfd_path(args).or_else(|| cwd.clone())
    } else {
        cwd.clone()
    };
    let write = |s: &str, out: &mut Effects| {
        if let Some(p) = resolve(s, base.as_deref(), out, line) {
            out.written.insert(p);
        }
    };
    match call {
        "fchdir" => {
            if let Some(p) = dirfd_path(args) {
                *cwd = Some(p);
            }
        }
        "chdir" => {
            if let Some(s) = strings.first() {
                let p = Path::new(s);
                *cwd = if p.is_absolute() {
                    Some(normalize(p))
                } else {
                    cwd.as_ref().map(|c| normalize(&c.join(p)))
                };
            }
        }
        "open" | "openat" | "creat"
            if call == "creat" || WRITE_FLAGS.iter().any(|f| args.contains(f)) =>
        {
            if let Some(s) = strings.first() {
                write(s, out);
            }
        }
        "mkdir" | "mkdirat" | "rmdir" | "unlink" | "unlinkat" | "chmod" | "fchmodat" | "chown"
        | "lchown" | "fchownat" | "truncate" | "utimensat" | "mknod" | "mknodat" => {
            if let Some(s) = strings.first() {
                write(s, out);
            }
        }
        "rename" | "renameat" | "renameat2" | "link" | "linkat" => {
            for s in strings.iter().take(2) {
                write(s, out);
            }
        }
        "symlink" | "symlinkat" => {
            if let Some(s) = strings.get(1) {
                write(s, out);
            }
        }
        "bind" | "connect" => {
            if args.contains("sa_family=AF_INET") {
                let port = args
                    .split("htons(")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .and_then(|p| p.parse::<u16>().ok())
                    .unwrap_or(0);
                let host = strings.first().cloned().unwrap_or_default();
                if call == "bind" {
                    out.bound.insert(port);
                } else {
                    out.connected.insert(format!("{host}:{port}"));
                }
            } else if call == "connect" && args.contains("sa_family=AF_UNIX") {
                out.unix
                    .insert(strings.first().cloned().unwrap_or_default());
            }
        }
        _ => {}
    }
}
