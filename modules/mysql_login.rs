//! What the MySQL-family modules share: the login arguments, `[client]` sections of
//! option files (read from the task host), the 0600 option file the command-line
//! clients get instead of a password on their command line, and scrubbing the
//! password out of anything a module returns.

use crate::execute::connection::quote::quote;
use crate::execute::module::{ArgSpec, ArgType, Args, Handle, Outcome};
use serde_json::Value;

pub const LOGIN_HOST: ArgSpec = ArgSpec::new(
    "login_host",
    ArgType::Str,
    "The server's address (default: localhost, or the login_defaults_file's host).",
);
pub const LOGIN_PORT: ArgSpec = ArgSpec::new(
    "login_port",
    ArgType::Int,
    "The server's TCP port (default: 3306, or the login_defaults_file's port).",
);
pub const LOGIN_USER: ArgSpec = ArgSpec::new(
    "login_user",
    ArgType::Str,
    "The user to log in as (required unless the login_defaults_file names one).",
);
pub const LOGIN_PASSWORD: ArgSpec = ArgSpec::new(
    "login_password",
    ArgType::Str,
    "The password. Never shown, never on a command line.",
)
.secret();
pub const LOGIN_UNIX_SOCKET: ArgSpec = ArgSpec::new(
    "login_unix_socket",
    ArgType::Path,
    "A Unix socket to connect through instead of TCP.",
);
pub const LOGIN_DEFAULTS_FILE: ArgSpec = ArgSpec::new(
    "login_defaults_file",
    ArgType::Path,
    "An option file ON THE TASK HOST (e.g. /root/.my.cnf) whose [client] section gives user, password, host, port, socket; explicit login_* arguments win.",
);

/// Where and as whom to log in. Debug never prints the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Login {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub socket: Option<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{}:{} (socket {:?})",
            self.user, self.host, self.port, self.socket
        )
    }
}

/// The options of one section of a MySQL option file, as the server's own parser
/// reads them: `-` and `_` alike in names, quotes stripped, `\` escapes, `#` comments.
pub fn parse_option_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(';')
            || line.starts_with('!')
        {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim().eq_ignore_ascii_case(section);
            continue;
        }
        if !inside {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), option_value(v.trim())),
            None => (line, String::new()),
        };
        out.push((key.replace('-', "_").to_ascii_lowercase(), value));
    }
    out
}

fn option_value(v: &str) -> String {
    let quoted =
        v.len() >= 2 && (v.starts_with('"') || v.starts_with('\'')) && v.ends_with(&v[..1]);
    let body = if quoted {
        &v[1..v.len() - 1]
    } else {
        // An unquoted value ends at a comment.
        v.split('#').next().unwrap_or_default().trim_end()
    };
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some(e @ ('"' | '\'' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A value as an option file holds it: double-quoted, with `\` escapes.
fn option_quote(v: &str) -> String {
    let mut out = String::from("\"");
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Login {
    /// The `[client]` option file the command-line clients read with --defaults-extra-file.
    pub fn option_file(&self) -> String {
        let mut s = format!(
            "[client]\nuser={}\nhost={}\nport={}\n",
            option_quote(&self.user),
            option_quote(&self.host),
            self.port
        );
        if let Some(p) = &self.password {
            s.push_str(&format!("password={}\n", option_quote(p)));
        }
        if let Some(sock) = &self.socket {
            s.push_str(&format!("socket={}\n", option_quote(sock)));
        }
        s
    }

    /// Replaces the password (of 4 characters or more) wherever it appears in what the
    /// module returns.
    pub fn scrub(&self, mut o: Outcome) -> Outcome {
        // Shorter ones would mangle ordinary words; they appear nowhere to begin with.
        let Some(p) = self.password.as_deref().filter(|p| p.len() >= 4) else {
            return o;
        };
        let fix = |s: &str| s.replace(p, "********");
        o.msg = o.msg.as_deref().map(fix);
        o.warnings = o.warnings.iter().map(|w| fix(w)).collect();
        for v in o.data.values_mut() {
            scrub_value(v, p);
        }
        o
    }
}

fn scrub_value(v: &mut Value, p: &str) {
    match v {
        Value::String(s) if s.contains(p) => *s = s.replace(p, "********"),
        Value::Array(a) => a.iter_mut().for_each(|x| scrub_value(x, p)),
        Value::Object(m) => m.values_mut().for_each(|x| scrub_value(x, p)),
        _ => {}
    }
}

/// The login from the arguments, completed by the login_defaults_file's `[client]`
/// section (read from the task host) and then by the defaults.
pub async fn resolve(h: &Handle<'_>, args: &Args) -> Result<Login, String> {
    let mut file: Vec<(String, String)> = Vec::new();
    if let Some(path) = args.str("login_defaults_file") {
        let target = match path.strip_prefix("~/") {
            Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
            None => quote(path),
        };
        let out = h
            .run(format!("cat -- {target}"))
            .await
            .map_err(|e| e.to_string())?;
        if out.rc != 0 {
            return Err(format!(
                "cannot read login_defaults_file {path}: {}",
                out.stderr_text().trim()
            ));
        }
        file = parse_option_section(&out.stdout_text(), "client");
    }
    let from_file = |key: &str| {
        file.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let port = match args.int("login_port") {
        Some(p) => p,
        None => match from_file("port") {
            Some(p) => p
                .parse()
                .map_err(|_| format!("login_defaults_file: port is not a number: {p}"))?,
            None => 3306,
        },
    };
    let port = u16::try_from(port).map_err(|_| format!("login_port out of range: {port}"))?;
    let user = args
        .string("login_user")
        .or_else(|| from_file("user"))
        .ok_or("login_user is required (or a login_defaults_file with user=)")?;
    Ok(Login {
        host: args
            .string("login_host")
            .or_else(|| from_file("host"))
            .unwrap_or_else(|| "localhost".into()),
        port,
        user,
        password: args
            .string("login_password")
            .or_else(|| from_file("password")),
        socket: args
            .string("login_unix_socket")
            .or_else(|| from_file("socket")),
    })
}

/// Shell lines that put the option file (sent on stdin) in a 0600 temporary file `$opt`,
/// removed when the script ends, whatever way it ends (`$on_exit` runs then too).
pub const OPTION_FILE_SCRIPT: &str = "umask 077\n\
on_exit=\n\
opt=$(mktemp \"${TMPDIR:-/tmp}/.hotplay-my.XXXXXX\") || exit 1\n\
trap 'rm -f \"$opt\"; eval \"$on_exit\"' EXIT\n\
trap 'exit 129' HUP\ntrap 'exit 130' INT\ntrap 'exit 143' TERM\n\
cat > \"$opt\"\n\
umask 022\n";

/// The first client program of `names` found on the host, or a shell error naming the package.
pub fn find_client_script(var: &str, names: &[&str], package_hint: &str) -> String {
    let mut s = format!("{var}=\n");
    for n in names {
        s.push_str(&format!(
            "[ -z \"${var}\" ] && command -v {n} >/dev/null 2>&1 && {var}=$(command -v {n})\n"
        ));
    }
    s.push_str(&format!(
        "if [ -z \"${var}\" ]; then echo \"{} not found on this host: install it (apt-get install -y {package_hint})\" >&2; exit 127; fi\n",
        names.join(" or ")
    ));
    s
}

/// A string literal for SQL text (`'it\\'s'`).
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A quoted identifier for SQL text (`` `my``db` ``).
pub fn sql_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The value of `key=value` lines a host script printed.
pub fn field<'a>(out: &'a str, key: &str) -> Option<&'a str> {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// The lines between `BEGIN <name>` and `END <name>` a host script printed.
pub fn section<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    let begin = format!("BEGIN {name}");
    let end = format!("END {name}");
    out.lines()
        .skip_while(|l| *l != begin)
        .skip(1)
        .take_while(|l| *l != end)
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_files_round_trip() {
        let login = Login {
            host: "db1".into(),
            port: 3307,
            user: "hotdb".into(),
            password: Some("p#w \"q\" \\x'".into()),
            socket: None,
        };
        let text = login.option_file();
        let opts = parse_option_section(&text, "client");
        let get = |k: &str| opts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("password"), Some("p#w \"q\" \\x'"));
        assert_eq!(get("host"), Some("db1"));
        assert_eq!(get("port"), Some("3307"));
        assert!(!format!("{login:?}").contains("p#w"));
    }

    #[test]
    fn client_section_only() {
        let text = "[mysqld]\nport=1\n[client]\nuser = root # me\npassword='a b'\nsocket=/run/m.sock\nno-beep\n[mysql]\nuser=other\n";
        let opts = parse_option_section(text, "client");
        assert_eq!(
            opts,
            vec![
                ("user".to_string(), "root".to_string()),
                ("password".into(), "a b".into()),
                ("socket".into(), "/run/m.sock".into()),
                ("no_beep".into(), "".into()),
            ]
        );
    }

    #[test]
    fn scrub_hides_the_password() {
        let login = Login {
            password: Some("hunter22".into()),
            ..Default::default()
        };
        let o =
            Outcome::failed("bad hunter22").with("rows", serde_json::json!([{"a": "x hunter22"}]));
        let o = login.scrub(o);
        assert_eq!(o.msg.as_deref(), Some("bad ********"));
        assert_eq!(o.data["rows"][0]["a"], "x ********");
    }
}
