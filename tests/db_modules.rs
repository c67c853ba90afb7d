//! mysql_exec, mysql_dump, mysql_restore and sql_guard, run through the real binary
//! against a real MariaDB that this test binary starts for itself: a throwaway datadir,
//! its own port on 127.0.0.1 and its own socket, shared by the tests of this binary and
//! killed (and its datadir removed) when the binary exits. Needs root (mariadbd runs
//! with --user=root and root logs in through the socket), as CI is.

mod common;
use common::sshd::Sshd;
use common::{Lab, Run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The test user's password: quotes, a `#`, a backslash and spaces, so option files and
/// SQL quoting are tested too.
const PASSWORD: &str = r#"S3cr#t "pw" \z 9"#;
const PASSWORD_YAML: &str = r#"'S3cr#t "pw" \z 9'"#;

struct Maria {
    port: u16,
    socket: PathBuf,
}

static MARIA: OnceLock<Maria> = OnceLock::new();
static SERVER: Mutex<Option<(i32, PathBuf)>> = Mutex::new(None);

extern "C" fn stop_server() {
    let Ok(mut guard) = SERVER.lock() else { return };
    if let Some((pid, dir)) = guard.take() {
        // SAFETY: plain syscalls on the pid of the server this process started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn sh(cmd: &str) -> std::process::Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("run sh")
}

fn root_sql(socket: &Path, sql: &str) -> std::process::Output {
    Command::new("mariadb")
        .args(["--no-defaults", "-uroot", "-S"])
        .arg(socket)
        .args(["-N", "-B", "-e", sql])
        .output()
        .expect("run mariadb")
}

fn maria() -> &'static Maria {
    MARIA.get_or_init(|| {
        if !sh("command -v mariadbd && command -v mariadb-install-db && command -v mysqldump")
            .status
            .success()
        {
            let out = sh("apt-get install -y mariadb-server mariadb-client");
            assert!(out.status.success(), "cannot install MariaDB: {out:?}");
        }
        let dir = std::env::temp_dir().join(format!("hotplay-mariadb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let data = dir.join("data");
        let out = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
            ])
            .output()
            .expect("mariadb-install-db");
        assert!(out.status.success(), "mariadb-install-db: {out:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let socket = dir.join("mysqld.sock");
        let mut cmd = Command::new("mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .arg(format!("--log-bin={}", data.join("binlog").display()))
            .arg(format!("--port={port}"))
            .args([
                "--user=root",
                "--bind-address=127.0.0.1",
                "--server-id=1",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl in the child before exec; a server outlives no test binary.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        // Spawned from a thread that lives until the server dies, so PDEATHSIG fires only when the process does.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut child = cmd.spawn().expect("start mariadbd");
            tx.send(child.id() as i32).expect("send pid");
            // Blocks until the server is killed at exit; keeps this thread (the
            // PDEATHSIG parent) alive as long as the process.
            let _ = child.wait();
        });
        let pid = rx.recv().expect("pid");
        *SERVER.lock().expect("lock") = Some((pid, dir.clone()));
        // SAFETY: registers a plain extern "C" function.
        unsafe { libc::atexit(stop_server) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if root_sql(&socket, "SELECT 1").status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let pw = PASSWORD.replace('\\', "\\\\").replace('\'', "\\'");
        let out = root_sql(
            &socket,
            &format!(
                "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES; CREATE USER 'hp'@'%' IDENTIFIED BY '{pw}'; GRANT ALL ON *.* TO 'hp'@'%' WITH GRANT OPTION;"
            ),
        );
        assert!(out.status.success(), "create user: {out:?}");
        Maria { port, socket }
    })
}

/// Runs SQL as root through the socket and returns its output, tab-separated.
fn sql(q: &str) -> String {
    let out = root_sql(&maria().socket, q);
    assert!(out.status.success(), "{q}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A playbook with `login` (the test user over TCP) in its vars.
fn playbook(lab: &Lab, tasks: &str) -> String {
    let m = maria();
    format!(
        "- hosts: all\n  gather_facts: false\n  vars:\n    d: {dir}\n    login_host: 127.0.0.1\n    login_port: {port}\n    pw: {PASSWORD_YAML}\n  tasks:\n{tasks}",
        dir = lab.path("w").display(),
        port = m.port,
    )
}

/// `login_*` arguments for a task, indented for a module's mapping.
const LOGIN: &str = "        login_host: \"{{ login_host }}\"\n        login_port: \"{{ login_port }}\"\n        login_user: hp\n        login_password: \"{{ pw }}\"\n";

fn run(lab: &Lab, tasks: &str, extra: &[&str]) -> Run {
    lab.local_inventory(&["h1"]);
    run_on(lab, tasks, extra)
}

/// Runs the tasks on the hosts of the `hosts.ini` already written.
fn run_on(lab: &Lab, tasks: &str, extra: &[&str]) -> Run {
    std::fs::create_dir_all(lab.path("w")).expect("mkdir");
    std::fs::create_dir_all(lab.path("tmp")).expect("mkdir");
    lab.write("play.yml", &playbook(lab, tasks));
    let out = Command::new(env!("CARGO_BIN_EXE_hotplay"))
        .args(["run", "play.yml", "-i", "hosts.ini"])
        .args(extra)
        .current_dir(lab.dir.path())
        .env("NO_COLOR", "1")
        .env("TMPDIR", lab.path("tmp"))
        .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
        .env_remove("ANSIBLE_CONFIG")
        .output()
        .expect("run hotplay");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
        "the password was shown:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    // Option files are removed whatever happened.
    let left: Vec<_> = std::fs::read_dir(lab.path("tmp"))
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind in TMPDIR: {left:?}");
    r
}

#[test]
fn exec_query_script_and_delimiter_procedures() {
    let lab = Lab::new();
    sql("DROP DATABASE IF EXISTS ex1");
    lab.write(
        "files/setup.sql",
        "-- set up; with comments\nCREATE DATABASE ex1;\nUSE ex1;\nCREATE TABLE node (id INT PRIMARY KEY, name VARCHAR(32)) DEFAULT CHARSET=utf8;\nINSERT INTO node VALUES (1, 'a;b'), (2, 'it''s'), (3, \"c\\\"d\");\n\nDELIMITER $$\nCREATE PROCEDURE count_nodes(OUT n INT)\nBEGIN\n  SELECT COUNT(*) INTO n FROM node;\n  UPDATE node SET name = name WHERE id = 0;\nEND$$\nDELIMITER ;\n/* a trigger without DELIMITER lines */\nCREATE TRIGGER node_bi BEFORE INSERT ON node FOR EACH ROW BEGIN SET NEW.name = UPPER(NEW.name); END;\nCALL count_nodes(@n);\nCREATE PROCEDURE two_sets() BEGIN SELECT id FROM node ORDER BY id; SELECT 'second' AS s; END;\n",
    );
    let tasks = format!(
        "    - mysql_exec:\n{LOGIN}        script: setup.sql\n        charset: utf8\n      register: s\n    - mysql_exec:\n{LOGIN}        database: ex1\n        query: \"SELECT id, name FROM node WHERE id >= ? ORDER BY id\"\n        positional_args: [2]\n      register: q\n    - mysql_exec:\n{LOGIN}        database: ex1\n        query: \"INSERT INTO node VALUES (:id, :name)\"\n        named_args: {{id: 4, name: lower}}\n      register: i\n    - mysql_exec:\n{LOGIN}        query: CALL ex1.two_sets()\n      register: c\n    - debug: msg=\"sets={{{{ c.rows | length }}}} {{{{ c.statements_run }}}}\"\n    - debug:\n        msg: \"{{{{ s.statements_run }}}}/{{{{ s.statements_total }}}} {{{{ s.changed }}}} {{{{ q.rows | length }}}} {{{{ q.rows[0].id }}}} {{{{ q.rows[0].name }}}} {{{{ q.rows[1].name }}}} {{{{ q.changed }}}} {{{{ i.rows_affected }}}}\"\n",
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has(r#"8/8 True 2 2 it's c\"d False 1"#);
    r.out_has("sets=4 1");
    assert_eq!(sql("SELECT name FROM ex1.node WHERE id = 4"), "LOWER");
    assert_eq!(sql("SELECT name FROM ex1.node WHERE id = 1"), "a;b");
}

#[test]
fn exec_failing_statement_stops_the_script() {
    let lab = Lab::new();
    sql("DROP DATABASE IF EXISTS ex2; CREATE DATABASE ex2; CREATE TABLE ex2.marks (m INT)");
    lab.write(
        "files/upgrade.sql",
        "INSERT INTO marks VALUES (1);\n\n-- the third statement fails\nINSERT INTO marks VALUES (2);\nALTER TABLE no_such_table\n  ADD COLUMN c INT;\nINSERT INTO marks VALUES (4);\n",
    );
    let tasks =
        format!("    - mysql_exec:\n{LOGIN}        database: ex2\n        script: upgrade.sql\n");
    let r = run(&lab, &tasks, &[]);
    r.assert_code(2);
    r.out_has("upgrade.sql: statement 3 of 4 (line 5) failed: ERROR 1146 (42S02)");
    r.out_has("no_such_table");
    assert_eq!(
        sql("SELECT GROUP_CONCAT(m ORDER BY m) FROM ex2.marks"),
        "1,2"
    );
    // With single_transaction the rows written before the failure are rolled back
    // (a failing DDL statement would have committed them: MySQL commits before DDL).
    sql("DELETE FROM ex2.marks");
    lab.write(
        "files/rows.sql",
        "INSERT INTO marks VALUES (1);\nINSERT INTO marks VALUES (2);\nINSERT INTO no_such_table VALUES (3);\n",
    );
    let tasks = format!(
        "    - mysql_exec:\n{LOGIN}        database: ex2\n        script: rows.sql\n        single_transaction: yes\n"
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(2);
    r.out_has("(the transaction was rolled back)");
    assert_eq!(sql("SELECT COUNT(*) FROM ex2.marks"), "0");
    // stop_on_error: no runs the rest, and the task still fails at the end.
    let tasks = format!(
        "    - mysql_exec:\n{LOGIN}        database: ex2\n        script: upgrade.sql\n        stop_on_error: no\n      register: r\n      ignore_errors: true\n    - debug: msg=\"run={{{{ r.statements_run }}}} failed={{{{ r.failed }}}} at={{{{ r.failed_statement.line }}}}\"\n"
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has("run=3 failed=True at=5");
    assert_eq!(
        sql("SELECT GROUP_CONCAT(m ORDER BY m) FROM ex2.marks"),
        "1,2,4"
    );
}

#[test]
fn exec_wrong_password_and_unreachable_server() {
    let lab = Lab::new();
    let wrong = "Wrong-Pass-4242";
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let tasks = format!(
        "    - mysql_exec:\n        login_host: 127.0.0.1\n        login_port: \"{{{{ login_port }}}}\"\n        login_user: hp\n        login_password: {wrong}\n        query: SELECT 1\n      ignore_errors: true\n    - mysql_exec:\n        login_host: 127.0.0.1\n        login_port: {free}\n        login_user: hp\n        login_password: \"{{{{ pw }}}}\"\n        connect_timeout: 5\n        query: SELECT 1\n      ignore_errors: true\n"
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has("ERROR 1045 (28000): Access denied for user 'hp'@'127.0.0.1' (using password: YES)");
    r.out_has(&format!("cannot connect to 127.0.0.1:{free} as hp"));
    assert!(!r.stdout.contains(wrong), "{}", r.stdout);
    // The login from a defaults file's [client] section (read on the task host).
    let pw = PASSWORD.replace('\\', "\\\\").replace('"', "\\\"");
    lab.write(
        "my.cnf",
        &format!(
            "[mysqld]\nuser=nobody\n[client]\nuser = hp\npassword = \"{pw}\"\nport = {}\n",
            maria().port
        ),
    );
    let tasks = format!(
        "    - mysql_exec:\n        login_host: 127.0.0.1\n        login_defaults_file: {}\n        query: SELECT CURRENT_USER() AS u\n      register: q\n    - debug: msg=\"user={{{{ q.rows[0].u }}}}\"\n",
        lab.path("my.cnf").display()
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has("user=hp@%");
}

#[test]
fn check_mode_changes_nothing() {
    let lab = Lab::new();
    sql("DROP DATABASE IF EXISTS ex3; CREATE DATABASE ex3");
    lab.write(
        "files/change.sql",
        "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n",
    );
    let tasks = format!(
        "    - mysql_exec:\n{LOGIN}        database: ex3\n        script: change.sql\n      register: c\n    - mysql_exec:\n{LOGIN}        query: SELECT 40 + 2 AS answer\n      register: q\n    - mysql_dump:\n{LOGIN}        name: ex3\n        dest: \"{{{{ d }}}}/dumps\"\n      register: dump\n    - debug: msg=\"{{{{ c.statements_total }}}} {{{{ c.statements_run }}}} {{{{ c.changed }}}} {{{{ q.rows[0].answer }}}} {{{{ dump.flags | join(' ') }}}}\"\n"
    );
    let r = run(&lab, &tasks, &["--check"]);
    r.assert_code(0);
    r.out_has("2 0 True 42 --single-transaction --master-data=1 --default-character-set=utf8mb4");
    assert_eq!(
        sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'ex3'"),
        "0"
    );
    assert!(!lab.path("w/dumps").exists());
    // Check mode still logs in: a wrong password fails.
    let tasks = "    - mysql_exec:\n        login_host: \"{{ login_host }}\"\n        login_port: \"{{ login_port }}\"\n        login_user: hp\n        login_password: nope-nope\n        query: SELECT 1\n";
    let r = run(&lab, tasks, &["--check"]);
    r.assert_code(2);
    r.out_has("Access denied");
}

/// Reads every process's command line until stopped; returns those that held `needle`.
fn scan_cmdlines(
    needle: &'static str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(usize, Vec<String>)> {
    std::thread::spawn(move || {
        let mut hits = Vec::new();
        let mut scans = 0;
        while !stop.load(Ordering::Relaxed) {
            scans += 1;
            for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
                    continue;
                };
                let line = String::from_utf8_lossy(&raw).replace('\0', " ");
                if line.contains(needle) {
                    hits.push(line);
                }
            }
        }
        (scans, hits)
    })
}

#[test]
fn dump_and_restore_round_trip_without_password_on_any_command_line() {
    let lab = Lab::new();
    sql(
        "DROP DATABASE IF EXISTS hotdb_config; DROP DATABASE IF EXISTS hotdb_config_copy; CREATE DATABASE hotdb_config",
    );
    sql(
        "CREATE TABLE hotdb_config.a (id INT PRIMARY KEY, v VARCHAR(20)); CREATE TABLE hotdb_config.b (id INT); INSERT INTO hotdb_config.a VALUES (1, 'x'), (2, 'ü'); CREATE VIEW hotdb_config.v AS SELECT id FROM hotdb_config.a",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let scanner = scan_cmdlines("S3cr#t", stop.clone());
    let tasks = format!(
        "    - mysql_dump:\n{LOGIN}        name: hotdb_config\n        dest: \"{{{{ d }}}}/dumps\"\n        label: 2.5.3\n      register: dump\n    - mysql_dump:\n{LOGIN}        name: hotdb_config\n        dest: \"{{{{ d }}}}/dumps\"\n        label: 2.5.3\n      register: dump2\n    - mysql_restore:\n{LOGIN}        name: hotdb_config_copy\n        create: yes\n        src: \"{{{{ dump.path }}}}\"\n      register: restore\n    - mysql_exec:\n{LOGIN}        query: SELECT COUNT(*) AS n FROM hotdb_config_copy.a\n      register: n\n    - debug: msg=\"path={{{{ dump.path }}}} sha={{{{ dump.sha256 }}}} size={{{{ dump.size }}}} other={{{{ dump2.path != dump.path }}}} tables={{{{ restore.tables_expected }}}}/{{{{ restore.tables_restored }}}} rows={{{{ n.rows[0].n }}}} from={{{{ restore.dump_database }}}}\"\n"
    );
    let r = run(&lab, &tasks, &[]);
    stop.store(true, Ordering::Relaxed);
    let (scans, hits) = scanner.join().expect("scanner");
    r.assert_code(0);
    assert!(scans > 0);
    assert!(hits.is_empty(), "password on command lines: {hits:?}");
    r.out_has("other=True tables=2/2 rows=2 from=hotdb_config");
    let line = r.stdout.lines().find(|l| l.contains("path=")).expect("msg");
    let path = line
        .split("path=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let name = Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("hotdb_config-2.5.3-") && name.ends_with(".sql"),
        "{name}"
    );
    assert_eq!(name.len(), "hotdb_config-2.5.3-".len() + 14 + 4, "{name}");
    let bytes = std::fs::read(path).expect("dump");
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    r.out_has(&format!("sha={sha} size={}", bytes.len()));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("CHANGE MASTER TO"),
        "--master-data=1 on a server with a binary log"
    );
    assert_eq!(sql("SELECT v FROM hotdb_config_copy.a WHERE id = 2"), "ü");
    // Two dumps within the same second still get two files.
    assert_eq!(
        std::fs::read_dir(lab.path("w/dumps")).expect("dir").count(),
        2
    );
}

#[test]
fn dump_and_restore_failures_are_clear() {
    let lab = Lab::new();
    let tasks = format!(
        "    - mysql_dump:\n{LOGIN}        name: no_such_db\n        dest: \"{{{{ d }}}}/dumps\"\n      ignore_errors: true\n    - mysql_dump:\n        login_host: \"{{{{ login_host }}}}\"\n        login_port: \"{{{{ login_port }}}}\"\n        login_user: hp\n        login_password: bad-password\n        name: mysql\n        dest: \"{{{{ d }}}}/dumps\"\n      ignore_errors: true\n    - mysql_restore:\n{LOGIN}        name: nowhere\n        src: \"{{{{ d }}}}/missing.sql\"\n      ignore_errors: true\n    - copy: content=\"CREATE TABLE t (a INT);\\n\" dest=\"{{{{ d }}}}/one.sql\"\n    - mysql_restore:\n{LOGIN}        name: not_there_db\n        src: \"{{{{ d }}}}/one.sql\"\n      ignore_errors: true\n"
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has("database no_such_db does not exist on the server");
    r.out_has("cannot log in to the server as hp");
    r.out_has("Access denied");
    r.out_has("cannot read the dump");
    r.out_has("database not_there_db does not exist (create: yes creates it)");
    assert!(
        !lab.path("w/dumps").exists()
            || std::fs::read_dir(lab.path("w/dumps")).expect("dir").count() == 0
    );
    // No client on the host: the error names the package to install.
    let bin = lab.path("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    for tool in ["sh", "cat", "mktemp", "rm", "head"] {
        let _ = std::os::unix::fs::symlink(format!("/bin/{tool}"), bin.join(tool));
    }
    let tasks = format!(
        "    - mysql_dump:\n{LOGIN}        name: mysql\n        dest: \"{{{{ d }}}}/dumps\"\n      environment:\n        PATH: {}\n",
        bin.display()
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(2);
    r.out_has("mysqldump or mariadb-dump not found on this host: install it (apt-get install -y mariadb-client");
}

#[test]
fn sql_guard_sorts_upgrade_scripts() {
    let lab = Lab::new();
    lab.write(
        "files/safe.sql",
        "SET NAMES utf8;\nCREATE TABLE IF NOT EXISTS hotdb_new (id INT PRIMARY KEY) ENGINE=InnoDB;\nALTER TABLE hotdb_datanode ADD COLUMN weight INT DEFAULT 1 COMMENT 'w';\nINSERT INTO hotdb_new VALUES (1);\n",
    );
    lab.write(
        "files/unsafe.sql",
        "ALTER TABLE hotdb_datanode ADD COLUMN x INT;\n\nALTER TABLE hotdb_datanode MODIFY COLUMN name VARCHAR(16);\nUPDATE hotdb_datanode SET weight = 2;\nDROP TABLE hotdb_old;\nTHIS IS NOT SQL;\n",
    );
    let tasks = "    - sql_guard:\n        src: [safe.sql]\n      register: a\n    - sql_guard:\n        src: [safe.sql, unsafe.sql]\n      register: b\n    - debug: msg=\"{{ a.rolling_safe }} {{ a.statements }} {{ b.rolling_safe }} {{ b.unsafe | length }} {{ b.unknown | length }} {{ b.unsafe[0].file }}:{{ b.unsafe[0].line }}\"\n    - sql_guard:\n        src: [safe.sql, unsafe.sql]\n        fail_on_unsafe: yes\n";
    let r = run(&lab, tasks, &[]);
    r.assert_code(2);
    r.out_has("True 4 False 3 1 unsafe.sql:3");
    r.out_has("unsafe.sql:3: ALTER TABLE hotdb_datanode MODIFY COLUMN name VARCHAR(16) (changes existing column name");
    r.out_has("unsafe.sql:4: UPDATE hotdb_datanode SET weight = 2 (UPDATE changes existing rows)");
    r.out_has("unsafe.sql:5: DROP TABLE hotdb_old (drops a table)");
    r.out_has("unsafe.sql:6: THIS IS NOT SQL");
    r.out_has("[unknown]");
    // With a login, changes of existing columns are compared with the live schema.
    sql(
        "DROP DATABASE IF EXISTS gd; CREATE DATABASE gd; CREATE TABLE gd.node (id INT NOT NULL, name VARCHAR(32), note VARCHAR(20) NOT NULL)",
    );
    lab.write(
        "files/widen.sql",
        "USE gd;\nALTER TABLE node MODIFY name VARCHAR(64);\nALTER TABLE node CHANGE id id BIGINT NOT NULL;\nALTER TABLE node MODIFY note VARCHAR(10) NOT NULL;\nALTER TABLE node MODIFY name VARCHAR(64) NOT NULL;\nALTER TABLE node MODIFY gone INT;\n",
    );
    let tasks = format!(
        "    - sql_guard:\n{LOGIN}        src: widen.sql\n      register: g\n    - debug:\n        msg: \"{{{{ g.safe | map(attribute='line') | list }}}} {{{{ g.unsafe | map(attribute='line') | list }}}}\"\n    - debug: var=g.msg\n"
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.out_has("[1, 2, 3] [4, 5, 6]");
    r.out_has(
        "narrows or changes existing column note: varchar(20) NOT NULL -> VARCHAR(10) NOT NULL",
    );
    r.out_has("narrows or changes existing column name: varchar(32) -> VARCHAR(64) NOT NULL");
    r.out_has("changes column gd.node.gone, which the live schema does not have");
}

#[test]
fn ssh_root_exec_through_the_ssh_forward_and_dump_on_the_host() {
    let sshd = Sshd::start();
    let lab = Lab::new();
    lab.write(
        "hosts.ini",
        &format!("{}\n", sshd.host_line("s1", &sshd.known_hosts())),
    );
    sql(
        "DROP DATABASE IF EXISTS ex4; CREATE DATABASE ex4; CREATE TABLE ex4.t (a INT); INSERT INTO ex4.t VALUES (7)",
    );
    let dest = format!("/tmp/hotplay-ssh-dumps-{}", std::process::id());
    let _ = std::fs::remove_dir_all(&dest);
    let stop = Arc::new(AtomicBool::new(false));
    let scanner = scan_cmdlines("S3cr#t", stop.clone());
    let tasks = format!(
        "    - mysql_exec:\n{LOGIN}        via: ssh\n        query: SELECT a FROM ex4.t\n      register: q\n    - mysql_dump:\n{LOGIN}        name: ex4\n        dest: {dest}\n      register: dump\n    - debug: msg=\"a={{{{ q.rows[0].a }}}} dumped={{{{ dump.size > 0 }}}}\"\n"
    );
    let r = run_on(&lab, &tasks, &[]);
    stop.store(true, Ordering::Relaxed);
    let (_, hits) = scanner.join().expect("scanner");
    let leftovers: Vec<_> = std::fs::read_dir("/tmp")
        .expect("tmp")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hotplay-my."))
        .map(|e| e.path())
        .collect();
    let _ = std::fs::remove_dir_all(&dest);
    r.assert_code(0);
    r.out_has("a=7 dumped=True");
    assert!(hits.is_empty(), "password on command lines: {hits:?}");
    assert!(leftovers.is_empty(), "option files left: {leftovers:?}");
}

/// hotdb_admin speaks to any MySQL-protocol port; its HotDB commands are proven in the lab.
/// Here: rows, expect conditions, the server's error code, retries, check mode.
#[test]
fn hotdb_admin_rows_expectations_and_errors() {
    let lab = Lab::new();
    let tasks = format!(
        "    - hotdb_admin:\n        command: show databases\n{LOGIN}        expect: {{rows_min: 2, any_row: {{Database: mysql}}}}\n      register: dbs\n    - hotdb_admin:\n        command: show databases\n{LOGIN}        expect: {{rows: 999}}\n        timeout: 2\n        sleep: 1\n      register: never\n      ignore_errors: true\n    - hotdb_admin:\n        command: show @@cluster\n{LOGIN}      register: bad\n      ignore_errors: true\n    - hotdb_admin:\n        command: \"do sleep(0)\"\n{LOGIN}      register: would\n      check_mode: true\n    - assert:\n        that:\n          - dbs.rows | length >= 2 and not dbs.changed\n          - never is failed and never.attempts >= 2 and 'expected 999' in never.msg\n          - bad is failed and bad.error_code == 1064\n          - would is changed and would.rows is not defined\n",
    );
    let r = run(&lab, &tasks, &[]);
    r.assert_code(0);
    r.assert_recap("h1", "failed=0");
}

/// The site-playbook example of docs/site-playbooks.md, on the test's MariaDB: migrations
/// applied; then a failing one, after which the database equals its dump.
#[test]
fn example_mysql_migrations_apply_and_restore() {
    let lab = Lab::new();
    let m = maria();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mysql_migrations");
    for f in [
        "site.yml",
        "migrate_one.yml",
        "files/001_orders.sql",
        "files/002_order_notes.sql",
    ] {
        lab.write(
            &format!("ex/{f}"),
            &std::fs::read_to_string(example.join(f)).unwrap(),
        );
    }
    lab.write(
        "ex/files/003_broken.sql",
        "ALTER TABLE orders ADD COLUMN n2 INT;\nINSERT INTO no_such_table VALUES (1);\n",
    );
    lab.write("hosts.ini", "[db_primary]\nh1 ansible_connection=local\n");
    std::fs::create_dir_all(lab.path("tmp")).unwrap();
    let vars = serde_json::json!({
        "db_login_port": m.port,
        "db_user": "hp",
        "db_password": PASSWORD,
        "dump_dir": lab.path("dumps").display().to_string(),
    })
    .to_string();
    // The password goes in a file (-e @file), never on hotplay's own command line.
    lab.write("secrets.json", &vars);
    let go = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hotplay"))
            .args([
                "run",
                "ex/site.yml",
                "-i",
                "hosts.ini",
                "-e",
                "@secrets.json",
            ])
            .args(extra)
            .current_dir(lab.dir.path())
            .env("NO_COLOR", "1")
            .env("TMPDIR", lab.path("tmp"))
            .env("HOTPLAY_JOURNAL_DIR", lab.path(".journal"))
            .output()
            .unwrap();
        let t = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!t.contains(PASSWORD), "the password was shown: {t}");
        (out.status.code().unwrap_or(-1), t)
    };
    sql("DROP DATABASE IF EXISTS shop; CREATE DATABASE shop");
    let (code, out) = go(&[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(sql("SELECT COUNT(*) FROM shop.orders"), "1");
    assert_eq!(
        sql(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shop' AND table_name='orders' AND column_name='note'"
        ),
        "1"
    );
    // A failing migration: the database is as it was before the run.
    sql(
        "DROP DATABASE shop; CREATE DATABASE shop; CREATE TABLE shop.customers (id INT PRIMARY KEY)",
    );
    let (code, out) = go(&[
        "-e",
        r#"{"migrations": ["001_orders.sql", "003_broken.sql"]}"#,
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("Migration 003_broken.sql failed") && out.contains("is restored from"),
        "{out}"
    );
    assert_eq!(
        sql(
            "SELECT GROUP_CONCAT(table_name) FROM information_schema.tables WHERE table_schema='shop'"
        ),
        "customers"
    );
    // A migration that would break the running application is refused before any change.
    lab.write(
        "ex/files/004_drop.sql",
        "ALTER TABLE customers DROP COLUMN id;\n",
    );
    let (code, out) = go(&["-e", r#"{"migrations": ["004_drop.sql"]}"#]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("would break the running application") && out.contains("drops a column"),
        "{out}"
    );
    assert_eq!(
        sql(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shop' AND table_name='customers'"
        ),
        "1"
    );
    let _ = m;
}
