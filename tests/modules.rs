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

#[test]
fn lineinfile_blockinfile_replace() {
    let lab = Lab::new();
    lab.write("w/hotdb_server", "#!/bin/sh\nJAVA_BIN=/usr/local/jdk7/bin/java\nJAVA_VERSION=\"1.7.0_80\"\nJAVA_OPTS=\"-server -Xms4G -Xmx4G\"\n");
    let play = pb(
        &lab,
        r#"
    - lineinfile:
        path: "{{ d }}/hotdb_server"
        regexp: '^JAVA_BIN='
        line: JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java
    - lineinfile:
        path: "{{ d }}/hotdb_server"
        regexp: '^JAVA_VERSION='
        line: JAVA_VERSION="1.8.0_252"
        backup: yes
    - lineinfile: path={{ d }}/hotdb_server line=EXTRA=1 insertafter=^JAVA_BIN
    - blockinfile:
        path: "{{ d }}/hosts"
        create: yes
        block: |
          10.89.0.11 master
          10.89.0.12 backup
    - replace:
        path: "{{ d }}/hotdb_server"
        regexp: '-Xmx(\d+)G'
        replace: '-Xmx\g<1>0G'
"#,
    );
    let r = lab.play(&play, &["h1"], &["--diff"]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=5");
    assert_eq!(
        lab.read("w/hotdb_server"),
        "#!/bin/sh\nJAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java\nEXTRA=1\nJAVA_VERSION=\"1.8.0_252\"\nJAVA_OPTS=\"-server -Xms4G -Xmx40G\"\n"
    );
    assert_eq!(
        lab.read("w/hosts"),
        "# BEGIN ANSIBLE MANAGED BLOCK\n10.89.0.11 master\n10.89.0.12 backup\n# END ANSIBLE MANAGED BLOCK\n"
    );
    r.out_has("+JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java");
    // The replace is not idempotent by nature (4G -> 40G -> 400G); everything else is.
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=1");
}

#[test]
fn lineinfile_missing_file_fails_unless_create() {
    let lab = Lab::new();
    let r = lab.play(
        &pb(&lab, "    - lineinfile: path={{ d }}/none line=x\n"),
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("does not exist !");
}

#[test]
fn slurp_and_fetch() {
    let lab = Lab::new();
    lab.write("w/log.txt", "line\n");
    let play = pb(
        &lab,
        r#"
    - slurp: src={{ d }}/log.txt
      register: s
    - assert:
        that: (s.content | b64decode) == 'line\n'
    - fetch: src={{ d }}/log.txt dest={{ playbook_dir }}/support
    - fetch: src={{ d }}/log.txt dest={{ playbook_dir }}/flat/ flat=yes
"#,
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    let nested = lab
        .path("support/h1")
        .join(lab.path("w/log.txt").strip_prefix("/").expect("abs"));
    assert_eq!(std::fs::read_to_string(nested).expect("fetched"), "line\n");
    assert_eq!(lab.read("flat/log.txt"), "line\n");
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=0");
}

#[test]
fn unarchive_from_controller_with_creates_and_list() {
    let lab = Lab::new();
    lab.write("pkg/hotdb-server/bin/hotdb_server", "#!/bin/sh\n");
    lab.write("pkg/hotdb-server/conf/server.xml", "<x/>\n");
    std::fs::create_dir_all(lab.path("files")).expect("mkdir");
    let st = std::process::Command::new("tar")
        .args([
            "-czf",
            "files/hotdb-server-2.5.6-ga-20200601.tar.gz",
            "-C",
            "pkg",
            "hotdb-server",
        ])
        .current_dir(lab.dir.path())
        .status()
        .expect("tar");
    assert!(st.success());
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    let play = pb(
        &lab,
        "    - unarchive: src=hotdb-server-2.5.6-ga-20200601.tar.gz dest={{ d }} list_files=yes\n      register: u\n    - assert:\n        that: \"'hotdb-server/conf/server.xml' in u.files\"\n",
    );
    let before = common::tree_digest(&lab.path("w"));
    let r = lab.play(&play, &["h1"], &["--check"]);
    r.assert_recap("h1", "changed=1");
    assert_eq!(before, common::tree_digest(&lab.path("w")));
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    assert_eq!(lab.read("w/hotdb-server/conf/server.xml"), "<x/>\n");
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_recap("h1", "changed=0");
    let r = lab.play(&pb(&lab, "    - unarchive: src=hotdb-server-2.5.6-ga-20200601.tar.gz dest={{ d }} creates={{ d }}/hotdb-server\n"), &["h1"], &[]);
    r.assert_recap("h1", "skipped=1");
}

#[test]
fn wait_for_port_and_path() {
    let lab = Lab::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    lab.write("w/hotdb.log", "start\nHotDB-Manager listening on 3325\n");
    let play = pb(
        &lab,
        &format!(
            "    - wait_for: port={port} timeout=5\n    - wait_for: port={closed} state=stopped timeout=5\n    - wait_for: path={{{{ d }}}}/hotdb.log search_regex='listening on 3325' timeout=5\n    - wait_for: port={closed} timeout=1\n      register: w\n      ignore_errors: yes\n    - assert:\n        that: w is failed and 'Timeout when waiting for 127.0.0.1:{closed}' in w.msg\n"
        ),
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    r.assert_recap("h1", "failed=0 ignored=1");
    drop(listener);
}

#[test]
fn script_runs_with_args_and_guards() {
    let lab = Lab::new();
    lab.write(
        "files/check.sh",
        "#!/bin/sh\necho \"args: $1 $2\"\nexit 0\n",
    );
    let play = pb(
        &lab,
        "    - script: check.sh 'a b' c\n      register: s\n    - assert:\n        that: \"s.stdout_lines == ['args: a b c']\"\n    - script: check.sh\n      args:\n        creates: /\n",
    );
    let r = lab.play(&play, &["h1"], &[]);
    r.assert_code(0);
    r.assert_recap("h1", "changed=1");
}

#[test]
fn pause_seconds_without_terminal() {
    let lab = Lab::new();
    let r = lab.play(
        &pb(
            &lab,
            "    - pause: seconds=0.2\n    - pause: prompt=continue?\n",
        ),
        &["h1"],
        &[],
    );
    r.assert_code(2);
    r.out_has("needs a terminal");
}

#[test]
fn raw_ping_and_setup_filter() {
    let lab = Lab::new();
    let r = lab.play(
        r#"
- hosts: all
  gather_facts: no
  tasks:
    - raw: echo raw-out; exit 0
      register: r
    - ping:
      register: p
    - setup:
        filter: ['ansible_hostname', 'ansible_system']
    - assert:
        that:
          - r.stdout == 'raw-out'
          - p.ping == 'pong'
          - ansible_hostname is defined
          - ansible_facts.system == 'Linux'
          - ansible_distribution is not defined
"#,
        &["h1"],
        &[],
    );
    r.assert_code(0);
}

#[test]
fn vip_check_holder_across_a_group_and_wait_for_port() {
    let lab = Lab::new();
    lab.write(
        "hosts.ini",
        "[all:vars]\nansible_connection=local\n[pair]\nh1\nh2\n[solo]\nh3\n",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = port.local_addr().expect("addr").port();
    lab.write(
        "play.yml",
        &format!(
            r#"
- hosts: h3
  gather_facts: no
  tasks:
    - vip_check: vip=127.0.0.1 holder=solo expect_holder=h3 reachable_port={open}
      register: one
    - vip_check: vip=127.0.0.1 holder=pair
      register: two
      ignore_errors: yes
    - vip_check: vip=198.51.100.250 holder=pair
      register: nobody
      ignore_errors: yes
    - wait_for_port:
        ports: [{open}, {{port: 1, state: stopped}}]
        timeout: 5
    - assert:
        that:
          - one.holder == 'h3' and one.interface == 'lo' and one.reachable
          - two is failed and two.holders == ['h1', 'h2']
          - "'more than one host of pair' in two.msg"
          - nobody is failed
          - "'no host of pair holds' in nobody.msg"
"#
        ),
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(0);
    r.assert_recap("h3", "failed=0");
}
