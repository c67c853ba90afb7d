//! The simulator never touches anything outside its install base, its config DB and its
//! ports. Every component runs under `strace -f` from its real script, started from an empty
//! working directory (also `HOME` and `TMPDIR`), through a whole life: start, client traffic,
//! management commands, `reload @@config`, the keepalived check, the management platform's
//! self-upgrade, a backup agent, stop. The traces must show changes to files under the install
//! base only (and `/dev/null`), binds on the component's own ports only, and connects to the
//! config DB or the management platform only (needs root: MariaDB and strace).

mod common;

use common::node::*;
use common::platform::{self, Platform};
use common::trace::{self, Effects};
use common::*;
use hotdb_sim::catalog::Version;
use mysql::prelude::Queryable;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Traced {
    dir: tempfile::TempDir,
    /// Empty working directory, `HOME` and `TMPDIR` of every traced command.
    sentinel: tempfile::TempDir,
}

impl Traced {
    fn new() -> Traced {
        Traced {
            dir: tempfile::tempdir().unwrap(),
            sentinel: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, script: &Path, args: &[&str]) -> Command {
        let mut c = Command::new("sh");
        c.arg(script)
            .args(args)
            .current_dir(self.sentinel.path())
            .env("HOME", self.sentinel.path())
            .env("TMPDIR", self.sentinel.path());
        c
    }

    /// Starts a daemon through its script under strace; the tracer lives as long as it does.
    fn start(&self, inst: &Install, tag: &str, args: &[&str]) -> Child {
        let script = inst.path(&format!("bin/{}", inst.script));
        let mut cmd = vec!["start"];
        cmd.extend_from_slice(args);
        let child = trace::spawn(self.dir.path(), tag, &self.command(&script, &cmd));
        assert!(
            wait_for(WAIT, || inst.pid().is_some()),
            "{tag}: no pid file"
        );
        if let (Some(pid), Ok(mut pids)) = (inst.pid(), inst.pids.lock()) {
            pids.push(pid);
        }
        child
    }

    /// Runs a command to its end under strace.
    fn run(&self, tag: &str, script: &Path, args: &[&str]) -> String {
        let out = trace::spawn(self.dir.path(), tag, &self.command(script, args))
            .wait_with_output()
            .unwrap();
        assert!(out.status.success(), "{tag}: {}", text(&out));
        text(&out)
    }

    fn finish(&self, tracers: Vec<Child>) -> Effects {
        for mut t in tracers {
            let end = Instant::now() + WAIT;
            while t.try_wait().unwrap().is_none() {
                assert!(Instant::now() < end, "a traced daemon did not exit");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        assert_eq!(
            std::fs::read_dir(self.sentinel.path()).unwrap().count(),
            0,
            "nothing is written to the working directory, HOME or TMPDIR"
        );
        trace::effects(self.dir.path())
    }
}

fn assert_inside(e: &Effects, homes: &[&Path]) {
    assert!(e.unresolved.is_empty(), "{:#?}", e.unresolved);
    let outside: Vec<_> = e
        .written
        .iter()
        .filter(|p| {
            p.as_path() != Path::new("/dev/null") && !homes.iter().any(|h| p.starts_with(h))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "changed outside the install base: {outside:#?}"
    );
    assert!(!e.written.is_empty(), "the trace saw the log files");
    assert!(e.unix.is_empty(), "unix sockets: {:?}", e.unix);
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

#[test]
fn compute_node_stays_inside_its_install_base_config_db_and_ports() {
    let m = common::mariadb::get();
    config_db(m, "conf_cn", Version(2, 5, 4));
    let n = node(
        "2.5.4",
        "20190812",
        "conf_cn",
        &[("VIP", "127.0.0.1"), ("checkVIPPeriod", "200")],
    );
    let home = std::fs::canonicalize(&n.inst.home).unwrap();
    let t = Traced::new();
    let tracer = t.start(&n.inst, "start", &[]);
    assert!(
        wait_port(n.service, true, WAIT),
        "{}",
        n.inst.log("logs/hotdb.log")
    );

    let mut client = n.conn(n.service);
    client.query_drop("begin").unwrap();
    client.query_drop("select sleep(0.2)").unwrap();
    client.query_drop("commit").unwrap();
    let mut mgmt = n.conn(n.manager);
    for sql in [
        "show @@version",
        "show @@server",
        "show @@session",
        "show @@longtransaction",
        "show @@usbkey",
        "reload @@config",
        "offline",
        "online",
    ] {
        mgmt.query_drop(sql).unwrap();
    }
    drop((client, mgmt));
    let check = n.inst.path("bin/check_hotdb_process.sh");
    t.run("check", &check, &["connect_master"]);
    t.run("process", &check, &["process"]);
    let out = t.run("stop", &n.inst.path("bin/hotdb_server"), &["stop"]);
    assert!(out.contains("HotDB-server stopped success."), "{out}");

    let e = t.finish(vec![tracer]);
    assert_inside(&e, &[&home]);
    assert!(
        e.written.contains(&home.join("logs/hotdb.log")),
        "{:#?}",
        e.written
    );
    let own: BTreeSet<u16> = [n.service, n.manager].into();
    assert!(e.bound.is_subset(&own), "bound {:?}", e.bound);
    assert_eq!(e.bound, own);
    let allowed = set(&[
        format!("127.0.0.1:{}", m.port),
        format!("127.0.0.1:{}", n.manager),
    ]);
    assert!(
        e.connected.is_subset(&allowed),
        "connected {:?}",
        e.connected
    );
    assert!(e.connected.contains(&format!("127.0.0.1:{}", m.port)));
}

#[test]
fn platform_backup_and_listener_stay_inside_theirs() {
    let m = common::mariadb::get();
    platform::cloud_db("conf_mp", Some(Version(2, 5, 3)));
    let p: Platform = platform::platform("2.5.4", "20190812", "conf_mp");
    let agent = Install::new("hotdb-backup-2.1-20200611.tar.gz");
    let listener = Install::new("hotdb-listener-0.0.2-linux.tar.gz");
    let lport = free_port();
    listener.write(
        "conf/config.properties",
        &format!("host=0.0.0.0\nport={lport}\n"),
    );
    let homes: Vec<_> = [&p.inst, &agent, &listener]
        .iter()
        .map(|i| std::fs::canonicalize(&i.home).unwrap())
        .collect();
    let t = Traced::new();
    let mp = t.start(&p.inst, "mp", &[]);
    assert!(
        wait_port(p.http, true, WAIT),
        "{}",
        p.inst.log("logs/hotdb-management.log")
    );
    assert!(
        p.inst
            .log("logs/hotdb-management.log")
            .contains("executed utils/sql/upgrade/hotdb_cloud_config_2.5.3_to_2.5.4.sql")
    );
    let backup_port = p.backup.to_string();
    let bk = t.start(&agent, "bk", &["-h", "127.0.0.1", "-p", &backup_port]);
    assert!(wait_for(WAIT, || platform::get(p.http, "/backup/agents")
        .contains("hotdb-backup 2.1")));
    assert!(platform::get(p.http, "/backup/start?seconds=1").contains("task_id"));
    let ls = t.start(&listener, "ls", &[]);
    assert!(wait_port(lport, true, WAIT));
    for (tag, inst) in [
        ("ls-stop", &listener),
        ("bk-stop", &agent),
        ("mp-stop", &p.inst),
    ] {
        t.run(tag, &inst.path(&format!("bin/{}", inst.script)), &["stop"]);
    }

    let e = t.finish(vec![mp, bk, ls]);
    let refs: Vec<&Path> = homes.iter().map(|h| h.as_path()).collect();
    assert_inside(&e, &refs);
    assert_eq!(e.bound, [p.http, p.backup, lport].into());
    let allowed = set(&[
        format!("127.0.0.1:{}", m.port),
        format!("127.0.0.1:{}", p.backup),
    ]);
    assert!(
        e.connected.is_subset(&allowed),
        "connected {:?}",
        e.connected
    );
}

/// The checker itself: relative paths after `cd` and `mkdir -p`, renames and removals are
/// all resolved and seen.
#[test]
fn the_trace_reader_sees_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = std::fs::canonicalize(work.path()).unwrap();
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "mkdir -p a/b && cd a && echo x > c && mv c d && ln -s d e && rm d && cd b && touch ../../f",
    ])
    .current_dir(&w);
    let out = trace::spawn(dir.path(), "self", &cmd)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let e = trace::effects(dir.path());
    assert!(e.unresolved.is_empty(), "{:#?}", e.unresolved);
    for rel in ["a", "a/b", "a/c", "a/d", "a/e", "f"] {
        assert!(e.written.contains(&w.join(rel)), "{rel}: {:#?}", e.written);
    }
}
