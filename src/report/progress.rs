//! Live progress: on a terminal, a line per host for long tasks (transfers with
//! bytes/s, waits with elapsed/timeout, retries with attempt n of m), drawn by
//! indicatif on stderr below the console output; piped, a plain line now and then.
//! It wraps the console: every other event is printed with the lines lifted, so
//! nothing is garbled however many hosts run at once.

use crate::execute::events::{Event, Listener, Progress};
use crate::parse::secrets::redact;
use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// indicatif lines on the terminal.
    Bars,
    /// Plain `[progress]` lines on stderr, a few per long task.
    Plain,
}

/// Plain mode: a host's first line this long after its first report, then one per period.
const PLAIN_FIRST: Duration = Duration::from_secs(4);
const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub struct LiveProgress {
    inner: Box<dyn Listener>,
    mode: Mode,
    multi: MultiProgress,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    lines: HashMap<String, HostLine>,
    /// Host names are padded to the longest of the play.
    width: usize,
}

struct HostLine {
    bar: Option<ProgressBar>,
    transfer: bool,
    /// The next `until` attempt and how many there are.
    attempt: Option<(u32, u32)>,
    first: Instant,
    printed: Option<Instant>,
}

impl LiveProgress {
    pub fn new(inner: Box<dyn Listener>, mode: Mode) -> LiveProgress {
        LiveProgress {
            inner,
            mode,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            state: Mutex::default(),
        }
    }

    fn clear(&self, st: &mut State, host: Option<&str>) {
        let gone: Vec<String> = match host {
            Some(h) => vec![h.to_string()],
            None => st.lines.keys().cloned().collect(),
        };
        for h in gone {
            if let Some(line) = st.lines.remove(&h)
                && let Some(bar) = line.bar
            {
                bar.finish_and_clear();
                self.multi.remove(&bar);
            }
        }
    }

    fn update(&self, st: &mut State, host: &str, task: &str, detail: String, p: Option<&Progress>) {
        let width = st.width;
        let line = line_of(st, host);
        let attempt = line
            .attempt
            .map(|(n, m)| format!(" (attempt {n} of {m})"))
            .unwrap_or_default();
        let detail = format!("{detail}{attempt}");
        let prefix = redact(&format!("{host:<width$}")).into_owned();
        match self.mode {
            Mode::Plain => {
                let text = redact(&format!("{task}: {detail}")).into_owned();
                let now = Instant::now();
                let due = match line.printed {
                    None => now.duration_since(line.first) >= PLAIN_FIRST,
                    Some(t) => now.duration_since(t) >= PLAIN_EVERY,
                };
                if due {
                    line.printed = Some(now);
                    eprintln!("[progress] {}: {text}", prefix.trim_end());
                }
            }
            Mode::Bars => {
                let transfer = matches!(p, Some(Progress::Transfer { .. }));
                let bar = line.bar.get_or_insert_with(|| {
                    let b = self.multi.add(ProgressBar::new_spinner());
                    b.enable_steady_tick(Duration::from_millis(120));
                    b.set_style(style(false));
                    b
                });
                if transfer != line.transfer {
                    line.transfer = transfer;
                    bar.set_style(style(transfer));
                }
                if let Some(Progress::Transfer { sent, total, .. }) = p {
                    bar.set_length(*total);
                    bar.set_position(*sent);
                }
                // The task's name is in the banner above: the line keeps to what changes.
                bar.set_prefix(prefix);
                bar.set_message(redact(&detail).into_owned());
            }
        }
    }
}

fn line_of<'s>(st: &'s mut State, host: &str) -> &'s mut HostLine {
    st.lines
        .entry(host.to_string())
        .or_insert_with(|| HostLine {
            bar: None,
            transfer: false,
            attempt: None,
            first: Instant::now(),
            printed: None,
        })
}

fn style(transfer: bool) -> ProgressStyle {
    let template = if transfer {
        "{spinner} {prefix} [{bar:24}] {wide_msg}"
    } else {
        "{spinner} {prefix} {wide_msg}"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("=> ")
}

/// The words of a progress line.
pub fn describe(p: &Progress) -> String {
    match p {
        Progress::Running { elapsed_s } => format!("running for {}", seconds(*elapsed_s)),
        Progress::Transfer {
            sent,
            total,
            bytes_per_sec,
        } if sent >= total => format!(
            "sent {} at {}/s, checking it on arrival",
            HumanBytes(*total),
            HumanBytes(*bytes_per_sec)
        ),
        Progress::Transfer {
            sent,
            total,
            bytes_per_sec,
        } => format!(
            "sent {} of {}, {}/s",
            HumanBytes(*sent),
            HumanBytes(*total),
            HumanBytes(*bytes_per_sec)
        ),
        Progress::Wait {
            what,
            elapsed_s,
            timeout_s,
        } => match timeout_s {
            Some(t) => format!(
                "waiting for {what}: {} of {}",
                seconds(*elapsed_s),
                seconds(*t)
            ),
            None => format!("waiting for {what}: {}", seconds(*elapsed_s)),
        },
    }
}

fn seconds(s: u64) -> String {
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

impl Listener for LiveProgress {
    fn event(&self, e: &Event) {
        let Ok(mut st) = self.state.lock() else {
            return self.inner.event(e);
        };
        match e {
            Event::Progress {
                host,
                task,
                progress,
            } => {
                self.update(&mut st, host, task, describe(progress), Some(progress));
                return;
            }
            Event::Retry {
                host,
                task,
                attempt,
                attempts,
                ..
            } => {
                line_of(&mut st, host).attempt = Some((*attempt, *attempts));
                if self.mode == Mode::Bars {
                    self.update(&mut st, host, task, "waiting to retry".into(), None);
                }
            }
            Event::HostResult(r) => self.clear(&mut st, Some(&r.host)),
            Event::PlayStart { hosts, .. } => {
                self.clear(&mut st, None);
                st.width = hosts
                    .iter()
                    .map(|h| h.chars().count())
                    .max()
                    .unwrap_or(0)
                    .min(30);
            }
            Event::TaskStart { .. } | Event::NoMoreHosts | Event::Recap { .. } => {
                self.clear(&mut st, None)
            }
            _ => {}
        }
        if self.mode == Mode::Bars && st.lines.values().any(|l| l.bar.is_some()) {
            self.multi.suspend(|| self.inner.event(e));
        } else {
            self.inner.event(e);
        }
    }
}

impl Drop for LiveProgress {
    fn drop(&mut self) {
        if let Ok(mut st) = self.state.lock() {
            let st = &mut *st;
            for (_, line) in st.lines.drain() {
                if let Some(bar) = line.bar {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_each_kind() {
        assert_eq!(
            describe(&Progress::Running { elapsed_s: 75 }),
            "running for 1m15s"
        );
        assert_eq!(
            describe(&Progress::Transfer {
                sent: 10 * 1024 * 1024,
                total: 20 * 1024 * 1024,
                bytes_per_sec: 5 * 1024 * 1024
            }),
            "sent 10.00 MiB of 20.00 MiB, 5.00 MiB/s"
        );
        assert_eq!(
            describe(&Progress::Transfer {
                sent: 2048,
                total: 2048,
                bytes_per_sec: 1024
            }),
            "sent 2.00 KiB at 1.00 KiB/s, checking it on arrival"
        );
        assert_eq!(
            describe(&Progress::Wait {
                what: "127.0.0.1:3323 started".into(),
                elapsed_s: 12,
                timeout_s: Some(300)
            }),
            "waiting for 127.0.0.1:3323 started: 12s of 5m00s"
        );
    }
}
