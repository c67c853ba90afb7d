//! Management platform, HotDB Backup and HotDB Listener through their real scripts (needs
//! root: MariaDB of the test's own).

mod common;

use common::mariadb;
use common::platform::*;
use common::*;
use hotdb_sim::catalog::{Version, find_release};
use hotdb_sim::package::{self, Options, SqlFault};
use std::sync::Arc;

#[test]
fn management_upgrades_its_config_db_across_hops_at_start() {
    cloud_db("mp_route", Some(Version(2, 4, 9)));
    let p = platform("2.5.6", "20200918", "mp_route");
    start_ok(&p.inst, p.http, "logs/hotdb-management.log");
    let log = p.inst.log("logs/hotdb-management.log");
    assert!(
        log.contains("upgrading config DB from 2.4.9 to 2.5.6"),
        "{log}"
    );
    assert!(
        log.contains("executed utils/sql/upgrade/hotdb_cloud_config_2.5.5_to_2.5.6.sql"),
        "{log}"
    );
    let versions = mariadb::get().query_one(
        "mp_route",
        "SELECT GROUP_CONCAT(version ORDER BY version) FROM hotdb_schema_version",
    );
    assert_eq!(versions, "2.4.9,2.5.1,2.5.3,2.5.4,2.5.5,2.5.6");
    let health = get(p.http, "/health");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with(r#"{"status":"UP"}"#),
        "{health}"
    );
    assert!(get(p.http, "/version").contains(r#""version":"2.5.6","build_date":"20200918""#));
    assert!(port_open(p.backup));
    let out = p.inst.run(&["stop"]);
    assert!(
        text(&out).contains("HotDB-management stopped success."),
        "{}",
        text(&out)
    );
    assert!(!port_open(p.http));
}

#[test]
fn management_before_253_refuses_an_old_schema() {
    cloud_db("mp_old", Some(Version(2, 4, 9)));
    let p = platform("2.5.1", "20190830", "mp_old");
    let out = p.inst.run(&["start"]);
    assert!(!out.status.success(), "{}", text(&out));
    let log = p.inst.log("logs/hotdb-management.log");
    assert!(
        log.contains(
            "has schema version 2.4.9 but HotDB-management 2.5.1 needs 2.5.1: run the upgrade SQL"
        ),
        "{log}"
    );
}

#[test]
fn management_stops_at_a_failing_upgrade_statement() {
    cloud_db("mp_fault", Some(Version(2, 5, 3)));
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        sim_binary: Arc::new(std::fs::read(SIM).unwrap()),
        fail_sql: Some(SqlFault {
            to: Version(2, 5, 4),
            statement: 2,
        }),
    };
    let release = find_release(Version(2, 5, 4), "20190812").unwrap();
    package::generate(dir.path(), &[release.management_package()], &opts).unwrap();
    let base = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(dir.path().join(release.management_package()))
        .arg("-C")
        .arg(base.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let home = base.path().join("hotdb-management");
    let inst = Install::at(base, home, "hotdb_management", "hotdb-management.pid");
    let p = configure(inst, Version(2, 5, 4), "mp_fault");
    let out = p.inst.run(&["start"]);
    assert!(!out.status.success(), "{}", text(&out));
    let log = p.inst.log("logs/hotdb-management.log");
    assert!(log.contains("fault injected: utils/sql/upgrade/hotdb_cloud_config_2.5.3_to_2.5.4.sql contains a failing statement"), "{log}");
    assert!(
        log.contains("hotdb_cloud_config_2.5.3_to_2.5.4.sql statement 2: ERROR 1146"),
        "{log}"
    );
    assert_eq!(
        mariadb::get().query_one("mp_fault", "SELECT MAX(version) FROM hotdb_schema_version"),
        "2.5.3"
    );
}

#[test]
fn backup_agent_reconnects_and_tasks_are_known() {
    cloud_db("mp_backup", Some(Version(2, 5, 4)));
    let p = platform("2.5.4", "20190812", "mp_backup");
    start_ok(&p.inst, p.http, "logs/hotdb-management.log");
    let agent = Install::new("hotdb-backup-2.0-20190109.tar.gz");
    let port = p.backup.to_string();
    let out = agent.run(&["start", "-h", "127.0.0.1", "-p", &port]);
    assert!(
        out.status.success() && text(&out).contains("HotDB-backup start successed."),
        "{}",
        text(&out)
    );
    let out = agent.run(&["start", "-h", "127.0.0.1", "-p", &port]);
    assert!(
        text(&out).contains("HotDB-backup service already running (PID: "),
        "{}",
        text(&out)
    );
    assert!(wait_for(WAIT, || get(p.http, "/backup/agents")
        .contains("hotdb-backup 2.0")));
    // the platform restarts; the agent comes back by itself
    assert!(p.inst.run(&["stop"]).status.success());
    start_ok(&p.inst, p.http, "logs/hotdb-management.log");
    assert!(wait_for(WAIT, || get(p.http, "/backup/agents")
        .contains("hotdb-backup 2.0")));
    assert!(agent.log("logs/hotdb_backup.log").contains("reconnecting"));
    assert!(get(p.http, "/backup/start?seconds=2").contains(r#""task_id":1"#));
    assert!(get(p.http, "/backup/tasks").contains(r#""task_id":1"#));
    assert!(wait_for(WAIT, || get(p.http, "/backup/tasks")
        .contains(r#""running":[]"#)));
    let out = agent.run(&["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = agent.run(&["stop"]);
    assert!(
        text(&out).contains("HotDB-backup stopped success."),
        "{}",
        text(&out)
    );
    let out = agent.run(&["status"]);
    assert!(
        text(&out).contains("HotDB-backup service not running."),
        "{}",
        text(&out)
    );
    p.inst.run(&["stop"]);
}

#[test]
fn listener_start_stop_restart() {
    let l = Install::new("hotdb-listener-0.0.2-linux.tar.gz");
    let port = free_port();
    let conf = l
        .read("conf/config.properties")
        .replace("port=3330", &format!("port={port}"));
    l.write("conf/config.properties", &conf);
    let out = l.run(&["start"]);
    assert!(
        text(&out).contains("HotDB-Listener start successed."),
        "{}",
        text(&out)
    );
    assert!(wait_port(port, true, WAIT));
    assert!(l.log("logs/listener.log").contains(&format!(
        "Listener-Manager start listening on host 0.0.0.0 port {port}"
    )));
    let out = l.run(&["restart"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("HotDB-Listener stopped success.")
            && text(&out).contains("start successed")
    );
    assert!(wait_port(port, true, WAIT));
    assert!(l.run(&["stop"]).status.success());
    assert!(wait_port(port, false, WAIT));
}
