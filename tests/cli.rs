//! Command-line behaviour: listings, inventory output, limits, extra vars, config, exit codes.

mod common;
use common::Lab;

const INV: &str = "[db]\ndb[1:3] ansible_connection=local\n[web]\nweb1 ansible_connection=local\n[all:vars]\nzone=lab\n";

#[test]
fn list_hosts_with_limit_and_limit_file() {
    let lab = Lab::new();
    lab.write("hosts", INV);
    lab.write("play.yml", "- hosts: db:web\n  tasks:\n    - ping:\n");
    let r = lab.hotplay(&[
        "play.yml",
        "-i",
        "hosts",
        "--list-hosts",
        "--limit",
        "db[0:1]:web1",
    ]);
    r.assert_code(0);
    r.out_has("hosts (3):");
    r.out_has("      db1\n      db2\n      web1");
    lab.write("limit.txt", "db3\n");
    let r = lab.hotplay(&[
        "play.yml",
        "-i",
        "hosts",
        "--list-hosts",
        "--limit",
        "@limit.txt",
    ]);
    r.out_has("hosts (1):\n      db3");
}

#[test]
fn limit_restricts_the_run() {
    let lab = Lab::new();
    lab.write("hosts", INV);
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug: msg=\"{{ zone }} {{ inventory_hostname }}\"\n");
    let r = lab.hotplay(&["run", "play.yml", "-i", "hosts", "-l", "db2"]);
    r.assert_code(0);
    r.out_has("lab db2");
    assert!(!r.stdout.contains("db1"), "{}", r.stdout);
}

#[test]
fn inventory_list_graph_host() {
    let lab = Lab::new();
    lab.write("hosts", INV);
    lab.write("host_vars/web1.yml", "role: frontend\n");
    let r = lab.hotplay(&["inventory", "-i", "hosts", "--list"]);
    r.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["db"]["hosts"], serde_json::json!(["db1", "db2", "db3"]));
    assert_eq!(v["_meta"]["hostvars"]["web1"]["role"], "frontend");
    assert_eq!(v["_meta"]["hostvars"]["db1"]["zone"], "lab");
    let r = lab.hotplay(&["inventory", "-i", "hosts", "--graph", "nope"]);
    r.assert_code(5);
    assert!(r.stderr.contains("valid group name"), "{}", r.stderr);
    let r = lab.hotplay(&["inventory", "-i", "hosts", "--graph"]);
    assert_eq!(
        r.stdout,
        "@all:\n  |--@ungrouped:\n  |--@db:\n  |  |--db1\n  |  |--db2\n  |  |--db3\n  |--@web:\n  |  |--web1\n"
    );
    let r = lab.hotplay(&["inventory", "-i", "hosts", "--host", "web1"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["role"], "frontend");
    let r = lab.hotplay(&["inventory", "-i", "nothere.ini", "--list"]);
    r.assert_code(1);
    r.err_has("does not exist");
}

#[test]
fn inventory_errors_name_the_line() {
    let lab = Lab::new();
    lab.write("hosts", "[db]\nh1\n[db:childs]\nx\n");
    let r = lab.hotplay(&["inventory", "-i", "hosts", "--list"]);
    r.assert_code(1);
    r.err_has("hosts:3:1");
    r.err_has("unknown section suffix `:childs`");
}

#[test]
fn extra_vars_from_file_json_and_kv() {
    let lab = Lab::new();
    lab.write("ev.yml", "from_file: f\n");
    let r = lab.play(
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug: msg=\"{{ from_file }} {{ j.k }} {{ kv }}\"\n",
        &["h1"],
        &["-e", "@ev.yml", "-e", "{\"j\": {\"k\": 2}}", "-e", "kv=3"],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"f 2 3\"");
}

#[test]
fn ansible_cfg_inventory_and_forks() {
    let lab = Lab::new();
    lab.write("ansible.cfg", "[defaults]\ninventory = hosts\nforks = 3\n");
    lab.write("hosts", "h1 ansible_connection=local\n");
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug: msg=\"from cfg\"\n",
    );
    let r = lab.hotplay(&["play.yml"]);
    r.assert_code(0);
    r.out_has("from cfg");
}

#[test]
fn start_at_task_skips_earlier_tasks() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: first\n      debug: msg=one\n    - name: second\n      debug: msg=two\n",
        &["h1"],
        &["--start-at-task", "second"],
    );
    r.assert_code(0);
    r.out_has("two");
    assert!(!r.stdout.contains("\"one\""));
}

#[test]
fn step_asks_before_each_task() {
    let lab = Lab::new();
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug: msg=one\n    - debug: msg=two\n",
    );
    lab.local_inventory(&["h1"]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(["play.yml", "-i", "hosts.ini", "--step"])
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"n\ny\n")
        .expect("answer");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"two\"") && !stdout.contains("\"one\""),
        "{stdout}"
    );
}

#[test]
fn unreachable_hosts_exit_4_and_others_go_on() {
    let lab = Lab::new();
    lab.write(
        "hosts",
        "ok1 ansible_connection=local\nfar ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n",
    );
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: /bin/true\n    - debug: msg=\"still {{ inventory_hostname }}\"\n");
    let r = lab.hotplay(&["play.yml", "-i", "hosts"]);
    r.assert_code(4);
    r.out_has("fatal: [far]: UNREACHABLE!");
    r.out_has("still ok1");
    r.assert_recap("far", "unreachable=1 failed=0");
    lab.write("play2.yml", "- hosts: all\n  gather_facts: no\n  ignore_unreachable: true\n  tasks:\n    - command: /bin/true\n    - debug: msg=\"still {{ inventory_hostname }}\"\n");
    let r = lab.hotplay(&["play2.yml", "-i", "hosts"]);
    r.out_has("still far");
}

#[test]
fn many_hosts_list_quickly() {
    let lab = Lab::new();
    let mut inv = String::from("[big]\n");
    for i in 0..1000 {
        inv.push_str(&format!("node{i:04} ansible_connection=local\n"));
    }
    lab.write("hosts", &inv);
    lab.write("play.yml", "- hosts: big\n  tasks:\n    - ping:\n");
    let r = lab.hotplay(&["play.yml", "-i", "hosts", "--list-hosts"]);
    r.assert_code(0);
    r.out_has("hosts (1000):");
}

#[test]
fn forks_bound_parallelism_and_order() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: no\n  order: reverse_inventory\n  strategy: free\n  tasks:\n    - debug: msg=\"{{ ansible_play_hosts | join(',') }}\"\n      run_once: true\n",
        &["h1", "h2", "h3"],
        &["-f", "1"],
    );
    r.assert_code(0);
    r.out_has("h3,h2,h1");
}

#[test]
fn task_check_mode_no_runs_in_check() {
    let lab = Lab::new();
    let marker = lab.path("ran");
    let r = lab.play(
        &"- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch MARK\n      check_mode: no\n    - command: touch MARK-2\n".replace("MARK", &marker.display().to_string()),
        &["h1"],
        &["--check"],
    );
    r.assert_code(0);
    assert!(marker.exists());
    assert!(!lab.path("ran-2").exists());
}

#[test]
fn delegate_facts_and_timeout() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - set_fact: {given: yes}
      delegate_to: h2
      delegate_facts: true
      when: inventory_hostname == 'h1'
    - debug: msg="{{ inventory_hostname }} {{ given | default('no') }}"
    - command: sleep 5
      timeout: 1
      ignore_errors: yes
      register: t
    - assert:
        that: "'timeout' in t.msg"
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("h2 True");
    r.out_has("h1 no");
}

#[test]
fn ansible_cfg_and_env_settings_are_honoured_and_dumped() {
    let lab = Lab::new();
    lab.local_inventory(&["h1"]);
    lab.write(
        "ansible.cfg",
        "[defaults]\ngathering = explicit\ndisplay_skipped_hosts = False\nforks = 3\n[inventory]\nhost_pattern_mismatch = warning\n",
    );
    lab.write(
        "play.yml",
        "- hosts: local:nosuchgroup\n  tasks:\n    - debug: msg=\"{{ ansible_facts | length }}\"\n    - debug: msg=never\n      when: false\n",
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(0);
    // gathering = explicit: no Gathering Facts task; skipped hosts not shown.
    assert!(!r.stdout.contains("Gathering Facts"), "{}", r.stdout);
    r.out_has("\"msg\": \"0\"");
    assert!(!r.stdout.contains("skipping: [h1]"), "{}", r.stdout);
    r.err_has("Could not match supplied host pattern, ignoring: nosuchgroup");
    // The environment beats the file: a mismatch becomes an error.
    let r = lab.hotplay_with(
        env!("CARGO_BIN_EXE_hotplay"),
        &["play.yml", "-i", "hosts.ini"],
        &[("ANSIBLE_HOST_PATTERN_MISMATCH", "error")],
    );
    r.assert_code(1);
    r.err_has("nosuchgroup");
    let r = lab.hotplay_with(
        env!("CARGO_BIN_EXE_hotplay"),
        &["config", "dump", "--only-changed"],
        &[("ANSIBLE_FORKS", "7")],
    );
    r.assert_code(0);
    r.out_has("DEFAULT_FORKS(env: ANSIBLE_FORKS) = 7");
    r.out_has("DEFAULT_GATHERING(");
    r.out_has("ansible.cfg) = explicit");
    // A bad value names its source.
    lab.write("ansible.cfg", "[defaults]\nforks = lots\n");
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(1);
    r.err_has("ansible.cfg: DEFAULT_FORKS (defaults.forks) must be a number");
}

#[test]
fn yaml_result_format_and_standing_in_for_ansible_playbook() {
    let lab = Lab::new();
    lab.local_inventory(&["h1"]);
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: echo hi\n    - debug: msg=hello\n",
    );
    let link = lab.path("ansible-playbook");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hotplay"), &link).expect("link");
    let r = lab.hotplay_with(
        link.to_str().expect("utf8"),
        &["play.yml", "-i", "hosts.ini", "-v"],
        &[("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml")],
    );
    r.assert_code(0);
    r.out_has("changed: [h1] => \n    changed: true\n    cmd:\n    - echo\n    - hi\n");
    r.out_has("    stdout: hi\n    stdout_lines: <omitted>\n");
    r.out_has("ok: [h1] => \n    msg: hello\n");
}

#[test]
fn completions_for_each_shell() {
    let lab = Lab::new();
    for shell in ["bash", "zsh", "fish"] {
        let r = lab.hotplay(&["completions", shell]);
        r.assert_code(0);
        r.out_has("vault-password-file");
        r.out_has("syntax-check");
    }
    let r = lab.hotplay(&["completions", "tcsh"]);
    r.assert_code(5);
}

#[test]
fn every_run_is_journaled_and_audit_shows_it_without_secrets() {
    let lab = Lab::new();
    let run = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: write the config\n      copy:\n        dest: \"{{ playbook_dir }}/out.conf\"\n        content: \"user=app\\n\"\n      tags: [C-UNPACK]\n    - name: refuse\n      fail:\n        msg: \"stop here (password {{ db_password }})\"\n",
        &["h1"],
        &["-e", "db_password=Sup3r-Secret-77", "-e", "target=2.5.6"],
    );
    run.assert_code(2);
    run.err_has("run journal: ");
    run.err_has("(hotplay audit ");
    let root = lab.path(".journal");
    let ids: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let dir = root.join(&ids[0]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for f in ["run.json", "events.jsonl"] {
        let meta = std::fs::metadata(dir.join(f)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{f}");
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(
            !text.contains("Sup3r-Secret-77"),
            "{f} leaks the secret: {text}"
        );
    }
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(record["exit_code"], 2);
    assert_eq!(record["changes"], 1);
    assert_eq!(record["failures"], 1);
    assert!(
        record["extra_vars"].to_string().contains("target=2.5.6"),
        "{record}"
    );

    let list = lab.hotplay(&["audit"]);
    list.assert_code(0);
    list.out_has(&ids[0]);
    list.out_has("failed (2)");
    list.out_has("play.yml");
    let show = lab.hotplay(&["audit", &ids[0]]);
    show.assert_code(0);
    show.out_has("changed     h1");
    show.out_has("write the config [C-UNPACK]");
    show.out_has("failed      h1");
    show.out_has("stop here (password ********)");
    assert!(!show.stdout.contains("Sup3r-Secret-77"), "{}", show.stdout);
    let missing = lab.hotplay(&["audit", "nope"]);
    missing.assert_code(1);
    missing.err_has("no run nope");

    // --no-journal writes none; --journal DIR writes there.
    lab.hotplay(&[
        "run",
        "play.yml",
        "-i",
        "hosts.ini",
        "--no-journal",
        "-e",
        "db_password=x1234567",
    ]);
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
    lab.hotplay(&[
        "run",
        "play.yml",
        "-i",
        "hosts.ini",
        "--journal",
        "elsewhere",
        "-e",
        "db_password=x1234567",
    ]);
    assert_eq!(std::fs::read_dir(lab.path("elsewhere")).unwrap().count(), 1);
}

#[test]
fn check_runs_only_the_preflight_tasks_in_check_mode_and_tables_them() {
    let lab = Lab::new();
    let run = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: enough disk\n      assert:\n        that: inventory_hostname != 'h2'\n        fail_msg: \"{{ inventory_hostname }} has too little space\"\n      tags: [preflight]\n    - name: the real work\n      copy:\n        dest: \"{{ playbook_dir }}/{{ inventory_hostname }}.done\"\n        content: done\n    - name: facts\n      debug: msg=always\n      tags: [always]\n",
        &["h1", "h2"],
        &[],
    );
    run.assert_code(2);
    std::fs::remove_file(lab.path("h1.done")).unwrap();
    let check = lab.hotplay(&["check", "play.yml", "-i", "hosts.ini"]);
    check.assert_code(2);
    check.out_has("h2\n  FAIL  enough disk  h2 has too little space");
    check.out_has("h1\n  OK    enough disk");
    check.out_has("OK    facts");
    check.out_has("preflight: 2 OK, 0 WARN, 1 FAIL");
    assert!(!check.stdout.contains("the real work"), "{}", check.stdout);
    assert!(!lab.path("h1.done").exists(), "check ran a change");
}

#[test]
fn the_first_interrupt_fails_the_next_tasks_so_the_rescue_runs() {
    let lab = Lab::new();
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n        - name: running when interrupted\n          shell: sleep 2 && touch {{ playbook_dir }}/first.done\n        - name: never runs\n          shell: touch {{ playbook_dir }}/second.done\n      rescue:\n        - name: roll back\n          shell: touch {{ playbook_dir }}/rolled.back\n        - name: roll back more\n          block:\n            - shell: touch {{ playbook_dir }}/rolled.back.2\n    - name: after the block\n      shell: touch {{ playbook_dir }}/after.done\n",
    );
    lab.local_inventory(&["h1"]);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(["run", "play.yml", "-i", "hosts.ini"])
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    // SAFETY: signalling the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Interrupted: the running tasks finish"),
        "{stderr}"
    );
    assert!(
        lab.path("first.done").exists(),
        "the running task was cut short:\n{stdout}"
    );
    assert!(!lab.path("second.done").exists(), "{stdout}");
    assert!(
        lab.path("rolled.back").exists() && lab.path("rolled.back.2").exists(),
        "{stdout}"
    );
    assert!(!lab.path("after.done").exists(), "{stdout}");
    assert!(stdout.contains("interrupted by the operator"), "{stdout}");
}

const PROMPT_PLAY: &str = "- hosts: all\n  gather_facts: false\n  vars_prompt:\n    - name: answer\n      prompt: What?\n      default: forty\n      private: false\n    - name: secret_pw\n      prompt: Password\n      default: s3cretvalue\n  tasks:\n    - debug: msg=\"{{ answer }} {{ secret_pw | length }}\"\n";

#[test]
fn vars_prompt_without_a_terminal_takes_defaults_and_extra_vars_win() {
    let lab = Lab::new();
    let r = lab.play(PROMPT_PLAY, &["h1"], &[]);
    r.assert_code(0);
    r.err_has("[WARNING]: Not prompting as we are not in interactive mode");
    r.out_has("\"msg\": \"forty 11\"");
    let r = lab.play(PROMPT_PLAY, &["h1"], &["-e", "answer=given"]);
    r.out_has("\"msg\": \"given 11\"");
    // A bad entry is an error at load time.
    let r = lab.play(
        "- hosts: all\n  vars_prompt:\n    - prompt: no name\n  tasks: []\n",
        &["h1"],
        &[],
    );
    r.assert_code(4);
    r.err_has("this vars_prompt entry has no `name`");
}

#[test]
fn vars_prompt_asks_on_the_terminal_without_echoing_private_answers() {
    let lab = Lab::new();
    lab.write("play.yml", PROMPT_PLAY);
    lab.local_inventory(&["h1"]);
    let cmd = format!(
        "(sleep 2; printf 'typed\\n'; sleep 2; printf 'pw-secret-42\\n'; sleep 3) | script -qfc '{} run play.yml -i hosts.ini' /dev/null",
        env!("CARGO_BIN_EXE_hotplay")
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("What? [forty]: "), "{text}");
    assert!(text.contains("Password [s3cretvalue]: "), "{text}");
    assert!(text.contains("\"msg\": \"typed 12\""), "{text}");
    assert!(
        !text.contains("pw-secret-42"),
        "the private answer was echoed: {text}"
    );
}
