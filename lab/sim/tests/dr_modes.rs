//! Disaster-recovery modes: haMode 2-5 with idcId 1 (center) or 2 (DR room). The center's
//! nodes behave as in single-IDC mode; the DR room's keep only the management port open and
//! refuse `online` (needs root: MariaDB of the test's own).

mod common;

use common::mariadb;
use common::node::*;
use common::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::time::Duration;

fn dr_node(db: &str, props: &[(&str, &str)]) -> Node {
    let mut all = vec![("idcNodeHost", "127.0.0.1:3325")];
    all.extend_from_slice(props);
    node("2.5.4", "20190812", db, &all)
}

/// `(role, status)` of `show @@server`.
fn server(n: &Node) -> (String, String) {
    let row = n.row("show @@server");
    (col(&row, "role"), col(&row, "status"))
}

fn assert_dr_room(n: &Node) {
    n.start_ok();
    std::thread::sleep(Duration::from_millis(700));
    assert!(!port_open(n.service), "the DR room keeps 3323 closed");
    assert_eq!(server(n), ("BACKUP".into(), "OFF".into()));
    let (code, message) = server_error(n.conn(n.manager).query_drop("online").unwrap_err());
    assert_eq!(code, 10192, "{message}");
    assert!(message.contains("DR room"), "{message}");
    assert!(!port_open(n.service));
    assert!(
        n.inst
            .log("logs/hotdb.log")
            .contains("runs in the DR room: only the management port is open")
    );
    n.stop();
}

#[test]
fn center_master_backup_serves_as_usual() {
    let m = mariadb::get();
    config_db(m, "dr_center", Version(2, 5, 4));
    let master = dr_node("dr_center", &[("haMode", "2"), ("idcId", "1")]);
    master.start_ok();
    assert!(wait_port(master.service, true, WAIT));
    assert_eq!(server(&master), ("MASTER".into(), "ON".into()));
    let backup = dr_node(
        "dr_center",
        &[("haMode", "2"), ("idcId", "1"), ("haState", "backup")],
    );
    backup.start_ok();
    std::thread::sleep(Duration::from_millis(500));
    assert!(!port_open(backup.service));
    backup.conn(backup.manager).query_drop("online").unwrap();
    assert!(
        wait_port(backup.service, true, WAIT),
        "the center's backup switches"
    );
    master.stop();
    backup.stop();
}

#[test]
fn dr_room_master_backup_keeps_only_the_management_port() {
    let m = mariadb::get();
    config_db(m, "dr_room_mb", Version(2, 5, 4));
    assert_dr_room(&dr_node("dr_room_mb", &[("haMode", "3"), ("idcId", "2")]));
    // A DR room node that says haState=backup is the same.
    assert_dr_room(&dr_node(
        "dr_room_mb",
        &[("haMode", "3"), ("idcId", "2"), ("haState", "backup")],
    ));
}

#[test]
fn idc_2_puts_a_node_in_the_dr_room_whatever_its_ha_mode() {
    let m = mariadb::get();
    config_db(m, "dr_room_idc", Version(2, 5, 4));
    assert_dr_room(&dr_node("dr_room_idc", &[("haMode", "2"), ("idcId", "2")]));
}

#[test]
fn dr_room_cluster_keeps_only_the_management_port() {
    let m = mariadb::get();
    config_db(m, "dr_room_cl", Version(2, 5, 4));
    let port = free_port().to_string();
    let n = dr_node(
        "dr_room_cl",
        &[
            ("haMode", "5"),
            ("idcId", "2"),
            ("serverId", "1"),
            ("clusterSize", "3"),
            ("clusterHost", "127.0.0.1"),
            ("clusterPort", &port),
        ],
    );
    assert_dr_room(&n);
    assert!(
        !port_open(port.parse().unwrap()),
        "it does not join the cluster"
    );
}

#[test]
fn center_cluster_member_starts_and_waits_for_a_quorum() {
    let m = mariadb::get();
    config_db(m, "dr_center_cl", Version(2, 5, 4));
    let port = free_port().to_string();
    let n = dr_node(
        "dr_center_cl",
        &[
            ("haMode", "4"),
            ("idcId", "1"),
            ("serverId", "1"),
            ("clusterSize", "3"),
            ("clusterName", "HotDB-Cluster-dr"),
            ("clusterHost", "127.0.0.1"),
            ("clusterPort", &port),
        ],
    );
    n.start_ok();
    assert!(wait_port(port.parse().unwrap(), true, WAIT), "cluster port");
    assert!(wait_for(WAIT, || {
        let rows: Vec<mysql::Row> = n.conn(n.manager).query("show @@cluster").unwrap();
        rows.len() == 1 && col(&rows[0], "status") == "Started"
    }));
    assert!(
        !port_open(n.service),
        "no quorum, no primary: 3323 stays closed"
    );
    n.stop();
}
