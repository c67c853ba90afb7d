//! Task keywords, run through the real binary on local hosts.

mod common;
use common::Lab;

#[test]
fn shell_register_and_when() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - name: say hi
      shell: echo hi; echo err >&2
      register: out
    - name: show
      debug:
        msg: "{{ out.stdout }}-{{ out.stderr }}-{{ out.rc }}"
    - name: skipped
      command: /bin/false
      when: out.stdout != 'hi'
    - name: runs
      command: /bin/true
      when:
        - out.rc == 0
        - "'hi' in out.stdout_lines"
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"hi-err-0\"");
    r.out_has("skipping: [h1]");
    r.assert_recap("h1", "ok=3 changed=2 failed=0 skipped=1");
}

#[test]
fn loops_register_results_and_loop_control() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  vars:
    words: [a, b, c]
  tasks:
    - command: echo {{ item }}
      loop: "{{ words }}"
      register: echoed
      loop_control:
        index_var: i
        label: "w{{ i }}"
    - debug:
        msg: "{{ echoed.results | map(attribute='stdout') | join(',') }} {{ echoed.results | length }}"
    - debug:
        msg: "{{ thing.key }}={{ thing.value }}"
      with_dict: {x: 1}
      loop_control:
        loop_var: thing
    - debug: msg="{{ item }}"
      with_sequence: start=1 end=3 format=n%02d
    - debug: msg="{{ item }}"
      with_items:
        - [1, 2]
        - 3
      when: item != 2
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("changed: [h1] => (item=w0)");
    r.out_has("\"msg\": \"a,b,c 3\"");
    r.out_has("\"msg\": \"x=1\"");
    r.out_has("\"msg\": \"n03\"");
    r.out_has("skipping: [h1] => (item=2)");
    r.assert_recap("h1", "ok=5 changed=1 failed=0");
}

#[test]
fn until_retries_then_succeeds() {
    let lab = Lab::new();
    let counter = lab.path("count");
    let r = lab.play(
        &format!(
            r#"
- hosts: all
  gather_facts: false
  tasks:
    - shell: "echo x >> {c}; wc -l < {c}"
      register: n
      until: n.stdout | int >= 3
      retries: 5
      delay: 0
    - debug: var=n.attempts
"#,
            c = counter.display()
        ),
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("FAILED - RETRYING: [h1]");
    r.out_has("\"n.attempts\": \"3\"");
}

#[test]
fn until_gives_up_after_retries() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: /bin/true\n      register: x\n      until: false\n      retries: 2\n      delay: 0\n",
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.assert_recap("h1", "failed=1");
    assert_eq!(
        r.stdout.matches("FAILED - RETRYING").count(),
        2,
        "{}",
        r.stdout
    );
}

#[test]
fn changed_when_failed_when_ignore_errors() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - command: /bin/true
      changed_when: false
    - shell: exit 3
      register: r
      failed_when: r.rc not in [0, 3]
    - shell: exit 1
      ignore_errors: yes
    - debug: msg=after
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("...ignoring");
    r.assert_recap("h1", "ok=4 changed=2 failed=0 ignored=1");
}

#[test]
fn block_rescue_always_with_failed_task_vars() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: breaks
          command: /bin/false
        - debug: msg=never
      rescue:
        - debug:
            msg: "rescued {{ ansible_failed_task.name }} rc={{ ansible_failed_result.rc }}"
      always:
        - debug: msg=always-ran
    - debug: msg=after-block
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("rescued breaks rc=1");
    r.out_has("always-ran");
    r.out_has("after-block");
    assert!(!r.stdout.contains("never"), "{}", r.stdout);
    r.assert_recap("h1", "failed=0 rescued=1");
}

#[test]
fn always_runs_and_host_still_fails_without_rescue() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - command: /bin/false
      always:
        - debug: msg=cleanup
    - debug: msg=not-reached
"#,
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("cleanup");
    assert!(!r.stdout.contains("not-reached"));
    r.assert_recap("h1", "failed=1");
}

#[test]
fn set_fact_and_precedence() {
    let lab = Lab::new();
    lab.write("group_vars/all.yml", "who: group_all\nonly_group: g\n");
    lab.write("group_vars/local.yml", "who: group_local\n");
    lab.write("host_vars/h1.yml", "who: host\n");
    lab.write("vars.yml", "from_file: yes\nwho_file: file\n");
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  vars:
    play_v: play
    who_file: play
  vars_files: [vars.yml]
  tasks:
    - debug: msg="{{ who }} {{ only_group }} {{ who_file }} {{ play_v }}"
    - debug: msg="{{ play_v }}"
      vars:
        play_v: task
    - set_fact:
        play_v: fact
    - debug: msg="after={{ play_v }}"
      vars:
        play_v: task-loses-to-set_fact
    - debug: msg="extra={{ ev }}"
"#,
        &["h1"],
        &["-e", "ev=cli", "-e", "{\"unused\": 1}"],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"host g file play\"");
    r.out_has("\"msg\": \"task\"");
    r.out_has("\"msg\": \"after=fact\"");
    r.out_has("\"msg\": \"extra=cli\"");
}

#[test]
fn extra_vars_beat_set_fact() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - set_fact: {x: fact}\n    - debug: msg=\"{{ x }}\"\n",
        &["h1"],
        &["-e", "x=extra"],
    );
    r.out_has("\"msg\": \"extra\"");
}

#[test]
fn lazy_vars_and_magic_vars() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  vars:
    base: /usr/local/hotdb
    home: "{{ base }}/hotdb-server"
  tasks:
    - debug: msg="{{ home }} {{ inventory_hostname }} {{ groups['local'] | join(',') }} {{ ansible_play_hosts | length }} {{ group_names }}"
    - debug: msg="{{ hostvars['h2']['home'] }}"
      when: inventory_hostname == 'h1'
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("/usr/local/hotdb/hotdb-server h1 h1,h2 2 ['local']");
}

#[test]
fn handlers_run_once_in_order_and_on_flush() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - command: /bin/true
      notify: [second, first]
    - command: /bin/true
      notify: first
    - meta: flush_handlers
    - debug: msg=after-flush
  handlers:
    - name: first
      debug: msg=handler-one
    - name: second
      debug: msg=handler-two
    - name: by-topic
      debug: msg=handler-topic
      listen: first
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    let one = r.stdout.find("handler-one").expect("first ran");
    let two = r.stdout.find("handler-two").expect("second ran");
    let topic = r.stdout.find("handler-topic").expect("listener ran");
    let after = r.stdout.find("after-flush").expect("after");
    assert!(one < two && two < topic && topic < after, "{}", r.stdout);
    assert_eq!(r.stdout.matches("RUNNING HANDLER [first]").count(), 1);
}

#[test]
fn handlers_skip_failed_hosts_unless_forced() {
    let lab = Lab::new();
    let pb = r#"
- hosts: all
  gather_facts: false
  tasks:
    - command: /bin/true
      notify: rollback
    - command: /bin/false
      when: inventory_hostname == 'h1'
  handlers:
    - name: rollback
      debug: msg="rollback on {{ inventory_hostname }}"
"#;
    let r = lab.play(pb, &["h1", "h2"], &[]);
    r.assert_code(2);
    r.out_has("rollback on h2");
    assert!(!r.stdout.contains("rollback on h1"), "{}", r.stdout);
    let r = lab.play(pb, &["h1", "h2"], &["--force-handlers"]);
    r.out_has("rollback on h1");
    r.out_has("rollback on h2");
}

#[test]
fn serial_batches_stop_after_a_failed_batch() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'h2'
    - debug: msg="done {{ inventory_hostname }}"
"#,
        &["h1", "h2", "h3"],
        &[],
    );
    r.assert_code(2);
    r.out_has("done h1");
    assert!(
        !r.stdout.contains("h3"),
        "batch 3 must never start:\n{}",
        r.stdout
    );
}

#[test]
fn max_fail_percentage_stops_play() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  max_fail_percentage: 30
  tasks:
    - command: /bin/false
      when: inventory_hostname in ['h1', 'h2']
    - debug: msg="next {{ inventory_hostname }}"
"#,
        &["h1", "h2", "h3", "h4"],
        &[],
    );
    r.assert_code(2);
    assert!(!r.stdout.contains("next h3"), "{}", r.stdout);
}

#[test]
fn any_errors_fatal_ends_for_all() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'h1'
    - debug: msg="next {{ inventory_hostname }}"
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(2);
    assert!(!r.stdout.contains("next h2"), "{}", r.stdout);
}

#[test]
fn tags_select_tasks() {
    let lab = Lab::new();
    let pb = r#"
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=one
      tags: [MBR-1]
    - debug: msg=two
      tags: MBR-2
    - debug: msg=always
      tags: always
    - debug: msg=never
      tags: [never, debug]
"#;
    let r = lab.play(pb, &["h1"], &["--tags", "MBR-1"]);
    r.out_has("one");
    r.out_has("always");
    assert!(!r.stdout.contains("\"two\""));
    assert!(!r.stdout.contains("\"never\""));
    let r = lab.play(pb, &["h1"], &["--skip-tags", "MBR-1,always"]);
    r.out_has("two");
    assert!(!r.stdout.contains("\"one\""));
    let r = lab.play(pb, &["h1"], &["--list-tasks"]);
    r.assert_code(0);
    r.out_has("TAGS: [MBR-1]");
}

#[test]
fn check_mode_changes_nothing() {
    let lab = Lab::new();
    lab.write("data/keep.txt", "x\n");
    let before = common::tree_digest(&lab.path("data"));
    let r = lab.play(
        &r#"
- hosts: all
  gather_facts: false
  tasks:
    - shell: echo changed > {d}/keep.txt
      register: s
    - debug: msg="skipped={{ s.skipped | default(false) }} check={{ ansible_check_mode }}"
    - command: rm {d}/keep.txt
      args:
        removes: {d}/keep.txt
"#
        .replace("{d}", &lab.path("data").display().to_string()),
        &["h1"],
        &["--check"],
    );
    r.assert_code(0);
    r.out_has("skipped=True check=True");
    assert_eq!(before, common::tree_digest(&lab.path("data")));
}

#[test]
fn include_and_import_tasks() {
    let lab = Lab::new();
    lab.write("tasks/step.yml", "- debug: msg=\"step {{ n }}\"\n");
    lab.write(
        "tasks/static.yml",
        "- debug: msg=\"static {{ s }}\"\n  tags: st\n",
    );
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - import_tasks: tasks/static.yml
      vars:
        s: imported
    - include_tasks: tasks/step.yml
      vars:
        n: "{{ item }}"
      loop: [1, 2]
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("static imported");
    r.out_has("step 1");
    r.out_has("step 2");
}

#[test]
fn roles_with_defaults_vars_handlers_templates() {
    let lab = Lab::new();
    lab.write(
        "roles/web/defaults/main.yml",
        "http_port: 80\nname_d: default\n",
    );
    lab.write("roles/web/vars/main.yml", "flavour: role-var\n");
    lab.write("roles/web/tasks/main.yml", "- debug: msg=\"{{ http_port }} {{ flavour }} {{ name_d }}\"\n- command: /bin/true\n  notify: restart web\n");
    lab.write(
        "roles/web/handlers/main.yml",
        "- name: restart web\n  debug: msg=web-restarted\n",
    );
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  roles:
    - role: web
      http_port: 8080
  tasks:
    - debug: msg=after-roles
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("TASK [web : debug]");
    r.out_has("8080 role-var default");
    r.out_has("web-restarted");
}

#[test]
fn run_once_and_delegate_to_localhost() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - command: echo once
      run_once: true
      register: o
    - debug: msg="{{ inventory_hostname }} saw {{ o.stdout }}"
    - command: echo delegated
      delegate_to: localhost
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("h2 saw once");
    r.out_has("[h1 -> localhost]");
    assert_eq!(
        r.stdout.matches("changed: [h").count() - r.stdout.matches("-> localhost]").count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn meta_end_host_and_end_play() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'h1'
    - debug: msg="still {{ inventory_hostname }}"
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_play
    - debug: msg=never
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("still h2");
    assert!(!r.stdout.contains("still h1"));
    assert!(!r.stdout.contains("never"));
}

#[test]
fn environment_and_no_log() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: false
  environment:
    GREETING: hello world
  tasks:
    - shell: echo "$GREETING"
      register: g
    - debug: var=g.stdout
    - shell: echo s3cr3t-value
      no_log: true
      failed_when: true
      ignore_errors: true
"#,
        &["h1"],
        &["-v"],
    );
    r.out_has("\"g.stdout\": \"hello world\"");
    assert!(!r.stdout.contains("s3cr3t-value"), "{}", r.stdout);
    r.out_has("censored");
}

#[test]
fn gather_facts_default_and_assert_fail() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  tasks:
    - assert:
        that:
          - ansible_hostname is defined
          - ansible_facts.system == 'Linux'
    - assert:
        that: "1 == 2"
        fail_msg: nope
"#,
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("TASK [Gathering Facts]");
    r.out_has("\"msg\": \"nope\"");
    r.assert_recap("h1", "ok=2 failed=1");
}

#[test]
fn json_format_emits_events() {
    let lab = Lab::new();
    let r = lab.play(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n",
        &["h1"],
        &["--format", "json"],
    );
    r.assert_code(0);
    for line in r.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v.get("event").is_some());
    }
    assert!(r.stdout.contains("\"event\":\"recap\""), "{}", r.stdout);
    assert!(r.stdout.contains("\"event\":\"task_start\""));
}

#[test]
fn import_playbook_include_role_and_role_handlers() {
    let lab = Lab::new();
    lab.write(
        "roles/db/tasks/main.yml",
        "- debug: msg=\"db main {{ who }}\"\n",
    );
    lab.write(
        "roles/db/tasks/upgrade.yml",
        "- command: /bin/true\n  notify: \"db : restart\"\n",
    );
    lab.write("roles/db/defaults/main.yml", "who: default\n");
    lab.write(
        "roles/db/handlers/main.yml",
        "- name: restart\n  debug: msg=db-restarted\n",
    );
    lab.write(
        "second.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug: msg=from-imported-playbook\n",
    );
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - include_role:
        name: db
      vars:
        who: caller
    - include_role:
        name: db
        tasks_from: upgrade
- import_playbook: second.yml
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("db main caller");
    r.out_has("from-imported-playbook");
}

#[test]
fn clear_host_errors_and_end_batch() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  serial: 1
  tasks:
    - debug: msg="batch {{ inventory_hostname }}"
    - meta: end_batch
    - debug: msg=never
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("batch h1");
    r.out_has("batch h2");
    assert!(!r.stdout.contains("\"never\""));
}

#[test]
fn with_indexed_items_flattened_and_diff_keyword() {
    let lab = Lab::new();
    lab.write("w/f", "a\n");
    let r = lab.play(
        &r#"
- hosts: all
  gather_facts: no
  tasks:
    - debug: msg="{{ item.0 }}={{ item.1 }}"
      with_indexed_items: [x, y]
    - debug: msg="{{ item }}"
      with_flattened: [[1, [2]], 3]
    - copy:
        content: "b\n"
        dest: DIR/f
      diff: yes
"#
        .replace("DIR", &lab.path("w").display().to_string()),
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"1=y\"");
    r.out_has("(item=2)");
    r.out_has("+b");
}

#[test]
fn shell_metacharacters_in_names_and_values_never_run() {
    let lab = Lab::new();
    let dir = lab.path("d");
    std::fs::create_dir_all(&dir).expect("dir");
    let marker = lab.path("pwned");
    // Names may hold anything but a newline (refused with a clear error); values anything.
    // The marker is relative: commands run in the lab directory, where it would appear.
    let name = "a $(touch pwned) `touch pwned` ; touch pwned ' \" x".to_string();
    let evil = format!("{name}\n|touch pwned");
    lab.write(
        "vars.yml",
        &format!(
            "name: {}\nevil: {}\n",
            serde_json::to_string(&name).expect("json"),
            serde_json::to_string(&evil).expect("json")
        ),
    );
    let r = lab.play(
        &format!(
            r#"
- hosts: all
  gather_facts: no
  vars_files: [vars.yml]
  tasks:
    - file: path="{d}/{{{{ name }}}}" state=touch
    - copy: content="{{{{ evil }}}}" dest="{d}/{{{{ name }}}}.copy"
    - lineinfile: path="{d}/{{{{ name }}}}" line="{{{{ name }}}}"
    - command:
        argv: [cat, "{d}/{{{{ name }}}}.copy"]
      register: c
    - stat: path="{d}/{{{{ name }}}}"
      register: s
    - shell: printf '%s' "$V"
      environment:
        V: "{{{{ evil }}}}"
      register: e
    - assert:
        that:
          - c.stdout == evil
          - s.stat.exists
          - e.stdout == evil
"#,
            d = dir.display()
        ),
        &["h1"],
        &[],
    );
    r.assert_code(0);
    assert!(!marker.exists(), "a metacharacter ran as code");
    assert!(dir.join(&name).exists());
}

/// `meta: end_role` as ansible-core 2.18 has it (2.17 rejects it): the rest of the role
/// is skipped for that host only; the play and a later use of the role go on.
#[test]
fn meta_end_role_ends_the_role_for_the_host() {
    let lab = Lab::new();
    lab.write(
        "roles/r/tasks/main.yml",
        "- debug:\n    msg: \"r before {{ inventory_hostname }}\"\n- meta: end_role\n  when: inventory_hostname == 'h1'\n- debug:\n    msg: \"r after {{ inventory_hostname }}\"\n",
    );
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  roles:
    - r
  tasks:
    - debug:
        msg: "play {{ inventory_hostname }}"
    - include_role:
        name: r
"#,
        &["h1", "h2"],
        &[],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"r before h1\"");
    r.out_has("\"msg\": \"r after h2\"");
    r.out_has("\"msg\": \"play h1\"");
    assert!(!r.stdout.contains("r after h1"), "{}", r.stdout);
    // Twice (roles: and include_role) r after h2; never for h1.
    assert_eq!(r.stdout.matches("\"msg\": \"r after h2\"").count(), 2);
}

/// Roles are found in ANSIBLE_ROLES_PATH too (colon-separated).
#[test]
fn roles_path_from_the_environment() {
    let lab = Lab::new();
    lab.write(
        "shared/far/tasks/main.yml",
        "- debug:\n    msg: \"far {{ role_path | dirname | basename }}\"\n",
    );
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  roles:\n    - far\n",
    );
    lab.local_inventory(&["h1"]);
    let shared = lab.path("shared");
    let r = lab.hotplay_with(
        env!("CARGO_BIN_EXE_hotplay"),
        &["run", "play.yml", "-i", "hosts.ini"],
        &[(
            "ANSIBLE_ROLES_PATH",
            &format!("/nonexistent:{}", shared.display()),
        )],
    );
    r.assert_code(0);
    r.out_has("\"msg\": \"far shared\"");
}
