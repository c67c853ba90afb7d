//! The management port answers everything it does not know with a MySQL error and keeps the
//! connection: unknown statements (10192), the prepared-statement protocol (1295), other
//! protocol commands (1047); `COM_PING` and `COM_INIT_DB` succeed (needs root: MariaDB).

mod common;

use common::mariadb;
use common::node::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::io::{Read, Write};

/// Sends one protocol command after a minimal login and returns the reply's first byte and
/// its error code (if an error packet).
fn raw_command(port: u16, command: u8) -> (u8, Option<u16>, bool) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 512];
    let _ = s.read(&mut buf).unwrap(); // handshake
    // HandshakeResponse41: capabilities (PROTOCOL_41 | SECURE_CONNECTION), max packet,
    // charset, 23 zero bytes, user "root\0", empty auth response.
    let mut body = Vec::new();
    body.extend_from_slice(&(0x0000_0200u32 | 0x0000_8000).to_le_bytes());
    body.extend_from_slice(&16_777_216u32.to_le_bytes());
    body.push(33);
    body.extend_from_slice(&[0; 23]);
    body.extend_from_slice(b"root\0");
    body.push(0);
    let mut packet = vec![body.len() as u8, 0, 0, 1];
    packet.extend_from_slice(&body);
    s.write_all(&packet).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(n > 4 && buf[4] == 0, "login OK: {:?}", &buf[..n]);
    s.write_all(&[1, 0, 0, 0, command]).unwrap();
    let n = s.read(&mut buf).unwrap();
    let first = buf[4];
    let code = (first == 0xff).then(|| u16::from_le_bytes([buf[5], buf[6]]));
    // Still open: a ping gets an OK.
    s.write_all(&[1, 0, 0, 0, 0x0e]).unwrap();
    let m = s.read(&mut buf).unwrap();
    assert!(n > 4);
    (first, code, m > 4 && buf[4] == 0)
}

#[test]
fn unknown_things_get_errors_not_dropped_connections() {
    let m = mariadb::get();
    config_db(m, "mport", Version(2, 5, 4));
    let n = node("2.5.4", "20190812", "mport", &[]);
    n.start_ok();
    let mut c = n.conn(n.manager);
    for sql in [
        "show @@processlist",
        "select * from hotdb_config.hotdb_datanode",
        "drop database hotdb_config",
        "kill 1",
        "show databases",
        "onlinex",
    ] {
        let (code, message) = server_error(c.query_drop(sql).unwrap_err());
        assert_eq!(code, 10192, "{sql}: {message}");
        assert!(message.contains("Unsupported statement"), "{message}");
    }
    let (code, _) = server_error(c.exec_drop("show @@version", ()).unwrap_err());
    assert_eq!(code, 1295, "prepared statements");
    c.ping().unwrap();
    c.select_db("whatever").unwrap();
    assert_eq!(
        c.query_first::<String, _>("  SHOW   @@VERSION ; ").unwrap(),
        Some("5.7.19-HotDB-2.5.4".into()),
        "case and spaces are ignored; the connection is still good"
    );
    // COM_FIELD_LIST (0x04), a command it does not implement.
    let (first, code, alive) = raw_command(n.manager, 0x04);
    assert_eq!((first, code, alive), (0xff, Some(1047), true));
    n.stop();
}
