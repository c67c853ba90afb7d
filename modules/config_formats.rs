//! The text transforms behind config_merge: find the settings of a HotDB server.xml,
//! a Java .properties file or a start script's shell assignments, and carry values
//! from an old file into a new one, changing only value bytes (comments, order,
//! whitespace and line endings of the new file stay as they are).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// The file formats config_merge understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `<property name="...">value</property>` of HotDB's server.xml.
    HotdbServerXml,
    /// Java .properties.
    Properties,
    /// Top-level `NAME=value` lines of a shell script.
    ShellVars,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "hotdb_server_xml" => Some(Format::HotdbServerXml),
            "properties" => Some(Format::Properties),
            "shell_vars" => Some(Format::ShellVars),
            _ => None,
        }
    }
}

/// One setting found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// The value as the program reading the file sees it (entities, escapes decoded;
    /// for shell_vars, the word as written, quotes included).
    pub value: String,
    /// The bytes of the value as written in the file.
    pub span: Range<usize>,
}

/// Every setting of `text`, in file order (duplicates kept).
pub fn entries(format: Format, text: &str) -> Vec<Entry> {
    match format {
        Format::HotdbServerXml => xml_entries(text),
        Format::Properties => properties_entries(text),
        Format::ShellVars => shell_entries(text),
    }
}

/// The last value of each key: Java's Properties.load, server.xml's reader and the
/// shell all let a later setting win.
pub fn last_values(entries: &[Entry]) -> HashMap<&str, &Entry> {
    let mut m = HashMap::new();
    for e in entries {
        m.insert(e.key.as_str(), e);
    }
    m
}

/// What a merge made of the new file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    /// Keys of both files whose old value is now in the new file (same or not).
    pub kept: Vec<String>,
    /// Keys only the new file has, left at their defaults.
    pub added: Vec<String>,
    /// Keys only the old file has: reported, never added back.
    pub removed: Vec<String>,
    /// Keys the playbook set.
    pub overridden: Vec<String>,
    /// Keys whose value in the new file changed.
    pub changed: Vec<String>,
}

/// Carries the old file's values into the new file. Excluded keys keep the new file's
/// value; overrides win over both. An override of a key the new file lacks is an error
/// (adding lines would change the file's shape, which this module never does).
pub fn merge(
    format: Format,
    old: &str,
    new: &str,
    exclude: &[String],
    overrides: &BTreeMap<String, String>,
) -> Result<Merged, String> {
    let old_entries = entries(format, old);
    let new_entries = entries(format, new);
    let old_last = last_values(&old_entries);
    let new_last = last_values(&new_entries);
    for k in overrides.keys() {
        if !new_last.contains_key(k.as_str()) {
            return Err(format!(
                "override {k}: the new file has no setting {k} (config_merge changes values, it never adds settings)"
            ));
        }
    }
    let mut m = Merged::default();
    let mut seen = std::collections::HashSet::new();
    for e in &new_entries {
        if !seen.insert(e.key.as_str()) {
            continue;
        }
        if overrides.contains_key(&e.key) {
            m.overridden.push(e.key.clone());
        } else if exclude.contains(&e.key) {
        } else if old_last.contains_key(e.key.as_str()) {
            m.kept.push(e.key.clone());
        } else {
            m.added.push(e.key.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    for e in &old_entries {
        if seen.insert(e.key.as_str()) && !new_last.contains_key(e.key.as_str()) {
            m.removed.push(e.key.clone());
        }
    }
    // Every occurrence of a key gets the value, so duplicates in the new file agree.
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut changed = std::collections::BTreeSet::new();
    for e in &new_entries {
        let wanted = if let Some(v) = overrides.get(&e.key) {
            if format == Format::ShellVars {
                if *v == e.value || shell_unquote(&e.value) == *v {
                    continue;
                }
            } else if *v == e.value {
                continue;
            }
            encode(format, v)
        } else if exclude.contains(&e.key) {
            continue;
        } else if let Some(o) = old_last.get(e.key.as_str()) {
            if o.value == e.value {
                continue;
            }
            carried_raw(format, old, o)
        } else {
            continue;
        };
        if new[e.span.clone()] != wanted {
            // A properties line with a key and nothing else (`key`) has no separator: the
            // value needs one, or it would become part of the key.
            let bare = format == Format::Properties
                && e.span.is_empty()
                && !wanted.is_empty()
                && new[..e.span.start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| !matches!(c, '=' | ':' | ' ' | '\t' | '\x0c'));
            let wanted = if bare { format!("={wanted}") } else { wanted };
            changed.insert(e.key.clone());
            edits.push((e.span.clone(), wanted));
        }
    }
    m.changed = changed.into_iter().collect();
    let mut text = String::with_capacity(new.len());
    let mut at = 0;
    for (span, v) in edits {
        text.push_str(&new[at..span.start]);
        text.push_str(&v);
        at = span.end;
    }
    text.push_str(&new[at..]);
    m.text = text;
    Ok(m)
}

/// The old value as it goes into the new file: its raw text when that is valid on one
/// line of the new file, else re-encoded.
fn carried_raw(format: Format, old: &str, e: &Entry) -> String {
    let raw = &old[e.span.clone()];
    match format {
        // Several lines, or a last line that continues (an odd number of trailing
        // backslashes): re-encoded on one line.
        Format::Properties
            if raw.contains('\n')
                || raw.contains('\r')
                || raw.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 =>
        {
            encode(format, &e.value)
        }
        _ => raw.to_string(),
    }
}

/// A value written in the format's syntax.
pub fn encode(format: Format, v: &str) -> String {
    match format {
        Format::HotdbServerXml => v
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        Format::Properties => {
            let mut s = String::new();
            for (i, c) in v.chars().enumerate() {
                match c {
                    '\\' => s.push_str("\\\\"),
                    '\n' => s.push_str("\\n"),
                    '\r' => s.push_str("\\r"),
                    '\t' => s.push_str("\\t"),
                    '\x0c' => s.push_str("\\f"),
                    ' ' if i == 0 => s.push_str("\\ "),
                    c => s.push(c),
                }
            }
            s
        }
        Format::ShellVars => {
            let plain = !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./:,@%+=".contains(c));
            if plain {
                v.to_string()
            } else {
                format!("'{}'", v.replace('\'', "'\\''"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// server.xml

fn xml_entries(text: &str) -> Vec<Entry> {
    let re = regex::Regex::new(
        r#"<property\s+name\s*=\s*(?:"([^"]*)"|'([^']*)')\s*>([^<]*)</property\s*>"#,
    )
    .expect("static regex");
    let comments: Vec<Range<usize>> = comment_ranges(text);
    re.captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            if comments
                .iter()
                .any(|r| r.start <= whole.start() && whole.start() < r.end)
            {
                return None;
            }
            let name = c.get(1).or_else(|| c.get(2))?.as_str();
            let v = c.get(3)?;
            Some(Entry {
                key: xml_unescape(name.trim()),
                value: xml_unescape(v.as_str()),
                span: v.range(),
            })
        })
        .collect()
}

/// Where `<!-- ... -->` comments are (an unclosed one runs to the end).
fn comment_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(s) = text[at..].find("<!--") {
        let start = at + s;
        let end = text[start + 4..]
            .find("-->")
            .map_or(text.len(), |e| start + 4 + e + 3);
        out.push(start..end);
        at = end;
    }
    out
}

pub fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(semi) = tail.find(';').filter(|&n| n <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..semi];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------
// Java .properties

/// The physical lines of `text`: (start, end without the line break, end with it).
fn lines(text: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            let end = i;
            let next = if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            out.push((start, end, next));
            start = next;
            i = next;
        } else {
            i += 1;
        }
    }
    if start < b.len() {
        out.push((start, b.len(), b.len()));
    }
    out
}

/// A line continues when it ends in an odd number of backslashes.
fn continues(line: &str) -> bool {
    line.bytes().rev().take_while(|&c| c == b'\\').count() % 2 == 1
}

fn is_prop_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

fn properties_entries(text: &str) -> Vec<Entry> {
    let ls = lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < ls.len() {
        let (start, end, _) = ls[i];
        let first = &text[start..end];
        let trimmed = first.trim_start_matches(is_prop_ws);
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            // A comment never continues (Java reads only its own line).
            i += 1;
            continue;
        }
        // The logical line: this one and every continued one after it.
        let mut last = i;
        while continues(&text[ls[last].0..ls[last].1]) && last + 1 < ls.len() {
            last += 1;
        }
        i = last + 1;
        let logical_end = ls[last].1;
        let mut pos = start + (first.len() - trimmed.len());
        let key_start = pos;
        let bytes = text.as_bytes();
        // The key runs to the first unescaped '=', ':' or blank.
        while pos < logical_end {
            let c = bytes[pos];
            if c == b'\\' {
                pos += 2;
                continue;
            }
            if c == b'=' || c == b':' || c == b' ' || c == b'\t' || c == b'\x0c' {
                break;
            }
            pos += 1;
        }
        let pos_key_end = pos.min(logical_end);
        let key = unescape_properties(&text[key_start..pos_key_end]);
        let mut p = pos_key_end;
        while p < logical_end && matches!(bytes[p], b' ' | b'\t' | b'\x0c') {
            p += 1;
        }
        if p < logical_end && (bytes[p] == b'=' || bytes[p] == b':') {
            p += 1;
            while p < logical_end && matches!(bytes[p], b' ' | b'\t' | b'\x0c') {
                p += 1;
            }
        }
        let raw = &text[p..logical_end];
        out.push(Entry {
            key,
            value: unescape_properties(raw),
            span: p..logical_end,
        });
    }
    out
}

/// Java's escapes, with continuation lines joined (their leading blanks dropped).
pub fn unescape_properties(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => {}
            Some('\r') | Some('\n') => {
                if it.peek() == Some(&'\n') {
                    it.next();
                }
                while it.peek().is_some_and(|&c| is_prop_ws(c)) {
                    it.next();
                }
            }
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = it.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                {
                    Some(n) => {
                        for _ in 0..4 {
                            it.next();
                        }
                        out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                    }
                    None => out.push('u'),
                }
            }
            Some(other) => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Shell assignments

/// Top-level simple assignments: an unindented `NAME=word` (or `export NAME=word`)
/// with nothing after the word but blanks or a comment. Lines inside functions,
/// if-blocks and loops are indented in the scripts this reads, and are left alone.
fn shell_entries(text: &str) -> Vec<Entry> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let line_end = text[at..].find('\n').map_or(b.len(), |n| at + n);
        let mut p = at;
        if text[p..].starts_with("export ") {
            p += 7;
            while p < line_end && b[p] == b' ' {
                p += 1;
            }
        }
        let name_start = p;
        while p < line_end && (b[p].is_ascii_alphanumeric() || b[p] == b'_') {
            p += 1;
        }
        let is_name = p > name_start && !b[name_start].is_ascii_digit();
        if is_name && p < line_end && b[p] == b'=' {
            let key = text[name_start..p].to_string();
            let vstart = p + 1;
            if let Some(vend) = shell_word_end(b, vstart) {
                // Only blanks or a comment may follow on the word's last line.
                let next_nl = text[vend..].find('\n').map_or(b.len(), |n| vend + n);
                let tail = text[vend..next_nl].trim_end_matches('\r').trim();
                if tail.is_empty() || tail.starts_with('#') {
                    out.push(Entry {
                        key,
                        value: text[vstart..vend].to_string(),
                        span: vstart..vend,
                    });
                    at = (next_nl + 1).min(b.len().max(next_nl));
                    continue;
                }
            }
        }
        at = line_end + 1;
    }
    out
}

/// The end of the shell word starting at `p` (quotes may span lines); None when a
/// quote is never closed.
fn shell_word_end(b: &[u8], mut p: usize) -> Option<usize> {
    while p < b.len() {
        match b[p] {
            b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' => break,
            b'\\' => p += 2,
            b'\'' => {
                let close = b[p + 1..].iter().position(|&c| c == b'\'')?;
                p += close + 2;
            }
            b'"' => {
                p += 1;
                loop {
                    match b.get(p)? {
                        b'\\' => p += 2,
                        b'"' => {
                            p += 1;
                            break;
                        }
                        _ => p += 1,
                    }
                }
            }
            _ => p += 1,
        }
    }
    Some(p.min(b.len()))
}

/// A simple shell word without its quotes (for comparing an override).
fn shell_unquote(w: &str) -> String {
    let mut out = String::new();
    let mut it = w.chars();
    while let Some(c) = it.next() {
        match c {
            '\'' => out.extend(it.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                while let Some(c) = it.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = it.next() {
                                out.push(n);
                            }
                        }
                        c => out.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(format: Format, text: &str) -> Vec<(String, String)> {
        entries(format, text)
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    fn m(format: Format, old: &str, new: &str) -> Merged {
        merge(format, old, new, &[], &BTreeMap::new()).expect("merge")
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn properties_syntax() {
        let text = "# comment\n! bang\n\n  a=1\nb : 2\nc 3\nd\\:x\\=y=v=w\ne=\nlong = one, \\\n    two\nsp=\\ lead\nu=\\u0041\\t\nf\n";
        assert_eq!(
            kv(Format::Properties, text),
            vec![
                p("a", "1"),
                p("b", "2"),
                p("c", "3"),
                p("d:x=y", "v=w"),
                p("e", ""),
                p("long", "one, two"),
                p("sp", " lead"),
                p("u", "A\t"),
                p("f", ""),
            ]
        );
        // A comment ending in a backslash does not continue.
        assert_eq!(kv(Format::Properties, "# x \\\na=1\n"), vec![p("a", "1")]);
    }

    #[test]
    fn properties_merge_keeps_shape() {
        let old = "a=10\nb: old\nremoved=1\nlong=x \\\n  y\n";
        let new = "# new file\r\na = 1\r\n\r\nb 2\r\nnewkey=def\r\nlong=z\r\n#a=commented\r\n";
        let r = m(Format::Properties, old, new);
        assert_eq!(
            r.text,
            "# new file\r\na = 10\r\n\r\nb old\r\nnewkey=def\r\nlong=x y\r\n#a=commented\r\n"
        );
        assert_eq!(r.kept, vec!["a", "b", "long"]);
        assert_eq!(r.added, vec!["newkey"]);
        assert_eq!(r.removed, vec!["removed"]);
        assert_eq!(r.changed, vec!["a", "b", "long"]);
        // Idempotent.
        let again = m(Format::Properties, old, &r.text);
        assert_eq!(again.text, r.text);
        assert!(again.changed.is_empty());
    }

    #[test]
    fn properties_commented_out_in_new_counts_as_absent_and_duplicates_last_wins() {
        let old = "a=1\na=2\nb=x\n";
        let new = "a=0\n#b=x\n";
        let r = m(Format::Properties, old, new);
        assert_eq!(r.text, "a=2\n#b=x\n");
        assert_eq!(r.removed, vec!["b"]);
        // Duplicates in the new file all get the value.
        let r = m(Format::Properties, "a=5\n", "a=1\nx=0\na=2\n");
        assert_eq!(r.text, "a=5\nx=0\na=5\n");
        // An empty old value is carried.
        let r = m(Format::Properties, "a=\n", "a=1\n");
        assert_eq!(r.text, "a=\n");
        // The old value's escapes go after the new file's key and separator.
        let r = m(
            Format::Properties,
            "url=jdbc\\:mysql\\://h\n",
            "url jdbc:mysql://x\n",
        );
        assert_eq!(r.text, "url jdbc\\:mysql\\://h\n");
        // A leading blank of a re-encoded value is escaped.
        let r = m(Format::Properties, "a=\\ x\\\n  y\n", "a: 1\n");
        assert_eq!(r.text, "a: \\ xy\n");
        // Same decoded value in another spelling: untouched.
        let r = m(Format::Properties, "a=\\u0041\n", "a=A\n");
        assert!(r.changed.is_empty());
        assert_eq!(r.text, "a=A\n");
    }

    const OLD_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<hotdb:server xmlns:hotdb="http://cn.hotpu/">
  <system>
    <property name="url">jdbc:mysql://10.0.0.1:3306/hotdb_config?a=1&amp;b=2</property>
    <property name="serverPort">3323</property>
    <property name="haState">master</property>
    <property name="gone">1</property>
    <property name="empty"></property>
  </system>
</hotdb:server>
"#;

    const NEW_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<hotdb:server xmlns:hotdb="http://cn.hotpu/">
  <system>
    <!-- config database -->
    <property name="url">jdbc:mysql://127.0.0.1:3306/hotdb_config</property><!-- url -->
    <property name="serverPort">3323</property>
    <!-- <property name="haState">backup</property> -->
    <property name="haState">backup</property>
    <property name="newOne">true</property>
    <property name="empty">x</property>
  </system>
</hotdb:server>
"#;

    #[test]
    fn xml_entries_and_entities() {
        let e = kv(Format::HotdbServerXml, OLD_XML);
        assert_eq!(
            e[0],
            p("url", "jdbc:mysql://10.0.0.1:3306/hotdb_config?a=1&b=2")
        );
        assert_eq!(e[4], p("empty", ""));
        // The commented-out property is not a setting.
        let e = kv(Format::HotdbServerXml, NEW_XML);
        assert_eq!(e.iter().filter(|(k, _)| k == "haState").count(), 1);
        assert_eq!(xml_unescape("&lt;&#65;&#x42;&bogus;&"), "<AB&bogus;&");
    }

    #[test]
    fn xml_merge() {
        let r = m(Format::HotdbServerXml, OLD_XML, NEW_XML);
        let expected = NEW_XML
            .replace(
                "jdbc:mysql://127.0.0.1:3306/hotdb_config</property>",
                "jdbc:mysql://10.0.0.1:3306/hotdb_config?a=1&amp;b=2</property>",
            )
            .replace(
                "<property name=\"haState\">backup</property>\n    <property name=\"newOne\"",
                "<property name=\"haState\">master</property>\n    <property name=\"newOne\"",
            )
            .replace(
                "<property name=\"empty\">x</property>",
                "<property name=\"empty\"></property>",
            );
        assert_eq!(r.text, expected);
        assert_eq!(r.added, vec!["newOne"]);
        assert_eq!(r.removed, vec!["gone"]);
        assert_eq!(r.changed, vec!["empty", "haState", "url"]);
        let r2 = m(Format::HotdbServerXml, OLD_XML, &r.text);
        assert_eq!(r2.text, r.text);
        assert!(r2.changed.is_empty());
    }

    #[test]
    fn overrides_and_exclude() {
        let mut o = BTreeMap::new();
        o.insert("haState".to_string(), "backup & <x>".to_string());
        let r = merge(
            Format::HotdbServerXml,
            OLD_XML,
            NEW_XML,
            &["url".to_string()],
            &o,
        )
        .expect("merge");
        assert!(r.text.contains("127.0.0.1"));
        assert!(r.text.contains(">backup &amp; &lt;x&gt;</property>"));
        assert_eq!(r.overridden, vec!["haState"]);
        assert!(!r.kept.contains(&"url".to_string()));
        o.insert("nope".into(), "1".into());
        let e = merge(Format::HotdbServerXml, OLD_XML, NEW_XML, &[], &o).unwrap_err();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn shell_vars() {
        let old = "#!/bin/sh\nJAVA_BIN=/opt/jdk8/bin/java\nJAVA_OPTS=\"-Xms8G -Xmx8G\n  -XX:+UseG1GC\"\nexport HOTDB_HOME='/usr/local/hotdb'\nif true; then\n  JAVA_OPTS=inner\nfi\nX=1 cmd\n";
        let e = kv(Format::ShellVars, old);
        assert_eq!(
            e,
            vec![
                p("JAVA_BIN", "/opt/jdk8/bin/java"),
                p("JAVA_OPTS", "\"-Xms8G -Xmx8G\n  -XX:+UseG1GC\""),
                p("HOTDB_HOME", "'/usr/local/hotdb'"),
            ]
        );
        let new = "#!/bin/sh\r\nJAVA_BIN=/opt/jdk11/bin/java\r\nJAVA_OPTS=\"-Xms4G\" # memory\r\nNEWVAR=1\r\n";
        let r = merge(
            Format::ShellVars,
            old,
            new,
            &["JAVA_BIN".to_string()],
            &BTreeMap::new(),
        )
        .expect("merge");
        assert_eq!(
            r.text,
            "#!/bin/sh\r\nJAVA_BIN=/opt/jdk11/bin/java\r\nJAVA_OPTS=\"-Xms8G -Xmx8G\n  -XX:+UseG1GC\" # memory\r\nNEWVAR=1\r\n"
        );
        assert_eq!(r.added, vec!["NEWVAR"]);
        assert_eq!(r.removed, vec!["HOTDB_HOME"]);
        assert_eq!(r.kept, vec!["JAVA_OPTS"]);
        let mut o = BTreeMap::new();
        o.insert("NEWVAR".to_string(), "a b".to_string());
        let r = merge(Format::ShellVars, "", "NEWVAR=1\n", &[], &o).expect("merge");
        assert_eq!(r.text, "NEWVAR='a b'\n");
        let r2 = merge(Format::ShellVars, "", &r.text, &[], &o).expect("merge");
        assert!(r2.changed.is_empty());
    }
}
