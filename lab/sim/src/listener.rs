//! HotDB Listener (`hotdb-listener`): a TCP listener on `conf/config.properties`'s host and
//! port (3330).

use crate::daemon;
use crate::log::Log;
use crate::settings::{Settings, parse_properties};
use std::net::TcpListener;
use std::path::Path;

const TAG: &str = "LISTENER";

pub fn run(home: &Path) -> i32 {
    let log = match Log::open(&home.join("logs/listener.log")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot open the log: {e}");
            return 1;
        }
    };
    let settings = Settings::load(home);
    daemon::prepare(&log, &settings);
    let props = parse_properties(
        &std::fs::read_to_string(home.join("conf/config.properties")).unwrap_or_default(),
    );
    let host = props
        .get("host")
        .cloned()
        .unwrap_or_else(|| "0.0.0.0".into());
    let Some(port) = props.get("port").and_then(|p| p.parse::<u16>().ok()) else {
        log.error(
            TAG,
            "conf/config.properties: port is missing or not a port number",
        );
        return 1;
    };
    if daemon::start_fault(&log, &settings) {
        log.error(TAG, "HotDB-Listener start failed");
        return 1;
    }
    let listener = match TcpListener::bind((host.as_str(), port)) {
        Ok(l) => l,
        Err(e) => {
            log.error(TAG, &format!("cannot listen on {host}:{port}: {e}"));
            return 1;
        }
    };
    log.info(
        TAG,
        &format!("Listener-Manager start listening on host {host} port {port}"),
    );
    std::thread::spawn(move || {
        // Connections are accepted and closed: the listener's own protocol is not simulated.
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    daemon::wait(&log, &settings, || {});
    log.info(TAG, "HotDB-Listener stopped");
    0
}
