//! The SQL script splitter shared by mysql_exec and sql_guard: cuts a script into
//! statements as the `mysql` client does (comments, quotes with escapes, `DELIMITER`
//! commands), and also keeps `CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT ... BEGIN ... END`
//! bodies whole when a script forgot its `DELIMITER` lines. Each statement keeps the
//! line it starts on, so an error can point at it.

/// One statement of a script, without its delimiter and without plain comments
/// (executable comments `/*! ... */` and optimizer hints `/*+ ... */` are kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    /// The 1-based line of the statement's first character.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError {
    pub line: usize,
    pub msg: String,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// A block opened in a stored program's body: BEGIN ... END or CASE ... END [CASE].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Block {
    Begin,
    Case,
}

/// Whether the first words start a stored program whose body may hold `;`.
fn starts_compound(head: &[String]) -> bool {
    match head.first().map(String::as_str) {
        Some("CREATE") => head
            .iter()
            .skip(1)
            .take_while(|w| w.as_str() != "BEGIN")
            .any(|w| matches!(w.as_str(), "PROCEDURE" | "FUNCTION" | "TRIGGER" | "EVENT")),
        // MariaDB's anonymous block.
        Some("BEGIN") => head.get(1).map(String::as_str) == Some("NOT"),
        _ => false,
    }
}

struct Splitter<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    delim: String,
    out: Vec<Statement>,
    cur: String,
    start: Option<usize>,
    head: Vec<String>,
    blocks: Vec<Block>,
    pending_end: bool,
}

impl Splitter<'_> {
    fn push(&mut self, from: usize, to: usize) {
        if self.start.is_none() {
            self.start = Some(self.line);
        }
        let s = &self.src[from..to];
        self.line += s.bytes().filter(|&c| c == b'\n').count();
        self.cur.push_str(s);
    }

    fn skip(&mut self, from: usize, to: usize) {
        self.line += self.b[from..to].iter().filter(|&&c| c == b'\n').count();
    }

    fn finish(&mut self) {
        let text = self.cur.trim();
        if !text.is_empty() {
            self.out.push(Statement {
                text: text.to_string(),
                line: self.start.unwrap_or(self.line),
            });
        }
        self.cur.clear();
        self.start = None;
        self.head.clear();
        self.blocks.clear();
        self.pending_end = false;
    }

    fn at_line_start(&self) -> bool {
        self.b[..self.i]
            .iter()
            .rev()
            .take_while(|&&c| c != b'\n')
            .all(|&c| c == b' ' || c == b'\t' || c == b'\r')
    }

    fn end_of_line(&self, from: usize) -> usize {
        self.b[from..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.b.len(), |p| from + p)
    }

    /// A `DELIMITER x` line, recognised only between statements, as the client does.
    fn delimiter_command(&mut self) -> Result<bool, SplitError> {
        const KW: &[u8] = b"delimiter";
        let rest = &self.b[self.i..];
        if self.start.is_some()
            || rest.len() <= KW.len()
            || !rest[..KW.len()].eq_ignore_ascii_case(KW)
            || !matches!(rest[KW.len()], b' ' | b'\t')
            || !self.at_line_start()
        {
            return Ok(false);
        }
        let eol = self.end_of_line(self.i);
        let arg = self.src[self.i + KW.len()..eol].trim();
        let word = arg.split_whitespace().next().unwrap_or_default();
        let word = word
            .strip_prefix(['\'', '"', '`'])
            .and_then(|w| w.strip_suffix(['\'', '"', '`']))
            .unwrap_or(word);
        if word.is_empty() {
            return Err(SplitError {
                line: self.line,
                msg: "DELIMITER needs a delimiter after it".into(),
            });
        }
        if word.contains('\\') {
            return Err(SplitError {
                line: self.line,
                msg: format!("DELIMITER cannot contain a backslash: {word}"),
            });
        }
        self.delim = word.to_string();
        self.i = eol;
        Ok(true)
    }

    fn word(&mut self) {
        let from = self.i;
        let mut j = from;
        // `END$$`: a delimiter made of word characters ends the word.
        while j < self.b.len()
            && is_word_byte(self.b[j])
            && (j == from || !self.b[j..].starts_with(self.delim.as_bytes()))
        {
            j += 1;
        }
        let w = self.src[from..j].to_ascii_uppercase();
        self.push(from, j);
        self.i = j;
        if self.head.len() < 12 {
            self.head.push(w.clone());
        }
        if self.delim == ";" && self.head.len() == 2 && self.head[0] == "BEGIN" && w == "NOT" {
            self.blocks.push(Block::Begin);
            return;
        }
        if self.delim != ";" || !starts_compound(&self.head) {
            return;
        }
        if self.pending_end {
            self.pending_end = false;
            match w.as_str() {
                // END IF / END LOOP / ...: closers of blocks that are not tracked.
                "IF" | "LOOP" | "WHILE" | "REPEAT" => return,
                "CASE" => {
                    if self.blocks.last() == Some(&Block::Case) {
                        self.blocks.pop();
                    }
                    return;
                }
                _ => {
                    self.blocks.pop();
                }
            }
        }
        match w.as_str() {
            "BEGIN" => self.blocks.push(Block::Begin),
            "CASE" => self.blocks.push(Block::Case),
            "END" => self.pending_end = true,
            _ => {}
        }
    }

    fn quoted(&mut self, q: u8) -> Result<(), SplitError> {
        let from = self.i;
        let mut j = from + 1;
        loop {
            if j >= self.b.len() {
                return Err(SplitError {
                    line: self.line,
                    msg: format!("this {} quote is never closed", q as char),
                });
            }
            let c = self.b[j];
            if c == q {
                if self.b.get(j + 1) == Some(&q) {
                    j += 2;
                    continue;
                }
                break;
            }
            if c == b'\\' && q != b'`' {
                j += 2;
                continue;
            }
            j += 1;
        }
        self.push(from, j + 1);
        self.i = j + 1;
        Ok(())
    }

    fn block_comment(&mut self) -> Result<(), SplitError> {
        let from = self.i;
        let line = self.line;
        let Some(end) = self.src[from + 2..].find("*/").map(|p| from + 2 + p + 2) else {
            return Err(SplitError {
                line,
                msg: "this /* comment is never closed".into(),
            });
        };
        let body = &self.b[from + 2..];
        let executable =
            body.first() == Some(&b'!') || body.first() == Some(&b'+') || body.starts_with(b"M!");
        if executable {
            self.push(from, end);
        } else {
            self.skip(from, end);
            if self.start.is_some() {
                self.cur.push(' ');
            }
        }
        self.i = end;
        Ok(())
    }

    fn run(mut self) -> Result<Vec<Statement>, SplitError> {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if self.delimiter_command()? {
                continue;
            }
            if self.b[self.i..].starts_with(self.delim.as_bytes()) {
                if self.pending_end {
                    self.pending_end = false;
                    self.blocks.pop();
                }
                if self.blocks.is_empty() {
                    self.i += self.delim.len();
                    self.finish();
                    continue;
                }
            }
            match c {
                b'\'' | b'"' | b'`' => self.quoted(c)?,
                b'#' => {
                    let eol = self.end_of_line(self.i);
                    self.i = eol;
                }
                b'-' if self.b.get(self.i + 1) == Some(&b'-')
                    && self
                        .b
                        .get(self.i + 2)
                        .is_none_or(|&n| n.is_ascii_whitespace() || n.is_ascii_control()) =>
                {
                    let eol = self.end_of_line(self.i);
                    self.i = eol;
                }
                b'/' if self.b.get(self.i + 1) == Some(&b'*') => self.block_comment()?,
                c if c.is_ascii_whitespace() => {
                    if c == b'\n' {
                        self.line += 1;
                    }
                    if self.start.is_some() {
                        self.cur.push(c as char);
                    }
                    self.i += 1;
                }
                c if is_word_byte(c) => self.word(),
                _ => {
                    // One character (whole, for UTF-8 text outside quotes).
                    let len = self.src[self.i..].chars().next().map_or(1, char::len_utf8);
                    if self.pending_end && self.delim == ";" {
                        self.pending_end = false;
                        self.blocks.pop();
                    }
                    self.push(self.i, self.i + len);
                    self.i += len;
                }
            }
        }
        self.finish();
        Ok(self.out)
    }
}

/// Splits a script into statements.
pub fn split(sql: &str) -> Result<Vec<Statement>, SplitError> {
    Splitter {
        src: sql,
        b: sql.as_bytes(),
        i: 0,
        line: 1,
        delim: ";".into(),
        out: Vec::new(),
        cur: String::new(),
        start: None,
        head: Vec::new(),
        blocks: Vec::new(),
        pending_end: false,
    }
    .run()
}

/// The words of a statement, upper-cased, outside quotes; the code inside executable
/// comments (`/*!50003 CREATE*/`) counts, other comments do not.
pub fn words(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != c {
                    j += if b[j] == b'\\' && c != b'`' { 2 } else { 1 };
                }
                i = j + 1;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let body = &text[i + 2..];
                if let Some(code) = body.strip_prefix('!').or_else(|| body.strip_prefix("M!")) {
                    // Skip the version number; the code that follows is read as usual.
                    let digits = code.bytes().take_while(u8::is_ascii_digit).count();
                    i = text.len() - code.len() + digits;
                } else {
                    i = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                }
            }
            b'*' if b.get(i + 1) == Some(&b'/') => i += 2,
            b'@' => {
                // Variables (@x, @@global.x) are single words.
                let mut j = i;
                while j < b.len() && (b[j] == b'@' || b[j] == b'.' || is_word_byte(b[j])) {
                    j += 1;
                }
                out.push(text[i..j].to_ascii_uppercase());
                i = j;
            }
            c if is_word_byte(c) => {
                let mut j = i;
                while j < b.len() && is_word_byte(b[j]) {
                    j += 1;
                }
                out.push(text[i..j].to_ascii_uppercase());
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether a statement can change data, schema or server state. Reads (SELECT, SHOW,
/// DESCRIBE, EXPLAIN), session settings and transaction control cannot; anything not
/// known to be a read counts as a change.
pub fn can_change(text: &str) -> bool {
    let w = words(text);
    let first = w.first().map(String::as_str).unwrap_or_default();
    let second = w.get(1).map(String::as_str).unwrap_or_default();
    match first {
        "" => false,
        "SELECT" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "HELP" | "USE" | "VALUES"
        | "TABLE" | "CHECKSUM" | "CHECK" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" => false,
        "START" => second != "TRANSACTION",
        "BEGIN" => second == "NOT",
        "WITH" => w
            .iter()
            .any(|x| matches!(x.as_str(), "UPDATE" | "DELETE" | "INSERT" | "REPLACE")),
        "SET" => {
            matches!(
                second,
                "GLOBAL" | "PERSIST" | "PERSIST_ONLY" | "PASSWORD" | "DEFAULT" | "ROLE"
            ) || second.starts_with("@@GLOBAL.")
                || second.starts_with("@@PERSIST")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(String, usize)> {
        split(sql)
            .unwrap()
            .into_iter()
            .map(|s| (s.text, s.line))
            .collect()
    }

    #[test]
    fn splits_on_semicolons_and_keeps_lines() {
        let s = texts("SELECT 1;\n\n  SELECT 2; SELECT\n 3\n");
        assert_eq!(
            s,
            vec![
                ("SELECT 1".into(), 1),
                ("SELECT 2".into(), 3),
                ("SELECT\n 3".into(), 3)
            ]
        );
    }

    #[test]
    fn comments_are_dropped_executable_comments_kept() {
        let s = texts(
            "-- a comment; with a semicolon\n# another;\n/* block; */ SELECT 1 /* x; */ + 2;\n/*!40101 SET NAMES utf8 */;\nSELECT 1--2;\n",
        );
        assert_eq!(s[0], ("SELECT 1   + 2".into(), 3));
        assert_eq!(s[1], ("/*!40101 SET NAMES utf8 */".into(), 4));
        // `--` without a space after it is minus minus, as in MySQL.
        assert_eq!(s[2], ("SELECT 1--2".into(), 5));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn quotes_and_escapes_hide_delimiters() {
        let s = texts(
            "INSERT INTO t VALUES ('a;b', \"c\\\";d\", 'it''s;');\nSELECT `we;ird` FROM t;\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].0,
            "INSERT INTO t VALUES ('a;b', \"c\\\";d\", 'it''s;')"
        );
        assert_eq!(s[1], ("SELECT `we;ird` FROM t".into(), 2));
        let e = split("SELECT 1;\nSELECT 'open;\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("never closed"), "{e}");
    }

    #[test]
    fn delimiter_blocks() {
        let sql = "CREATE TABLE t (a INT);\nDELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND$$\nDELIMITER ;\nCALL p();\n";
        let s = texts(sql);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(
            s[1],
            (
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND".into(),
                3
            )
        );
        assert_eq!(s[2], ("CALL p()".into(), 9));
        // mysqldump's trigger style.
        let s = texts(
            "DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END */;;\nDELIMITER ;\nSELECT 1;\n",
        );
        assert_eq!(s.len(), 2);
        assert!(s[0].0.ends_with("END */"), "{s:?}");
    }

    #[test]
    fn begin_end_bodies_without_delimiter() {
        let sql = "CREATE DEFINER=`root`@`%` PROCEDURE p(x INT)\nBEGIN\n  IF x > 0 THEN\n    SELECT CASE WHEN x > 1 THEN 'a' ELSE 'b' END;\n  END IF;\n  lbl: LOOP\n    LEAVE lbl;\n  END LOOP lbl;\n  BEGIN SELECT 1; END;\nEND;\nCREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN INSERT INTO log VALUES (1); END;\nSELECT 9;";
        let s = texts(sql);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[0].0.ends_with("END"), "{s:?}");
        assert_eq!(s[1].1, 11);
        assert_eq!(s[2], ("SELECT 9".into(), 12));
        // BEGIN as a transaction is not a block.
        let s = texts("BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn delimiter_errors() {
        let e = split("DELIMITER \nSELECT 1;").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn what_can_change() {
        for read in [
            "SELECT * FROM t",
            "show @@cluster",
            "SHOW TABLES",
            "describe t",
            "EXPLAIN SELECT 1",
            "SET NAMES utf8",
            "SET @x = 1",
            "SET SESSION sql_mode = ''",
            "/*!40101 SET NAMES utf8 */",
            "START TRANSACTION",
            "COMMIT",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert!(!can_change(read), "{read}");
        }
        for change in [
            "INSERT INTO t VALUES (1)",
            "update t set a=1",
            "ALTER TABLE t ADD c INT",
            "SET GLOBAL max_connections = 10",
            "SET @@global.max_connections = 10",
            "reload @@config",
            "CALL p()",
            "/*!50003 CREATE*/ /*!50003 TRIGGER x */",
            "BEGIN NOT ATOMIC SELECT 1; END",
        ] {
            assert!(can_change(change), "{change}");
        }
    }
}
