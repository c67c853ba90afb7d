//! `hotplay resume`: killed, interrupted and failed runs continue from each host's first
//! unfinished task with the earlier results restored; unsafe resumes are refused.

mod common;
use common::Lab;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Each task appends to the host's log, so a task that runs twice shows.
// The gate also ends once the test's directory is gone: a killed run's shell outlives it.
const SITE: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      shell: echo "first {{ inventory_hostname }}" >> log-{{ inventory_hostname }}; echo one
      register: r1
      notify: bye
    - name: remember
      set_fact:
        token: "{{ r1.stdout }}-{{ inventory_hostname }}"
    - name: gate
      shell: while [ ! -e open ] && [ -e site.yml ]; do sleep 0.1; done; echo "gate {{ inventory_hostname }}" >> log-{{ inventory_hostname }}
    - name: after
      shell: echo "after {{ token }}" >> log-{{ inventory_hostname }}
  handlers:
    - name: bye
      shell: echo "handler" >> log-{{ inventory_hostname }}
"#;

fn spawn(lab: &Lab, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(args)
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hotplay")
}

/// The journal's events so far (every run's).
fn events(lab: &Lab) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(lab.path(".journal"))
        .into_iter()
        .flatten()
        .flatten()
    {
        all.push_str(&std::fs::read_to_string(e.path().join("events.jsonl")).unwrap_or_default());
    }
    all
}

fn wait_for_event(lab: &Lab, needle: &str) {
    let start = Instant::now();
    while !events(lab).contains(needle) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no `{needle}` in the journal:\n{}",
            events(lab)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(text: &str, line: &str) -> usize {
    text.lines().filter(|l| *l == line).count()
}

#[test]
fn a_killed_run_resumes_with_registered_values_facts_and_handlers_restored() {
    let lab = Lab::new();
    lab.write("site.yml", SITE);
    lab.local_inventory(&["a", "b"]);
    let mut child = spawn(&lab, &["run", "site.yml", "-i", "hosts.ini"]);
    wait_for_event(&lab, r#""name":"gate""#);
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(count(&lab.read("log-a"), "first a"), 1);

    let list = lab.hotplay(&["audit"]);
    list.out_has("running or killed");
    std::fs::write(lab.path("open"), "").expect("open the gate");
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.assert_code(0);
    r.out_has("a: 2 task results restored (the last: 'remember' (site.yml:9:7)); runs on from the next task");
    r.out_has("changed: [a] (done in the resumed run: restored from its journal)");
    r.assert_recap("a", "ok=5 changed=4 failed=0");
    for h in ["a", "b"] {
        let log = lab.read(&format!("log-{h}"));
        assert_eq!(count(&log, &format!("first {h}")), 1, "{log}");
        assert_eq!(count(&log, &format!("gate {h}")), 1, "{log}");
        // r1 (registered) and token (set_fact) came back from the journal.
        assert_eq!(count(&log, &format!("after one-{h}")), 1, "{log}");
        // Notified before the kill, the handler runs once, after the resume.
        assert_eq!(count(&log, "handler"), 1, "{log}");
    }
    // The resumed run is a run of its own, saying where it came from.
    let runs = lab.hotplay(&["audit", "--json"]);
    assert!(
        runs.stdout.contains("\"resumed_from\": \"2"),
        "{}",
        runs.stdout
    );
    // A run that ended well has nothing to resume.
    let again = lab.hotplay(&["resume", "last", "--yes"]);
    again.assert_code(0);
    again.out_has("nothing to resume");
}

#[test]
fn a_failed_run_resumes_at_the_failed_task_after_the_fix() {
    let lab = Lab::new();
    lab.write(
        "site.yml",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      shell: echo first >> log-{{ inventory_hostname }}
    - name: needs the fix
      command: test -e fixed-{{ inventory_hostname }}
    - name: last
      shell: echo last >> log-{{ inventory_hostname }}
"#,
    );
    lab.local_inventory(&["a", "b"]);
    std::fs::write(lab.path("fixed-a"), "").expect("fix a");
    let r = lab.hotplay(&["run", "site.yml", "-i", "hosts.ini"]);
    r.assert_code(2);
    // Not a terminal, no --yes: it shows the plan and stops.
    let ask = lab.hotplay(&["resume", "last"]);
    ask.assert_code(1);
    ask.err_has("pass --yes");
    ask.out_has("b: 1 task result restored (the last: 'first' (site.yml:5:7)); runs again from 'needs the fix' (site.yml:7:7), which failed");
    ask.out_has("a: 3 task results restored");
    std::fs::write(lab.path("fixed-b"), "").expect("fix b");
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.assert_code(0);
    r.assert_recap("b", "ok=3 changed=3 failed=0");
    assert_eq!(lab.read("log-b"), "first\nlast\n");
    assert_eq!(lab.read("log-a"), "first\nlast\n");
}

#[test]
fn an_interrupted_run_resumes_at_the_task_that_did_not_run() {
    let lab = Lab::new();
    lab.write("site.yml", SITE);
    lab.local_inventory(&["a"]);
    let mut child = spawn(&lab, &["run", "site.yml", "-i", "hosts.ini"]);
    wait_for_event(&lab, r#""name":"gate""#);
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(lab.path("open"), "").expect("open the gate");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(2));
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.assert_code(0);
    r.out_has("runs again from 'after' (site.yml:14:7), which failed: interrupted by the operator");
    let log = lab.read("log-a");
    assert_eq!(
        log, "first a\ngate a\nafter one-a\nhandler\n",
        "the gate ran before the interrupt and not again"
    );
}

#[test]
fn a_rolled_back_host_or_a_changed_playbook_is_not_resumed_without_force() {
    let lab = Lab::new();
    let book = r#"
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: change
          shell: echo change >> log
        - name: break
          command: test -e fixed
      rescue:
        - name: roll back
          shell: echo rollback >> log
        - name: report
          fail:
            msg: rolled back
"#;
    lab.write("site.yml", book);
    lab.local_inventory(&["a"]);
    lab.hotplay(&["run", "site.yml", "-i", "hosts.ini"])
        .assert_code(2);
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.assert_code(1);
    r.err_has("went to the playbook's rescue");
    r.out_has("! its failure at 'break' (site.yml:8:11) went to a rescue");
    assert_eq!(lab.read("log"), "change\nrollback\n");

    lab.write("site.yml", &book.replace("echo change", "echo changed"));
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.assert_code(1);
    r.err_has("site.yml changed since run");
}

#[test]
fn secrets_stay_out_of_the_journal_and_are_given_again() {
    let lab = Lab::new();
    let secret = "Zq8-resume-secret";
    lab.write(
        "site.yml",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: uses the password
      shell: echo "{{ db_password | length }}" > len
      register: used
    - name: hidden
      command: echo {{ db_password }}
      no_log: true
      register: hidden
    - name: needs the fix
      command: test -e fixed
    - name: last
      shell: echo "{{ used.rc }} {{ hidden.rc }} {{ db_password | length }}" > last
"#,
    );
    lab.local_inventory(&["a"]);
    let pw = format!("db_password={secret}");
    lab.hotplay(&["run", "site.yml", "-i", "hosts.ini", "-e", &pw])
        .assert_code(2);
    let journal = events(&lab);
    assert!(!journal.contains(secret), "the journal holds the secret");
    for e in std::fs::read_dir(lab.path(".journal"))
        .expect("journal")
        .flatten()
    {
        let run = std::fs::read_to_string(e.path().join("run.json")).expect("run.json");
        assert!(!run.contains(secret), "run.json holds the secret");
        assert!(run.contains("\"secret_args\": true"), "{run}");
    }
    std::fs::write(lab.path("fixed"), "").expect("fix");
    // Without the secret again: the undefined variable stops the resumed run.
    let r = lab.hotplay(&["resume", "last", "--yes"]);
    r.out_has("give them again after `--`");
    assert_ne!(r.code, 0);
    // `last` is now that resumed run: resuming it restores what it restored, and the
    // no_log task (kept nowhere) runs again with the password given again.
    let r = lab.hotplay(&["resume", "last", "--yes", "--", "-e", &pw]);
    r.assert_code(0);
    assert_eq!(lab.read("last"), format!("0 0 {}\n", secret.len()));
    assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    assert!(!events(&lab).contains(secret));
}
