//! Client side: a small synchronous client for the config DB (MariaDB/MySQL with
//! `mysql_native_password`), enough to read tables and run upgrade scripts statement by
//! statement. Synchronous because every simulator component is plain threads.

use super::*;
use std::fmt;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A server's error, or a transport failure.
#[derive(Debug)]
pub enum ClientError {
    Io(io::Error),
    Server { code: u16, message: String },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "{e}"),
            ClientError::Server { code, message } => write!(f, "ERROR {code}: {message}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// What a statement returned: affected rows, or rows of text values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub affected: u64,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub struct Client {
    stream: TcpStream,
    pub server_version: String,
}

impl Client {
    pub fn connect(
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        db: Option<&str>,
    ) -> Result<Client, ClientError> {
        let addr = (host, port).to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("cannot resolve {host}"))
        })?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        let mut client = Client {
            stream,
            server_version: String::new(),
        };
        client.handshake(user, password, db)?;
        Ok(client)
    }

    fn handshake(
        &mut self,
        user: &str,
        password: &str,
        db: Option<&str>,
    ) -> Result<(), ClientError> {
        let (seq, hello) = read_packet(&mut self.stream)?;
        if hello.first() == Some(&0xff) {
            return Err(server_error(&hello));
        }
        let mut c = Cursor::new(&hello);
        c.u8()?;
        self.server_version = String::from_utf8_lossy(c.nul_str()?).into_owned();
        c.u32()?;
        let mut salt = c.bytes(8)?.to_vec();
        c.u8()?;
        c.bytes(2 + 1 + 2 + 2)?;
        let auth_len = c.u8()? as usize;
        c.bytes(10)?;
        let part2 = auth_len.saturating_sub(8).max(13);
        let rest = c.bytes(part2.min(c.remaining()))?;
        salt.extend_from_slice(rest.strip_suffix(&[0]).unwrap_or(rest));

        let mut caps = CLIENT_LONG_PASSWORD
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_RESULTS
            | CLIENT_PLUGIN_AUTH;
        if db.is_some() {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        let mut p = Vec::new();
        p.extend_from_slice(&caps.to_le_bytes());
        p.extend_from_slice(&(16u32 << 20).to_le_bytes());
        p.push(0x21); // utf8_general_ci
        p.extend_from_slice(&[0; 23]);
        p.extend_from_slice(user.as_bytes());
        p.push(0);
        let scramble = native_password_scramble(password.as_bytes(), &salt);
        p.push(scramble.len() as u8);
        p.extend_from_slice(&scramble);
        if let Some(db) = db {
            p.extend_from_slice(db.as_bytes());
            p.push(0);
        }
        p.extend_from_slice(b"mysql_native_password\0");
        write_packet(&mut self.stream, seq.wrapping_add(1), &p)?;

        let (seq, reply) = read_packet(&mut self.stream)?;
        match reply.first() {
            Some(0x00) => Ok(()),
            Some(0xfe) => {
                let mut c = Cursor::new(&reply[1..]);
                let plugin = c.nul_str()?;
                if plugin != b"mysql_native_password" {
                    let name = String::from_utf8_lossy(plugin);
                    return Err(io::Error::other(format!("unsupported auth plugin {name}")).into());
                }
                let data = c.rest();
                let salt = data.strip_suffix(&[0]).unwrap_or(data);
                let scramble = native_password_scramble(password.as_bytes(), salt);
                write_packet(&mut self.stream, seq.wrapping_add(1), &scramble)?;
                let (_, last) = read_packet(&mut self.stream)?;
                if last.first() == Some(&0x00) {
                    Ok(())
                } else {
                    Err(server_error(&last))
                }
            }
            _ => Err(server_error(&reply)),
        }
    }

    /// Runs one statement; of several result sets (a CALL), the last with rows is kept.
    pub fn query(&mut self, sql: &str) -> Result<Outcome, ClientError> {
        let mut p = vec![0x03];
        p.extend_from_slice(sql.as_bytes());
        write_packet(&mut self.stream, 0, &p)?;
        let mut outcome = Outcome::default();
        loop {
            let (_, first) = read_packet(&mut self.stream)?;
            let more = match first.first() {
                Some(0x00) => {
                    let mut c = Cursor::new(&first[1..]);
                    outcome.affected += c.lenenc_int()?.unwrap_or(0);
                    c.lenenc_int()?;
                    c.u16()? & SERVER_MORE_RESULTS_EXISTS != 0
                }
                Some(0xff) => return Err(server_error(&first)),
                _ => self.read_rows(&first, &mut outcome)?,
            };
            if !more {
                return Ok(outcome);
            }
        }
    }

    fn read_rows(&mut self, first: &[u8], outcome: &mut Outcome) -> Result<bool, ClientError> {
        let count = Cursor::new(first).lenenc_int()?.unwrap_or(0);
        let mut columns = Vec::new();
        for _ in 0..count {
            let (_, def) = read_packet(&mut self.stream)?;
            let mut c = Cursor::new(&def);
            for _ in 0..4 {
                c.lenenc_str()?;
            }
            columns.push(String::from_utf8_lossy(c.lenenc_str()?.unwrap_or_default()).into_owned());
        }
        let (_, eof) = read_packet(&mut self.stream)?;
        if eof.first() != Some(&0xfe) {
            return Err(
                io::Error::new(io::ErrorKind::InvalidData, "expected EOF after columns").into(),
            );
        }
        let mut rows = Vec::new();
        loop {
            let (_, row) = read_packet(&mut self.stream)?;
            match row.first() {
                Some(0xfe) if row.len() < 9 => {
                    let mut c = Cursor::new(&row[1..]);
                    c.u16()?;
                    let status = c.u16()?;
                    outcome.columns = columns;
                    outcome.rows = rows;
                    return Ok(status & SERVER_MORE_RESULTS_EXISTS != 0);
                }
                Some(0xff) => return Err(server_error(&row)),
                _ => {
                    let mut c = Cursor::new(&row);
                    let mut values = Vec::with_capacity(columns.len());
                    for _ in 0..columns.len() {
                        values.push(
                            c.lenenc_str()?
                                .map(|v| String::from_utf8_lossy(v).into_owned()),
                        );
                    }
                    rows.push(values);
                }
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = write_packet(&mut self.stream, 0, &[0x01]);
    }
}

fn server_error(packet: &[u8]) -> ClientError {
    let mut c = Cursor::new(packet);
    let _ = c.u8();
    let code = c.u16().unwrap_or(0);
    let mut message = c.rest();
    if message.first() == Some(&b'#') && message.len() >= 6 {
        message = &message[6..];
    }
    ClientError::Server {
        code,
        message: String::from_utf8_lossy(message).into_owned(),
    }
}
