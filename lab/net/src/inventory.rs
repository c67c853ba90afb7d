//! What `up` writes for the user: `inventory.ini` (groups as the bundled playbooks'
//! examples name them) and `ssh_config`, both pointing at the lab's key and known_hosts.

use crate::configdb::{CLOUD_PASSWORD, CLOUD_USER, CONFIG_PASSWORD, CONFIG_USER};
use crate::host::write_file as write;
use crate::state::{Host, State};
use std::fmt::Write as _;

/// `inventory.ini` in the shape of the bundled playbooks' examples, plus `ssh_config`.
pub fn write_inventory(st: &State) -> Result<(), String> {
    let dir = &st.dir;
    let key = dir.join("id_ed25519");
    let kh = dir.join("known_hosts");
    let mut inv = format!(
        "# The lab in {} ({} topology, HotDB {}), written by `hotplay lab up`.\n",
        dir.display(),
        st.topology,
        st.version
    );
    // (group, role, in the DR room)
    let groups: &[(&str, &str, bool)] = &[
        ("hotdb_master", "compute-master", false),
        ("hotdb_backup", "compute-backup", false),
        ("hotdb_single", "compute-single", false),
        ("hotdb_cluster", "compute-cluster", false),
        ("hotdb_dr_master", "compute-master", true),
        ("hotdb_dr_backup", "compute-backup", true),
        ("hotdb_management", "management", false),
        ("hotdb_configdb", "configdb", false),
        ("hotdb_configdb_dr", "configdb", true),
        ("hotdb_storage", "storage", false),
        ("hotdb_client", "client", false),
    ];
    for (group, role, dr) in groups {
        let members: Vec<&Host> = st
            .hosts
            .iter()
            .filter(|h| h.has(role) && h.has("dr-room") == *dr)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(inv, "\n[{group}]");
        for h in members {
            let idc = if st.topology == "dr" {
                format!(" idc_id={}", if h.has("dr-room") { 2 } else { 1 })
            } else {
                String::new()
            };
            let _ = writeln!(inv, "{} ansible_host={}{idc}", h.name, h.address);
        }
    }
    let _ = writeln!(inv, "\n[hotdb_server:children]");
    for g in [
        "hotdb_master",
        "hotdb_backup",
        "hotdb_single",
        "hotdb_cluster",
        "hotdb_dr_master",
        "hotdb_dr_backup",
    ] {
        if inv.contains(&format!("[{g}]")) {
            let _ = writeln!(inv, "{g}");
        }
    }
    let _ = writeln!(
        inv,
        "\n[all:vars]\nansible_user=root\nansible_ssh_private_key_file={}",
        key.display()
    );
    let _ = writeln!(
        inv,
        "ansible_ssh_common_args='-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes'",
        kh.display()
    );
    let _ = writeln!(
        inv,
        "hotdb_install_base=/usr/local/hotdb\nhotdb_version={}",
        st.version
    );
    let _ = writeln!(inv, "hotdb_package_dir={}", dir.join("packages").display());
    if let Some(vip) = &st.vip {
        let _ = writeln!(inv, "hotdb_vip={vip}");
        // No init system on lab hosts: keepalived runs through the lab's own script.
        for verb in ["start", "stop", "reload", "status"] {
            let _ = writeln!(
                inv,
                "hotdb_keepalived_{verb}_cmd='/usr/local/bin/lab-keepalived {verb}'"
            );
        }
    }
    if let Some(vip) = &st.dr_vip {
        let _ = writeln!(inv, "hotdb_dr_vip={vip}");
    }
    if let Some(c) = st
        .hosts
        .iter()
        .find(|h| h.roles.iter().any(|r| r == "configdb"))
    {
        let _ = writeln!(
            inv,
            "hotdb_configdb_host={}\nhotdb_configdb_port=3306\nhotdb_config_user={CONFIG_USER}\nhotdb_config_password={CONFIG_PASSWORD}\nhotdb_cloud_user={CLOUD_USER}\nhotdb_cloud_password={CLOUD_PASSWORD}",
            c.address
        );
    }
    write(&dir.join("inventory.ini"), &inv)?;
    let mut cfg = String::new();
    for h in &st.hosts {
        let _ = writeln!(
            cfg,
            "Host {}\n    HostName {}\n    User root\n    IdentityFile {}\n    IdentitiesOnly yes\n    UserKnownHostsFile {}\n    StrictHostKeyChecking yes\n    LogLevel ERROR\n",
            h.name,
            h.address,
            key.display(),
            kh.display()
        );
    }
    write(&dir.join("ssh_config"), &cfg)
}
