//! Playbooks over real SSH (a private sshd on 127.0.0.1). Needs root; CI is root.

mod common;
use common::Lab;
use common::sshd::{PASS_USER, PASS_USER_PASSWORD, Sshd, USER};

fn inventory(lab: &Lab, sshd: &Sshd, names: &[&str]) {
    let mut s = String::new();
    for n in names {
        s.push_str(&sshd.host_line(n, &sshd.known_hosts()));
        s.push('\n');
    }
    lab.write("hosts.ini", &s);
}

#[test]
fn ssh_root_commands_files_and_become() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    inventory(&lab, &sshd, &["s1", "s2"]);
    lab.write("templates/conf.j2", "host={{ inventory_hostname }}\n");
    lab.write("files/payload.bin", &"x".repeat(300_000));
    let dest = format!("/tmp/hotplay-ssh-test-{}", sshd.port);
    lab.write(
        "play.yml",
        &r#"
- hosts: all
  gather_facts: yes
  tasks:
    - command: id -un
      register: who
    - file: path=DEST/{{ inventory_hostname }} state=directory
    - copy: src=payload.bin dest=DEST/{{ inventory_hostname }}/payload.bin mode=0640
    - template: src=conf.j2 dest=DEST/{{ inventory_hostname }}/conf
    - command: id -un
      become: yes
      register: root
    - shell: echo "$X"
      environment:
        X: "a 'quoted' value"
      register: env
    - assert:
        that:
          - who.stdout == 'USER'
          - root.stdout == 'root'
          - env.stdout == "a 'quoted' value"
          - ansible_hostname is defined
"#
        .replace("DEST", &dest)
        .replace("USER", USER),
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(0);
    r.assert_recap("s1", "failed=0 unreachable=0");
    assert_eq!(
        std::fs::read_to_string(format!("{dest}/s2/conf")).expect("conf"),
        "host=s2\n"
    );
    assert_eq!(
        std::fs::metadata(format!("{dest}/s1/payload.bin"))
            .expect("payload")
            .len(),
        300_000
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_recap("s1", "changed=3");
    let _ = std::fs::remove_dir_all(&dest);
}

#[test]
fn ssh_root_unknown_host_key_is_refused_unless_asked() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    let empty = lab.write("empty_known_hosts", "");
    lab.write(
        "hosts.ini",
        &format!(
            "s1 {}\n",
            sshd.host_line("s1", &empty.display().to_string())
                .split_once(' ')
                .expect("line")
                .1
        ),
    );
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - ping:\n",
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.out_has("host key is unknown or has changed");
    let r = lab.hotplay(&[
        "play.yml",
        "-i",
        "hosts.ini",
        "--host-key-checking",
        "accept-new",
    ]);
    r.assert_code(0);
    assert!(
        lab.read("empty_known_hosts").contains("ssh-ed25519"),
        "accept-new records the key"
    );
}

#[test]
fn ssh_root_unreachable_hosts_beside_healthy_ones() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    let good = sshd.host_line("good", &sshd.known_hosts());
    let badkey = good.replace("good ", "badauth ").replace(
        &sshd.path("id_user").display().to_string(),
        &sshd.path("host_key").display().to_string(),
    );
    lab.write(
        "hosts.ini",
        &format!(
            "{good}\n{badkey}\nrefused ansible_host=127.0.0.1 ansible_port=1 ansible_user={USER}\n"
        ),
    );
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: /bin/true\n    - debug: msg=\"alive {{ inventory_hostname }}\"\n");
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.out_has("alive good");
    r.out_has("fatal: [badauth]: UNREACHABLE!");
    r.out_has("authentication failed");
    r.out_has("fatal: [refused]: UNREACHABLE!");
    r.out_has("connection refused");
    r.assert_recap("good", "ok=2 unreachable=0");
    r.assert_recap("badauth", "unreachable=1");
}

#[test]
fn ssh_root_dropped_connection_is_unreachable_and_others_finish() {
    let one = Sshd::start();
    let two = Sshd::start();
    let lab = Lab::new();
    lab.write(
        "hosts.ini",
        &format!(
            "{}\n{}\n",
            one.host_line("s1", &one.known_hosts()),
            two.host_line("s2", &two.known_hosts())
        ),
    );
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: sleep 4\n    - debug: msg=\"finished {{ inventory_hostname }}\"\n");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(["play.yml", "-i", "hosts.ini"])
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(2000));
    // Kill the per-connection sshd processes of the first host's server only.
    let pid = std::fs::read_to_string(one.path("sshd.pid")).unwrap_or_default();
    let pid = if pid.trim().is_empty() {
        one.pid().to_string()
    } else {
        pid.trim().to_string()
    };
    // Its whole process tree: the listener, the per-connection monitors and sessions.
    let tree = format!(
        "t() {{ for c in $(pgrep -P \"$1\"); do t \"$c\"; done; kill -KILL \"$1\" 2>/dev/null; }}; t {pid}"
    );
    std::process::Command::new("sh")
        .args(["-c", &tree])
        .status()
        .expect("kill tree");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("fatal: [s1]: UNREACHABLE!"), "{stdout}");
    assert!(stdout.contains("finished s2"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_root_port_forward_reaches_a_port_only_the_target_sees() {
    use hotplay::execute::connection::Connection;
    use hotplay::execute::connection::ssh::{HostKeyChecking, Ssh, SshTarget, control_dir};
    let sshd = Sshd::start();
    let service = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let service_port = service.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut s, _)) = service.accept().await {
            let _ = s.write_all(b"hello from the target side").await;
        }
    });
    let target = SshTarget {
        name: "s1".into(),
        address: "127.0.0.1".into(),
        port: Some(sshd.port),
        user: Some(USER.into()),
        key_file: Some(sshd.path("id_user")),
        config_file: None,
        options: vec![("UserKnownHostsFile".into(), sshd.known_hosts())],
        host_key_checking: HostKeyChecking::Strict,
        connect_timeout: std::time::Duration::from_secs(10),
        password: None,
    };
    let conn = Ssh::new(target, control_dir().expect("control dir"));
    let local = conn
        .forward("127.0.0.1", service_port)
        .await
        .expect("forward");
    assert_ne!(local.port(), service_port);
    let mut s = tokio::net::TcpStream::connect(local)
        .await
        .expect("connect through the forward");
    let mut buf = Vec::new();
    use tokio::io::AsyncReadExt;
    s.read_to_end(&mut buf).await.expect("read");
    assert_eq!(buf, b"hello from the target side");
    conn.unforward(local, "127.0.0.1", service_port).await;
    conn.close().await;
}

/// Every process's command line and environment, for a password that must not be there.
fn visible_anywhere(secret: &str) -> Option<String> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        for what in ["cmdline", "environ"] {
            if let Ok(bytes) = std::fs::read(e.path().join(what)) {
                let text = String::from_utf8_lossy(&bytes);
                if text.contains(secret) {
                    return Some(format!("{}/{what}: {text}", e.path().display()));
                }
            }
        }
    }
    None
}

fn password_inventory(lab: &Lab, sshd: &Sshd, with_password: Option<&str>) {
    let line = format!(
        "p1 ansible_host=127.0.0.1 ansible_port={} ansible_user={PASS_USER} ansible_ssh_common_args='-o UserKnownHostsFile={}'\n",
        sshd.port,
        sshd.known_hosts()
    );
    if let Some(pw) = with_password {
        lab.write(
            "host_vars/p1.yml",
            &format!("ansible_password: '{pw}'\nansible_become_password: '{pw}'\n"),
        );
    } else {
        let _ = std::fs::remove_file(lab.path("host_vars/p1.yml"));
    }
    lab.write("hosts.ini", &line);
}

#[test]
fn ssh_root_password_login_and_sudo_password_never_visible() {
    let sshd = Sshd::start_with_passwords();
    let lab = Lab::new();
    password_inventory(&lab, &sshd, Some(PASS_USER_PASSWORD));
    lab.write(
        "play.yml",
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - command: id -un
      register: who
    - shell: sleep 1; id -un
      become: yes
      register: root
    - assert:
        that:
          - who.stdout == 'hppass'
          - root.stdout == 'root'
"#,
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(["play.yml", "-i", "hosts.ini"])
        .current_dir(lab.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hotplay");
    let mut seen = None;
    while child.try_wait().expect("wait").is_none() {
        if let Some(s) = visible_anywhere(PASS_USER_PASSWORD) {
            seen = Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(seen.is_none(), "password visible in {seen:?}");
    assert!(!stdout.contains(PASS_USER_PASSWORD) && !stderr.contains(PASS_USER_PASSWORD));
    let leftovers: Vec<_> =
        std::fs::read_dir(format!("/tmp/hotplay-{}", unsafe { libc::getuid() }))
            .expect("control dir")
            .flatten()
            .filter(|e| e.path().join("pw").exists())
            .collect();
    assert!(leftovers.is_empty(), "password files left: {leftovers:?}");

    // A wrong password: unreachable, said plainly, and quickly.
    password_inventory(&lab, &sshd, Some("not the password"));
    let started = std::time::Instant::now();
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.out_has("wrong password");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn ssh_root_ask_pass_prompts_on_the_terminal() {
    let sshd = Sshd::start_with_passwords();
    let lab = Lab::new();
    password_inventory(&lab, &sshd, None);
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: id -un\n",
    );
    // `script` gives hotplay a terminal; the password is typed into it.
    let cmd = format!("{} play.yml -i hosts.ini -k", env!("CARGO_BIN_EXE_hotplay"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(lab.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (bsdutils)");
    use std::io::Write;
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin
        .write_all(format!("{PASS_USER_PASSWORD}\n").as_bytes())
        .expect("type");
    let out = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SSH password:"), "{text}");
    assert!(
        text.contains("ok=1") && text.contains("unreachable=0"),
        "{text}"
    );
}
