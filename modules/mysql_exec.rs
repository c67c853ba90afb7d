//! mysql_exec: run SQL on a MySQL-family server (MariaDB, MySQL, HotDB's management
//! port) over the wire protocol: no `mysql` client on any host, and the password never
//! on a command line. Scripts are cut by our own splitter (`sql_split`) and run one
//! statement at a time, so a failure names its file, statement and line.

use super::mysql_login::{self, Login};
use super::sql_split::{self, Statement};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use mysql_async::consts::ColumnType;
use mysql_async::prelude::{Protocol, Queryable};
use mysql_async::{Conn, OptsBuilder, Params, QueryResult, Row};
use serde_json::{Map, Value};
use std::time::Duration;

pub struct MysqlExec;

static DOC: ModuleDoc = ModuleDoc {
    name: "mysql_exec",
    short: "Run SQL on a MySQL-family server",
    description: "Runs one `query` or a `script` of statements on MariaDB, MySQL or a MySQL-protocol endpoint (HotDB's management port), over the wire protocol from the controller (`via: direct`) or through a TCP forward on the task host's SSH master (`via: ssh`, for a server only the task host reaches; login_host is then as the task host sees it). No `mysql` client is needed and the password never appears on a command line.
A script is split as the `mysql` client splits it: `--`, `#` and `/* */` comments, quotes with escapes, `DELIMITER` lines, and also CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT ... BEGIN ... END bodies without DELIMITER lines. Its statements run in order; the first failure stops the script (stop_on_error) with the file, the statement's number and line, and the server's error code and message; the statements after it do not run.
`changed` is true when a statement run can change data, schema or server state: everything but SELECT, SHOW, DESCRIBE, EXPLAIN, session SET, USE and transaction control.",
    args: &[
        ArgSpec::new(
            "query",
            ArgType::Str,
            "One statement; `?` placeholders take positional_args, `:name` ones named_args.",
        ),
        ArgSpec::new(
            "positional_args",
            ArgType::List,
            "Values for the `?` placeholders of query (sent as a prepared statement).",
        ),
        ArgSpec::new(
            "named_args",
            ArgType::Dict,
            "Values for the `:name` placeholders of query.",
        ),
        ArgSpec::new(
            "script",
            ArgType::Path,
            "A .sql file: on the controller (searched in the role's and the playbook's files/), or on the task host with remote_src.",
        ),
        ArgSpec::new(
            "remote_src",
            ArgType::Bool,
            "script is a path on the task host (read over the connection).",
        )
        .default("no"),
        ArgSpec::new("database", ArgType::Str, "The default database.")
            .aliases(&["db", "login_db"]),
        mysql_login::LOGIN_HOST,
        mysql_login::LOGIN_PORT,
        mysql_login::LOGIN_USER,
        mysql_login::LOGIN_PASSWORD,
        mysql_login::LOGIN_UNIX_SOCKET,
        mysql_login::LOGIN_DEFAULTS_FILE,
        ArgSpec::new(
            "charset",
            ArgType::Str,
            "The session's character set (SET NAMES). The manual runs its upgrade scripts with utf8.",
        )
        .default("utf8mb4"),
        ArgSpec::new(
            "via",
            ArgType::Str,
            "direct: connect from the controller; ssh: through a forward on the task host's SSH master.",
        )
        .choices(&["direct", "ssh"])
        .default("direct"),
        ArgSpec::new(
            "single_transaction",
            ArgType::Bool,
            "Run everything in one transaction, rolled back on failure (DDL still commits implicitly).",
        )
        .default("no"),
        ArgSpec::new(
            "stop_on_error",
            ArgType::Bool,
            "Stop at the first failing statement; no: run the rest and fail at the end.",
        )
        .default("yes"),
        ArgSpec::new(
            "connect_timeout",
            ArgType::Int,
            "Seconds to wait for the connection and login.",
        )
        .default("30"),
    ],
    free_form: FreeForm::No,
    check_mode: "Reads and splits the script (reporting syntax a splitter can see: unclosed quotes and comments), connects and logs in (so credentials are checked), and reports the statements that would run and whether they would change anything. When every statement is a read (SELECT, SHOW, ...), they run and their rows are returned, so later tasks can use them; otherwise nothing runs.",
    returns: "server_version; statements_run, statements_total, rows_affected, warnings (summed); query: query, rows (a list of dicts, of the first result set); script: script, statements (per statement: number, line, text, changes, rows_affected, warnings, rows, and ran); on failure: failed_statement (number, line, text), error_code, error_state",
    examples: "- mysql_exec:\n    login_host: 10.0.0.5\n    login_port: 3306\n    login_user: hotdb\n    login_password: \"{{ config_db_password }}\"\n    database: hotdb_config\n    charset: utf8\n    script: update-2.5.3-2.5.4.sql\n- mysql_exec:\n    login_port: 3325\n    login_user: root\n    login_password: \"{{ mgmt_password }}\"\n    query: show @@cluster\n  register: cluster\n- mysql_exec:\n    query: SELECT * FROM hotdb_config.hotdb_datanode WHERE datanode_id = ?\n    positional_args: [3]\n    login_defaults_file: /root/.my.cnf\n    via: ssh",
};

/// What one statement did.
#[derive(Default)]
pub(super) struct Ran {
    pub(super) rows: Vec<Value>,
    pub(super) affected: u64,
    pub(super) warnings: u64,
}

fn is_int(t: ColumnType) -> bool {
    use ColumnType::*;
    matches!(
        t,
        MYSQL_TYPE_TINY
            | MYSQL_TYPE_SHORT
            | MYSQL_TYPE_LONG
            | MYSQL_TYPE_LONGLONG
            | MYSQL_TYPE_INT24
            | MYSQL_TYPE_YEAR
    )
}

fn from_mysql(v: mysql_async::Value, t: ColumnType) -> Value {
    use mysql_async::Value as M;
    match v {
        M::NULL => Value::Null,
        M::Int(i) => Value::from(i),
        M::UInt(u) => Value::from(u),
        M::Float(f) => Value::from(f as f64),
        M::Double(d) => Value::from(d),
        M::Bytes(b) => {
            let s = String::from_utf8_lossy(&b).into_owned();
            if is_int(t) {
                if let Ok(i) = s.parse::<i64>() {
                    return Value::from(i);
                }
                if let Ok(u) = s.parse::<u64>() {
                    return Value::from(u);
                }
            }
            if matches!(
                t,
                ColumnType::MYSQL_TYPE_FLOAT | ColumnType::MYSQL_TYPE_DOUBLE
            ) && let Ok(f) = s.parse::<f64>()
            {
                return Value::from(f);
            }
            Value::String(s)
        }
        M::Date(y, mo, d, h, mi, s, us) => {
            let mut out = format!("{y:04}-{mo:02}-{d:02}");
            if t != ColumnType::MYSQL_TYPE_DATE {
                out.push_str(&format!(" {h:02}:{mi:02}:{s:02}"));
                if us > 0 {
                    out.push_str(&format!(".{us:06}"));
                }
            }
            Value::String(out)
        }
        M::Time(neg, days, h, mi, s, us) => {
            let hours = days * 24 + u32::from(h);
            let mut out = format!("{}{hours:02}:{mi:02}:{s:02}", if neg { "-" } else { "" });
            if us > 0 {
                out.push_str(&format!(".{us:06}"));
            }
            Value::String(out)
        }
    }
}

fn to_mysql(v: &Value) -> mysql_async::Value {
    use mysql_async::Value as M;
    match v {
        Value::Null => M::NULL,
        Value::Bool(b) => M::Int(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => M::Int(i),
            (None, Some(u)) => M::UInt(u),
            _ => M::Double(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => M::Bytes(s.as_bytes().to_vec()),
        other => M::Bytes(other.to_string().into_bytes()),
    }
}

pub(super) fn row_json(row: Row) -> Value {
    let cols: Vec<(String, ColumnType)> = row
        .columns_ref()
        .iter()
        .map(|c| (c.name_str().into_owned(), c.column_type()))
        .collect();
    let mut m = Map::new();
    for ((name, t), v) in cols.into_iter().zip(row.unwrap()) {
        m.insert(name, from_mysql(v, t));
    }
    Value::Object(m)
}

/// Reads every result set of a statement; rows are kept from the first one that has rows.
pub(super) async fn drain<P: Protocol>(
    mut r: QueryResult<'_, 'static, P>,
) -> Result<Ran, mysql_async::Error> {
    let mut ran = Ran::default();
    let mut seen_rows = false;
    loop {
        let rows: Vec<Row> = r.collect().await?;
        ran.affected += r.affected_rows();
        ran.warnings += u64::from(r.warnings());
        if !seen_rows && !rows.is_empty() {
            seen_rows = true;
            ran.rows = rows.into_iter().map(row_json).collect();
        }
        if r.is_empty() {
            break;
        }
    }
    Ok(ran)
}

/// A server error as the `mysql` client prints it; other errors as they are.
pub(super) fn describe(e: &mysql_async::Error) -> (String, Option<u16>, Option<String>) {
    match e {
        mysql_async::Error::Server(s) => (
            format!("ERROR {} ({}): {}", s.code, s.state, s.message),
            Some(s.code),
            Some(s.state.clone()),
        ),
        mysql_async::Error::Io(io) => (format!("{io}"), None, None),
        other => (other.to_string(), None, None),
    }
}

pub(super) async fn run_one(
    conn: &mut Conn,
    text: &str,
    params: Option<Params>,
) -> Result<Ran, mysql_async::Error> {
    match params {
        None => {
            let r = conn.query_iter(text).await?;
            drain(r).await
        }
        Some(p) => {
            let r = conn.exec_iter(text, p).await?;
            drain(r).await
        }
    }
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn is_ddl(text: &str) -> bool {
    let w = sql_split::words(text);
    matches!(
        w.first().map(String::as_str),
        Some("CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE")
    )
}

/// The statements to run, and the name errors call their source by.
async fn statements(h: &Handle<'_>, args: &Args) -> Result<(Vec<Statement>, String), String> {
    match (args.str("query"), args.str("script")) {
        (Some(_), Some(_)) => Err("query and script are mutually exclusive".into()),
        (None, None) => Err("one of query or script is required".into()),
        (Some(q), None) => {
            let mut st = sql_split::split(q).map_err(|e| format!("query: {e}"))?;
            match st.len() {
                0 => Err("query is empty".into()),
                1 => Ok((vec![st.remove(0)], "query".into())),
                n => Err(format!(
                    "query holds {n} statements; it takes one (use script for more)"
                )),
            }
        }
        (None, Some(path)) => {
            if args.has("positional_args") || args.has("named_args") {
                return Err("positional_args and named_args go with query, not script".into());
            }
            let bytes = if args.bool("remote_src") {
                h.conn
                    .get_bytes(path, h.become_.clone())
                    .await
                    .map_err(|e| format!("cannot read script on {}: {e}", h.host))?
            } else {
                let Some(local) = h.find_file("files", path) else {
                    return Err(format!("could not find script {path} on the controller"));
                };
                std::fs::read(&local)
                    .map_err(|e| format!("cannot read {}: {e}", local.display()))?
            };
            let text =
                String::from_utf8(bytes).map_err(|e| format!("{path} is not UTF-8 text: {e}"))?;
            let st = sql_split::split(&text).map_err(|e| format!("{path}: {e}"))?;
            Ok((st, path.to_string()))
        }
    }
}

fn params(args: &Args) -> Result<Option<Params>, String> {
    match (args.get("positional_args"), args.get("named_args")) {
        (Some(_), Some(_)) => Err("positional_args and named_args are mutually exclusive".into()),
        (Some(_), None) => Ok(Some(Params::Positional(
            args.list("positional_args").iter().map(to_mysql).collect(),
        ))),
        (None, Some(Value::Object(m))) => Ok(Some(Params::Named(
            m.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), to_mysql(v)))
                .collect(),
        ))),
        (None, Some(_)) => Err("named_args must be a dict".into()),
        (None, None) => Ok(None),
    }
}

pub(super) async fn connect(
    h: &Handle<'_>,
    args: &Args,
    login: &Login,
) -> Result<(Conn, Option<std::net::SocketAddr>), String> {
    let charset = args.str("charset").unwrap_or("utf8mb4");
    if charset.is_empty()
        || !charset
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!("charset is not a character set name: {charset}"));
    }
    let via_ssh = args.str("via") == Some("ssh");
    let mut forwarded = None;
    let mut opts = OptsBuilder::default()
        .user(Some(login.user.clone()))
        .pass(login.password.clone())
        .db_name(args.string("database"))
        .prefer_socket(false)
        // Given, so the driver does not ask for them after the login: endpoints such as
        // HotDB's management port need not know `SELECT @@max_allowed_packet`.
        .max_allowed_packet(Some(64 * 1024 * 1024))
        .wait_timeout(Some(28_800))
        .stmt_cache_size(0)
        .init(vec![format!("SET NAMES {charset}")]);
    let target = match (&login.socket, via_ssh) {
        (Some(_), true) => {
            return Err("login_unix_socket cannot be used with via: ssh".into());
        }
        (Some(sock), false) => {
            opts = opts.socket(Some(sock.clone()));
            sock.clone()
        }
        (None, true) => {
            let local = h
                .conn
                .forward(&login.host, login.port)
                .await
                .map_err(|e| e.to_string())?;
            forwarded = Some(local);
            opts = opts
                .ip_or_hostname(local.ip().to_string())
                .tcp_port(local.port());
            format!("{}:{} (through {})", login.host, login.port, h.host)
        }
        (None, false) => {
            opts = opts.ip_or_hostname(login.host.clone()).tcp_port(login.port);
            format!("{}:{}", login.host, login.port)
        }
    };
    let secs = args.int("connect_timeout").unwrap_or(30).max(1) as u64;
    let result = tokio::time::timeout(Duration::from_secs(secs), Conn::new(opts)).await;
    let failure = match result {
        Ok(Ok(conn)) => return Ok((conn, forwarded)),
        Ok(Err(e)) => describe(&e).0,
        Err(_) => format!("no answer within {secs}s (connect_timeout)"),
    };
    if let Some(local) = forwarded {
        h.conn.unforward(local, &login.host, login.port).await;
    }
    Err(format!(
        "cannot connect to {target} as {}: {failure}",
        login.user
    ))
}

fn summary(n: usize, st: &Statement, ran: Option<&Ran>) -> Value {
    let mut m = Map::new();
    m.insert("number".into(), Value::from(n));
    m.insert("line".into(), Value::from(st.line));
    m.insert("text".into(), Value::String(excerpt(&st.text)));
    m.insert(
        "changes".into(),
        Value::Bool(sql_split::can_change(&st.text)),
    );
    m.insert("ran".into(), Value::Bool(ran.is_some()));
    if let Some(r) = ran {
        m.insert("rows_affected".into(), Value::from(r.affected));
        m.insert("warnings".into(), Value::from(r.warnings));
        m.insert("rows".into(), Value::from(r.rows.len()));
    }
    Value::Object(m)
}

async fn run(h: &Handle<'_>, args: &Args, login: &Login) -> Result<Outcome, String> {
    let (stmts, source) = statements(h, args).await?;
    let params = params(args)?;
    let is_query = args.has("query");
    let (mut conn, forwarded) = connect(h, args, login).await?;
    let outcome = execute(h, args, &mut conn, &stmts, &source, is_query, params).await;
    let _ = conn.disconnect().await;
    if let Some(local) = forwarded {
        h.conn.unforward(local, &login.host, login.port).await;
    }
    Ok(outcome)
}

async fn execute(
    h: &Handle<'_>,
    args: &Args,
    conn: &mut Conn,
    stmts: &[Statement],
    source: &str,
    is_query: bool,
    mut params: Option<Params>,
) -> Outcome {
    let (a, b, c) = conn.server_version();
    let mut o = Outcome::ok().with("server_version", format!("{a}.{b}.{c}"));
    let changes_any = stmts.iter().any(|s| sql_split::can_change(&s.text));
    let dry = h.check_mode && changes_any;
    let transaction = args.bool("single_transaction") && !dry;
    if args.bool("single_transaction") && stmts.iter().any(|s| is_ddl(&s.text)) {
        o.warnings.push(
            "single_transaction: the DDL statements of this script commit implicitly and cannot be rolled back".into(),
        );
    }
    if transaction && let Err(e) = conn.query_drop("START TRANSACTION").await {
        return Outcome::failed(format!("cannot start a transaction: {}", describe(&e).0));
    }
    let stop = args.bool("stop_on_error");
    let mut summaries = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut first_failure: Option<(usize, u16, String)> = None;
    let (mut affected, mut warnings, mut run_count) = (0u64, 0u64, 0usize);
    let mut rows = Vec::new();
    for (i, st) in stmts.iter().enumerate() {
        let n = i + 1;
        if dry {
            summaries.push(summary(n, st, None));
            continue;
        }
        match run_one(conn, &st.text, params.take()).await {
            Ok(ran) => {
                run_count += 1;
                affected += ran.affected;
                warnings += ran.warnings;
                summaries.push(summary(n, st, Some(&ran)));
                if is_query {
                    rows = ran.rows;
                }
            }
            Err(e) => {
                let (text, code, state) = describe(&e);
                let msg = if is_query {
                    format!("query failed: {text}")
                } else {
                    format!(
                        "{source}: statement {n} of {} (line {}) failed: {text}",
                        stmts.len(),
                        st.line
                    )
                };
                summaries.push(summary(n, st, None));
                if first_failure.is_none() {
                    first_failure = Some((n, code.unwrap_or_default(), state.unwrap_or_default()));
                    let mut f = Map::new();
                    f.insert("number".into(), Value::from(n));
                    f.insert("line".into(), Value::from(st.line));
                    f.insert("text".into(), Value::String(excerpt(&st.text)));
                    o.data.insert("failed_statement".into(), Value::Object(f));
                }
                errors.push(msg);
                if stop || e.is_fatal() {
                    break;
                }
            }
        }
    }
    if transaction {
        let end = if errors.is_empty() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        if let Err(e) = conn.query_drop(end).await {
            errors.push(format!("{end} failed: {}", describe(&e).0));
        }
    }
    let ran_changes = summaries
        .iter()
        .any(|s| s["ran"] == Value::Bool(true) && s["changes"] == Value::Bool(true));
    o.changed = if dry { changes_any } else { ran_changes };
    o = o
        .with("statements_run", run_count)
        .with("statements_total", stmts.len())
        .with("rows_affected", affected)
        .with("warnings", warnings);
    if is_query {
        o = o
            .with(
                "query",
                stmts.first().map(|s| s.text.clone()).unwrap_or_default(),
            )
            .with("rows", Value::Array(rows));
        if dry {
            o.msg = Some("the query would run (not in check mode)".into());
        }
    } else {
        o = o
            .with("script", source.to_string())
            .with("statements", Value::Array(summaries));
        if dry {
            o.msg = Some(format!(
                "{} statements would run (not in check mode)",
                stmts.len()
            ));
        }
    }
    if let Some((_, code, state)) = first_failure {
        o = o.with("error_code", code).with("error_state", state);
        o.failed = true;
        o.msg = Some(if errors.len() == 1 || stop {
            errors.remove(0)
        } else {
            format!("{} statements failed:\n{}", errors.len(), errors.join("\n"))
        });
        if transaction {
            o.msg = o
                .msg
                .map(|m| format!("{m} (the transaction was rolled back)"));
        }
    } else if !errors.is_empty() {
        o.failed = true;
        o.msg = Some(errors.join("\n"));
    }
    o
}

#[async_trait]
impl Module for MysqlExec {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let login = match mysql_login::resolve(h, args).await {
            Ok(l) => l,
            Err(e) => {
                let pw = Login {
                    password: args.string("login_password"),
                    ..Default::default()
                };
                return Ok(pw.scrub(Outcome::failed(e)));
            }
        };
        let o = match run(h, args, &login).await {
            Ok(o) => o,
            Err(e) => Outcome::failed(e),
        };
        Ok(login.scrub(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_by_column_type() {
        use mysql_async::Value as M;
        assert_eq!(
            from_mysql(M::Bytes(b"42".to_vec()), ColumnType::MYSQL_TYPE_LONG),
            Value::from(42)
        );
        assert_eq!(
            from_mysql(
                M::Bytes(b"1.50".to_vec()),
                ColumnType::MYSQL_TYPE_NEWDECIMAL
            ),
            Value::String("1.50".into())
        );
        assert_eq!(
            from_mysql(
                M::Date(2024, 1, 2, 3, 4, 5, 0),
                ColumnType::MYSQL_TYPE_DATETIME
            ),
            Value::String("2024-01-02 03:04:05".into())
        );
        assert_eq!(
            from_mysql(M::Time(true, 1, 2, 3, 4, 0), ColumnType::MYSQL_TYPE_TIME),
            Value::String("-26:03:04".into())
        );
        assert_eq!(
            from_mysql(M::NULL, ColumnType::MYSQL_TYPE_LONG),
            Value::Null
        );
        assert_eq!(to_mysql(&Value::from(true)), M::Int(1));
        assert_eq!(to_mysql(&Value::from("x")), M::Bytes(b"x".to_vec()));
    }

    #[test]
    fn ddl_and_excerpts() {
        assert!(is_ddl("/*!40101 CREATE TABLE t (a int) */"));
        assert!(!is_ddl("INSERT INTO t VALUES (1)"));
        let long = "é".repeat(400);
        assert!(excerpt(&long).ends_with("..."));
    }

    #[test]
    fn doc_renders() {
        let text = DOC.render();
        assert!(text.contains("login_password"));
        assert!(DOC.arg("login_password").unwrap().secret);
    }
}
