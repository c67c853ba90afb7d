//! Server side: the handshake (with the HotDB version string), any credentials accepted, and
//! text-protocol queries answered by a `Session`.

use super::*;
use std::net::TcpStream;

/// What a query gets back.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ok {
        affected: u64,
        info: String,
    },
    Rows {
        columns: Vec<String>,
        rows: Vec<Vec<Option<String>>>,
    },
    Err {
        code: u16,
        state: &'static str,
        message: String,
    },
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Ok {
            affected: 0,
            info: String::new(),
        }
    }

    pub fn error(code: u16, message: impl Into<String>) -> Reply {
        Reply::Err {
            code,
            state: "HY000",
            message: message.into(),
        }
    }

    pub fn rows(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Reply {
        Reply::Rows {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }
}

/// The per-connection logic behind a port.
pub trait Session {
    fn query(&mut self, sql: &str) -> Reply;
}

const SERVER_CAPS: u32 = CLIENT_LONG_PASSWORD
    | 0x4 // CLIENT_LONG_FLAG
    | CLIENT_CONNECT_WITH_DB
    | CLIENT_PROTOCOL_41
    | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION
    | CLIENT_MULTI_RESULTS
    | CLIENT_PLUGIN_AUTH;

/// Serves one client connection until it quits or the socket closes.
pub fn serve(
    mut stream: TcpStream,
    version: &str,
    conn_id: u32,
    session: &mut dyn Session,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let salt = salt(conn_id);
    let mut hello = vec![10u8];
    hello.extend_from_slice(version.as_bytes());
    hello.push(0);
    hello.extend_from_slice(&conn_id.to_le_bytes());
    hello.extend_from_slice(&salt[..8]);
    hello.push(0);
    hello.extend_from_slice(&(SERVER_CAPS as u16).to_le_bytes());
    hello.push(0x21);
    hello.extend_from_slice(&SERVER_STATUS_AUTOCOMMIT.to_le_bytes());
    hello.extend_from_slice(&((SERVER_CAPS >> 16) as u16).to_le_bytes());
    hello.push(21);
    hello.extend_from_slice(&[0; 10]);
    hello.extend_from_slice(&salt[8..]);
    hello.push(0);
    hello.extend_from_slice(b"mysql_native_password\0");
    write_packet(&mut stream, 0, &hello)?;

    let (seq, response) = read_packet(&mut stream)?;
    let caps = Cursor::new(&response).u32()?;
    if caps & CLIENT_PROTOCOL_41 == 0 {
        return write_err(
            &mut stream,
            seq + 1,
            1251,
            "08004",
            "Client does not support authentication protocol requested by server",
        );
    }
    write_ok(&mut stream, seq.wrapping_add(1), 0, "")?;

    loop {
        let (_, packet) = match read_packet(&mut stream) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some((&command, body)) = packet.split_first() else {
            return Ok(());
        };
        match command {
            0x01 => return Ok(()),
            0x02 | 0x0e => write_ok(&mut stream, 1, 0, "")?,
            0x03 => {
                let sql = String::from_utf8_lossy(body);
                let reply = session.query(sql.trim());
                write_reply(&mut stream, &reply)?;
            }
            0x16 => write_err(
                &mut stream,
                1,
                1295,
                "HY000",
                "This command is not supported in the prepared statement protocol yet",
            )?,
            _ => write_err(&mut stream, 1, 1047, "08S01", "Unknown command")?,
        }
    }
}

fn salt(conn_id: u32) -> [u8; 20] {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ conn_id.wrapping_mul(2_654_435_761);
    let mut out = [0u8; 20];
    let mut x = seed | 1;
    for b in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = 0x21 + (x % 90) as u8; // printable, never NUL
    }
    out
}

fn write_ok(w: &mut TcpStream, seq: u8, affected: u64, info: &str) -> io::Result<()> {
    let mut p = vec![0u8];
    put_lenenc_int(&mut p, affected);
    put_lenenc_int(&mut p, 0);
    p.extend_from_slice(&SERVER_STATUS_AUTOCOMMIT.to_le_bytes());
    p.extend_from_slice(&[0, 0]);
    if !info.is_empty() {
        // string<lenenc> in practice (MySQL's net_send_ok), whatever the manual says
        put_lenenc_str(&mut p, info.as_bytes());
    }
    write_packet(w, seq, &p)
}

fn write_err(w: &mut TcpStream, seq: u8, code: u16, state: &str, message: &str) -> io::Result<()> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(state.as_bytes());
    p.extend_from_slice(message.as_bytes());
    write_packet(w, seq, &p)
}

fn eof() -> Vec<u8> {
    let mut p = vec![0xfe, 0, 0];
    p.extend_from_slice(&SERVER_STATUS_AUTOCOMMIT.to_le_bytes());
    p
}

fn write_reply(w: &mut TcpStream, reply: &Reply) -> io::Result<()> {
    match reply {
        Reply::Ok { affected, info } => write_ok(w, 1, *affected, info),
        Reply::Err {
            code,
            state,
            message,
        } => write_err(w, 1, *code, state, message),
        Reply::Rows { columns, rows } => {
            // One buffer, one write: the client sees the whole result set at once.
            let mut out = Vec::new();
            let mut seq = 1u8;
            let mut push = |out: &mut Vec<u8>, payload: &[u8]| {
                let _ = write_packet(out, seq, payload);
                seq = seq.wrapping_add(1);
            };
            let mut count = Vec::new();
            put_lenenc_int(&mut count, columns.len() as u64);
            push(&mut out, &count);
            for name in columns {
                let mut c = Vec::new();
                put_lenenc_str(&mut c, b"def");
                put_lenenc_str(&mut c, b"");
                put_lenenc_str(&mut c, b"");
                put_lenenc_str(&mut c, b"");
                put_lenenc_str(&mut c, name.as_bytes());
                put_lenenc_str(&mut c, name.as_bytes());
                c.push(0x0c);
                c.extend_from_slice(&0x21u16.to_le_bytes());
                c.extend_from_slice(&1024u32.to_le_bytes());
                c.push(0xfd); // VAR_STRING
                c.extend_from_slice(&0u16.to_le_bytes());
                c.push(0);
                c.extend_from_slice(&[0, 0]);
                push(&mut out, &c);
            }
            push(&mut out, &eof());
            for row in rows {
                let mut r = Vec::new();
                for value in row {
                    match value {
                        Some(v) => put_lenenc_str(&mut r, v.as_bytes()),
                        None => r.push(0xfb),
                    }
                }
                push(&mut out, &r);
            }
            push(&mut out, &eof());
            w.write_all(&out)?;
            w.flush()
        }
    }
}
