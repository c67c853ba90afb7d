//! The management platform (`hotdb-management`): HTTP on `server.port` (health, version,
//! fake backup tasks), the backup agents' port `server.backup.port`, and its config DB
//! `hotdb_cloud_config`, which from 2.5.3 it upgrades itself at start.

use crate::catalog::{Release, SELF_UPGRADE_FROM, Version, hops};
use crate::configdb::{self, Target};
use crate::http::{Request, Response, Routes};
use crate::log::Log;
use crate::node::port::Port;
use crate::settings::{Settings, parse_properties};
use crate::sql::Database;
use crate::wire::client::Client;
use crate::{daemon, node};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TAG: &str = "MANAGEMENT";

struct Platform {
    release: Release,
    tasks: Mutex<BTreeMap<u32, Instant>>,
    next_task: Mutex<u32>,
    /// Connected backup agents: connection id -> their hello line.
    agents: Mutex<BTreeMap<u32, String>>,
}

pub fn run(home: &Path, java: &str) -> i32 {
    let release = match node::installed_release(home) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let log = match Log::open(&home.join("logs/hotdb-management.log")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot open the log: {e}");
            return 1;
        }
    };
    let settings = Settings::load(home);
    daemon::prepare(&log, &settings);
    log.info(
        TAG,
        &format!(
            "HotDB-management {} (build {}) starting, java: {java}",
            release.version, release.date
        ),
    );
    let refuse = |message: String| {
        log.error(TAG, &message);
        log.error(TAG, "HotDB-management start failed");
        eprintln!("{message}");
        1
    };
    if let Err(e) = node::check_java("HotDB-management", release, java) {
        return refuse(e);
    }
    let props = parse_properties(
        &std::fs::read_to_string(home.join("conf/application.properties")).unwrap_or_default(),
    );
    let get = |k: &str| props.get(k).map(String::as_str).unwrap_or("");
    let port = |k: &str| {
        get(k).parse::<u16>().map_err(|_| {
            format!(
                "{k} in conf/application.properties is {:?}, expected a port",
                get(k)
            )
        })
    };
    let (http_port, backup_port) = match (port("server.port"), port("server.backup.port")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return refuse(e),
    };
    let target = match Target::from_jdbc(
        get("spring.datasource.url"),
        get("spring.datasource.username"),
        get("spring.datasource.password"),
    ) {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    if let Err(e) = prepare_config_db(home, release, &target, &log) {
        return refuse(e);
    }
    if daemon::start_fault(&log, &settings) {
        return refuse("HotDB-management failed to start (injected fault)".to_string());
    }
    std::thread::sleep(settings.start_delay());
    let platform = Arc::new(Platform {
        release,
        tasks: Mutex::new(BTreeMap::new()),
        next_task: Mutex::new(1),
        agents: Mutex::new(BTreeMap::new()),
    });
    let p = platform.clone();
    let routes: Routes = Arc::new(move |r| route(&p, r));
    let http = match crate::http::serve(http_port, routes) {
        Ok(p) => p,
        Err(e) => return refuse(format!("cannot listen on server.port {http_port}: {e}")),
    };
    let backup = match open_backup_port(&platform, backup_port) {
        Ok(p) => p,
        Err(e) => {
            return refuse(format!(
                "cannot listen on server.backup.port {backup_port}: {e}"
            ));
        }
    };
    log.info(
        TAG,
        &format!("Tomcat started on port(s): {http_port} (http)"),
    );
    log.info(TAG, &format!("backup service listening on {backup_port}"));
    log.info(TAG, "HotDB-management started");
    daemon::wait(&log, &settings, || {});
    log.info(TAG, "HotDB-management received TERM, shutting down");
    backup.close();
    http.close();
    log.info(TAG, "HotDB-management stopped");
    0
}

/// Before 2.5.3 the schema must already match; from 2.5.3 the packaged scripts bring it up
/// to date, hop by hop (an empty DB gets the install script).
fn prepare_config_db(
    home: &Path,
    release: Release,
    target: &Target,
    log: &Log,
) -> Result<(), String> {
    let mut c = target
        .connect()
        .map_err(|e| format!("cannot connect to config DB {}: {e}", target.describe()))?;
    let schema = configdb::schema_version(&mut c)
        .map_err(|e| format!("cannot read config DB {}: {e}", target.describe()))?;
    let program = release.version;
    match schema {
        Some(s) if s == program => Ok(()),
        Some(s) if s < program && program >= SELF_UPGRADE_FROM => {
            self_upgrade(home, &mut c, s, program, log)
        }
        None if program >= SELF_UPGRADE_FROM => {
            log.info(
                TAG,
                &format!(
                    "config DB {} is empty: installing schema {program}",
                    target.describe()
                ),
            );
            run_file(
                home,
                &mut c,
                &format!("utils/sql/{}.sql", Database::CloudConfig.name()),
                log,
            )
        }
        Some(s) => Err(format!(
            "config DB {} has schema version {s} but HotDB-management {program} needs {program}{}",
            target.describe(),
            if s < program {
                ": run the upgrade SQL (utils/sql/upgrade) by hand"
            } else {
                ""
            }
        )),
        None => Err(format!(
            "config DB {} has no schema version (table hotdb_schema_version)",
            target.describe()
        )),
    }
}

fn self_upgrade(
    home: &Path,
    c: &mut Client,
    from: Version,
    to: Version,
    log: &Log,
) -> Result<(), String> {
    log.info(TAG, &format!("upgrading config DB from {from} to {to}"));
    for (a, b) in hops(from, to) {
        let rel = format!(
            "utils/sql/upgrade/{}",
            crate::sql::upgrade_script_name(Database::CloudConfig, a, b)
        );
        run_file(home, c, &rel, log)?;
    }
    log.info(TAG, &format!("config DB upgraded to {to}"));
    Ok(())
}

fn run_file(home: &Path, c: &mut Client, rel: &str, log: &Log) -> Result<(), String> {
    let script =
        std::fs::read_to_string(home.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
    if script.contains("hotdb-sim fault injected") {
        log.fault(&format!("{rel} contains a failing statement"));
    }
    match configdb::run_script(c, &script) {
        Ok(n) => {
            log.info(TAG, &format!("executed {rel}: {n} statements"));
            Ok(())
        }
        Err(e) => Err(format!(
            "config DB upgrade failed: {rel} statement {}: {}: {}",
            e.statement, e.error, e.sql
        )),
    }
}

fn open_backup_port(platform: &Arc<Platform>, port: u16) -> std::io::Result<Port> {
    let p = platform.clone();
    Port::open(
        port,
        Arc::new(move |stream, id| {
            let mut reader = BufReader::new(stream);
            let mut hello = String::new();
            if reader.read_line(&mut hello).is_err() || !hello.starts_with("HELLO ") {
                return;
            }
            if let Ok(mut a) = p.agents.lock() {
                a.insert(id, hello.trim().trim_start_matches("HELLO ").to_string());
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                line.clear();
            }
            if let Ok(mut a) = p.agents.lock() {
                a.remove(&id);
            }
        }),
    )
}

fn route(p: &Platform, r: &Request) -> Response {
    match r.path.as_str() {
        "/health" => Response::json(200, r#"{"status":"UP"}"#),
        "/version" => Response::json(
            200,
            format!(
                r#"{{"component":"hotdb-management","version":"{}","build_date":"{}"}}"#,
                p.release.version, p.release.date
            ),
        ),
        "/backup/start" => {
            let Some(secs) = r
                .param("seconds")
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| *s >= 0.0)
            else {
                return Response::json(400, r#"{"error":"seconds=N is required"}"#);
            };
            let id = match p.next_task.lock() {
                Ok(mut n) => {
                    *n += 1;
                    *n - 1
                }
                Err(_) => return Response::json(500, r#"{"error":"lock"}"#),
            };
            if let Ok(mut t) = p.tasks.lock() {
                t.insert(id, Instant::now() + Duration::from_secs_f64(secs));
            }
            Response::json(200, format!(r#"{{"task_id":{id}}}"#))
        }
        "/backup/tasks" => {
            let now = Instant::now();
            let mut tasks = p.tasks.lock().map(|t| t.clone()).unwrap_or_default();
            tasks.retain(|_, end| *end > now);
            let items: Vec<String> = tasks
                .iter()
                .map(|(id, end)| {
                    format!(
                        r#"{{"task_id":{id},"remaining_s":{}}}"#,
                        (*end - now).as_secs()
                    )
                })
                .collect();
            Response::json(200, format!(r#"{{"running":[{}]}}"#, items.join(",")))
        }
        "/backup/agents" => {
            let agents = p
                .agents
                .lock()
                .map(|a| a.values().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            let items: Vec<String> = agents
                .iter()
                .map(|a| format!("\"{}\"", a.replace('"', "")))
                .collect();
            Response::json(200, format!(r#"{{"agents":[{}]}}"#, items.join(",")))
        }
        _ => Response::json(
            404,
            format!(r#"{{"error":"no such page: {}"}}"#, r.path.replace('"', "")),
        ),
    }
}
