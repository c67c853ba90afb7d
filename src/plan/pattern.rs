//! Host patterns as Ansible reads them: `all`, `*`, globs, `g1:g2` (or `,`),
//! `g1:&g2`, `g1:!g2`, `~regex`, `g[0]`, `g[1:3]` (Python slices), `@file` limits.

use crate::parse::inventory::Inventory;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits on `:` and `,` outside brackets; a `~regex` term keeps its colons only up
/// to the next `,` (Ansible's rule: use commas with regexes).
fn terms(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    let mut in_regex = false;
    for c in pattern.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth <= 0 => {
                out.push(std::mem::take(&mut cur));
                in_regex = false;
            }
            ':' if depth <= 0 && !in_regex => out.push(std::mem::take(&mut cur)),
            _ => {
                if cur.is_empty() && c == '~' {
                    in_regex = true;
                }
                cur.push(c);
            }
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().position(|c| *c == ']') else {
                    return !n.is_empty() && n[0] == '[' && go(&p[1..], &n[1..]);
                };
                let class = &p[1..close];
                let Some(c) = n.first() else { return false };
                let (neg, class) = match class.first() {
                    Some('!') | Some('^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= *c && *c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == *c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &n[1..])
            }
            Some(x) => n.first() == Some(x) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// `name[...]` as an index or slice, when the brackets hold one.
fn subscript(term: &str) -> Option<(&str, &str)> {
    let open = term.rfind('[')?;
    let inner = term[open + 1..].strip_suffix(']')?;
    let valid = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '-')
        && inner.matches(':').count() <= 1;
    valid.then(|| (&term[..open], inner))
}

fn slice(hosts: Vec<String>, spec: &str) -> Result<Vec<String>, PatternError> {
    let n = hosts.len() as i64;
    let idx = |s: &str| -> Result<Option<i64>, PatternError> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i64>()
            .map(Some)
            .map_err(|_| PatternError(format!("bad index `{s}` in a host pattern")))
    };
    let norm = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) };
    match spec.split_once(':') {
        None => {
            let Some(i) = idx(spec)? else {
                return Ok(Vec::new());
            };
            let i = if i < 0 { n + i } else { i };
            Ok(if (0..n).contains(&i) {
                vec![hosts[i as usize].clone()]
            } else {
                Vec::new()
            })
        }
        Some((a, b)) => {
            let start = norm(idx(a)?.unwrap_or(0));
            let end = norm(idx(b)?.unwrap_or(n));
            Ok(if start < end {
                hosts[start as usize..end as usize].to_vec()
            } else {
                Vec::new()
            })
        }
    }
}

fn match_term(inv: &Inventory, term: &str) -> Result<Vec<String>, PatternError> {
    if term == "all" || term == "*" {
        return Ok(inv.hosts_of("all"));
    }
    if let Some(re) = term.strip_prefix('~') {
        let re = regex::Regex::new(re).map_err(|e| {
            PatternError(format!(
                "bad regular expression in host pattern `{term}`: {e}"
            ))
        })?;
        let mut out = Vec::new();
        for g in inv.groups.keys().filter(|g| re.is_match(g)) {
            out.extend(inv.hosts_of(g));
        }
        out.extend(inv.hosts.keys().filter(|h| re.is_match(h)).cloned());
        return Ok(out);
    }
    if let Some((base, spec)) = subscript(term)
        && !inv.hosts.contains_key(term)
    {
        let hosts = match_term(inv, base)?;
        return slice(hosts, spec);
    }
    if inv.groups.contains_key(term) {
        return Ok(inv.hosts_of(term));
    }
    if inv.hosts.contains_key(term) {
        return Ok(vec![term.to_string()]);
    }
    if term.contains(['*', '?', '[']) {
        let mut out = Vec::new();
        for g in inv.groups.keys().filter(|g| glob_match(term, g)) {
            out.extend(inv.hosts_of(g));
        }
        out.extend(
            inv.hosts
                .keys()
                .filter(|h| glob_match(term, h) && !inv.is_implicit(h))
                .cloned(),
        );
        return Ok(out);
    }
    Ok(Vec::new())
}

/// Hosts matching an Ansible pattern, in inventory order, no duplicates.
pub fn select(inv: &Inventory, pattern: &str) -> Result<Vec<String>, PatternError> {
    let mut include: Vec<String> = Vec::new();
    let mut intersections: Vec<Vec<String>> = Vec::new();
    let mut exclude: Vec<String> = Vec::new();
    for term in terms(pattern) {
        if let Some(t) = term.strip_prefix('!') {
            exclude.extend(match_term(inv, t)?);
        } else if let Some(t) = term.strip_prefix('&') {
            intersections.push(match_term(inv, t)?);
        } else {
            include.extend(match_term(inv, &term)?);
        }
    }
    let chosen: std::collections::HashSet<String> = include
        .into_iter()
        .filter(|h| intersections.iter().all(|set| set.contains(h)))
        .filter(|h| !exclude.contains(h))
        .collect();
    // Inventory order; slices keep theirs within the inventory order too.
    Ok(inv
        .hosts
        .keys()
        .filter(|h| chosen.contains(*h))
        .cloned()
        .collect())
}

/// `--limit @file`: one pattern per line, joined with `:`.
pub fn read_limit_file(path: &std::path::Path) -> Result<String, PatternError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        PatternError(format!(
            "cannot read the limit file {}: {e}",
            path.display()
        ))
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn inv() -> (tempfile::TempDir, Inventory) {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("hosts");
        std::fs::write(
            &p,
            "[db]\ndb1\ndb2\ndb3\n[web]\nweb1\nweb2\n[prod:children]\ndb\n[prod]\nweb1\n",
        )
        .expect("w");
        let i = Inventory::load(&[PathBuf::from(&p)]).expect("load");
        (d, i)
    }

    fn s(i: &Inventory, p: &str) -> Vec<String> {
        select(i, p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn every_form() {
        let (_d, i) = inv();
        assert_eq!(s(&i, "all").len(), 5);
        assert_eq!(s(&i, "*").len(), 5);
        assert_eq!(s(&i, "db"), ["db1", "db2", "db3"]);
        assert_eq!(s(&i, "db:web"), ["db1", "db2", "db3", "web1", "web2"]);
        assert_eq!(s(&i, "db,web2"), ["db1", "db2", "db3", "web2"]);
        assert_eq!(s(&i, "prod:&web"), ["web1"]);
        assert_eq!(s(&i, "prod:!db2"), ["db1", "db3", "web1"]);
        assert_eq!(s(&i, "!db2:prod"), ["db1", "db3", "web1"]);
        assert_eq!(s(&i, "web*"), ["web1", "web2"]);
        assert_eq!(s(&i, "~db[12]"), ["db1", "db2"]);
        assert_eq!(s(&i, "db[0]"), ["db1"]);
        assert_eq!(s(&i, "db[-1]"), ["db3"]);
        assert_eq!(s(&i, "db[1:3]"), ["db2", "db3"]);
        assert_eq!(s(&i, "db[:1]"), ["db1"]);
        assert!(s(&i, "nothing").is_empty());
        assert!(select(&i, "~(").is_err());
    }

    #[test]
    fn implicit_localhost() {
        let (_d, mut i) = inv();
        i.ensure_implicit_localhost();
        assert_eq!(s(&i, "localhost"), ["localhost"]);
        assert_eq!(s(&i, "all").len(), 5);
    }
}
