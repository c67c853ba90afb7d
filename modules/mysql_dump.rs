//! mysql_dump: back up a database the way the manual's C-DUMP step does, with the
//! `mysqldump` of the task host. The password goes in a 0600 option file on the host
//! (`--defaults-extra-file`), removed when the dump ends, however it ends.

use super::mysql_login::{self, Login, OPTION_FILE_SCRIPT, field, find_client_script, sql_string};
use crate::execute::connection::quote::quote;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct MysqlDump;

pub const CLIENT_PACKAGES: &str = "mariadb-client (or default-mysql-client)";

static DOC: ModuleDoc = ModuleDoc {
    name: "mysql_dump",
    short: "Back up a database with mysqldump on the task host",
    description: "Dumps one database with the task host's `mysqldump` (or `mariadb-dump`) into `dest/<name>-<label>-<YYYYmmddHHMMSS>.sql`, a new file every time (never overwritten). The flags are the manual's C-DUMP step, adapted to the client: `--single-transaction`, `--master-data=1` (`--source-data=1` for MySQL 8.0.26 and later; by default only when the server's binary log is on, since mysqldump refuses it otherwise), `--set-gtid-purged=OFF` (MySQL's mysqldump only: MariaDB's has no such option), `--databases <name>` and `--default-character-set`. The login goes in a 0600 option file on the host, passed with --defaults-extra-file and removed afterwards, even when the dump fails.",
    args: &[
        ArgSpec::new("name", ArgType::Str, "The database to dump.")
            .required()
            .aliases(&["db", "database"]),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "The directory on the task host for the dump (created when missing).",
        )
        .required(),
        ArgSpec::new(
            "label",
            ArgType::Str,
            "The middle part of the file name, e.g. the component's old version (default: the server's version).",
        ),
        mysql_login::LOGIN_HOST,
        mysql_login::LOGIN_PORT,
        mysql_login::LOGIN_USER,
        mysql_login::LOGIN_PASSWORD,
        mysql_login::LOGIN_UNIX_SOCKET,
        mysql_login::LOGIN_DEFAULTS_FILE,
        ArgSpec::new(
            "charset",
            ArgType::Str,
            "--default-character-set. The manual uses utf8; utf8mb4 (a superset) loses nothing.",
        )
        .default("utf8mb4"),
        ArgSpec::new(
            "master_data",
            ArgType::Str,
            "Record the binary log position (--master-data/--source-data=1): auto = when the server's binary log is on.",
        )
        .choices(&["auto", "yes", "no"])
        .default("auto"),
        ArgSpec::new(
            "single_transaction",
            ArgType::Bool,
            "--single-transaction: a consistent InnoDB snapshot without locking.",
        )
        .default("yes"),
        ArgSpec::new(
            "extra_args",
            ArgType::List,
            "More mysqldump options, e.g. [--routines, --events].",
        ),
    ],
    free_form: FreeForm::No,
    check_mode: "Finds mysqldump, logs in (checking the credentials and that the database exists), and reports the flags and the file name it would write; writes nothing.",
    returns: "path, size, sha256, database, label, flags (the mysqldump options, no password), client (its --version line), flavour (mariadb or mysql), server_version",
    examples: "- mysql_dump:\n    name: hotdb_config\n    dest: /usr/local/hotdb/backup\n    label: \"{{ hotdb_old_version }}\"\n    login_host: 127.0.0.1\n    login_port: 3306\n    login_user: hotdb\n    login_password: \"{{ config_db_password }}\"\n  register: dump",
};

/// What the probe learnt about the client and the server.
#[derive(Debug, PartialEq)]
pub struct Probe {
    pub client: String,
    pub server_version: String,
    pub log_bin: bool,
    pub database_exists: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flavour {
    MariaDb,
    MySql { major: u32, minor: u32, patch: u32 },
}

/// The flavour from `mysqldump --version`: `... Distrib 10.11.6-MariaDB, ...` or `Ver 8.0.36 for Linux`.
pub fn flavour(version_line: &str) -> Flavour {
    if version_line.contains("MariaDB") {
        return Flavour::MariaDb;
    }
    let after = version_line
        .split("Distrib ")
        .nth(1)
        .or_else(|| version_line.split("Ver ").nth(1))
        .unwrap_or_default();
    let nums: Vec<u32> = after
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default()
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    Flavour::MySql {
        major: nums.first().copied().unwrap_or(0),
        minor: nums.get(1).copied().unwrap_or(0),
        patch: nums.get(2).copied().unwrap_or(0),
    }
}

/// The mysqldump options for this client and server (the password is never among them).
pub fn flags(args: &Args, probe: &Probe) -> Vec<String> {
    let fl = flavour(&probe.client);
    let mut f = Vec::new();
    if args.bool("single_transaction") {
        f.push("--single-transaction".to_string());
    }
    let master = match args.str("master_data").unwrap_or("auto") {
        "yes" => true,
        "no" => false,
        _ => probe.log_bin,
    };
    if master {
        f.push(match fl {
            Flavour::MySql {
                major,
                minor,
                patch,
            } if (major, minor, patch) >= (8, 0, 26) => "--source-data=1".into(),
            _ => "--master-data=1".into(),
        });
    }
    if let Flavour::MySql { major, minor, .. } = fl
        && (major, minor) >= (5, 6)
    {
        f.push("--set-gtid-purged=OFF".into());
    }
    f.push(format!(
        "--default-character-set={}",
        args.str("charset").unwrap_or("utf8mb4")
    ));
    f.extend(args.str_list("extra_args"));
    f
}

/// Only the characters a file name can safely carry.
pub fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One round trip: the client's version, a login, the server's version, binary log and
/// whether the database exists.
async fn probe(
    h: &Handle<'_>,
    login: &Login,
    db: &str,
) -> Result<Result<Probe, String>, ConnError> {
    let q = format!(
        "SELECT VERSION(), @@GLOBAL.log_bin, (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {})",
        sql_string(db)
    );
    let script = format!(
        "{}{}{OPTION_FILE_SCRIPT}\
         echo \"client=$(\"$dump\" --version 2>&1 | head -n 1)\"\n\
         if ! res=$(\"$cli\" --defaults-extra-file=\"$opt\" --batch --skip-column-names -e {} 2>&1); then\n\
         printf '%s\\n' \"$res\" >&2; exit 3; fi\n\
         printf 'server=%s\\n' \"$res\"\n",
        find_client_script("dump", &["mysqldump", "mariadb-dump"], CLIENT_PACKAGES),
        find_client_script("cli", &["mysql", "mariadb"], CLIENT_PACKAGES),
        quote(&q)
    );
    let out = h
        .run_with_stdin(script, Stdin::Bytes(login.option_file().into_bytes()))
        .await?;
    let stdout = out.stdout_text();
    if out.rc != 0 {
        let err = out.stderr_text();
        return Ok(Err(if out.rc == 3 {
            format!(
                "cannot log in to the server as {}: {}",
                login.user,
                err.trim()
            )
        } else {
            err.trim().to_string()
        }));
    }
    let server = field(&stdout, "server").unwrap_or_default();
    let cols: Vec<&str> = server.split('\t').collect();
    Ok(Ok(Probe {
        client: field(&stdout, "client")
            .unwrap_or_default()
            .trim()
            .to_string(),
        server_version: cols.first().copied().unwrap_or_default().to_string(),
        log_bin: cols.get(1).copied() == Some("1"),
        database_exists: cols.get(2).copied().is_some_and(|n| n != "0"),
    }))
}

async fn dump(h: &Handle<'_>, args: &Args, login: &Login) -> Result<Outcome, ConnError> {
    let db = args.string("name").unwrap_or_default();
    let dest = args.string("dest").unwrap_or_default();
    let charset = args.str("charset").unwrap_or("utf8mb4");
    if !charset
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(Outcome::failed(format!(
            "charset is not a character set name: {charset}"
        )));
    }
    let p = match probe(h, login, &db).await? {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    if !p.database_exists {
        return Ok(Outcome::failed(format!(
            "database {db} does not exist on the server"
        )));
    }
    let flags = flags(args, &p);
    let label = file_part(args.str("label").unwrap_or(&p.server_version));
    let prefix = format!("{}-{label}", file_part(&db));
    let fl = match flavour(&p.client) {
        Flavour::MariaDb => "mariadb",
        Flavour::MySql { .. } => "mysql",
    };
    let base = Outcome::changed(true)
        .with("database", db.clone())
        .with("label", label.clone())
        .with("flags", Value::from(flags.clone()))
        .with("client", p.client.clone())
        .with("flavour", fl)
        .with("server_version", p.server_version.clone());
    if h.check_mode {
        return Ok(base.msg(format!(
            "would dump {db} into {}/{prefix}-<YYYYmmddHHMMSS>.sql",
            dest.trim_end_matches('/')
        )));
    }
    let argv: Vec<String> = flags
        .iter()
        .map(|f| quote(f))
        .chain(["--databases".to_string(), quote(&db)])
        .collect();
    let script = format!(
        "{}{OPTION_FILE_SCRIPT}\
         d={}\nmkdir -p -- \"$d\" || exit 1\n\
         i=0\nwhile :; do\n\
         f=\"$d/\"{}\"-$(date +%Y%m%d%H%M%S).sql\"\n\
         if (set -C; : > \"$f\") 2>/dev/null; then break; fi\n\
         i=$((i+1)); if [ $i -ge 3 ]; then echo \"cannot create a new file like $f\" >&2; exit 1; fi\n\
         sleep 1\ndone\n\
         on_exit='rm -f -- \"$f\"'\n\
         if ! err=$(\"$dump\" --defaults-extra-file=\"$opt\" {} 2>&1 >\"$f\"); then printf '%s\\n' \"$err\" >&2; exit 4; fi\n\
         on_exit=\n\
         chmod 600 \"$f\"\n\
         printf 'warn=%s\\n' \"$(printf '%s' \"$err\" | tr '\\n' ' ')\"\n\
         s=$(sha256sum < \"$f\"); printf 'path=%s\\nsize=%s\\nsha256=%s\\n' \"$f\" \"$(wc -c < \"$f\" | tr -d ' ')\" \"${{s%% *}}\"\n",
        find_client_script("dump", &["mysqldump", "mariadb-dump"], CLIENT_PACKAGES),
        quote(dest.trim_end_matches('/')),
        quote(&prefix),
        argv.join(" ")
    );
    let out = h
        .run_with_stdin(script, Stdin::Bytes(login.option_file().into_bytes()))
        .await?;
    if out.rc != 0 {
        return Ok(Outcome::failed(format!(
            "mysqldump of {db} failed: {}",
            out.stderr_text().trim()
        )));
    }
    let stdout = out.stdout_text();
    let mut o = base
        .with("path", field(&stdout, "path").unwrap_or_default())
        .with(
            "size",
            field(&stdout, "size")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or_default(),
        )
        .with("sha256", field(&stdout, "sha256").unwrap_or_default());
    if let Some(w) = field(&stdout, "warn")
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        o.warnings.push(format!("mysqldump: {w}"));
    }
    Ok(o)
}

#[async_trait]
impl Module for MysqlDump {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let login = match mysql_login::resolve(h, args).await {
            Ok(l) => l,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let o = dump(h, args, &login).await?;
        Ok(login.scrub(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::args::validate;

    fn args(extra: serde_json::Value) -> Args {
        let mut m = serde_json::json!({"name": "hotdb_config", "dest": "/b"});
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        validate(&DOC, m.as_object().unwrap()).unwrap()
    }

    fn probe(client: &str, log_bin: bool) -> Probe {
        Probe {
            client: client.into(),
            server_version: "10.11.6-MariaDB".into(),
            log_bin,
            database_exists: true,
        }
    }

    #[test]
    fn flags_follow_the_client() {
        let maria = probe(
            "mysqldump  Ver 10.19 Distrib 10.11.14-MariaDB, for debian-linux-gnu (x86_64)",
            true,
        );
        assert_eq!(
            flags(&args(serde_json::json!({})), &maria),
            vec![
                "--single-transaction",
                "--master-data=1",
                "--default-character-set=utf8mb4"
            ]
        );
        let mysql57 = probe(
            "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)",
            true,
        );
        assert_eq!(
            flags(&args(serde_json::json!({"charset": "utf8"})), &mysql57),
            vec![
                "--single-transaction",
                "--master-data=1",
                "--set-gtid-purged=OFF",
                "--default-character-set=utf8"
            ]
        );
        let mysql8 = probe(
            "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)",
            true,
        );
        assert!(flags(&args(serde_json::json!({})), &mysql8).contains(&"--source-data=1".into()));
        let no_binlog = probe("mysqldump  Ver 8.0.36 for Linux", false);
        let f = flags(
            &args(serde_json::json!({"extra_args": ["--routines"]})),
            &no_binlog,
        );
        assert!(!f.iter().any(|x| x.contains("data=1")), "{f:?}");
        assert_eq!(f.last().map(String::as_str), Some("--routines"));
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_part("10.11.6-MariaDB-0+deb12u1"),
            "10.11.6-MariaDB-0_deb12u1"
        );
        assert_eq!(file_part("a/b c"), "a_b_c");
    }
}
