//! mysql_restore: restore a mysql_dump file into a database with the task host's
//! `mysql` client (the manual's C-SQLFAIL and C-ROLLBACK), then check that every table
//! the dump creates is there. The password travels as mysql_dump's does: a 0600 option
//! file on the host, removed afterwards.

use super::mysql_dump::CLIENT_PACKAGES;
use super::mysql_login::{
    self, Login, OPTION_FILE_SCRIPT, field, find_client_script, section, sql_ident, sql_string,
};
use crate::execute::connection::quote::quote;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct MysqlRestore;

static DOC: ModuleDoc = ModuleDoc {
    name: "mysql_restore",
    short: "Restore a dump into a database with mysql on the task host",
    description: "Feeds `src` (a file on the task host, as mysql_dump writes it) to the task host's `mysql` (or `mariadb`) client into database `name`, then counts the tables: every table the dump creates (its `CREATE TABLE` lines) must exist afterwards, else the task fails. A dump made with `--databases other` restores into `name` all the same: its CREATE DATABASE and USE lines for `other` are left out on the way. The replication coordinates a `--master-data` dump carries (`CHANGE MASTER TO`, `GTID_PURGED`, `gtid_slave_pos`) are left out too: they are for building a replica, and restoring them would repoint this server's replication. The login goes in a 0600 option file on the host, removed afterwards.",
    args: &[
        ArgSpec::new("name", ArgType::Str, "The database to restore into.")
            .required()
            .aliases(&["db", "database"]),
        ArgSpec::new("src", ArgType::Path, "The dump file on the task host.").required(),
        ArgSpec::new(
            "create",
            ArgType::Bool,
            "Create the database when it does not exist (else that is an error).",
        )
        .default("no"),
        ArgSpec::new(
            "clean",
            ArgType::Bool,
            "First drop every table, view, procedure and function of the database, so that afterwards it holds exactly what the dump holds (objects made after the dump, such as an upgrade's new tables, are gone). The database itself, its character set and its grants stay.",
        )
        .default("no"),
        mysql_login::LOGIN_HOST,
        mysql_login::LOGIN_PORT,
        mysql_login::LOGIN_USER,
        mysql_login::LOGIN_PASSWORD,
        mysql_login::LOGIN_UNIX_SOCKET,
        mysql_login::LOGIN_DEFAULTS_FILE,
        ArgSpec::new(
            "charset",
            ArgType::Str,
            "--default-character-set of the client.",
        )
        .default("utf8mb4"),
    ],
    free_form: FreeForm::No,
    check_mode: "Finds the client, logs in, reads the dump's database and tables, and reports what it would restore; changes nothing.",
    returns: "database, src, dump_database (the database the dump was made from), tables_expected, tables_restored (of the expected ones, how many exist), tables_in_database, missing_tables",
    examples: "- mysql_restore:\n    name: hotdb_config\n    src: \"{{ dump.path }}\"\n    login_user: hotdb\n    login_password: \"{{ config_db_password }}\"",
};

/// A regular expression (sed's basic syntax) that matches `s` literally.
fn bre_literal(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | '.' | '*' | '[' | ']' | '^' | '$' | '/') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn table_query(db: &str) -> String {
    format!(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_TYPE = 'BASE TABLE'",
        sql_string(db)
    )
}

const CLIENT: &str = "\"$cli\" --defaults-extra-file=\"$opt\" --batch --skip-column-names";

async fn restore(h: &Handle<'_>, args: &Args, login: &Login) -> Result<Outcome, ConnError> {
    let db = args.string("name").unwrap_or_default();
    let src = args.string("src").unwrap_or_default();
    let charset = args.str("charset").unwrap_or("utf8mb4");
    if !charset
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(Outcome::failed(format!(
            "charset is not a character set name: {charset}"
        )));
    }
    let find = find_client_script("cli", &["mysql", "mariadb"], CLIENT_PACKAGES);
    let exists_q = format!(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
        sql_string(&db)
    );
    let probe = format!(
        "{find}s={}\nif [ ! -r \"$s\" ]; then echo \"cannot read the dump $s\" >&2; exit 2; fi\n\
         {OPTION_FILE_SCRIPT}\
         if ! res=$({CLIENT} -e {} 2>&1); then printf '%s\\n' \"$res\" >&2; exit 3; fi\n\
         printf 'exists=%s\\n' \"$res\"\n\
         printf 'dumpdb=%s\\n' \"$(sed -n 's/^USE `\\(.*\\)`;$/\\1/p' \"$s\" | head -n 1)\"\n\
         echo 'BEGIN tables'\nsed -n 's/^CREATE TABLE `\\([^`]*\\)`.*/\\1/p' \"$s\"\necho 'END tables'\n",
        quote(&src),
        quote(&exists_q)
    );
    let opt = login.option_file().into_bytes();
    let out = h.run_with_stdin(probe, Stdin::Bytes(opt.clone())).await?;
    if out.rc != 0 {
        let err = out.stderr_text();
        return Ok(Outcome::failed(if out.rc == 3 {
            format!(
                "cannot log in to the server as {}: {}",
                login.user,
                err.trim()
            )
        } else {
            err.trim().to_string()
        }));
    }
    let stdout = out.stdout_text();
    let exists = field(&stdout, "exists").is_some_and(|n| n.trim() != "0");
    let dump_db = field(&stdout, "dumpdb").unwrap_or_default().to_string();
    let mut expected: Vec<String> = section(&stdout, "tables")
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    expected.dedup();
    if !exists && !args.bool("create") {
        return Ok(Outcome::failed(format!(
            "database {db} does not exist (create: yes creates it)"
        )));
    }
    let base = Outcome::changed(true)
        .with("database", db.clone())
        .with("src", src.clone())
        .with("dump_database", dump_db.clone())
        .with("tables_expected", expected.len());
    if h.check_mode {
        return Ok(base.msg(format!(
            "would restore {src} ({} tables) into {db}",
            expected.len()
        )));
    }
    let create = if exists {
        String::new()
    } else {
        format!(
            "if ! err=$({CLIENT} -e {} 2>&1); then printf '%s\\n' \"$err\" >&2; exit 5; fi\n",
            quote(&format!("CREATE DATABASE IF NOT EXISTS {}", sql_ident(&db)))
        )
    };
    let client = format!("{CLIENT} --default-character-set={charset} {}", quote(&db));
    let clean = if args.bool("clean") && exists {
        // The DROP statements come from information_schema; foreign keys are off while they run.
        let lit = db.replace('\\', "\\\\").replace('\'', "\\'");
        let q = format!(
            "SELECT 'SET FOREIGN_KEY_CHECKS=0;' UNION ALL \
             SELECT CONCAT('DROP ', IF(table_type = 'VIEW', 'VIEW', 'TABLE'), ' IF EXISTS `', REPLACE(table_name, '`', '``'), '`;') \
             FROM information_schema.tables WHERE table_schema = '{lit}' UNION ALL \
             SELECT CONCAT('DROP ', routine_type, ' IF EXISTS `', REPLACE(routine_name, '`', '``'), '`;') \
             FROM information_schema.routines WHERE routine_schema = '{lit}'"
        );
        format!(
            "if ! drops=$({CLIENT} -N -B -e {} 2>&1); then printf '%s\\n' \"$drops\" >&2; exit 7; fi\n\
             if ! err=$(printf '%s\\n' \"$drops\" | {client} 2>&1); then printf '%s\\n' \"$err\" >&2; exit 7; fi\n",
            quote(&q)
        )
    } else {
        String::new()
    };
    // The replication coordinates a --master-data dump carries (CHANGE MASTER ..., GTID_PURGED)
    // are for building a replica: restoring them would repoint this server's replication.
    let mut sed = String::from(
        "/^CHANGE MASTER TO /d\n/^CHANGE REPLICATION SOURCE TO /d\n/^SET @@GLOBAL.GTID_PURGED/d\n/^SET GLOBAL gtid_slave_pos/d",
    );
    if !dump_db.is_empty() && dump_db != db {
        let pat = bre_literal(&sql_ident(&dump_db));
        sed.push_str(&format!("\n/^CREATE DATABASE .*{pat}/d\n/^USE {pat};$/d"));
    }
    // The pipe's status is the client's; sed does not fail on a file it could read.
    let restore = format!("sed -e {} \"$s\" | {client}", quote(&sed));
    let script = format!(
        "{find}s={}\n{OPTION_FILE_SCRIPT}{create}{clean}\
         if ! err=$({restore} 2>&1); then printf '%s\\n' \"$err\" >&2; exit 4; fi\n\
         echo 'BEGIN tables'\n{CLIENT} -e {} || exit 6\necho 'END tables'\n",
        quote(&src),
        quote(&table_query(&db))
    );
    let out = h.run_with_stdin(script, Stdin::Bytes(opt)).await?;
    if out.rc != 0 {
        return Ok(Outcome::failed(format!(
            "restoring {src} into {db} failed: {}",
            out.stderr_text().trim()
        )));
    }
    let stdout = out.stdout_text();
    let present: Vec<&str> = section(&stdout, "tables");
    let missing: Vec<String> = expected
        .iter()
        .filter(|t| !present.contains(&t.as_str()))
        .cloned()
        .collect();
    let mut o = base
        .with("tables_restored", expected.len() - missing.len())
        .with("tables_in_database", present.len())
        .with("missing_tables", Value::from(missing.clone()));
    if !missing.is_empty() {
        o.failed = true;
        o.msg = Some(format!(
            "after restoring {src} into {db}, {} of {} tables are missing: {}",
            missing.len(),
            expected.len(),
            missing.join(", ")
        ));
    }
    Ok(o)
}

#[async_trait]
impl Module for MysqlRestore {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let login = match mysql_login::resolve(h, args).await {
            Ok(l) => l,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let o = restore(h, args, &login).await?;
        Ok(login.scrub(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns() {
        assert_eq!(bre_literal("`a.b`"), "`a\\.b`");
        assert_eq!(bre_literal("x/y*"), "x\\/y\\*");
    }
}
