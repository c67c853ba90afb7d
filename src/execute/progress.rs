//! Progress of a long task on one host: a ticker beside the work that reports how far
//! it got (elapsed, bytes sent) as `Event::Progress`. Reporting only: it never changes
//! what the task does or returns.

use super::events::{Event, Listener, Progress};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Nothing is reported for work that ends sooner than this.
const FIRST: Duration = Duration::from_secs(1);
/// Then one report per period.
const EVERY: Duration = Duration::from_secs(1);

/// Where one host's task reports progress.
pub struct ProgressSink<'a> {
    listener: Option<&'a dyn Listener>,
    host: String,
    task: String,
    /// no_log: what a wait waits for is not shown.
    censored: bool,
    /// Waits and transfers under way: while any runs, the plain "running" reports pause.
    specific: AtomicUsize,
}

/// How often a tracked piece of work reports.
#[derive(Clone, Copy)]
pub struct Pace {
    pub first: Duration,
    pub every: Duration,
}

impl Pace {
    pub const SECOND: Pace = Pace {
        first: FIRST,
        every: EVERY,
    };
}

impl<'a> ProgressSink<'a> {
    pub fn new(listener: &'a dyn Listener, host: &str, task: &str, censored: bool) -> Self {
        ProgressSink {
            listener: Some(listener),
            host: host.to_string(),
            task: task.to_string(),
            censored,
            specific: AtomicUsize::new(0),
        }
    }

    /// A sink that reports nothing (module unit tests).
    pub fn none() -> ProgressSink<'static> {
        ProgressSink {
            listener: None,
            host: String::new(),
            task: String::new(),
            censored: false,
            specific: AtomicUsize::new(0),
        }
    }

    pub fn report(&self, progress: Progress) {
        let Some(listener) = self.listener else {
            return;
        };
        let progress = match progress {
            Progress::Running { .. } if self.specific.load(Ordering::Relaxed) > 0 => return,
            Progress::Wait {
                elapsed_s,
                timeout_s,
                ..
            } if self.censored => Progress::Wait {
                what: "(hidden by no_log)".into(),
                elapsed_s,
                timeout_s,
            },
            p => p,
        };
        listener.event(&Event::Progress {
            host: self.host.clone(),
            task: self.task.clone(),
            progress,
        });
    }

    /// Runs `work`, reporting `make(elapsed)` at `pace` while it runs.
    pub async fn track<F: Future>(
        &self,
        work: F,
        pace: Pace,
        make: impl Fn(Duration) -> Option<Progress>,
    ) -> F::Output {
        if self.listener.is_none() {
            return work.await;
        }
        let start = Instant::now();
        let mut next = start + pace.first;
        tokio::pin!(work);
        loop {
            tokio::select! {
                biased;
                out = &mut work => return out,
                _ = tokio::time::sleep_until(next.into()) => {
                    if let Some(p) = make(start.elapsed()) {
                        self.report(p);
                    }
                    next += pace.every;
                }
            }
        }
    }

    /// `track` for a wait or a transfer: the generic "running" reports pause meanwhile.
    pub async fn track_specific<F: Future>(
        &self,
        work: F,
        pace: Pace,
        make: impl Fn(Duration) -> Option<Progress>,
    ) -> F::Output {
        struct Under<'s>(&'s AtomicUsize);
        impl Drop for Under<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.specific.fetch_add(1, Ordering::Relaxed);
        let _under = Under(&self.specific);
        self.track(work, pace, make).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Heard(Mutex<Vec<Progress>>);
    impl Listener for Heard {
        fn event(&self, e: &Event) {
            if let Event::Progress { progress, .. } = e {
                self.0.lock().unwrap().push(progress.clone());
            }
        }
    }

    fn pace(ms: u64) -> Pace {
        Pace {
            first: Duration::from_millis(ms),
            every: Duration::from_millis(ms),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn reports_while_work_runs_and_not_after() {
        let heard = Heard::default();
        let sink = ProgressSink::new(&heard, "h1", "t", false);
        let out = sink
            .track(
                tokio::time::sleep(Duration::from_millis(350)),
                pace(100),
                |e| {
                    Some(Progress::Running {
                        elapsed_s: e.as_millis() as u64,
                    })
                },
            )
            .await;
        assert_eq!(out, ());
        let got = heard.0.lock().unwrap().clone();
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn quick_work_reports_nothing() {
        let heard = Heard::default();
        let sink = ProgressSink::new(&heard, "h1", "t", false);
        sink.track(async { 7 }, Pace::SECOND, |_| {
            Some(Progress::Running { elapsed_s: 0 })
        })
        .await;
        assert!(heard.0.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn running_pauses_under_a_wait_and_no_log_hides_what() {
        let heard = Heard::default();
        let sink = ProgressSink::new(&heard, "h1", "t", true);
        let wait = sink.track_specific(
            tokio::time::sleep(Duration::from_millis(250)),
            pace(100),
            |e| {
                Some(Progress::Wait {
                    what: "port 5 secret".into(),
                    elapsed_s: e.as_secs(),
                    timeout_s: Some(9),
                })
            },
        );
        let running = sink.track(
            tokio::time::sleep(Duration::from_millis(250)),
            pace(100),
            |_| Some(Progress::Running { elapsed_s: 1 }),
        );
        tokio::join!(wait, running);
        let got = heard.0.lock().unwrap().clone();
        assert!(!got.is_empty());
        for p in &got {
            match p {
                Progress::Wait { what, .. } => assert_eq!(what, "(hidden by no_log)"),
                other => panic!("{other:?} while a wait runs"),
            }
        }
    }
}
