//! Live progress of long tasks: indicatif lines on a real terminal (a pty made by
//! `script`), plain `[progress]` lines on stderr when piped, JSON progress events,
//! and none with --no-progress. The console output around them stays intact.

mod common;
use common::Lab;
use std::process::{Command, Stdio};

const LONG: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: wait for a file that never comes
      wait_for: path=/nonexistent/hotplay-progress timeout=3
      ignore_errors: true
    - name: retry until it works
      shell: "false"
      register: r
      until: r.rc == 0
      retries: 2
      delay: 1
      ignore_errors: true
    - name: slow command
      shell: sleep 2.5
"#;

/// Runs hotplay on a pseudo-terminal; returns what the terminal showed, escape
/// sequences removed, each line as it ended up after carriage returns.
fn on_terminal(lab: &Lab, args: &[&str]) -> (i32, Vec<String>, String) {
    let bin = env!("CARGO_BIN_EXE_hotplay");
    let cmd = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    // A terminal wide enough that no live line is cut short.
    let cmd = format!("stty cols 160 rows 40; {cmd}");
    let out = Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from bsdutils");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let plain = strip_escapes(&raw);
    let lines = plain
        .split('\n')
        .map(|l| {
            l.rsplit('\r')
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    (out.status.code().unwrap_or(-1), lines, plain)
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn a_terminal_shows_waits_retries_and_running_time_per_host() {
    let lab = Lab::new();
    lab.write("play.yml", LONG);
    lab.local_inventory(&["h1", "h2", "h3"]);
    let (code, lines, all) = on_terminal(&lab, &["run", "play.yml", "-i", "hosts.ini"]);
    let ctx = format!("\n--- terminal\n{all}");
    assert_eq!(code, 0, "{ctx}");
    for want in [
        "h1 waiting for file /nonexistent/hotplay-progress (started): 1s of 3s",
        "h3 waiting for file /nonexistent/hotplay-progress (started): 2s of 3s",
        "h2 waiting to retry (attempt 2 of 3)",
        "h2 waiting to retry (attempt 3 of 3)",
        "h1 running for 2s",
    ] {
        assert!(all.contains(want), "terminal lacks `{want}`{ctx}");
    }
    // Every host's result and recap line arrives whole, on a line of its own.
    for h in ["h1", "h2", "h3"] {
        assert!(
            lines.iter().any(|l| l == &format!("changed: [{h}]")),
            "no clean result line for {h}{ctx}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(h) && l.contains("ok=3") && l.contains("ignored=2")),
            "no clean recap line for {h}{ctx}"
        );
    }
    // The live lines are gone once the run ends: the screen's last line is the recap's.
    let last = lines.iter().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(last.starts_with("h3"), "last line `{last}`{ctx}");
}

#[test]
fn no_progress_draws_nothing_on_a_terminal() {
    let lab = Lab::new();
    lab.write("play.yml", LONG);
    lab.local_inventory(&["h1"]);
    let (code, _, all) = on_terminal(
        &lab,
        &["run", "play.yml", "-i", "hosts.ini", "--no-progress"],
    );
    assert_eq!(code, 0, "{all}");
    for word in ["(started): 1s", "attempt 2 of 3", "running for"] {
        assert!(!all.contains(word), "`{word}` with --no-progress:\n{all}");
    }
}

const SLOW: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: sleep 6
"#;

#[test]
fn piped_runs_get_a_few_plain_lines_on_stderr_only() {
    let lab = Lab::new();
    let r = lab.play(SLOW, &["h1", "h2"], &[]);
    r.assert_code(0);
    r.err_has("[progress] h1: slow: running for ");
    r.err_has("[progress] h2: slow: running for ");
    assert!(!r.stdout.contains("[progress]"), "{}", r.stdout);
    // Once per host in six seconds, not once per tick.
    assert_eq!(r.stderr.matches("[progress]").count(), 2, "{}", r.stderr);
    let quiet = lab.play(SLOW, &["h1"], &["--no-progress"]);
    quiet.assert_code(0);
    assert!(!quiet.stderr.contains("[progress]"), "{}", quiet.stderr);
}

#[test]
fn json_output_carries_progress_events() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: wait\n      wait_for: path=/nonexistent/x timeout=2\n      ignore_errors: true\n      no_log: true\n",
        &["h1"],
        &["--format", "json"],
    );
    r.assert_code(0);
    let waits: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["event"] == "progress")
        .collect();
    assert!(!waits.is_empty(), "{}", r.stdout);
    for w in &waits {
        assert_eq!(w["kind"], "wait", "{w}");
        assert_eq!(w["host"], "h1", "{w}");
        assert_eq!(w["timeout_s"], 2, "{w}");
        // no_log: what the task waits for is not shown.
        assert_eq!(w["what"], "(hidden by no_log)", "{w}");
    }
}
