//! The `bin/` start scripts: POSIX sh in the shape of HotDB's (`start|stop|status|restart`,
//! a pid file under `run/`, nohup into `logs/console.log`). The JVM is stood in for by the
//! packaged simulator binary, `lib/hotdb-sim`.

/// How one component's script differs from another's.
pub struct ScriptSpec<'a> {
    /// `HotDB-server`, `HotDB-management`, ...: the word in every message.
    pub name: &'a str,
    /// The simulator subcommand.
    pub command: &'a str,
    pub pid_file: &'a str,
    pub main_log: &'a str,
    /// `(JAVA_BIN, JAVA_VERSION)`; `None` for components without a JDK check.
    pub java: Option<(&'a str, &'a str)>,
    /// Extra variable assignments and comments, verbatim, after the standard ones.
    pub extra_vars: &'a str,
    /// Arguments after `start` are passed on (`hotdb_backup start -h IP -p PORT`).
    pub start_args: bool,
}

pub fn render(s: &ScriptSpec) -> String {
    let mut out = format!(
        r#"#!/bin/sh
# {name} service script: start|stop|restart|status
# hotdb-sim: the JVM is stood in for by lib/hotdb-sim (see the hotplay lab README).

shellPath=$(cd "$(dirname "$0")" && pwd)
HOTDB_HOME=$(cd "$shellPath/.." && pwd)
PID_DIR="$HOTDB_HOME"/run
PID_FILE="$PID_DIR"/{pid_file}
HOTDB_LOGS="$HOTDB_HOME"/logs/{main_log}
HOTDB_CONSOLE_LOG="$HOTDB_HOME"/logs/console.log
TMPFILE_DIR="$HOTDB_HOME"/HotDB-TEMP
"#,
        name = s.name,
        pid_file = s.pid_file,
        main_log = s.main_log,
    );
    if let Some((bin, version)) = s.java {
        out.push_str(&format!("JAVA_BIN={bin}\nJAVA_VERSION=\"{version}\"\n"));
        out.push_str("#with CMS Garbage Collection\nJAVA_OPTS=\"-server -Xms4G -Xmx4G -XX:MaxDirectMemorySize=24G\"\n");
        out.push_str("#with G1 Garbage Collection\n#JAVA_OPTS=\"-server -Xms16G -Xmx16G -XX:MaxDirectMemorySize=24G\"\n");
    }
    out.push_str(s.extra_vars);
    out.push_str("HOTDB_CLASSPATH=\"$HOTDB_HOME/conf:$HOTDB_HOME/lib/classes\"\n");
    out.push_str(
        "# seconds stop waits for the process to exit before giving up\nSTOP_TIMEOUT=30\n",
    );
    out.push_str(&format!("NAME={}\n", s.name));
    out.push_str(COMMON);
    let java_check = if s.java.is_some() {
        "  check_java || exit 1\n"
    } else {
        "  JAVA_LINE=none\n"
    };
    let java_args = if s.java.is_some() {
        " $JAVA_OPTS -classpath \"$HOTDB_CLASSPATH\""
    } else {
        ""
    };
    let pass = if s.start_args { " \"$@\"" } else { "" };
    out.push_str(&format!(
        r#"
start() {{
  if running; then
    echo "$NAME service already running (PID: $pid)."
    exit 0
  fi
{java_check}  mkdir -p "$PID_DIR" "$TMPFILE_DIR" "$HOTDB_HOME"/logs
  cd "$HOTDB_HOME" || exit 1
  nohup "$HOTDB_HOME"/lib/hotdb-sim {command} --home "$HOTDB_HOME" --java "$JAVA_LINE"{pass}{java_args} </dev/null >>"$HOTDB_CONSOLE_LOG" 2>&1 &
  echo $! > "$PID_FILE"
  sleep 1
  if running; then
    echo "$NAME start successed."
    exit 0
  fi
  rm -f "$PID_FILE"
  echo "$NAME start failed, see $HOTDB_LOGS and $HOTDB_CONSOLE_LOG."
  exit 1
}}

case "$1" in
  start) shift; start "$@" ;;
  stop) stop ;;
  restart) (stop) || exit 1; shift; start "$@" ;;
  status) status ;;
  *) echo "Usage: $0 {{start|stop|restart|status}}"; exit 1 ;;
esac
"#,
        command = s.command,
    ));
    out
}

const COMMON: &str = r#"
running() {
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null)
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # an exited process not yet reaped is not running
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' /proc/"$pid"/stat 2>/dev/null)
  [ "$state" != Z ]
}

check_java() {
  if [ ! -x "$JAVA_BIN" ]; then
    echo "JAVA_BIN $JAVA_BIN is not executable: check JAVA_BIN in $0."
    return 1
  fi
  JAVA_LINE=$("$JAVA_BIN" -version 2>&1 | head -n 1)
  case "$JAVA_LINE" in
    *\"$JAVA_VERSION\"*) return 0 ;;
  esac
  echo "Java version mismatch: JAVA_VERSION is $JAVA_VERSION but $JAVA_BIN -version says: $JAVA_LINE"
  return 1
}

stop() {
  if ! running; then
    echo "$NAME service not running."
    rm -f "$PID_FILE"
    return 0
  fi
  echo "Stopping $NAME (PID: $pid) ..."
  kill "$pid"
  ticks=0
  while running; do
    if [ "$ticks" -ge $((STOP_TIMEOUT * 5)) ]; then
      echo "$NAME (PID: $pid) did not stop within $STOP_TIMEOUT s."
      exit 1
    fi
    sleep 0.2
    ticks=$((ticks + 1))
  done
  rm -f "$PID_FILE"
  echo "$NAME stopped success."
}

status() {
  if running; then
    echo "$NAME service is running (PID: $pid)."
    exit 0
  fi
  echo "$NAME service not running."
  exit 1
}
"#;
