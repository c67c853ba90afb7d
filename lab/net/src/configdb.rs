//! The config DB hosts: a real MariaDB per host (own datadir, socket and address), the
//! schemas and users the components use, and the DR room's replication.

use crate::host::{self, in_host, mkdir, run, run_stdin, spawn_detached, wait_for};
use crate::state::{Host, Resource, State, start_time};
use hotdb_sim::catalog::Version;
use hotdb_sim::sql::{Database, install_script};
use std::time::Duration;

pub const CONFIG_USER: &str = "hotdb_config";
pub const CLOUD_USER: &str = "hotdb_cloud";
/// Passwords unlike any other word of the lab, so hotplay's redaction of password
/// variables masks only them (a password equal to a database name would mask that name).
pub const CONFIG_PASSWORD: &str = "Lab-cfg-9kq2";
pub const CLOUD_PASSWORD: &str = "Lab-cloud-9kq2";

pub fn start_mariadb(st: &mut State, h: &Host, server_id: u32, binlog: bool) -> Result<(), String> {
    let hd = st.host_dir(&h.name);
    mkdir(&hd.join("run/mysqld"))?;
    // Each server's temporary files in its own host's /run: the machine's /tmp is shared by
    // every lab host (and by two bootstraps at once, which then lose each other's files).
    mkdir(&hd.join("run/mysqld/tmp"))?;
    run(in_host(h.holder_pid, "mariadb-install-db").args([
        "--no-defaults",
        "--datadir=/var/lib/mysql",
        "--tmpdir=/run/mysqld/tmp",
        "--user=root",
        "--skip-test-db",
        "--auth-root-authentication-method=socket",
    ]))?;
    let mut cmd = in_host(h.holder_pid, "mariadbd");
    cmd.args([
        "--no-defaults",
        "--datadir=/var/lib/mysql",
        "--tmpdir=/run/mysqld/tmp",
        "--socket=/run/mysqld/mysqld.sock",
        "--port=3306",
        "--pid-file=/run/mysqld/mysqld.pid",
        "--user=root",
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=32M",
        "--character-set-server=utf8mb4",
    ])
    .arg(format!("--bind-address={}", h.address))
    .arg(format!("--server-id={server_id}"))
    .arg(format!(
        "--log-error={}",
        hd.join("logs/mariadb.err").display()
    ));
    if binlog {
        // The schemas' triggers and procedures are made by the components' users, not SUPER.
        cmd.args([
            "--log-bin=mariadb-bin",
            "--binlog-format=ROW",
            "--log-bin-trust-function-creators=1",
        ]);
    }
    let pid = spawn_detached(cmd, &hd.join("logs/mariadb.log"))?;
    st.record(Resource::Process {
        pid,
        start_time: start_time(pid).unwrap_or(0),
        host: h.name.clone(),
        what: "mariadbd".into(),
    })?;
    let sock = hd.join("run/mysqld/mysqld.sock");
    if !wait_for(Duration::from_secs(30), || {
        sock.exists() && host::port_open(&h.address, 3306)
    }) {
        let log = std::fs::read_to_string(hd.join("logs/mariadb.err")).unwrap_or_default();
        return Err(format!(
            "MariaDB on {} did not start: {}",
            h.name,
            log.trim()
        ));
    }
    Ok(())
}

/// SQL as MariaDB's root on a host (socket authentication).
pub fn sql_in(h: &Host, db: Option<&str>, sql: &str) -> Result<String, String> {
    let mut c = in_host(h.holder_pid, "mariadb");
    c.args([
        "--socket=/run/mysqld/mysqld.sock",
        "-uroot",
        "--default-character-set=utf8",
    ]);
    if let Some(d) = db {
        c.arg(d);
    }
    run_stdin(&mut c, Some(sql.as_bytes())).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The DR room's config DB replicates the center's (GTID, from the start of the binlog).
pub fn replicate(primary: &Host, replica: &Host) -> Result<(), String> {
    sql_in(
        primary,
        None,
        "SET sql_log_bin=0;\nCREATE USER 'repl'@'%' IDENTIFIED BY 'repl';\nGRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';\nSET sql_log_bin=1;\n",
    )?;
    sql_in(
        replica,
        None,
        &format!(
            "CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos;\nSTART SLAVE;\n",
            primary.address
        ),
    )
    .map(|_| ())
}

pub fn load_schemas(h: &Host, version: Version) -> Result<(), String> {
    sql_in(
        h,
        None,
        &format!(
            "CREATE DATABASE hotdb_config DEFAULT CHARACTER SET utf8;\nCREATE DATABASE hotdb_cloud_config DEFAULT CHARACTER SET utf8;\n\
         CREATE USER '{CONFIG_USER}'@'%' IDENTIFIED BY '{CONFIG_PASSWORD}';\nGRANT ALL ON hotdb_config.* TO '{CONFIG_USER}'@'%';\n\
         CREATE USER '{CLOUD_USER}'@'%' IDENTIFIED BY '{CLOUD_PASSWORD}';\nGRANT ALL ON hotdb_cloud_config.* TO '{CLOUD_USER}'@'%';\n\
         GRANT SELECT ON hotdb_config.* TO '{CLOUD_USER}'@'%';\n\
         GRANT SELECT ON mysql.proc TO '{CONFIG_USER}'@'%';\nGRANT SELECT ON mysql.proc TO '{CLOUD_USER}'@'%';\n\
         GRANT SLAVE MONITOR ON *.* TO '{CONFIG_USER}'@'%';\n\
         FLUSH PRIVILEGES;\n"
        ),
    )?;
    // As the components' own users, so the triggers' and procedures' DEFINER is theirs (as in
    // a real deployment: a dump of the DB then restores with the same user).
    sql_as(
        h,
        (CONFIG_USER, CONFIG_PASSWORD),
        "hotdb_config",
        &install_script(Database::Config, version),
    )?;
    sql_as(
        h,
        (CLOUD_USER, CLOUD_PASSWORD),
        "hotdb_cloud_config",
        &install_script(Database::CloudConfig, version),
    )?;
    Ok(())
}

/// SQL as a user over TCP to the host's address (the password in MYSQL_PWD, not argv).
fn sql_as(h: &Host, (user, password): (&str, &str), db: &str, sql: &str) -> Result<String, String> {
    let mut c = in_host(h.holder_pid, "mariadb");
    c.env("MYSQL_PWD", password).args([
        "-h",
        &h.address,
        "-P3306",
        "-u",
        user,
        "--default-character-set=utf8",
        db,
    ]);
    run_stdin(&mut c, Some(sql.as_bytes())).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}
