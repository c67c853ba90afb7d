//! A compute node install wired to the test MariaDB, driven by its real script and a real
//! MySQL client library.

use super::mariadb::{self, MariaDb};
use super::*;
use hotdb_sim::catalog::{Version, find_release};
use hotdb_sim::package::server::server_xml;
use hotdb_sim::sql::{Database, install_script};
use mysql::prelude::Queryable;
use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(15);

pub struct Node {
    pub inst: Install,
    pub service: u16,
    pub manager: u16,
    pub db: String,
    pub version: Version,
}

/// A config DB named `db` at `schema` (the install script of that version).
pub fn config_db(m: &MariaDb, db: &str, schema: Version) {
    m.create(db);
    let out = m.source(db, &install_script(Database::Config, schema));
    assert!(out.status.success(), "{}", text(&out));
}

pub fn node(version: &str, date: &str, db: &str, props: &[(&str, &str)]) -> Node {
    let m = mariadb::get();
    let v = Version::parse(version).unwrap();
    let release = find_release(v, date).unwrap();
    let inst = Install::new(&release.server_package());
    inst.set_script_var(
        "JAVA_BIN",
        &java(v >= Version(2, 5, 6)).display().to_string(),
    );
    let (service, manager) = (free_port(), free_port());
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    values.insert("url".into(), m.jdbc(db));
    values.insert("username".into(), m.user.into());
    values.insert("password".into(), m.password.into());
    values.insert("serverPort".into(), service.to_string());
    values.insert("managerPort".into(), manager.to_string());
    for (k, val) in props {
        values.insert(k.to_string(), val.to_string());
    }
    inst.write("conf/server.xml", &server_xml(v, &values));
    inst.sim_properties("start.delay.ms=300\n");
    Node {
        inst,
        service,
        manager,
        db: db.to_string(),
        version: v,
    }
}

impl Node {
    pub fn start_ok(&self) {
        let out = self.inst.run(&["start"]);
        assert!(
            out.status.success(),
            "start: {}\n{}",
            text(&out),
            self.inst.log("logs/hotdb.log")
        );
        assert!(
            text(&out).contains("HotDB-server start successed."),
            "{}",
            text(&out)
        );
        assert!(
            wait_port(self.manager, true, WAIT),
            "management port: {}",
            self.inst.log("logs/hotdb.log")
        );
    }

    /// Start that the program refuses: the script fails and the log says why.
    pub fn start_refused(&self, reason: &str) {
        let out = self.inst.run(&["start"]);
        let log = self.inst.log("logs/hotdb.log");
        assert!(!out.status.success(), "start should fail: {}", text(&out));
        assert!(
            text(&out).contains("HotDB-server start failed"),
            "{}",
            text(&out)
        );
        assert!(log.contains(reason), "log lacks {reason:?}:\n{log}");
        assert!(!port_open(self.manager));
    }

    pub fn conn(&self, port: u16) -> mysql::Conn {
        let opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(port)
            .user(Some("root"))
            .pass(Some("root"))
            .prefer_socket(false);
        mysql::Conn::new(opts).unwrap()
    }

    pub fn row(&self, sql: &str) -> mysql::Row {
        let mut rows: Vec<mysql::Row> = self.conn(self.manager).query(sql).unwrap();
        assert_eq!(rows.len(), 1, "{sql}");
        rows.remove(0)
    }

    pub fn stop(&self) {
        let out = self.inst.run(&["stop"]);
        assert!(out.status.success(), "stop: {}", text(&out));
    }
}

pub fn col(row: &mysql::Row, name: &str) -> String {
    row.get::<Option<String>, _>(name)
        .flatten()
        .unwrap_or_default()
}

pub fn server_error(e: mysql::Error) -> (u16, String) {
    match e {
        mysql::Error::MySqlError(e) => (e.code, e.message),
        other => panic!("expected a server error, got {other}"),
    }
}

/// The server version of the handshake, read off the wire.
pub fn handshake_version(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 128];
    let n = s.read(&mut buf).unwrap();
    let end = buf[5..n].iter().position(|b| *b == 0).unwrap();
    String::from_utf8_lossy(&buf[5..5 + end]).into_owned()
}
