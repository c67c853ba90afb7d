//! ansible-core's `_escape_backslashes`: inside `{{ }}`, the backslashes of string
//! literals are doubled before Jinja reads them, so `'\1'` in a playbook reaches a
//! filter as backslash-one (YAML and Jinja would otherwise both unescape it).
//! Not applied to `{% %}` blocks, conditionals or template files, as in Ansible.

use std::borrow::Cow;

/// A whole template text: string literals inside `{{ }}` get doubled backslashes.
pub fn template(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') || !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start + 2]);
        rest = &rest[start + 2..];
        let (inner, used) = expression_until_close(rest);
        out.push_str(&inner);
        rest = &rest[used..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// One expression (the inside of `{{ }}`).
pub fn expression(expr: &str) -> Cow<'_, str> {
    if !expr.contains('\\') {
        return Cow::Borrowed(expr);
    }
    Cow::Owned(expression_until_close(expr).0)
}

/// Copies an expression up to (not including) its closing `}}`, doubling backslashes
/// in string literals; returns the copy and the bytes consumed.
fn expression_until_close(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '}' if matches!(chars.peek(), Some((_, '}'))) => return (out, i),
            '\'' | '"' => {
                out.push(c);
                while let Some((_, d)) = chars.next() {
                    if d == '\\' {
                        out.push_str("\\\\");
                        if let Some((_, e)) = chars.next() {
                            if e == '\\' {
                                out.push_str("\\\\");
                            } else {
                                out.push(e);
                            }
                        }
                        continue;
                    }
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    (out, s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_backslashes_in_string_literals_inside_variables_only() {
        assert_eq!(
            template(r"a\1 {{ x | regex_replace('(b)', '\1') }} {% if '\n' %}"),
            r"a\1 {{ x | regex_replace('(b)', '\\1') }} {% if '\n' %}"
        );
        // Every backslash doubled, as ansible-core's str.replace does (even before a quote).
        assert_eq!(expression(r#" "q\"x" ~ '\\' "#), r#" "q\\"x" ~ '\\\\' "#);
        assert_eq!(template("no backslash {{ x }}"), "no backslash {{ x }}");
    }
}
