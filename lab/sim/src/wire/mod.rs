//! The MySQL wire protocol, both sides, as far as the simulator needs it: the compute node's
//! ports serve it (`server`), and the simulator reaches its config DB with it (`client`).
//! Written here rather than taken from msql-srv, whose handshake version and error codes are
//! fixed (it cannot say `5.7.19-HotDB-2.5.4` nor `ERROR 10191`).

pub mod client;
pub mod server;

use std::io::{self, Read, Write};

pub const CLIENT_LONG_PASSWORD: u32 = 0x1;
pub const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
pub const CLIENT_PROTOCOL_41: u32 = 0x200;
pub const CLIENT_TRANSACTIONS: u32 = 0x2000;
pub const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
pub const CLIENT_MULTI_RESULTS: u32 = 0x20000;
pub const CLIENT_PLUGIN_AUTH: u32 = 0x80000;
pub const CLIENT_PLUGIN_AUTH_LENENC: u32 = 0x200000;
pub const SERVER_STATUS_AUTOCOMMIT: u16 = 0x2;
pub const SERVER_MORE_RESULTS_EXISTS: u16 = 0x8;

/// Reads one packet: its sequence number and payload.
pub fn read_packet(r: &mut impl Read) -> io::Result<(u8, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; 4];
        r.read_exact(&mut header)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let start = payload.len();
        payload.resize(start + len, 0);
        r.read_exact(&mut payload[start..])?;
        if len < 0xff_ffff {
            return Ok((header[3], payload));
        }
    }
}

/// Writes one packet (payloads stay far below 16 MiB here).
pub fn write_packet(w: &mut impl Write, seq: u8, payload: &[u8]) -> io::Result<()> {
    let len = payload.len() as u32;
    let mut buf = Vec::with_capacity(payload.len() + 4);
    buf.extend_from_slice(&len.to_le_bytes()[..3]);
    buf.push(seq);
    buf.extend_from_slice(payload);
    w.write_all(&buf)?;
    w.flush()
}

pub fn put_lenenc_int(buf: &mut Vec<u8>, n: u64) {
    match n {
        0..=250 => buf.push(n as u8),
        251..=0xffff => {
            buf.push(0xfc);
            buf.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            buf.push(0xfd);
            buf.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            buf.push(0xfe);
            buf.extend_from_slice(&n.to_le_bytes());
        }
    }
}

pub fn put_lenenc_str(buf: &mut Vec<u8>, s: &[u8]) {
    put_lenenc_int(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

/// A cursor over a received payload; every read fails cleanly on short input.
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

fn short() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "malformed MySQL packet")
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(short)?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u16(&mut self) -> io::Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> io::Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn nul_str(&mut self) -> io::Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let end = rest.iter().position(|b| *b == 0).ok_or_else(short)?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }

    /// A length-encoded integer; `None` for the NULL marker 0xfb.
    pub fn lenenc_int(&mut self) -> io::Result<Option<u64>> {
        Ok(match self.u8()? {
            0xfb => None,
            0xfc => Some(u64::from(self.u16()?)),
            0xfd => {
                let b = self.bytes(3)?;
                Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0])))
            }
            0xfe => {
                let b = self.bytes(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Some(u64::from_le_bytes(a))
            }
            n => Some(u64::from(n)),
        })
    }

    pub fn lenenc_str(&mut self) -> io::Result<Option<&'a [u8]>> {
        match self.lenenc_int()? {
            None => Ok(None),
            Some(n) => {
                let n = usize::try_from(n).map_err(|_| short())?;
                Ok(Some(self.bytes(n)?))
            }
        }
    }
}

/// `mysql_native_password`: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))).
pub fn native_password_scramble(password: &[u8], salt: &[u8]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut h = Sha1::new();
    h.update(salt);
    h.update(stage2);
    let stage3 = h.finalize();
    stage1
        .iter()
        .zip(stage3.iter())
        .map(|(a, b)| a ^ b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_round_trip() {
        for n in [
            0u64,
            250,
            251,
            65535,
            65536,
            0xff_ffff,
            0x100_0000,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put_lenenc_int(&mut buf, n);
            assert_eq!(Cursor::new(&buf).lenenc_int().unwrap(), Some(n));
        }
        assert!(Cursor::new(&[0xfc, 1]).lenenc_int().is_err());
    }

    #[test]
    fn packets_round_trip() {
        let mut buf = Vec::new();
        write_packet(&mut buf, 3, b"hello").unwrap();
        let (seq, payload) = read_packet(&mut &buf[..]).unwrap();
        assert_eq!((seq, payload.as_slice()), (3, &b"hello"[..]));
    }
}
