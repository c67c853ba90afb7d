//! Become over the local connection: sudo and su, with and without a password.
//! These tests need root (to make a test user and a sudoers rule); CI runs as root.

mod common;
use common::Lab;
use std::process::Command;
use std::sync::OnceLock;

const USER: &str = "hpbecome";
const PASSWORD: &str = "Corr3ct-h0rse-s3cret";

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test needs root (CI runs as root)"
    );
    assert!(
        Command::new("sh")
            .args(["-c", "command -v sudo"])
            .status()
            .expect("sh")
            .success(),
        "sudo must be installed (tests/run.sh installs it)"
    );
}

/// A user who may sudo with a password, never cached.
fn setup_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        require_root();
        let _ = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", USER])
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
            .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())
            .expect("write");
        assert!(chpasswd.wait().expect("wait").success());
        std::fs::write(
            format!("/etc/sudoers.d/{USER}"),
            format!("Defaults:{USER} timestamp_timeout=0, !lecture\n{USER} ALL=(ALL) ALL\n"),
        )
        .expect("sudoers");
        Command::new("chmod")
            .args(["0440", &format!("/etc/sudoers.d/{USER}")])
            .status()
            .expect("chmod");
    });
}

/// Runs hotplay as the test user in a directory it can read.
fn run_as_user(lab: &Lab, args: &[&str]) -> common::Run {
    Command::new("chmod")
        .args(["-R", "a+rX", &lab.dir.path().display().to_string()])
        .status()
        .expect("chmod");
    Command::new("chown")
        .args(["-R", USER, &lab.dir.path().display().to_string()])
        .status()
        .expect("chown");
    let cmd = format!(
        "cd {} && NO_COLOR=1 {} {}",
        lab.dir.path().display(),
        env!("CARGO_BIN_EXE_hotplay"),
        args.join(" ")
    );
    let out = Command::new("su")
        .args([USER, "-s", "/bin/sh", "-c", &cmd])
        .output()
        .expect("su");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn become_root_sudo_and_su_without_password() {
    require_root();
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - command: id -un
      become: yes
      become_user: nobody
      register: sudo_id
    - command: id -un
      become: yes
      become_method: su
      become_user: nobody
      register: su_id
    - shell: echo "$WHO"
      become: yes
      become_user: nobody
      environment:
        WHO: env survives become
      register: env_out
    - assert:
        that:
          - sudo_id.stdout == 'nobody'
          - su_id.stdout == 'nobody'
          - env_out.stdout == 'env survives become'
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
}

#[test]
fn become_root_sudo_with_password_never_on_a_command_line() {
    setup_user();
    let lab = Lab::new();
    lab.write(
        "secret.yml",
        &format!("ansible_become_password: {PASSWORD}\n"),
    );
    lab.write("hosts.ini", "h1 ansible_connection=local\n");
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  vars_files: [secret.yml]\n  tasks:\n    - shell: sleep 2; id -un\n      become: yes\n      register: who\n    - assert:\n        that: who.stdout == 'root'\n",
    );
    // Watch every process's command line and environment while the run lasts.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let scanner = {
        let (stop, seen) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    for f in ["cmdline", "environ"] {
                        if let Ok(b) = std::fs::read(e.path().join(f))
                            && String::from_utf8_lossy(&b).contains(PASSWORD)
                        {
                            seen.lock()
                                .expect("lock")
                                .push(format!("{}/{f}", e.path().display()));
                        }
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let r = run_as_user(&lab, &["play.yml", "-i", "hosts.ini"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    scanner.join().expect("scanner");
    r.assert_code(0);
    assert!(
        !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
        "the password was printed"
    );
    let seen = seen.lock().expect("lock");
    assert!(seen.is_empty(), "the password appeared in {seen:?}");
}

#[test]
fn become_root_wrong_or_missing_password_fails_fast() {
    setup_user();
    let lab = Lab::new();
    lab.write("hosts.ini", "h1 ansible_connection=local\n");
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: id -un\n      become: yes\n      vars:\n        ansible_become_password: wrong-one\n");
    let started = std::time::Instant::now();
    let r = run_as_user(&lab, &["play.yml", "-i", "hosts.ini"]);
    r.assert_code(2);
    r.out_has("incorrect become password");
    assert!(
        started.elapsed().as_secs() < 15,
        "took {:?}",
        started.elapsed()
    );
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: id -un\n      become: yes\n",
    );
    let r = run_as_user(&lab, &["play.yml", "-i", "hosts.ini"]);
    r.assert_code(2);
    r.out_has("password is required");
}
