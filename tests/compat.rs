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
        } else if let Some(text) = line.strip_prefix("stderr: ") {
            let text = text.replace("\\n", "\n");
            if !r.stderr.contains(&text) {
                return Err(format!("stderr lacks `{text}`{}", ctx()));
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

/// The area a case belongs to, from the words of its name.
fn area(name: &str) -> &'static str {
    const AREAS: &[(&str, &[&str])] = &[
        ("Output format", &["output", "verbose", "diff", "yaml"]),
        ("Roles", &["role", "argspec", "dependenc"]),
        ("Lookups and with_*", &["lookup", "with", "query"]),
        ("Loops and retries", &["loop", "until", "retries", "items"]),
        ("Handlers", &["handler", "notify", "flush", "listen"]),
        (
            "Blocks and failures",
            &[
                "block", "rescue", "always", "fail", "ignore", "error", "fatal",
            ],
        ),
        (
            "Templating",
            &["jinja", "filter", "template", "when", "native", "test"],
        ),
        (
            "Inventory and hosts",
            &[
                "inventory",
                "host",
                "group",
                "limit",
                "pattern",
                "serial",
                "batch",
            ],
        ),
        (
            "Variables and facts",
            &["var", "fact", "precedence", "setup", "register", "prompt"],
        ),
        ("Tags and check mode", &["tag", "check", "never"]),
        ("Includes and imports", &["include", "import"]),
    ];
    let words: Vec<&str> = name.split('-').skip(1).collect();
    AREAS
        .iter()
        .find(|(_, keys)| words.iter().any(|w| keys.iter().any(|k| w.starts_with(k))))
        .map_or("Modules and keywords", |(area, _)| area)
}

/// The `# ...` lines right above each case in generate.py, by case name.
fn case_notes(generator: &str) -> std::collections::HashMap<String, String> {
    let mut notes = std::collections::HashMap::new();
    let mut pending: Vec<String> = Vec::new();
    for line in generator.lines() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix("# ") {
            pending.push(c.to_string());
        } else if let Some(rest) = t.strip_prefix("dict(name=\"") {
            let name = rest.split('"').next().unwrap_or_default().to_string();
            notes.insert(name, pending.join(" "));
            pending.clear();
        } else {
            pending.clear();
        }
    }
    notes
}

/// The differences of docs/differences.md: each top-level `- **what** why` item.
fn differences(doc: &str) -> Vec<(String, String)> {
    let mut items: Vec<String> = Vec::new();
    for line in doc.lines() {
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_string());
        } else if line.starts_with("  ") && !items.is_empty() {
            let last = items.len() - 1;
            items[last].push(' ');
            items[last].push_str(line.trim());
        } else if !line.trim().is_empty() {
            items.push(String::new());
        }
    }
    items
        .into_iter()
        .filter(|i| i.starts_with("**"))
        .map(|i| {
            let body = &i[2..];
            let (what, why) = body.split_once("**").unwrap_or((body, ""));
            let why = why.trim_start_matches(['.', ':', ' ']).trim();
            (
                what.trim_end_matches(['.', ':']).to_string(),
                why.to_string(),
            )
        })
        .collect()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// docs/compat.md as the corpus and docs/differences.md say it should read.
fn render_compat_table(root: &Path) -> String {
    let generator =
        std::fs::read_to_string(root.join("tests/compat/generate.py")).expect("generate.py");
    let notes = case_notes(&generator);
    let mut cases: Vec<String> = std::fs::read_dir(root.join("tests/compat"))
        .expect("tests/compat")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let version = std::fs::read_to_string(root.join("tests/compat").join(&cases[0]).join("expect"))
        .ok()
        .and_then(|e| {
            e.lines()
                .next()
                .and_then(|l| l.strip_prefix("# from "))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "ansible-core".into());
    let mut out = String::new();
    out.push_str("# Compatibility with Ansible\n\n");
    out.push_str("Generated by `tests/compat.rs` (`HOTPLAY_WRITE_COMPAT_MD=1 cargo test --test compat compat_table`)\n");
    out.push_str("from the differential corpus in `tests/compat/` and from `docs/differences.md`: do not edit by hand.\n\n");
    out.push_str(&format!(
        "Each case below is a small playbook run by real {version} and by hotplay on the same host; the test\n\
         suite fails unless hotplay gives the same exit code, PLAY RECAP counts, output fragments and files.\n\
         So every row of the first table is **matches**; the second table lists every known difference, with its reason.\n\n"
    ));
    out.push_str(&format!("## Verified features ({} cases)\n\n", cases.len()));
    out.push_str("| Area | Case | Status | What it checks |\n|---|---|---|---|\n");
    let mut rows: Vec<(&str, &String)> = cases.iter().map(|c| (area(c), c)).collect();
    rows.sort();
    for (a, c) in rows {
        let note = notes.get(c).cloned().unwrap_or_default();
        let note = if note.is_empty() {
            c.split_once('-')
                .map_or(c.as_str(), |x| x.1)
                .replace('-', " ")
        } else {
            note
        };
        out.push_str(&format!("| {a} | `{c}` | matches | {} |\n", cell(&note)));
    }
    let diffs = std::fs::read_to_string(root.join("docs/differences.md")).expect("differences.md");
    let diffs = differences(&diffs);
    out.push_str(&format!("\n## Known differences ({})\n\n", diffs.len()));
    out.push_str("| Feature | Status | Reason and behaviour |\n|---|---|---|\n");
    for (what, why) in diffs {
        out.push_str(&format!(
            "| {} | differs on purpose | {} |\n",
            cell(&what),
            cell(&why)
        ));
    }
    out
}

#[test]
fn compat_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let want = render_compat_table(root);
    let path = root.join("docs/compat.md");
    if std::env::var_os("HOTPLAY_WRITE_COMPAT_MD").is_some() {
        std::fs::write(&path, &want).expect("write docs/compat.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/compat.md is not what the corpus and docs/differences.md say: run \
         HOTPLAY_WRITE_COMPAT_MD=1 cargo test --test compat compat_table and commit it"
    );
}

#[test]
fn differences_are_parsed() {
    let d = differences(
        "# T\n\n- **One thing.** Because\n  it must.\n- **Two**: why\n\n## Sub\n- plain\n",
    );
    assert_eq!(
        d,
        vec![
            ("One thing".to_string(), "Because it must.".to_string()),
            ("Two".to_string(), "why".to_string())
        ]
    );
    assert_eq!(area("240-add-host"), "Inventory and hosts");
    assert_eq!(area("036-block-rescue"), "Blocks and failures");
}
