//! The lab end to end, as root (CI is root): `hotplay lab up` builds real namespaces,
//! sshds, keepalived and MariaDB; playbooks run over the lab's sshds; the VIP moves when the
//! master's compute node stops; `down` leaves nothing behind; two labs coexist. Each test
//! tears its labs down through a Drop guard, also when it fails.

mod common;
use common::netlab::{NetLab as Lab, component, hotplay, is_root, text, wait_until};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[test]
fn lab_root_master_backup_playbook_failover_and_down() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = Lab::up("mb", "master-backup", "10.97.0.0/24");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["role"], "MASTER");
    assert_eq!(component(&s, "hotdb2", "hotdb-server")["service"], "OFF");
    assert_eq!(s["schema"][0][1], "2.5.3");

    // An existing lab is not rebuilt without --force.
    let again = lab.cmd(&["up", "--subnet", "10.97.0.0/24"]);
    assert!(
        !again.status.success() && text(&again).contains("already exists"),
        "{}",
        text(&again)
    );

    // A playbook over the lab's sshds: each host sees its own install base.
    let play = lab.dir.join("view.yml");
    std::fs::write(
        &play,
        "- hosts: hotdb_server\n  gather_facts: false\n  tasks:\n    - command: grep -o 'haState\">[a-z]*' /usr/local/hotdb/hotdb-server/conf/server.xml\n      register: r\n    - command: hostname\n      register: h\n    - debug: msg=\"VIEW {{ h.stdout }} {{ r.stdout }}\"\n",
    )
    .unwrap();
    let inv = lab.dir.join("inventory.ini");
    let out = hotplay()
        .arg("run")
        .arg(&play)
        .arg("-i")
        .arg(&inv)
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("VIEW hotdb1 haState\\\">master"), "{t}");
    assert!(t.contains("VIEW hotdb2 haState\\\">backup"), "{t}");
    let ssh = lab.cmd(&["ssh", "hotdb2", "-u", "hotdb", "id -un; hostname"]);
    assert_eq!(
        String::from_utf8_lossy(&ssh.stdout),
        "hotdb\nhotdb2\n",
        "{}",
        text(&ssh)
    );

    // Failover: stop the master's compute node; keepalived moves the VIP to hotdb2, whose
    // notify script brings its service port online; client traffic resumes through the VIP.
    let out = lab.cmd(&["traffic", "start"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = lab.cmd(&["fault", "hotdb1", "stop-node"]);
    assert!(out.status.success(), "{}", text(&out));
    let moved = wait_until(Duration::from_secs(45), || {
        let s = lab.status();
        s["vip_holder"] == "hotdb2" && component(&s, "hotdb2", "hotdb-server")["service"] == "ON"
    });
    assert!(moved, "the VIP did not move: {:#}", lab.status());
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(lab.dir.join("traffic.json")).unwrap())
            .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let out = lab.cmd(&["traffic", "stop"]);
    assert!(out.status.success(), "{}", text(&out));
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(lab.dir.join("traffic.json")).unwrap())
            .unwrap();
    assert!(
        after["ok"].as_u64() > before["ok"].as_u64(),
        "no traffic after the switch: {after}"
    );
    assert_eq!(
        component(&lab.status(), "hotdb2", "hotdb-server")["role"],
        "MASTER"
    );

    lab.down_and_check();
}

#[test]
fn lab_root_two_labs_side_by_side_dr_and_multi_node() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let a = Lab::up("a", "dr", "10.98.0.0/24");
    let b = Lab::up("b", "multi-node", "10.99.0.0/24");
    for (lab, net) in [(&a, "10.98.0."), (&b, "10.99.0.")] {
        let s = lab.status();
        assert_eq!(s["healthy"], true, "{s:#}");
        let out = lab.cmd(&["ssh", "hotdb1", "hostname -I"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).starts_with(&format!("{net}11")),
            "{}",
            text(&out)
        );
    }
    // A subnet in use by a lab collides with that lab's route.
    let c = Lab {
        dir: PathBuf::from(format!(
            "/var/lib/hotplay-lab/test-c-{}",
            std::process::id()
        )),
    };
    let out = c.cmd(&["up", "--topology", "single", "--subnet", "10.98.0.0/24"]);
    assert!(
        !out.status.success() && text(&out).contains("collides"),
        "{}",
        text(&out)
    );
    assert!(!Path::new(&c.dir).join("lab.json").exists());
    // DR: each room's master holds its room's VIP; the DR room does not serve; its config
    // DB replicates the center's.
    let s = a.status();
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(s["dr_vip_holder"], "hotdb3", "{s:#}");
    assert_eq!(component(&s, "hotdb3", "hotdb-server")["service"], "OFF");
    assert_eq!(component(&s, "configdb-dr", "replication")["running"], true);
    let roles: Vec<String> = ["hotdb1", "hotdb2", "hotdb3"]
        .iter()
        .map(|h| {
            component(&b.status(), h, "hotdb-server")["role"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "Primary").count(),
        1,
        "{roles:?}"
    );
    a.down_and_check();
    assert_eq!(b.status()["healthy"], true, "b broke when a went down");
    b.down_and_check();
}

#[test]
fn lab_root_single_force_rebuild_and_refusals() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_hotplay"))
        .args(["lab", "status"])
        .output()
        .expect("run setpriv");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("hotplay lab needs root"),
        "{}",
        text(&out)
    );
    let dir = format!("/var/lib/hotplay-lab/test-dr-{}", std::process::id());
    let out = hotplay()
        .args(["lab", "up", "--topology", "star", "--dir", &dir])
        .output()
        .unwrap();
    assert!(
        !out.status.success() && text(&out).contains("unknown topology star"),
        "{}",
        text(&out)
    );
    let out = hotplay()
        .args([
            "lab",
            "up",
            "--topology",
            "multi-node",
            "--version",
            "2.4.9",
            "--dir",
            &dir,
        ])
        .output()
        .unwrap();
    assert!(
        text(&out).contains("needs HotDB 2.5.1 or newer"),
        "{}",
        text(&out)
    );
    assert!(!Path::new(&dir).exists());

    // A single node; `--force` rebuilds it; hosts know each other by name.
    let lab = Lab::up("single", "single", "10.96.0.0/24");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert!(s["vip"].is_null());
    let out = lab.cmd(&[
        "up",
        "--force",
        "--topology",
        "single",
        "--subnet",
        "10.96.0.0/24",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lab.status()["healthy"], true);
    let out = lab.cmd(&["ssh", "client", "getent hosts configdb; hostname"]);
    assert!(
        text(&out).contains("10.96.0.30") && text(&out).contains("client"),
        "{}",
        text(&out)
    );
    lab.down_and_check();
}

/// The HA modules against the real thing: facts read from the installs, the VIP's holder
/// found over the hosts' own connections, management commands through the SSH master,
/// ports per role, and a failover driven by `service` and followed by `vip_check`.
#[test]
fn lab_root_ha_modules_drive_a_failover() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = Lab::up("ha", "master-backup", "10.96.0.0/24");
    let play = lab.dir.join("ha.yml");
    std::fs::write(
        &play,
        r#"
- hosts: hotdb_server
  gather_facts: false
  vars:
    home: "{{ hotdb_install_base }}/hotdb-server"
    node: &node
      script: "{{ home }}/bin/hotdb_server"
      pid_file: "{{ home }}/run/hotdb-server.pid"
  tasks:
    - hotdb_facts:
    - assert:
        that:
          - hotdb.components['hotdb-server'].version == '2.5.3'
          - hotdb.components['hotdb-server'].running
          - hotdb.components['hotdb-server'].java_runtime == '1.7.0_80'
          - hotdb.components['hotdb-server'].server.haState == ('master' if inventory_hostname == 'hotdb1' else 'backup')
    - vip_check: vip={{ hotdb_vip }} holder=hotdb_server expect_holder=hotdb1 reachable_port=3323
      run_once: true
    - vip_check: vip={{ hotdb_vip }} state={{ 'present' if inventory_hostname == 'hotdb1' else 'absent' }}
    - hotdb_admin:
        command: show @@server
        via: ssh
        expect: {rows_min: 1}
      register: srv
    - wait_for_port:
        ports:
          - {port: 3325, state: started}
          - {port: 3323, state: "{{ 'started' if inventory_hostname == 'hotdb1' else 'stopped' }}"}
        timeout: 10
    # Check mode predicts the stop and changes nothing.
    - service: {<<: *node, state: stopped, ports: [3323, 3325]}
      check_mode: true
      when: inventory_hostname == 'hotdb1'
      register: predicted
    - assert: {that: [predicted is changed]}
      when: inventory_hostname == 'hotdb1'
    - service: {<<: *node, state: stopped, ports: [3323, 3325], timeout: 60}
      when: inventory_hostname == 'hotdb1'
      register: stopped
    - vip_check: vip={{ hotdb_vip }} holder=hotdb_server expect_holder=hotdb2 reachable_port=3323 timeout=45
      run_once: true
      register: moved
    - debug: msg="MOVED {{ moved.holder }} {{ moved.label }} after {{ moved.elapsed }}s, stopped={{ stopped.changed | default('-') }}"
"#,
    )
    .unwrap();
    let out = hotplay()
        .arg("run")
        .arg(&play)
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("MOVED hotdb2 eth0"), "{t}");
    assert!(
        t.contains("hotdb1                     : ok=") && t.contains("failed=0"),
        "{t}"
    );
    lab.down_and_check();
}
