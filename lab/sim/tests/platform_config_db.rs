//! The management platform and its config DB `hotdb_cloud_config` at start: from 2.5.3 it
//! upgrades the DB itself (2.5.3 itself across two hops, to the same schema as a fresh
//! install), an empty DB gets the install script, a newer schema is refused; before 2.5.3 only
//! the matching schema is accepted, so the upgrade SQL is run by hand (needs root: MariaDB).

mod common;

use common::mariadb;
use common::platform::*;
use common::*;
use hotdb_sim::catalog::Version;

const LOG: &str = "logs/hotdb-management.log";

fn columns(db: &str) -> String {
    mariadb::get().query_one(
        "information_schema",
        &format!(
            "SELECT GROUP_CONCAT(CONCAT(table_name,'.',column_name,':',column_type) ORDER BY table_name, column_name) FROM columns WHERE table_schema='{db}'"
        ),
    )
}

fn versions(db: &str) -> String {
    mariadb::get().query_one(
        db,
        "SELECT GROUP_CONCAT(version ORDER BY version) FROM hotdb_schema_version",
    )
}

fn refused(p: &Platform, reason: &str) {
    let out = p.inst.run(&["start"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("HotDB-management start failed"),
        "{}",
        text(&out)
    );
    let log = p.inst.log(LOG);
    assert!(log.contains(reason), "log lacks {reason:?}:\n{log}");
    assert!(!port_open(p.http));
}

#[test]
fn from_253_it_upgrades_itself_across_two_hops() {
    cloud_db("mpc_253", Some(Version(2, 4, 9)));
    let p = platform("2.5.3", "20190801", "mpc_253");
    start_ok(&p.inst, p.http, LOG);
    let log = p.inst.log(LOG);
    for line in [
        "upgrading config DB from 2.4.9 to 2.5.3",
        "executed utils/sql/upgrade/hotdb_cloud_config_2.4.9_to_2.5.1.sql: ",
        "executed utils/sql/upgrade/hotdb_cloud_config_2.5.1_to_2.5.3.sql: ",
        "config DB upgraded to 2.5.3",
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
    assert!(
        log.find("2.4.9_to_2.5.1") < log.find("2.5.1_to_2.5.3"),
        "hops in order"
    );
    assert_eq!(versions("mpc_253"), "2.4.9,2.5.1,2.5.3");
    cloud_db("mpc_253_fresh", Some(Version(2, 5, 3)));
    assert_eq!(columns("mpc_253"), columns("mpc_253_fresh"));
    assert!(p.inst.run(&["stop"]).status.success());

    // A newer build of the same version (V5): no SQL at all.
    let newer = platform("2.5.3", "20190905", "mpc_253");
    start_ok(&newer.inst, newer.http, LOG);
    assert!(!newer.inst.log(LOG).contains("executed"));
    assert_eq!(versions("mpc_253"), "2.4.9,2.5.1,2.5.3");
    assert!(newer.inst.run(&["stop"]).status.success());
}

#[test]
fn an_empty_config_db_gets_the_install_script() {
    cloud_db("mpc_empty", None);
    let p = platform("2.5.4", "20190812", "mpc_empty");
    start_ok(&p.inst, p.http, LOG);
    let log = p.inst.log(LOG);
    assert!(log.contains("is empty: installing schema 2.5.4"), "{log}");
    assert!(
        log.contains("executed utils/sql/hotdb_cloud_config.sql"),
        "{log}"
    );
    assert_eq!(
        mariadb::get().query_one("mpc_empty", "SELECT MAX(version) FROM hotdb_schema_version"),
        "2.5.4"
    );
    assert!(p.inst.run(&["stop"]).status.success());
}

#[test]
fn a_newer_schema_is_refused() {
    cloud_db("mpc_newer", Some(Version(2, 5, 4)));
    let p = platform("2.5.3", "20190905", "mpc_newer");
    refused(
        &p,
        "has schema version 2.5.4 but HotDB-management 2.5.3 needs 2.5.3",
    );
    assert_eq!(versions("mpc_newer"), "2.4.9,2.5.1,2.5.3,2.5.4");
}

#[test]
fn before_253_the_upgrade_sql_is_run_by_hand() {
    // 2.4.9 refuses an empty DB: it installs nothing itself.
    cloud_db("mpc_249", None);
    let old = platform("2.4.9", "20190417", "mpc_249");
    refused(&old, "has no schema version (table hotdb_schema_version)");

    // 2.5.1 refuses the 2.4.9 schema, and starts once the hop ran by hand (C-SQL).
    let m = mariadb::get();
    cloud_db("mpc_251", Some(Version(2, 4, 9)));
    let p = platform("2.5.1", "20190601", "mpc_251");
    refused(
        &p,
        "has schema version 2.4.9 but HotDB-management 2.5.1 needs 2.5.1: run the upgrade SQL (utils/sql/upgrade) by hand",
    );
    assert_eq!(versions("mpc_251"), "2.4.9", "it changed nothing");
    let hop = p
        .inst
        .read("utils/sql/upgrade/hotdb_cloud_config_2.4.9_to_2.5.1.sql");
    let out = m.source("mpc_251", &hop);
    assert!(out.status.success(), "{}", text(&out));
    start_ok(&p.inst, p.http, LOG);
    assert!(!p.inst.log(LOG).contains("executed"));
    assert!(get(p.http, "/version").contains(r#""version":"2.5.1""#));
    assert!(p.inst.run(&["stop"]).status.success());
    // The compute node's scripts are not in the management package, and vice versa.
    assert!(
        !p.inst
            .path("utils/sql/upgrade/hotdb_config_2.4.9_to_2.5.1.sql")
            .exists()
    );
}
