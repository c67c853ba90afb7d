//! Cluster mode with three real processes: election, re-election when the primary dies,
//! rejoin as secondary, and a rolling upgrade's mixed versions (needs root: MariaDB).

mod common;

use common::mariadb;
use common::node::*;
use common::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::time::Duration;

fn member(version: &str, date: &str, db: &str, id: u32, cluster_port: u16) -> Node {
    let (id, port) = (id.to_string(), cluster_port.to_string());
    let props = [
        ("haMode", "1"),
        ("serverId", id.as_str()),
        ("clusterSize", "3"),
        ("clusterName", "HotDB-Cluster-test"),
        ("clusterHost", "127.0.0.1"),
        ("clusterPort", port.as_str()),
    ];
    node(version, date, db, &props)
}

/// `status` of every row of `show @@cluster`, in serverId order, as seen by `n`.
fn statuses(n: &Node) -> Vec<String> {
    let rows: Vec<mysql::Row> = match mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(n.manager)
            .prefer_socket(false),
    )
    .and_then(|mut c| c.query("show @@cluster"))
    {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    rows.iter().map(|r| col(r, "status")).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn election_reelection_rejoin_and_rolling_versions() {
    let m = mariadb::get();
    config_db(m, "cl_elect", Version(2, 5, 4));
    let nodes: Vec<Node> = (1..=3)
        .map(|id| member("2.5.4", "20190812", "cl_elect", id, free_port()))
        .collect();
    for n in &nodes {
        n.start_ok();
    }
    let want = vec![
        "Primary".to_string(),
        "Secondary".into(),
        "Secondary".into(),
    ];
    assert!(
        wait_for(WAIT, || statuses(&nodes[2]) == want),
        "{:?}",
        statuses(&nodes[2])
    );
    for n in &nodes {
        assert!(wait_port(n.service, true, WAIT), "every member serves");
    }
    let log = nodes[0].inst.log("logs/hotdb.log");
    assert!(log.contains("this member is now Primary"), "{log}");

    // The primary dies: the lowest remaining serverId is elected.
    nodes[0].stop();
    let want = vec!["Primary".to_string(), "Secondary".into()];
    assert!(
        wait_for(WAIT, || statuses(&nodes[1]) == want),
        "{:?}",
        statuses(&nodes[1])
    );

    // The old primary comes back as a secondary.
    nodes[0].start_ok();
    assert!(
        wait_for(WAIT, || statuses(&nodes[0])
            == ["Secondary", "Primary", "Secondary"]),
        "{:?}",
        statuses(&nodes[0])
    );

    // Rolling upgrade to 2.5.5 (rolling-safe): the SQL first, then one member at a time.
    let upgraded = member("2.5.5", "20191230", "cl_elect", 3, free_port());
    let hop = upgraded
        .inst
        .read("utils/sql/upgrade/hotdb_config_2.5.4_to_2.5.5.sql");
    assert!(m.source("cl_elect", &hop).status.success());
    nodes[2].stop();
    upgraded.start_ok();
    assert!(
        wait_for(WAIT, || sorted(statuses(&upgraded))
            == ["Primary", "Secondary", "Secondary"]),
        "{:?}",
        statuses(&upgraded)
    );
    assert!(wait_port(upgraded.service, true, WAIT));
    for n in [&nodes[0], &nodes[1], &upgraded] {
        n.stop();
    }
}

#[test]
fn an_incompatible_version_refuses_to_join() {
    let m = mariadb::get();
    config_db(m, "cl_refuse", Version(2, 5, 1));
    let a = member("2.5.1", "20190830", "cl_refuse", 1, free_port());
    let b = member("2.5.1", "20190830", "cl_refuse", 2, free_port());
    a.start_ok();
    b.start_ok();
    assert!(
        wait_for(WAIT, || sorted(statuses(&a)) == ["Primary", "Secondary"]),
        "{:?}",
        statuses(&a)
    );
    // 2.5.1 -> 2.5.3 narrows a column: not rolling-compatible.
    let newer = member("2.5.3", "20190905", "cl_refuse", 3, free_port());
    let hop = newer
        .inst
        .read("utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql");
    assert!(m.source("cl_refuse", &hop).status.success());
    // The refusal may come before or after the script's one-second check.
    newer.inst.run(&["start"]);
    assert!(wait_for(WAIT, || !newer
        .inst
        .run(&["status"])
        .status
        .success()));
    let log = newer.inst.log("logs/hotdb.log");
    assert!(log.contains("refusing to join cluster HotDB-Cluster-test: member 1 runs 2.5.1 (20190830), not rolling-compatible with 2.5.3 (20190905)"), "{log}");
    assert!(!port_open(newer.service));
    std::thread::sleep(Duration::from_millis(200));
    a.stop();
    b.stop();
}

#[test]
fn a_member_newer_than_an_early_build_refuses_to_join() {
    // MNR-0: 2.5.3 built before 20190821 cannot run beside a newer version, even though the
    // hop 2.5.3 -> 2.5.4 is rolling-safe.
    let m = mariadb::get();
    config_db(m, "cl_early", Version(2, 5, 3));
    let a = member("2.5.3", "20190801", "cl_early", 1, free_port());
    let b = member("2.5.3", "20190801", "cl_early", 2, free_port());
    a.start_ok();
    b.start_ok();
    assert!(
        wait_for(WAIT, || sorted(statuses(&a)) == ["Primary", "Secondary"]),
        "{:?}",
        statuses(&a)
    );
    let newer = member("2.5.4", "20190812", "cl_early", 3, free_port());
    let hop = newer
        .inst
        .read("utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql");
    assert!(m.source("cl_early", &hop).status.success());
    newer.inst.run(&["start"]);
    assert!(wait_for(WAIT, || !newer
        .inst
        .run(&["status"])
        .status
        .success()));
    let log = newer.inst.log("logs/hotdb.log");
    assert!(log.contains("refusing to join cluster HotDB-Cluster-test: member 1 runs 2.5.3 (20190801), not rolling-compatible with 2.5.4 (20190812)"), "{log}");
    assert!(log.contains("HotDB-server start failed"), "{log}");
    assert!(!port_open(newer.service));
    // The running members are unharmed.
    assert_eq!(sorted(statuses(&a)), ["Primary", "Secondary"]);
    a.stop();
    b.stop();
}

#[test]
fn a_crashed_primary_is_replaced() {
    let m = mariadb::get();
    config_db(m, "cl_crash", Version(2, 5, 4));
    let nodes: Vec<Node> = (1..=3)
        .map(|id| member("2.5.4", "20190812", "cl_crash", id, free_port()))
        .collect();
    for n in &nodes {
        n.start_ok();
    }
    assert!(
        wait_for(WAIT, || statuses(&nodes[1])
            == ["Primary", "Secondary", "Secondary"]),
        "{:?}",
        statuses(&nodes[1])
    );
    // kill -9: no TERM, no goodbye; the others notice on their own.
    let pid = nodes[0].inst.pid().unwrap();
    // SAFETY: kill(2) of a daemon this test started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    assert!(
        wait_for(WAIT, || statuses(&nodes[2]) == ["Primary", "Secondary"]),
        "{:?}",
        statuses(&nodes[2])
    );
    assert!(port_open(nodes[1].service) && port_open(nodes[2].service));
    assert!(
        nodes[1]
            .inst
            .log("logs/hotdb.log")
            .contains("this member is now Primary")
    );
    nodes[1].stop();
    nodes[2].stop();
}
