//! Host patterns as ansible-core's InventoryManager reads them: `all`, `*`, globs,
//! `g1:g2` or `g1,g2` (union, in pattern order), `&g` (intersection) and `!g`
//! (exclusion) applied after every union whatever their place, `~regex` (matched
//! from the start of group and host names), subscripts `g[0]`, `g[-1]` and
//! inclusive slices `g[1:3]`, `g[1:]`; and `--limit @file`.

use crate::parse::inventory::{Inventory, LOCALHOST_NAMES, parse_address};
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

/// Hosts matching an Ansible pattern, in Ansible's order (each union term's hosts in
/// turn; a group's own hosts, then its children's), no duplicates. Naming nothing
/// gives an empty list; only `!`/`&` terms start from `all`, as in Ansible.
pub fn select(inv: &Inventory, pattern: &str) -> Result<Vec<String>, PatternError> {
    let terms = split_pattern(pattern);
    let mut union: Vec<&str> = Vec::new();
    let mut intersect: Vec<&str> = Vec::new();
    let mut exclude: Vec<&str> = Vec::new();
    for term in &terms {
        if let Some(t) = term.strip_prefix('!') {
            exclude.push(t);
        } else if let Some(t) = term.strip_prefix('&') {
            intersect.push(t);
        } else {
            union.push(term);
        }
    }
    if union.is_empty() {
        union.push("all");
    }
    let mut hosts: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for term in union {
        let found = if inv.hosts.contains_key(term) {
            vec![term.to_string()]
        } else {
            match_term(inv, term)?
        };
        for h in found {
            if seen.insert(h.clone()) {
                hosts.push(h);
            }
        }
    }
    for term in intersect {
        let those: HashSet<String> = match_term(inv, term)?.into_iter().collect();
        hosts.retain(|h| those.contains(h));
    }
    for term in exclude {
        let those: HashSet<String> = match_term(inv, term)?.into_iter().collect();
        hosts.retain(|h| !those.contains(h));
    }
    Ok(hosts)
}

/// The terms of a pattern that match no host (Ansible's "Could not match supplied host
/// pattern" warning, or error under host_pattern_mismatch = error).
pub fn unmatched_terms(inv: &Inventory, pattern: &str) -> Vec<String> {
    split_pattern(pattern)
        .into_iter()
        .filter(|term| {
            let t = term.trim_start_matches(['!', '&']);
            // As ansible-core: a group that exists (even empty) or `all` is no mismatch.
            !matches!(t, "all" | "localhost" | "127.0.0.1" | "::1")
                && !inv.hosts.contains_key(t)
                && !inv.groups.contains_key(t)
                && match_term(inv, t).is_ok_and(|h| h.is_empty())
        })
        .map(|t| t.trim_start_matches(['!', '&']).to_string())
        .collect()
}

/// `--limit @file`: the file's patterns, one a line, as one pattern. A file naming no
/// host is an error: Ansible would then limit nothing and run on every host.
pub fn read_limit_file(path: &Path) -> Result<String, PatternError> {
    if path.is_dir() {
        return Err(PatternError(format!(
            "a limit starting with `@` must name a file, not the directory {}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        PatternError(format!(
            "cannot read the limit file {}: {e}",
            path.display()
        ))
    })?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        return Err(PatternError(format!(
            "the limit file {} names no hosts",
            path.display()
        )));
    }
    // Commas keep each line one pattern (`fe80::1`, `~a:b`), as Ansible reads the file.
    Ok(lines.join(","))
}

/// Ansible's split_host_pattern: commas if any; else the whole text when it is one
/// address (`fe80::1`, `db[1:3]`); else `:`-separated terms, brackets kept whole.
fn split_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(String::from).collect()
    } else if parse_address(pattern).is_some() {
        vec![pattern.to_string()]
    } else {
        colon_terms(pattern)
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Runs of characters other than blanks, `:`, `[` and `]`, or complete `[...]` groups.
fn colon_terms(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '['
            && let Some(len) = chars[i + 1..].iter().position(|x| *x == ']')
        {
            cur.extend(&chars[i..=i + 1 + len]);
            i += len + 2;
            continue;
        }
        if c.is_whitespace() || matches!(c, ':' | '[' | ']') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One term (without `&`/`!`): its hosts, subscript applied.
fn match_term(inv: &Inventory, term: &str) -> Result<Vec<String>, PatternError> {
    if term.is_empty() {
        return Ok(Vec::new());
    }
    let (expr, subscript) = split_subscript(term)?;
    let hosts = enumerate(inv, expr)?;
    apply_subscript(hosts, subscript, term)
}

/// Groups matching `expr` give their hosts; hosts are matched too when no group
/// matched or `expr` is a regex, a glob or has a dot; `localhost` falls back to the
/// implicit localhost.
fn enumerate(inv: &Inventory, expr: &str) -> Result<Vec<String>, PatternError> {
    let matcher = Matcher::new(expr)?;
    let mut out = Vec::new();
    let mut any_group = false;
    for g in inv.groups.keys().filter(|g| matcher.matches(g)) {
        any_group = true;
        out.extend(inv.hosts_of(g));
    }
    if !any_group || expr.starts_with('~') || expr.contains(['.', '?', '*', '[']) {
        out.extend(
            inv.hosts
                .keys()
                .filter(|h| !inv.is_implicit(h) && matcher.matches(h))
                .cloned(),
        );
    }
    if out.is_empty() && LOCALHOST_NAMES.contains(&expr) {
        out.push(inv.localhost());
    }
    Ok(out)
}

enum Matcher {
    Word(String),
    Glob(String),
    Regex(regex::Regex),
}

impl Matcher {
    fn new(expr: &str) -> Result<Matcher, PatternError> {
        if let Some(re) = expr.strip_prefix('~') {
            // Python's re.match: anchored at the start only.
            return regex::Regex::new(&format!("^(?:{re})"))
                .map(Matcher::Regex)
                .map_err(|e| {
                    PatternError(format!(
                        "invalid regular expression in the host pattern `{expr}`: {}",
                        e.to_string().lines().last().unwrap_or_default().trim()
                    ))
                });
        }
        Ok(if expr.contains(['*', '?', '[']) {
            Matcher::Glob(expr.to_string())
        } else {
            Matcher::Word(expr.to_string())
        })
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Word(w) => w == name,
            Matcher::Glob(g) => glob_match(g, name),
            Matcher::Regex(re) => re.is_match(name),
        }
    }
}

/// fnmatch as Python's: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`; an unclosed `[` is literal.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = n.get(ni) {
        if p.get(pi) == Some(&'*') {
            star = Some((pi, ni));
            pi += 1;
            continue;
        }
        if let Some(next) = step(&p, pi, c) {
            pi = next;
            ni += 1;
            continue;
        }
        let Some((sp, sn)) = star else {
            return false;
        };
        pi = sp + 1;
        ni = sn + 1;
        star = Some((sp, sn + 1));
    }
    p[pi.min(p.len())..].iter().all(|c| *c == '*')
}

/// Where the pattern continues after matching one character `c` at `pi`, if it does.
fn step(p: &[char], pi: usize, c: char) -> Option<usize> {
    match p.get(pi)? {
        '?' => Some(pi + 1),
        '[' => match class(p, pi) {
            Some((hit, next)) => hit(c).then_some(next),
            None => (c == '[').then_some(pi + 1),
        },
        x => (*x == c).then_some(pi + 1),
    }
}

/// The `[...]` class at `p[at]`: its test and the index after `]`; None if unclosed.
fn class(p: &[char], at: usize) -> Option<(impl Fn(char) -> bool, usize)> {
    let mut j = at + 1;
    let negate = p.get(j) == Some(&'!');
    if negate {
        j += 1;
    }
    let body_start = j;
    if p.get(j) == Some(&']') {
        j += 1;
    }
    while p.get(j).is_some_and(|c| *c != ']') {
        j += 1;
    }
    if j >= p.len() {
        return None;
    }
    let body = &p[body_start..j];
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            ranges.push((body[k], body[k + 2]));
            k += 3;
        } else {
            ranges.push((body[k], body[k]));
            k += 1;
        }
    }
    let test = move |c: char| ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != negate;
    Some((test, j + 1))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscript {
    Index(i64),
    /// Start and inclusive end (none: to the last host).
    Slice(i64, Option<i64>),
}

/// `name[3]`, `name[-1]`, `name[1:3]`, `name[1:]` (or Ansible's old `name[1-3]`); any
/// other brackets are part of a glob. Regexes keep theirs.
fn split_subscript(term: &str) -> Result<(&str, Option<Subscript>), PatternError> {
    let Some(body) = term.strip_suffix(']').filter(|_| !term.starts_with('~')) else {
        return Ok((term, None));
    };
    let Some(open) = body.rfind('[').filter(|o| *o > 0) else {
        return Ok((term, None));
    };
    let (base, inner) = (&body[..open], &body[open + 1..]);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| PatternError(format!("the subscript of `{term}` is too large")))
    };
    if digits(inner.strip_prefix('-').unwrap_or(inner)) {
        return Ok((base, Some(Subscript::Index(number(inner)?))));
    }
    if let Some(sep) = inner.find([':', '-']) {
        let (start, end) = (&inner[..sep], &inner[sep + 1..]);
        if digits(start) && (end.is_empty() || digits(end)) {
            let end = if end.is_empty() {
                None
            } else {
                Some(number(end)?)
            };
            return Ok((base, Some(Subscript::Slice(number(start)?, end))));
        }
    }
    Ok((term, None))
}

fn apply_subscript(
    hosts: Vec<String>,
    subscript: Option<Subscript>,
    term: &str,
) -> Result<Vec<String>, PatternError> {
    let Some(subscript) = subscript else {
        return Ok(hosts);
    };
    if hosts.is_empty() {
        return Ok(hosts);
    }
    let n = hosts.len() as i64;
    let pick = |i: i64| {
        let at = if i < 0 { n + i } else { i };
        usize::try_from(at)
            .ok()
            .and_then(|a| hosts.get(a))
            .map(|h| vec![h.clone()])
            .ok_or_else(|| {
                PatternError(format!(
                    "no host matches `{term}`: it selects from {n} host(s), numbered from 0"
                ))
            })
    };
    match subscript {
        Subscript::Index(i) => pick(i),
        // Ansible reads an end of 0 as "just the start".
        Subscript::Slice(start, Some(0)) => pick(start),
        Subscript::Slice(start, end) => {
            let end = end.unwrap_or(n - 1);
            if end < start {
                return Err(PatternError(format!(
                    "the slice in `{term}` ends before it starts (slices are [start:end], end included)"
                )));
            }
            let from = usize::try_from(start.min(n)).unwrap_or(0);
            let to = usize::try_from((end + 1).min(n)).unwrap_or(0);
            Ok(hosts
                .get(from..to)
                .map(<[String]>::to_vec)
                .unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const INV: &str = "\
[db]
db1
db2
db3
[web]
web2
web1
[prod:children]
db
[prod]
web1
[ip]
127.0.0.1
fe80::1
mail.example.com
";

    fn inv(text: &str) -> (tempfile::TempDir, Inventory) {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("hosts");
        std::fs::write(&p, text).expect("write");
        let i = Inventory::load(&[p]).expect("load");
        (d, i)
    }

    fn s(i: &Inventory, p: &str) -> Vec<String> {
        select(i, p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn err(i: &Inventory, p: &str) -> String {
        match select(i, p) {
            Ok(h) => panic!("{p} gave {h:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn all_star_names_and_groups() {
        let (_d, i) = inv(INV);
        let every = [
            "db1",
            "db2",
            "db3",
            "web2",
            "web1",
            "127.0.0.1",
            "fe80::1",
            "mail.example.com",
        ];
        assert_eq!(s(&i, "all"), every);
        assert_eq!(s(&i, "*"), every);
        assert_eq!(s(&i, "db"), ["db1", "db2", "db3"]);
        assert_eq!(s(&i, "web2"), ["web2"]);
        // A group's own hosts come before its children's.
        assert_eq!(s(&i, "prod"), ["web1", "db1", "db2", "db3"]);
        assert_eq!(s(&i, "fe80::1"), ["fe80::1"]);
        assert!(s(&i, "nothing").is_empty());
        assert!(s(&i, "nothing:db9").is_empty());
    }

    #[test]
    fn unions_keep_pattern_order() {
        let (_d, i) = inv(INV);
        assert_eq!(s(&i, "web:db"), ["web2", "web1", "db1", "db2", "db3"]);
        assert_eq!(s(&i, "db2,web"), ["db2", "web2", "web1"]);
        assert_eq!(s(&i, " db2 , db2,db1 "), ["db2", "db1"]);
        // With commas, colons do not separate: `db2:db1` names nothing.
        assert_eq!(s(&i, "db2,db2:db1"), ["db2"]);
        assert_eq!(s(&i, "db2 web1"), ["db2", "web1"]);
    }

    #[test]
    fn intersection_and_exclusion_apply_last() {
        let (_d, i) = inv(INV);
        assert_eq!(s(&i, "prod:&web"), ["web1"]);
        assert_eq!(s(&i, "&web:prod"), ["web1"]);
        assert_eq!(s(&i, "prod:!db2"), ["web1", "db1", "db3"]);
        assert_eq!(s(&i, "!db2:prod"), ["web1", "db1", "db3"]);
        assert_eq!(s(&i, "prod,!db,&prod"), ["web1"]);
        assert_eq!(s(&i, "!db:!ip"), ["web2", "web1"]);
        assert_eq!(s(&i, "&web"), ["web2", "web1"]);
    }

    #[test]
    fn globs_and_regexes() {
        let (_d, i) = inv(INV);
        assert_eq!(s(&i, "web*"), ["web2", "web1"]);
        assert_eq!(s(&i, "*.example.com"), ["mail.example.com"]);
        assert_eq!(s(&i, "db?"), ["db1", "db2", "db3"]);
        assert_eq!(s(&i, "db[!2]"), ["db1", "db3"]);
        assert_eq!(s(&i, "db[a-c]"), Vec::<String>::new());
        assert_eq!(s(&i, "pro*"), ["web1", "db1", "db2", "db3"]);
        // `re.match`: anchored at the start, not the end.
        assert_eq!(s(&i, "~db[12]"), ["db1", "db2"]);
        assert_eq!(s(&i, "~eb"), Vec::<String>::new());
        assert_eq!(s(&i, "~(web|db)1"), ["db1", "web1"]);
        assert_eq!(s(&i, "~pro"), ["web1", "db1", "db2", "db3"]);
        // Commas keep a regex's colons.
        assert_eq!(s(&i, "~fe80::.*,db1"), ["fe80::1", "db1"]);
        assert!(err(&i, "~(").contains("invalid regular expression"));
        assert!(glob_match("a[]]b", "a]b"));
        assert!(glob_match("x[", "x["));
        assert!(!glob_match("a*b*c", "abxbx"));
        assert!(glob_match("a*b*c", "a-b-b-c"));
    }

    #[test]
    fn subscripts_and_inclusive_slices() {
        let (_d, i) = inv(INV);
        assert_eq!(s(&i, "db[0]"), ["db1"]);
        assert_eq!(s(&i, "db[-1]"), ["db3"]);
        assert_eq!(s(&i, "db[1:2]"), ["db2", "db3"]);
        assert_eq!(s(&i, "db[0:1]:web[1:]"), ["db1", "db2", "web1"]);
        assert_eq!(s(&i, "db[1:]"), ["db2", "db3"]);
        assert_eq!(s(&i, "db[1:9]"), ["db2", "db3"]);
        assert_eq!(s(&i, "db[2:0]"), ["db3"]);
        assert_eq!(s(&i, "db[0-1]"), ["db1", "db2"]);
        assert_eq!(s(&i, "prod[0]"), ["web1"]);
        // A glob may take a subscript too; a regex may not.
        assert_eq!(s(&i, "d*[1]"), ["db2"]);
        assert_eq!(s(&i, "nothing[3]"), Vec::<String>::new());
        assert!(err(&i, "db[3]").contains("no host matches `db[3]`"));
        assert!(err(&i, "db[-4]").contains("3 host(s)"));
        assert!(err(&i, "db[2:1]").contains("ends before it starts"));
        assert!(err(&i, "db[99999999999999999999]").contains("too large"));
    }

    #[test]
    fn localhost_is_implicit_unless_listed() {
        let (_d, mut i) = inv("[db]\ndb1\n");
        assert_eq!(s(&i, "localhost"), ["localhost"]);
        i.ensure_implicit_localhost();
        assert_eq!(s(&i, "localhost"), ["localhost"]);
        assert_eq!(s(&i, "127.0.0.1"), ["localhost"]);
        assert_eq!(s(&i, "all"), ["db1"]);
        assert_eq!(s(&i, "local*"), Vec::<String>::new());
        assert_eq!(s(&i, "localhost:db"), ["localhost", "db1"]);
        // An inventory's own 127.0.0.1 is what `localhost` means.
        let (_d2, mut j) = inv(INV);
        j.ensure_implicit_localhost();
        assert!(!j.hosts.contains_key("localhost"));
        assert_eq!(s(&j, "localhost"), ["127.0.0.1"]);
    }

    #[test]
    fn empty_inventory() {
        let i = Inventory::empty();
        assert!(s(&i, "all").is_empty());
        assert_eq!(s(&i, "localhost"), ["localhost"]);
    }

    #[test]
    fn limit_files() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("retry");
        std::fs::write(&p, "db3\n\n  web1  \n# note\n").expect("w");
        assert_eq!(read_limit_file(&p).expect("read"), "db3,web1");
        let (_d, i) = inv(INV);
        assert_eq!(s(&i, &read_limit_file(&p).expect("read")), ["db3", "web1"]);
        std::fs::write(&p, "\n").expect("w");
        assert!(
            read_limit_file(&p)
                .unwrap_err()
                .0
                .contains("names no hosts")
        );
        assert!(read_limit_file(&PathBuf::from("/nonexistent/x")).is_err());
        assert!(
            read_limit_file(d.path())
                .unwrap_err()
                .0
                .contains("directory")
        );
    }

    #[test]
    fn splitting() {
        assert_eq!(split_pattern("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split_pattern("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split_pattern("a[1:2]:b"), ["a[1:2]", "b"]);
        assert_eq!(split_pattern("fe80::1"), ["fe80::1"]);
        assert_eq!(split_pattern("a:b,c"), ["a:b", "c"]);
        assert_eq!(split_pattern(""), Vec::<String>::new());
    }
}
