//! Injected faults of the management platform and of HotDB Backup (`conf/sim.properties`):
//! start fails after N s, crash after N s, hang on stop. Each writes its `fault injected:`
//! log line (needs root: MariaDB of the test's own). The upgrade-SQL fault of the platform is
//! in platform.rs; the compute node's faults are in ha_and_faults.rs.

mod common;

use common::platform::*;
use common::*;
use hotdb_sim::catalog::Version;

const MP_LOG: &str = "logs/hotdb-management.log";
const BK_LOG: &str = "logs/hotdb_backup.log";

fn ready_platform(db: &str, sim: &str) -> Platform {
    cloud_db(db, Some(Version(2, 5, 4)));
    let p = platform("2.5.4", "20190812", db);
    p.inst.sim_properties(sim);
    p
}

fn kill9(inst: &Install) {
    let pid = inst.pid().expect("pid file");
    // SAFETY: kill -9 of a daemon this test started (the escalation a playbook does).
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

#[test]
fn management_start_fails_after_n_seconds() {
    let p = ready_platform(
        "mpf_start",
        "start.delay.ms=200\nfault.start.fail.after.s=1.5\n",
    );
    let out = p.inst.run(&["start"]);
    assert!(
        out.status.success(),
        "the script sees a live process at first: {}",
        text(&out)
    );
    assert!(wait_for(WAIT, || !p.inst.run(&["status"]).status.success()));
    let log = p.inst.log(MP_LOG);
    assert!(
        log.contains("[WARN] [FAULT] fault injected: start fails after 1.5 s"),
        "{log}"
    );
    assert!(log.contains("HotDB-management start failed"), "{log}");
    assert!(!port_open(p.http) && !port_open(p.backup));
}

#[test]
fn management_crashes_after_n_seconds() {
    let p = ready_platform("mpf_crash", "start.delay.ms=200\nfault.crash.after.s=1\n");
    start_ok(&p.inst, p.http, MP_LOG);
    assert!(wait_port(p.http, false, WAIT), "{}", p.inst.log(MP_LOG));
    assert!(!port_open(p.backup));
    assert!(
        p.inst
            .log(MP_LOG)
            .contains("fault injected: the process crashes now")
    );
    assert!(p.inst.pid().is_some(), "a crash leaves the pid file behind");
    let out = p.inst.run(&["status"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        !p.inst.path("core").exists(),
        "no core file in the install base"
    );
    // The next start works (the stale pid file is not a running process).
    p.inst.sim_properties("start.delay.ms=200\n");
    start_ok(&p.inst, p.http, MP_LOG);
    assert!(p.inst.run(&["stop"]).status.success());
}

#[test]
fn management_stop_hangs_until_escalated() {
    let p = ready_platform("mpf_hang", "start.delay.ms=200\nfault.stop.hang=true\n");
    p.inst.set_script_var("STOP_TIMEOUT", "2");
    start_ok(&p.inst, p.http, MP_LOG);
    let out = p.inst.run(&["stop"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("HotDB-management (PID: ")
            && text(&out).contains("did not stop within 2 s"),
        "{}",
        text(&out)
    );
    assert!(port_open(p.http), "still serving after the TERM");
    assert!(
        p.inst
            .log(MP_LOG)
            .contains("fault injected: TERM is ignored, stop will hang")
    );
    kill9(&p.inst);
    assert!(wait_port(p.http, false, WAIT));
}

fn agent(sim: &str) -> Install {
    let a = Install::new("hotdb-backup-2.1-20200611.tar.gz");
    a.sim_properties(sim);
    a
}

#[test]
fn backup_start_fails_after_n_seconds() {
    let a = agent("fault.start.fail.after.s=1.5\n");
    let port = free_port().to_string();
    let out = a.run(&["start", "-h", "127.0.0.1", "-p", &port]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(wait_for(WAIT, || !a.run(&["status"]).status.success()));
    let log = a.log(BK_LOG);
    assert!(
        log.contains("fault injected: start fails after 1.5 s")
            && log.contains("HotDB-backup start failed"),
        "{log}"
    );
}

#[test]
fn backup_crashes_and_hangs_on_stop() {
    let p = ready_platform("bkf", "start.delay.ms=200\n");
    start_ok(&p.inst, p.http, MP_LOG);
    let a = agent("fault.stop.hang=true\nfault.crash.after.s=4\n");
    a.set_script_var("STOP_TIMEOUT", "1");
    let port = p.backup.to_string();
    let out = a.run(&["start", "-h", "127.0.0.1", "-p", &port]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(wait_for(WAIT, || get(p.http, "/backup/agents")
        .contains("hotdb-backup 2.1")));
    let out = a.run(&["stop"]);
    assert!(
        !out.status.success() && text(&out).contains("HotDB-backup (PID: "),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("did not stop within 1 s"));
    // Still connected after the ignored TERM; gone once it crashes.
    assert!(get(p.http, "/backup/agents").contains("hotdb-backup 2.1"));
    assert!(wait_for(WAIT, || !a.run(&["status"]).status.success()));
    assert!(wait_for(WAIT, || !get(p.http, "/backup/agents")
        .contains("hotdb-backup")));
    let log = a.log(BK_LOG);
    assert!(
        log.contains("fault injected: TERM is ignored, stop will hang")
            && log.contains("fault injected: the process crashes now"),
        "{log}"
    );
    assert!(a.pid().is_some(), "a crash leaves the pid file behind");
    p.inst.run(&["stop"]);
}
