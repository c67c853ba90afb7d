//! Bad input: each class of mistake gives its error at the right line and column,
//! exit code 4 for a playbook that cannot be loaded (ansible-playbook's parser-error code; 5 for bad options), and never a panic.

mod common;
use common::Lab;

fn expect_error(playbook: &str, location: &str, words: &[&str]) {
    let lab = Lab::new();
    let r = lab.play(playbook, &["h1"], &[]);
    assert_eq!(r.code, 4, "exit code\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.starts_with("ERROR!"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("play.yml:{location}")),
        "wanted play.yml:{location} in\n{}",
        r.stderr
    );
    for w in words {
        assert!(r.stderr.contains(w), "wanted `{w}` in\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn unknown_task_keyword_suggests() {
    expect_error(
        "- hosts: all\n  tasks:\n    - shell: echo\n      registr: x\n",
        "4:7",
        &["registr", "did you mean `register`?", "      registr: x"],
    );
}

#[test]
fn unknown_play_keyword_suggests() {
    expect_error(
        "- hosts: all\n  taks:\n    - ping:\n",
        "2:3",
        &[
            "`taks` is not a valid play keyword",
            "did you mean `tasks`?",
        ],
    );
}

#[test]
fn unknown_module_suggests() {
    expect_error(
        "- hosts: all\n  tasks:\n    - name: x\n      shel: echo hi\n",
        "4:7",
        &[
            "couldn't resolve module/action `shel`",
            "did you mean `shell`?",
        ],
    );
}

#[test]
fn notify_naming_no_handler_is_an_error_before_the_run() {
    expect_error(
        "- hosts: all\n  tasks:\n    - name: conf\n      command: touch never-made\n      notify: restart hotdb\n  handlers:\n    - name: restart hotbd\n      command: echo\n    - name: other\n      command: echo\n      listen: reload all\n",
        "3:7",
        &[
            "task 'conf' notifies 'restart hotdb', but no handler of this play has that name",
            "did you mean `restart hotbd`?",
        ],
    );
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo\n      notify: [reload all, h]\n  handlers:\n    - name: h\n      debug: msg=h\n    - debug: msg=listener\n      listen: reload all\n",
        &["h1"],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("\"msg\": \"listener\""), "{}", r.stdout);
}

/// A collection's module, filter or lookup is named as such, in one line.
#[test]
fn collection_plugins_are_named_as_unsupported() {
    expect_error(
        "- hosts: all\n  tasks:\n    - community.general.copy: content=x dest=/tmp/x\n",
        "3:7",
        &[
            "`community.general.copy` is a module of the collection `community.general`",
            "hotplay's own `copy` may do what you need",
        ],
    );
    let lab = Lab::new();
    for (expr, what) in [
        (
            "'a' | community.general.json_query('x')",
            "filter community.general.json_query is unknown: `community.general.json_query` comes from an Ansible collection",
        ),
        (
            "lookup('community.general.foo', 'x')",
            "lookup plugin (community.general.foo) not found: it comes from an Ansible collection",
        ),
    ] {
        let play = format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{{{ {expr} }}}}\"\n"
        );
        let r = lab.play(&play, &["h1"], &[]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains(what), "wanted {what} in\n{}", r.stdout);
    }
}

#[test]
fn two_modules_in_one_task() {
    expect_error(
        "- hosts: all\n  tasks:\n    - shell: echo\n      command: echo\n",
        "4:7",
        &["conflicting action statements: shell, command"],
    );
}

#[test]
fn unknown_module_argument() {
    expect_error(
        "- hosts: all\n  tasks:\n    - command:\n        cmd: ls\n        chdri: /tmp\n",
        "5:9",
        &[
            "unsupported parameter `chdri` for module command",
            "did you mean `chdir`?",
        ],
    );
}

#[test]
fn wrong_types() {
    expect_error(
        "- hosts: all\n  tasks: {a: 1}\n",
        "2:10",
        &["a task list must be a list"],
    );
    expect_error(
        "- hosts: all\n  vars: [1]\n  tasks: []\n",
        "2:10",
        &["`vars` must be a mapping"],
    );
}

#[test]
fn bad_jinja_syntax() {
    expect_error(
        "- hosts: all\n  tasks:\n    - debug:\n        msg: \"{{ foo | }}\"\n",
        "4:14",
        &["template error"],
    );
}

#[test]
fn duplicate_keys() {
    expect_error(
        "- hosts: all\n  tasks:\n    - debug: msg=a\n      debug: msg=b\n",
        "4:7",
        &["duplicate"],
    );
}

#[test]
fn malformed_yaml() {
    expect_error(
        "- hosts: all\n  tasks:\n    - debug: [a\n  b: c\n",
        "4:",
        &["invalid YAML"],
    );
}

#[test]
fn undefined_variable_names_task_and_place() {
    let lab = Lab::new();
    let r = lab.play("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: uses it\n      debug:\n        msg: \"{{ nope }}\"\n", &["h1"], &[]);
    r.assert_code(2);
    r.out_has("'nope' is undefined");
    r.out_has("play.yml:6:14");
    r.out_has("in task 'uses it'");
}

#[test]
fn missing_playbook_and_bad_options() {
    let lab = Lab::new();
    let r = lab.hotplay(&["run", "nothere.yml"]);
    r.assert_code(1);
    r.err_has("could not be found");
    let r = lab.hotplay(&["run", "x.yml", "--forks", "many"]);
    r.assert_code(5);
}

#[test]
fn missing_module_argument_at_runtime() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - assert: {}\n",
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("missing required arguments: that");
}

#[test]
fn syntax_check_passes_good_playbook() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  tasks:\n    - ping:\n",
        &["h1"],
        &["--syntax-check"],
    );
    r.assert_code(0);
    r.out_has("playbook: play.yml");
}

#[test]
fn broken_include_fails_the_host_and_can_be_rescued() {
    let lab = Lab::new();
    lab.write("bad.yml", "- debug: [unclosed\n");
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n        - include_tasks: bad.yml\n      rescue:\n        - debug: msg=rescued-include\n",
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("bad.yml:");
    r.out_has("rescued-include");
    r.assert_recap("h1", "rescued=1 failed=0");
}

#[test]
fn runaway_input_is_an_error_not_a_hang() {
    let lab = Lab::new();
    lab.write("again.yml", "- include_tasks: again.yml\n");
    let big = lab.path("big.bin");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(300 * 1024 * 1024))
        .expect("sparse file");
    let started = std::time::Instant::now();
    let r = lab.play(
        &format!(
            r#"
- hosts: all
  gather_facts: no
  vars:
    me: "{{{{ me }}}}"
  tasks:
    - debug: msg="{{{{ me }}}}"
      ignore_errors: yes
    - debug: msg=x
      loop: "{{{{ range(100000000) | list }}}}"
      ignore_errors: yes
    - debug: msg="{{% for i in range(1000000000) %}}{{{{ i }}}}{{% endfor %}}"
      ignore_errors: yes
    - slurp: src={}
      ignore_errors: yes
    # The innermost include fails (it has no ignore_errors), ending the host.
    - include_tasks: again.yml
"#,
            big.display()
        ),
        &["h1"],
        &[],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    r.assert_code(2);
    r.out_has("does a file include itself?");
    r.out_has("recursive");
    r.out_has("too many elements");
    r.out_has("whole-file reads are limited to 256 MiB");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.assert_recap("h1", "failed=1");
    r.assert_recap("h1", "ignored=4");
}

/// After the recap, stderr lists each failure: host, task, step, place, command, rc, stderr;
/// a rescued one says so; no_log output and secrets stay hidden; stdout stays Ansible's.
#[test]
fn runtime_failures_are_summarised_after_the_recap() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  vars:\n    db_password: s3cretpw99\n  tasks:\n    - block:\n        - name: stop the server\n          command: ls /nonexistent{{ item }}\n          loop: [1, 2]\n          tags: [MBR-2]\n      rescue:\n        - debug: msg=rolled-back\n    - name: secret step\n      shell: echo {{ db_password }} >&2; exit 4\n      when: inventory_hostname == 'h2'\n    - name: quiet step\n      shell: echo {{ db_password }} >&2; exit 5\n      no_log: true\n      when: inventory_hostname == 'h3'\n",
        &["h1", "h2", "h3"],
        &[],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("FAILURES"), "{}", r.stdout);
    let e = &r.stderr;
    let recap_then = e.find("FAILURES (5) ***").expect("a summary");
    let h1 = &e[recap_then..];
    for want in [
        "[h1] TASK [stop the server] (step MBR-2) at play.yml:7:11",
        "  item: 1\n  command: ls /nonexistent1\n  rc: 2\n",
        "    ls: cannot access '/nonexistent1'",
        "(rescued: the block's rescue ran and the host went on)",
        "[h2] TASK [secret step] at play.yml:13:7",
        "  rc: 4",
        "[h3] TASK [quiet step] at play.yml:16:7\n  (output hidden by no_log)",
    ] {
        assert!(h1.contains(want), "wanted {want:?} in\n{e}");
    }
    // h2's and h3's loop failures were rescued too, but they failed later: no note for them.
    assert_eq!(h1.matches("(rescued:").count(), 1, "{e}");
    assert!(!e.contains("s3cretpw99"), "{e}");
    assert!(!r.stdout.contains("s3cretpw99"), "{}", r.stdout);
}

#[test]
fn a_role_task_with_a_bare_word_names_the_missing_name() {
    expect_error(
        "- hosts: all\n  tasks:\n    - import_role: app\n",
        "3:20",
        &[
            "'name' is a required field for import_role",
            "write `import_role: name=ROLE`",
        ],
    );
}
