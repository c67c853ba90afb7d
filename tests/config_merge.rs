//! config_merge and the HotDB version filters, run through the real binary on real files.

mod common;
use common::{Lab, tree_digest};

const OLD_XML: &str = "<hotdb:server>\n  <system>\n    <property name=\"serverPort\">3325</property>\n    <property name=\"haState\">master</property>\n    <property name=\"gone\">1</property>\n  </system>\n</hotdb:server>\n";
const NEW_XML: &str = "<hotdb:server>\n  <system>\n    <!-- port -->\n    <property name=\"serverPort\">3323</property>\n    <property name=\"haState\">master</property>\n    <property name=\"newOne\">true</property>\n  </system>\n</hotdb:server>\n";

#[test]
fn route_and_config_merge_check_then_apply_then_idempotent() {
    let lab = Lab::new();
    let w = lab.path("w");
    std::fs::create_dir_all(&w).expect("mkdir");
    lab.write("w/old/server.xml", OLD_XML);
    lab.write("w/new/server.xml", NEW_XML);
    let play = format!(
        r#"- hosts: all
  gather_facts: false
  vars:
    d: {}
    pkg: hotdb-server-2.5.4-ga-20190812.tar.gz
    scripts:
      - utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql
      - utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql
  tasks:
    - assert:
        that:
          - (pkg | hotdb_version).version == '2.5.4'
          - pkg is hotdb_newer '2.5.3-ga-20200101'
          - (scripts | hotdb_upgrade_route('2.5.1', pkg)) == ['utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql', 'utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql']
          - (scripts | hotdb_upgrade_route('2.5.4-ga-20190101', pkg)) == []
    - config_merge:
        src: "{{{{ d }}}}/old/server.xml"
        dest: "{{{{ d }}}}/new/server.xml"
        format: hotdb_server_xml
        overrides: {{haState: backup}}
      register: m
    - assert:
        that:
          - m.kept == ['serverPort']
          - m.added == ['newOne']
          - m.removed == ['gone']
          - m.overridden == ['haState']
"#,
        w.display()
    );
    let before = tree_digest(&w);
    let r = lab.play(&play, &["h1"], &["--check", "--diff"]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=1 failed=0");
    assert_eq!(before, tree_digest(&w), "check mode wrote something");
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=1 failed=0");
    assert_eq!(
        lab.read("w/new/server.xml"),
        NEW_XML
            .replace(">3323<", ">3325<")
            .replace(">master<", ">backup<")
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=0 failed=0");
}

#[test]
fn broken_route_fails_naming_the_hop() {
    let lab = Lab::new();
    let play = r#"- hosts: all
  gather_facts: false
  tasks:
    - debug: msg="{{ ['hotdb_config_2.4.9_to_2.5.1.sql'] | hotdb_upgrade_route('2.4.9', '2.5.3') }}"
"#;
    let r = lab.play(play, &["h1"], &[]);
    r.assert_code(2);
    r.out_has("no upgrade script from 2.5.1");
}
