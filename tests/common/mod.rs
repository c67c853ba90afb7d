//! Runs the real hotplay binary on real files in a temporary directory.
#![allow(dead_code)]

pub mod netlab;
pub mod upgrade;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Lab {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The PLAY RECAP line of a host, e.g. "ok=2 changed=1 unreachable=0 failed=0 ...".
    pub fn recap(&self, host: &str) -> String {
        let after = self.stdout.split("PLAY RECAP").nth(1).unwrap_or_default();
        after
            .lines()
            .find(|l| l.split_whitespace().next() == Some(host))
            .map(|l| {
                l.split_once(':')
                    .map(|x| x.1)
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    /// Asserts the recap counts of a host: `counts` like "ok=2 changed=1 failed=0".
    pub fn assert_recap(&self, host: &str, counts: &str) {
        let recap = self.recap(host);
        for want in counts.split_whitespace() {
            assert!(
                recap.split_whitespace().any(|w| w == want),
                "recap of {host} is `{recap}`, wanted {want}\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout,
                self.stderr
            );
        }
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
    }

    pub fn out_has(&self, text: &str) {
        assert!(
            self.stdout.contains(text),
            "stdout lacks `{text}`\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
    }

    pub fn err_has(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "stderr lacks `{text}`\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
    }
}

impl Lab {
    pub fn new() -> Lab {
        Lab {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// An inventory with local hosts, written to `hosts.ini`.
    pub fn local_inventory(&self, hosts: &[&str]) -> PathBuf {
        let mut s = String::from("[all:vars]\nansible_connection=local\n\n[local]\n");
        for h in hosts {
            s.push_str(h);
            s.push('\n');
        }
        self.write("hosts.ini", &s)
    }

    pub fn hotplay(&self, args: &[&str]) -> Run {
        self.hotplay_with(env!("CARGO_BIN_EXE_hotplay"), args, &[])
    }

    /// Runs `program` (hotplay, or a link to it) with extra environment variables.
    pub fn hotplay_with(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(program)
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("ANSIBLE_CONFIG")
            // Run journals stay in the test's directory.
            .env("HOTPLAY_JOURNAL_DIR", self.path(".journal"))
            .envs(env.iter().copied())
            .output()
            .expect("run hotplay");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Writes `play.yml` and runs it against local hosts h1.. with extra args.
    pub fn play(&self, playbook: &str, hosts: &[&str], extra: &[&str]) -> Run {
        self.write("play.yml", playbook);
        self.local_inventory(hosts);
        let mut args = vec!["run", "play.yml", "-i", "hosts.ini"];
        args.extend_from_slice(extra);
        self.hotplay(&args)
    }
}

/// A stable digest of every file under `dir` (paths, modes, contents).
pub fn tree_digest(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mut entries = Vec::new();
    fn walk(d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            let kind = if meta.is_dir() {
                "d"
            } else if meta.file_type().is_symlink() {
                "l"
            } else {
                "f"
            };
            let content = if kind == "f" {
                std::fs::read(&p).unwrap_or_default()
            } else {
                Vec::new()
            };
            out.push(format!(
                "{kind} {} {:o} {:?}",
                p.display(),
                meta.permissions().mode(),
                content
            ));
            if kind == "d" {
                walk(&p, out);
            }
        }
    }
    walk(dir, &mut entries);
    entries.sort();
    entries.join("\n")
}

pub mod sshd;
