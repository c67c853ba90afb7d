//! sql_guard: tells whether upgrade scripts may run while the old version still serves
//! (the manual's MBR-0 and MNR-0 preconditions for a rolling upgrade). Each script is
//! cut by our own splitter, each statement parsed with sqlparser (MySQL dialect) and
//! judged; a statement that does not parse is `unknown` and counts as unsafe.

use super::sql_split;
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation as Op, ObjectType, OnInsert, Statement as Ast,
    TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

pub struct SqlGuard;

static DOC: ModuleDoc = ModuleDoc {
    name: "sql_guard",
    short: "Judge upgrade SQL scripts for a rolling upgrade",
    description: "Reads each script in `src` (controller files by default, task host files with remote_src), splits it into statements as mysql_exec does, parses every statement (sqlparser, MySQL dialect) and sorts it:
- unsafe: it changes what the old version relies on: DROP TABLE/VIEW, ALTER ... DROP COLUMN, MODIFY/CHANGE of an existing column (a widening cannot be told from the script alone, so it is reported too, for a person to confirm), RENAME of a table or column, TRUNCATE, UPDATE, DELETE, REPLACE, INSERT ... ON DUPLICATE KEY UPDATE, a new UNIQUE/PRIMARY/FOREIGN KEY/CHECK constraint, and any statement not known to be safe (CALL, GRANT, ...);
- safe: reads, session SET/USE, transaction control, CREATE TABLE/INDEX/VIEW/DATABASE, INSERT of new rows, ALTER ... ADD COLUMN/INDEX, column defaults, dropping an index or a constraint;
- unknown: the parser could not read it; it counts as unsafe, never ignored.
`rolling_safe` is true only when nothing is unsafe or unknown; `fail_on_unsafe` makes the task fail otherwise (the MBR-0 refusal).",
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
    ],
    free_form: FreeForm::No,
    check_mode: "Full: it only reads the scripts.",
    returns: "rolling_safe, statements (count), safe, unsafe and unknown (lists of {file, line, statement, kind or reason})",
    examples: "- sql_guard:\n    src: \"{{ upgrade_scripts }}\"\n    fail_on_unsafe: yes",
};

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Safe(String),
    Unsafe(String),
    Unknown(String),
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

fn judge_op(op: &Op) -> Result<&'static str, String> {
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
        Op::ChangeColumn { old_name, .. } => Err(format!(
            "changes existing column {} (a widening is allowed, but it cannot be told from the script: confirm by hand)",
            old_name.value
        )),
        Op::ModifyColumn { col_name, .. } => Err(format!(
            "changes existing column {} (a widening is allowed, but it cannot be told from the script: confirm by hand)",
            col_name.value
        )),
        Op::Algorithm { .. } | Op::Lock { .. } | Op::AutoIncrement { .. } => Ok("table option"),
        other => Err(format!("ALTER not known to be rolling-safe: {other}")),
    }
}

fn judge_ast(st: &Ast) -> Result<String, String> {
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
        Ast::CreateIndex(_) => "create index".into(),
        Ast::CreateView(v) if v.or_replace => return Err("replaces a view".into()),
        Ast::CreateView(_) => "create view".into(),
        Ast::CreateDatabase { .. } => "create database".into(),
        Ast::AlterTable(a) => {
            let mut kinds = Vec::new();
            for op in &a.operations {
                kinds.push(judge_op(op)?);
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
pub fn judge(text: &str) -> Verdict {
    let opened = open_executable_comments(text);
    if opened.trim().is_empty() {
        return Verdict::Safe("comment".into());
    }
    let parsed = match Parser::parse_sql(&MySqlDialect {}, &opened) {
        Ok(p) => p,
        Err(e) => return Verdict::Unknown(e.to_string()),
    };
    let mut kinds = Vec::new();
    for st in &parsed {
        match judge_ast(st) {
            Ok(k) => kinds.push(k),
            Err(reason) => return Verdict::Unsafe(reason),
        }
    }
    Verdict::Safe(kinds.join("; "))
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
        let (mut safe, mut unsafe_, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        let mut count = 0usize;
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
                match judge(&st.text) {
                    Verdict::Safe(k) => safe.push(entry(&path, st, "kind", k)),
                    Verdict::Unsafe(r) => unsafe_.push(entry(&path, st, "reason", r)),
                    Verdict::Unknown(e) => unknown.push(entry(&path, st, "error", e)),
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
        unsafe_("ALTER TABLE t MODIFY COLUMN v VARCHAR(16)");
        unsafe_("ALTER TABLE t CHANGE v w VARCHAR(32)");
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
    fn executable_comments_open() {
        assert_eq!(
            open_executable_comments("/*!40101 SET NAMES utf8 */").trim(),
            "SET NAMES utf8"
        );
        assert_eq!(open_executable_comments("SELECT 1").trim(), "SELECT 1");
    }
}
