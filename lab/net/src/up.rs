//! `hotplay lab up`: bridge, namespaces, per-host file views, sshd, MariaDB, the
//! components of the chosen version, keepalived, and the inventory.

use crate::configdb::{self, CLOUD_PASSWORD, CONFIG_PASSWORD, CONFIG_USER};
use crate::host::{self, in_host, ip, mkdir, run, spawn_detached, wait_for, write_file as write};
use crate::inventory::write_inventory;
use crate::state::{Host, Resource, State, start_time};
use crate::topology::{
    BACKUP_PACKAGE, LISTENER_PACKAGE, Planned, hosts_of, is_compute, release_of,
};
use hotdb_sim::catalog::{Release, Version};
use hotdb_sim::package::{self, Options};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct UpOptions {
    pub dir: PathBuf,
    pub topology: String,
    pub version: String,
    pub subnet: String,
    pub force: bool,
    /// The simulator executable shipped in the packages (hotplay itself: it runs as
    /// `hotdb-sim` when called by that name).
    pub sim_binary: PathBuf,
}

pub const HOTDB_UID: u32 = 2089;

pub fn up(opts: &UpOptions) -> Result<State, String> {
    let started = Instant::now();
    crate::require_root()?;
    host::check_tools()?;
    let release = release_of(&opts.version)?;
    let layout = hosts_of(&opts.topology)?;
    // server.xml knows cluster properties from 2.5.1 and idcId/idcNodeHost from 2.5.3.
    let needs = match opts.topology.as_str() {
        "multi-node" => Some(Version(2, 5, 1)),
        "dr" => Some(Version(2, 5, 3)),
        _ => None,
    };
    if let Some(min) = needs
        && release.version < min
    {
        return Err(format!(
            "topology {} needs HotDB {min} or newer (asked: {})",
            opts.topology, release.version
        ));
    }
    let net = crate::parse_subnet(&opts.subnet)?;
    let dir = opts.dir.clone();
    if State::load(&dir)?.is_some() {
        if !opts.force {
            return Err(format!(
                "a lab already exists in {}: `hotplay lab down --dir {}` first, or `up --force` to rebuild it",
                dir.display(),
                dir.display()
            ));
        }
        crate::down(&dir)?;
    }
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{} exists and is not empty: the lab needs a directory of its own",
            dir.display()
        ));
    }
    crate::check_subnet_free(net)?;
    let addr = |last: u8| format!("{}.{}.{}.{last}", net[0], net[1], net[2]);
    let prefix = crate::prefix_of(&dir);
    if Path::new(&format!("/run/netns/{prefix}-{}", layout[0].0)).exists() {
        return Err(format!(
            "network namespace {prefix}-{} exists without a state file in {}: another lab uses this directory's names; remove it with `ip netns del`",
            layout[0].0,
            dir.display()
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    let mut st = State {
        dir: dir.clone(),
        prefix: prefix.clone(),
        topology: opts.topology.clone(),
        version: format!("{}-{}", release.version, release.date),
        subnet: opts.subnet.clone(),
        vip: matches!(opts.topology.as_str(), "master-backup" | "dr" | "full").then(|| addr(100)),
        dr_vip: (opts.topology == "dr").then(|| addr(101)),
        hosts: Vec::new(),
        resources: Vec::new(),
    };
    st.record(Resource::Dir { path: dir.clone() })?;
    let result = build(&mut st, opts, release, &layout, &addr);
    if let Err(e) = result {
        return Err(format!(
            "{e}\n(the lab is half built: `hotplay lab down --dir {}` removes it)",
            dir.display()
        ));
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::write(dir.join("up-time.txt"), format!("{secs:.1}\n"));
    Ok(st)
}

fn build(
    st: &mut State,
    opts: &UpOptions,
    release: Release,
    layout: &[Planned],
    addr: &dyn Fn(u8) -> String,
) -> Result<(), String> {
    let dir = st.dir.clone();
    let prefix = st.prefix.clone();
    let mut phases = Phases::new(dir.join("up-phases.txt"));
    // Packages, generated in the background while the network comes up.
    let pkg_dir = dir.join("packages");
    let sim_binary = opts.sim_binary.clone();
    let mut wanted = vec![
        release.server_package(),
        release.management_package(),
        "jdk-7u80-linux-x64.tar.gz".to_string(),
    ];
    if release.version >= Version(2, 5, 6) {
        wanted.push("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz".into());
    }
    if layout
        .iter()
        .any(|(_, _, roles)| roles.contains(&"storage"))
    {
        wanted.push(BACKUP_PACKAGE.into());
        wanted.push(LISTENER_PACKAGE.into());
    }
    let wanted_bg = wanted.clone();
    let pkg_dir_bg = pkg_dir.clone();
    let packages = std::thread::spawn(move || -> Result<(), String> {
        let bytes = std::fs::read(&sim_binary)
            .map_err(|e| format!("cannot read {}: {e}", sim_binary.display()))?;
        let o = Options {
            sim_binary: std::sync::Arc::new(bytes),
            fail_sql: None,
        };
        // One thread per package: each gzips a copy of the simulator executable.
        let threads: Vec<_> = wanted_bg
            .into_iter()
            .map(|name| {
                let (o, out) = (o.clone(), pkg_dir_bg.clone());
                std::thread::spawn(move || {
                    package::generate(&out, std::slice::from_ref(&name), &o)
                        .map(|_| ())
                        .map_err(|e| format!("generating {name}: {e}"))
                })
            })
            .collect();
        for t in threads {
            t.join()
                .map_err(|_| "the package generator panicked".to_string())??;
        }
        Ok(())
    });

    // The user key, for root and hotdb on every host.
    let key = dir.join("id_ed25519");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C"])
        .arg(format!("hotplay-lab@{prefix}"))
        .arg("-f")
        .arg(&key))?;
    let pubkey = std::fs::read_to_string(dir.join("id_ed25519.pub")).map_err(|e| e.to_string())?;

    // The bridge, with the controller's address .1.
    let bridge = format!("{prefix}-br");
    st.record(Resource::Bridge {
        name: bridge.clone(),
    })?;
    ip(&["link", "add", &bridge, "type", "bridge"])?;
    ip(&["addr", "add", &format!("{}/24", addr(1)), "dev", &bridge])?;
    ip(&["link", "set", &bridge, "up"])?;

    let (passwd, shadow, group) = accounts()?;
    // Every lab host knows the others by name.
    let mut etc_hosts =
        String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for (name, last, _) in layout {
        let _ = writeln!(etc_hosts, "{}\t{name}", addr(*last));
    }
    let mut known_hosts = String::new();
    for (i, (name, last, roles)) in layout.iter().enumerate() {
        let ns = format!("{prefix}-{name}");
        let veth = format!("{prefix}-v{i}");
        let peer = format!("{prefix}-p{i}");
        let a = addr(*last);
        st.record(Resource::Netns { name: ns.clone() })?;
        ip(&["netns", "add", &ns])?;
        st.record(Resource::Veth { name: veth.clone() })?;
        ip(&["link", "add", &veth, "type", "veth", "peer", "name", &peer])?;
        ip(&["link", "set", &peer, "netns", &ns])?;
        ip(&["-n", &ns, "link", "set", &peer, "name", "eth0"])?;
        ip(&["-n", &ns, "addr", "add", &format!("{a}/24"), "dev", "eth0"])?;
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        ip(&["link", "set", &veth, "master", &bridge])?;
        ip(&["link", "set", &veth, "up"])?;

        // The host's own files.
        let h = st.host_dir(name);
        for d in [
            "usr-local/hotdb",
            "root/.ssh",
            "home/hotdb/.ssh",
            "run/sshd",
            "keepalived",
            "etc",
            "ssh",
            "logs",
            "mysql",
        ] {
            mkdir(&h.join(d))?;
        }
        write(&h.join("root/.ssh/authorized_keys"), &pubkey)?;
        write(&h.join("home/hotdb/.ssh/authorized_keys"), &pubkey)?;
        write(
            &h.join("root/.bashrc"),
            "# lab host root: a clean shell\nexport PS1='\\u@\\h:\\w\\$ '\n",
        )?;
        write(
            &h.join("root/.profile"),
            "[ -f ~/.bashrc ] && . ~/.bashrc\n",
        )?;
        let _ = std::fs::set_permissions(h.join("root"), std::fs::Permissions::from_mode(0o700));
        run(Command::new("chown")
            .args(["-R", &format!("{HOTDB_UID}:{HOTDB_UID}")])
            .arg(h.join("home/hotdb")))?;
        write(&h.join("etc/passwd"), &passwd)?;
        write(&h.join("etc/shadow"), &shadow)?;
        write(&h.join("etc/group"), &group)?;
        write(&h.join("etc/hostname"), &format!("{name}\n"))?;
        write(&h.join("etc/hosts"), &etc_hosts)?;
        let _ =
            std::fs::set_permissions(h.join("etc/shadow"), std::fs::Permissions::from_mode(0o640));
        let mut mounts: Vec<(PathBuf, &str)> = vec![
            (h.join("usr-local"), "/usr/local"),
            (h.join("root"), "/root"),
            (h.join("home"), "/home"),
            (h.join("run"), "/run"),
            (h.join("etc/passwd"), "/etc/passwd"),
            (h.join("etc/shadow"), "/etc/shadow"),
            (h.join("etc/group"), "/etc/group"),
            (h.join("etc/hosts"), "/etc/hosts"),
        ];
        if Path::new("/etc/hostname").is_file() {
            mounts.push((h.join("etc/hostname"), "/etc/hostname"));
        }
        if Path::new("/etc/keepalived").is_dir() {
            mounts.push((h.join("keepalived"), "/etc/keepalived"));
        }
        if roles.contains(&"configdb") && Path::new("/var/lib/mysql").is_dir() {
            mounts.push((h.join("mysql"), "/var/lib/mysql"));
        }
        let ready = h.join("holder.ready");
        let mut script = format!("set -e\nhostname {name}\n");
        for (src, target) in &mounts {
            let _ = writeln!(script, "mount --bind '{}' '{target}'", src.display());
        }
        let _ = writeln!(script, "touch '{}'\nexec sleep infinity", ready.display());
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &ns,
            "unshare",
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            &script,
        ]);
        let pid = spawn_detached(cmd, &h.join("logs/holder.log"))?;
        st.record(Resource::Process {
            pid,
            start_time: start_time(pid).unwrap_or(0),
            host: name.to_string(),
            what: "namespace holder".into(),
        })?;
        if !wait_for(Duration::from_secs(10), || {
            ready.exists() || !host::alive(pid)
        }) || !ready.exists()
        {
            let log = std::fs::read_to_string(h.join("logs/holder.log")).unwrap_or_default();
            return Err(format!(
                "host {name}: its mount namespace did not come up: {}",
                log.trim()
            ));
        }
        for (src, target) in &mounts {
            st.resources.push(Resource::Mount {
                host: name.to_string(),
                source: src.clone(),
                target: target.to_string(),
            });
        }
        st.hosts.push(Host {
            name: name.to_string(),
            address: a.clone(),
            netns: ns.clone(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            holder_pid: pid,
        });
        st.save()?;

        // sshd: own host key and config, on port 22 of the host's address.
        let hk = h.join("ssh/ssh_host_ed25519_key");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name])
            .arg("-f")
            .arg(&hk))?;
        let hostpub = std::fs::read_to_string(h.join("ssh/ssh_host_ed25519_key.pub"))
            .map_err(|e| e.to_string())?;
        let mut kparts = hostpub.split_whitespace();
        let _ = writeln!(
            known_hosts,
            "{a},{name} {} {}",
            kparts.next().unwrap_or(""),
            kparts.next().unwrap_or("")
        );
        let cfg = h.join("ssh/sshd_config");
        write(
            &cfg,
            &format!(
                "# sshd of lab host {name}\nPort 22\nListenAddress {a}\nHostKey {}\nPidFile /run/sshd.pid\nUsePAM no\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthorizedKeysFile .ssh/authorized_keys\nStrictModes no\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\nMaxSessions 50\nMaxStartups 50:30:100\n",
                hk.display()
            ),
        )?;
        let _ =
            std::fs::set_permissions(h.join("run/sshd"), std::fs::Permissions::from_mode(0o755));
        run(in_host(pid, "/usr/sbin/sshd")
            .arg("-f")
            .arg(&cfg)
            .arg("-E")
            .arg(h.join("logs/sshd.log")))?;
        let pidfile = h.join("run/sshd.pid");
        if !wait_for(Duration::from_secs(5), || {
            host::read_pid(&pidfile).is_some()
        }) {
            return Err(format!(
                "host {name}: sshd did not start (see {})",
                h.join("logs/sshd.log").display()
            ));
        }
        let spid = host::read_pid(&pidfile).unwrap_or(0);
        st.record(Resource::Process {
            pid: spid,
            start_time: start_time(spid).unwrap_or(0),
            host: name.to_string(),
            what: "sshd".into(),
        })?;
    }
    write(&dir.join("known_hosts"), &known_hosts)?;

    phases.mark("bridge, namespaces, mounts, sshds");
    // The config DB (MariaDB) and its schemas at the starting version.
    let configdbs: Vec<Host> = st
        .hosts
        .iter()
        .filter(|h| h.has("configdb"))
        .cloned()
        .collect();
    for (i, h) in configdbs.iter().enumerate() {
        configdb::start_mariadb(st, h, i as u32 + 1, configdbs.len() > 1)?;
    }
    let center = configdbs
        .iter()
        .find(|h| !h.has("dr-room"))
        .ok_or("no configdb host")?;
    for replica in configdbs.iter().filter(|h| h.has("dr-room")) {
        configdb::replicate(center, replica)?;
    }
    configdb::load_schemas(center, release.version)?;
    for replica in configdbs.iter().filter(|h| h.has("dr-room")) {
        let replicated = wait_for(Duration::from_secs(20), || {
            hotdb_sim::wire::client::Client::connect(
                &replica.address,
                3306,
                CONFIG_USER,
                CONFIG_PASSWORD,
                Some("hotdb_config"),
            )
            .ok()
            .and_then(|mut c| hotdb_sim::configdb::schema_version(&mut c).ok().flatten())
                == Some(release.version)
        });
        if !replicated {
            return Err(format!(
                "the config DB did not replicate to {} (see its logs/mariadb.err)",
                replica.name
            ));
        }
    }

    phases.mark("MariaDB: install-db, start, schemas");
    packages
        .join()
        .map_err(|_| "the package generator panicked".to_string())??;

    phases.mark("packages (generated in parallel since the start)");
    // Components.
    let hosts = st.hosts.clone();
    let mut starts = Vec::new();
    for h in &hosts {
        let hd = st.host_dir(&h.name);
        let base = hd.join("usr-local/hotdb");
        let role = h.roles[0].as_str();
        let component = match role {
            r if r.starts_with("compute-") => release.server_package(),
            "management" => release.management_package(),
            _ => continue,
        };
        for p in &wanted {
            if p.starts_with("jdk-7u80") || *p == component {
                run(Command::new("tar")
                    .arg("-xzf")
                    .arg(pkg_dir.join(p))
                    .arg("-C")
                    .arg(&base))?;
            }
        }
        let _ = std::os::unix::fs::symlink("jdk1.7.0_80", base.join("jdk"));
        if release.version >= Version(2, 5, 6) {
            let jdk8 = hd.join("usr-local/jdk8");
            mkdir(&jdk8)?;
            run(Command::new("tar")
                .arg("-xzf")
                .arg(pkg_dir.join("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz"))
                .arg("-C")
                .arg(&jdk8))?;
        }
        if role.starts_with("compute-") {
            let home = base.join("hotdb-server");
            let mut values: BTreeMap<String, String> = BTreeMap::new();
            values.insert(
                "url".into(),
                format!(
                    "jdbc:mysql://{}:3306/hotdb_config",
                    st.room_host(h, "configdb")
                        .map(|c| c.address.as_str())
                        .unwrap_or("")
                ),
            );
            values.insert("username".into(), CONFIG_USER.into());
            values.insert("password".into(), CONFIG_PASSWORD.into());
            values.insert("haMode".into(), "0".into());
            values.insert(
                "serverId".into(),
                h.name.trim_start_matches("hotdb").to_string(),
            );
            if st.topology == "dr" {
                let dr = h.has("dr-room");
                values.insert("haMode".into(), if dr { "3" } else { "2" }.into());
                values.insert("idcId".into(), if dr { "2" } else { "1" }.into());
                let other = hosts
                    .iter()
                    .find(|o| o.has("compute-master") && o.has("dr-room") != dr)
                    .map(|o| format!("{}:3325", o.address))
                    .unwrap_or_default();
                values.insert("idcNodeHost".into(), other);
            }
            match role {
                "compute-master" => {
                    values.insert("haState".into(), "master".into());
                }
                "compute-cluster" => {
                    values.insert("haMode".into(), "1".into());
                    values.insert("clusterSize".into(), "3".into());
                    values.insert("clusterName".into(), "HotDB-Cluster".into());
                    values.insert("clusterHost".into(), h.address.clone());
                    values.insert("clusterPort".into(), "3326".into());
                }
                "compute-backup" => {
                    values.insert("haState".into(), "backup".into());
                    values.insert(
                        "haNodeHost".into(),
                        st.room_host(h, "compute-master")
                            .map(|m| format!("{}:3325", m.address))
                            .unwrap_or_default(),
                    );
                }
                _ => {}
            }
            if let Some(vip) = st.room_vip(h) {
                values.insert("VIP".into(), vip.clone());
            }
            write(
                &home.join("conf/server.xml"),
                &hotdb_sim::package::server::server_xml(release.version, &values),
            )?;
            if st.vip.is_some() {
                let which = if role == "compute-master" {
                    "master"
                } else {
                    "backup"
                };
                let vendor =
                    std::fs::read_to_string(home.join(format!("conf/keepalived.conf.{which}")))
                        .map_err(|e| e.to_string())?;
                write(
                    &hd.join("keepalived/keepalived.conf"),
                    &keepalived_conf(
                        &vendor,
                        st.room_vip(h).map(String::as_str).unwrap_or(""),
                        if h.has("dr-room") { 90 } else { 89 },
                    ),
                )?;
                write_keepalived_ctl(&hd.join("usr-local/bin/lab-keepalived"))?;
            }
        } else {
            let home = base.join("hotdb-management");
            let props = std::fs::read_to_string(home.join("conf/application.properties"))
                .map_err(|e| e.to_string())?;
            write(
                &home.join("conf/application.properties"),
                &props
                    .replace("127.0.0.1:3306", &format!("{}:3306", center.address))
                    .lines()
                    .map(|l| {
                        if l.starts_with("spring.datasource.password") {
                            format!("spring.datasource.password={CLOUD_PASSWORD}\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect::<String>(),
            )?;
        }
        run(Command::new("chown")
            .args(["-R", &format!("{HOTDB_UID}:{HOTDB_UID}")])
            .arg(&base))?;
        starts.push(h.clone());
    }
    phases.mark("unpack and configure");
    // Start every component at once: their start scripts each wait a second.
    let mut threads = Vec::new();
    for h in starts.clone() {
        let script = if is_compute(&h.roles) {
            "/usr/local/hotdb/hotdb-server/bin/hotdb_server"
        } else {
            "/usr/local/hotdb/hotdb-management/bin/hotdb_management"
        };
        threads.push(std::thread::spawn(move || {
            run(in_host(h.holder_pid, "sh").args([script, "start"])).map(|_| ())
        }));
    }
    for t in threads {
        t.join()
            .map_err(|_| "a start thread panicked".to_string())??;
    }
    for h in &starts {
        let hd = st.host_dir(&h.name);
        let (pidfile, what) = if is_compute(&h.roles) {
            (
                hd.join("usr-local/hotdb/hotdb-server/run/hotdb-server.pid"),
                "hotdb-server",
            )
        } else {
            (
                hd.join("usr-local/hotdb/hotdb-management/run/hotdb-management.pid"),
                "hotdb-management",
            )
        };
        let pid = host::read_pid(&pidfile).unwrap_or(0);
        st.record(Resource::Process {
            pid,
            start_time: start_time(pid).unwrap_or(0),
            host: h.name.clone(),
            what: what.into(),
        })?;
    }
    let mgmt_addr = hosts
        .iter()
        .find(|h| h.has("management"))
        .map(|h| h.address.clone())
        .unwrap_or_default();
    for h in hosts.iter().filter(|h| h.has("storage")) {
        start_storage(st, h, &pkg_dir, &mgmt_addr)?;
    }
    phases.mark("start scripts");
    write_inventory(st)?;
    // Ready: management ports, the VIP on the master, the service port through it.
    for h in &starts {
        let port = if is_compute(&h.roles) { 3325 } else { 3324 };
        if !wait_for(Duration::from_secs(20), || {
            host::port_open(&h.address, port)
        }) {
            return Err(format!(
                "host {}: port {port} did not open (see its logs under {})",
                h.name,
                st.host_dir(&h.name).join("usr-local/hotdb").display()
            ));
        }
    }
    phases.mark("management ports open (the simulator's start delay)");
    // keepalived once the track scripts can pass: each room's master first, its backup
    // once the master holds the VIP (equal start times would race: nopreempt keeps
    // whoever wins).
    for role in ["compute-master", "compute-backup"] {
        for h in hosts.iter().filter(|h| h.has(role)) {
            if st.room_vip(h).is_none() {
                continue;
            }
            let mut cmd = in_host(h.holder_pid, "keepalived");
            cmd.args([
                "-n",
                "-l",
                "-D",
                "-f",
                "/etc/keepalived/keepalived.conf",
                "-p",
                "/run/keepalived.pid",
                "-r",
                "/run/keepalived_vrrp.pid",
                "-c",
                "/run/keepalived_checkers.pid",
            ]);
            let log = st.host_dir(&h.name).join("logs/keepalived.log");
            let kpid = spawn_detached(cmd, &log)?;
            st.record(Resource::Process {
                pid: kpid,
                start_time: start_time(kpid).unwrap_or(0),
                host: h.name.clone(),
                what: "keepalived".into(),
            })?;
        }
        // Every room's master at once, then the backups.
        for h in hosts
            .iter()
            .filter(|h| h.has(role) && role == "compute-master")
        {
            let Some(vip) = st.room_vip(h) else {
                continue;
            };
            if !wait_for(Duration::from_secs(15), || {
                host::addresses(&h.netns).contains(vip)
            }) {
                return Err(format!(
                    "{}: keepalived did not take the VIP {vip} (see {})",
                    h.name,
                    st.host_dir(&h.name).join("logs/keepalived.log").display()
                ));
            }
        }
    }
    phases.mark("keepalived: the masters take the VIPs");
    let services: Vec<String> = match &st.vip {
        Some(v) => vec![v.clone()],
        None => hosts
            .iter()
            .filter(|h| is_compute(&h.roles) && !h.has("dr-room"))
            .map(|h| h.address.clone())
            .collect(),
    };
    for service in &services {
        if !wait_for(Duration::from_secs(25), || host::port_open(service, 3323)) {
            return Err(format!(
                "the service port {service}:3323 did not open (see {})",
                st.dir.join("hosts/*/logs").display()
            ));
        }
    }
    phases.mark("the service port answers through the VIP");
    Ok(())
}

/// `lab-keepalived start|stop|reload|status`: lab hosts have no init system, so playbooks
/// run keepalived through this (inventory: `hotdb_keepalived_*_cmd`). A killed keepalived
/// may stay a zombie of a PID 1 that never reaps, so "running" means alive and not Z.
pub const KEEPALIVED_CTL: &str = r#"#!/bin/sh
pidf=/run/keepalived.pid
alive() {
    p=$(cat "$pidf" 2>/dev/null) && [ -n "$p" ] || return 1
    s=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$s" ] && [ "$s" != Z ]
}
case "$1" in
start)
    alive && { echo "keepalived is already running"; exit 0; }
    keepalived -D -f /etc/keepalived/keepalived.conf -p "$pidf" \
        -r /run/keepalived_vrrp.pid -c /run/keepalived_checkers.pid </dev/null >/dev/null 2>&1
    i=0; while ! alive; do i=$((i+1)); [ $i -lt 50 ] || { echo "keepalived did not start" >&2; exit 1; }; sleep 0.1; done
    echo "keepalived started" ;;
stop)
    alive || { echo "keepalived is not running"; exit 0; }
    kill "$p"
    i=0; while alive; do i=$((i+1)); [ $i -lt 100 ] || { echo "keepalived did not stop" >&2; exit 1; }; sleep 0.1; done
    echo "keepalived stopped" ;;
reload)
    alive || { echo "keepalived is not running" >&2; exit 1; }
    kill -HUP "$p" && echo "keepalived reloaded" ;;
status)
    if alive; then echo "keepalived is running (PID $p)"; else echo "keepalived is not running"; exit 3; fi ;;
*)
    echo "usage: lab-keepalived start|stop|reload|status" >&2; exit 2 ;;
esac
"#;

fn write_keepalived_ctl(path: &Path) -> Result<(), String> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    write(path, KEEPALIVED_CTL)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The vendor's keepalived.conf with this lab's interface and VIP, and the script user set
/// (keepalived refuses to run scripts as root otherwise).
pub fn keepalived_conf(vendor: &str, vip: &str, router_id: u8) -> String {
    vendor
        .replace(
            "virtual_router_id 89",
            &format!("virtual_router_id {router_id}"),
        )
        .replace(
            "192.168.200.140/24 dev eth1 label eth1:1",
            &format!("{vip}/24 dev eth0 label eth0:1"),
        )
        .replace("interface eth1", "interface eth0")
        .replace(
            "    router_id HotDB Server-ha\n",
            "    router_id HotDB Server-ha\n    script_user root\n    enable_script_security\n",
        )
}

/// The machine's account files with root's password field set to `*` (sshd without PAM
/// refuses locked accounts) and a `hotdb` user added.
fn accounts() -> Result<(String, String, String), String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"));
    let mut passwd: String = read("/etc/passwd")?
        .lines()
        .filter(|l| !l.starts_with("hotdb:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut shadow: String = read("/etc/shadow")?
        .lines()
        .filter(|l| !l.starts_with("hotdb:"))
        .map(|l| {
            let mut f: Vec<&str> = l.split(':').collect();
            if f.len() > 1 && f[0] == "root" {
                f[1] = "*";
            }
            format!("{}\n", f.join(":"))
        })
        .collect();
    let mut group: String = read("/etc/group")?
        .lines()
        .filter(|l| !l.starts_with("hotdb:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let _ = writeln!(
        passwd,
        "hotdb:x:{HOTDB_UID}:{HOTDB_UID}:HotDB:/home/hotdb:/bin/bash"
    );
    let _ = writeln!(shadow, "hotdb:*:19000:0:99999:7:::");
    let _ = writeln!(group, "hotdb:x:{HOTDB_UID}:");
    Ok((passwd, shadow, group))
}

/// A storage node: HotDB Backup (connected to the management platform's backup port) and
/// HotDB Listener (`conf/config.properties`: host 0.0.0.0, port 3330).
fn start_storage(st: &mut State, h: &Host, pkg_dir: &Path, mgmt: &str) -> Result<(), String> {
    let base = st.host_dir(&h.name).join("usr-local/hotdb");
    for p in [BACKUP_PACKAGE, LISTENER_PACKAGE] {
        run(Command::new("tar")
            .arg("-xzf")
            .arg(pkg_dir.join(p))
            .arg("-C")
            .arg(&base))?;
    }
    run(Command::new("chown")
        .args(["-R", &format!("{HOTDB_UID}:{HOTDB_UID}")])
        .arg(&base))?;
    let starts: [(&str, Vec<&str>, &str); 2] = [
        (
            "hotdb-backup",
            vec![
                "/usr/local/hotdb/hotdb-backup/bin/hotdb_backup",
                "start",
                "-h",
                mgmt,
                "-p",
                "3322",
            ],
            "hotdb-backup/run/hotdb_backup.pid",
        ),
        (
            "hotdb-listener",
            vec![
                "/usr/local/hotdb/hotdb-listener/bin/hotdb_listener",
                "start",
            ],
            "hotdb-listener/run/hotdb_listener.pid",
        ),
    ];
    for (what, args, pidfile) in starts {
        run(in_host(h.holder_pid, "sh").args(&args))?;
        let pid = host::read_pid(&base.join(pidfile)).unwrap_or(0);
        st.record(Resource::Process {
            pid,
            start_time: start_time(pid).unwrap_or(0),
            host: h.name.clone(),
            what: what.into(),
        })?;
    }
    Ok(())
}

/// Time per phase of `up`, written to `<dir>/up-phases.txt` as it goes.
struct Phases {
    file: PathBuf,
    last: Instant,
    text: String,
}

impl Phases {
    fn new(file: PathBuf) -> Phases {
        Phases {
            file,
            last: Instant::now(),
            text: String::new(),
        }
    }

    fn mark(&mut self, what: &str) {
        let _ = writeln!(
            self.text,
            "{:5.1} s  {what}",
            self.last.elapsed().as_secs_f64()
        );
        self.last = Instant::now();
        let _ = std::fs::write(&self.file, &self.text);
    }
}
