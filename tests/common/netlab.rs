//! The HotDB lab (`hotplay lab`) for end-to-end tests, as root: up, status, down with proof
//! that nothing is left, torn down by a Drop guard.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn hotplay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotplay"))
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `hotplay lab` that is torn down when dropped (also when the test fails).
pub struct NetLab {
    pub dir: PathBuf,
}

impl NetLab {
    pub fn up(name: &str, topology: &str, subnet: &str) -> NetLab {
        Self::up_at(name, topology, subnet, "2.5.3")
    }

    /// A lab whose components start at `version`.
    pub fn up_at(name: &str, topology: &str, subnet: &str, version: &str) -> NetLab {
        let dir = PathBuf::from(format!(
            "/var/lib/hotplay-lab/test-{name}-{}",
            std::process::id()
        ));
        let lab = NetLab { dir };
        let out = lab.cmd(&[
            "up",
            "--topology",
            topology,
            "--subnet",
            subnet,
            "--version",
            version,
        ]);
        assert!(out.status.success(), "lab up: {}", text(&out));
        lab
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
        // `--dir` right after the subcommand: `ssh` takes every later word as its command.
        hotplay()
            .arg("lab")
            .arg(args[0])
            .arg("--dir")
            .arg(&self.dir)
            .args(&args[1..])
            .output()
            .expect("run hotplay lab")
    }

    pub fn status(&self) -> Value {
        let out = self.cmd(&["status", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("lab.json")).unwrap()).unwrap()
    }

    /// `down`, then proof that no namespace, link, process, mount or directory is left.
    pub fn down_and_check(&self) {
        let state = self.state();
        let prefix = state["prefix"].as_str().unwrap().to_string();
        let out = self.cmd(&["down"]);
        assert!(out.status.success(), "lab down: {}", text(&out));
        let netns = Command::new("ip").args(["netns", "list"]).output().unwrap();
        assert!(
            !text(&netns).contains(&prefix),
            "namespaces left: {}",
            text(&netns)
        );
        let links = Command::new("ip").args(["-o", "link"]).output().unwrap();
        assert!(
            !text(&links).contains(&prefix),
            "links left: {}",
            text(&links)
        );
        for r in state["resources"].as_array().unwrap() {
            if r["kind"] == "process" {
                let pid = r["pid"].as_i64().unwrap();
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let fields: Vec<&str> = stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                let same =
                    fields.get(19).and_then(|s| s.parse::<u64>().ok()) == r["start_time"].as_u64();
                // A zombie is gone for every purpose (some containers' init never reaps).
                assert!(!same || fields.first() == Some(&"Z"), "process left: {r}");
            }
        }
        let dir = self.dir.display().to_string();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(m) = std::fs::read_to_string(e.path().join("mountinfo")) {
                assert!(
                    !m.contains(&dir),
                    "a mount of {dir} is left in {}",
                    e.path().display()
                );
            }
        }
        assert!(!self.dir.exists(), "{dir} is left");
        let again = self.cmd(&["down"]);
        assert!(
            again.status.success() && text(&again).contains("nothing to remove"),
            "{}",
            text(&again)
        );
    }
}

impl Drop for NetLab {
    fn drop(&mut self) {
        let _ = self.cmd(&["down"]);
    }
}

pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}

pub fn component<'a>(status: &'a Value, host: &str, name: &str) -> &'a Value {
    let h = status["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .unwrap();
    h["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
}
