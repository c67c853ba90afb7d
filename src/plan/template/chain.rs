//! Ansible's undefined is chainable where minijinja's strict one is not:
//! `foo.bar is defined`, `foo.bar | default(x)` and `foo.bar | mandatory` work in
//! Ansible when `foo` itself is undefined, while minijinja's `Strict` mode fails on
//! the attribute access first. Before compiling, such chains (and only those) are
//! rewritten as `__ansible_chain(foo, 'bar')`, which yields undefined instead of
//! failing; `mandatory` also learns the variable's name for its message.

use minijinja::value::{Rest, Value};
use std::borrow::Cow;

/// The function the rewritten chains call.
pub const CHAIN_FN: &str = "__ansible_chain";

/// The keyword argument that tells `mandatory` which variable it guards.
pub const NAME_KWARG: &str = "__ansible_name";

/// `a.b[c]` evaluated leniently: undefined as soon as a link is missing.
pub fn chain(head: Value, keys: Rest<Value>) -> Value {
    let mut cur = head;
    for key in keys.iter() {
        if cur.is_undefined() {
            return Value::UNDEFINED;
        }
        cur = cur.get_item(key).unwrap_or(Value::UNDEFINED);
    }
    cur
}

/// A template's source with the chains rewritten (borrowed when nothing changes).
pub fn template(src: &str) -> Cow<'_, str> {
    if !src.contains("is") && !src.contains('|') && !src.contains("now(") {
        return Cow::Borrowed(src);
    }
    let mut edits = Vec::new();
    for range in code_ranges(src) {
        edits.extend(expression_edits(src, range.start, range.end));
    }
    apply(src, edits)
}

/// An expression's source with the chains rewritten.
pub fn expression(src: &str) -> Cow<'_, str> {
    apply(src, expression_edits(src, 0, src.len()))
}

/// One replacement of `start..end` of the source.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn apply(src: &str, mut edits: Vec<Edit>) -> Cow<'_, str> {
    if edits.is_empty() {
        return Cow::Borrowed(src);
    }
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(src.len() + 32 * edits.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&src[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&src[at..]);
    Cow::Owned(out)
}

/// The byte ranges of Jinja code (`{{ ... }}`, `{% ... %}`) in a template, skipping
/// comments and `{% raw %}` blocks.
fn code_ranges(src: &str) -> Vec<std::ops::Range<usize>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'#' => {
                i = src[i + 2..]
                    .find("#}")
                    .map(|p| i + 2 + p + 2)
                    .unwrap_or(b.len());
            }
            b'{' | b'%' => {
                let start = i + 2;
                let end = code_end(src, start, if b[i + 1] == b'{' { "}}" } else { "%}" });
                if b[i + 1] == b'%' && is_raw(&src[start..end]) {
                    i = raw_end(src, end);
                    continue;
                }
                out.push(start..end);
                i = end + 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// Where the code block that began at `start` ends: the first `close` outside
/// strings and brackets.
fn code_end(src: &str, start: usize, close: &str) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => i = string_end(b, i, q),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            _ if b[i..].starts_with(close.as_bytes()) => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just past the string literal opened by `quote` at `i`.
fn string_end(b: &[u8], i: usize, quote: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

fn is_raw(block: &str) -> bool {
    block.trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace()) == "raw"
}

/// Just past the `{% endraw %}` that closes a raw block whose opening tag ends at `from`.
fn raw_end(src: &str, from: usize) -> usize {
    let mut i = from;
    while let Some(p) = src[i..].find("{%") {
        let start = i + p + 2;
        let end = src[start..]
            .find("%}")
            .map(|q| start + q)
            .unwrap_or(src.len());
        if src[start..end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace())
            == "endraw"
        {
            return end + 2;
        }
        i = start;
    }
    src.len()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Ident,
    Str,
    Num,
    Punct(u8),
}

fn tokens(src: &str, start: usize, end: usize) -> Vec<(Tok, usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = start;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < end {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let j = string_end(b, i, c).min(end);
            out.push((Tok::Str, i, j));
            i = j;
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < end && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            out.push((Tok::Num, i, j));
            i = j;
        } else if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 {
            let j = src[i..end]
                .char_indices()
                .find(|&(_, ch)| !ident(ch))
                .map(|(p, _)| i + p)
                .unwrap_or(end);
            if j == i {
                // A non-identifier character outside ASCII: skip it whole.
                i += src[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                continue;
            }
            out.push((Tok::Ident, i, j));
            i = j;
        } else {
            out.push((Tok::Punct(c), i, i + 1));
            i += 1;
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None",
];

/// The edits for one code range: chains before `is [not] defined|undefined`,
/// `| default`, `| d` and `| mandatory`.
fn expression_edits(src: &str, start: usize, end: usize) -> Vec<Edit> {
    let toks = tokens(src, start, end);
    let text = |k: usize| &src[toks[k].1..toks[k].2];
    let is_ident = |k: usize, words: &[&str]| {
        toks.get(k)
            .is_some_and(|t| t.0 == Tok::Ident && words.contains(&&src[t.1..t.2]))
    };
    let is_punct = |k: usize, c: u8| toks.get(k).is_some_and(|t| t.0 == Tok::Punct(c));
    let mut edits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // A head is a name that is not an attribute (`x.name`) or a test (`is name`).
        let after_dot_or_is = i > 0 && (is_punct(i - 1, b'.') || is_ident(i - 1, &["is"]));
        let head_ok = toks[i].0 == Tok::Ident && !KEYWORDS.contains(&text(i)) && !after_dot_or_is;
        if !head_ok {
            i += 1;
            continue;
        }
        let Some((keys, after)) = accessors(src, &toks, i + 1) else {
            i += 1;
            continue;
        };
        if is_punct(after, b'(') {
            i = after;
            continue;
        }
        let test = is_ident(after, &["is"])
            && (is_ident(after + 1, &["defined", "undefined"])
                || (is_ident(after + 1, &["not"])
                    && is_ident(after + 2, &["defined", "undefined"])));
        let filter = is_punct(after, b'|');
        let default = filter && is_ident(after + 1, &["default", "d"]);
        let mandatory = filter && is_ident(after + 1, &["mandatory"]);
        let (first, last) = (toks[i].1, toks[after - 1].2);
        if !keys.is_empty() && (test || default || mandatory) {
            let mut call = format!("{CHAIN_FN}({}", text(i));
            for k in &keys {
                call.push_str(", ");
                call.push_str(k);
            }
            call.push(')');
            edits.push(Edit {
                start: first,
                end: last,
                text: call,
            });
        }
        if mandatory && !is_punct(after + 2, b'(') {
            let name = src[first..last].replace('\\', "\\\\").replace('\'', "\\'");
            let at = toks[after + 1].2;
            edits.push(Edit {
                start: at,
                end: at,
                text: format!("({NAME_KWARG}='{name}')"),
            });
        }
        i = after.max(i + 1);
    }
    edits.extend(datetime_edits(src, &toks));
    edits
}

/// `(…to_datetime…) - (…)` and `now() - …` become `__datetime_sub(…, …)`: minijinja
/// cannot subtract objects. Only insertions and the `-` itself are edited, so these
/// never overlap the chain edits.
fn datetime_edits(src: &str, toks: &[(Tok, usize, usize)]) -> Vec<Edit> {
    let punct = |k: usize, c: u8| toks.get(k).is_some_and(|t| t.0 == Tok::Punct(c));
    let ident = |k: usize| toks.get(k).is_some_and(|t| t.0 == Tok::Ident);
    let mut edits = Vec::new();
    for k in 1..toks.len() {
        if !punct(k, b'-') || !punct(k - 1, b')') {
            continue;
        }
        // The left operand: a parenthesised group, or a call `name(...)`.
        let Some(mut open) = matching(toks, k - 1, false) else {
            continue;
        };
        if open > 0 && ident(open - 1) {
            open -= 1;
        }
        // The right one: the same shapes.
        let right_open = if ident(k + 1) && punct(k + 2, b'(') {
            k + 2
        } else if punct(k + 1, b'(') {
            k + 1
        } else {
            continue;
        };
        let Some(close) = matching(toks, right_open, true) else {
            continue;
        };
        let dated = toks[open..=close]
            .iter()
            .any(|t| t.0 == Tok::Ident && matches!(&src[t.1..t.2], "to_datetime" | "now"));
        if !dated {
            continue;
        }
        let at = |text: &str, start: usize, end: usize| Edit {
            start,
            end,
            text: text.to_string(),
        };
        edits.push(at(
            &format!("{}(", super::datetime::SUB_FN),
            toks[open].1,
            toks[open].1,
        ));
        edits.push(at(",", toks[k].1, toks[k].2));
        edits.push(at(")", toks[close].2, toks[close].2));
    }
    edits
}

/// The index of the parenthesis matching the one at `k` (searching forward or back).
fn matching(toks: &[(Tok, usize, usize)], k: usize, forward: bool) -> Option<usize> {
    let (this, that) = if forward { (b'(', b')') } else { (b')', b'(') };
    let mut depth = 0usize;
    let mut i = k;
    loop {
        match toks.get(i)?.0 {
            Tok::Punct(c) if c == this => depth += 1,
            Tok::Punct(c) if c == that => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        if forward {
            i += 1;
        } else {
            i = i.checked_sub(1)?;
        }
    }
}

/// The accessors after a head token at `k`: `.name`, `.0` and `[expr]`, as the
/// arguments of the chain function, and the index of the token after them.
/// None when one of them cannot be passed as a value (a slice).
fn accessors(
    src: &str,
    toks: &[(Tok, usize, usize)],
    mut k: usize,
) -> Option<(Vec<String>, usize)> {
    let mut keys = Vec::new();
    loop {
        match toks.get(k).map(|t| t.0) {
            Some(Tok::Punct(b'.')) => match toks.get(k + 1) {
                Some(&(Tok::Ident, s, e)) => {
                    keys.push(format!("'{}'", &src[s..e]));
                    k += 2;
                }
                Some(&(Tok::Num, s, e)) if src[s..e].bytes().all(|c| c.is_ascii_digit()) => {
                    keys.push(src[s..e].to_string());
                    k += 2;
                }
                _ => return None,
            },
            Some(Tok::Punct(b'[')) => {
                let mut depth = 0usize;
                let mut j = k;
                loop {
                    match toks.get(j)?.0 {
                        Tok::Punct(b'[' | b'(' | b'{') => depth += 1,
                        Tok::Punct(b']' | b')' | b'}') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Tok::Punct(b':') if depth == 1 => return None,
                        _ => {}
                    }
                    j += 1;
                }
                if j == k + 1 {
                    return None;
                }
                keys.push(src[toks[k + 1].1..toks[j - 1].2].to_string());
                k = j + 1;
            }
            _ => return Some((keys, k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_guarded_chains() {
        assert_eq!(
            expression("foo.bar is defined"),
            "__ansible_chain(foo, 'bar') is defined"
        );
        assert_eq!(
            expression("not foo['a'].b is not undefined and x.y"),
            "not __ansible_chain(foo, 'a', 'b') is not undefined and x.y"
        );
        assert_eq!(
            expression("hostvars[item].port | default(3306)"),
            "__ansible_chain(hostvars, item, 'port') | default(3306)"
        );
        assert_eq!(
            expression("foo | mandatory"),
            "foo | mandatory(__ansible_name='foo')"
        );
        assert_eq!(
            expression("a.b | mandatory('msg')"),
            "__ansible_chain(a, 'b') | mandatory('msg')"
        );
        // Untouched: method calls, slices, plain names, strings.
        assert_eq!(
            expression("x.get('a') | default(1)"),
            "x.get('a') | default(1)"
        );
        assert_eq!(expression("l[1:] | default([])"), "l[1:] | default([])");
        assert_eq!(expression("foo is defined"), "foo is defined");
        assert_eq!(expression("'a.b is defined'"), "'a.b is defined'");
        assert_eq!(expression("x is y.z"), "x is y.z");
    }

    #[test]
    fn templates_rewrite_code_only() {
        let src = "a.b is defined {{ a.b is defined }} {# a.b | d #}{% raw %}{{ a.b | d }}{% endraw %}{% if a.b | d(1) %}{% endif %}";
        assert_eq!(
            template(src),
            "a.b is defined {{ __ansible_chain(a, 'b') is defined }} {# a.b | d #}{% raw %}{{ a.b | d }}{% endraw %}{% if __ansible_chain(a, 'b') | d(1) %}{% endif %}"
        );
        assert_eq!(
            template("{{ {'a': {'b': 1}}.a.b is defined }}"),
            "{{ {'a': {'b': 1}}.a.b is defined }}"
        );
    }
}
