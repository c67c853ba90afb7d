//! The compute node package, `hotdb-server-<ver>-ga-<date>.tar.gz`, unpacking to
//! `hotdb-server/` with the install layout `bin conf keys lib logs utils`.

use super::script::{ScriptSpec, render};
use super::{Options, Package, Tree};
use crate::catalog::{Release, Version, hops, properties_of};
use crate::license::License;
use crate::log::unix_of_date;
use crate::sql::{Database, install_script, upgrade_script, upgrade_script_name};
use std::collections::BTreeMap;

pub const ROOT: &str = "hotdb-server";

pub fn package(r: Release, opts: &Options) -> Package {
    let mut t = Tree::new(unix_of_date(r.date).unwrap_or(0));
    let p = |rel: &str| format!("{ROOT}/{rel}");
    let jdk = r.jdk();
    let java_bin = if r.version >= crate::catalog::JDK8_FROM {
        "/usr/local/jdk8/jdk8u252-b09/bin/java"
    } else {
        "\"$HOTDB_HOME\"/../jdk/bin/java"
    };
    let extra = "HA_STARTUP=\"$HOTDB_HOME\"/bin/keepalived\nDRIVER_DIR=\"$HOTDB_HOME\"/utils\nDRIVER_PACKAGE=\"$DRIVER_DIR\"/aksusbd-7*.tar.gz\n";
    t.script(
        &p("bin/hotdb_server"),
        &render(&ScriptSpec {
            name: "HotDB-server",
            command: "compute-node",
            pid_file: "hotdb-server.pid",
            main_log: "hotdb.log",
            java: Some((java_bin, jdk.java_version())),
            extra_vars: extra,
            start_args: false,
        }),
    );
    t.script(&p("bin/check_hotdb_process.sh"), CHECK_SCRIPT);
    t.text(
        &p("conf/server.xml"),
        &server_xml(r.version, &BTreeMap::new()),
    );
    t.text(&p("conf/log4j2.xml"), &log4j2(r.version));
    t.text(&p("conf/keepalived.conf.master"), &keepalived(true));
    t.text(&p("conf/keepalived.conf.backup"), &keepalived(false));
    let license = License::shipped(r);
    t.text(
        &p(&format!("keys/{}", license.file_name())),
        &license.render(),
    );
    t.file(&p("lib/hotdb-sim"), 0o755, opts.sim_binary.as_slice());
    t.text(
        &p("lib/classes/version.properties"),
        &version_properties("hotdb-server", r),
    );
    t.dir(&p("logs"));
    add_sql(&mut t, ROOT, Database::Config, r.version, opts);
    Package {
        file_name: r.server_package(),
        tree: t,
    }
}

pub fn version_properties(component: &str, r: Release) -> String {
    format!(
        "component={component}\nversion={}\nbuild_date={}\n",
        r.version, r.date
    )
}

/// `utils/sql/<db>.sql` (fresh install) and `utils/sql/upgrade/<db>_<from>_to_<to>.sql`
/// for every hop from the oldest version up to this one.
pub fn add_sql(t: &mut Tree, root: &str, db: Database, version: Version, opts: &Options) {
    t.text(
        &format!("{root}/utils/sql/{}.sql", db.name()),
        &install_script(db, version),
    );
    let first = crate::catalog::versions()[0];
    for (from, to) in hops(first, version) {
        let fail = opts.fail_sql.filter(|f| f.to == to).map(|f| f.statement);
        let name = upgrade_script_name(db, from, to);
        t.text(
            &format!("{root}/utils/sql/upgrade/{name}"),
            &upgrade_script(db, from, to, fail),
        );
    }
}

/// `conf/server.xml` of a version: every property it knows, with `values` overriding the
/// defaults (names the version does not know are written too, after the known ones).
pub fn server_xml(version: Version, values: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE hotdb:server SYSTEM \"server.dtd\">\n<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\">\n  <system>\n",
    );
    let mut known = Vec::new();
    for p in properties_of(version) {
        known.push(p.name);
        let value = values.get(p.name).map(String::as_str).unwrap_or(p.default);
        out.push_str(&format!(
            "    <property name=\"{}\">{}</property><!--{}-->\n",
            p.name,
            xml_escape(value),
            p.comment
        ));
    }
    for (name, value) in values.iter().filter(|(n, _)| !known.contains(&n.as_str())) {
        out.push_str(&format!(
            "    <property name=\"{name}\">{}</property>\n",
            xml_escape(value)
        ));
    }
    out.push_str("  </system>\n</hotdb:server>\n");
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn log4j2(version: Version) -> String {
    let sql_log = if version >= Version(2, 5, 3) {
        "    <RollingFile name=\"sqlLog\" fileName=\"logs/sql.log\" filePattern=\"logs/sql-%d{yyyy-MM-dd}.log.gz\">\n      <PatternLayout pattern=\"%d [%p] %m%n\"/>\n      <TimeBasedTriggeringPolicy/>\n    </RollingFile>\n"
    } else {
        ""
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Configuration status=\"WARN\">\n  <Appenders>\n    <RollingFile name=\"hotdbLog\" fileName=\"logs/hotdb.log\" filePattern=\"logs/hotdb-%d{{yyyy-MM-dd}}.log.gz\">\n      <PatternLayout pattern=\"%d{{yyyy-MM-dd HH:mm:ss.SSS}} [%p] [%c{{1}}] %m%n\"/>\n      <TimeBasedTriggeringPolicy/>\n    </RollingFile>\n{sql_log}  </Appenders>\n  <Loggers>\n    <Root level=\"info\">\n      <AppenderRef ref=\"hotdbLog\"/>\n    </Root>\n  </Loggers>\n</Configuration>\n"
    )
}

fn keepalived(master: bool) -> String {
    let (check, priority, nopreempt, prefix) = if master {
        ("connect_master", 100, "    nopreempt\n", "master")
    } else {
        ("connect_backup", 95, "", "backup")
    };
    format!(
        r#"! Configuration File for keepalived
global_defs {{
    router_id HotDB Server-ha
}}

vrrp_script check_hotdb_process {{
    script "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh process"
    interval 5
    fall 2
    rise 1
    weight -10
}}

vrrp_script check_hotdb_connect_state {{
    script "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {check}"
    interval 5
    fall 3
    rise 1
    timeout 5
    weight -10
}}

vrrp_instance VI_1 {{
    state BACKUP
    interface eth1
    virtual_router_id 89
{nopreempt}    priority {priority}
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass 1111
    }}
    track_script {{
        check_hotdb_process
        check_hotdb_connect_state
    }}
    virtual_ipaddress {{
        192.168.200.140/24 dev eth1 label eth1:1
    }}
    notify_master "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {prefix}_notify_master"
    notify_backup "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {prefix}_notify_backup"
    notify_fault "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {prefix}_notify_backup"
}}
"#
    )
}

const CHECK_SCRIPT: &str = r#"#!/bin/sh
# keepalived's track and notify script for the compute node (hotdb-sim).
#   process                      the compute node process is alive
#   connect_master|connect_backup  its management port answers
#   *_notify_master              run `online` on the local management port
#   *_notify_backup              run `offline` on the local management port
shellPath=$(cd "$(dirname "$0")" && pwd)
HOTDB_HOME=$(cd "$shellPath/.." && pwd)
PID_FILE="$HOTDB_HOME"/run/hotdb-server.pid
MANAGER_PORT=$(sed -n 's/.*<property name="managerPort">\([0-9]*\)<.*/\1/p' "$HOTDB_HOME"/conf/server.xml | head -n 1)
MANAGER_PORT=${MANAGER_PORT:-3325}
NOTIFY_LOG="$HOTDB_HOME"/logs/keepalived_notify.log

manage() {
  "$HOTDB_HOME"/lib/hotdb-sim client -h 127.0.0.1 -P "$MANAGER_PORT" -e "$1"
}

case "$1" in
  process)
    pid=$(cat "$PID_FILE" 2>/dev/null)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
    exit $?
    ;;
  connect_master|connect_backup)
    manage "show @@version" >/dev/null 2>&1
    exit $?
    ;;
  master_notify_master|backup_notify_master)
    echo "$(date '+%F %T') $1: online" >>"$NOTIFY_LOG"
    manage online >>"$NOTIFY_LOG" 2>&1
    ;;
  master_notify_backup|backup_notify_backup)
    echo "$(date '+%F %T') $1: offline" >>"$NOTIFY_LOG"
    manage offline >>"$NOTIFY_LOG" 2>&1
    ;;
  *)
    echo "Usage: $0 {process|connect_master|connect_backup|master_notify_master|master_notify_backup|backup_notify_master|backup_notify_backup}"
    exit 1
    ;;
esac
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::find_release;
    use std::sync::Arc;

    #[test]
    fn layout_and_scripts() {
        let r = find_release(Version(2, 5, 6), "20200918").unwrap();
        let opts = Options {
            sim_binary: Arc::new(b"sim".to_vec()),
            fail_sql: None,
        };
        let pkg = package(r, &opts);
        assert_eq!(pkg.file_name, "hotdb-server-2.5.6-ga-20200918.tar.gz");
        let paths: Vec<&str> = pkg.tree.paths().collect();
        for dir in ["bin", "conf", "keys", "lib", "logs", "utils"] {
            assert!(paths.contains(&format!("{ROOT}/{dir}").as_str()), "{dir}");
        }
        let script =
            String::from_utf8_lossy(pkg.tree.get("hotdb-server/bin/hotdb_server").unwrap())
                .into_owned();
        assert!(script.contains("JAVA_VERSION=\"1.8.0_252\""));
        assert!(script.contains("JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java"));
        assert!(script.contains("PID_FILE=\"$PID_DIR\"/hotdb-server.pid"));
        assert!(paths.contains(&"hotdb-server/utils/sql/upgrade/hotdb_config_2.5.5_to_2.5.6.sql"));
        assert!(paths.contains(&"hotdb-server/utils/sql/upgrade/hotdb_config_2.4.9_to_2.5.1.sql"));
    }

    #[test]
    fn server_xml_overrides_and_unknowns() {
        let mut v = BTreeMap::new();
        v.insert("serverPort".to_string(), "4323".to_string());
        v.insert("bogus".to_string(), "1".to_string());
        let xml = server_xml(Version(2, 5, 4), &v);
        assert!(xml.contains("<property name=\"serverPort\">4323</property><!-- 服务端口 -->"));
        assert!(xml.contains("<property name=\"bogus\">1</property>"));
        assert!(!xml.contains("deadlockCheckPeriod"));
    }
}
