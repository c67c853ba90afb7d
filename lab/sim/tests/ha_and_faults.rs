//! Master/backup roles, the VIP check, and every injected fault of the compute
//! node (needs root: MariaDB of the test's own).

mod common;

use common::mariadb;
use common::node::*;
use common::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::time::Duration;

#[test]
fn backup_opens_only_the_management_port_until_online() {
    let m = mariadb::get();
    config_db(m, "ha_backup", Version(2, 5, 4));
    let n = node(
        "2.5.4",
        "20190812",
        "ha_backup",
        &[("haState", "backup"), ("haNodeHost", "127.0.0.1:3325")],
    );
    n.start_ok();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !port_open(n.service),
        "a backup keeps the service port closed"
    );
    let server = n.row("show @@server");
    assert_eq!(
        (col(&server, "role"), col(&server, "status")),
        ("BACKUP".into(), "OFF".into())
    );
    // keepalived's notify_master runs the packaged script, which runs `online`.
    let out = std::process::Command::new("sh")
        .arg(n.inst.path("bin/check_hotdb_process.sh"))
        .arg("backup_notify_master")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(wait_port(n.service, true, WAIT));
    let server = n.row("show @@server");
    assert_eq!(
        (col(&server, "role"), col(&server, "status")),
        ("MASTER".into(), "ON".into())
    );
    for check in ["process", "connect_backup"] {
        let out = std::process::Command::new("sh")
            .arg(n.inst.path("bin/check_hotdb_process.sh"))
            .arg(check)
            .output()
            .unwrap();
        assert!(out.status.success(), "{check}");
    }
    n.stop();
    let out = std::process::Command::new("sh")
        .arg(n.inst.path("bin/check_hotdb_process.sh"))
        .arg("process")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn vip_check_moves_service_port() {
    let m = mariadb::get();
    config_db(m, "ha_vip", Version(2, 5, 4));
    // A master without the VIP (TEST-NET address, never local) goes offline...
    let master = node(
        "2.5.4",
        "20190812",
        "ha_vip",
        &[("VIP", "192.0.2.1"), ("checkVIPPeriod", "200")],
    );
    master.start_ok();
    assert!(wait_for(WAIT, || master
        .inst
        .log("logs/hotdb.log")
        .contains("VIP 192.0.2.1 is not on this host: going offline")));
    assert!(wait_port(master.service, false, WAIT));
    // ...and a backup holding it (loopback is local) goes online.
    let backup = node(
        "2.5.4",
        "20190812",
        "ha_vip",
        &[
            ("haState", "backup"),
            ("VIP", "127.0.0.1"),
            ("checkVIPPeriod", "200"),
        ],
    );
    backup.start_ok();
    assert!(
        wait_port(backup.service, true, WAIT),
        "{}",
        backup.inst.log("logs/hotdb.log")
    );
    assert!(
        backup
            .inst
            .log("logs/hotdb.log")
            .contains("VIP 127.0.0.1 is on this host: going online")
    );
    master.stop();
    backup.stop();
}

#[test]
fn fault_start_fails_after_n_seconds() {
    let m = mariadb::get();
    config_db(m, "f_start", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "f_start", &[]);
    n.inst
        .sim_properties("start.delay.ms=300\nfault.start.fail.after.s=1.5\n");
    let out = n.inst.run(&["start"]);
    assert!(
        out.status.success(),
        "the script sees a live process at first: {}",
        text(&out)
    );
    assert!(wait_for(WAIT, || !n.inst.run(&["status"]).status.success()));
    let log = n.inst.log("logs/hotdb.log");
    assert!(
        log.contains("fault injected: start fails after 1.5 s"),
        "{log}"
    );
    assert!(!port_open(n.manager));
}

#[test]
fn fault_crash_after_n_seconds() {
    let m = mariadb::get();
    config_db(m, "f_crash", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "f_crash", &[]);
    n.inst
        .sim_properties("start.delay.ms=300\nfault.crash.after.s=1\n");
    n.start_ok();
    assert!(wait_port(n.manager, false, WAIT));
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("fault injected: the process crashes now")
    );
    assert!(n.inst.pid().is_some(), "a crash leaves the pid file behind");
    assert!(!n.inst.run(&["status"]).status.success());
}

#[test]
fn fault_stop_hangs_until_escalated() {
    let m = mariadb::get();
    config_db(m, "f_hang", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "f_hang", &[]);
    n.inst
        .sim_properties("start.delay.ms=300\nfault.stop.hang=true\n");
    n.inst.set_script_var("STOP_TIMEOUT", "2");
    n.start_ok();
    let out = n.inst.run(&["stop"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("did not stop within 2 s"),
        "{}",
        text(&out)
    );
    assert!(port_open(n.manager));
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("fault injected: TERM is ignored, stop will hang")
    );
    let pid = n.inst.pid().unwrap();
    // SAFETY: kill -9 of the process this test started (the escalation a playbook does).
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    assert!(wait_port(n.manager, false, WAIT));
}

#[test]
fn fault_reload_fails() {
    let m = mariadb::get();
    config_db(m, "f_reload", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "f_reload", &[]);
    n.inst
        .sim_properties("start.delay.ms=300\nfault.reload.fail=true\n");
    n.start_ok();
    let (code, message) =
        server_error(n.conn(n.manager).query_drop("reload @@config").unwrap_err());
    assert_eq!(code, 10191, "{message}");
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("fault injected: reload @@config fails")
    );
    n.stop();
}

#[test]
fn fault_no_service_port_after_ha_switch() {
    let m = mariadb::get();
    config_db(m, "f_switch", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "f_switch", &[("haState", "backup")]);
    n.inst
        .sim_properties("start.delay.ms=300\nfault.ha.no_service_port=true\n");
    n.start_ok();
    n.conn(n.manager).query_drop("online").unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(!port_open(n.service));
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("fault injected: the service port is not opened after the HA switch")
    );
    n.stop();
}

#[test]
fn reload_rereads_server_xml() {
    let m = mariadb::get();
    config_db(m, "ha_reload", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "ha_reload", &[]);
    n.start_ok();
    let xml = n.inst.read("conf/server.xml");
    n.inst.write(
        "conf/server.xml",
        &xml.replace("<system>", "<system>\n<property name=\"nope\">1</property>"),
    );
    let (code, message) =
        server_error(n.conn(n.manager).query_drop("reload @@config").unwrap_err());
    assert_eq!(code, 10191);
    assert!(message.contains("unknown property 'nope'"), "{message}");
    n.inst.write("conf/server.xml", &xml);
    n.conn(n.manager).query_drop("reload @@config").unwrap();
    n.stop();
}
