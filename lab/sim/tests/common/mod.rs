//! Shared fixtures of the integration tests: packages generated once per test binary, real
//! installs unpacked with tar, and a MariaDB of the tests' own (needs root and Debian's
//! mariadb-server, installed by apt-get when missing).
#![allow(dead_code)]

pub mod mariadb;
pub mod node;
pub mod platform;
pub mod trace;

use hotdb_sim::package::{self, Options};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const SIM: &str = env!("CARGO_BIN_EXE_hotdb-sim");

struct Store {
    dir: PathBuf,
    opts: Options,
}

static AT_EXIT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

extern "C" fn remove_dirs() {
    mariadb::stop();
    if let Ok(dirs) = AT_EXIT.lock() {
        for d in dirs.iter() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A temp dir that lives until the test binary exits (statics are never dropped).
pub fn process_temp_dir() -> PathBuf {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // SAFETY: registers a plain function to run at exit.
        unsafe {
            libc::atexit(remove_dirs);
        }
    });
    let dir = tempfile::tempdir().expect("tempdir").keep();
    AT_EXIT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.clone());
    dir
}

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(|| {
        let binary = std::fs::read(SIM).expect("read the hotdb-sim binary");
        Mutex::new(Store {
            dir: process_temp_dir(),
            opts: Options {
                sim_binary: Arc::new(binary),
                fail_sql: None,
            },
        })
    })
}

/// The path of a generated package (generated at the first request).
pub fn package(name: &str) -> PathBuf {
    let store = store().lock().unwrap_or_else(|e| e.into_inner());
    let path = store.dir.join(name);
    if !path.exists() {
        package::generate(&store.dir, &[name.to_string()], &store.opts).expect("generate package");
    }
    path
}

/// Unpacks a package with the real tar into `dest`.
pub fn unpack(name: &str, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(package(name))
        .arg("-C")
        .arg(dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `bin/java` of an unpacked stand-in JDK (unpacked once per test binary).
pub fn java(openjdk8: bool) -> PathBuf {
    static JDKS: OnceLock<PathBuf> = OnceLock::new();
    let dir = JDKS.get_or_init(|| {
        let d = process_temp_dir();
        unpack(package::jdk::OPENJDK8, &d);
        unpack(package::jdk::ORACLE7, &d);
        d
    });
    dir.join(if openjdk8 {
        "jdk8u252-b09/bin/java"
    } else {
        "jdk1.7.0_80/bin/java"
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Waits until `port` is open (or closed); false on timeout.
pub fn wait_port(port: u16, open: bool, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if port_open(port) == open {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// The text of a command's stdout + stderr.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One unpacked component under a temp dir, stopped (hard) when dropped.
pub struct Install {
    pub base: tempfile::TempDir,
    pub home: PathBuf,
    pub script: &'static str,
    pub pid_file: &'static str,
    /// Every pid the pid file showed, killed and reaped on drop.
    pub pids: Mutex<Vec<i32>>,
}

/// Daemons started by the scripts are orphans; they become this process's children, so the
/// tests can reap them (some containers' init never does).
fn adopt_orphans() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // SAFETY: prctl with plain integer arguments.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    });
}

impl Install {
    pub fn new(package_name: &str) -> Install {
        let base = tempfile::tempdir().unwrap();
        unpack(package_name, base.path());
        let (root, script, pid_file) = if package_name.starts_with("hotdb-server") {
            ("hotdb-server", "hotdb_server", "hotdb-server.pid")
        } else if package_name.starts_with("hotdb-management") {
            (
                "hotdb-management",
                "hotdb_management",
                "hotdb-management.pid",
            )
        } else if package_name.starts_with("hotdb-backup") {
            ("hotdb-backup", "hotdb_backup", "hotdb_backup.pid")
        } else {
            ("hotdb-listener", "hotdb_listener", "hotdb_listener.pid")
        };
        let home = base.path().join(root);
        Install::at(base, home, script, pid_file)
    }

    pub fn at(
        base: tempfile::TempDir,
        home: PathBuf,
        script: &'static str,
        pid_file: &'static str,
    ) -> Install {
        adopt_orphans();
        Install {
            base,
            home,
            script,
            pid_file,
            pids: Mutex::new(Vec::new()),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.home.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    /// Replaces a `NAME=value` line of the start script (as the playbooks do).
    pub fn set_script_var(&self, name: &str, value: &str) {
        let rel = format!("bin/{}", self.script);
        let script = self.read(&rel);
        let mut found = false;
        let lines: Vec<String> = script
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{name}=")) {
                    found = true;
                    format!("{name}={value}")
                } else {
                    l.to_string()
                }
            })
            .collect();
        assert!(found, "{name} not in {rel}");
        self.write(&rel, &(lines.join("\n") + "\n"));
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("sh")
            .arg(self.path(&format!("bin/{}", self.script)))
            .args(args)
            .output()
            .unwrap();
        if let (Some(pid), Ok(mut pids)) = (self.pid(), self.pids.lock())
            && !pids.contains(&pid)
        {
            pids.push(pid);
        }
        out
    }

    pub fn pid(&self) -> Option<i32> {
        self.read(&format!("run/{}", self.pid_file))
            .trim()
            .parse()
            .ok()
    }

    pub fn log(&self, rel: &str) -> String {
        self.read(rel)
    }

    pub fn sim_properties(&self, text: &str) {
        self.write("conf/sim.properties", text);
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let pids = self.pids.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            // SAFETY: kill(2) and waitpid(2) of a daemon this test started and adopted; an
            // unreaped child's pid cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}
