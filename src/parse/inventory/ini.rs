//! Ansible's INI inventory as its `ini` plugin reads it: `[group]`, `[group:vars]`,
//! `[group:children]`, host lines split like Python's `shlex.split(comments=True)`,
//! values read like `ast.literal_eval` (`x=1` is a number, `x="'1'"` a string), and
//! at the end of the file the same check for sections naming undefined groups.

use super::{Builder, VarMap, expand_host_pattern};
use crate::parse::source::{self, Span};
use crate::parse::{Diag, DiagResult};
use indexmap::IndexMap;
use indexmap::map::Entry;
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// A group named by a section before any `[g]` or `[g:children]` defines it.
enum Pending {
    Vars(Span),
    Children(Span, Vec<(String, Span)>),
}

pub(super) fn load(path: &Path, text: &str, b: &mut Builder) -> DiagResult<()> {
    let file = source::add(path, text);
    let mut sections = Sections {
        group: "ungrouped".into(),
        state: State::Hosts,
        pending: IndexMap::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let at = |byte: usize| Span::new(file, line_no, col_of(raw, byte));
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let span = at(raw.len() - raw.trim_start().len());
        if let Some((name, tag)) = section_header(line) {
            sections.enter(name, tag, span, b)?;
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(Diag::new(span, format!("invalid section header `{line}`"))
                .note("a section is [group], [group:vars] or [group:children], without spaces"));
        }
        let group = sections.group.as_str();
        match sections.state {
            State::Hosts => host_line(raw, group, at, b)?,
            State::Vars => {
                let Some((key, value)) = line.split_once('=') else {
                    return Err(Diag::new(
                        span,
                        format!("expected key=value in [{group}:vars], found `{line}`"),
                    ));
                };
                let key = key.trim();
                if key.is_empty() {
                    return Err(Diag::new(
                        span,
                        format!("a variable in [{group}:vars] needs a name before `=`"),
                    ));
                }
                b.group_var(group, key, python_value(value.trim()));
            }
            State::Children => sections.child(line, span, b)?,
        }
    }
    sections.finish(b)
}

/// Where the reader is: the current section, and the groups that sections named
/// before any `[g]` or `[g:children]` defined them (checked at the end, as Ansible does).
struct Sections {
    group: String,
    state: State,
    pending: IndexMap<String, Pending>,
}

impl Sections {
    fn enter(
        &mut self,
        name: &str,
        tag: Option<&str>,
        span: Span,
        b: &mut Builder,
    ) -> DiagResult<()> {
        self.state = match tag {
            None | Some("hosts") => State::Hosts,
            Some("vars") => State::Vars,
            Some("children") => State::Children,
            Some(other) => {
                return Err(Diag::new(
                    span,
                    format!("unknown section suffix `:{other}` in `[{name}:{other}]`"),
                )
                .note("sections are [group], [group:vars] and [group:children]")
                .suggest(other, ["vars", "children", "hosts"]));
            }
        };
        if !b.has_group(name) {
            if self.state == State::Vars && !self.pending.contains_key(name) {
                self.pending.insert(name.to_string(), Pending::Vars(span));
            }
            b.group(name, span);
        }
        // `[g]` or `[g:children]` defines g: links named earlier now take effect.
        if self.state != State::Vars
            && let Some(Pending::Children(_, parents)) = self.pending.shift_remove(name)
        {
            for (parent, reference) in parents {
                b.child(&parent, name, reference)?;
            }
        }
        self.group = name.to_string();
        Ok(())
    }

    /// A line of `[g:children]`.
    fn child(&mut self, line: &str, span: Span, b: &mut Builder) -> DiagResult<()> {
        let group = self.group.clone();
        let Some(child) = group_name(line) else {
            return Err(Diag::new(
                span,
                format!("expected one group name in [{group}:children], found `{line}`"),
            ));
        };
        if b.has_group(child) {
            return b.child(&group, child, span);
        }
        match self.pending.entry(child.to_string()) {
            Entry::Occupied(mut e) => {
                if let Pending::Children(_, parents) = e.get_mut() {
                    parents.push((group, span));
                }
            }
            Entry::Vacant(e) => {
                e.insert(Pending::Children(span, vec![(group, span)]));
            }
        }
        Ok(())
    }

    /// The first group still undefined at the end of the file is an error.
    fn finish(self, b: &Builder) -> DiagResult<()> {
        match self.pending.into_iter().next() {
            None => Ok(()),
            Some((name, Pending::Vars(span))) => Err(Diag::new(
                span,
                format!(
                    "[{name}:vars] sets variables of `{name}`, but no [{name}] or [{name}:children] section defines that group"
                ),
            )),
            Some((name, Pending::Children(span, parents))) => {
                let parent = parents.first().map_or("?", |p| p.0.as_str());
                Err(Diag::new(
                    span,
                    format!(
                        "[{parent}:children] names `{name}`, but no [{name}] or [{name}:children] section defines that group"
                    ),
                )
                .suggest(&name, b.inv.groups.keys().map(String::as_str)))
            }
        }
    }
}

/// 1-based column (in characters) of a byte offset of `raw`.
fn col_of(raw: &str, byte: usize) -> u32 {
    let chars = raw.get(..byte).map_or(0, |s| s.chars().count());
    u32::try_from(chars + 1).unwrap_or(u32::MAX)
}

/// `[name]` or `[name:tag]`, then blanks and an optional `# comment` (Ansible's regex).
fn section_header(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let end = rest.find(|c: char| c == ':' || c == ']' || c.is_whitespace())?;
    let name = &rest[..end];
    if name.is_empty() {
        return None;
    }
    let mut rest = &rest[end..];
    let mut tag = None;
    if let Some(after) = rest.strip_prefix(':') {
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if len == 0 {
            return None;
        }
        tag = Some(&after[..len]);
        rest = &after[len..];
    }
    let rest = rest.strip_prefix(']')?.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some((name, tag))
}

/// A line of `[g:children]`: one group name, then blanks and an optional comment.
fn group_name(line: &str) -> Option<&str> {
    let end = line
        .find(|c: char| c == ':' || c == ']' || c.is_whitespace())
        .unwrap_or(line.len());
    let (name, rest) = line.split_at(end);
    let rest = rest.trim_start();
    (!name.is_empty() && (rest.is_empty() || rest.starts_with('#'))).then_some(name)
}

fn host_line(
    raw: &str,
    group: &str,
    at: impl Fn(usize) -> Span,
    b: &mut Builder,
) -> DiagResult<()> {
    let words = shlex_words(raw)
        .map_err(|(msg, byte)| Diag::new(at(byte), format!("cannot read the host line: {msg}")))?;
    let Some((first, first_at)) = words.first() else {
        return Ok(());
    };
    let (names, port) = expand_host_pattern(first).map_err(|e| Diag::new(at(*first_at), e))?;
    let mut vars = VarMap::new();
    if let Some(p) = port {
        vars.insert("ansible_port".into(), Value::from(p));
    }
    for (word, start) in &words[1..] {
        let Some((key, value)) = word.split_once('=') else {
            return Err(Diag::new(
                at(*start),
                format!("expected a key=value host variable, found `{word}`"),
            )
            .note("a value with spaces needs quotes: key=\"a b\""));
        };
        if key.is_empty() {
            return Err(Diag::new(
                at(*start),
                "a host variable needs a name before `=`",
            ));
        }
        vars.insert(key.to_string(), python_value(value));
    }
    for name in names {
        b.host(&name, group, vars.clone(), at(*first_at));
    }
    Ok(())
}

/// Python's `shlex.split(line, comments=True)`: words and the byte offset each starts at.
fn shlex_words(line: &str) -> Result<Vec<(String, usize)>, (&'static str, usize)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut start: Option<usize> = None;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if let Some(s) = start.take() {
                    words.push((std::mem::take(&mut word), s));
                }
            }
            '#' => break,
            '\'' => {
                start.get_or_insert(i);
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, x)) => word.push(x),
                        None => return Err(("no closing quotation", i)),
                    }
                }
            }
            '"' => {
                start.get_or_insert(i);
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, x @ ('"' | '\\'))) => word.push(x),
                            Some((_, x)) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err(("no closing quotation", i)),
                        },
                        Some((_, x)) => word.push(x),
                        None => return Err(("no closing quotation", i)),
                    }
                }
            }
            '\\' => {
                start.get_or_insert(i);
                match chars.next() {
                    Some((_, x)) => word.push(x),
                    None => return Err(("nothing after `\\`", i)),
                }
            }
            _ => {
                start.get_or_insert(i);
                word.push(c);
            }
        }
    }
    if let Some(s) = start {
        words.push((word, s));
    }
    Ok(words)
}

/// An INI value as Ansible stores it: the Python literal it spells, else the text.
fn python_value(text: &str) -> Value {
    python_literal(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// Python's `ast.literal_eval` for inventory values: numbers, strings, True, False,
/// None, lists, tuples, sets (as lists) and dicts; None when `text` is not one.
fn python_literal(text: &str) -> Option<Value> {
    let mut p = Literal {
        chars: text.chars().collect(),
        at: 0,
        depth: 0,
    };
    p.blank();
    let first = p.value()?;
    p.blank();
    let value = if p.eat(',') {
        // A bare tuple: `1, 2`.
        let mut items = vec![first];
        loop {
            p.blank();
            if p.done() {
                break;
            }
            items.push(p.value()?);
            p.blank();
            if !p.eat(',') {
                break;
            }
        }
        Value::Array(items)
    } else {
        first
    };
    p.blank();
    p.done().then_some(value)
}

struct Literal {
    chars: Vec<char>,
    at: usize,
    depth: usize,
}

impl Literal {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.at + k).copied()
    }

    fn done(&self) -> bool {
        self.at >= self.chars.len()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// Blanks and a `# comment`, which Python's tokenizer skips.
    fn blank(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\x0c' | '\r' | '\n' => self.at += 1,
                '#' => self.at = self.chars.len(),
                _ => break,
            }
        }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| f(*c)) {
            out.push(c);
            self.at += 1;
        }
        out
    }

    fn value(&mut self) -> Option<Value> {
        if self.depth > 64 {
            return None;
        }
        self.depth += 1;
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> Option<Value> {
        let c = self.peek()?;
        match c {
            '[' => {
                self.at += 1;
                self.items(']').map(Value::Array)
            }
            '(' => self.paren(),
            '{' => self.brace(),
            '+' | '-' => {
                self.at += 1;
                self.blank();
                let n = self.number()?;
                if c == '+' { Some(n) } else { negate(n) }
            }
            '0'..='9' => self.number(),
            '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
            _ if self.string_starts() => self.strings(),
            _ => match self
                .take_while(|c| c.is_alphanumeric() || c == '_')
                .as_str()
            {
                "True" => Some(Value::Bool(true)),
                "False" => Some(Value::Bool(false)),
                "None" => Some(Value::Null),
                _ => None,
            },
        }
    }

    /// Values separated by commas up to `close` (a trailing comma allowed).
    fn items(&mut self, close: char) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            self.blank();
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.value()?);
            self.blank();
            if self.eat(close) {
                return Some(out);
            }
            if !self.eat(',') {
                return None;
            }
        }
    }

    /// `()`, `(x)` (just x) or a tuple `(x,)`, `(x, y)`.
    fn paren(&mut self) -> Option<Value> {
        self.at += 1;
        self.blank();
        if self.eat(')') {
            return Some(Value::Array(Vec::new()));
        }
        let first = self.value()?;
        self.blank();
        if self.eat(')') {
            return Some(first);
        }
        if !self.eat(',') {
            return None;
        }
        let mut rest = self.items(')')?;
        rest.insert(0, first);
        Some(Value::Array(rest))
    }

    /// A dict `{k: v}` or a set `{a, b}` (a list, as Ansible coerces it).
    fn brace(&mut self) -> Option<Value> {
        self.at += 1;
        self.blank();
        if self.eat('}') {
            return Some(Value::Object(VarMap::new()));
        }
        let first = self.value()?;
        self.blank();
        if !self.eat(':') {
            if self.eat('}') {
                return Some(Value::Array(vec![first]));
            }
            if !self.eat(',') {
                return None;
            }
            let mut rest = self.items('}')?;
            rest.insert(0, first);
            return Some(Value::Array(rest));
        }
        let mut map = VarMap::new();
        let mut key = first;
        loop {
            self.blank();
            let value = self.value()?;
            map.insert(key_text(&key)?, value);
            self.blank();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            if !self.eat(',') {
                return None;
            }
            self.blank();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            key = self.value()?;
            self.blank();
            if !self.eat(':') {
                return None;
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        if self.peek() == Some('0')
            && let Some(radix) = match self.peek_at(1) {
                Some('x' | 'X') => Some(16),
                Some('o' | 'O') => Some(8),
                Some('b' | 'B') => Some(2),
                _ => None,
            }
        {
            self.at += 2;
            let digits = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
            let digits = digits.strip_prefix('_').unwrap_or(&digits);
            let n = u64::from_str_radix(&underscores(digits)?, radix).ok()?;
            return Some(int_value(n));
        }
        let mut text = underscores(&self.take_while(|c| c.is_ascii_digit() || c == '_'))?;
        let mut float = false;
        if self.eat('.') {
            float = true;
            text.push('.');
            text.push_str(&underscores(
                &self.take_while(|c| c.is_ascii_digit() || c == '_'),
            )?);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            float = true;
            self.at += 1;
            text.push('e');
            if let Some(sign @ ('+' | '-')) = self.peek() {
                text.push(sign);
                self.at += 1;
            }
            let exponent = self.take_while(|c| c.is_ascii_digit() || c == '_');
            if exponent.is_empty() {
                return None;
            }
            text.push_str(&underscores(&exponent)?);
        }
        // Complex numbers and `12abc` are not values Ansible keeps as numbers.
        if self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        if float {
            let f: f64 = text.parse().ok()?;
            return serde_json::Number::from_f64(f)
                .filter(|_| f.is_finite())
                .map(Value::Number);
        }
        // Decimal integers may not have leading zeros: `007` stays a string.
        if text.len() > 1 && text.starts_with('0') && text.chars().any(|c| c != '0') {
            return None;
        }
        Some(int_value(text.parse().ok()?))
    }

    fn string_starts(&self) -> bool {
        let mut k = 0;
        while k < 2
            && self
                .peek_at(k)
                .is_some_and(|c| matches!(c, 'r' | 'R' | 'u' | 'U' | 'b' | 'B'))
        {
            k += 1;
        }
        matches!(self.peek_at(k), Some('\'' | '"'))
    }

    /// One string or several adjacent ones, joined as Python joins them.
    fn strings(&mut self) -> Option<Value> {
        let mut out = String::new();
        loop {
            out.push_str(&self.string()?);
            self.blank();
            if !self.string_starts() {
                return Some(Value::String(out));
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let mut raw = false;
        while let Some(c) = self.peek() {
            match c {
                'r' | 'R' => raw = true,
                'u' | 'U' | 'b' | 'B' => {}
                _ => break,
            }
            self.at += 1;
        }
        let quote = self.peek()?;
        self.at += 1;
        let triple = self.peek() == Some(quote) && self.peek_at(1) == Some(quote);
        if triple {
            self.at += 2;
        }
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.at += 1;
            if c == quote {
                if !triple {
                    return Some(out);
                }
                if self.peek() == Some(quote) && self.peek_at(1) == Some(quote) {
                    self.at += 2;
                    return Some(out);
                }
                out.push(c);
            } else if c == '\n' && !triple {
                return None;
            } else if c == '\\' {
                let next = self.peek()?;
                self.at += 1;
                if raw {
                    out.push('\\');
                    out.push(next);
                } else {
                    self.escape(next, &mut out)?;
                }
            } else {
                out.push(c);
            }
        }
    }

    fn escape(&mut self, c: char, out: &mut String) -> Option<()> {
        let simple = match c {
            '\n' => return Some(()),
            '\\' | '\'' | '"' => c,
            'a' => '\x07',
            'b' => '\x08',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            '0'..='7' => {
                let mut digits = c.to_string();
                while digits.len() < 3 && self.peek().is_some_and(|d| ('0'..='7').contains(&d)) {
                    digits.extend(self.peek());
                    self.at += 1;
                }
                char::from_u32(u32::from_str_radix(&digits, 8).ok()?)?
            }
            'x' | 'u' | 'U' => {
                let len = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = (0..len).filter_map(|k| self.peek_at(k)).collect();
                if digits.chars().count() != len || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                    return None;
                }
                self.at += len;
                char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?
            }
            'N' => return None,
            other => {
                out.push('\\');
                other
            }
        };
        out.push(simple);
        Some(())
    }
}

/// Digits with Python's underscores (only between digits) removed; None if misplaced.
fn underscores(digits: &str) -> Option<String> {
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    Some(digits.replace('_', ""))
}

fn int_value(n: u64) -> Value {
    match i64::try_from(n) {
        Ok(i) => Value::from(i),
        Err(_) => Value::from(n),
    }
}

fn negate(v: Value) -> Option<Value> {
    let Value::Number(n) = v else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(Value::from(-i));
    }
    if n.as_u64() == Some(1 << 63) {
        return Some(Value::from(i64::MIN));
    }
    n.as_f64()
        .filter(|_| !n.is_u64())
        .and_then(|f| serde_json::Number::from_f64(-f))
        .map(Value::Number)
}

/// A dict key as JSON text: Python's str() of the scalars a key can be.
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Null => Some("None".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lit(s: &str) -> Value {
        python_value(s)
    }

    #[test]
    fn values_are_python_literals() {
        assert_eq!(lit("3306"), json!(3306));
        assert_eq!(lit("-5"), json!(-5));
        assert_eq!(lit("1_000"), json!(1000));
        assert_eq!(lit("0x1f"), json!(31));
        assert_eq!(lit("0o17"), json!(15));
        assert_eq!(lit("1.5"), json!(1.5));
        assert_eq!(lit("1e3"), json!(1000.0));
        assert_eq!(lit(".5"), json!(0.5));
        assert_eq!(lit("True"), json!(true));
        assert_eq!(lit("False"), json!(false));
        assert_eq!(lit("None"), Value::Null);
        assert_eq!(lit("'quoted'"), json!("quoted"));
        assert_eq!(lit("\"a\\tb\""), json!("a\tb"));
        assert_eq!(lit("r'a\\tb'"), json!("a\\tb"));
        assert_eq!(lit("'a' \"b\""), json!("ab"));
        assert_eq!(lit("[1, 'two', [3]]"), json!([1, "two", [3]]));
        assert_eq!(lit("(1,)"), json!([1]));
        assert_eq!(lit("(7)"), json!(7));
        assert_eq!(lit("1, 2"), json!([1, 2]));
        assert_eq!(lit("{'a': 1, 2: None,}"), json!({"a": 1, "2": null}));
        assert_eq!(lit("{1, 2}"), json!([1, 2]));
        assert_eq!(lit("23 # a comment"), json!(23));
    }

    #[test]
    fn non_literals_stay_text() {
        for s in [
            "true", "yes", "007", "1.2.3", "1+2j", "abc", "", "--5", "[1, 2", "'open", "db01",
            "-True", "1__0", "a b",
        ] {
            assert_eq!(lit(s), json!(s), "{s}");
        }
        let deep = "[".repeat(200);
        assert_eq!(lit(&deep), json!(deep));
    }

    #[test]
    fn shlex_words_like_python() {
        let w = |s: &str| -> Vec<String> {
            shlex_words(s)
                .expect("words")
                .into_iter()
                .map(|(w, _)| w)
                .collect()
        };
        assert_eq!(w("h1 a=1 b='x y'"), ["h1", "a=1", "b=x y"]);
        assert_eq!(w("h1 p=ab#cd e=f"), ["h1", "p=ab"]);
        assert_eq!(w("h1 # comment"), ["h1"]);
        assert_eq!(w(r#"h "a\"b" 'c\d' e\ f"#), ["h", "a\"b", "c\\d", "e f"]);
        assert_eq!(w("h x=''"), ["h", "x="]);
        let at: Vec<usize> = shlex_words("  h1  k=v")
            .expect("w")
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        assert_eq!(at, [2, 6]);
        assert_eq!(
            shlex_words("h 'open").unwrap_err(),
            ("no closing quotation", 2)
        );
    }

    #[test]
    fn headers_and_group_lines() {
        assert_eq!(section_header("[db]"), Some(("db", None)));
        assert_eq!(section_header("[db:vars]  # x"), Some(("db", Some("vars"))));
        assert_eq!(section_header("[db:bogus]"), Some(("db", Some("bogus"))));
        assert_eq!(section_header("[d b]"), None);
        assert_eq!(section_header("[db] trailing"), None);
        assert_eq!(group_name("web # c"), Some("web"));
        assert_eq!(group_name("web extra"), None);
    }
}
