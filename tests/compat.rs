//! The compatibility corpus: small playbooks under tests/compat/<case>/ whose
//! expected recap and file results were taken from real ansible-playbook runs.
//!
//! A case holds `playbook.yml`, optionally `inventory.ini` (default: one local
//! host `h1`), `args` (extra command-line words, one per line) and `expect`:
//!   exit: N                  the exit code
//!   recap HOST: ok=1 ...     counts that must appear in HOST's recap line
//!   stdout: TEXT             text the output must contain
//!   !stdout: TEXT            text it must not contain
//!   file PATH: TEXT          PATH (relative to the case's work dir) holds TEXT exactly
//!   nofile PATH              PATH must not exist
//! (`\n` in TEXT is a newline.)

mod common;
use common::Lab;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read case").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

fn run_case(case: &Path) -> Result<(), String> {
    let lab = Lab::new();
    copy_dir(case, lab.dir.path());
    if !lab.path("inventory.ini").exists() {
        lab.write("inventory.ini", "h1 ansible_connection=local\n");
    }
    let mut args: Vec<String> = vec![
        "run".into(),
        "playbook.yml".into(),
        "-i".into(),
        "inventory.ini".into(),
    ];
    if let Ok(extra) = std::fs::read_to_string(lab.path("args")) {
        args.extend(
            extra
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string()),
        );
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = lab.hotplay(&argv);
    let expect =
        std::fs::read_to_string(lab.path("expect")).map_err(|e| format!("no expect file: {e}"))?;
    let ctx = || format!("\n--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
    for line in expect
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        if let Some(code) = line.strip_prefix("exit: ") {
            let want: i32 = code
                .trim()
                .parse()
                .map_err(|_| format!("bad exit line {line}"))?;
            if r.code != want {
                return Err(format!("exit code {} != {want}{}", r.code, ctx()));
            }
        } else if let Some(rest) = line.strip_prefix("recap ") {
            let (host, counts) = rest
                .split_once(':')
                .ok_or(format!("bad recap line {line}"))?;
            let got = r.recap(host.trim());
            for want in counts.split_whitespace() {
                if !got.split_whitespace().any(|w| w == want) {
                    return Err(format!("recap {host} is `{got}`, wanted {want}{}", ctx()));
                }
            }
        } else if let Some(text) = line.strip_prefix("stdout: ") {
            let text = text.replace("\\n", "\n");
            if !r.stdout.contains(&text) {
                return Err(format!("stdout lacks `{text}`{}", ctx()));
            }
        } else if let Some(text) = line.strip_prefix("!stdout: ") {
            if r.stdout.contains(text) {
                return Err(format!("stdout has `{text}`{}", ctx()));
            }
        } else if let Some(rest) = line.strip_prefix("file ") {
            let (path, text) = rest
                .split_once(": ")
                .ok_or(format!("bad file line {line}"))?;
            let got = std::fs::read_to_string(lab.path(path))
                .map_err(|e| format!("{path}: {e}{}", ctx()))?;
            if got != text.replace("\\n", "\n") {
                return Err(format!("{path} holds {got:?}{}", ctx()));
            }
        } else if let Some(path) = line.strip_prefix("nofile ") {
            if lab.path(path.trim()).exists() {
                return Err(format!("{path} exists{}", ctx()));
            }
        } else {
            return Err(format!("unknown expect line: {line}"));
        }
    }
    Ok(())
}

#[test]
fn compat_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/compat")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    // COMPAT_ONLY=080,157 runs just those cases while working on them.
    if let Ok(only) = std::env::var("COMPAT_ONLY") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        cases.retain(|c| {
            let name = c.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| wanted.iter().any(|w| n.starts_with(w)))
        });
        assert!(!cases.is_empty(), "COMPAT_ONLY={only} matches no case");
    } else {
        assert!(
            cases.len() >= 40,
            "the corpus must hold at least 40 cases, has {}",
            cases.len()
        );
    }
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            run_case(c).err().map(|e| {
                format!(
                    "== {}: {e}",
                    c.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
