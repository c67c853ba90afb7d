//! What the bundled playbooks' lab tests share: running a playbook against a lab, its
//! packages, ssh to a lab host, fingerprints of what an upgrade may change.
#![allow(dead_code)]

use super::netlab::{NetLab, component, hotplay, text};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub fn playbook(name: &str) -> PathBuf {
    Path::new(ROOT).join("playbooks").join(name)
}

/// Runs a bundled playbook against the lab's inventory.
pub fn run(lab: &NetLab, name: &str, extra: &[&str]) -> Output {
    hotplay()
        .arg("run")
        .arg(playbook(name))
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .args(extra)
        .env("HOTPLAY_JOURNAL_DIR", lab.dir.join("journal"))
        .output()
        .expect("run hotplay")
}

/// The target packages (and any variant options) into the lab's package directory.
pub fn packages(lab: &NetLab, opts: &[&str], names: &[&str]) {
    let out = hotplay()
        .args(["lab", "packages", "--out"])
        .arg(lab.dir.join("packages"))
        .args(opts)
        .args(names)
        .output()
        .unwrap();
    assert!(out.status.success(), "lab packages: {}", text(&out));
}

/// Adds `conf/sim.properties` (simulator faults) to a component's package, as a vendor
/// package that misbehaves after the upgrade would; the .md5 is rewritten to match.
pub fn package_with_fault(lab: &NetLab, name: &str, props: &str) {
    let dir = lab.dir.join("packages");
    let work = lab.dir.join("repack");
    std::fs::create_dir_all(&work).unwrap();
    // hotdb-server-2.5.6-ga-... unpacks to hotdb-server/, hotdb-backup-2.1-... to hotdb-backup/.
    let top: String = name.splitn(3, '-').take(2).collect::<Vec<_>>().join("-");
    let sh = format!(
        "set -e; cd {w}; tar -xzf {d}/{n}; printf '%s\\n' '{p}' > {top}/conf/sim.properties; \
         tar -czf {d}/{n} {top}; cd {d}; md5sum {n} > {n}.md5; rm -rf {w}",
        w = work.display(),
        d = dir.display(),
        n = name,
        p = props
    );
    let out = Command::new("sh").args(["-c", &sh]).output().unwrap();
    assert!(out.status.success(), "repack: {}", text(&out));
}

/// A shell command on a lab host, over its sshd.
pub fn ssh(lab: &NetLab, host: &str, cmd: &str) -> String {
    let out = Command::new("ssh")
        .arg("-F")
        .arg(lab.dir.join("ssh_config"))
        .arg(host)
        .arg(cmd)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh {host} {cmd}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What an upgrade may change: every file of the install bases and keepalived configs of
/// the compute nodes (not logs, pid files or the trial's activation time) and both config
/// DBs' contents.
pub fn fingerprint(lab: &NetLab) -> String {
    fingerprint_hosts(lab, &["hotdb1", "hotdb2"])
}

pub fn fingerprint_hosts(lab: &NetLab, hosts: &[&str]) -> String {
    let mut all = String::new();
    for &h in hosts {
        all += &ssh(
            lab,
            h,
            "find /usr/local/hotdb /usr/local/jdk8 /etc/keepalived -type f 2>/dev/null \
             | grep -v -e /logs/ -e /run/ -e /HotDB-TEMP/ -e keys/activation | sort | xargs md5sum",
        );
        all += &ssh(lab, h, "find /usr/local/hotdb -maxdepth 1 | sort");
    }
    all += &ssh(
        lab,
        "configdb",
        "mariadb-dump --socket=/run/mysqld/mysqld.sock -uroot --skip-dump-date --routines \
         --databases hotdb_config hotdb_cloud_config",
    );
    all
}

/// Fingerprints must match; on a difference only the differing lines are shown.
pub fn assert_same(before: &str, after: &str, what: &str) {
    if before == after {
        return;
    }
    let b: BTreeSet<&str> = before.lines().collect();
    let a: BTreeSet<&str> = after.lines().collect();
    let gone: Vec<&&str> = b.difference(&a).take(20).collect();
    let new: Vec<&&str> = a.difference(&b).take(20).collect();
    panic!("{what}\nonly before: {gone:#?}\nonly after: {new:#?}");
}

pub fn traffic(lab: &NetLab) -> Value {
    // The generator writes its counts every 100 ms.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = std::fs::read_to_string(lab.dir.join("traffic.json")).unwrap();
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"))
}

pub const SERVER_256: &str = "hotdb-server-2.5.6-ga-20200918.tar.gz";
pub const JDK8: &str = "OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz";

/// The version the lab's status shows for a component of a host (`2.5.4-20190812`).
pub fn version_of(lab: &NetLab, host: &str, comp: &str) -> String {
    let s = lab.status();
    component(&s, host, comp)["version"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn ok(o: &Output) -> String {
    let t = text(o);
    assert!(o.status.success(), "{t}");
    t
}

pub fn failed(o: &Output) -> String {
    let t = text(o);
    assert!(!o.status.success(), "{t}");
    t
}

pub const SERVER_254: &str = "hotdb-server-2.5.4-ga-20190812.tar.gz";

/// A single node's install files (not the failed one kept aside, the uploaded packages or
/// OpenJDK 8) and its config DB.
pub fn fingerprint_single(lab: &NetLab) -> String {
    let mut all = ssh(
        lab,
        "hotdb1",
        "find /usr/local/hotdb -type f | grep -v -e /logs/ -e /run/ -e /HotDB-TEMP/ -e keys/activation \
         -e _failed_ -e /usr/local/hotdb/packages | sort | xargs md5sum",
    );
    all += &ssh(
        lab,
        "configdb",
        "mariadb-dump --socket=/run/mysqld/mysqld.sock -uroot --skip-dump-date --routines \
         --databases hotdb_config hotdb_cloud_config",
    );
    all
}

pub const MGMT_251: &str = "hotdb-management-2.5.1-ga-20190830.tar.gz";
pub const MGMT_256: &str = "hotdb-management-2.5.6-ga-20200918.tar.gz";
pub const BACKUP_21: &str = "hotdb-backup-2.1-20200611.tar.gz";
pub const LISTENER_002: &str = "hotdb-listener-0.0.2-linux.tar.gz";
