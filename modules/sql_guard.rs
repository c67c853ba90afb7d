//! sql_guard: tells whether upgrade scripts may run while the old version still serves
//! (the manual's MBR-0 and MNR-0 preconditions for a rolling upgrade). Each script is
//! cut by our own splitter, each statement parsed with sqlparser (MySQL dialect) and
//! judged; a statement that does not parse is `unknown` and counts as unsafe.

use super::mysql_login;
use super::sql_split;
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use serde_json::{Map, Value};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation as Op, ColumnOption, ObjectName, ObjectType,
    OnInsert, Statement as Ast, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

pub struct SqlGuard;

static DOC: ModuleDoc = ModuleDoc {
    name: "sql_guard",
    short: "Judge upgrade SQL scripts for a rolling upgrade",
    description: "Reads each script in `src` (controller files by default, task host files with remote_src), splits it into statements as mysql_exec does, parses every statement (sqlparser, MySQL dialect) and sorts it:
- unsafe: it changes what the old version relies on: DROP TABLE/VIEW, ALTER ... DROP COLUMN, MODIFY/CHANGE of an existing column (a widening cannot be told from the script alone, so it is reported too, for a person to confirm), RENAME of a table or column, a trigger on an existing table, TRUNCATE, UPDATE, DELETE, REPLACE, INSERT ... ON DUPLICATE KEY UPDATE, a new UNIQUE/PRIMARY/FOREIGN KEY/CHECK constraint, and any statement not known to be safe (CALL, GRANT, ...);
- safe: reads, session SET/USE, transaction control, CREATE TABLE/INDEX/VIEW/DATABASE/PROCEDURE/FUNCTION, a trigger on a table the scripts create, INSERT of new rows, ALTER ... ADD COLUMN/INDEX, column defaults, dropping an index or a constraint;
- unknown: the parser could not read it; it counts as unsafe, never ignored.
`rolling_safe` is true only when nothing is unsafe or unknown; `fail_on_unsafe` makes the task fail otherwise (the MBR-0 refusal).
MBR-0 allows widening a column (VARCHAR(32) to VARCHAR(64), INT to BIGINT, DECIMAL(10,2) to DECIMAL(12,2), TEXT to MEDIUMTEXT, NOT NULL to NULL). Whether a MODIFY/CHANGE widens can only be told from the column's current type: given a login (login_user or login_defaults_file, and `database` or qualified table names or USE statements), sql_guard reads each changed column from information_schema (the live schema, before the scripts run) and judges the change safe when it widens; without a login every MODIFY/CHANGE is unsafe, for a person to confirm.",
    args: &[
        ArgSpec::new("src", ArgType::List, "The scripts, in the order they run.")
            .required()
            .aliases(&["scripts"]),
        ArgSpec::new(
            "remote_src",
            ArgType::Bool,
            "The scripts are on the task host (else on the controller, searched in files/).",
        )
        .default("no"),
        ArgSpec::new(
            "fail_on_unsafe",
            ArgType::Bool,
            "Fail when a statement is unsafe or unknown.",
        )
        .default("no"),
        ArgSpec::new(
            "database",
            ArgType::Str,
            "The database the scripts run in (until a USE), for looking up the columns they change.",
        )
        .aliases(&["db", "login_db"]),
        mysql_login::LOGIN_HOST,
        mysql_login::LOGIN_PORT,
        mysql_login::LOGIN_USER,
        mysql_login::LOGIN_PASSWORD,
        mysql_login::LOGIN_UNIX_SOCKET,
        mysql_login::LOGIN_DEFAULTS_FILE,
        ArgSpec::new(
            "via",
            ArgType::Str,
            "As mysql_exec's: direct from the controller, or ssh through the task host.",
        )
        .choices(&["direct", "ssh"])
        .default("direct"),
        ArgSpec::new("connect_timeout", ArgType::Int, "Seconds to wait for the login.")
            .default("30"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: it only reads the scripts (and, with a login, information_schema).",
    returns: "rolling_safe, statements (count), safe, unsafe and unknown (lists of {file, line, statement, kind or reason})",
    examples: "- sql_guard:\n    src: \"{{ upgrade_scripts }}\"\n    fail_on_unsafe: yes",
};

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Safe(String),
    Unsafe(String),
    Unknown(String),
    /// Safe when each of these changes of an existing column widens it (MBR-0 allows that).
    IfWidening(Vec<ColumnChange>),
    /// A trigger: safe on a table the scripts create (the old version never writes it), else
    /// it changes what the old version's writes do.
    IfNewTable(String),
}

/// A MODIFY or CHANGE (same name) of an existing column: its table, name and new definition.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnChange {
    pub table: Vec<String>,
    pub column: String,
    pub new_type: String,
    pub not_null: bool,
}

/// A column type, as far as widening goes.
#[derive(Debug, PartialEq)]
enum Ty {
    /// Rank (tinyint 1 .. bigint 5), unsigned.
    Int(u8, bool),
    /// Varying, length.
    Char(bool, u64),
    /// Rank (tinytext 1 .. longtext 4).
    Text(u8),
    /// Precision, scale, unsigned.
    Decimal(u64, u64, bool),
    /// Rank (float 1, double 2), unsigned.
    Float(u8, bool),
    Other(String),
}

/// Reads `varchar(32)`, `int(11) unsigned`, `BIGINT UNSIGNED`, `decimal(10,2)`, ...
fn parse_type(text: &str) -> Ty {
    let s = text.trim().to_ascii_lowercase();
    let unsigned = s.split_whitespace().any(|w| w == "unsigned");
    let (name, args) = match s.find('(') {
        Some(p) => (
            s[..p].trim(),
            s[p + 1..].split(')').next().unwrap_or_default(),
        ),
        None => (s.split_whitespace().next().unwrap_or_default(), ""),
    };
    let nums: Vec<u64> = args
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    let n = |i: usize, d: u64| nums.get(i).copied().unwrap_or(d);
    match name {
        "tinyint" => Ty::Int(1, unsigned),
        "smallint" => Ty::Int(2, unsigned),
        "mediumint" => Ty::Int(3, unsigned),
        "int" | "integer" => Ty::Int(4, unsigned),
        "bigint" => Ty::Int(5, unsigned),
        "char" | "character" => Ty::Char(false, n(0, 1)),
        "varchar" | "character varying" => Ty::Char(true, n(0, 0)),
        "tinytext" => Ty::Text(1),
        "text" => Ty::Text(2),
        "mediumtext" => Ty::Text(3),
        "longtext" => Ty::Text(4),
        "decimal" | "numeric" | "dec" => Ty::Decimal(n(0, 10), n(1, 0), unsigned),
        "float" => Ty::Float(1, unsigned),
        "double" | "real" => Ty::Float(2, unsigned),
        _ => Ty::Other(s.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// Whether `new` holds every value `old` holds.
fn widens(old: &str, old_nullable: bool, new: &str, new_not_null: bool) -> bool {
    if old_nullable && new_not_null {
        return false;
    }
    const TEXT_CAP: [u64; 5] = [0, 255, 65_535, 16_777_215, 4_294_967_295];
    match (parse_type(old), parse_type(new)) {
        (Ty::Int(r1, u1), Ty::Int(r2, u2)) => u1 == u2 && r2 >= r1,
        (Ty::Char(v1, l1), Ty::Char(v2, l2)) => l2 >= l1 && (v2 || !v1),
        (Ty::Char(_, l), Ty::Text(r)) => l <= TEXT_CAP[r as usize],
        (Ty::Text(r1), Ty::Text(r2)) => r2 >= r1,
        (Ty::Decimal(p1, s1, u1), Ty::Decimal(p2, s2, u2)) => {
            (u1 || !u2) && s2 >= s1 && p2.saturating_sub(s2) >= p1.saturating_sub(s1)
        }
        (Ty::Float(r1, u1), Ty::Float(r2, u2)) => (u1 || !u2) && r2 >= r1,
        (Ty::Other(a), Ty::Other(b)) => a == b,
        _ => false,
    }
}

fn name_parts(n: &ObjectName) -> Vec<String> {
    n.0.iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect()
}

/// The statement with executable comments opened (`/*!40101 SET x */` -> ` SET x `).
fn open_executable_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(p) = rest.find("/*!").or_else(|| rest.find("/*M!")) {
        out.push_str(&rest[..p]);
        let body = rest[p..]
            .trim_start_matches("/*M!")
            .trim_start_matches("/*!");
        let body = body.trim_start_matches(|c: char| c.is_ascii_digit());
        match body.find("*/") {
            Some(e) => {
                out.push(' ');
                out.push_str(&body[..e]);
                out.push(' ');
                rest = &body[e + 2..];
            }
            None => {
                rest = body;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn judge_op(
    op: &Op,
    table: &ObjectName,
    changes: &mut Vec<ColumnChange>,
) -> Result<&'static str, String> {
    let change = |column: &str, data_type: &sqlparser::ast::DataType, options: &[ColumnOption]| {
        ColumnChange {
            table: name_parts(table),
            column: column.to_string(),
            new_type: data_type.to_string(),
            not_null: options.iter().any(|o| matches!(o, ColumnOption::NotNull)),
        }
    };
    match op {
        Op::AddColumn { .. } => Ok("add column"),
        Op::AddConstraint { constraint, .. } => match constraint {
            TableConstraint::Unique(_)
            | TableConstraint::PrimaryKey(_)
            | TableConstraint::ForeignKey(_)
            | TableConstraint::Check(_) => {
                Err("a new key or check constraint may reject the old version's writes".into())
            }
            _ => Ok("add index"),
        },
        Op::DropIndex { .. }
        | Op::DropPrimaryKey { .. }
        | Op::DropForeignKey { .. }
        | Op::DropConstraint { .. } => Ok("drop index or constraint"),
        Op::AlterColumn { op, .. } => match op {
            AlterColumnOperation::SetDefault { .. } | AlterColumnOperation::DropDefault => {
                Ok("column default")
            }
            _ => Err("changes an existing column".into()),
        },
        Op::DropColumn { .. } => Err("drops a column".into()),
        Op::RenameColumn { .. } => Err("renames a column".into()),
        Op::RenameTable { .. } => Err("renames a table".into()),
        Op::ChangeColumn {
            old_name, new_name, ..
        } if old_name.value != new_name.value => Err(format!(
            "renames column {} to {}",
            old_name.value, new_name.value
        )),
        Op::ChangeColumn {
            old_name,
            data_type,
            options,
            ..
        } => {
            changes.push(change(&old_name.value, data_type, options));
            Ok("change column")
        }
        Op::ModifyColumn {
            col_name,
            data_type,
            options,
            ..
        } => {
            changes.push(change(&col_name.value, data_type, options));
            Ok("change column")
        }
        Op::Algorithm { .. } | Op::Lock { .. } | Op::AutoIncrement { .. } => Ok("table option"),
        other => Err(format!("ALTER not known to be rolling-safe: {other}")),
    }
}

fn judge_ast(st: &Ast, changes: &mut Vec<ColumnChange>) -> Result<String, String> {
    Ok(match st {
        Ast::Query(_) => "read".into(),
        Ast::Set(_) | Ast::Use(_) => "session".into(),
        Ast::StartTransaction { .. } | Ast::Commit { .. } | Ast::Rollback { .. } => {
            "transaction".into()
        }
        Ast::ShowTables { .. }
        | Ast::ShowColumns { .. }
        | Ast::ShowVariables { .. }
        | Ast::ShowCreate { .. }
        | Ast::ExplainTable { .. }
        | Ast::Explain { .. } => "read".into(),
        Ast::Insert(ins) => {
            if ins.replace_into {
                return Err("REPLACE deletes existing rows".into());
            }
            if matches!(ins.on, Some(OnInsert::DuplicateKeyUpdate(_))) {
                return Err("INSERT ... ON DUPLICATE KEY UPDATE changes existing rows".into());
            }
            "insert".into()
        }
        Ast::Update(_) => return Err("UPDATE changes existing rows".into()),
        Ast::Delete(_) => return Err("DELETE removes existing rows".into()),
        Ast::Truncate(_) => return Err("TRUNCATE removes existing rows".into()),
        Ast::CreateTable(c) if c.or_replace => return Err("replaces a table".into()),
        Ast::CreateTable(_) => "create table".into(),
        Ast::CreateProcedure {
            or_alter: false, ..
        } => "create procedure".into(),
        Ast::CreateFunction(f) if !f.or_replace => "create function".into(),
        Ast::CreateIndex(_) => "create index".into(),
        Ast::CreateView(v) if v.or_replace => return Err("replaces a view".into()),
        Ast::CreateView(_) => "create view".into(),
        Ast::CreateDatabase { .. } => "create database".into(),
        Ast::AlterTable(a) => {
            let mut kinds = Vec::new();
            for op in &a.operations {
                kinds.push(judge_op(op, &a.name, changes)?);
            }
            kinds.dedup();
            format!("alter table: {}", kinds.join(", "))
        }
        Ast::Drop {
            object_type: ObjectType::Index,
            ..
        } => "drop index".into(),
        Ast::Drop { object_type, .. } => {
            return Err(format!(
                "drops a {}",
                object_type.to_string().to_lowercase()
            ));
        }
        Ast::RenameTable(_) => return Err("renames a table".into()),
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Err(format!("not known to be rolling-safe ({head})"));
        }
    })
}

/// The verdict on one statement of a script.
/// The tables a statement creates (for triggers on new tables).
fn created_tables(text: &str) -> Vec<String> {
    let opened = open_executable_comments(text);
    match Parser::parse_sql(&MySqlDialect {}, &opened) {
        Ok(p) => p
            .iter()
            .filter_map(|st| match st {
                Ast::CreateTable(c) => name_parts(&c.name).last().map(|n| n.to_lowercase()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub fn judge(text: &str) -> Verdict {
    let opened = open_executable_comments(text);
    if opened.trim().is_empty() {
        return Verdict::Safe("comment".into());
    }
    let parsed = match Parser::parse_sql(&MySqlDialect {}, &opened) {
        Ok(p) => p,
        Err(e) => return Verdict::Unknown(e.to_string()),
    };
    if let [Ast::CreateTrigger(t)] = parsed.as_slice()
        && !t.or_replace
        && !t.or_alter
    {
        return Verdict::IfNewTable(
            name_parts(&t.table_name)
                .last()
                .cloned()
                .unwrap_or_default(),
        );
    }
    let mut kinds = Vec::new();
    let mut changes = Vec::new();
    for st in &parsed {
        match judge_ast(st, &mut changes) {
            Ok(k) => kinds.push(k),
            Err(reason) => return Verdict::Unsafe(reason),
        }
    }
    if changes.is_empty() {
        Verdict::Safe(kinds.join("; "))
    } else {
        Verdict::IfWidening(changes)
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.len() > 200 {
        let mut end = 200;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &line[..end])
    } else if text.lines().nth(1).is_some() {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

async fn read_script(h: &Handle<'_>, path: &str, remote: bool) -> Result<String, String> {
    let bytes = if remote {
        h.conn
            .get_bytes(path, h.become_.clone())
            .await
            .map_err(|e| format!("cannot read {path} on {}: {e}", h.host))?
    } else {
        let Some(local) = h.find_file("files", path) else {
            return Err(format!("could not find script {path} on the controller"));
        };
        std::fs::read(&local).map_err(|e| format!("cannot read {}: {e}", local.display()))?
    };
    String::from_utf8(bytes).map_err(|e| format!("{path} is not UTF-8 text: {e}"))
}

fn entry(file: &str, st: &sql_split::Statement, key: &str, value: String) -> Value {
    let mut m = Map::new();
    m.insert("file".into(), Value::String(file.into()));
    m.insert("line".into(), Value::from(st.line));
    m.insert("statement".into(), Value::String(first_line(&st.text)));
    m.insert(key.into(), Value::String(value));
    Value::Object(m)
}

#[async_trait]
impl Module for SqlGuard {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let mut live = None;
        if args.has("login_user") || args.has("login_defaults_file") {
            let login = match mysql_login::resolve(h, args).await {
                Ok(l) => l,
                Err(e) => return Ok(Outcome::failed(e)),
            };
            match super::mysql_exec::connect(h, args, &login).await {
                Ok((conn, forwarded)) => live = Some((conn, forwarded, login)),
                Err(e) => return Ok(login.scrub(Outcome::failed(e))),
            }
        }
        let mut schema = Schema {
            conn: live.as_mut().map(|(c, _, _)| c),
            database: args.string("database"),
        };
        let o = guard(h, args, &mut schema).await;
        if let Some((conn, forwarded, login)) = live {
            let _ = conn.disconnect().await;
            if let Some(local) = forwarded {
                h.conn.unforward(local, &login.host, login.port).await;
            }
            return Ok(login.scrub(o?));
        }
        o
    }
}

/// The live schema, when sql_guard has a login: where changed columns are looked up.
struct Schema<'c> {
    conn: Option<&'c mut mysql_async::Conn>,
    /// The database unqualified names are in: `database`, then each USE of the scripts.
    database: Option<String>,
}

impl Schema<'_> {
    /// Follows `USE db` statements.
    fn follow(&mut self, text: &str) {
        let w = sql_split::words(text);
        if w.first().map(String::as_str) == Some("USE") {
            let name = text.trim()[3..].trim().trim_end_matches(';').trim();
            self.database = Some(name.trim_matches('`').to_string());
        }
    }

    /// The verdict on changes of existing columns: safe when every one widens.
    async fn judge_changes(&mut self, changes: &[ColumnChange]) -> Verdict {
        let Some(conn) = self.conn.as_mut() else {
            let cols: Vec<&str> = changes.iter().map(|c| c.column.as_str()).collect();
            return Verdict::Unsafe(format!(
                "changes existing column {} (a widening is allowed, but it cannot be told from the script: confirm by hand, or give a login to compare with the live schema)",
                cols.join(", ")
            ));
        };
        let mut widened = Vec::new();
        for c in changes {
            let (db, table) = match c.table.as_slice() {
                [db, t] => (Some(db.clone()), t.clone()),
                [t] => (self.database.clone(), t.clone()),
                _ => (None, c.table.join(".")),
            };
            let Some(db) = db else {
                return Verdict::Unsafe(format!(
                    "changes existing column {}.{}; no database to look it up in (give `database`)",
                    table, c.column
                ));
            };
            let found: Result<Option<(String, String)>, _> = conn
                .exec_first(
                    "SELECT COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
                    (db.clone(), table.clone(), c.column.clone()),
                )
                .await;
            let (old, nullable) = match found {
                Ok(Some(row)) => row,
                Ok(None) => {
                    return Verdict::Unsafe(format!(
                        "changes column {db}.{table}.{}, which the live schema does not have",
                        c.column
                    ));
                }
                Err(e) => return Verdict::Unknown(format!("cannot read the live schema: {e}")),
            };
            let new = format!(
                "{}{}",
                c.new_type,
                if c.not_null { " NOT NULL" } else { "" }
            );
            let old_text = format!("{old}{}", if nullable == "NO" { " NOT NULL" } else { "" });
            if !widens(&old, nullable == "YES", &c.new_type, c.not_null) {
                return Verdict::Unsafe(format!(
                    "narrows or changes existing column {}: {old_text} -> {new}",
                    c.column
                ));
            }
            widened.push(format!("{}: {old_text} -> {new}", c.column));
        }
        Verdict::Safe(format!("widens column {}", widened.join(", ")))
    }
}

async fn guard(h: &Handle<'_>, args: &Args, schema: &mut Schema<'_>) -> Result<Outcome, ConnError> {
    let (mut safe, mut unsafe_, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    let mut count = 0usize;
    let mut new_tables: Vec<String> = Vec::new();
    for path in args.str_list("src") {
        let text = match read_script(h, &path, args.bool("remote_src")).await {
            Ok(t) => t,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let stmts = match sql_split::split(&text) {
            Ok(s) => s,
            Err(e) => {
                // A script that cannot even be split is unknown as a whole.
                unknown.push(Value::Object(Map::from_iter([
                    ("file".to_string(), Value::String(path.clone())),
                    ("line".to_string(), Value::from(e.line)),
                    ("statement".to_string(), Value::String(String::new())),
                    ("error".to_string(), Value::String(e.msg)),
                ])));
                continue;
            }
        };
        for st in &stmts {
            count += 1;
            schema.follow(&st.text);
            new_tables.extend(created_tables(&st.text));
            let verdict = match judge(&st.text) {
                Verdict::IfWidening(changes) => schema.judge_changes(&changes).await,
                Verdict::IfNewTable(t) if new_tables.contains(&t.to_lowercase()) => {
                    Verdict::Safe(format!("trigger on {t}, a table these scripts create"))
                }
                Verdict::IfNewTable(t) => Verdict::Unsafe(format!(
                    "a trigger on the existing table {t} changes what the old version's writes do"
                )),
                other => other,
            };
            match verdict {
                Verdict::Safe(k) => safe.push(entry(&path, st, "kind", k)),
                Verdict::Unsafe(r) => unsafe_.push(entry(&path, st, "reason", r)),
                Verdict::Unknown(e) => unknown.push(entry(&path, st, "error", e)),
                Verdict::IfWidening(_) | Verdict::IfNewTable(_) => {
                    unreachable!("judged against the schema above")
                }
            }
        }
    }
    let rolling_safe = unsafe_.is_empty() && unknown.is_empty();
    let describe = |v: &Value, what: &str| {
        format!(
            "{}:{}: {} ({})",
            v["file"].as_str().unwrap_or_default(),
            v["line"],
            v["statement"].as_str().unwrap_or_default(),
            v[what].as_str().unwrap_or_default()
        )
    };
    let mut lines: Vec<String> = unsafe_.iter().map(|v| describe(v, "reason")).collect();
    lines.extend(
        unknown
            .iter()
            .map(|v| format!("{} [unknown]", describe(v, "error"))),
    );
    let mut o = Outcome::ok()
        .with("rolling_safe", rolling_safe)
        .with("statements", count)
        .with("safe", Value::Array(safe))
        .with("unsafe", Value::Array(unsafe_))
        .with("unknown", Value::Array(unknown));
    o.msg = Some(if rolling_safe {
        format!("all {count} statements are rolling-safe")
    } else {
        format!(
            "{} statements are not rolling-safe:\n{}",
            lines.len(),
            lines.join("\n")
        )
    });
    if !rolling_safe && args.bool("fail_on_unsafe") {
        o.failed = true;
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(sql: &str) {
        assert!(
            matches!(judge(sql), Verdict::Safe(_)),
            "{sql}: {:?}",
            judge(sql)
        );
    }
    fn unsafe_(sql: &str) {
        assert!(
            matches!(judge(sql), Verdict::Unsafe(_)),
            "{sql}: {:?}",
            judge(sql)
        );
    }

    #[test]
    fn verdicts() {
        safe(
            "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL DEFAULT '' COMMENT 'x') ENGINE=InnoDB DEFAULT CHARSET=utf8",
        );
        safe("ALTER TABLE t ADD COLUMN c INT DEFAULT NULL COMMENT 'new' AFTER v");
        safe("ALTER TABLE t ADD INDEX idx_c (c)");
        safe("CREATE INDEX i ON t (c)");
        safe("INSERT INTO t (id, v) VALUES (1, 'a')");
        safe("SET NAMES utf8");
        safe("/*!40101 SET NAMES utf8 */");
        safe("SELECT * FROM t");
        safe("USE hotdb_config");
        safe("DROP INDEX i ON t");
        safe("ALTER TABLE t ALTER COLUMN c SET DEFAULT 3");
        assert_eq!(
            judge("ALTER TABLE db.t MODIFY COLUMN v VARCHAR(64) NOT NULL"),
            Verdict::IfWidening(vec![ColumnChange {
                table: vec!["db".into(), "t".into()],
                column: "v".into(),
                new_type: "VARCHAR(64)".into(),
                not_null: true,
            }])
        );
        assert!(matches!(
            judge("ALTER TABLE t CHANGE COLUMN v v BIGINT"),
            Verdict::IfWidening(_)
        ));
        unsafe_("ALTER TABLE t CHANGE v w VARCHAR(32)");
        unsafe_("ALTER TABLE t MODIFY v INT, DROP COLUMN c");
        unsafe_("ALTER TABLE t DROP COLUMN c");
        unsafe_("ALTER TABLE t RENAME TO u");
        unsafe_("ALTER TABLE t ADD UNIQUE KEY u (v)");
        unsafe_("DROP TABLE t");
        unsafe_("DROP TABLE IF EXISTS t");
        unsafe_("RENAME TABLE t TO u");
        unsafe_("TRUNCATE TABLE t");
        unsafe_("UPDATE t SET v = 'x' WHERE id = 1");
        unsafe_("DELETE FROM t WHERE id = 1");
        unsafe_("REPLACE INTO t VALUES (1, 'a')");
        unsafe_("INSERT INTO t VALUES (1, 'a') ON DUPLICATE KEY UPDATE v = 'b'");
        unsafe_("CALL fix_things()");
        assert!(matches!(
            judge("ALTER TABLE t FROB c"),
            Verdict::Unknown(_) | Verdict::Unsafe(_)
        ));
        assert!(matches!(judge("THIS IS NOT SQL"), Verdict::Unknown(_)));
    }

    #[test]
    fn triggers_wait_for_the_tables_the_scripts_create() {
        let trigger =
            "CREATE TRIGGER trg BEFORE INSERT ON hist FOR EACH ROW BEGIN SET NEW.t = NOW(); END";
        assert_eq!(judge(trigger), Verdict::IfNewTable("hist".into()));
        assert_eq!(
            created_tables("CREATE TABLE IF NOT EXISTS `Hist` (id INT)"),
            vec!["hist".to_string()]
        );
        assert!(created_tables("INSERT INTO hist VALUES (1)").is_empty());
        assert!(matches!(
            judge("CREATE PROCEDURE p() BEGIN SELECT 1; END"),
            Verdict::Safe(_) | Verdict::Unknown(_)
        ));
    }

    #[test]
    fn widenings() {
        assert!(widens("varchar(32)", true, "VARCHAR(64)", false));
        assert!(!widens("varchar(32)", true, "VARCHAR(16)", false));
        assert!(
            !widens("varchar(32)", true, "VARCHAR(64)", true),
            "NULL to NOT NULL"
        );
        assert!(widens("varchar(32)", false, "VARCHAR(32)", false));
        assert!(widens("char(8)", false, "VARCHAR(8)", false));
        assert!(!widens("varchar(8)", false, "CHAR(8)", false));
        assert!(widens("varchar(200)", true, "TEXT", false));
        assert!(widens("int(11)", true, "BIGINT", false));
        assert!(!widens("int(11) unsigned", true, "BIGINT", false));
        assert!(widens("int(10) unsigned", true, "INT UNSIGNED", false));
        assert!(!widens("bigint(20)", true, "INT", false));
        assert!(widens("decimal(10,2)", true, "DECIMAL(12,2)", false));
        assert!(!widens("decimal(10,2)", true, "DECIMAL(10,3)", false));
        assert!(widens("text", true, "MEDIUMTEXT", false));
        assert!(widens("datetime", true, "DATETIME", false));
        assert!(!widens("datetime", true, "DATE", false));
        assert!(widens("float", true, "DOUBLE", false));
    }

    #[test]
    fn executable_comments_open() {
        assert_eq!(
            open_executable_comments("/*!40101 SET NAMES utf8 */").trim(),
            "SET NAMES utf8"
        );
        assert_eq!(open_executable_comments("SELECT 1").trim(), "SELECT 1");
    }
}
