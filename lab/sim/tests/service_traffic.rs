//! Client traffic on the service port (`select 1`, `select @@version`, a sleeping query) and
//! how the management port sees it: `show @@session` and `show @@longtransaction` (needs
//! root: MariaDB of the test's own).

mod common;

use common::mariadb;
use common::node::*;
use common::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

#[test]
fn service_port_answers_simple_queries() {
    let m = mariadb::get();
    config_db(m, "st_simple", Version(2, 5, 6));
    let n = node("2.5.6", "20200918", "st_simple", &[]);
    n.start_ok();
    assert!(wait_port(n.service, true, WAIT));
    let mut c = n.conn(n.service);
    assert_eq!(c.query_first::<i64, _>("select 1").unwrap(), Some(1));
    assert_eq!(
        c.query_first::<String, _>("SELECT @@version;").unwrap(),
        Some("5.7.19-HotDB-2.5.6".into())
    );
    assert_eq!(
        c.query_first::<String, _>("select version()").unwrap(),
        Some("5.7.19-HotDB-2.5.6".into())
    );
    let t = Instant::now();
    assert_eq!(
        c.query_first::<String, _>("select sleep(1.2)").unwrap(),
        Some("0".into())
    );
    assert!(
        t.elapsed() >= Duration::from_millis(1200),
        "the query sleeps"
    );
    // Anything else: a MySQL error, and the connection stays usable.
    let (code, _) = server_error(c.query_drop("select * from t").unwrap_err());
    assert_eq!(code, 1064);
    assert_eq!(c.query_first::<i64, _>("select 1").unwrap(), Some(1));
    // Also through the mysql command-line client.
    let out = std::process::Command::new("mariadb")
        .args(["--no-defaults", "-h127.0.0.1", "-uapp", "-papp", "-N", "-B"])
        .arg(format!("-P{}", n.service))
        .args(["-e", "select 1; select @@version"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1\n5.7.19-HotDB-2.5.6\n",
        "{}",
        text(&out)
    );
    n.stop();
}

/// `(host, port, trx_id, trx_query)` of every row of `show @@longtransaction`.
fn long_transactions(n: &Node) -> Vec<(String, String, String, String)> {
    let rows: Vec<mysql::Row> = n.conn(n.manager).query("show @@longtransaction").unwrap();
    let mut out: Vec<_> = rows
        .iter()
        .map(|r| {
            assert!(!col(r, "trx_started").is_empty());
            (
                col(r, "host"),
                col(r, "port"),
                col(r, "trx_id"),
                col(r, "trx_query"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.3.cmp(&b.3));
    out
}

#[test]
fn long_transactions_and_long_queries_after_10_s() {
    let m = mariadb::get();
    config_db(m, "st_long", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "st_long", &[]);
    n.start_ok();
    assert!(wait_port(n.service, true, WAIT));
    let t0 = Instant::now();
    // An open, idle transaction...
    let mut trx = n.conn(n.service);
    trx.query_drop("begin").unwrap();
    trx.query_drop("select 1").unwrap();
    // ...and a long statement in autocommit mode.
    let mut slow = n.conn(n.service);
    let sleeper = std::thread::spawn(move || slow.query_drop("select sleep(13)"));
    // A short transaction that ends before 10 s never shows up.
    let mut short = n.conn(n.service);
    short.query_drop("start transaction").unwrap();
    short.query_drop("commit").unwrap();

    std::thread::sleep(Duration::from_millis(500));
    let sessions: Vec<mysql::Row> = n.conn(n.manager).query("show @@session").unwrap();
    assert!(
        sessions
            .iter()
            .any(|r| col(r, "running") == "true" && col(r, "sql") == "select sleep(13)"),
        "the running query is a session"
    );
    assert!(long_transactions(&n).is_empty(), "nothing is 10 s old yet");

    let due = t0 + Duration::from_millis(10_700);
    std::thread::sleep(due.saturating_duration_since(Instant::now()));
    let rows = long_transactions(&n);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].3, "select 1");
    assert_eq!(rows[1].3, "select sleep(13)");
    for (host, port, id, _) in &rows {
        assert_eq!(host, "127.0.0.1");
        assert!(port.parse::<u16>().is_ok() && id.parse::<u32>().is_ok());
    }
    // Commit ends one; the statement's end ends the other.
    trx.query_drop("commit").unwrap();
    assert_eq!(long_transactions(&n).len(), 1);
    sleeper.join().unwrap().unwrap();
    assert!(long_transactions(&n).is_empty());
    n.stop();
}
