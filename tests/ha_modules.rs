//! HotDB helpers (issue 6), run through the real binary.

mod common;
use common::Lab;

fn play(lab: &Lab, tasks: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n  vars:\n    d: {}\n  tasks:\n{tasks}",
        lab.path("pkg").display()
    )
}

fn scripts(lab: &Lab, names: &[&str]) {
    for n in names {
        lab.write(&format!("pkg/{n}"), "-- sql\n");
    }
}

#[test]
fn upgrade_route_from_a_remote_listing() {
    let lab = Lab::new();
    scripts(
        &lab,
        &[
            "hotdb_config_2.4.9_to_2.5.1.sql",
            "hotdb_config_2.5.1_to_2.5.3.sql",
            "hotdb_config_2.5.3_to_2.5.4.sql",
        ],
    );
    let r = lab.play(
        &play(
            &lab,
            r#"
    - command: ls {{ d }}
      register: ls
    - assert:
        that:
          - "('hotdb-server-2.5.4-ga-20190812.tar.gz' | hotdb_version).date == '20190812'"
          - "'2.5.10' is hotdb_newer('2.5.9')"
          - "'2.5.4-ga-20190901' is hotdb_newer('2.5.4-ga-20190812')"
          - "(ls.stdout_lines | hotdb_upgrade_route('2.4.9', '2.5.4', 'hotdb_config')) == ['hotdb_config_2.4.9_to_2.5.1.sql', 'hotdb_config_2.5.1_to_2.5.3.sql', 'hotdb_config_2.5.3_to_2.5.4.sql']"
          - "(ls.stdout_lines | hotdb_upgrade_route('2.5.4-ga-20190101', '2.5.4-ga-20190812')) == []"
"#,
        ),
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.assert_recap("h1", "failed=0");
}

#[test]
fn upgrade_route_with_a_missing_hop_fails_clearly() {
    let lab = Lab::new();
    scripts(
        &lab,
        &[
            "hotdb_config_2.4.9_to_2.5.1.sql",
            "hotdb_config_2.5.3_to_2.5.4.sql",
        ],
    );
    let r = lab.play(
        &play(
            &lab,
            r#"
    - command: ls {{ d }}
      register: ls
    - debug:
        msg: "{{ ls.stdout_lines | hotdb_upgrade_route('2.4.9', '2.5.4') }}"
"#,
        ),
        &["h1"],
        &[],
    );
    assert_ne!(r.code, 0);
    r.out_has("no upgrade script from 2.5.1");
}

#[test]
fn upgrade_route_from_a_package_directory_on_the_controller() {
    let lab = Lab::new();
    // As in a package: scripts a few directories down, for two databases.
    for n in [
        "hotdb-server/utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql",
        "hotdb-server/utils/sql/upgrade/hotdb_config_2.5.4_to_2.5.6.sql",
        "hotdb-management/utils/sql/hotdb_cloud_config_2.5.3_to_2.5.6.sql",
    ] {
        lab.write(&format!("pkg/{n}"), "-- sql\n");
    }
    let r = lab.play(
        &play(
            &lab,
            r#"
    - debug:
        msg: "ROUTE {{ d | hotdb_upgrade_route('2.5.3', '2.5.6', 'hotdb_config') | map('basename') | join(' ') }}"
"#,
        ),
        &["h1"],
        &[],
    );
    r.assert_code(0);
    r.out_has("ROUTE hotdb_config_2.5.3_to_2.5.4.sql hotdb_config_2.5.4_to_2.5.6.sql");
}
