//! The packaged config DB scripts against a real MariaDB: every hop in order equals a fresh
//! install, DELIMITER blocks and triggers included, and the fault variant fails at statement k.

mod common;

use common::mariadb;
use common::*;
use hotdb_sim::catalog::{Version, hops};
use hotdb_sim::package::{self, Options, SqlFault};
use hotdb_sim::sql::{Database, install_script};
use std::process::Command;
use std::sync::Arc;

/// Columns of every table, for comparing two schemas.
fn columns(db: &str) -> String {
    mariadb::get().query_one(
        "information_schema",
        &format!(
            "SELECT GROUP_CONCAT(CONCAT(table_name,'.',column_name,':',column_type) ORDER BY table_name, column_name) FROM columns WHERE table_schema='{db}'"
        ),
    )
}

fn routines(db: &str) -> String {
    let m = mariadb::get();
    let t = m.query_one("information_schema", &format!("SELECT GROUP_CONCAT(trigger_name ORDER BY trigger_name) FROM triggers WHERE trigger_schema='{db}'"));
    let r = m.query_one("information_schema", &format!("SELECT GROUP_CONCAT(routine_name ORDER BY routine_name) FROM routines WHERE routine_schema='{db}'"));
    format!("{t}|{r}")
}

#[test]
fn every_hop_in_order_equals_a_fresh_install() {
    let m = mariadb::get();
    for (pkg, db, name) in [
        (
            "hotdb-server-2.5.6-ga-20200918.tar.gz",
            Database::Config,
            "hotdb-server",
        ),
        (
            "hotdb-management-2.5.6-ga-20200918.tar.gz",
            Database::CloudConfig,
            "hotdb-management",
        ),
    ] {
        let base = tempfile::tempdir().unwrap();
        unpack(pkg, base.path());
        let home = base.path().join(name);
        let upgraded = format!("route_{}", db.name());
        let fresh = format!("fresh_{}", db.name());
        m.create(&upgraded);
        m.create(&fresh);
        let old = install_script(db, Version(2, 4, 9));
        assert!(m.source(&upgraded, &old).status.success());
        for (from, to) in hops(Version(2, 4, 9), Version(2, 5, 6)) {
            let path = home.join(format!(
                "utils/sql/upgrade/{}_{from}_to_{to}.sql",
                db.name()
            ));
            let script = std::fs::read_to_string(&path).unwrap();
            let out = m.source(&upgraded, &script);
            assert!(out.status.success(), "{}: {}", path.display(), text(&out));
        }
        let install =
            std::fs::read_to_string(home.join(format!("utils/sql/{}.sql", db.name()))).unwrap();
        assert!(m.source(&fresh, &install).status.success());
        assert_eq!(columns(&upgraded), columns(&fresh));
        assert_eq!(routines(&upgraded), routines(&fresh));
        assert!(!routines(&upgraded).starts_with('|'), "triggers exist");
        let versions = m.query_one(
            &upgraded,
            "SELECT GROUP_CONCAT(version ORDER BY applied_at, version) FROM hotdb_schema_version",
        );
        assert_eq!(versions, "2.4.9,2.5.1,2.5.3,2.5.4,2.5.5,2.5.6");
        // utf8 comments survive
        let comment = m.query_one("information_schema", &format!("SELECT table_comment FROM tables WHERE table_schema='{upgraded}' AND table_name='hotdb_schema_version'"));
        assert_eq!(comment, "配置库版本 (hotdb-sim)");
    }
}

#[test]
fn fault_variant_fails_at_statement_k_with_the_simulators_runner() {
    let m = mariadb::get();
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        sim_binary: Arc::new(std::fs::read(SIM).unwrap()),
        fail_sql: Some(SqlFault {
            to: Version(2, 5, 5),
            statement: 3,
        }),
    };
    let name = "hotdb-server-2.5.5-ga-20191230.tar.gz";
    package::generate(dir.path(), &[name.to_string()], &opts).unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(dir.path().join(name))
        .arg("-C")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    m.create("fault_sql");
    assert!(
        m.source(
            "fault_sql",
            &install_script(Database::Config, Version(2, 5, 4))
        )
        .status
        .success()
    );
    let script = dir
        .path()
        .join("hotdb-server/utils/sql/upgrade/hotdb_config_2.5.4_to_2.5.5.sql");
    assert!(
        std::fs::read_to_string(&script)
            .unwrap()
            .contains("fault injected: statement 3")
    );
    let out = Command::new(SIM)
        .args([
            "sql",
            "-h",
            "127.0.0.1",
            "-P",
            &m.port.to_string(),
            "-u",
            m.user,
            "-p",
            m.password,
            "-D",
            "fault_sql",
        ])
        .arg(&script)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("statement 3 failed: ERROR 1146"),
        "{}",
        text(&out)
    );
    // statements 1 and 2 ran, the version row did not
    assert_eq!(
        m.query_one("fault_sql", "SELECT MAX(version) FROM hotdb_schema_version"),
        "2.5.4"
    );
    // the mysql client, as the playbooks run C-SQL, stops at the same statement, and its
    // error names the injected fault
    m.create("fault_cli");
    assert!(
        m.source(
            "fault_cli",
            &install_script(Database::Config, Version(2, 5, 4))
        )
        .status
        .success()
    );
    let out = m.source("fault_cli", &std::fs::read_to_string(&script).unwrap());
    assert!(!out.status.success());
    assert!(
        text(&out).contains("ERROR 1146") && text(&out).contains("hotdb_sim_injected_fault"),
        "{}",
        text(&out)
    );
    assert_eq!(
        m.query_one("fault_cli", "SELECT MAX(version) FROM hotdb_schema_version"),
        "2.5.4"
    );
    // the same hop without the fault, by the simulator's runner
    let clean = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        clean.path(),
        hotdb_sim::sql::upgrade_script(Database::Config, Version(2, 5, 4), Version(2, 5, 5), None),
    )
    .unwrap();
    m.create("clean_sql");
    assert!(
        m.source(
            "clean_sql",
            &install_script(Database::Config, Version(2, 5, 4))
        )
        .status
        .success()
    );
    let out = Command::new(SIM)
        .args([
            "sql",
            "-h",
            "127.0.0.1",
            "-P",
            &m.port.to_string(),
            "-u",
            m.user,
            "-p",
            m.password,
            "-D",
            "clean_sql",
        ])
        .arg(clean.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        m.query_one("clean_sql", "SELECT MAX(version) FROM hotdb_schema_version"),
        "2.5.5"
    );
}
