//! Modules, run through the real binary on real files.

mod common;
use common::Lab;

fn pb(lab: &Lab, body: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n  vars:\n    d: {}\n  tasks:\n{body}",
        lab.path("w").display()
    )
}

#[test]
fn file_states_are_idempotent() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    let play = pb(
        &lab,
        r#"
    - file: path={{ d }}/dir/sub state=directory mode=0750
    - file: path={{ d }}/t state=touch mode=u=rw,g=,o=
    - file: path={{ d }}/ln src={{ d }}/t state=link
    - file: path={{ d }}/gone state=absent
    - file: path={{ d }}/t mode=0600
"#,
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=3");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| {
        std::fs::metadata(lab.path(p))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("w/dir/sub"), 0o750);
    assert_eq!(mode("w/t"), 0o600);
    assert_eq!(
        std::fs::read_link(lab.path("w/ln")).expect("link"),
        lab.path("w/t")
    );
    // touch always reports a change, as in Ansible; everything else is now in place.
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=1");
}

#[test]
fn file_state_file_on_missing_path_fails() {
    let lab = Lab::new();
    let r = lab.play(
        &pb(&lab, "    - file: path={{ d }}/nope state=file\n"),
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("is absent, cannot continue");
}

#[test]
fn copy_content_backup_check_and_diff() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    lab.write("w/conf", "port=1\n");
    let play = pb(
        &lab,
        "    - copy:\n        dest: \"{{ d }}/conf\"\n        content: \"port=2\\n\"\n        backup: yes\n        mode: \"0640\"\n      register: c\n    - debug: var=c.backup_file\n",
    );
    let before = common::tree_digest(&lab.path("w"));
    let r = lab.play(&play, &["h1"], &["--check", "--diff"]);
    r.assert_code(0);
    r.out_has("-port=1");
    r.out_has("+port=2");
    r.assert_recap("h1", "changed=1");
    assert_eq!(
        before,
        common::tree_digest(&lab.path("w")),
        "check mode changed files"
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    assert_eq!(lab.read("w/conf"), "port=2\n");
    let backups: Vec<_> = std::fs::read_dir(lab.path("w"))
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with('~'))
        .collect();
    assert_eq!(backups.len(), 1);
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=0");
}

#[test]
fn copy_src_files_and_directories_from_files_dir() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    lab.write("files/pkg.txt", "package\n");
    lab.write("files/tree/a.txt", "a\n");
    lab.write("files/tree/sub/b.txt", "b\n");
    let play = pb(
        &lab,
        "    - copy: src=pkg.txt dest={{ d }}/\n    - copy: src=tree dest={{ d }}\n    - copy: src=tree/ dest={{ d }}/flat\n",
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    assert_eq!(lab.read("w/pkg.txt"), "package\n");
    assert_eq!(lab.read("w/tree/sub/b.txt"), "b\n");
    assert_eq!(lab.read("w/flat/a.txt"), "a\n");
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=0");
}

#[test]
fn copy_validate_refuses_bad_content() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    lab.write("w/conf", "good\n");
    let r = lab.play(&pb(&lab, "    - copy:\n        dest: \"{{ d }}/conf\"\n        content: \"bad\\n\"\n        validate: grep -q good %s\n"), &["h1"], &[]);
    r.assert_code(2);
    r.out_has("failed to validate");
    assert_eq!(lab.read("w/conf"), "good\n");
}

#[test]
fn template_renders_with_vars_and_keeps_newline() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    lab.write("templates/server.xml.j2", "<server>\n{% for p in props %}\n  <property name=\"{{ p.name }}\">{{ p.value }}</property>\n{% endfor %}\n</server>\n");
    let play = pb(
        &lab,
        "    - template: src=server.xml.j2 dest={{ d }}/server.xml\n      vars:\n        props: [{name: serverPort, value: 3323}, {name: managerPort, value: 3325}]\n",
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    assert_eq!(
        lab.read("w/server.xml"),
        "<server>\n  <property name=\"serverPort\">3323</property>\n  <property name=\"managerPort\">3325</property>\n</server>\n"
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=0");
}

#[test]
fn stat_reports_files_links_and_absence() {
    let lab = Lab::new();
    lab.write("w/f", "abc");
    std::os::unix::fs::symlink(lab.path("w/f"), lab.path("w/l")).expect("symlink");
    let play = pb(
        &lab,
        r#"
    - stat: path={{ d }}/f
      register: f
    - stat: path={{ d }}/l
      register: l
    - stat: path={{ d }}/none
      register: n
    - assert:
        that:
          - f.stat.exists and f.stat.isreg and f.stat.size == 3
          - f.stat.checksum == 'a9993e364706816aba3e25717850c26c9cd0d89d'
          - l.stat.islnk and l.stat.lnk_target.endswith('/f')
          - not n.stat.exists
"#,
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
}

#[test]
fn doc_shows_every_module() {
    let lab = Lab::new();
    let r = lab.hotplay(&["doc", "--list"]);
    r.assert_code(0);
    for m in [
        "command", "copy", "file", "template", "stat", "shell", "debug",
    ] {
        r.out_has(m);
    }
    let r = lab.hotplay(&["doc", "copy"]);
    r.out_has("CHECK MODE");
    r.out_has("dest (path; required)");
    let r = lab.hotplay(&["doc", "cpy"]);
    r.assert_code(1);
    r.err_has("did you mean `copy`?");
}
