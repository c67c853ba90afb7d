//! The compute node through its real start script, ports and a real MySQL client library,
//! against a MariaDB config DB of the test's own (needs root: it may apt-get MariaDB).

mod common;

use common::mariadb;
use common::node::*;
use common::*;
use hotdb_sim::catalog::{Version, find_release};
use mysql::prelude::Queryable;

#[test]
fn single_node_lifecycle_ports_and_management_commands() {
    let m = mariadb::get();
    config_db(m, "cn_single", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "cn_single", &[]);
    n.inst.sim_properties(""); // the default, realistic 2-5 s start time
    let out = n.inst.run(&["start"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !port_open(n.manager),
        "ports open only after the start time"
    );
    assert!(wait_port(n.manager, true, WAIT) && wait_port(n.service, true, WAIT));
    let log = n.inst.log("logs/hotdb.log");
    assert!(
        log.contains(&format!("HotDB-Manager listening on {}", n.manager)),
        "{log}"
    );
    assert!(
        log.contains(&format!("HotDB-Server listening on {}", n.service)),
        "{log}"
    );
    assert!(n.inst.pid().is_some());
    assert_eq!(handshake_version(n.manager), "5.7.19-HotDB-2.5.4");
    assert_eq!(handshake_version(n.service), "5.7.19-HotDB-2.5.4");

    let out = n.inst.run(&["status"]);
    assert!(
        out.status.success() && text(&out).contains("HotDB-server service is running (PID: "),
        "{}",
        text(&out)
    );
    let out = n.inst.run(&["start"]);
    assert!(
        text(&out).contains("HotDB-server service already running"),
        "{}",
        text(&out)
    );

    assert_eq!(
        col(&n.row("show @@version"), "version"),
        "5.7.19-HotDB-2.5.4"
    );
    let server = n.row("show @@server");
    assert_eq!(
        (col(&server, "role"), col(&server, "status")),
        ("MASTER".into(), "ON".into())
    );
    assert_eq!(col(&server, "version"), "2.5.4.20190812");
    let key = n.row("show @@usbkey");
    assert_eq!(col(&key, "usbkey_type"), "3");
    assert_eq!(col(&key, "node_limit"), "64");
    assert!(
        n.conn(n.manager)
            .query::<mysql::Row, _>("show @@cluster")
            .unwrap()
            .is_empty()
    );

    let mut mgmt = n.conn(n.manager);
    mgmt.query_drop("reload @@config").unwrap();
    assert_eq!(mgmt.affected_rows(), 1);
    assert_eq!(mgmt.info_str(), "Reload config success");
    let (code, message) = server_error(mgmt.query_drop("show @@processlist").unwrap_err());
    assert_eq!(code, 10192, "{message}");
    assert_eq!(
        mgmt.query_first::<String, _>("show @@version")
            .unwrap()
            .unwrap(),
        "5.7.19-HotDB-2.5.4"
    );

    // The mysql command-line client, as operators and playbooks use it.
    let cli = |sql: &str| {
        std::process::Command::new("mariadb")
            .args([
                "--no-defaults",
                "-h127.0.0.1",
                &format!("-P{}", n.manager),
                "-uroot",
                "-proot",
                "-N",
                "-B",
                "-e",
                sql,
            ])
            .output()
            .unwrap()
    };
    let out = cli("show @@version");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "5.7.19-HotDB-2.5.4",
        "{}",
        text(&out)
    );
    let out = cli("show @@nothing");
    assert!(
        !out.status.success() && text(&out).contains("ERROR 10192 (HY000)"),
        "{}",
        text(&out)
    );

    // Client traffic on the service port, seen by show @@session.
    let mut client = n.conn(n.service);
    assert_eq!(client.query_first::<i64, _>("select 1").unwrap(), Some(1));
    assert_eq!(
        client
            .query_first::<String, _>("select @@version")
            .unwrap()
            .unwrap(),
        "5.7.19-HotDB-2.5.4"
    );
    client.query_drop("begin").unwrap();
    client.query_drop("select sleep(0.1)").unwrap();
    let sessions: Vec<mysql::Row> = mgmt.query("show @@session").unwrap();
    assert!(
        sessions.iter().any(
            |r| !col(r, "trx_started").is_empty() && col(r, "trx_query") == "select sleep(0.1)"
        )
    );
    assert!(
        mgmt.query::<mysql::Row, _>("show @@longtransaction")
            .unwrap()
            .is_empty()
    );

    // offline closes the service port and drops its clients; online opens it again.
    mgmt.query_drop("offline").unwrap();
    assert!(wait_port(n.service, false, WAIT));
    assert!(
        client.query_drop("select 1").is_err(),
        "client connection is dropped"
    );
    assert_eq!(col(&n.row("show @@server"), "status"), "OFF");
    mgmt.query_drop("online").unwrap();
    assert!(wait_port(n.service, true, WAIT));

    n.stop();
    assert!(!port_open(n.manager) && !port_open(n.service));
    assert!(n.inst.pid().is_none(), "pid file removed");
    let out = n.inst.run(&["status"]);
    assert!(!out.status.success() && text(&out).contains("HotDB-server service not running."));
    let out = n.inst.run(&["stop"]);
    assert!(out.status.success() && text(&out).contains("not running"));
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("HotDB-server received TERM")
    );
}

#[test]
fn refuses_bad_server_xml() {
    let m = mariadb::get();
    config_db(m, "cn_xml", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "cn_xml", &[]);
    let good = n.inst.read("conf/server.xml");
    n.inst
        .write("conf/server.xml", &good.replace("</system>", "<system>"));
    n.start_refused("malformed XML");
    n.inst.write(
        "conf/server.xml",
        &good.replace(
            "<system>",
            "<system>\n<property name=\"deadlockCheckPeriod\">1</property>",
        ),
    );
    n.start_refused("unknown property 'deadlockCheckPeriod' for HotDB-server 2.5.4");
    let no_manager = good
        .lines()
        .filter(|l| !l.contains("\"managerPort\""))
        .collect::<Vec<_>>()
        .join("\n");
    n.inst.write("conf/server.xml", &no_manager);
    n.start_refused("required property 'managerPort' is missing");
    assert!(n.inst.pid().is_none());
}

#[test]
fn refuses_a_jdk_that_does_not_fit() {
    let m = mariadb::get();
    config_db(m, "cn_jdk", Version(2, 5, 6));
    let n = node("2.5.6", "20200918", "cn_jdk", &[]);
    // The script's own check: JAVA_VERSION and the JDK at JAVA_BIN disagree.
    n.inst
        .set_script_var("JAVA_BIN", &java(false).display().to_string());
    let out = n.inst.run(&["start"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Java version mismatch: JAVA_VERSION is 1.8.0_252"),
        "{}",
        text(&out)
    );
    // The program's check: 2.5.6 needs OpenJDK 8 even when the script agrees with JDK 7.
    n.inst.set_script_var("JAVA_VERSION", "\"1.7.0_80\"");
    n.start_refused("HotDB-server 2.5.6 needs OpenJDK 8 (1.8.0_252)");
}

#[test]
fn refuses_an_old_license_from_256() {
    let m = mariadb::get();
    config_db(m, "cn_lic", Version(2, 5, 6));
    let n = node("2.5.6", "20200918", "cn_lic", &[]);
    std::fs::remove_file(n.inst.path("keys/hotdb_trial.lic")).unwrap();
    let old =
        hotdb_sim::license::License::shipped(find_release(Version(2, 5, 5), "20191230").unwrap());
    n.inst.write("keys/hotdb_usbkey.v2c", &old.render());
    n.start_refused("is of an old format and void for HotDB-server 2.5.6");
}

#[test]
fn refuses_an_old_config_db_until_the_upgrade_sql_ran() {
    let m = mariadb::get();
    config_db(m, "cn_schema", Version(2, 5, 3));
    let n = node("2.5.4", "20190812", "cn_schema", &[]);
    n.start_refused("has schema version 2.5.3 but HotDB-server 2.5.4 needs 2.5.4");
    let script = n
        .inst
        .read("utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql");
    let out = m.source(&n.db, &script);
    assert!(out.status.success(), "{}", text(&out));
    n.start_ok();
    assert_eq!(n.version, Version(2, 5, 4));
    n.stop();
}

#[test]
fn license_limits_data_nodes() {
    let m = mariadb::get();
    config_db(m, "cn_nodes", Version(2, 5, 6));
    let n = node("2.5.6", "20200918", "cn_nodes", &[]);
    n.start_ok();
    let key = n.row("show @@usbkey");
    assert_eq!(
        (col(&key, "usbkey_type"), col(&key, "node_limit")),
        ("1".into(), "16".into())
    );
    let left: u64 = col(&key, "left_time(s)").parse().unwrap();
    assert!(left > 89 * 86400 && left <= 90 * 86400, "{left}");
    let values: Vec<String> = (1..=17).map(|i| format!("('dn_{i}')")).collect();
    let out = m.run(
        &n.db,
        &format!(
            "INSERT INTO hotdb_datanode (datanode_name) VALUES {}",
            values.join(",")
        ),
    );
    assert!(out.status.success(), "{}", text(&out));
    let (code, message) =
        server_error(n.conn(n.manager).query_drop("reload @@config").unwrap_err());
    assert_eq!(code, 10190);
    assert!(
        message.contains("Number of Datanodes Exceeded Maximum Size Limit"),
        "{message}"
    );
    n.stop();
}

#[test]
fn refuses_a_newer_or_unreachable_or_uninitialised_config_db() {
    let m = mariadb::get();
    // Newer: at start the schema must equal the program's version (only reload is lenient).
    config_db(m, "cn_newer", Version(2, 5, 5));
    let n = node("2.5.4", "20190812", "cn_newer", &[]);
    n.start_refused("has schema version 2.5.5 but HotDB-server 2.5.4 needs 2.5.4");
    // Nothing listens on the port.
    let dead = free_port();
    let n = node(
        "2.5.4",
        "20190812",
        "cn_dead",
        &[(
            "url",
            &format!("jdbc:mysql://127.0.0.1:{dead}/hotdb_config?useUnicode=true"),
        )],
    );
    n.start_refused(&format!(
        "cannot connect to config DB 127.0.0.1:{dead}/hotdb_config"
    ));
    // Reachable, but never initialised.
    m.create("cn_blank");
    let n = node("2.5.4", "20190812", "cn_blank", &[]);
    n.start_refused("has no schema version (table hotdb_schema_version)");
}
