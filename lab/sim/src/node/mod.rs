//! The compute node (`hotdb-server`): start checks, ports, roles, management commands.

pub mod cluster;
pub mod config;
pub mod ha;
mod manage;
pub mod port;
mod service;

use crate::catalog::{Jdk, Release};
use crate::configdb::{self, Target};
use crate::license::{self, License};
use crate::log::Log;
use crate::settings::Settings;
use crate::signal;
use config::ServerConfig;
use port::Port;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

pub const TAG: &str = "INIT";

/// What a node is, as `show @@server` and `show @@cluster` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Backup,
    /// Cluster mode: `Started` until elected.
    Started,
    Primary,
    Secondary,
    /// A node of the DR room: management port only.
    DrStandby,
}

/// One client session of the service port.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub host: String,
    pub since: Instant,
    pub query: Option<String>,
    pub query_since: Option<Instant>,
    pub trx_started: Option<SystemTime>,
    pub trx_query: Option<String>,
}

pub struct State {
    pub role: Role,
    pub service: Option<Port>,
    /// The "no service port after an HA switch" fault has swallowed a switch.
    pub switch_swallowed: bool,
}

pub struct Node {
    pub home: PathBuf,
    pub release: Release,
    pub log: Log,
    pub settings: Settings,
    pub config: Mutex<ServerConfig>,
    pub license: License,
    pub activated: u64,
    pub started_at: SystemTime,
    pub reload_time: Mutex<Option<SystemTime>>,
    pub state: Mutex<State>,
    pub sessions: Mutex<BTreeMap<u32, SessionInfo>>,
    /// Cluster mode: the members seen in the last round.
    pub members: Mutex<Vec<cluster::Member>>,
}

impl Node {
    /// `5.7.19-HotDB-<version>`, the handshake's server version.
    pub fn server_version(&self) -> String {
        format!("5.7.19-HotDB-{}", self.release.version)
    }

    pub fn role(&self) -> Role {
        self.state.lock().map(|s| s.role).unwrap_or(Role::Started)
    }

    pub fn service_open(&self) -> bool {
        self.state
            .lock()
            .map(|s| s.service.is_some())
            .unwrap_or(false)
    }
}

/// Reads `lib/classes/version.properties` of an install.
pub fn installed_release(home: &Path) -> Result<Release, String> {
    let path = home.join("lib/classes/version.properties");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let p = crate::settings::parse_properties(&text);
    let version = p
        .get("version")
        .and_then(|v| crate::catalog::Version::parse(v));
    let date = p.get("build_date").map(String::as_str).unwrap_or("");
    version
        .and_then(|v| crate::catalog::find_release(v, date))
        .ok_or_else(|| format!("{} names no known release", path.display()))
}

/// Runs the compute node until TERM; the process exit code.
pub fn run(home: &Path, java: &str) -> i32 {
    let release = match installed_release(home) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let log = match Log::open(&home.join("logs/hotdb.log")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot open logs/hotdb.log: {e}");
            return 1;
        }
    };
    let settings = Settings::load(home);
    signal::install(settings.flag("fault.stop.hang"));
    if settings.flag("fault.stop.hang") {
        log.fault("TERM is ignored, stop will hang");
    }
    log.info(
        TAG,
        &format!(
            "HotDB-server {} (build {}) starting, java: {java}",
            release.version, release.date
        ),
    );
    let refuse = |log: &Log, message: String| {
        log.error(TAG, &message);
        log.error(TAG, "HotDB-server start failed");
        eprintln!("{message}");
        1
    };
    let config = match ServerConfig::load(&home.join("conf/server.xml"), release.version) {
        Ok(c) => c,
        Err(e) => return refuse(&log, format!("server.xml check failed: {e}")),
    };
    if let Err(e) = check_java("HotDB-server", release, java) {
        return refuse(&log, e);
    }
    let license = match license::find(home, release) {
        Ok(l) => l,
        Err(e) => return refuse(&log, format!("license check failed: {e}")),
    };
    if let Err(e) = check_config_db(&config, release, &license, false) {
        return refuse(&log, e);
    }
    let activated = license::activation(home);
    log.info(
        TAG,
        &format!(
            "license format {} activated, node_limit {}",
            license.format, license.node_limit
        ),
    );

    if let Some(after) = settings.seconds("fault.start.fail.after.s") {
        std::thread::sleep(Duration::from_secs_f64(after));
        log.fault(&format!("start fails after {after} s"));
        return refuse(
            &log,
            "HotDB-server failed to start (injected fault)".to_string(),
        );
    }
    std::thread::sleep(settings.start_delay());

    let node = Arc::new(Node {
        home: home.to_path_buf(),
        release,
        log,
        settings,
        config: Mutex::new(config),
        license,
        activated,
        started_at: SystemTime::now(),
        reload_time: Mutex::new(None),
        state: Mutex::new(State {
            role: Role::Started,
            service: None,
            switch_swallowed: false,
        }),
        sessions: Mutex::new(BTreeMap::new()),
        members: Mutex::new(Vec::new()),
    });
    let manager = match manage::open_port(&node) {
        Ok(p) => p,
        Err(e) => return refuse(&node.log, e),
    };
    if let Err(e) = ha::take_initial_role(&node) {
        return refuse(&node.log, e);
    }
    node.log.info(TAG, "HotDB-server started");
    println!("HotDB-server {} started", release.version);
    let crash_at = node
        .settings
        .seconds("fault.crash.after.s")
        .map(|s| Instant::now() + Duration::from_secs_f64(s));
    let mut ticker = ha::Ticker::new(&node);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if signal::terminated() {
            node.log
                .info(TAG, "HotDB-server received TERM, shutting down");
            ha::go_offline(&node, "shutdown");
            manager.close();
            node.log.info(TAG, "HotDB-server stopped");
            return 0;
        }
        if crash_at.is_some_and(|t| Instant::now() >= t) {
            crate::daemon::crash(&node.log);
        }
        ticker.tick(&node);
    }
}

/// The JDK rule: OpenJDK 8 from 2.5.6, JDK 1.7 before (`java` is `java -version`'s first line).
pub fn check_java(component: &str, release: Release, java: &str) -> Result<(), String> {
    let ok = match release.jdk() {
        Jdk::OpenJdk8 => java.starts_with("openjdk version \"1.8."),
        Jdk::Oracle7 => java.contains("version \"1.7."),
    };
    if ok {
        return Ok(());
    }
    let need = match release.jdk() {
        Jdk::OpenJdk8 => "OpenJDK 8 (1.8.0_252)",
        Jdk::Oracle7 => "JDK 1.7 (1.7.0_80)",
    };
    Err(format!(
        "{component} {} needs {need}, but JAVA_BIN runs: {java}",
        release.version
    ))
}

/// The config DB check of start and `reload @@config`: reachable, the schema version of this
/// program (on reload a newer rolling-compatible schema is accepted), data nodes within the
/// license. Errors start with the HotDB code they map to on reload.
pub fn check_config_db(
    config: &ServerConfig,
    release: Release,
    license: &License,
    reload: bool,
) -> Result<(), String> {
    let target = Target::from_jdbc(
        config.get("url"),
        config.get("username"),
        config.get("password"),
    )?;
    let mut c = target
        .connect()
        .map_err(|e| format!("cannot connect to config DB {}: {e}", target.describe()))?;
    let schema = configdb::schema_version(&mut c)
        .map_err(|e| format!("cannot read config DB {}: {e}", target.describe()))?;
    let Some(schema) = schema else {
        return Err(format!(
            "config DB {} has no schema version (table hotdb_schema_version): initialise it with utils/sql/hotdb_config.sql",
            target.describe()
        ));
    };
    let program = release.version;
    let compatible = schema == program
        || (reload
            && schema > program
            && crate::catalog::hops(program, schema)
                .iter()
                .all(|(_, to)| *to != crate::catalog::UNSAFE_HOP_TO));
    if !compatible {
        return Err(format!(
            "config DB {} has schema version {schema} but HotDB-server {program} needs {program}: run the upgrade SQL (utils/sql/upgrade)",
            target.describe()
        ));
    }
    let datanodes = configdb::count(&mut c, "hotdb_datanode")
        .map_err(|e| format!("cannot read data nodes: {e}"))?;
    if datanodes > u64::from(license.node_limit) {
        return Err(format!(
            "Number of Datanodes Exceeded Maximum Size Limit: {datanodes} data nodes, the license allows {}",
            license.node_limit
        ));
    }
    Ok(())
}
