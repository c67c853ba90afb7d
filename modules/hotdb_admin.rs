//! hotdb_admin: one command on a HotDB compute node's management port (MySQL wire
//! protocol): `show @@cluster`, `reload @@config`, `online`, ... with parsed rows and
//! `expect` conditions, retried until they hold or `timeout` passes.

use super::mysql_exec::{connect, describe, run_one};
use super::mysql_login::{self, Login};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

pub struct HotdbAdmin;

static DOC: ModuleDoc = ModuleDoc {
    name: "hotdb_admin",
    short: "Run a HotDB management-port command and check its answer",
    description: "Runs `command` on a compute node's management port (default 127.0.0.1:3325 as seen from the controller; `via: ssh` reaches the task host's own port through its SSH master) and returns the rows as a list of dicts with HotDB's column names. A MySQL error (10191, 10190 ...) fails the task with its code and message. `expect` conditions are checked on the answer; with `timeout`, the command is repeated every `sleep` seconds until they hold (an election, a reload after a start). The password is never shown.
`expect` keys: `rows` (exact count), `rows_min`, `rows_max`, `all_rows` / `any_row` ({column: value} that every / some row must have; values compare as text, case-insensitively), `one_primary` (exactly one row whose status is Primary: show @@cluster), `message` (text the server's OK message must contain, e.g. 'Reload config success').",
    args: &[
        ArgSpec::new("command", ArgType::Str, "The management command, e.g. `show @@cluster`.")
            .required()
            .aliases(&["cmd"]),
        mysql_login::LOGIN_HOST,
        mysql_login::LOGIN_PORT,
        mysql_login::LOGIN_USER,
        mysql_login::LOGIN_PASSWORD,
        mysql_login::LOGIN_DEFAULTS_FILE,
        ArgSpec::new(
            "via",
            ArgType::Str,
            "direct: connect from the controller; ssh: through a forward on the task host's SSH master.",
        )
        .choices(&["direct", "ssh"])
        .default("direct"),
        ArgSpec::new("expect", ArgType::Raw, "Conditions on the answer (see above)."),
        ArgSpec::new("timeout", ArgType::Int, "Seconds to keep retrying until `expect` holds; 0 tries once.")
            .default("0"),
        ArgSpec::new("sleep", ArgType::Int, "Seconds between tries.").default("2"),
        ArgSpec::new("connect_timeout", ArgType::Int, "Seconds to connect and log in.")
            .default("10"),
    ],
    free_form: FreeForm::No,
    check_mode: "`show` commands run (they only read); any other command (reload, online, offline ...) is reported and not sent.",
    returns: "command; rows (list of dicts); rows_affected; message (the server's OK message); attempts; on an error: error_code",
    examples: "# MBR-1 d: the compute node's memory matches the config DB.
- hotdb_admin:
    command: reload @@config
    login_user: \"{{ hotdb_manager_user }}\"
    login_password: \"{{ hotdb_manager_password }}\"
    via: ssh
# MNR-1: roles, waiting for an elected primary.
- hotdb_admin:
    command: show @@cluster
    expect: {one_primary: true}
    timeout: 60
  register: cluster",
};

fn is_read(command: &str) -> bool {
    let first = command.split_whitespace().next().unwrap_or_default();
    first.eq_ignore_ascii_case("show") || first.eq_ignore_ascii_case("select")
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn row_has(row: &Value, want: &Map<String, Value>) -> bool {
    want.iter().all(|(col, v)| {
        row.get(col)
            .or_else(|| {
                row.as_object().and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(col))
                        .map(|(_, v)| v)
                })
            })
            .is_some_and(|got| text_of(got).eq_ignore_ascii_case(&text_of(v)))
    })
}

/// Checks `expect` on the answer: None when it holds, else why not.
fn unmet(
    expect: &Map<String, Value>,
    rows: &[Value],
    message: &str,
) -> Result<Option<String>, String> {
    let n = rows.len() as i64;
    for (k, v) in expect {
        // A templated count arrives as text ("{{ members }}").
        let num = || {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| format!("expect.{k} must be a number, got {v}"))
        };
        let map = || {
            v.as_object()
                .ok_or_else(|| format!("expect.{k} must be a mapping of column: value"))
        };
        let why = match k.as_str() {
            "rows" => (n != num()?).then(|| format!("{n} rows, expected {}", num().unwrap_or(0))),
            "rows_min" => {
                (n < num()?).then(|| format!("{n} rows, expected at least {}", num().unwrap_or(0)))
            }
            "rows_max" => {
                (n > num()?).then(|| format!("{n} rows, expected at most {}", num().unwrap_or(0)))
            }
            "all_rows" => {
                let want = map()?;
                rows.iter()
                    .find(|r| !row_has(r, want))
                    .map(|r| format!("a row does not have {}: {r}", Value::Object(want.clone())))
            }
            "any_row" => {
                let want = map()?;
                (!rows.iter().any(|r| row_has(r, want)))
                    .then(|| format!("no row has {}", Value::Object(want.clone())))
            }
            "one_primary" => {
                let mut want = Map::new();
                want.insert("status".into(), Value::String("Primary".into()));
                let primaries = rows.iter().filter(|r| row_has(r, &want)).count();
                (v.as_bool() == Some(true) && primaries != 1)
                    .then(|| format!("{primaries} rows with status Primary, expected exactly one"))
            }
            "message" => {
                let want = text_of(v);
                (!message.contains(&want))
                    .then(|| format!("the server said `{message}`, expected `{want}`"))
            }
            other => {
                return Err(format!(
                    "unknown expect condition `{other}`: rows, rows_min, rows_max, all_rows, any_row, one_primary, message"
                ));
            }
        };
        if why.is_some() {
            return Ok(why);
        }
    }
    Ok(None)
}

/// One try: the rows, the affected count and the OK message, or the error and its code.
async fn once(
    h: &Handle<'_>,
    args: &Args,
    login: &Login,
    command: &str,
) -> Result<(Vec<Value>, u64, String), (String, Option<u16>)> {
    let (mut conn, forwarded) = connect(h, args, login).await.map_err(|e| (e, None))?;
    let result = run_one(&mut conn, command, None).await;
    let message = conn.info().into_owned();
    let _ = conn.disconnect().await;
    if let Some(local) = forwarded {
        h.conn.unforward(local, &login.host, login.port).await;
    }
    match result {
        Ok(ran) => Ok((ran.rows, ran.affected, message)),
        Err(e) => {
            let (text, code, _) = describe(&e);
            Err((format!("{command}: {text}"), code))
        }
    }
}

#[async_trait]
impl Module for HotdbAdmin {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let command = args
            .string("command")
            .unwrap_or_default()
            .trim()
            .to_string();
        let mut args = args.clone();
        // The management port's defaults: 127.0.0.1:3325 (localhost would mean a socket).
        if !args.has("login_host") {
            args.values
                .insert("login_host".into(), Value::String("127.0.0.1".into()));
        }
        if !args.has("login_port") {
            args.values.insert("login_port".into(), Value::from(3325));
        }
        if !args.has("login_user") && !args.has("login_defaults_file") {
            args.values
                .insert("login_user".into(), Value::String("root".into()));
        }
        let login = match mysql_login::resolve(h, &args).await {
            Ok(l) => l,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let expect = match args.get("expect") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Ok(Outcome::failed(format!(
                    "expect must be a mapping, not {other}"
                )));
            }
        };
        if let Err(e) = unmet(&expect, &[], "") {
            return Ok(Outcome::failed(e));
        }
        let changes = !is_read(&command);
        if h.check_mode && changes {
            return Ok(login.scrub(
                Outcome::changed(true)
                    .with("command", command.clone())
                    .msg(format!("would send `{command}` (check mode)")),
            ));
        }
        let timeout = Duration::from_secs(args.int("timeout").unwrap_or(0).max(0) as u64);
        let sleep = Duration::from_secs(args.int("sleep").unwrap_or(2).max(1) as u64);
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let (outcome, done) = match once(h, &args, &login, &command).await {
                Ok((rows, affected, message)) => {
                    let why = match unmet(&expect, &rows, &message) {
                        Ok(w) => w,
                        Err(e) => return Ok(Outcome::failed(e)),
                    };
                    let base = if changes {
                        Outcome::changed(true)
                    } else {
                        Outcome::ok()
                    };
                    let o = base
                        .with("command", command.clone())
                        .with("rows", Value::Array(rows))
                        .with("rows_affected", affected)
                        .with("message", message)
                        .with("attempts", attempts);
                    match why {
                        None => (o, true),
                        Some(why) => {
                            let mut f = o;
                            f.failed = true;
                            f.msg = Some(format!("{command}: {why}"));
                            (f, false)
                        }
                    }
                }
                Err((msg, code)) => {
                    let mut f = Outcome::failed(msg)
                        .with("command", command.clone())
                        .with("attempts", attempts);
                    if let Some(c) = code {
                        f = f.with("error_code", c);
                    }
                    (f, false)
                }
            };
            if done || started.elapsed() >= timeout {
                return Ok(login.scrub(outcome));
            }
            tokio::time::sleep(sleep).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expectations() {
        let rows = vec![
            json!({"status": "Primary", "host": "10.0.0.1"}),
            json!({"status": "Secondary", "host": "10.0.0.2"}),
        ];
        let e = |v: Value| v.as_object().cloned().expect("map");
        assert_eq!(
            unmet(&e(json!({"rows": 2, "one_primary": true})), &rows, ""),
            Ok(None)
        );
        assert!(
            unmet(&e(json!({"rows_min": 3})), &rows, "")
                .expect("ok")
                .is_some()
        );
        assert_eq!(
            unmet(&e(json!({"any_row": {"STATUS": "secondary"}})), &rows, ""),
            Ok(None)
        );
        assert!(
            unmet(&e(json!({"all_rows": {"status": "Primary"}})), &rows, "")
                .expect("ok")
                .is_some()
        );
        assert_eq!(
            unmet(
                &e(json!({"message": "Reload config success"})),
                &[],
                "Reload config success"
            ),
            Ok(None)
        );
        assert!(unmet(&e(json!({"bogus": 1})), &rows, "").is_err());
        assert!(is_read(" SHOW @@cluster") && !is_read("reload @@config") && !is_read("online"));
    }
}
