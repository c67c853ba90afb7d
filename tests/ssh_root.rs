//! Playbooks over real SSH (a private sshd on 127.0.0.1). Needs root; CI is root.

mod common;
use common::Lab;
use common::sshd::{Sshd, USER};

fn inventory(lab: &Lab, sshd: &Sshd, names: &[&str]) {
    let mut s = String::new();
    for n in names {
        s.push_str(&sshd.host_line(n, &sshd.known_hosts()));
        s.push('\n');
    }
    lab.write("hosts.ini", &s);
}

#[test]
fn ssh_root_commands_files_and_become() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    inventory(&lab, &sshd, &["s1", "s2"]);
    lab.write("templates/conf.j2", "host={{ inventory_hostname }}\n");
    lab.write("files/payload.bin", &"x".repeat(300_000));
    let dest = format!("/tmp/hotplay-ssh-test-{}", sshd.port);
    lab.write(
        "play.yml",
        &r#"
- hosts: all
  gather_facts: yes
  tasks:
    - command: id -un
      register: who
    - file: path=DEST/{{ inventory_hostname }} state=directory
    - copy: src=payload.bin dest=DEST/{{ inventory_hostname }}/payload.bin mode=0640
    - template: src=conf.j2 dest=DEST/{{ inventory_hostname }}/conf
    - command: id -un
      become: yes
      register: root
    - shell: echo "$X"
      environment:
        X: "a 'quoted' value"
      register: env
    - assert:
        that:
          - who.stdout == 'USER'
          - root.stdout == 'root'
          - env.stdout == "a 'quoted' value"
          - ansible_hostname is defined
"#
        .replace("DEST", &dest)
        .replace("USER", USER),
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(0);
    r.assert_recap("s1", "failed=0 unreachable=0");
    assert_eq!(
        std::fs::read_to_string(format!("{dest}/s2/conf")).expect("conf"),
        "host=s2\n"
    );
    assert_eq!(
        std::fs::metadata(format!("{dest}/s1/payload.bin"))
            .expect("payload")
            .len(),
        300_000
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_recap("s1", "changed=3");
    let _ = std::fs::remove_dir_all(&dest);
}

#[test]
fn ssh_root_unknown_host_key_is_refused_unless_asked() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    let empty = lab.write("empty_known_hosts", "");
    lab.write(
        "hosts.ini",
        &format!(
            "s1 {}\n",
            sshd.host_line("s1", &empty.display().to_string())
                .split_once(' ')
                .expect("line")
                .1
        ),
    );
    lab.write(
        "play.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - ping:\n",
    );
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.out_has("host key is unknown or has changed");
    let r = lab.hotplay(&[
        "play.yml",
        "-i",
        "hosts.ini",
        "--host-key-checking",
        "accept-new",
    ]);
    r.assert_code(0);
    assert!(
        lab.read("empty_known_hosts").contains("ssh-ed25519"),
        "accept-new records the key"
    );
}

#[test]
fn ssh_root_unreachable_hosts_beside_healthy_ones() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    let good = sshd.host_line("good", &sshd.known_hosts());
    let badkey = good.replace("good ", "badauth ").replace(
        &sshd.path("id_user").display().to_string(),
        &sshd.path("host_key").display().to_string(),
    );
    lab.write(
        "hosts.ini",
        &format!(
            "{good}\n{badkey}\nrefused ansible_host=127.0.0.1 ansible_port=1 ansible_user={USER}\n"
        ),
    );
    lab.write("play.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: /bin/true\n    - debug: msg=\"alive {{ inventory_hostname }}\"\n");
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.out_has("alive good");
    r.out_has("fatal: [badauth]: UNREACHABLE!");
    r.out_has("authentication failed");
    r.out_has("fatal: [refused]: UNREACHABLE!");
    r.out_has("connection refused");
    r.assert_recap("good", "ok=2 unreachable=0");
    r.assert_recap("badauth", "unreachable=1");
}
