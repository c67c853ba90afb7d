//! hotdb_facts: what HotDB is installed on a host, read in one round trip: each
//! component under the install base (and the old installs kept beside it), its
//! version and build date, JDK, license, roles from server.xml, ndbsql entries,
//! whether it runs, and which TCP ports the host listens on.

use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

pub struct HotdbFacts;

static DOC: ModuleDoc = ModuleDoc {
    name: "hotdb_facts",
    short: "Gather what HotDB is installed on a host",
    description: "Looks under `install_base` for hotdb-server, hotdb-management, hotdb-backup and hotdb-listener, and for old installs kept beside them (hotdb_server_253, hotdb-backup_2.0 ...). For each: version and build date (lib/classes/version.properties, else a versioned jar name), the start script and its JAVA_BIN/JAVA_VERSION (resolved as the script resolves them) with the `java -version` of that JAVA_BIN, the license files in keys/ (with format, usbkey_type and node_limit where they are readable `key=value` text), for compute nodes the server.xml roles (haMode, haState, haNodeHost, idcId, VIP, serverPort, managerPort, clusterSize ...), ndbsql_bin / ndbsql_data, and whether its process runs (its pid file). Also the host's listening TCP ports. Sets them as the fact `hotdb` (also `ansible_facts.hotdb`).",
    args: &[
        ArgSpec::new("install_base", ArgType::Path, "Where HotDB is installed.")
            .default("/usr/local/hotdb"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual: it only reads.",
    returns: "ansible_facts.hotdb: {install_base, components: {NAME: {home, version, build_date, running, pid, java_bin, java_version, java_runtime, license, server (server.xml properties), ndbsql_bin, ndbsql_data}}, kept: [{name, home, version, build_date}], listening: [ports]}",
    examples: "- hotdb_facts:\n- debug: msg=\"{{ hotdb.components['hotdb-server'].version }} {{ hotdb.components['hotdb-server'].server.haState }}\"",
};

/// The remote script: `C <dir>` starts a component, `K key=value` lines describe it,
/// `L <port>` lines are listening ports.
fn script(base: &str) -> String {
    let props = "haMode haState haNodeHost idcId idcNodeHost VIP checkVIPPeriod serverId serverPort managerPort clusterPort clusterSize clusterName clusterHost url username";
    format!(
        r#"{alive}base={base}
if [ -d "$base" ]; then cd "$base" || exit 0
for d in *; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  case $d in hotdb-server|hotdb-management|hotdb-backup|hotdb-listener|hotdb[-_]server[-_]*|hotdb[-_]management[-_]*|hotdb[-_]backup[-_]*|hotdb[-_]listener[-_]*) ;; *) continue ;; esac
  echo "C $d"
  h="$base/$d"
  v="$h/lib/classes/version.properties"
  [ -r "$v" ] && sed -n 's/^\(component\|version\|build_date\)=\(.*\)$/K \1=\2/p' "$v"
  for j in "$h"/lib/*.jar; do [ -e "$j" ] && echo "K jar=${{j##*/}}" && break; done
  for s in "$h"/bin/hotdb_server "$h"/bin/hotdb_management "$h"/bin/hotdb_backup "$h"/bin/hotdb_listener; do
    [ -f "$s" ] || continue
    echo "K script=$s"
    jv=$(sh -c 'eval "$(grep -E "^(shellPath|HOTDB_HOME|JAVA_BIN|JAVA_VERSION)=" "$0")" 2>/dev/null; printf "%s|%s" "$JAVA_BIN" "$JAVA_VERSION"' "$s")
    jb=${{jv%%|*}}; echo "K java_bin=$jb"; echo "K java_version=${{jv#*|}}"
    if [ -n "$jb" ] && [ -x "$jb" ]; then echo "K java_runtime=$("$jb" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)"; fi
    break
  done
  for p in "$h"/run/*.pid; do
    [ -r "$p" ] || continue
    pid=$(tr -dc 0-9 < "$p")
    if [ -n "$pid" ] && alive "$pid"; then echo "K pid=$pid"; fi
  done
  for k in "$h"/keys/*; do
    [ -f "$k" ] || continue
    echo "K key_file=${{k##*/}}"
    if grep -Iq . "$k" 2>/dev/null; then sed -n 's/^\(format\|usbkey_type\|node_limit\|logicdb_limit\|days\)=\(.*\)$/K license.\1=\2/p' "$k"; fi
  done
  x="$h/conf/server.xml"
  if [ -r "$x" ]; then for n in {props}; do
    sed -n "s|.*<property name=\"$n\">\([^<]*\)</property>.*|K server.$n=\1|p" "$x" | head -1
  done; fi
  [ -L "$h/ndbsql_bin" ] && echo "K ndbsql_bin=$(readlink "$h/ndbsql_bin")"
  [ -d "$h/ndbsql_data" ] && echo "K ndbsql_data=$h/ndbsql_data"
done
fi
if command -v ss >/dev/null 2>&1; then ss -Htln 2>/dev/null | awk '{{print $4}}' | sed 's/.*://' | sort -un | sed 's/^/L /'
else cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" {{split($2, a, ":"); print a[2]}}' | sort -u | while read x; do echo "L $((0x$x))"; done; fi
"#,
        base = quote(base),
        alive = super::service::ALIVE
    )
}

fn insert_path(m: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        Some((head, rest)) => {
            let inner = m
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(im) = inner {
                insert_path(im, rest, value);
            }
        }
        None => {
            if key == "key_file" {
                let list = m
                    .entry("key_files".to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = list {
                    a.push(value);
                }
            } else {
                m.insert(key.to_string(), value);
            }
        }
    }
}

/// A number where the text is one (ports, limits), else the text.
fn typed(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(n) if !v.starts_with('0') || v == "0" => Value::from(n),
        _ => Value::String(v.to_string()),
    }
}

fn parse(base: &str, text: &str) -> Value {
    let mut components = Map::new();
    let mut kept = Vec::new();
    let mut listening = Vec::new();
    let mut current: Option<(String, Map<String, Value>)> = None;
    let flush = |cur: Option<(String, Map<String, Value>)>,
                 components: &mut Map<String, Value>,
                 kept: &mut Vec<Value>| {
        if let Some((name, mut m)) = cur {
            m.insert("home".into(), Value::String(format!("{base}/{name}")));
            let running = m.contains_key("pid");
            m.insert("running".into(), Value::Bool(running));
            if matches!(
                name.as_str(),
                "hotdb-server" | "hotdb-management" | "hotdb-backup" | "hotdb-listener"
            ) {
                components.insert(name, Value::Object(m));
            } else {
                m.insert("name".into(), Value::String(name));
                kept.push(Value::Object(m));
            }
        }
    };
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("C ") {
            flush(current.take(), &mut components, &mut kept);
            current = Some((name.to_string(), Map::new()));
        } else if let Some(kv) = line.strip_prefix("K ") {
            if let (Some((_, m)), Some((k, v))) = (current.as_mut(), kv.split_once('=')) {
                let value = if k.starts_with("server.") || k.starts_with("license.") || k == "pid" {
                    typed(v)
                } else {
                    Value::String(v.to_string())
                };
                insert_path(m, k, value);
            }
        } else if let Some(p) = line.strip_prefix("L ")
            && let Ok(n) = p.trim().parse::<u16>()
        {
            listening.push(Value::from(n));
        }
    }
    flush(current.take(), &mut components, &mut kept);
    json!({"install_base": base, "components": components, "kept": kept, "listening": listening})
}

#[async_trait]
impl Module for HotdbFacts {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let base = args
            .string("install_base")
            .unwrap_or_else(|| "/usr/local/hotdb".into());
        let base = base.trim_end_matches('/').to_string();
        let out = h.run(script(&base)).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "cannot read {base}: {}",
                out.stderr_text().trim()
            )));
        }
        let facts = parse(&base, &out.stdout_text());
        Ok(Outcome::ok().with("ansible_facts", json!({ "hotdb": facts })))
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;

    #[tokio::test]
    async fn reads_an_install_base_like_the_simulators() {
        let fx = Fixture::new();
        let base = fx.path("hotdb");
        let home = format!("{base}/hotdb-server");
        for d in ["bin", "conf", "keys", "lib/classes", "run", "ndbsql_data"] {
            std::fs::create_dir_all(format!("{home}/{d}")).expect("mkdir");
        }
        std::fs::create_dir_all(format!("{base}/hotdb_server_253/lib/classes")).expect("mkdir");
        std::fs::create_dir_all(format!("{base}/jdk/bin")).expect("mkdir");
        std::fs::write(
            format!("{base}/jdk/bin/java"),
            "#!/bin/sh\necho 'java version \"1.7.0_80\"' >&2\n",
        )
        .expect("java");
        std::process::Command::new("chmod")
            .args(["+x", &format!("{base}/jdk/bin/java")])
            .status()
            .expect("chmod");
        std::fs::write(
            format!("{home}/lib/classes/version.properties"),
            "component=hotdb-server\nversion=2.5.4\nbuild_date=20190812\n",
        )
        .expect("version");
        std::fs::write(
            format!("{base}/hotdb_server_253/lib/classes/version.properties"),
            "component=hotdb-server\nversion=2.5.3\nbuild_date=20190905\n",
        )
        .expect("version");
        std::fs::write(
            format!("{home}/bin/hotdb_server"),
            "#!/bin/sh\nshellPath=$(cd \"$(dirname \"$0\")\" && pwd)\nHOTDB_HOME=$(cd \"$shellPath/..\" && pwd)\nJAVA_BIN=\"$HOTDB_HOME\"/../jdk/bin/java\nJAVA_VERSION=\"1.7.0_80\"\nrm -rf /\n",
        )
        .expect("script");
        std::fs::write(
            format!("{home}/conf/server.xml"),
            "<hotdb:server><system>\n    <property name=\"haMode\">0</property><!-- m -->\n    <property name=\"haState\">backup</property>\n    <property name=\"haNodeHost\">10.0.0.1:3325</property>\n    <property name=\"serverPort\">3323</property>\n</system></hotdb:server>\n",
        )
        .expect("xml");
        std::fs::write(
            format!("{home}/keys/hotdb_usbkey.v2c"),
            "format=1\nusbkey_type=3\nnode_limit=64\n",
        )
        .expect("key");
        std::os::unix::fs::symlink("/opt/ndb/bin", format!("{home}/ndbsql_bin")).expect("link");
        std::fs::write(
            format!("{home}/run/hotdb-server.pid"),
            format!("{}\n", std::process::id()),
        )
        .expect("pid");
        let o = fx
            .run(&HotdbFacts, json!({"install_base": base}), true, false)
            .await;
        assert!(!o.failed && !o.changed, "{:?}", o.msg);
        let f = &o.data["ansible_facts"]["hotdb"];
        let s = &f["components"]["hotdb-server"];
        assert_eq!(s["version"], "2.5.4");
        assert_eq!(s["build_date"], "20190812");
        assert_eq!(s["java_version"], "1.7.0_80");
        assert!(
            s["java_bin"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/jdk/bin/java")
        );
        assert_eq!(s["java_runtime"], "1.7.0_80");
        assert_eq!(s["server"]["haState"], "backup");
        assert_eq!(s["server"]["haNodeHost"], "10.0.0.1:3325");
        assert_eq!(s["server"]["serverPort"], 3323);
        assert_eq!(s["license"]["node_limit"], 64);
        assert_eq!(s["key_files"], json!(["hotdb_usbkey.v2c"]));
        assert_eq!(s["ndbsql_bin"], "/opt/ndb/bin");
        assert_eq!(s["running"], true);
        assert_eq!(f["kept"][0]["name"], "hotdb_server_253");
        assert_eq!(f["kept"][0]["version"], "2.5.3");
        // The start script was read, never run (it would `rm -rf /`).
        assert!(std::path::Path::new(&home).exists());
        let none = fx
            .run(
                &HotdbFacts,
                json!({"install_base": fx.path("nothing")}),
                false,
                false,
            )
            .await;
        assert!(!none.failed);
        assert_eq!(none.data["ansible_facts"]["hotdb"]["components"], json!({}));
    }
}
