//! Ansible's INI inventory: `[group]`, `[group:vars]`, `[group:children]`, host
//! vars on the line, ranges `db[01:10]`, `host:port`.

use super::{Builder, expand_ranges, literal};
use crate::parse::source::{self, Span};
use crate::parse::{Diag, DiagResult};
use std::path::Path;

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

/// A `#` starts a comment unless inside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' || (c == ';' && line[..i].trim().is_empty()) => return &line[..i],
            None => {}
        }
    }
    line
}

pub fn load(path: &Path, text: &str, b: &mut Builder) -> DiagResult<()> {
    let file = source::add(path, text);
    let mut section = Section::Hosts("ungrouped".into());
    for (n, raw) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let col = (raw.len() - raw.trim_start().len()) as u32 + 1;
        let span = Span::new(file, line_no, col);
        if let Some(head) = line.strip_prefix('[') {
            let Some(head) = head.strip_suffix(']') else {
                return Err(Diag::new(span, "a section header must end with `]`"));
            };
            let (name, kind) = head
                .split_once(':')
                .map(|(a, b)| (a.trim(), Some(b.trim())))
                .unwrap_or((head.trim(), None));
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(Diag::new(
                    span,
                    format!("`{name}` is not a valid group name"),
                ));
            }
            section = match kind {
                None | Some("hosts") => Section::Hosts(name.into()),
                Some("vars") => Section::Vars(name.into()),
                Some("children") => Section::Children(name.into()),
                Some(other) => {
                    return Err(
                        Diag::new(span, format!("unknown section suffix `:{other}`"))
                            .note("sections are [group], [group:vars] and [group:children]"),
                    );
                }
            };
            let group = match &section {
                Section::Hosts(g) | Section::Vars(g) | Section::Children(g) => g.clone(),
            };
            b.group(&group, span);
            continue;
        }
        match &section {
            Section::Hosts(group) => {
                let ws = crate::parse::shell::split_quoted(line);
                let Some(first) = ws.first() else { continue };
                let (pattern, port) = split_port(first);
                let mut vars = serde_json::Map::new();
                if let Some(p) = port {
                    vars.insert("ansible_port".into(), serde_json::Value::from(p));
                }
                for w in &ws[1..] {
                    let Some((k, v)) = w.split_once('=') else {
                        return Err(Diag::new(
                            span,
                            format!("`{w}` is not a key=value host variable"),
                        )
                        .note(format!("in the host line `{line}`")));
                    };
                    vars.insert(k.to_string(), literal(v));
                }
                let hosts = expand_ranges(&pattern).map_err(|e| Diag::new(span, e))?;
                for h in hosts {
                    b.host(&h, group, vars.clone(), span);
                }
            }
            Section::Vars(group) => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(Diag::new(
                        span,
                        format!("expected key=value in [{group}:vars], found `{line}`"),
                    ));
                };
                b.group_var(group, k.trim(), literal(v.trim()));
            }
            Section::Children(group) => {
                let child = line.split_whitespace().next().unwrap_or_default();
                b.child(group, child, span)?;
            }
        }
    }
    Ok(())
}

/// `host:2222` (not IPv6 literals, which have more than one colon outside ranges).
fn split_port(s: &str) -> (String, Option<u16>) {
    let after_ranges = s.rfind(']').map(|i| i + 1).unwrap_or(0);
    let outside = s[after_ranges..].matches(':').count()
        + strip_ranges(&s[..after_ranges]).matches(':').count();
    if outside == 1
        && let Some((h, p)) = s.rsplit_once(':')
        && let Ok(port) = p.parse::<u16>()
    {
        return (h.to_string(), Some(port));
    }
    (s.to_string(), None)
}

fn strip_ranges(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
