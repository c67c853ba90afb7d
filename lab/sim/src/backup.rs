//! HotDB Backup (`hotdb-backup`): an agent that keeps a connection to the management
//! platform's backup port, reconnecting when the platform restarts.

use crate::daemon;
use crate::log::Log;
use crate::settings::Settings;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

const TAG: &str = "BACKUP";

pub fn run(home: &Path, host: &str, port: u16) -> i32 {
    let log = match Log::open(&home.join("logs/hotdb_backup.log")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot open the log: {e}");
            return 1;
        }
    };
    let settings = Settings::load(home);
    daemon::prepare(&log, &settings);
    let version = crate::settings::parse_properties(
        &std::fs::read_to_string(home.join("lib/classes/version.properties")).unwrap_or_default(),
    )
    .get("version")
    .cloned()
    .unwrap_or_default();
    log.info(
        TAG,
        &format!("HotDB-backup {version} starting, management platform {host}:{port}"),
    );
    if daemon::start_fault(&log, &settings) {
        log.error(TAG, "HotDB-backup start failed");
        return 1;
    }
    let mut link: Option<TcpStream> = None;
    let mut last = Instant::now() - Duration::from_secs(10);
    daemon::wait(&log, &settings, || {
        if last.elapsed() < Duration::from_secs(1) {
            return;
        }
        last = Instant::now();
        match link.as_mut() {
            Some(s) => {
                if s.write_all(b"PING\n").is_err() {
                    log.warn(TAG, &format!("lost the connection to the management platform {host}:{port}, reconnecting"));
                    link = None;
                }
            }
            None => {
                if let Some(s) = connect(host, port, &version) {
                    log.info(
                        TAG,
                        &format!("connected to the management platform {host}:{port}"),
                    );
                    link = Some(s);
                }
            }
        }
    });
    log.info(TAG, "HotDB-backup stopped");
    0
}

fn connect(host: &str, port: u16, version: &str) -> Option<TcpStream> {
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.write_all(format!("HELLO hotdb-backup {version}\n").as_bytes())
        .ok()?;
    Some(s)
}
