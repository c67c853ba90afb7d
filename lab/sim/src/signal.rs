//! SIGTERM as a flag the main loop polls, so a stop is logged and ports close in order.

use std::sync::atomic::{AtomicBool, Ordering};

static TERM: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_: libc::c_int) {
    TERM.store(true, Ordering::SeqCst);
}

/// Installs the handler; with `ignore`, TERM is ignored (the "hang on stop" fault).
pub fn install(ignore: bool) {
    let handler = if ignore {
        libc::SIG_IGN
    } else {
        on_term as *const () as libc::sighandler_t
    };
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

pub fn terminated() -> bool {
    TERM.load(Ordering::SeqCst)
}
