//! Splits a script into statements like the `mysql` client: honours `DELIMITER` lines,
//! quotes and comments, drops statements that are only comments.

/// The statements of `script`, in order, without their delimiters.
pub fn split_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut delimiter = ";".to_string();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut block_comment = false;
    for line in script.split_inclusive('\n') {
        if quote.is_none() && !block_comment && current.trim().is_empty() {
            let trimmed = line.trim();
            if trimmed.len() >= 10 && trimmed[..10].eq_ignore_ascii_case("delimiter ") {
                delimiter = trimmed[10..].trim().to_string();
                current.clear();
                continue;
            }
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if block_comment {
                current.push(c);
                if c == '*' && next == Some('/') {
                    current.push('/');
                    i += 1;
                    block_comment = false;
                }
            } else if let Some(q) = quote {
                current.push(c);
                if c == '\\' && q != '`' {
                    if let Some(n) = next {
                        current.push(n);
                        i += 1;
                    }
                } else if c == q {
                    quote = None;
                }
            } else if c == '\'' || c == '"' || c == '`' {
                quote = Some(c);
                current.push(c);
            } else if c == '#'
                || (c == '-'
                    && next == Some('-')
                    && chars.get(i + 2).is_none_or(|w| w.is_whitespace()))
            {
                // A line comment: kept out of the statement.
                break;
            } else if c == '/' && next == Some('*') {
                block_comment = true;
                current.push_str("/*");
                i += 1;
            } else if starts_with_at(&chars, i, &delimiter) {
                push_statement(&mut out, &mut current);
                i += delimiter.chars().count();
                continue;
            } else {
                current.push(c);
            }
            i += 1;
        }
        if !current.is_empty() && !current.ends_with('\n') {
            current.push('\n');
        }
    }
    push_statement(&mut out, &mut current);
    out
}

fn starts_with_at(chars: &[char], i: usize, word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .enumerate()
            .all(|(k, w)| chars.get(i + k) == Some(&w))
}

fn push_statement(out: &mut Vec<String>, current: &mut String) {
    let text = current.trim();
    if !text.is_empty() {
        out.push(text.to_string());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let s = "SET NAMES utf8;\n-- a; comment\nINSERT INTO t VALUES ('a;b', \"c;\\\"d\");\n/* x; */ SELECT 1;";
        assert_eq!(
            split_statements(s),
            [
                "SET NAMES utf8",
                "INSERT INTO t VALUES ('a;b', \"c;\\\"d\")",
                "/* x; */ SELECT 1"
            ]
        );
    }

    #[test]
    fn honours_delimiter_blocks() {
        let s = "CREATE TABLE t (a INT);\nDELIMITER $$\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND$$\nDELIMITER ;\nSELECT 2;\n";
        let got = split_statements(s);
        assert_eq!(got.len(), 3);
        assert!(got[1].starts_with("CREATE TRIGGER") && got[1].ends_with("END"));
        assert!(got[1].contains("SET NEW.a = 1;"));
        assert_eq!(got[2], "SELECT 2");
    }

    #[test]
    fn comment_only_script_has_no_statements() {
        assert!(split_statements("-- nothing\n# here\n").is_empty());
    }
}
