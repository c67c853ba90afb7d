//! Every family from 2.5.3 to 2.5.6 in the lab (root; CI is root), the route that crosses
//! the JDK and the license: first `--check`, which must list what it would change and leave
//! every install base, config and config DB as it was, then the upgrade itself, then what an
//! operator would check. (MBR's own is in tests/playbooks.rs, with its traffic and rollbacks.)

mod common;
use common::netlab::{NetLab, component, hotplay, is_root, text};
use common::upgrade::*;

/// `--check` of a playbook: it succeeds, says what it would change, and changes nothing.
fn check_changes_nothing(lab: &NetLab, book: &str, hosts: &[&str], expect: &[&str]) {
    let before = fingerprint_hosts(lab, hosts);
    let o = run(lab, book, &["-e", "target_version=2.5.6", "--check"]);
    let out = text(&o);
    assert!(o.status.success(), "{book} --check: {out}");
    assert!(
        out.contains("changed: ["),
        "{book} --check lists no change: {out}"
    );
    for e in expect {
        assert!(out.contains(e), "{book} --check lacks {e:?}: {out}");
    }
    assert_same(
        &before,
        &fingerprint_hosts(lab, hosts),
        &format!("{book} --check changed the lab"),
    );
}

/// The server on `host` runs 2.5.6 with OpenJDK 8 and the trial license, and keeps 2.5.3.
fn on_256_with_jdk8_and_license(lab: &NetLab, host: &str) {
    assert!(
        version_of(lab, host, "hotdb-server").starts_with("2.5.6"),
        "{host}: {:#}",
        lab.status()
    );
    let script = ssh(
        lab,
        host,
        "grep ^JAVA_ /usr/local/hotdb/hotdb-server/bin/hotdb_server",
    );
    assert!(script.contains("jdk8u252-b09"), "{host}: {script}");
    let keys = ssh(lab, host, "ls /usr/local/hotdb/hotdb-server/keys");
    assert!(keys.contains("hotdb_trial.lic"), "{host}: {keys}");
    assert!(ssh(lab, host, "ls /usr/local/hotdb").contains("hotdb_server_253"));
}

fn again_nothing_to_do(lab: &NetLab, book: &str) {
    let out = ok(&run(lab, book, &["-e", "target_version=2.5.6"]));
    assert!(
        out.contains("already at target") && out.contains("changed=0"),
        "{book} again: {out}"
    );
}

#[test]
fn lab_root_s_253_to_256_check_then_upgrade() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("s253", "single", "10.75.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    check_changes_nothing(
        &lab,
        "single_node.yml",
        &["hotdb1"],
        &[
            "hotdb_config_2.5.3_to_2.5.4.sql",
            "hotdb_config_2.5.5_to_2.5.6.sql",
        ],
    );
    ok(&run(
        &lab,
        "single_node.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["service"], "ON");
    on_256_with_jdk8_and_license(&lab, "hotdb1");
    again_nothing_to_do(&lab, "single_node.yml");
    lab.down_and_check();
}

/// MBS (both nodes stopped, upgraded, started in the manual's order) and the management
/// platform, its backup agent and listener checked on the full topology.
#[test]
fn lab_root_full_253_check_every_component_then_mbs_and_mp_to_256() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("full253", "full", "10.72.0.0/24");
    packages(
        &lab,
        &[],
        &[SERVER_256, MGMT_256, BACKUP_21, LISTENER_002, JDK8],
    );
    let all = ["hotdb1", "hotdb2", "mgmt", "storage1"];
    check_changes_nothing(
        &lab,
        "master_backup_downtime.yml",
        &all,
        &["hotdb_config_2.5.5_to_2.5.6.sql"],
    );
    check_changes_nothing(&lab, "management_platform.yml", &all, &[]);
    for (book, version) in [("backup.yml", "2.1"), ("listener.yml", "0.0.2")] {
        let before = fingerprint_hosts(&lab, &all);
        let v = format!("target_version={version}");
        let o = run(&lab, book, &["-e", &v, "--check"]);
        let out = text(&o);
        assert!(o.status.success() && out.contains("changed: ["), "{out}");
        assert_same(&before, &fingerprint_hosts(&lab, &all), book);
    }

    ok(&run(
        &lab,
        "master_backup_downtime.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["role"], "MASTER");
    assert_eq!(component(&s, "hotdb2", "hotdb-server")["service"], "OFF");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    for h in ["hotdb1", "hotdb2"] {
        on_256_with_jdk8_and_license(&lab, h);
    }
    let xml2 = ssh(
        &lab,
        "hotdb2",
        "cat /usr/local/hotdb/hotdb-server/conf/server.xml",
    );
    assert!(
        xml2.contains(r#"<property name="haState">backup</property>"#),
        "{xml2}"
    );
    again_nothing_to_do(&lab, "master_backup_downtime.yml");

    ok(&run(
        &lab,
        "management_platform.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let s = lab.status();
    assert!(
        version_of(&lab, "mgmt", "hotdb-management").starts_with("2.5.6"),
        "{s:#}"
    );
    assert_eq!(s["schema"][1][1], "2.5.6", "{s:#}");
    let kept = ssh(&lab, "mgmt", "ls /usr/local/hotdb");
    assert!(kept.contains("hotdb_management_253"), "{kept}");
    again_nothing_to_do(&lab, "management_platform.yml");
    lab.down_and_check();
}

#[test]
fn lab_root_mns_253_to_256_check_then_upgrade() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mns253", "multi-node", "10.74.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let cluster = ["hotdb1", "hotdb2", "hotdb3"];
    check_changes_nothing(
        &lab,
        "multi_node_downtime.yml",
        &cluster,
        &["hotdb_config_2.5.5_to_2.5.6.sql"],
    );
    ok(&run(
        &lab,
        "multi_node_downtime.yml",
        &["-e", "target_version=2.5.6"],
    ));
    cluster_on_256(&lab, &cluster);
    again_nothing_to_do(&lab, "multi_node_downtime.yml");
    lab.down_and_check();
}

#[test]
fn lab_root_mnr_253_to_256_check_then_upgrade_without_a_failed_query() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mnr253", "multi-node", "10.73.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let cluster = ["hotdb1", "hotdb2", "hotdb3"];
    check_changes_nothing(
        &lab,
        "multi_node_rolling.yml",
        &cluster,
        &["hotdb_config_2.5.5_to_2.5.6.sql"],
    );
    assert!(lab.cmd(&["traffic", "start"]).status.success());
    ok(&run(
        &lab,
        "multi_node_rolling.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let t = traffic(&lab);
    eprintln!("MNR 2.5.3 -> 2.5.6: {t}");
    assert_eq!(t["failed"], 0, "{t}");
    assert!(t["ok"].as_u64().unwrap() > 30, "{t}");
    cluster_on_256(&lab, &cluster);
    again_nothing_to_do(&lab, "multi_node_rolling.yml");
    lab.down_and_check();
}

/// Every member on 2.5.6 (JDK 8, license, 2.5.3 kept), one primary, the schema at 2.5.6.
fn cluster_on_256(lab: &NetLab, cluster: &[&str]) {
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    let primaries = cluster
        .iter()
        .filter(|h| component(&s, h, "hotdb-server")["role"] == "Primary")
        .count();
    assert_eq!(primaries, 1, "{s:#}");
    for h in cluster {
        on_256_with_jdk8_and_license(lab, h);
    }
}

/// `hotplay plan` of the rolling upgrade against the lab: the batches, the HA switch, and
/// the preflight's route with its scripts per hop, all in check mode: nothing changes.
#[test]
fn lab_root_plan_mbr_253_shows_the_route_and_the_switch_and_changes_nothing() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("plan253", "master-backup", "10.71.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let hosts = ["hotdb1", "hotdb2"];
    let before = fingerprint_hosts(&lab, &hosts);
    let o = hotplay()
        .arg("plan")
        .arg(playbook("master_backup_rolling.yml"))
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .args(["-e", "target_version=2.5.6"])
        .env("HOTPLAY_JOURNAL_DIR", lab.dir.join("journal"))
        .output()
        .expect("hotplay plan");
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for want in [
        "PLAY 1: HotDB master/backup rolling upgrade (MBR)",
        "batch 1/1: hotdb1",
        "<== HA switch",
        "HA switch: task",
        "PREFLIGHT (check mode: nothing was changed)",
        "target: 2.5.6",
        "to upgrade: hotdb1, hotdb2",
        "hotdb_config_2.5.3_to_2.5.4.sql -> ",
        "hotdb_config_2.5.5_to_2.5.6.sql",
        "JDK: OpenJDK 8 (C-JDK) and the new trial license (CN-LIC)",
        " 0 FAIL",
    ] {
        assert!(out.contains(want), "plan lacks {want:?}:\n{out}");
    }
    assert_same(
        &before,
        &fingerprint_hosts(&lab, &hosts),
        "hotplay plan changed the lab",
    );
    assert_eq!(lab.status()["vip_holder"], "hotdb1");
    lab.down_and_check();
}
