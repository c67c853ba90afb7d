//! A management platform install wired to the test MariaDB (`hotdb_cloud_config`), and a
//! plain HTTP GET for its URLs.

use super::mariadb;
use super::*;
use hotdb_sim::catalog::{Version, find_release};
use hotdb_sim::sql::{Database, install_script};
use std::io::{Read, Write};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Platform {
    pub inst: Install,
    pub http: u16,
    pub backup: u16,
}

pub fn cloud_db(db: &str, schema: Option<Version>) {
    let m = mariadb::get();
    m.create(db);
    if let Some(v) = schema {
        let out = m.source(db, &install_script(Database::CloudConfig, v));
        assert!(out.status.success(), "{}", text(&out));
    }
}

pub fn configure(inst: Install, version: Version, db: &str) -> Platform {
    let m = mariadb::get();
    inst.set_script_var(
        "JAVA_BIN",
        &java(version >= Version(2, 5, 6)).display().to_string(),
    );
    let (http, backup) = (free_port(), free_port());
    let props = hotdb_sim::package::management::application_properties(version)
        .replace("server.port=3324", &format!("server.port={http}"))
        .replace(
            "server.backup.port=3322",
            &format!("server.backup.port={backup}"),
        )
        .replace(
            "jdbc:mysql://127.0.0.1:3306/hotdb_cloud_config",
            &format!("jdbc:mysql://127.0.0.1:{}/{db}", m.port),
        )
        .replace("username=hotdb_cloud", &format!("username={}", m.user))
        .replace("password=hotdb_cloud", &format!("password={}", m.password));
    inst.write("conf/application.properties", &props);
    inst.sim_properties("start.delay.ms=200\n");
    Platform { inst, http, backup }
}

pub fn platform(version: &str, date: &str, db: &str) -> Platform {
    let v = Version::parse(version).unwrap();
    configure(
        Install::new(&find_release(v, date).unwrap().management_package()),
        v,
        db,
    )
}

pub fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

pub fn start_ok(inst: &Install, port: u16, log: &str) {
    let out = inst.run(&["start"]);
    assert!(out.status.success(), "{}\n{}", text(&out), inst.log(log));
    assert!(wait_port(port, true, WAIT), "{}", inst.log(log));
}
