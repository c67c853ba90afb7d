//! Property tests: the parsers of user input never panic, whatever the input. Each target
//! runs HOTPLAY_FUZZ_CASES cases (default 2,000: a few seconds in the test command); for a
//! long run, e.g. `HOTPLAY_FUZZ_CASES=1000000 cargo test --release --test fuzz`. Inputs mix
//! arbitrary text with the characters each grammar cares about, so the interesting paths
//! (quotes, brackets, Jinja delimiters, escapes) are reached far more often than by chance.
//! Last long run: 2026-11-25, 1,000,000 cases per target (250,000 for INI files), release
//! build, 282 s, no panic (the first 2,000-case run had found one in the template chain
//! scanner, fixed). Failing inputs are not persisted: proptest prints the minimal one.

use hotplay::parse::{shell, vault, yaml};
use hotplay::plan::template::Templar;
use proptest::prelude::*;
use std::path::Path;

fn cases() -> u32 {
    std::env::var("HOTPLAY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Text made of a grammar's significant pieces and arbitrary characters.
fn text(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(pieces).prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
            1 => "[a-z0-9 ]{0,6}",
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

const YAML: &[&str] = &[
    "- ",
    ": ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "'",
    "\"",
    "|",
    ">",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!vault |",
    "#",
    "---\n",
    "...\n",
    "? ",
    "yes",
    "no",
    "0o7",
    "~",
    "\t",
    "\\",
    "hosts: all\n",
    "tasks:\n",
    "- name: x\n",
    "{{ x }}",
    "$ANSIBLE_VAULT;1.1;AES256\n",
];
const INI: &[&str] = &[
    "[",
    "]",
    ":children",
    ":vars",
    "\n",
    "=",
    " ",
    "'",
    "\"",
    "#",
    ";",
    "[01:10]",
    "[a:c]",
    "ansible_host=",
    "host",
    "group",
    "\\",
    "{",
    "}",
    "all",
    "ungrouped",
    "a=1",
    "[g]\n",
];
const JINJA: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "|",
    "(",
    ")",
    "[",
    "]",
    ".",
    "'",
    "\"",
    "\\",
    " if ",
    " for x in ",
    " endfor ",
    " endif ",
    "default(",
    "regex_replace(",
    "x",
    "range(",
    "*",
    "~",
    ",",
    ":",
    "==",
    " is defined",
    "lookup('env', ",
    "9999999999",
];
const SQL: &[&str] = &[
    ";",
    "'",
    "\"",
    "`",
    "\\",
    "--",
    "-- ",
    "#",
    "/*",
    "*/",
    "/*!",
    "\n",
    "DELIMITER $$\n",
    "DELIMITER ;\n",
    "$$",
    "BEGIN",
    "END",
    "CREATE PROCEDURE p() ",
    "SELECT 1",
    " ",
];
const CONFIG: &[&str] = &[
    "<property name=\"",
    "\">",
    "</property>",
    "<!-- ",
    " -->",
    "&amp;",
    "&lt;",
    "&#x41;",
    "<system>",
    "</system>",
    "k",
    "v",
    "=",
    ":",
    " ",
    "\\",
    "\\\n",
    "\n",
    "\r\n",
    "#",
    "!",
    "export ",
    "NAME=",
    "\"",
    "'",
    "$(x)",
    "\\u00e9",
    "é",
];
const SHELL: &[&str] = &[
    "'", "\"", "\\", " ", "$", "`", "(", ")", ";", "\n", "{{", "}}", "=",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_loader_never_panics(s in text(YAML)) {
        let _ = yaml::parse_str(Path::new("fuzz.yml"), &s);
    }

    #[test]
    fn templates_never_panic_or_run_away(s in text(JINJA)) {
        let t = Templar::new();
        let ctx = hotplay::plan::template::to_jinja(&serde_json::json!({"x": [1, 2], "y": "s"}));
        let _ = t.render_string(&s, &ctx);
    }

    #[test]
    fn sql_splitter_never_panics(s in text(SQL)) {
        if let Ok(stmts) = hotplay::modules::sql_split::split(&s) {
            for st in stmts {
                prop_assert!(st.line >= 1);
            }
        }
    }

    #[test]
    fn word_splitters_never_panic(s in text(SHELL)) {
        let _ = shell::shell_words(&s);
        let _ = shell::split_quoted(&s);
        let _ = shell::unquote(&s);
    }

    #[test]
    fn config_merge_parsers_never_panic_and_a_file_merged_with_itself_is_unchanged(
        old in text(CONFIG),
        new in text(CONFIG),
    ) {
        use hotplay::modules::config_formats::{Format, entries, merge};
        for f in [Format::HotdbServerXml, Format::Properties, Format::ShellVars] {
            let _ = entries(f, &old);
            let _ = merge(f, &old, &new, &[], &Default::default());
            // Merged with itself, a file means the same to its reader (the last of duplicate
            // keys wins; config_merge gives every occurrence that value), and without
            // duplicates it is byte for byte the same.
            if let Ok(m) = merge(f, &new, &new, &[], &Default::default()) {
                let seen = |t: &str| -> std::collections::BTreeMap<String, String> {
                    entries(f, t).into_iter().map(|e| (e.key, e.value)).collect()
                };
                prop_assert_eq!(seen(&m.text), seen(&new), "{:?}", f);
                let keys: Vec<String> = entries(f, &new).into_iter().map(|e| e.key).collect();
                let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
                if unique.len() == keys.len() {
                    prop_assert_eq!(&m.text, &new, "{:?}", f);
                }
            }
        }
    }

    #[test]
    fn vault_decoding_never_panics(s in text(&["$ANSIBLE_VAULT;1.1;AES256\n", "$ANSIBLE_VAULT;1.2;AES256;id\n", "0a", "30", "31", "\n", "zz", "6", "ff"])) {
        let secret = vault::VaultSecret { id: "default".into(), password: b"pw".to_vec() };
        let _ = vault::decrypt(&s, &[secret]);
    }
}

/// INI inventories go through a file, as the loader reads them; fewer cases (file I/O).
#[test]
fn ini_inventory_loader_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("hosts");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: (cases() / 4).max(100),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&text(INI), |s| {
            std::fs::write(&path, &s).expect("write");
            let _ = hotplay::parse::inventory::Inventory::load(std::slice::from_ref(&path));
            Ok(())
        })
        .expect("no panic");
}
