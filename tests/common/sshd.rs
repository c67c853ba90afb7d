//! A real sshd on 127.0.0.1 for tests, with its own host key, a dedicated user
//! (root's shell start-up is slow and root is special) and a key pair. Needs root.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

pub const USER: &str = "hpssh";
/// A user that logs in and uses sudo with a password (PASS_USER_PASSWORD).
pub const PASS_USER: &str = "hppass";
pub const PASS_USER_PASSWORD: &str = "Lab-only pw 7%q";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The test user, once: no password (but not locked: sshd without PAM refuses locked
/// accounts), passwordless sudo.
fn ensure_user() {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "ssh tests need root to run sshd (CI runs as root)"
        );
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "openssh-server must be installed (tests/run.sh installs it)"
        );
        let _ = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", USER])
            .output();
        run(Command::new("usermod").args(["-p", "*", USER]));
        std::fs::write(
            format!("/etc/sudoers.d/{USER}"),
            format!("{USER} ALL=(ALL) NOPASSWD:ALL\n"),
        )
        .expect("sudoers");
        run(Command::new("chmod").args(["0440", &format!("/etc/sudoers.d/{USER}")]));
        std::fs::create_dir_all("/run/sshd").expect("privsep dir");
        let _ = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", PASS_USER])
            .output();
        let mut chpasswd = Command::new("chpasswd")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("chpasswd");
        use std::io::Write;
        chpasswd
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASS_USER}:{PASS_USER_PASSWORD}\n").as_bytes())
            .expect("password");
        assert!(chpasswd.wait().expect("chpasswd").success());
        std::fs::write(
            format!("/etc/sudoers.d/{PASS_USER}"),
            format!("{PASS_USER} ALL=(ALL) ALL\n"),
        )
        .expect("sudoers");
        run(Command::new("chmod").args(["0440", &format!("/etc/sudoers.d/{PASS_USER}")]));
    });
}

impl Sshd {
    pub fn start() -> Sshd {
        Sshd::start_with(false)
    }

    /// An sshd that also takes passwords (for PASS_USER).
    pub fn start_with_passwords() -> Sshd {
        Sshd::start_with(true)
    }

    fn start_with(passwords: bool) -> Sshd {
        ensure_user();
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(d.join("host_key")));
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(d.join("id_user")));
        let auth = d.join("authorized_keys");
        std::fs::copy(d.join("id_user.pub"), &auth).expect("authorized_keys");
        run(Command::new("chown").arg(USER).arg(&auth));
        run(Command::new("chmod").arg("0755").arg(d));
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\nUsePAM no\nStrictModes no\nPasswordAuthentication {pw}\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nAuthorizedKeysFile {auth}\nMaxSessions 10\nLogLevel VERBOSE\n",
            hk = d.join("host_key").display(),
            pid = d.join("sshd.pid").display(),
            auth = auth.display(),
            pw = if passwords { "yes" } else { "no" }
        );
        std::fs::write(d.join("sshd_config"), config).expect("config");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stderr(std::fs::File::create(d.join("sshd.log")).expect("log"))
            .spawn()
            .expect("sshd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).expect("host key");
        let key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", key.join(" ")),
        )
        .expect("known_hosts");
        Sshd { dir, port, child }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// An inventory line for a host named `name` reaching this sshd.
    pub fn host_line(&self, name: &str, known_hosts: &str) -> String {
        format!(
            "{name} ansible_host=127.0.0.1 ansible_port={} ansible_user={USER} ansible_ssh_private_key_file={} ansible_ssh_common_args='-o UserKnownHostsFile={}'",
            self.port,
            self.path("id_user").display(),
            known_hosts
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn known_hosts(&self) -> String {
        self.path("known_hosts").display().to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
