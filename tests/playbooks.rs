//! The bundled playbooks, end to end in the lab (root; CI is root): real upgrades over the
//! lab's sshds with client traffic through the VIP, `--check` changing nothing, a second run
//! finding nothing to do, and rollbacks after injected faults leaving the cluster as it was.
//! Also (no root): every step ID of PROCEDURES.md that a written playbook's family has is a
//! task tag, and no tag names a step that does not exist.

mod common;
use common::netlab::{NetLab, component, hotplay, is_root, text};
use common::upgrade::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn lab_root_mbr_253_to_256_check_then_upgrade_under_traffic_then_nothing_to_do() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mbr", "master-backup", "10.91.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let before = fingerprint(&lab);

    // --check: the plan is shown, nothing changes.
    let check = run(
        &lab,
        "master_backup_rolling.yml",
        &["-e", "target_version=2.5.6", "--check"],
    );
    let out = text(&check);
    assert!(check.status.success(), "{out}");
    assert!(out.contains("hotdb_config_2.5.5_to_2.5.6.sql"), "{out}");
    assert!(out.contains("to upgrade: hotdb1, hotdb2"), "{out}");
    assert!(out.contains("changed: [hotdb1 -> hotdb2]"), "{out}");
    assert_same(&before, &fingerprint(&lab), "--check changed the lab");

    // The upgrade, with a client querying through the VIP all along.
    assert!(lab.cmd(&["traffic", "start"]).status.success());
    let up = run(
        &lab,
        "master_backup_rolling.yml",
        &["-e", "target_version=2.5.6"],
    );
    let out = text(&up);
    assert!(up.status.success(), "{out}");
    let t = traffic(&lab);
    let failed = t["failed"].as_u64().unwrap();
    eprintln!(
        "MBR 2.5.3 -> 2.5.6: {} queries ok, {failed} failed, longest gap {} ms",
        t["ok"], t["longest_gap_ms"]
    );
    assert!(t["ok"].as_u64().unwrap() > 50, "{t}");
    // Only the HA switch's window: keepalived gives the VIP up at once (about 1 s).
    assert!(failed <= 30, "{t}");

    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb2", "{s:#}");
    for h in ["hotdb1", "hotdb2"] {
        let c = component(&s, h, "hotdb-server");
        assert!(c["version"].as_str().unwrap().starts_with("2.5.6"), "{s:#}");
    }
    assert_eq!(component(&s, "hotdb2", "hotdb-server")["role"], "MASTER");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["service"], "OFF");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    // The old installs are kept; the site's settings were carried; the roles swapped.
    for h in ["hotdb1", "hotdb2"] {
        assert!(ssh(&lab, h, "ls /usr/local/hotdb").contains("hotdb_server_253"));
    }
    let xml1 = ssh(
        &lab,
        "hotdb1",
        "cat /usr/local/hotdb/hotdb-server/conf/server.xml",
    );
    assert!(
        xml1.contains(r#"<property name="haState">backup</property>"#),
        "{xml1}"
    );
    assert!(
        xml1.contains(r#"<property name="haNodeHost">10.91.0.12:3325</property>"#),
        "{xml1}"
    );
    assert!(
        xml1.contains(r#"<property name="serverId">1</property>"#),
        "{xml1}"
    );
    assert!(
        xml1.contains(r#"name="sslUseSM4""#),
        "a 2.5.6 property is missing: {xml1}"
    );
    let ka2 = ssh(&lab, "hotdb2", "cat /etc/keepalived/keepalived.conf");
    assert!(
        ka2.contains("connect_master") && ka2.contains("nopreempt"),
        "{ka2}"
    );
    let script = ssh(
        &lab,
        "hotdb1",
        "grep ^JAVA_ /usr/local/hotdb/hotdb-server/bin/hotdb_server",
    );
    assert!(
        script.contains("jdk8u252-b09") && script.contains("1.8.0_252"),
        "{script}"
    );

    // Again: already at the target, nothing changed.
    let again = run(
        &lab,
        "master_backup_rolling.yml",
        &["-e", "target_version=2.5.6"],
    );
    let out = text(&again);
    assert!(again.status.success(), "{out}");
    assert!(out.contains("already at target"), "{out}");
    assert!(out.contains("changed=0"), "{out}");
    lab.down_and_check();
}

#[test]
fn lab_root_mbr_rollback_when_the_ha_switch_does_not_happen() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mbrrb", "master-backup", "10.92.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    // The new version never opens its service port after an HA switch.
    package_with_fault(&lab, SERVER_256, "fault.ha.no_service_port=true");
    let before = fingerprint(&lab);
    let r = run(
        &lab,
        "master_backup_rolling.yml",
        &[
            "-e",
            "target_version=2.5.6",
            "-e",
            "hotdb_ha_switch_timeout=15",
        ],
    );
    let out = text(&r);
    assert!(!r.status.success(), "{out}");
    assert!(
        out.contains("The upgrade to 2.5.6-ga-20200918 failed at"),
        "{out}"
    );
    assert!(
        out.contains("Both nodes are back on 2.5.3-20190905"),
        "{out}"
    );
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["role"], "MASTER");
    assert_eq!(s["schema"][0][1], "2.5.3", "{s:#}");
    // The config DB and every install file are as before; the failed install is kept aside.
    let after = fingerprint(&lab);
    // What a rollback leaves on purpose: the failed install (for analysis), the uploaded
    // packages, OpenJDK 8, the keepalived.conf kept before MBR-6.
    let strip = |f: &str| -> String {
        f.lines()
            .filter(|l| {
                ![
                    "_failed_2.5.6_",
                    "/usr/local/hotdb/packages",
                    "/usr/local/jdk8",
                    "before-hotplay",
                ]
                .iter()
                .any(|k| l.contains(k))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_same(
        &strip(&before),
        &strip(&after),
        "the rollback left differences",
    );
    assert!(ssh(&lab, "hotdb2", "ls /usr/local/hotdb").contains("hotdb-server_failed_2.5.6_"));
    lab.down_and_check();
}

#[test]
fn lab_root_mbr_sql_failure_restores_the_config_db_with_a_support_bundle() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mbrsql", "master-backup", "10.93.0.0/24");
    // The hop into 2.5.5 fails at its 3rd statement.
    packages(&lab, &["--fail-sql", "2.5.5:3"], &[SERVER_256, JDK8]);
    let before = fingerprint(&lab);
    let home = lab.dir.join("operator-home");
    std::fs::create_dir_all(&home).unwrap();
    let r = hotplay()
        .arg("run")
        .arg(playbook("master_backup_rolling.yml"))
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .args(["-e", "target_version=2.5.6"])
        .env("HOME", &home)
        .output()
        .unwrap();
    let out = text(&r);
    assert!(!r.status.success(), "{out}");
    assert!(
        out.contains("C-SQL failed on hotdb_config: hotdb_config_2.5.4_to_2.5.5.sql statement 3"),
        "{out}"
    );
    assert!(
        !out.contains("Lab-cfg-9kq2"),
        "the config DB password leaked: {out}"
    );
    assert_same(
        &before,
        &fingerprint(&lab),
        "the config DB or an install differs after the rollback",
    );
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.3", "{s:#}");
    // The support bundle: the error, the versions, the statements run, the dump.
    let bundles: Vec<PathBuf> = std::fs::read_dir(home.join("hotdb-support"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    let readme = std::fs::read_to_string(bundles[0].join("README.txt")).unwrap();
    assert!(
        readme.contains("2.5.3 -> 2.5.6-ga-20200918") && readme.contains("Statement: 3"),
        "{readme}"
    );
    let dump = std::fs::read_dir(&bundles[0]).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("hotdb_config-2.5.3-")
    });
    assert!(dump, "no dump in the bundle");
    lab.down_and_check();
}

/// The step IDs of PROCEDURES.md (`- MBR-4 ...`, `- C-STOP ...`, `- V2 ...`).
fn procedure_steps() -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/hotdb/PROCEDURES.md")).unwrap();
    let re = regex::Regex::new(r"(?m)^- ((?:[A-Z]+-[0-9A-Z]+)|V[0-9]) ").unwrap();
    re.captures_iter(&text).map(|c| c[1].to_string()).collect()
}

/// The tags of every task of a playbook, from `--list-tasks`.
fn playbook_tags(name: &str) -> BTreeSet<String> {
    let out = hotplay()
        .args(["run", "--list-tasks", "-i", "localhost,"])
        .arg(playbook(name))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let re = regex::Regex::new(r"TAGS: \[([^\]]*)\]").unwrap();
    re.captures_iter(&String::from_utf8_lossy(&out.stdout))
        .flat_map(|c| {
            c[1].split(',')
                .map(|t| t.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn every_step_of_a_written_family_is_tagged_and_no_tag_is_unknown() {
    let steps = procedure_steps();
    assert!(steps.len() > 60, "{steps:?}");
    // (playbook, family prefix). The families still to write are listed so that this test
    // fails when one is added without being checked here.
    let written = [
        ("master_backup_rolling.yml", "MBR-"),
        ("master_backup_downtime.yml", "MBS-"),
        ("single_node.yml", "S-"),
        ("management_platform.yml", "MP-"),
        ("backup.yml", "BK-"),
        ("listener.yml", "LS-"),
        ("multi_node_downtime.yml", "MNS-"),
        ("multi_node_rolling.yml", "MNR-"),
        ("disaster_recovery.yml", "DR-"),
    ];
    // Every playbook in playbooks/ is checked here.
    for e in std::fs::read_dir(Path::new(ROOT).join("playbooks"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yml") {
            assert!(
                written.iter().any(|(p, _)| *p == name),
                "{name}: check its steps here"
            );
        }
    }
    let ok_extra: BTreeSet<&str> = [
        "always",
        "never",
        "keepalived",
        "preflight",
        "ha_switch",
        "plan",
    ]
    .into();
    let mut all_tags = BTreeSet::new();
    for (pb, family) in written {
        let tags = playbook_tags(pb);
        all_tags.extend(tags.iter().cloned());
        for s in steps.iter().filter(|s| s.starts_with(family)) {
            assert!(
                tags.contains(s),
                "{pb}: step {s} has no task tagged with it"
            );
        }
        for t in &tags {
            assert!(
                steps.contains(t) || ok_extra.contains(t.as_str()),
                "{pb}: the tag {t} names no step of PROCEDURES.md"
            );
        }
    }
    // The common steps and the version rules belong to no family: some playbook has each.
    for s in steps
        .iter()
        .filter(|s| s.starts_with("C-") || s.starts_with("CN-") || s.starts_with('V'))
    {
        assert!(all_tags.contains(s), "no playbook has a task tagged {s}");
    }
}

#[test]
fn lab_root_demo_runs_the_rolling_upgrade_under_traffic() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let dir = PathBuf::from(format!(
        "/var/lib/hotplay-lab/test-demo-{}",
        std::process::id()
    ));
    // The guard takes the lab down whatever happens.
    let lab = NetLab { dir: dir.clone() };
    let out = hotplay()
        .args(["lab", "demo", "--subnet", "10.94.0.0/24", "--dir"])
        .arg(&dir)
        .current_dir(ROOT)
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let before = t.find("== before").unwrap();
    let after = t.find("== after").unwrap();
    assert!(
        t[before..].contains("VIP 10.94.0.100: held by hotdb1"),
        "{t}"
    );
    assert!(
        t[after..].contains("VIP 10.94.0.100: held by hotdb2"),
        "{t}"
    );
    assert!(t.contains("failed=0"), "{t}");
    assert!(t.contains("traffic against 10.94.0.100:3323: "), "{t}");
    lab.down_and_check();
}

#[test]
fn lab_root_s_249_to_254_multi_hop_then_a_failed_start_rolls_back_then_256() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up_at("s", "single", "10.81.0.0/24", "2.4.9");
    packages(&lab, &[], &[SERVER_254, SERVER_256, JDK8]);
    // V4: every hop from 2.4.9 in order, the unsafe 2.5.1 -> 2.5.3 one included (downtime).
    let out = ok(&run(
        &lab,
        "single_node.yml",
        &["-e", "target_version=2.5.4"],
    ));
    assert!(
        out.contains("hotdb_config_2.4.9_to_2.5.1.sql -> hotdb_config_2.5.1_to_2.5.3.sql -> hotdb_config_2.5.3_to_2.5.4.sql"),
        "{out}"
    );
    assert!(version_of(&lab, "hotdb1", "hotdb-server").starts_with("2.5.4"));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    assert!(ssh(&lab, "hotdb1", "ls /usr/local/hotdb").contains("hotdb_server_249"));

    // 2.5.6 whose compute node dies 2 s after its start: S-7 brings 2.5.4 back.
    package_with_fault(&lab, SERVER_256, "fault.start.fail.after.s=2");
    let before = fingerprint_single(&lab);
    let out = failed(&run(
        &lab,
        "single_node.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(out.contains("died while starting"), "{out}");
    assert!(out.contains("is back on 2.5.4-20190812"), "{out}");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert!(version_of(&lab, "hotdb1", "hotdb-server").starts_with("2.5.4"));
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    assert_same(
        &before,
        &fingerprint_single(&lab),
        "the rollback left differences",
    );

    // The good package: the JDK and the license change; then nothing to do.
    packages(&lab, &[], &[SERVER_256]);
    ok(&run(
        &lab,
        "single_node.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert!(version_of(&lab, "hotdb1", "hotdb-server").starts_with("2.5.6"));
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    let keys = ssh(&lab, "hotdb1", "ls /usr/local/hotdb/hotdb-server/keys");
    assert!(keys.contains("hotdb_trial.lic"), "{keys}");
    let out = ok(&run(
        &lab,
        "single_node.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(
        out.contains("already at target") && out.contains("changed=0"),
        "{out}"
    );
    lab.down_and_check();
}

#[test]
fn lab_root_mbr_refuses_unsafe_sql_then_mbs_249_to_254_then_sql_failure_rolls_back() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up_at("mbs", "master-backup", "10.82.0.0/24", "2.4.9");
    packages(
        &lab,
        &["--fail-sql", "2.5.5:2"],
        &[SERVER_254, SERVER_256, JDK8],
    );
    // MBR-0: the 2.5.1 -> 2.5.3 hop narrows a column and updates rows: refused, untouched.
    let before = fingerprint(&lab);
    let out = failed(&run(
        &lab,
        "master_backup_rolling.yml",
        &["-e", "target_version=2.5.4"],
    ));
    assert!(
        out.contains("Refusing the rolling upgrade (MBR-0)"),
        "{out}"
    );
    assert!(out.contains("master_backup_downtime.yml"), "{out}");
    assert!(out.contains("hotdb_config_2.5.1_to_2.5.3.sql"), "{out}");
    assert_same(
        &before,
        &fingerprint(&lab),
        "a refused upgrade changed the lab",
    );

    // MBS: both stop, both are upgraded, both start with their roles.
    ok(&run(
        &lab,
        "master_backup_downtime.yml",
        &["-e", "target_version=2.5.4"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    for h in ["hotdb1", "hotdb2"] {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.4"),
            "{s:#}"
        );
    }
    assert_eq!(component(&s, "hotdb2", "hotdb-server")["service"], "OFF");

    // MBS-1's SQL fails at the 2nd statement of the hop into 2.5.5: the DB is restored.
    let before = fingerprint(&lab);
    let out = failed(&run(
        &lab,
        "master_backup_downtime.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(
        out.contains("hotdb_config_2.5.4_to_2.5.5.sql statement 2"),
        "{out}"
    );
    assert!(
        out.contains("Both nodes are back on 2.5.4-20190812"),
        "{out}"
    );
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    assert_same(&before, &fingerprint(&lab), "the rollback left differences");

    // The good packages: MBS 2.5.4 -> 2.5.6 (JDK and license), the roles as before.
    packages(&lab, &[], &[SERVER_256]);
    ok(&run(
        &lab,
        "master_backup_downtime.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    for h in ["hotdb1", "hotdb2"] {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.6"),
            "{s:#}"
        );
    }
    lab.down_and_check();
}

#[test]
fn lab_root_mp_bk_ls_upgrades_and_rollbacks() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up_at("comp", "full", "10.83.0.0/24", "2.4.9");
    packages(
        &lab,
        &[],
        &[MGMT_251, MGMT_256, BACKUP_21, LISTENER_002, JDK8],
    );

    // MP to 2.5.1: V3, the cloud config DB's SQL run here.
    let out = ok(&run(
        &lab,
        "management_platform.yml",
        &["-e", "target_version=2.5.1"],
    ));
    assert!(
        out.contains("SQL by hand (V3): hotdb_cloud_config_2.4.9_to_2.5.1.sql"),
        "{out}"
    );
    assert!(version_of(&lab, "mgmt", "hotdb-management").starts_with("2.5.1"));
    assert_eq!(lab.status()["schema"][1][1], "2.5.1");
    // MP to 2.5.6 whose platform dies after its start: rolled back, its DB restored.
    package_with_fault(&lab, MGMT_256, "fault.start.fail.after.s=2");
    let out = failed(&run(
        &lab,
        "management_platform.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(out.contains("is back on 2.5.1"), "{out}");
    let s = lab.status();
    assert!(
        version_of(&lab, "mgmt", "hotdb-management").starts_with("2.5.1"),
        "{s:#}"
    );
    assert_eq!(s["schema"][1][1], "2.5.1", "{s:#}");
    // The good package: the new version upgrades its DB itself (V3) and needs OpenJDK 8.
    packages(&lab, &[], &[MGMT_256]);
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
    let props = ssh(
        &lab,
        "mgmt",
        "cat /usr/local/hotdb/hotdb-management/conf/application.properties",
    );
    assert!(
        props.contains("10.83.0.30:3306"),
        "the config DB address was not carried: {props}"
    );

    // BK: a failed start rolls back to 2.0, then 2.1.
    package_with_fault(&lab, BACKUP_21, "fault.start.fail.after.s=2");
    let out = failed(&run(&lab, "backup.yml", &["-e", "target_version=2.1"]));
    assert!(out.contains("storage1 is back on 2.0"), "{out}");
    assert!(version_of(&lab, "storage1", "hotdb-backup").starts_with("2.0"));
    packages(&lab, &[], &[BACKUP_21]);
    ok(&run(&lab, "backup.yml", &["-e", "target_version=2.1"]));
    assert!(version_of(&lab, "storage1", "hotdb-backup").starts_with("2.1"));
    assert!(ssh(&lab, "storage1", "ls /usr/local/hotdb").contains("hotdb-backup_2.0"));

    // LS: a failed start rolls back to 0.0.1, then 0.0.2 keeps host and port.
    package_with_fault(&lab, LISTENER_002, "fault.start.fail.after.s=2");
    let out = failed(&run(&lab, "listener.yml", &["-e", "target_version=0.0.2"]));
    assert!(out.contains("storage1 is back on 0.0.1"), "{out}");
    assert!(version_of(&lab, "storage1", "hotdb-listener").starts_with("0.0.1"));
    packages(&lab, &[], &[LISTENER_002]);
    ok(&run(&lab, "listener.yml", &["-e", "target_version=0.0.2"]));
    assert!(version_of(&lab, "storage1", "hotdb-listener").starts_with("0.0.2"));
    let conf = ssh(
        &lab,
        "storage1",
        "cat /usr/local/hotdb/hotdb-listener/conf/config.properties",
    );
    assert!(conf.contains("port=3330"), "{conf}");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    lab.down_and_check();
}

#[test]
fn lab_root_mnr_refuses_an_old_build_then_mns_then_mnr_without_a_failed_query() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up_at("mn", "multi-node", "10.84.0.0/24", "2.5.1-20190601");
    packages(&lab, &[], &[SERVER_254, SERVER_256, JDK8]);
    let cluster = ["hotdb1", "hotdb2", "hotdb3"];
    // MNR-0: 2.5.1 built before 20190821 cannot take part in a rolling upgrade.
    let before = fingerprint_hosts(&lab, &cluster);
    let out = failed(&run(
        &lab,
        "multi_node_rolling.yml",
        &["-e", "target_version=2.5.4"],
    ));
    assert!(
        out.contains("Refusing the rolling upgrade (MNR-0)"),
        "{out}"
    );
    assert!(out.contains("built before 20190821"), "{out}");
    assert!(out.contains("multi_node_downtime.yml"), "{out}");
    assert_same(
        &before,
        &fingerprint_hosts(&lab, &cluster),
        "a refusal changed the lab",
    );

    // MNS whose SQL fails at the 2nd statement of the hop into 2.5.3: every member back.
    packages(&lab, &["--fail-sql", "2.5.3:2"], &[SERVER_254]);
    let before = fingerprint_hosts(&lab, &cluster);
    let out = failed(&run(
        &lab,
        "multi_node_downtime.yml",
        &["-e", "target_version=2.5.4"],
    ));
    assert!(
        out.contains("hotdb_config_2.5.1_to_2.5.3.sql statement 2"),
        "{out}"
    );
    assert!(
        out.contains("Every member is back on 2.5.1-20190601"),
        "{out}"
    );
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.1", "{s:#}");
    assert_same(
        &before,
        &fingerprint_hosts(&lab, &cluster),
        "the rollback left differences",
    );
    packages(&lab, &[], &[SERVER_254]);

    // MNS to 2.5.4 (the unsafe 2.5.1 -> 2.5.3 hop included): every member, one primary.
    ok(&run(
        &lab,
        "multi_node_downtime.yml",
        &["-e", "target_version=2.5.4"],
    ));
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    let roles: Vec<String> = cluster
        .iter()
        .map(|h| {
            assert!(
                version_of(&lab, h, "hotdb-server").starts_with("2.5.4"),
                "{s:#}"
            );
            component(&s, h, "hotdb-server")["role"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "Primary").count(),
        1,
        "{roles:?}"
    );

    // A 2.5.6 whose members die after their start: every member back on 2.5.4.
    package_with_fault(&lab, SERVER_256, "fault.start.fail.after.s=2");
    let before = fingerprint_hosts(&lab, &cluster);
    let out = failed(&run(
        &lab,
        "multi_node_rolling.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(
        out.contains("Every member is back on 2.5.4-20190812"),
        "{out}"
    );
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.4", "{s:#}");
    let strip = |f: &str| -> String {
        f.lines()
            .filter(|l| {
                ![
                    "_failed_2.5.6_",
                    "/usr/local/hotdb/packages",
                    "/usr/local/jdk8",
                ]
                .iter()
                .any(|k| l.contains(k))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_same(
        &strip(&before),
        &strip(&fingerprint_hosts(&lab, &cluster)),
        "the rollback left differences",
    );

    // MNR to 2.5.6 with a client failing over among the members: no query fails.
    packages(&lab, &[], &[SERVER_256]);
    assert!(lab.cmd(&["traffic", "start"]).status.success());
    ok(&run(
        &lab,
        "multi_node_rolling.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let t = traffic(&lab);
    eprintln!("MNR 2.5.4 -> 2.5.6: {t}");
    assert_eq!(t["failed"], 0, "{t}");
    assert!(t["ok"].as_u64().unwrap() > 30, "{t}");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    for h in cluster {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.6"),
            "{s:#}"
        );
    }
    lab.down_and_check();
}

#[test]
fn lab_root_dr_refuses_without_replication_then_center_then_dr_room() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("dr", "dr", "10.85.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let all = ["hotdb1", "hotdb2", "hotdb3", "hotdb4"];
    let root_sql = |host: &str, sql: &str| {
        ssh(
            &lab,
            host,
            &format!("mariadb --socket=/run/mysqld/mysqld.sock -uroot -e '{sql}'"),
        )
    };
    // DR-0: replication stopped: refused, nothing changed.
    root_sql("configdb-dr", "STOP SLAVE");
    let before = fingerprint_hosts(&lab, &all);
    let out = failed(&run(
        &lab,
        "disaster_recovery.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(
        out.contains("is not running") && out.contains("nothing was changed"),
        "{out}"
    );
    assert_same(
        &before,
        &fingerprint_hosts(&lab, &all),
        "a refusal changed the lab",
    );
    root_sql("configdb-dr", "START SLAVE");

    // DR-1 fails (the new version never serves after the HA switch): the center room is
    // rolled back, the DR room never touched.
    package_with_fault(&lab, SERVER_256, "fault.ha.no_service_port=true");
    let out = failed(&run(
        &lab,
        "disaster_recovery.yml",
        &[
            "-e",
            "target_version=2.5.6",
            "-e",
            "hotdb_ha_switch_timeout=15",
        ],
    ));
    assert!(
        out.contains("Both nodes are back on 2.5.3-20190905"),
        "{out}"
    );
    // The run stops with the failed play (as ansible-core); DR-3 also refuses by itself.
    assert!(!out.contains("PLAY [DR-3"), "{out}");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    for h in all {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.3"),
            "{h}: {s:#}"
        );
    }
    packages(&lab, &[], &[SERVER_256]);

    // The center room (MBR, roles restored), verified, then the DR room once replicated.
    assert!(lab.cmd(&["traffic", "start"]).status.success());
    let out = ok(&run(
        &lab,
        "disaster_recovery.yml",
        &["-e", "target_version=2.5.6"],
    ));
    let t = traffic(&lab);
    eprintln!("DR 2.5.3 -> 2.5.6: {t}");
    assert!(t["failed"].as_u64().unwrap() <= 30, "{t}");
    let center = out.find("DR-2 verify the center room").unwrap();
    let dr = out.find("DR-3 the DR room").unwrap();
    assert!(center < dr, "{out}");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    for h in all {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.6"),
            "{h}: {s:#}"
        );
    }
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(component(&s, "hotdb1", "hotdb-server")["service"], "ON");
    for h in ["hotdb3", "hotdb4"] {
        assert_eq!(component(&s, h, "hotdb-server")["service"], "OFF", "{s:#}");
    }
    let schemas = s["schema"].to_string();
    assert_eq!(
        schemas.matches("2.5.6").count(),
        2,
        "both rooms' hotdb_config at 2.5.6: {schemas}"
    );

    let out = ok(&run(
        &lab,
        "disaster_recovery.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(
        out.contains("the DR room (hotdb3, hotdb4) runs 2.5.6-ga-20200918; nothing changed"),
        "{out}"
    );
    assert!(!out.contains("changed: "), "{out}");
    lab.down_and_check();
}

#[test]
fn lab_root_refusals_ha_checks_and_the_trial_license() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("refuse", "master-backup", "10.86.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let before = fingerprint(&lab);
    // hotplay check: the preconditions as a table per host, all OK.
    let check = |lab: &NetLab| {
        hotplay()
            .args(["check", "-i"])
            .arg(lab.dir.join("inventory.ini"))
            .arg(playbook("master_backup_rolling.yml"))
            .args(["-e", "target_version=2.5.6", "--no-journal"])
            .output()
            .unwrap()
    };
    let out = ok(&check(&lab));
    assert!(
        out.contains("OK    MBR-1 f. the VIP 10.86.0.100 is on the master"),
        "{out}"
    );
    assert!(out.contains(", 0 FAIL"), "{out}");
    // MBR-1 e: keepalived stopped on the backup.
    assert!(
        lab.cmd(&["fault", "hotdb2", "stop-keepalived"])
            .status
            .success()
    );
    let out = failed(&run(
        &lab,
        "master_backup_rolling.yml",
        &["-e", "target_version=2.5.6"],
    ));
    assert!(out.contains("MBR-1 e. keepalived runs on both"), "{out}");
    assert!(!out.contains("C-STOP"), "a refused upgrade went on: {out}");
    let c = check(&lab);
    let out = text(&c);
    assert_eq!(c.status.code(), Some(2), "{out}");
    assert!(
        out.contains("FAIL  MBR-1 e. keepalived runs on both")
            && out.contains("keepalived is not running"),
        "{out}"
    );
    ssh(&lab, "hotdb2", "/usr/local/bin/lab-keepalived start");

    // CN-LIC: 20 more data nodes than the 2.5.6 trial license's 16.
    let rows: Vec<String> = (1..=20).map(|i| format!("(\"dn_extra_{i}\")")).collect();
    ssh(
        &lab,
        "configdb",
        &format!(
            "mariadb --socket=/run/mysqld/mysqld.sock -uroot hotdb_config -e 'INSERT INTO hotdb_datanode (datanode_name) VALUES {}'",
            rows.join(",")
        ),
    );
    for pb in ["master_backup_rolling.yml", "master_backup_downtime.yml"] {
        let out = failed(&run(&lab, pb, &["-e", "target_version=2.5.6"]));
        assert!(
            out.contains("the trial license of 2.5.6") && out.contains("allows 16 (CN-LIC)"),
            "{out}"
        );
    }
    ssh(
        &lab,
        "configdb",
        "mariadb --socket=/run/mysqld/mysqld.sock -uroot hotdb_config -e 'DELETE FROM hotdb_datanode WHERE datanode_name LIKE \"dn_extra_%\"; ALTER TABLE hotdb_datanode AUTO_INCREMENT = 1'",
    );
    assert_same(&before, &fingerprint(&lab), "a refusal changed the lab");
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    lab.down_and_check();
}

#[test]
fn every_playbook_reads_its_example_inventory() {
    let pairs = [
        ("single_node.yml", "single.ini", "cn1"),
        ("master_backup_rolling.yml", "master_backup.ini", "cn1"),
        ("master_backup_downtime.yml", "master_backup.ini", "cn1"),
        ("management_platform.yml", "master_backup.ini", "mgmt1"),
        ("backup.yml", "master_backup.ini", "ds2"),
        ("listener.yml", "master_backup.ini", "ds2"),
        ("multi_node_downtime.yml", "multi_node.ini", "cn1"),
        ("multi_node_rolling.yml", "multi_node.ini", "cn1"),
        ("disaster_recovery.yml", "dr.ini", "r-cn1"),
    ];
    for (pb, inv, host) in pairs {
        let out = hotplay()
            .args(["run", "--list-hosts", "-i"])
            .arg(Path::new(ROOT).join("inventories").join(inv))
            .arg(playbook(pb))
            .output()
            .unwrap();
        let t = ok(&out);
        assert!(t.contains(host), "{pb} with {inv}: {t}");
        // The example group_vars are read (a setting the defaults do not have).
        let vars = hotplay()
            .args(["inventory", "--host", host, "-i"])
            .arg(Path::new(ROOT).join("inventories").join(inv))
            .output()
            .unwrap();
        let v = ok(&vars);
        assert!(v.contains("/opt/hotdb-packages"), "{inv}: {v}");
    }
}

#[test]
fn lab_root_mbr_backup_drops_off_the_network_mid_upgrade() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mbrnet", "master-backup", "10.87.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    assert!(lab.cmd(&["traffic", "start"]).status.success());
    let log = lab.dir.join("run.log");
    let mut child = hotplay()
        .arg("run")
        .arg(playbook("master_backup_rolling.yml"))
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .args(["-e", "target_version=2.5.6"])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // While the package goes to the stopped backup (MBR-3), its link goes down for good.
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("TASK [C-UNPACK upload")
    {
        assert!(start.elapsed().as_secs() < 120, "MBR-3 never came");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(lab.cmd(&["fault", "hotdb2", "link-down"]).status.success());
    let status = child.wait().unwrap();
    let out = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{out}");
    // Nothing more was touched: the report names the silent node; the master still serves
    // the old version and no client query failed.
    assert!(out.contains("THE ROLLBACK FAILED"), "{out}");
    assert!(out.contains("hotdb2: DOES NOT ANSWER"), "{out}");
    assert!(
        out.contains("hotdb1: /usr/local/hotdb/hotdb-server is 2.5.3 (20190905), running"),
        "{out}"
    );
    assert!(out.contains("Then start in this order"), "{out}");
    let t = traffic(&lab);
    assert_eq!(t["failed"], 0, "{t}");
    assert!(lab.cmd(&["fault", "hotdb2", "link-up"]).status.success());
    let s = lab.status();
    assert_eq!(s["vip_holder"], "hotdb1", "{s:#}");
    assert_eq!(
        component(&s, "hotdb1", "hotdb-server")["service"],
        "ON",
        "{s:#}"
    );
    assert!(
        version_of(&lab, "hotdb1", "hotdb-server").starts_with("2.5.3"),
        "{s:#}"
    );
    lab.down_and_check();
}

/// The controller dies (SIGKILL) while it waits for the VIP to move at the HA switch;
/// `hotplay resume` restores what was done (the dump, the SQL, the backup's upgrade, the
/// switch started) and finishes the upgrade without running any of it again.
#[test]
fn lab_root_mbr_killed_at_the_ha_switch_then_resumed() {
    assert!(is_root(), "the lab tests need root (CI runs as root)");
    let lab = NetLab::up("mbrres", "master-backup", "10.79.0.0/24");
    packages(&lab, &[], &[SERVER_256, JDK8]);
    let journal = lab.dir.join("journal");
    let log = lab.dir.join("run.log");
    let mut child = hotplay()
        .arg("run")
        .arg(playbook("master_backup_rolling.yml"))
        .arg("-i")
        .arg(lab.dir.join("inventory.ini"))
        .args(["-e", "target_version=2.5.6"])
        .env("HOTPLAY_JOURNAL_DIR", &journal)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("TASK [MBR-4 the VIP moves to hotdb2")
    {
        assert!(start.elapsed().as_secs() < 180, "MBR-4 never came");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let resumed = hotplay()
        .args(["resume", "last", "--yes"])
        .env("HOTPLAY_JOURNAL_DIR", &journal)
        .output()
        .unwrap();
    let out = text(&resumed);
    assert!(resumed.status.success(), "{out}");
    assert!(
        out.contains("which did not finish (killed or lost)"),
        "{out}"
    );
    // The last restored task is MBR-4's keepalived stop (in tasks/keepalived.yml) or, when
    // the kill came a moment later, the VIP wait itself.
    assert!(
        out.contains("(the last: 'keepalived stop on hotdb1")
            || out.contains("(the last: 'MBR-4 the VIP moves"),
        "{out}"
    );
    // Everything before the kill was restored, not run again (the SQL would fail twice).
    let before_kill = out
        .split("TASK [MBR-4 the VIP moves to hotdb2")
        .next()
        .unwrap_or_default();
    assert!(before_kill.contains("TASK [C-SQL"), "{out}");
    for line in before_kill.lines() {
        if line.starts_with("ok: [") || line.starts_with("changed: [") {
            assert!(line.contains("restored from its journal"), "{line}\n{out}");
        }
    }
    let s = lab.status();
    assert_eq!(s["healthy"], true, "{s:#}");
    assert_eq!(s["vip_holder"], "hotdb2", "{s:#}");
    for h in ["hotdb1", "hotdb2"] {
        assert!(
            version_of(&lab, h, "hotdb-server").starts_with("2.5.6"),
            "{s:#}"
        );
        // One kept copy each: nothing was moved twice.
        assert_eq!(
            ssh(&lab, h, "ls -d /usr/local/hotdb/hotdb_server_25*")
                .lines()
                .count(),
            1
        );
    }
    assert_eq!(s["schema"][0][1], "2.5.6", "{s:#}");
    lab.down_and_check();
}

/// The step map of docs/playbooks.md (between its markers) is what the playbooks' tags say:
/// every step ID of PROCEDURES.md with the playbooks and tasks that carry it. Regenerate
/// with `HOTPLAY_WRITE_STEP_MAP=1 cargo test --test playbooks step_map`.
#[test]
fn step_map_in_docs_is_current() {
    let steps = procedure_steps();
    let mut books: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("playbooks"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        .collect();
    books.sort();
    let re = regex::Regex::new(r"^\s+(.*?)\tTAGS: \[([^\]]*)\]$").unwrap();
    // step -> playbook -> task names (in order, without repeats)
    let mut map: std::collections::BTreeMap<String, Vec<(String, Vec<String>)>> =
        Default::default();
    for pb in &books {
        let out = hotplay()
            .args(["run", "--list-tasks", "-i", "localhost,"])
            .arg(playbook(pb))
            .output()
            .unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(c) = re.captures(line) else { continue };
            let name = c[1].trim().to_string();
            for tag in c[2].split(',').map(str::trim) {
                if !steps.contains(tag) {
                    continue;
                }
                let e = map.entry(tag.to_string()).or_default();
                if e.last().map(|(p, _)| p != pb).unwrap_or(true) {
                    e.push((pb.clone(), Vec::new()));
                }
                let names = &mut e.last_mut().unwrap().1;
                if !names.contains(&name) {
                    names.push(name.clone());
                }
            }
        }
    }
    let order = |s: &String| {
        let fam = s.split('-').next().unwrap_or("").to_string();
        let n: u32 = s
            .rsplit('-')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        (fam, n, s.clone())
    };
    let mut ids: Vec<&String> = steps.iter().collect();
    ids.sort_by_key(|s| order(s));
    let mut table =
        String::from("| Step | Playbook | Tasks (as `--list-tasks` names them) |\n|---|---|---|\n");
    for id in ids {
        let Some(entries) = map.get(id) else {
            panic!("step {id} has no task");
        };
        for (pb, names) in entries {
            let shown: Vec<String> = names
                .iter()
                .take(3)
                .map(|n| n.replace('|', "\\|"))
                .collect();
            let more = if names.len() > 3 {
                format!(" (+{} more)", names.len() - 3)
            } else {
                String::new()
            };
            table.push_str(&format!("| {id} | `{pb}` | {}{more} |\n", shown.join("; ")));
        }
    }
    let docs = Path::new(ROOT).join("docs/playbooks.md");
    let text = std::fs::read_to_string(&docs).unwrap();
    let (start, end) = (
        "<!-- step map: generated -->\n",
        "<!-- end of step map -->\n",
    );
    let a = text
        .find(start)
        .expect("docs/playbooks.md lacks the step map's start marker")
        + start.len();
    let b = text
        .find(end)
        .expect("docs/playbooks.md lacks the step map's end marker");
    if std::env::var_os("HOTPLAY_WRITE_STEP_MAP").is_some() {
        std::fs::write(&docs, format!("{}{}{}", &text[..a], table, &text[b..])).unwrap();
        return;
    }
    assert_eq!(
        &text[a..b],
        table,
        "docs/playbooks.md's step map is stale: HOTPLAY_WRITE_STEP_MAP=1 cargo test --test playbooks step_map"
    );
}
