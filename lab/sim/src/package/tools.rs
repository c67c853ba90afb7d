//! HotDB Backup (`hotdb-backup-<ver>-<date>.tar.gz`) and HotDB Listener
//! (`hotdb-listener-<ver>-linux.tar.gz`) packages.

use super::script::{ScriptSpec, render};
use super::{Options, Package, Tree};
use crate::log::unix_of_date;

/// `(version, date)` of the backup builds.
const BACKUPS: &[(&str, &str)] = &[("2.0", "20190109"), ("2.1", "20200611")];
/// `(version, date)` of the listener builds (the date only stamps the files).
const LISTENERS: &[(&str, &str)] = &[("0.0.1", "20200420"), ("0.0.2", "20200915")];

pub fn backup_names() -> Vec<String> {
    BACKUPS
        .iter()
        .map(|(v, d)| format!("hotdb-backup-{v}-{d}.tar.gz"))
        .collect()
}

pub fn listener_names() -> Vec<String> {
    LISTENERS
        .iter()
        .map(|(v, _)| format!("hotdb-listener-{v}-linux.tar.gz"))
        .collect()
}

pub fn package(name: &str, opts: &Options) -> Option<Package> {
    if let Some((v, d)) = BACKUPS
        .iter()
        .find(|(v, d)| name == format!("hotdb-backup-{v}-{d}.tar.gz"))
    {
        return Some(backup(v, d, name, opts));
    }
    let (v, d) = LISTENERS
        .iter()
        .find(|(v, _)| name == format!("hotdb-listener-{v}-linux.tar.gz"))?;
    Some(listener(v, d, name, opts))
}

fn backup(version: &str, date: &str, name: &str, opts: &Options) -> Package {
    let root = "hotdb-backup";
    let mut t = Tree::new(unix_of_date(date).unwrap_or(0));
    t.script(
        &format!("{root}/bin/hotdb_backup"),
        &render(&ScriptSpec {
            name: "HotDB-backup",
            command: "backup",
            pid_file: "hotdb_backup.pid",
            main_log: "hotdb_backup.log",
            java: None,
            extra_vars: "",
            start_args: true,
        }),
    );
    t.text(
        &format!("{root}/conf/backup.properties"),
        "# where backups are written\nbackup.dir=/data/hotdb_backup\n",
    );
    t.file(
        &format!("{root}/lib/hotdb-sim"),
        0o755,
        opts.sim_binary.as_slice(),
    );
    t.text(
        &format!("{root}/lib/classes/version.properties"),
        &format!("component=hotdb-backup\nversion={version}\nbuild_date={date}\n"),
    );
    t.dir(&format!("{root}/logs"));
    Package {
        file_name: name.to_string(),
        tree: t,
    }
}

fn listener(version: &str, date: &str, name: &str, opts: &Options) -> Package {
    let root = "hotdb-listener";
    let mut t = Tree::new(unix_of_date(date).unwrap_or(0));
    t.script(
        &format!("{root}/bin/hotdb_listener"),
        &render(&ScriptSpec {
            name: "HotDB-Listener",
            command: "listener",
            pid_file: "hotdb_listener.pid",
            main_log: "listener.log",
            java: None,
            extra_vars: "",
            start_args: false,
        }),
    );
    t.text(
        &format!("{root}/conf/config.properties"),
        "# listener address\nhost=0.0.0.0\nport=3330\n",
    );
    t.file(
        &format!("{root}/lib/hotdb-sim"),
        0o755,
        opts.sim_binary.as_slice(),
    );
    t.text(
        &format!("{root}/lib/classes/version.properties"),
        &format!("component=hotdb-listener\nversion={version}\nbuild_date={date}\n"),
    );
    t.dir(&format!("{root}/logs"));
    Package {
        file_name: name.to_string(),
        tree: t,
    }
}
