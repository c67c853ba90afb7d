//! YAML as PyYAML's `yaml.dump` writes it, which is what Ansible's `to_yaml` and
//! `to_nice_yaml` produce: sorted keys, sequences in mappings not indented,
//! flow style for collections of scalars unless told otherwise, plain scalars
//! wherever they read back as the same string, long lines folded at 80
//! columns. A port of the parts of PyYAML's emitter that JSON data reaches.

use serde_json::Value as J;
use std::sync::LazyLock;

pub struct Options {
    pub indent: usize,
    pub width: usize,
    pub sort_keys: bool,
    /// PyYAML's default_flow_style: None means flow for collections of scalars.
    pub flow: Option<bool>,
    /// Begin with `---`.
    pub explicit_start: bool,
    /// Multi-line strings as literal blocks (`|`), tidied so a block can hold them, as
    /// ansible-core's callback dumper does for CALLBACK_RESULT_FORMAT=yaml.
    pub literal_multiline: bool,
}

pub fn dump(v: &J, opts: &Options) -> String {
    let best_indent = if (2..10).contains(&opts.indent) {
        opts.indent
    } else {
        2
    };
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        indent: None,
        flow_level: 0,
        best_indent,
        best_width: if opts.width > best_indent * 2 {
            opts.width
        } else {
            80
        },
        sort_keys: opts.sort_keys,
        flow: opts.flow,
        literal_multiline: opts.literal_multiline,
    };
    if opts.explicit_start {
        e.write_indicator("---", true, false, false);
    }
    e.node(
        v,
        Ctx {
            root: true,
            ..Ctx::default()
        },
    );
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    e.out
}

#[derive(Default, Clone, Copy)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    flow_level: usize,
    best_indent: usize,
    best_width: usize,
    sort_keys: bool,
    flow: Option<bool>,
    literal_multiline: bool,
}

fn is_scalar(v: &J) -> bool {
    !matches!(v, J::Array(_) | J::Object(_))
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.column += s.chars().count();
        self.out.push_str(s);
    }

    fn write_line_break(&mut self) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push('\n');
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break();
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        let data = if self.whitespace || !need_whitespace {
            indicator.to_string()
        } else {
            format!(" {indicator}")
        };
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
        self.write(&data);
    }

    /// Runs `body` one indentation level further in, as PyYAML's increase_indent.
    fn indented(&mut self, flow: bool, indentless: bool, body: impl FnOnce(&mut Self)) {
        let saved = self.indent;
        self.indent = match saved {
            None if flow => Some(self.best_indent),
            None => Some(0),
            Some(i) if !indentless => Some(i + self.best_indent),
            Some(i) => Some(i),
        };
        body(self);
        self.indent = saved;
    }

    fn flow_style(&self, v: &J) -> bool {
        match self.flow {
            Some(f) => f,
            None => match v {
                J::Array(a) => a.iter().all(is_scalar),
                J::Object(m) => m.values().all(is_scalar),
                _ => true,
            },
        }
    }

    fn entries<'a>(&self, m: &'a serde_json::Map<String, J>) -> Vec<(&'a String, &'a J)> {
        let mut entries: Vec<_> = m.iter().collect();
        if self.sort_keys {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        entries
    }

    fn node(&mut self, v: &J, ctx: Ctx) {
        match v {
            J::Array(a) => {
                if self.flow_level > 0 || a.is_empty() || self.flow_style(v) {
                    self.flow_sequence(a);
                } else {
                    self.block_sequence(a, ctx.mapping);
                }
            }
            J::Object(m) => {
                if self.flow_level > 0 || m.is_empty() || self.flow_style(v) {
                    self.flow_mapping(m);
                } else {
                    self.block_mapping(m);
                }
            }
            scalar => self.indented(true, false, |e| e.scalar(scalar, ctx)),
        }
    }

    fn flow_sequence(&mut self, a: &[J]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.indented(true, false, |e| {
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    e.write_indicator(",", false, false, false);
                }
                if e.column > e.best_width {
                    e.write_indent();
                }
                e.node(item, Ctx::default());
            }
        });
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, m: &serde_json::Map<String, J>) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        let entries = self.entries(m);
        self.indented(true, false, |e| {
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    e.write_indicator(",", false, false, false);
                }
                if e.column > e.best_width {
                    e.write_indent();
                }
                let key = J::String(k.clone());
                if simple_key(k) {
                    e.node(
                        &key,
                        Ctx {
                            mapping: true,
                            simple_key: true,
                            ..Ctx::default()
                        },
                    );
                    e.write_indicator(":", false, false, false);
                } else {
                    e.write_indicator("?", true, false, false);
                    e.node(
                        &key,
                        Ctx {
                            mapping: true,
                            ..Ctx::default()
                        },
                    );
                    if e.column > e.best_width {
                        e.write_indent();
                    }
                    e.write_indicator(":", true, false, false);
                }
                e.node(
                    v,
                    Ctx {
                        mapping: true,
                        ..Ctx::default()
                    },
                );
            }
        });
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_sequence(&mut self, a: &[J], mapping: bool) {
        let indentless = mapping && !self.indention;
        self.indented(false, indentless, |e| {
            for item in a {
                e.write_indent();
                e.write_indicator("-", true, false, true);
                e.node(item, Ctx::default());
            }
        });
    }

    fn block_mapping(&mut self, m: &serde_json::Map<String, J>) {
        let entries = self.entries(m);
        self.indented(false, false, |e| {
            for (k, v) in entries {
                e.write_indent();
                let key = J::String(k.clone());
                if simple_key(k) {
                    e.node(
                        &key,
                        Ctx {
                            mapping: true,
                            simple_key: true,
                            ..Ctx::default()
                        },
                    );
                    e.write_indicator(":", false, false, false);
                } else {
                    e.write_indicator("?", true, false, true);
                    e.node(
                        &key,
                        Ctx {
                            mapping: true,
                            ..Ctx::default()
                        },
                    );
                    e.write_indent();
                    e.write_indicator(":", true, false, true);
                }
                e.node(
                    v,
                    Ctx {
                        mapping: true,
                        ..Ctx::default()
                    },
                );
            }
        });
    }

    fn scalar(&mut self, v: &J, ctx: Ctx) {
        let (text, implicit) = match v {
            J::Null => ("null".to_string(), true),
            J::Bool(b) => (b.to_string(), true),
            J::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() => (float(f), true),
                _ => (n.to_string(), true),
            },
            J::String(s) => (s.clone(), !resolves_to_other_type(s)),
            _ => (String::new(), true),
        };
        if self.literal_multiline
            && let J::String(s) = v
            && s.chars().any(is_break)
        {
            let text = lossy_for_block(s);
            let a = analyze(&text);
            if self.flow_level == 0 && !ctx.simple_key && a.allow_block {
                self.write_literal(&text);
            } else {
                self.write_double_quoted(&text, !ctx.simple_key);
            }
            return;
        }
        let a = analyze(&text);
        let split = !ctx.simple_key;
        let plain_ok = !(ctx.simple_key && (a.empty || a.multiline))
            && if self.flow_level > 0 {
                a.allow_flow_plain
            } else {
                a.allow_block_plain
            };
        if implicit && plain_ok {
            self.write_plain(&text, split, ctx.root);
        } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            self.write_single_quoted(&text, split);
        } else {
            self.write_double_quoted(&text, split);
        }
    }

    fn write_plain(&mut self, text: &str, split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut start, mut end) = (false, 0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.best_width && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        let data: String = chars[start..end].iter().collect();
                        self.write(&data);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                let data: String = chars[start..end].iter().collect();
                self.write(&data);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    /// PyYAML's write_literal with its block hints.
    fn write_literal(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        let mut hints = String::new();
        if let (Some(&first), Some(&last)) = (chars.first(), chars.last()) {
            if first == ' ' || is_break(first) {
                hints.push_str(&self.best_indent.to_string());
            }
            if !is_break(last) {
                hints.push('-');
            } else if chars.len() == 1 || is_break(chars[chars.len() - 2]) {
                hints.push('+');
            }
        }
        self.write_indicator(&format!("|{hints}"), true, false, false);
        if hints.ends_with('+') {
            self.open_ended = true;
        }
        self.write_line_break();
        let (mut breaks, mut start, mut end) = (true, 0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    for _ in start..end {
                        self.write_line_break();
                    }
                    if ch.is_some() {
                        self.write_indent();
                    }
                    start = end;
                }
            } else if ch.is_none_or(is_break) {
                let data: String = chars[start..end].iter().collect();
                self.write(&data);
                if ch.is_none() {
                    self.write_line_break();
                }
                start = end;
            }
            if let Some(c) = ch {
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks, mut start, mut end) = (false, false, 0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > self.best_width
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.write_indent();
                    } else {
                        let data: String = chars[start..end].iter().collect();
                        self.write(&data);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if chars[start] == '\n' {
                        self.write_line_break();
                    }
                    for _ in start..end {
                        self.write_line_break();
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                let data: String = chars[start..end].iter().collect();
                self.write(&data);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end) = (0, 0);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            let plain = |c: char| {
                ('\x20'..='\x7e').contains(&c)
                    || ('\u{a0}'..='\u{d7ff}').contains(&c)
                    || ('\u{e000}'..='\u{fffd}').contains(&c)
            };
            if ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !plain(c)
            }) {
                if start < end {
                    let data: String = chars[start..end].iter().collect();
                    self.write(&data);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match c {
                        '\0' => "\\0".to_string(),
                        '\x07' => "\\a".into(),
                        '\x08' => "\\b".into(),
                        '\t' => "\\t".into(),
                        '\n' => "\\n".into(),
                        '\x0b' => "\\v".into(),
                        '\x0c' => "\\f".into(),
                        '\r' => "\\r".into(),
                        '\x1b' => "\\e".into(),
                        '"' => "\\\"".into(),
                        '\\' => "\\\\".into(),
                        '\u{85}' => "\\N".into(),
                        '\u{a0}' => "\\_".into(),
                        '\u{2028}' => "\\L".into(),
                        '\u{2029}' => "\\P".into(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write(&data);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + end as isize - start as isize > self.best_width as isize
                && split
            {
                let mut data: String = chars[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if chars.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn simple_key(k: &str) -> bool {
    let a = analyze(k);
    k.chars().count() < 128 && !a.empty && !a.multiline
}

/// A float as PyYAML writes it: `1.0`, `1.0e+20`, `.inf`, `.nan`.
fn float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let r = super::pyjson::float(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

/// Would PyYAML's (YAML 1.1) resolver read this plain text as something other
/// than a string?
fn resolves_to_other_type(s: &str) -> bool {
    static OTHER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"^(?:",
            r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?",
            r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            r"|<<|~|null|Null|NULL|=|",
            r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
            r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
            r")$"
        ))
        .expect("static regex")
    });
    // Python's `$` also matches before a final newline.
    OTHER.is_match(s) || s.strip_suffix('\n').is_some_and(|t| OTHER.is_match(t))
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
    allow_block: bool,
}

/// ansible-core's _munge_data_for_lossy_yaml: what a literal block cannot hold is dropped
/// (trailing whitespace, tabs as spaces, special characters, spaces before a line break).
fn lossy_for_block(s: &str) -> String {
    let trimmed = s.trim_end_matches(|c: char| c.is_whitespace());
    let mut out = String::new();
    let mut col = 0;
    for c in trimmed.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            out.push_str(&" ".repeat(n));
            col += n;
            continue;
        }
        let keep = c == '\n'
            || ('\x20'..='\x7e').contains(&c)
            || c == '\u{85}'
            || ('\u{a0}'..='\u{d7ff}').contains(&c)
            || ('\u{e000}'..='\u{fffd}').contains(&c)
            || ('\u{10000}'..'\u{10ffff}').contains(&c);
        if !keep || c == '\u{feff}' {
            continue;
        }
        if is_break(c) {
            while out.ends_with(' ') {
                out.pop();
            }
            col = 0;
        } else {
            col += 1;
        }
        out.push(c);
    }
    out
}

/// PyYAML's analyze_scalar: which styles can write this text.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
            allow_block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let space = |c: char| {
        matches!(
            c,
            '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    let (mut block_ind, mut flow_ind) = (false, false);
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || space(chars[1]);
    let (mut prev_space, mut prev_break) = (false, false);
    for (i, &ch) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7e').contains(&ch)) {
            let unicode = (ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch))
                && ch != '\u{feff}';
            if !unicode {
                special = true;
            }
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == chars.len() - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(ch) {
            if i == 0 {
                leading_break = true;
            }
            if i == chars.len() - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = space(ch);
        followed_by_ws = i + 2 >= chars.len() || space(chars[i + 2]);
    }
    let (mut flow_plain, mut block_plain, mut single) = (true, true, true);
    let block = !(space_break || special || trailing_space);
    if leading_space || leading_break || trailing_space || trailing_break {
        flow_plain = false;
        block_plain = false;
    }
    if break_space {
        flow_plain = false;
        block_plain = false;
        single = false;
    }
    if space_break || special {
        flow_plain = false;
        block_plain = false;
        single = false;
    }
    if line_breaks {
        flow_plain = false;
        block_plain = false;
    }
    if flow_ind {
        flow_plain = false;
    }
    if block_ind {
        block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: flow_plain,
        allow_block_plain: block_plain,
        allow_single_quoted: single,
        allow_block: block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nice(v: J) -> String {
        dump(
            &v,
            &Options {
                indent: 4,
                width: 80,
                sort_keys: true,
                flow: Some(false),
                explicit_start: false,
                literal_multiline: false,
            },
        )
    }

    fn terse(v: J) -> String {
        dump(
            &v,
            &Options {
                indent: 2,
                width: 80,
                sort_keys: true,
                flow: None,
                explicit_start: false,
                literal_multiline: false,
            },
        )
    }

    #[test]
    fn literal_blocks_as_the_callback_writes_them() {
        let o = Options {
            indent: 4,
            width: 80,
            sort_keys: true,
            flow: Some(false),
            explicit_start: false,
            literal_multiline: true,
        };
        let d = |v| dump(&v, &o);
        assert_eq!(d(json!({"a": "x\ny\n"})), "a: |-\n    x\n    y\n");
        assert_eq!(d(json!({"a": " x\ny"})), "a: |4-\n     x\n    y\n");
        assert_eq!(d(json!({"a": "x \n\ty"})), "a: |-\n    x\n            y\n");
        assert_eq!(d(json!({"a": ["p\nq"]})), "a:\n- |-\n    p\n    q\n");
        assert_eq!(d(json!({"a": "one"})), "a: one\n");
    }

    #[test]
    fn explicit_start() {
        let o = |flow| Options {
            indent: 2,
            width: 80,
            sort_keys: true,
            flow,
            explicit_start: true,
            literal_multiline: false,
        };
        assert_eq!(dump(&json!({"a": 1}), &o(Some(false))), "---\na: 1\n");
        assert_eq!(dump(&json!({"a": 1}), &o(None)), "--- {a: 1}\n");
        assert_eq!(dump(&json!("foo"), &o(None)), "--- foo\n...\n");
    }

    #[test]
    fn matches_pyyaml() {
        // Expected texts are PyYAML 6's output for the same data.
        assert_eq!(terse(json!({"b": 1, "a": [1, 2]})), "a: [1, 2]\nb: 1\n");
        assert_eq!(terse(json!({"a": 1})), "{a: 1}\n");
        assert_eq!(terse(json!("foo")), "foo\n...\n");
        assert_eq!(terse(json!(null)), "null\n...\n");
        assert_eq!(terse(json!([])), "[]\n");
        assert_eq!(terse(json!({"a": {"b": {"c": 1}}})), "a:\n  b: {c: 1}\n");
        assert_eq!(
            nice(json!({"b": {"c": [1, {"d": "x", "e": null}]}, "a": "yes"})),
            "a: 'yes'\nb:\n    c:\n    - 1\n    -   d: x\n        e: null\n"
        );
        assert_eq!(nice(json!([[1, 2], "x"])), "-   - 1\n    - 2\n- x\n");
        assert_eq!(
            nice(
                json!({"s": ["", "1", "1.5", "a: b", "#c", "- d", "x #y", " lead", "null", "~", "2024-01-02", "0755", "é"]})
            ),
            "s:\n- ''\n- '1'\n- '1.5'\n- 'a: b'\n- '#c'\n- '- d'\n- 'x #y'\n- ' lead'\n- 'null'\n- '~'\n- '2024-01-02'\n- '0755'\n- é\n"
        );
        assert_eq!(nice(json!({"m": "a\nb"})), "m: 'a\n\n    b'\n");
        assert_eq!(nice(json!({"t": "tab\there"})), "t: \"tab\\there\"\n");
        assert_eq!(
            nice(json!({"f": 1.0, "g": 1e20, "i": -3, "b": true})),
            "b: true\nf: 1.0\ng: 1.0e+20\ni: -3\n"
        );
        assert_eq!(nice(json!({"": 1})), "? ''\n: 1\n");
        let long = "word ".repeat(20).trim_end().to_string();
        assert_eq!(
            nice(json!({ "k": long })),
            "k: word word word word word word word word word word word word word word word word\n    word word word word\n"
        );
        assert_eq!(terse(json!({"a": [1, 2], "b": {}})), "a: [1, 2]\nb: {}\n");
        assert_eq!(terse(json!([{"a": 1}, {"b": [1]}])), "- {a: 1}\n- b: [1]\n");
        assert_eq!(nice(json!({"k": "a\n"})), "k: 'a\n\n    '\n");
        let x = "x".repeat(100);
        assert_eq!(
            nice(json!({ "k": format!("{x} yyyyyyyyyy") })),
            format!("k: {x}\n    yyyyyyyyyy\n")
        );
        let tabbed = format!("\t{}", "word ".repeat(30));
        assert_eq!(
            nice(json!({ "k": tabbed })),
            "k: \"\\tword word word word word word word word word word word word word word word word\\\n    \\ word word word word word word word word word word word word word word \"\n"
        );
        assert_eq!(
            terse(json!({"k": ["a b: c", "d,e", "f"]})),
            "k: ['a b: c', 'd,e', f]\n"
        );
        assert_eq!(
            nice(json!({"emoji": "😀", "ctl": "\u{1}"})),
            "ctl: \"\\x01\"\nemoji: 😀\n"
        );
        assert_eq!(
            nice(json!("multi\nline\n")),
            "'multi\n\n    line\n\n    '\n"
        );
        let (a, b, c) = ("x".repeat(30), "y".repeat(30), "z".repeat(30));
        assert_eq!(
            terse(json!({"a": [a, b, c]})),
            format!("a: [{a}, {b}, {c}]\n")
        );
        assert_eq!(
            nice(json!({"a": {"b": ["x", {"c": [1, [2, 3]]}]}})),
            "a:\n    b:\n    - x\n    -   c:\n        - 1\n        -   - 2\n            - 3\n"
        );
    }
}
