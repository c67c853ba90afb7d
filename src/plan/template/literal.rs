//! Python literals, as `ast.literal_eval` reads them. Ansible (2.17, without
//! jinja2_native) applies it to rendered text that looks like a list, a dict or
//! a boolean, with `true`/`false`/`null` accepted as JSON spells them; that is
//! how `"[{{ a }}, {{ b }}]"` becomes a list and JSON text a dict.

use serde_json::{Map, Number, Value as J};

/// The text's value when the whole of it is one Python literal.
pub fn parse(s: &str) -> Option<J> {
    let mut p = Parser {
        s: s.as_bytes(),
        src: s,
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.space();
    (p.i == p.s.len()).then_some(v)
}

/// Text that Ansible tries as a literal.
pub fn looks_literal(s: &str) -> bool {
    s.starts_with('[') || s.starts_with('{') || s == "True" || s == "False"
}

const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips blanks, line breaks, comments and backslash continuations.
    fn space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.i += 1,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'\\' if matches!(self.s.get(self.i + 1), Some(b'\n')) => self.i += 2,
                _ => break,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<J> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.space();
        let v = match self.peek()? {
            b'[' => {
                self.i += 1;
                J::Array(self.items(b']')?)
            }
            b'(' => {
                self.i += 1;
                let start = self.i;
                let items = self.items(b')')?;
                // `(x)` is x; `(x,)` and `()` are tuples.
                let inner = self.src.get(start..self.i - 1)?.trim_end();
                if items.len() == 1 && !inner.ends_with(',') {
                    items.into_iter().next()?
                } else {
                    J::Array(items)
                }
            }
            b'{' => {
                self.i += 1;
                self.dict_or_set()?
            }
            b'-' | b'+' => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                let v = self.value()?;
                let n = v.as_number()?;
                match (neg, n.as_i64(), n.as_f64()) {
                    (false, _, _) => v,
                    (true, Some(i), _) if n.is_i64() => J::from(i.checked_neg()?),
                    (true, _, Some(f)) => J::Number(Number::from_f64(-f)?),
                    _ => return None,
                }
            }
            b'0'..=b'9' | b'.' => self.number()?,
            c if c == b'\'' || c == b'"' || c.is_ascii_alphabetic() || c == b'_' => {
                self.name_or_string()?
            }
            _ => return None,
        };
        self.depth -= 1;
        Some(v)
    }

    /// Comma-separated values up to `close` (a trailing comma allowed).
    fn items(&mut self, close: u8) -> Option<Vec<J>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(out);
            }
        }
    }

    fn dict_or_set(&mut self) -> Option<J> {
        if self.eat(b'}') {
            return Some(J::Object(Map::new()));
        }
        let first = self.value()?;
        if !self.eat(b':') {
            // A set: a list here.
            let mut items = vec![first];
            while self.eat(b',') {
                if self.eat(b'}') {
                    return Some(J::Array(items));
                }
                items.push(self.value()?);
            }
            return self.eat(b'}').then_some(J::Array(items));
        }
        let mut map = Map::new();
        let mut key = first;
        loop {
            let v = self.value()?;
            map.insert(key_text(&key)?, v);
            if self.eat(b'}') {
                return Some(J::Object(map));
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(b'}') {
                return Some(J::Object(map));
            }
            key = self.value()?;
            if !self.eat(b':') {
                return None;
            }
        }
    }

    fn number(&mut self) -> Option<J> {
        let start = self.i;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric()
                || c == b'_'
                || c == b'.'
                || ((c == b'+' || c == b'-') && matches!(self.s[self.i - 1], b'e' | b'E'))
        }) {
            self.i += 1;
        }
        let text = self.src.get(start..self.i)?;
        if text.ends_with('_') || text.contains("__") || text.ends_with(['j', 'J']) {
            return None;
        }
        let clean = text.replace('_', "");
        let lower = clean.to_ascii_lowercase();
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
            .iter()
            .find(|(p, _)| lower.starts_with(p))
            .map(|&(_, r)| r);
        if let Some(r) = radix {
            return i64::from_str_radix(&clean[2..], r).ok().map(J::from);
        }
        if !lower.contains(['.', 'e']) {
            // Python forbids leading zeros in decimal integers other than 0.
            if clean.len() > 1 && clean.starts_with('0') && clean.bytes().any(|b| b != b'0') {
                return None;
            }
            return clean.parse::<i64>().ok().map(J::from);
        }
        let f: f64 = clean.parse().ok()?;
        Number::from_f64(f).map(J::Number)
    }

    fn name_or_string(&mut self) -> Option<J> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        let word = &self.src[start..self.i];
        if matches!(self.peek(), Some(b'\'' | b'"')) {
            let prefix = word.to_ascii_lowercase();
            // Only plain and raw text strings (bytes and f-strings are not data here).
            let raw = match prefix.as_str() {
                "" | "u" => false,
                "r" => true,
                _ => return None,
            };
            let mut text = self.string(raw)?;
            // Adjacent literals concatenate.
            loop {
                let save = self.i;
                self.space();
                match self.peek() {
                    Some(b'\'' | b'"') => text.push_str(&self.string(false)?),
                    Some(b'r' | b'R' | b'u' | b'U')
                        if matches!(self.s.get(self.i + 1), Some(b'\'' | b'"')) =>
                    {
                        let raw = matches!(self.peek(), Some(b'r' | b'R'));
                        self.i += 1;
                        text.push_str(&self.string(raw)?);
                    }
                    _ => {
                        self.i = save;
                        break;
                    }
                }
            }
            return Some(J::String(text));
        }
        match word {
            "True" | "true" => Some(J::Bool(true)),
            "False" | "false" => Some(J::Bool(false)),
            "None" | "null" => Some(J::Null),
            _ => None,
        }
    }

    /// A quoted string at the cursor (single, double or triple quotes).
    fn string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let rest = self.src.get(self.i..)?;
            let c = rest.chars().next()?;
            if c as u32 == u32::from(q) {
                if !triple {
                    self.i += 1;
                    return Some(out);
                }
                if rest.as_bytes().get(..3) == Some(&[q, q, q][..]) {
                    self.i += 3;
                    return Some(out);
                }
            }
            if c == '\n' && !triple {
                return None;
            }
            self.i += c.len_utf8();
            if c != '\\' {
                out.push(c);
                continue;
            }
            let e = self.src.get(self.i..)?.chars().next()?;
            self.i += e.len_utf8();
            if raw {
                out.push('\\');
                out.push(e);
                continue;
            }
            match e {
                '\n' => {}
                '\\' | '\'' | '"' => out.push(e),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\u{7}'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'v' => out.push('\u{b}'),
                '0'..='7' => {
                    let mut n = e.to_digit(8)?;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                n = n * 8 + u32::from(d - b'0');
                                self.i += 1;
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(n)?);
                }
                'x' | 'u' | 'U' => {
                    let len = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex = self.src.get(self.i..self.i + len)?;
                    out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                    self.i += len;
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }
}

/// A dict key as JSON text: Python's str() of a scalar.
fn key_text(k: &J) -> Option<String> {
    Some(match k {
        J::String(s) => s.clone(),
        J::Bool(true) => "True".into(),
        J::Bool(false) => "False".into(),
        J::Null => "None".into(),
        J::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => super::pyjson::float(f),
            _ => n.to_string(),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_python_and_json_literals() {
        for (text, want) in [
            ("[1, 2]", json!([1, 2])),
            (
                "['a', \"b\", None, True, false, null]",
                json!(["a", "b", null, true, false, null]),
            ),
            (
                "{'k': [1, {'n': -2.5}], 'e': {}}",
                json!({"k": [1, {"n": -2.5}], "e": {}}),
            ),
            (
                "{\"a\": 1, \"b\": [true, null]}",
                json!({"a": 1, "b": [true, null]}),
            ),
            ("[(1, 2), (3,), (4)]", json!([[1, 2], [3], 4])),
            ("{1: 'x', None: 0}", json!({"1": "x", "None": 0})),
            ("{1, 2}", json!([1, 2])),
            (
                "['it\\'s', \"q\\\"\", 'tab\\tnew\\nline', '\\x41\\u00e9', r'\\d']",
                json!(["it's", "q\"", "tab\tnew\nline", "Aé", "\\d"]),
            ),
            ("['a' 'b']", json!(["ab"])),
            (
                "[1_000, 0x1f, 1e3, .5, 2.]",
                json!([1000, 31, 1000.0, 0.5, 2.0]),
            ),
            ("[1,\n 2,  # two\n]\n", json!([1, 2])),
            ("True", json!(true)),
            (
                "{'a': {'b': {}}, 'c': [],}",
                json!({"a": {"b": {}}, "c": []}),
            ),
            ("['é']", json!(["é"])),
        ] {
            assert_eq!(parse(text), Some(want), "{text}");
        }
        for bad in [
            "[1, 2",
            "[a]",
            "{'a' 1}",
            "[1 2]",
            "[f'x']",
            "[b'x']",
            "[1j]",
            "[012]",
            "{'a': 1}}",
            "[1] x",
            "[[[[",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(parse(&deep), None);
    }
}
