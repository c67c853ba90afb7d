//! POSIX shell syntax: the one quoting function for command lines (every value
//! that reaches a shell string goes through `quote`), and splitting into words.

/// Quotes a string for a POSIX shell exactly as Python's `shlex.quote` does.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Quotes raw bytes (file names need not be UTF-8) for a POSIX shell: printable
/// ASCII inside single quotes, anything else as `$'\ooo'`-free octal via printf.
pub fn quote_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => quote(s),
        Err(_) => {
            let mut octal = String::new();
            for byte in b {
                octal.push_str(&format!("\\{byte:03o}"));
            }
            format!("\"$(printf '{octal}')\"")
        }
    }
}

/// A command line from words, each quoted.
pub fn join(words: &[&str]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// Splits a command line into words as Python's shlex.split does (enough for commands).
pub fn shell_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated single quote in command".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("unterminated double quote in command".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unterminated double quote in command".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Splits on blanks outside quotes and Jinja blocks (`{{ }}`, `{% %}`, `{# #}`),
/// keeping the quotes (Ansible's split_args, used for `k=v` arguments, `-e` and INI
/// host lines).
pub fn split_quoted(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    let mut in_word = false;
    let mut jinja = 0usize;
    while let Some(c) = chars.next() {
        if quote.is_none() {
            let next = chars.peek().copied();
            if c == '{' && matches!(next, Some('{' | '%' | '#')) {
                jinja += 1;
            } else if matches!(c, '}' | '%' | '#') && next == Some('}') && jinja > 0 {
                jinja -= 1;
                cur.push(c);
                cur.extend(chars.next());
                in_word = true;
                continue;
            }
        }
        if jinja > 0 && quote.is_none() {
            // Inside a Jinja block blanks and quotes belong to the expression.
            cur.push(c);
            in_word = true;
            continue;
        }
        match quote {
            Some(q) => {
                cur.push(c);
                if c == '\\' && q == '"' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
                in_word = true;
            }
            None if c == ' ' || c == '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

pub fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn echo_through_shell(script: &str) -> Vec<u8> {
        Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .expect("sh runs")
            .stdout
    }

    #[test]
    fn split_quoted_keeps_jinja_blocks_whole() {
        assert_eq!(
            split_quoted(r#"msg={{ a | join(" ") }} x="y z" {% if b %}c d{% endif %}"#),
            // As ansible-core's split_args: a block statement closes at its own `%}`.
            [
                r#"msg={{ a | join(" ") }}"#,
                r#"x="y z""#,
                "{% if b %}c",
                "d{% endif %}"
            ]
        );
        assert_eq!(split_quoted("a  b\tc"), ["a", "b", "c"]);
    }

    #[test]
    fn quotes_like_shlex() {
        assert_eq!(quote("abc"), "abc");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\"'\"'s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn survives_the_shell() {
        for s in [
            "a b",
            "it's",
            "new\nline",
            "$(rm -rf /)",
            "`x`",
            "\"q\"",
            "tab\there",
            "*",
            "ü",
        ] {
            let out = echo_through_shell(&format!("printf %s {}", quote(s)));
            assert_eq!(out, s.as_bytes(), "{s:?}");
        }
    }

    #[test]
    fn splits_words_like_shlex() {
        assert_eq!(
            shell_words("echo 'a b' \"c \\\"d\\\"\" e\\ f").unwrap(),
            vec!["echo", "a b", "c \"d\"", "e f"]
        );
        assert!(shell_words("echo 'open").is_err());
    }

    #[test]
    fn non_utf8_bytes_survive() {
        let name = b"caf\xe9 'x'";
        let out = echo_through_shell(&format!("printf %s {}", quote_bytes(name)));
        assert_eq!(out, name);
    }
}
