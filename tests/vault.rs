//! Ansible Vault: files and `!vault` values written by real ansible-vault are read,
//! files written by hotplay are read by ansible-vault, and decrypted values never
//! show in any output. ansible-core comes from tests/run.sh (HOTPLAY_ANSIBLE_VENV).

mod common;
use common::Lab;
use std::process::Command;

fn ansible_vault() -> String {
    let venv =
        std::env::var("HOTPLAY_ANSIBLE_VENV").unwrap_or_else(|_| "/var/tmp/hotplay-ansible".into());
    let bin = format!("{venv}/bin/ansible-vault");
    assert!(
        std::path::Path::new(&bin).exists(),
        "{bin} is missing: tests/run.sh installs ansible-core there"
    );
    bin
}

fn av(lab: &Lab, args: &[&str]) -> String {
    let out = Command::new(ansible_vault())
        .args(args)
        .current_dir(lab.dir.path())
        .output()
        .expect("ansible-vault");
    assert!(
        out.status.success(),
        "ansible-vault {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const SECRET: &str = "Db-Pa55word-from-vault";

#[test]
fn ansible_vault_files_and_values_are_read_and_never_shown() {
    let lab = Lab::new();
    lab.write("pw", "first password\n");
    lab.write("pw_prod", "prod password\n");
    lab.write("vars.yml", &format!("db_password: {SECRET}\nport: 3306\n"));
    av(
        &lab,
        &["encrypt", "vars.yml", "--vault-password-file", "pw"],
    );
    assert!(
        lab.read("vars.yml")
            .starts_with("$ANSIBLE_VAULT;1.1;AES256")
    );
    let inline = av(
        &lab,
        &[
            "encrypt_string",
            "--vault-id",
            "prod@pw_prod",
            "--encrypt-vault-id",
            "prod",
            "api-key-12345",
            "--name",
            "api_key",
        ],
    );
    assert!(
        inline.contains("$ANSIBLE_VAULT;1.2;AES256;prod"),
        "{inline}"
    );
    lab.write(
        "play.yml",
        &format!(
            "- hosts: all\n  gather_facts: no\n  vars:\n{}  vars_files: [vars.yml]\n  tasks:\n    - debug: msg=\"{{{{ db_password }}}} {{{{ api_key }}}} {{{{ port + 1 }}}}\"\n    - command: echo {{{{ db_password }}}}\n      register: r\n    - assert:\n        that: r.stdout == '{SECRET}' and api_key == 'api-key-12345'\n    - fail: msg=\"bad {{{{ api_key }}}}\"\n",
            inline
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        ),
    );
    lab.local_inventory(&["h1"]);
    for format in ["text", "json"] {
        let r = lab.hotplay(&[
            "play.yml",
            "-i",
            "hosts.ini",
            "--vault-id",
            "pw",
            "--vault-id",
            "prod@pw_prod",
            "-v",
            "--format",
            format,
        ]);
        r.assert_code(2);
        r.out_has("********");
        for shown in [&r.stdout, &r.stderr] {
            assert!(!shown.contains(SECRET), "{format}: {shown}");
            assert!(!shown.contains("api-key-12345"), "{format}: {shown}");
            assert!(!shown.contains("first password"), "{format}: {shown}");
        }
        if format == "text" {
            r.out_has("3307");
            r.out_has("ok=3");
        }
    }
    // No password: a clear error naming the file; the playbook cannot load (exit 4).
    let r = lab.hotplay(&["play.yml", "-i", "hosts.ini"]);
    r.assert_code(4);
    r.err_has("play.yml:5:");
    r.err_has("no vault secrets");
    // A wrong one.
    lab.write("wrong", "nope\n");
    let r = lab.hotplay(&[
        "play.yml",
        "-i",
        "hosts.ini",
        "--vault-password-file",
        "wrong",
    ]);
    r.assert_code(4);
    r.err_has("Decryption failed");
}

#[test]
fn hotplay_vault_output_is_read_by_ansible_vault() {
    let lab = Lab::new();
    lab.write("pw", "pw one\n");
    lab.write("pw2", "pw two\n");
    let text = "a: 1\nb: \"x y\"\n";
    lab.write("f.yml", text);
    let r = lab.hotplay(&["vault", "encrypt", "f.yml", "--vault-password-file", "pw"]);
    r.assert_code(0);
    assert_eq!(
        av(&lab, &["view", "f.yml", "--vault-password-file", "pw"]),
        text
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(lab.path("f.yml"))
            .expect("meta")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // rekey, then only the new password opens it.
    let r = lab.hotplay(&[
        "vault",
        "rekey",
        "f.yml",
        "--vault-password-file",
        "pw",
        "--new-vault-password-file",
        "pw2",
    ]);
    r.assert_code(0);
    assert_eq!(
        av(&lab, &["view", "f.yml", "--vault-password-file", "pw2"]),
        text
    );
    let r = lab.hotplay(&["vault", "view", "f.yml", "--vault-password-file", "pw2"]);
    r.assert_code(0);
    assert_eq!(r.stdout, text);
    let r = lab.hotplay(&["vault", "view", "f.yml", "--vault-password-file", "pw"]);
    r.assert_code(1);
    // encrypt_string with a vault id: ansible reads it in a playbook.
    let r = lab.hotplay(&[
        "vault",
        "encrypt_string",
        "--vault-id",
        "prod@pw",
        "s3cret value",
        "--name",
        "tok",
    ]);
    r.assert_code(0);
    assert!(
        r.stdout
            .starts_with("tok: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;prod")
    );
    lab.write("enc.yml", &r.stdout);
    let venv = ansible_vault().replace("/bin/ansible-vault", "");
    let out = Command::new(format!("{venv}/bin/ansible"))
        .args([
            "localhost",
            "-m",
            "debug",
            "-a",
            "var=tok",
            "-e",
            "@enc.yml",
            "--vault-id",
            "prod@pw",
        ])
        .current_dir(lab.dir.path())
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .output()
        .expect("ansible");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("\"tok\": \"s3cret value\""), "{shown}");
    // decrypt in place.
    let r = lab.hotplay(&["vault", "decrypt", "f.yml", "--vault-password-file", "pw2"]);
    r.assert_code(0);
    assert_eq!(lab.read("f.yml"), text);
}
