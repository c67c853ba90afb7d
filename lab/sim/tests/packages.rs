//! The package generator through the binary: vendor names, `.md5` files that `md5sum -c`
//! accepts, byte-identical output on a later run (the fault variant too), what the packages
//! unpack to, and the listener's script messages and faults (it needs no config DB).

mod common;

use common::*;
use std::process::Command;

const SOME: &[&str] = &[
    "hotdb-server-2.5.4-ga-20190812.tar.gz",
    "hotdb-management-2.5.3-ga-20190905.tar.gz",
    "hotdb-backup-2.0-20190109.tar.gz",
    "hotdb-listener-0.0.1-linux.tar.gz",
    "OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz",
    "jdk-7u80-linux-x64.tar.gz",
];

fn generate(out: &std::path::Path) {
    let o = Command::new(SIM)
        .arg("packages")
        .arg("--out")
        .arg(out)
        .args(SOME)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn packages_are_named_checksummed_and_reproducible() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(a.path());
    generate(b.path());
    for name in SOME {
        let x = std::fs::read(a.path().join(name)).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.path().join(name)).unwrap(),
            "{name} is reproducible"
        );
        let md5 = std::fs::read_to_string(a.path().join(format!("{name}.md5"))).unwrap();
        assert!(md5.ends_with(&format!("  {name}\n")), "{md5}");
    }
    let o = Command::new("sh")
        .arg("-c")
        .arg("md5sum -c *.md5")
        .current_dir(a.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let o = Command::new(SIM).args(["list-packages"]).output().unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    for name in [
        "hotdb-server-2.4.9-ga-20190417.tar.gz",
        "hotdb-server-2.5.1-ga-20190601.tar.gz",
        "hotdb-server-2.5.1-ga-20190830.tar.gz",
        "hotdb-server-2.5.3-ga-20190801.tar.gz",
        "hotdb-server-2.5.6-ga-20200918.tar.gz",
    ] {
        assert!(list.lines().any(|l| l == name), "{name}");
    }
}

#[test]
fn packages_unpack_to_the_vendor_layout() {
    let dir = tempfile::tempdir().unwrap();
    unpack("hotdb-server-2.5.4-ga-20190812.tar.gz", dir.path());
    let home = dir.path().join("hotdb-server");
    for d in ["bin", "conf", "keys", "lib", "logs", "utils"] {
        assert!(home.join(d).is_dir(), "{d}");
    }
    let o = Command::new("tar")
        .arg("-tvzf")
        .arg(package("hotdb-server-2.5.4-ga-20190812.tar.gz"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(
        listing
            .lines()
            .all(|l| l.contains("root/root") && l.contains("2019-08-12")),
        "{listing}"
    );
    let script = std::fs::read_to_string(home.join("bin/hotdb_server")).unwrap();
    for var in [
        "JAVA_BIN=",
        "JAVA_VERSION=\"1.7.0_80\"",
        "JAVA_OPTS=\"-server -Xms4G -Xmx4G -XX:MaxDirectMemorySize=24G\"",
        "PID_DIR=",
        "PID_FILE=",
        "HOTDB_CLASSPATH=",
    ] {
        assert!(script.contains(var), "{var}");
    }
    let o = Command::new("sh")
        .arg("-n")
        .arg(home.join("bin/hotdb_server"))
        .output()
        .unwrap();
    assert!(o.status.success(), "valid sh: {}", text(&o));
    for (java, first) in [
        (java(true), "openjdk version \"1.8.0_252\""),
        (java(false), "java version \"1.7.0_80\""),
    ] {
        let o = Command::new(&java).arg("-version").output().unwrap();
        assert!(o.status.success());
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).lines().next(),
            Some(first)
        );
    }
    assert!(
        java(true)
            .to_string_lossy()
            .ends_with("jdk8u252-b09/bin/java")
    );
}

#[test]
fn daemon_faults_of_the_other_components() {
    let l = Install::new("hotdb-listener-0.0.1-linux.tar.gz");
    let port = free_port();
    l.write(
        "conf/config.properties",
        &format!("host=127.0.0.1\nport={port}\n"),
    );
    l.sim_properties("fault.stop.hang=true\nfault.crash.after.s=3\n");
    l.set_script_var("STOP_TIMEOUT", "1");
    assert!(l.run(&["start"]).status.success());
    assert!(wait_port(port, true, std::time::Duration::from_secs(10)));
    let o = l.run(&["stop"]);
    assert!(
        !o.status.success() && text(&o).contains("did not stop within 1 s"),
        "{}",
        text(&o)
    );
    assert!(
        wait_port(port, false, std::time::Duration::from_secs(10)),
        "crashes after 3 s"
    );
    let log = l.log("logs/listener.log");
    assert!(
        log.contains("fault injected: TERM is ignored")
            && log.contains("fault injected: the process crashes now"),
        "{log}"
    );
}

#[test]
fn the_fault_variant_and_later_runs_are_byte_identical_too() {
    let names = [
        "hotdb-server-2.5.5-ga-20191230.tar.gz",
        "hotdb-management-2.5.5-ga-20191230.tar.gz",
        "hotdb-backup-2.1-20200611.tar.gz",
        "hotdb-listener-0.0.2-linux.tar.gz",
    ];
    let run = |dir: &std::path::Path, extra: &[&str]| {
        let o = Command::new(SIM)
            .arg("packages")
            .arg("--out")
            .arg(dir)
            .args(extra)
            .args(names)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
    };
    let (a, b, plain) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    run(a.path(), &["--fail-sql", "2.5.5:3"]);
    // Later, from another working directory: the clock and the place leak into nothing.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = Command::new(SIM)
        .current_dir(plain.path())
        .args(["packages", "--out"])
        .arg(b.path())
        .args(["--fail-sql", "2.5.5:3"])
        .args(names)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    run(plain.path(), &[]);
    for name in names {
        let x = std::fs::read(a.path().join(name)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(name)).unwrap(), "{name}");
        let md5 = format!("{name}.md5");
        assert_eq!(
            std::fs::read(a.path().join(&md5)).unwrap(),
            std::fs::read(b.path().join(&md5)).unwrap()
        );
        let differs = x != std::fs::read(plain.path().join(name)).unwrap();
        assert_eq!(
            differs,
            name.contains("2.5.5"),
            "{name}: only the packages with upgrade SQL into 2.5.5 change"
        );
    }
}

#[test]
fn listener_start_twice_and_stop_twice() {
    let l = Install::new("hotdb-listener-0.0.1-linux.tar.gz");
    let port = free_port();
    l.write(
        "conf/config.properties",
        &format!("host=127.0.0.1\nport={port}\n"),
    );
    assert!(l.run(&["start"]).status.success());
    let o = l.run(&["start"]);
    assert!(
        o.status.success() && text(&o).contains("HotDB-Listener service already running (PID: "),
        "{}",
        text(&o)
    );
    let o = l.run(&["stop"]);
    assert!(
        text(&o).contains("HotDB-Listener stopped success."),
        "{}",
        text(&o)
    );
    let o = l.run(&["stop"]);
    assert!(
        o.status.success() && text(&o).contains("HotDB-Listener service not running."),
        "{}",
        text(&o)
    );
    assert!(!port_open(port));
}

#[test]
fn listener_start_fails_after_n_seconds() {
    let l = Install::new("hotdb-listener-0.0.2-linux.tar.gz");
    let port = free_port();
    l.write(
        "conf/config.properties",
        &format!("host=127.0.0.1\nport={port}\n"),
    );
    l.sim_properties("fault.start.fail.after.s=1.2\n");
    assert!(l.run(&["start"]).status.success(), "alive at the 1 s check");
    assert!(wait_for(std::time::Duration::from_secs(10), || !l
        .run(&["status"])
        .status
        .success()));
    let log = l.log("logs/listener.log");
    assert!(
        log.contains("fault injected: start fails after 1.2 s")
            && log.contains("HotDB-Listener start failed"),
        "{log}"
    );
    assert!(!port_open(port));
}
