//! Commands on the machine and inside a lab host: a host is a network namespace plus a
//! holder process that keeps its mount and UTS namespaces alive; everything else enters
//! them with `nsenter`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The tools the lab runs, with the Debian package that provides each.
pub const TOOLS: &[(&str, &str)] = &[
    ("ip", "iproute2"),
    ("unshare", "util-linux"),
    ("nsenter", "util-linux"),
    ("/usr/sbin/sshd", "openssh-server"),
    ("ssh-keygen", "openssh-client"),
    ("ssh", "openssh-client"),
    ("keepalived", "keepalived"),
    ("mariadbd", "mariadb-server"),
    ("mariadb-install-db", "mariadb-server"),
    ("mariadb", "mariadb-client"),
    ("tar", "tar"),
];

/// Full path of a tool, from the usual system directories.
pub fn which(tool: &str) -> Option<String> {
    if tool.starts_with('/') {
        return Path::new(tool).exists().then(|| tool.to_string());
    }
    [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ]
    .iter()
    .map(|d| format!("{d}/{tool}"))
    .find(|p| Path::new(p).exists())
}

/// Fails with the apt package of every missing tool.
pub fn check_tools() -> Result<(), String> {
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(t, _)| which(t).is_none())
        .map(|(t, p)| format!("{t} (apt-get install -y {p})"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing tools: {}", missing.join(", ")))
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command to completion; an error carries its stderr.
pub fn run(cmd: &mut Command) -> Result<Output, String> {
    run_stdin(cmd, None)
}

pub fn run_stdin(cmd: &mut Command, input: Option<&[u8]>) -> Result<Output, String> {
    let what = describe(cmd);
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    if let Some(data) = input
        && let Some(mut stdin) = child.stdin.take()
    {
        stdin
            .write_all(data)
            .map_err(|e| format!("{what}: writing stdin: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ));
    }
    Ok(out)
}

/// `ip ARGS`.
pub fn ip(args: &[&str]) -> Result<Output, String> {
    run(Command::new("ip").args(args))
}

/// A command inside a host's namespaces (mount, UTS, network), with a clean environment.
pub fn in_host(holder: i32, program: &str) -> Command {
    let mut c = Command::new("nsenter");
    c.args(["-t", &holder.to_string(), "-m", "-u", "-n", "--", program]);
    c.env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8");
    c
}

/// Starts a long-running process in its own session, output appended to `log`; returns
/// its pid (nsenter and `ip netns exec` exec the program, so the pid is the program's).
pub fn spawn_detached(mut cmd: Command, log: &Path) -> Result<i32, String> {
    let what = describe(&cmd);
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: setsid is async-signal-safe; the child leaves our session and process group.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    Ok(child.id() as i32)
}

/// Polls `check` every 100 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn alive(pid: i32) -> bool {
    crate::state::start_time(pid).is_some()
}

/// Reads a pid file.
pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// TCP connect with a short timeout.
pub fn port_open(addr: &str, port: u16) -> bool {
    let Ok(a) = format!("{addr}:{port}").parse::<std::net::SocketAddr>() else {
        return false;
    };
    std::net::TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok()
}

/// The IPv4 addresses on a host's eth0.
pub fn addresses(netns: &str) -> Vec<String> {
    let Ok(out) = ip(&["-n", netns, "-4", "-o", "addr", "show", "dev", "eth0"]) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            w.position(|x| x == "inet")?;
            Some(w.next()?.split('/').next()?.to_string())
        })
        .collect()
}

pub fn mkdir(p: &Path) -> Result<(), String> {
    std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
}

pub fn write_file(p: &Path, text: &str) -> Result<(), String> {
    if let Some(d) = p.parent() {
        mkdir(d)?;
    }
    std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
}
