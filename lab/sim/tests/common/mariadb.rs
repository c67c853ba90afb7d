//! A MariaDB of the tests' own: datadir under a temp dir, own socket, a free port on
//! 127.0.0.1, run as root. Started once per test binary; killed when the binary exits.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub struct MariaDb {
    pub port: u16,
    pub socket: PathBuf,
    pub user: &'static str,
    pub password: &'static str,
}

static CHILD: Mutex<Option<Child>> = Mutex::new(None);

/// Stops the server (at exit, before its temp dir is removed).
pub fn stop() {
    if let Ok(mut c) = CHILD.lock()
        && let Some(child) = c.as_mut()
    {
        // SAFETY: TERM to the server this test binary started, then reap it.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let _ = child.wait();
    }
}

fn find(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]
        .iter()
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.exists())
}

fn ensure_installed() {
    if find("mariadbd").is_some() && find("mariadb-install-db").is_some() {
        return;
    }
    assert!(
        unsafe { libc::geteuid() } == 0,
        "MariaDB is missing and this test is not root: apt-get install -y mariadb-server mariadb-client"
    );
    let status = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "mariadb-server",
            "mariadb-client",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .expect("run apt-get");
    assert!(status.success(), "apt-get install mariadb-server failed");
}

pub fn get() -> &'static MariaDb {
    static DB: OnceLock<MariaDb> = OnceLock::new();
    DB.get_or_init(start)
}

fn start() -> MariaDb {
    ensure_installed();
    let dir = super::process_temp_dir();
    let data = dir.join("data");
    let socket = dir.join("mysql.sock");
    let out = Command::new(find("mariadb-install-db").unwrap())
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--user=root",
            "--skip-test-db",
            "--auth-root-authentication-method=socket",
        ])
        .output()
        .expect("run mariadb-install-db");
    assert!(
        out.status.success(),
        "mariadb-install-db: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = super::free_port();
    let child = Command::new(find("mariadbd").unwrap())
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
        .arg(format!("--log-error={}", dir.join("error.log").display()))
        .args([
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mariadbd");
    *CHILD.lock().unwrap() = Some(child);
    let db = MariaDb {
        port,
        socket,
        user: "hotdb_test",
        password: "hotdb_test",
    };
    let ready = super::wait_for(Duration::from_secs(60), || {
        db.socket.exists() && db.root(&["-e", "SELECT 1"]).status.success()
    });
    assert!(ready, "MariaDB did not come up on port {port}");
    let grant = format!(
        "CREATE USER '{u}'@'127.0.0.1' IDENTIFIED BY '{p}'; GRANT ALL ON *.* TO '{u}'@'127.0.0.1' WITH GRANT OPTION;",
        u = db.user,
        p = db.password
    );
    let out = db.root(&["-e", &grant]);
    assert!(
        out.status.success(),
        "create test user: {}",
        super::text(&out)
    );
    db
}

impl MariaDb {
    /// Runs the `mariadb` client as root over the socket.
    pub fn root(&self, args: &[&str]) -> std::process::Output {
        Command::new(find("mariadb").expect("mariadb client"))
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .arg("-uroot")
            .args(args)
            .output()
            .expect("run mariadb client")
    }

    pub fn jdbc(&self, db: &str) -> String {
        format!(
            "jdbc:mysql://127.0.0.1:{}/{db}?useUnicode=true&characterEncoding=UTF-8",
            self.port
        )
    }

    /// A fresh database (dropped first if it exists).
    pub fn create(&self, db: &str) {
        let out = self.root(&[
            "-e",
            &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db} DEFAULT CHARSET utf8;"),
        ]);
        assert!(out.status.success(), "{}", super::text(&out));
    }

    /// Runs SQL (a script, DELIMITER included) in `db` with the mariadb client.
    pub fn run(&self, db: &str, sql: &str) -> std::process::Output {
        self.root(&[
            "--default-character-set=utf8",
            "-D",
            db,
            "-N",
            "-B",
            "-e",
            sql,
        ])
    }

    /// Runs a script file in `db` through the client's stdin, as an operator would.
    pub fn source(&self, db: &str, script: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new(find("mariadb").expect("mariadb client"))
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-uroot", "--default-character-set=utf8", "-D", db])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mariadb client");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(script.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    pub fn query_one(&self, db: &str, sql: &str) -> String {
        let out = self.run(db, sql);
        assert!(out.status.success(), "{sql}: {}", super::text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}
