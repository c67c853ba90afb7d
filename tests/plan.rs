//! `hotplay plan`: the static part (batches, tasks in order, markers), --offline, --json, the
//! preflight in check mode (plan messages, FAIL and exit 2) changing nothing, errors.

mod common;
use common::Lab;

const BOOK: &str = r#"
- name: Rolling
  hosts: local
  serial: 2
  gather_facts: false
  vars:
    marker: "{{ playbook_dir }}/touched"
  tasks:
    - name: The plan
      debug:
        msg: ["route: 1.0 -> 2.0", "hosts: {{ ansible_play_hosts_all | join(',') }}"]
      tags: [always, plan]
    - name: Preflight says no on h3
      fail:
        msg: h3 is not ready
      when: inventory_hostname == 'h3' and refuse | default(false) | bool
      tags: [preflight]
    - name: Only on h1
      command: "touch {{ marker }}-h1"
      when: inventory_hostname == 'h1'
      tags: [STEP-1]
    - name: Change things
      block:
        - name: Move the service
          command: "touch {{ marker }}"
          run_once: true
          delegate_to: h2
          tags: [STEP-2, ha_switch]
      rescue:
        - name: Roll back
          debug:
            msg: rolled back
    - name: Later
      include_tasks: more.yml
  handlers:
    - name: restart it
      debug:
        msg: restarted
"#;

fn lab() -> Lab {
    let lab = Lab::new();
    lab.write("play.yml", BOOK);
    lab.write("more.yml", "- debug:\n    msg: more\n");
    lab.local_inventory(&["h1", "h2", "h3"]);
    lab
}

#[test]
fn offline_shows_batches_tasks_and_markers_without_running() {
    let lab = lab();
    let r = lab.hotplay(&["plan", "play.yml", "-i", "hosts.ini", "--offline"]);
    r.assert_code(0);
    r.out_has("batch 1/2: h1, h2");
    r.out_has("batch 2/2: h3");
    r.out_has("Only on h1  [STEP-1]  when: inventory_hostname == 'h1'  only on: h1");
    r.out_has("block: Change things");
    r.out_has("rescue (on failure):");
    r.out_has("Move the service  [STEP-2, ha_switch]  run_once  -> h2  <== HA switch");
    r.out_has("HA switch: task 4: Move the service");
    r.out_has("include_tasks more.yml: resolved at run time");
    r.out_has("handlers:");
    assert!(!r.stdout.contains("PREFLIGHT"), "{}", r.stdout);
    assert!(!lab.path("touched").exists() && !lab.path("touched-h1").exists());
}

#[test]
fn preflight_runs_in_check_mode_and_shows_the_plan_messages() {
    let lab = lab();
    let r = lab.hotplay(&["plan", "play.yml", "-i", "hosts.ini"]);
    r.assert_code(0);
    r.out_has("PREFLIGHT (check mode: nothing was changed)");
    r.out_has("\nh1\n  route: 1.0 -> 2.0\n  hosts: h1,h2,h3");
    r.out_has("preflight: ");
    r.out_has("0 FAIL");
    // Neither the step tasks nor the block ran, not even in check mode.
    assert!(!lab.path("touched").exists() && !lab.path("touched-h1").exists());
    assert!(!lab.path(".journal").exists(), "a plan writes no journal");
}

#[test]
fn a_failed_preflight_check_is_shown_and_exits_2() {
    let lab = lab();
    let r = lab.hotplay(&["plan", "play.yml", "-i", "hosts.ini", "-e", "refuse=true"]);
    r.assert_code(2);
    r.out_has("FAIL  Preflight says no on h3  h3 is not ready");
    r.out_has("1 FAIL");
}

#[test]
fn json_is_one_document() {
    let lab = lab();
    let r = lab.hotplay(&["plan", "play.yml", "-i", "hosts.ini", "--json"]);
    r.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(v["plays"][0]["batches"][1][0], "h3");
    let tasks = v["plays"][0]["tasks"].as_array().unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t["ha_switch"] == true && t["name"] == "Move the service")
    );
    assert_eq!(v["hosts"]["h2"]["plan"][0], "route: 1.0 -> 2.0");
}

#[test]
fn errors_carry_their_position() {
    let lab = lab();
    let r = lab.hotplay(&["plan", "nope.yml", "-i", "hosts.ini"]);
    r.assert_code(1);
    r.err_has("could not be found");
    lab.write(
        "bad.yml",
        "- hosts: local\n  tasks:\n    - name: x\n      shel: echo\n",
    );
    let r = lab.hotplay(&["plan", "bad.yml", "-i", "hosts.ini", "--offline"]);
    r.assert_code(4);
    r.err_has("bad.yml:4:7");
    lab.write(
        "serial.yml",
        "- hosts: local\n  serial: lots\n  tasks: []\n",
    );
    let r = lab.hotplay(&["plan", "serial.yml", "-i", "hosts.ini", "--offline"]);
    r.assert_code(1);
    r.err_has("serial.yml:2:11");
}
