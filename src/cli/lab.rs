//! `hotplay lab`: the lab of network namespaces (crate hotplay-lab, lab/net).

use clap::{Args, Subcommand};
use hotplay_lab as lab;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Args, Debug, Clone)]
pub struct DirArg {
    /// The lab directory (state, keys, inventory, the hosts' files).
    #[arg(long, value_name = "DIR", env = "HOTPLAY_LAB_DIR", default_value = lab::DEFAULT_DIR)]
    pub dir: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Build a lab and start a HotDB cluster on it.
    #[command(disable_version_flag = true)]
    Up {
        /// single, master-backup, multi-node (a 3-member cluster), dr (two rooms) or full
        /// (master-backup and a storage node).
        #[arg(long, default_value = "master-backup")]
        topology: String,
        /// The starting version of every component (2.5.3, or 2.5.3-20190801 for one build).
        #[arg(long, default_value = "2.5.3")]
        version: String,
        /// The lab's private /24.
        #[arg(long, default_value = lab::DEFAULT_SUBNET)]
        subnet: String,
        /// Rebuild a lab that exists in DIR.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Remove everything the lab made (idempotent).
    Down {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Hosts, components and versions, the VIP holder, roles, config DB schema versions
    /// (exit 3 when not healthy).
    Status {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dir: DirArg,
    },
    /// A shell (or a command) on a lab host, over its sshd (options go before HOST).
    Ssh {
        host: String,
        /// The command: every word after HOST.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
        #[arg(long, short = 'u', default_value = "root")]
        user: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Inject a fault on a host (`hotplay lab fault HOST list` lists them).
    Fault {
        host: String,
        kind: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Generate the simulator's vendor-named packages.
    Packages {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The hop into VERSION fails at statement K (`2.5.5:3`).
        #[arg(long, value_name = "VERSION:K")]
        fail_sql: Option<String>,
        /// Package file names (all when none).
        names: Vec<String>,
    },
    /// Client traffic through the VIP: start, stop, report.
    Traffic {
        #[arg(value_parser = ["start", "stop", "report"])]
        action: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// The README's demo: a master-backup lab on 2.5.3, then playbooks/master_backup_rolling.yml
    /// to 2.5.6 with client traffic through the VIP all along; the recap, the status before
    /// and after, and how many client queries failed during the HA switch.
    Demo {
        /// The directory that holds the bundled playbooks (default: ./playbooks, else the
        /// source tree's).
        #[arg(long, value_name = "DIR")]
        playbooks: Option<PathBuf>,
        /// The lab's private /24.
        #[arg(long, default_value = lab::DEFAULT_SUBNET)]
        subnet: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// The traffic generator's loop (started by `traffic start`).
    #[command(hide = true)]
    TrafficRun {
        #[arg(long)]
        target: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "100")]
        interval_ms: u64,
    },
}

fn fail(msg: &str) -> i32 {
    eprintln!("ERROR! {}", msg.trim_end());
    1
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find the hotplay executable: {e}"))
}

pub fn main(args: LabArgs) -> i32 {
    match run(args.command) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run(cmd: LabCommand) -> Result<i32, String> {
    if !matches!(
        cmd,
        LabCommand::Packages { .. } | LabCommand::TrafficRun { .. }
    ) {
        lab::require_root()?;
    }
    match cmd {
        LabCommand::Up {
            topology,
            version,
            subnet,
            force,
            dir,
        } => {
            let dir = lab::lab_dir(Some(&dir.dir));
            let started = std::time::Instant::now();
            let st = lab::up(&lab::UpOptions {
                dir: dir.clone(),
                topology,
                version,
                subnet,
                force,
                sim_binary: exe()?,
            })?;
            println!(
                "lab up in {:.1} s: {} ({}, HotDB {})",
                started.elapsed().as_secs_f64(),
                dir.display(),
                st.topology,
                st.version
            );
            for h in &st.hosts {
                println!("  {:<9} {:<12} {}", h.name, h.address, h.roles.join(","));
            }
            if let Some(v) = &st.vip {
                println!("  VIP {v}");
            }
            let d = dir.display();
            println!(
                "\nhotplay run PLAYBOOK -i {d}/inventory.ini\nhotplay lab ssh hotdb1 --dir {d}\nssh -F {d}/ssh_config hotdb1\nhotplay lab status --dir {d}\nhotplay lab down --dir {d}"
            );
            Ok(0)
        }
        LabCommand::Down { dir } => {
            let dir = lab::lab_dir(Some(&dir.dir));
            let r = lab::down(&dir)?;
            if r.dir || r.namespaces > 0 || r.processes > 0 {
                println!(
                    "lab {} removed: {} processes, {} namespaces, {} links",
                    dir.display(),
                    r.processes,
                    r.namespaces,
                    r.links
                );
            } else {
                println!("no lab in {}: nothing to remove", dir.display());
            }
            Ok(0)
        }
        LabCommand::Status { json, dir } => {
            let s = lab::status(&lab::lab_dir(Some(&dir.dir)))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?
                );
            } else {
                print!("{}", s.render());
            }
            Ok(if s.healthy { 0 } else { 3 })
        }
        LabCommand::Ssh {
            host,
            command,
            user,
            dir,
        } => {
            // `lab ssh hotdb1 hostname --dir D` would run `hostname --dir D` on the default lab.
            if command.iter().any(|w| w == "--dir") {
                return Err(format!(
                    "`--dir` after the host is taken as part of the command: put options before HOST (`hotplay lab ssh --dir DIR {host} CMD`, or quote the command)"
                ));
            }
            let dir = lab::lab_dir(Some(&dir.dir));
            let st = lab::load(&dir)?;
            st.host(&host)?;
            let mut c = std::process::Command::new("ssh");
            c.arg("-F").arg(dir.join("ssh_config")).args(["-l", &user]);
            if command.is_empty() {
                c.arg("-t");
            }
            c.arg(&host).args(&command);
            let status = c.status().map_err(|e| format!("cannot run ssh: {e}"))?;
            Ok(status.code().unwrap_or(255))
        }
        LabCommand::Fault { host, kind, dir } => {
            if kind == "list" {
                for (k, d) in lab::fault::KINDS {
                    println!("{k:<20} {d}");
                }
                return Ok(0);
            }
            println!(
                "{}",
                lab::fault::inject(&lab::lab_dir(Some(&dir.dir)), &host, &kind)?
            );
            Ok(0)
        }
        LabCommand::Packages {
            out,
            fail_sql,
            names,
        } => {
            let mut o = hotdb_sim::package::Options {
                sim_binary: std::sync::Arc::new(std::fs::read(exe()?).map_err(|e| e.to_string())?),
                fail_sql: None,
            };
            if let Some(f) = fail_sql {
                o.fail_sql = Some(
                    hotdb_sim::package::SqlFault::parse(&f)
                        .ok_or(format!("--fail-sql {f}: expected VERSION:K, e.g. 2.5.5:3"))?,
                );
            }
            for p in hotdb_sim::package::generate(&out, &names, &o).map_err(|e| e.to_string())? {
                println!("{}", p.display());
            }
            Ok(0)
        }
        LabCommand::Traffic { action, dir } => {
            let dir = lab::lab_dir(Some(&dir.dir));
            let counts = match action.as_str() {
                "start" => {
                    let target = lab::traffic::start(&dir, &exe()?)?;
                    println!(
                        "traffic: select 1 against {target} every 100 ms; counts in {}",
                        lab::traffic::counts_file(&dir).display()
                    );
                    return Ok(0);
                }
                "stop" => lab::traffic::stop(&dir)?,
                _ => lab::traffic::report(&dir)?,
            };
            match counts {
                Some(c) => println!(
                    "traffic against {}: {} ok, {} failed, longest gap {} ms{}{}",
                    c.target,
                    c.ok,
                    c.failed,
                    c.longest_gap_ms,
                    if c.failovers > 0 {
                        format!(", {} failovers to another member", c.failovers)
                    } else {
                        String::new()
                    },
                    c.last_error
                        .map(|e| format!(", last error: {e}"))
                        .unwrap_or_default()
                ),
                None => println!("no traffic counts yet"),
            }
            Ok(0)
        }
        LabCommand::Demo {
            playbooks,
            subnet,
            dir,
        } => demo(playbooks, &subnet, &dir.dir),
        LabCommand::TrafficRun {
            target,
            out,
            interval_ms,
        } => lab::traffic::run_loop(
            &target,
            Path::new(&out),
            std::time::Duration::from_millis(interval_ms),
        ),
    }
}

/// One step of the demo: this executable with `args`, its output shown as it comes.
fn step(title: &str, args: &[&std::ffi::OsStr]) -> Result<i32, String> {
    println!("\n== {title}");
    let status = std::process::Command::new(exe()?)
        .args(args)
        .status()
        .map_err(|e| format!("{title}: {e}"))?;
    Ok(status.code().unwrap_or(255))
}

fn demo(playbooks: Option<PathBuf>, subnet: &str, dir: &Path) -> Result<i32, String> {
    let playbooks = match playbooks {
        Some(p) => p,
        None if Path::new("playbooks/master_backup_rolling.yml").is_file() => "playbooks".into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("playbooks"),
    };
    let playbook = playbooks.join("master_backup_rolling.yml");
    if !playbook.is_file() {
        return Err(format!(
            "{} not found: run from the source tree or give --playbooks DIR",
            playbook.display()
        ));
    }
    let d = dir.as_os_str();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let packages = dir.join("packages");
    let inventory = dir.join("inventory.ini");
    let up = [
        os("lab"),
        os("up"),
        os("--force"),
        os("--topology"),
        os("master-backup"),
        os("--version"),
        os("2.5.3"),
        os("--subnet"),
        std::ffi::OsStr::new(subnet),
        os("--dir"),
        d,
    ];
    if step("a master/backup HotDB 2.5.3 lab", &up)? != 0 {
        return Err("lab up failed".into());
    }
    let pk = [
        os("lab"),
        os("packages"),
        os("--out"),
        packages.as_os_str(),
        os("hotdb-server-2.5.6-ga-20200918.tar.gz"),
        os("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz"),
    ];
    if step("the 2.5.6 packages (the simulator's)", &pk)? != 0 {
        return Err("lab packages failed".into());
    }
    step("before", &[os("lab"), os("status"), os("--dir"), d])?;
    step(
        "client traffic through the VIP",
        &[os("lab"), os("traffic"), os("start"), os("--dir"), d],
    )?;
    let rc = step(
        &format!("hotplay run {} -e target_version=2.5.6", playbook.display()),
        &[
            os("run"),
            playbook.as_os_str(),
            os("-i"),
            inventory.as_os_str(),
            os("-e"),
            os("target_version=2.5.6"),
        ],
    )?;
    step(
        "client queries during the upgrade",
        &[os("lab"), os("traffic"), os("stop"), os("--dir"), d],
    )?;
    step("after", &[os("lab"), os("status"), os("--dir"), d])?;
    println!(
        "\nThe lab stays up: hotplay lab ssh --dir {0} hotdb1 | hotplay lab down --dir {0}",
        dir.display()
    );
    Ok(rc)
}
