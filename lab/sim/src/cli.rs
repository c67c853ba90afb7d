//! Subcommands of `hotdb-sim`. Start scripts pass JVM-style options after the known ones
//! (`-server -Xms4G ... -classpath ...`); they are accepted and ignored.

use crate::configdb;
use crate::package::{self, Options, SqlFault};
use crate::wire::client::Client;
use std::path::PathBuf;

const USAGE: &str = "usage:
  hotdb-sim packages --out DIR [--fail-sql VERSION:K] [NAME...]
  hotdb-sim list-packages
  hotdb-sim compute-node --home DIR [--java LINE]
  hotdb-sim management --home DIR [--java LINE]
  hotdb-sim backup --home DIR -h HOST -p PORT
  hotdb-sim listener --home DIR
  hotdb-sim client [-h HOST] [-P PORT] [-u USER] [-p PASSWORD] [-D DB] -e SQL
  hotdb-sim sql -h HOST -P PORT -u USER -p PASSWORD -D DB FILE";

/// Options as `--name value` / `-x value` pairs plus the words that are not options.
struct Args {
    pairs: Vec<(String, String)>,
    words: Vec<String>,
}

impl Args {
    fn parse(args: &[String], with_value: &[&str]) -> Args {
        let mut pairs = Vec::new();
        let mut words = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if with_value.contains(&a.as_str()) && i + 1 < args.len() {
                pairs.push((a.clone(), args[i + 1].clone()));
                i += 2;
            } else {
                if !a.starts_with('-') {
                    words.push(a.clone());
                }
                i += 1;
            }
        }
        Args { pairs, words }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn main(args: &[String]) -> i32 {
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    let a = Args::parse(
        rest,
        &[
            "--out",
            "--fail-sql",
            "--home",
            "--java",
            "-h",
            "-P",
            "-p",
            "-u",
            "-D",
            "-e",
            "-classpath",
            "-cp",
        ],
    );
    let home = a.get("--home").map(PathBuf::from);
    let java = a.get("--java").unwrap_or("none");
    match (command.as_str(), home) {
        ("packages", _) => packages(&a),
        ("list-packages", _) => {
            package::names().iter().for_each(|n| println!("{n}"));
            0
        }
        ("compute-node", Some(home)) => crate::node::run(&home, java),
        ("management", Some(home)) => crate::management::run(&home, java),
        ("backup", Some(home)) => {
            let port = a.get("-p").and_then(|p| p.parse().ok());
            match (a.get("-h"), port) {
                (Some(host), Some(port)) => crate::backup::run(&home, host, port),
                _ => {
                    eprintln!(
                        "usage: hotdb_backup start -h <management platform IP> -p <server.backup.port>"
                    );
                    2
                }
            }
        }
        ("listener", Some(home)) => crate::listener::run(&home),
        ("client", _) => client(&a),
        ("sql", _) => sql(&a),
        _ => {
            eprintln!("{USAGE}");
            2
        }
    }
}

fn packages(a: &Args) -> i32 {
    let Some(out) = a.get("--out") else {
        eprintln!("{USAGE}");
        return 2;
    };
    let mut opts = match Options::from_current_exe() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cannot read the simulator executable: {e}");
            return 1;
        }
    };
    if let Some(spec) = a.get("--fail-sql") {
        match SqlFault::parse(spec) {
            Some(f) => opts.fail_sql = Some(f),
            None => {
                eprintln!(
                    "--fail-sql expects VERSION:K (the hop into VERSION fails at statement K), got {spec:?}"
                );
                return 2;
            }
        }
    }
    match package::generate(&PathBuf::from(out), &a.words, &opts) {
        Ok(paths) => {
            paths.iter().for_each(|p| println!("{}", p.display()));
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn connect(a: &Args) -> Result<Client, String> {
    let host = a.get("-h").unwrap_or("127.0.0.1");
    let port = a
        .get("-P")
        .unwrap_or("3325")
        .parse::<u16>()
        .map_err(|_| "-P expects a port".to_string())?;
    Client::connect(
        host,
        port,
        a.get("-u").unwrap_or("root"),
        a.get("-p").unwrap_or(""),
        a.get("-D"),
    )
    .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))
}

/// Like `mysql -N -B -e`: tab-separated rows, errors on stderr, exit 1 on error.
fn client(a: &Args) -> i32 {
    let Some(sql) = a.get("-e") else {
        eprintln!("{USAGE}");
        return 2;
    };
    let result = connect(a).and_then(|mut c| c.query(sql).map_err(|e| e.to_string()));
    match result {
        Ok(o) => {
            for row in o.rows {
                let cells: Vec<&str> = row.iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
                println!("{}", cells.join("\t"));
            }
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// Runs a script file statement by statement; stops at the first error.
fn sql(a: &Args) -> i32 {
    let Some(file) = a.words.first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    let script = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            return 1;
        }
    };
    let result = connect(a).and_then(|mut c| {
        c.query("SET NAMES utf8").map_err(|e| e.to_string())?;
        configdb::run_script(&mut c, &script)
            .map_err(|e| format!("statement {} failed: {}\n{}", e.statement, e.error, e.sql))
    });
    match result {
        Ok(n) => {
            println!("{n} statements ok");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
