//! The management platform package, `hotdb-management-<ver>-ga-<date>.tar.gz`, unpacking to
//! `hotdb-management/`; it carries the `hotdb_cloud_config` scripts it runs itself from 2.5.3.

use super::script::{ScriptSpec, render};
use super::server::{add_sql, version_properties};
use super::{Options, Package, Tree};
use crate::catalog::{JDK8_FROM, Release, Version};
use crate::log::unix_of_date;
use crate::sql::Database;

pub const ROOT: &str = "hotdb-management";

/// `(key, default, since, until)` of `conf/application.properties`, in file order.
const KEYS: &[(&str, &str, Version, Option<Version>)] = &[
    ("server.port", "3324", V249, None),
    ("server.backup.port", "3322", V249, None),
    (
        "spring.datasource.url",
        "jdbc:mysql://127.0.0.1:3306/hotdb_cloud_config?useUnicode=true&characterEncoding=UTF-8&autoReconnect=true&connectTimeout=3000&socketTimeout=3600000",
        V249,
        None,
    ),
    ("spring.datasource.username", "hotdb_cloud", V249, None),
    ("spring.datasource.password", "hotdb_cloud", V249, None),
    (
        "spring.datasource.driver-class-name",
        "com.mysql.jdbc.Driver",
        V249,
        None,
    ),
    ("hotdb.server.log.days", "14", Version(2, 5, 1), None),
    (
        "hotdb.monitor.legacy",
        "false",
        V249,
        Some(Version(2, 5, 4)),
    ),
    ("hotdb.upgrade.auto", "true", Version(2, 5, 3), None),
    ("hotdb.backup.task.timeout", "86400", Version(2, 5, 5), None),
    ("hotdb.license.check", "true", Version(2, 5, 6), None),
];

const V249: Version = Version(2, 4, 9);

/// The keys a version's `application.properties` has.
pub fn keys_of(version: Version) -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter()
        .filter(move |(_, _, since, until)| *since <= version && until.is_none_or(|u| version < u))
        .map(|(k, v, _, _)| (*k, *v))
}

pub fn application_properties(version: Version) -> String {
    let mut out = String::new();
    for (key, value) in keys_of(version) {
        match key {
            "server.port" => out.push_str("# http port\n"),
            "server.backup.port" => out.push_str("# ssl socket port\n"),
            "spring.datasource.url" => out.push_str("# hotdb management database settings\n"),
            _ => {}
        }
        out.push_str(&format!("{key}={value}\n"));
    }
    out
}

pub fn package(r: Release, opts: &Options) -> Package {
    let mut t = Tree::new(unix_of_date(r.date).unwrap_or(0));
    let p = |rel: &str| format!("{ROOT}/{rel}");
    let java_bin = if r.version >= JDK8_FROM {
        "/usr/local/jdk8/jdk8u252-b09/bin/java"
    } else {
        "$shellPath/../../jdk/bin/java"
    };
    t.script(
        &p("bin/hotdb_management"),
        &render(&ScriptSpec {
            name: "HotDB-management",
            command: "management",
            pid_file: "hotdb-management.pid",
            main_log: "hotdb-management.log",
            java: Some((java_bin, r.jdk().java_version())),
            extra_vars: "",
            start_args: false,
        }),
    );
    t.text(
        &p("conf/application.properties"),
        &application_properties(r.version),
    );
    t.file(&p("lib/hotdb-sim"), 0o755, opts.sim_binary.as_slice());
    t.text(
        &p("lib/classes/version.properties"),
        &version_properties("hotdb-management", r),
    );
    t.dir(&p("logs"));
    add_sql(&mut t, ROOT, Database::CloudConfig, r.version, opts);
    Package {
        file_name: r.management_package(),
        tree: t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_and_go() {
        let has = |v: Version, k: &str| keys_of(v).any(|(key, _)| key == k);
        assert!(has(Version(2, 5, 3), "hotdb.monitor.legacy"));
        assert!(!has(Version(2, 5, 4), "hotdb.monitor.legacy"));
        assert!(has(Version(2, 5, 6), "hotdb.license.check"));
        assert!(
            application_properties(Version(2, 4, 9)).starts_with("# http port\nserver.port=3324\n")
        );
    }
}
