//! What every simulated program does once up: wait for TERM, honour the crash fault.

use crate::log::Log;
use crate::settings::Settings;
use crate::signal;
use std::time::{Duration, Instant};

/// Installs the TERM handler (ignored under the `fault.stop.hang` fault) and logs the fault.
pub fn prepare(log: &Log, settings: &Settings) {
    let hang = settings.flag("fault.stop.hang");
    signal::install(hang);
    if hang {
        log.fault("TERM is ignored, stop will hang");
    }
}

/// Blocks until TERM; aborts the process when `fault.crash.after.s` is due.
pub fn wait(log: &Log, settings: &Settings, mut tick: impl FnMut()) {
    let crash_at = settings
        .seconds("fault.crash.after.s")
        .map(|s| Instant::now() + Duration::from_secs_f64(s));
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if signal::terminated() {
            return;
        }
        if crash_at.is_some_and(|t| Instant::now() >= t) {
            crash(log);
        }
        tick();
    }
}

/// Sleeps `fault.start.fail.after.s` and reports the injected start failure, when set.
pub fn start_fault(log: &Log, settings: &Settings) -> bool {
    match settings.seconds("fault.start.fail.after.s") {
        Some(after) => {
            std::thread::sleep(Duration::from_secs_f64(after));
            log.fault(&format!("start fails after {after} s"));
            true
        }
        None => false,
    }
}

/// The crash fault: logs it, then dies of SIGABRT like a crashed process, without leaving a
/// core file in the install base (RLIMIT_CORE is set to 0 first).
pub fn crash(log: &Log) -> ! {
    log.fault("the process crashes now");
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit with a valid struct; it only lowers this process's own core limit.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
    }
    std::process::abort()
}
