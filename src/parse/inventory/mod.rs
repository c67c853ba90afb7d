//! Inventories: INI and YAML files, directories of them and `h1,h2,` host lists;
//! several `-i` merge into one. Shapes follow ansible-core's InventoryData: `all`
//! and `ungrouped` always exist, every group without a parent sits under `all`, a
//! group's hosts are its own then its descendants' level by level, and host
//! variables come in Ansible's precedence from the inventory files, group_vars/ and
//! host_vars/ beside each source and beside the playbook.
//!
//! group_vars/host_vars are read lazily and once per run: the first lookup of
//! `<dir>/<kind>/<name>` reads its files and keeps the merged result in a Mutex'd
//! map inside the Inventory, so `host_var_layers` stays `&self` and 1,000 hosts
//! sharing a group read its file once.

mod dynamic;
mod ini;
mod yaml;

use super::source::Span;
use super::{Diag, DiagResult, Node};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub type VarMap = serde_json::Map<String, Value>;

/// Names that mean the controller itself (Ansible's C.LOCALHOST).
pub const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Most hosts one range expression may produce, so a typo cannot exhaust memory.
const MAX_RANGE_HOSTS: usize = 1_000_000;

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub vars: VarMap,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Group {
    pub name: String,
    pub vars: VarMap,
    pub children: Vec<String>,
    pub hosts: Vec<String>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Inventory {
    pub hosts: IndexMap<String, Host>,
    pub groups: IndexMap<String, Group>,
    pub sources: Vec<PathBuf>,
    /// `<dir>/group_vars/<name>` and `<dir>/host_vars/<name>` lookups, merged, read once.
    var_files: Mutex<HashMap<PathBuf, VarMap>>,
    implicit_localhost: bool,
}

impl Default for Inventory {
    fn default() -> Inventory {
        Inventory::empty()
    }
}

/// Collects hosts and groups while sources are read; `finish` applies Ansible's
/// reconcile rules.
struct Builder {
    inv: Inventory,
}

impl Builder {
    fn new() -> Builder {
        let mut inv = Inventory {
            hosts: IndexMap::new(),
            groups: IndexMap::new(),
            sources: Vec::new(),
            var_files: Mutex::new(HashMap::new()),
            implicit_localhost: false,
        };
        for name in ["all", "ungrouped"] {
            inv.groups.insert(
                name.into(),
                Group {
                    name: name.into(),
                    ..Default::default()
                },
            );
        }
        // As in InventoryData: `ungrouped` is the first child of `all`.
        if let Some(all) = inv.groups.get_mut("all") {
            all.children.push("ungrouped".into());
        }
        Builder { inv }
    }

    fn has_group(&self, name: &str) -> bool {
        self.inv.groups.contains_key(name)
    }

    fn group(&mut self, name: &str, span: Span) {
        self.inv
            .groups
            .entry(name.to_string())
            .or_insert_with(|| Group {
                name: name.to_string(),
                span,
                ..Default::default()
            });
    }

    /// Adds (or extends) a host and makes it a member of `group`.
    fn host(&mut self, name: &str, group: &str, vars: VarMap, span: Span) {
        let host = self
            .inv
            .hosts
            .entry(name.to_string())
            .or_insert_with(|| Host {
                name: name.to_string(),
                vars: VarMap::new(),
                span,
            });
        host.vars.extend(vars);
        self.group(group, span);
        if let Some(g) = self.inv.groups.get_mut(group)
            && !g.hosts.iter().any(|h| h == name)
        {
            g.hosts.push(name.to_string());
        }
    }

    fn group_var(&mut self, group: &str, key: &str, value: Value) {
        self.group(group, Span::UNKNOWN);
        if let Some(g) = self.inv.groups.get_mut(group) {
            g.vars.insert(key.to_string(), value);
        }
    }

    fn child(&mut self, parent: &str, child: &str, span: Span) -> DiagResult<()> {
        if child == "all" {
            return Err(Diag::new(
                span,
                format!(
                    "`all` cannot be a child of `{parent}`: every group is already inside `all`"
                ),
            ));
        }
        if parent == child {
            return Err(Diag::new(
                span,
                format!("the group `{parent}` cannot be a child of itself"),
            ));
        }
        self.group(parent, span);
        self.group(child, span);
        if self.contains(child, parent) {
            return Err(Diag::new(
                span,
                format!(
                    "making `{child}` a child of `{parent}` makes a cycle: `{parent}` is already inside `{child}`"
                ),
            ));
        }
        if let Some(g) = self.inv.groups.get_mut(parent)
            && !g.children.iter().any(|c| c == child)
        {
            g.children.push(child.to_string());
        }
        Ok(())
    }

    /// Is `inner` the group `outer` or one of its descendants?
    fn contains(&self, outer: &str, inner: &str) -> bool {
        self.inv.descendants(outer).contains(&inner)
    }

    fn finish(mut self) -> Inventory {
        self.inv.reconcile();
        self.inv
    }
}

impl Inventory {
    /// Ansible's reconcile_inventory: every group without a parent goes under `all`,
    /// `all` holds every host, and `ungrouped` exactly the hosts in no other group.
    fn reconcile(&mut self) {
        let parented: HashSet<String> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter().cloned())
            .collect();
        let orphans: Vec<String> = self
            .groups
            .keys()
            .filter(|g| *g != "all" && !parented.contains(*g))
            .cloned()
            .collect();
        let grouped: HashSet<String> = self
            .groups
            .values()
            .filter(|g| g.name != "all" && g.name != "ungrouped")
            .flat_map(|g| g.hosts.iter().cloned())
            .collect();
        let real: Vec<String> = self
            .hosts
            .keys()
            .filter(|h| !self.is_implicit(h))
            .cloned()
            .collect();
        let lonely: Vec<String> = real
            .iter()
            .filter(|h| !grouped.contains(*h))
            .cloned()
            .collect();
        if let Some(all) = self.groups.get_mut("all") {
            for g in orphans {
                if !all.children.contains(&g) {
                    all.children.push(g);
                }
            }
            // `all` holds every host itself: those a source put there first, then the rest.
            append_missing(&mut all.hosts, real);
        }
        if let Some(u) = self.groups.get_mut("ungrouped") {
            u.hosts.retain(|h| !grouped.contains(h));
            append_missing(&mut u.hosts, lonely);
        }
    }
}

fn append_missing(list: &mut Vec<String>, items: Vec<String>) {
    let mut present: HashSet<String> = list.iter().cloned().collect();
    for item in items {
        if present.insert(item.clone()) {
            list.push(item);
        }
    }
}

/// Ansible's parse_address: a host name, IPv4 or IPv6 address (ranges allowed) with
/// an optional port, as `host:22` or `[::1]:22`. None when it is none of these.
pub fn parse_address(text: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = split_port(text);
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    (is_hostname(host) || is_ipv6(host)).then(|| (host.to_string(), port))
}

/// `[host]:port` or `host:port` where `host` has no `:` outside brackets.
fn split_port(text: &str) -> (&str, Option<&str>) {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(inner) = text.strip_prefix('[')
        && let Some((host, port)) = inner.rsplit_once("]:")
        && digits(port)
        && !host.is_empty()
    {
        return (host, Some(port));
    }
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                let port = &text[i + 1..];
                return if digits(port) {
                    (&text[..i], Some(port))
                } else {
                    (text, None)
                };
            }
            _ => {}
        }
    }
    (text, None)
}

/// DNS-like labels of word characters and `-` (or `[a:c]`/`[1:9]` ranges), joined by dots.
fn is_hostname(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(is_label)
}

fn is_label(label: &str) -> bool {
    let mut rest = label;
    let mut first = true;
    let mut last = ' ';
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            let Some(end) = rest.find(']') else {
                return false;
            };
            if !is_range(&rest[1..end]) {
                return false;
            }
            rest = &rest[end + 1..];
            last = ']';
        } else if c.is_alphanumeric() || c == '_' || (c == '-' && !first) {
            rest = &rest[c.len_utf8()..];
            last = c;
        } else {
            return false;
        }
        first = false;
    }
    !first && last != '-' && last != '_'
}

/// The inside of `[a:c]` or `[01:10]`, with an optional `:step`.
fn is_range(body: &str) -> bool {
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let letter = |s: &str| s.len() == 1 && s.bytes().all(|b| b.is_ascii_alphabetic());
    let pair = |a: &str, b: &str| (num(a) && num(b)) || (letter(a) && letter(b));
    match body.split(':').collect::<Vec<_>>().as_slice() {
        [a, b] => pair(a, b),
        [a, b, step] => pair(a, b) && num(step),
        _ => false,
    }
}

fn is_ipv6(text: &str) -> bool {
    text.matches(':').count() >= 2
        && !text.contains(":::")
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
}

/// A host entry of an inventory: its names (ranges expanded) and the port after `:`.
pub fn expand_host_pattern(entry: &str) -> Result<(Vec<String>, Option<u16>), String> {
    if entry.trim().is_empty() {
        return Err("a host name cannot be empty".into());
    }
    let (pattern, port) = parse_address(entry).unwrap_or_else(|| (entry.to_string(), None));
    if entry.trim_end().ends_with(':') && port.is_none() {
        return Err(format!(
            "the host `{entry}` ends with `:`, which must be followed by a port number"
        ));
    }
    let names = if pattern.contains('[') {
        let mut out = Vec::new();
        expand_ranges(&pattern, &mut out)?;
        out
    } else {
        vec![pattern]
    };
    if names.iter().any(|n| n.trim() == "---") {
        return Err("`---` is not a host name: is this a YAML file read as INI?".into());
    }
    Ok((names, port))
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Ansible's expand_hostname_range: `db[01:03].x` -> db01.x db02.x db03.x (width
/// kept), `[a:c]`, an optional step `[1:9:2]`, several ranges in one name.
pub fn expand_ranges(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Some(open) = pattern.find('[') else {
        out.push(pattern.to_string());
        return Ok(());
    };
    let Some(close) = pattern[open..].find(']').map(|i| i + open) else {
        return Err(format!("`[` without a closing `]` in the host `{pattern}`"));
    };
    let (head, body, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let bounds: Vec<&str> = body.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(format!(
            "a host range is [start:end] or [start:end:step], found `[{body}]` in `{pattern}`"
        ));
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!(
            "the host range `[{body}]` in `{pattern}` has no end"
        ));
    }
    let step = match bounds.get(2) {
        Some(s) => s.parse::<usize>().ok().filter(|s| *s > 0).ok_or_else(|| {
            format!("the step of `[{body}]` in `{pattern}` must be a positive number")
        })?,
        None => 1,
    };
    let items: Vec<String> = if let (Some(b), Some(e)) = (letter_index(begin), letter_index(end)) {
        if b > e {
            return Err(format!(
                "the host range `[{body}]` in `{pattern}` runs backwards"
            ));
        }
        ASCII_LETTERS[b..=e]
            .chars()
            .step_by(step)
            .map(String::from)
            .collect()
    } else {
        let (Ok(b), Ok(e)) = (begin.parse::<u64>(), end.parse::<u64>()) else {
            return Err(format!(
                "`[{body}]` in `{pattern}` is not a host range: use numbers [01:10] or single letters [a:f]"
            ));
        };
        let width = if begin.starts_with('0') && begin.len() > 1 {
            if begin.len() != end.len() {
                return Err(format!(
                    "the zero-padded range `[{body}]` in `{pattern}` needs a start and an end of the same width"
                ));
            }
            begin.len()
        } else {
            0
        };
        if b > e {
            return Err(format!(
                "the host range `[{body}]` in `{pattern}` runs backwards"
            ));
        }
        let count = (e - b) / step as u64 + 1;
        if count > MAX_RANGE_HOSTS as u64 {
            return Err(format!(
                "the host range `[{body}]` in `{pattern}` is too large"
            ));
        }
        (b..=e)
            .step_by(step)
            .map(|i| format!("{i:0width$}"))
            .collect()
    };
    for item in items {
        if out.len() >= MAX_RANGE_HOSTS {
            return Err(format!(
                "the host ranges in `{pattern}` expand to too many hosts"
            ));
        }
        expand_ranges(&format!("{head}{item}{tail}"), out)?;
    }
    Ok(())
}

fn letter_index(s: &str) -> Option<usize> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => ASCII_LETTERS.find(c),
        _ => None,
    }
}

/// Entries of an inventory directory that Ansible skips (hidden, backups, vars dirs,
/// INVENTORY_IGNORE_EXTS but `.ini`, which hotplay reads on purpose).
fn ignored_in_dir(name: &str) -> bool {
    const SUFFIXES: [&str; 12] = [
        "~", ".orig", ".retry", ".pyc", ".pyo", ".swp", ".bak", ".rpm", ".md", ".txt", ".rst",
        ".cfg",
    ];
    name.starts_with('.')
        || matches!(name, "group_vars" | "host_vars" | "vars_plugins")
        || SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn load_dir(dir: &Path, b: &mut Builder, depth: usize) -> DiagResult<()> {
    if depth > 16 {
        return Err(Diag::plain(format!(
            "inventory directories nest too deeply at {}",
            dir.display()
        )));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Diag::plain(format!(
                "cannot read the inventory directory {}: {e}",
                dir.display()
            ))
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !ignored_in_dir(&n.to_string_lossy()))
        })
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            load_dir(&entry, b, depth + 1)?;
        } else if entry.is_file() {
            load_file(&entry, b)?;
        }
    }
    Ok(())
}

fn load_file(path: &Path, b: &mut Builder) -> DiagResult<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diag::plain(format!("cannot read the inventory {}: {e}", path.display())))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("yml" | "yaml" | "json") => yaml::load(&super::yaml::parse_str(path, &text)?, b),
        Some("ini") => ini::load(path, &text, b),
        _ => match yaml_by_content(path, &text)? {
            Some(doc) => yaml::load(&doc, b),
            None => ini::load(path, &text, b),
        },
    }
}

/// A file without a telling extension is YAML when it starts like YAML (`---`, `key:`,
/// `{`) or parses as a mapping; Ansible likewise tries its YAML plugin before INI.
fn yaml_by_content(path: &Path, text: &str) -> DiagResult<Option<Node>> {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
    else {
        return Ok(None);
    };
    if first.starts_with('[') {
        return Ok(None);
    }
    if first.starts_with("---") || first.ends_with(':') || first.starts_with('{') {
        return super::yaml::parse_str(path, text).map(Some);
    }
    Ok(super::yaml::parse_str(path, text)
        .ok()
        .filter(|doc| doc.as_map().is_some()))
}

/// Ansible's host_list source: `h1,h2:2222,` all in `ungrouped`.
fn host_list(list: &str, b: &mut Builder) {
    for entry in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let (name, port) = parse_address(entry)
            .filter(|(h, _)| !h.contains('['))
            .unwrap_or_else(|| (entry.to_string(), None));
        if b.inv.hosts.contains_key(&name) {
            continue;
        }
        let mut vars = VarMap::new();
        if let Some(p) = port {
            vars.insert("ansible_port".into(), Value::from(p));
        }
        b.host(&name, "ungrouped", vars, Span::UNKNOWN);
    }
}

/// Ansible's find_vars_files: the first of `<base>`, `<base>.yml`, `<base>.yaml`,
/// `<base>.json` that exists; a directory gives its files, recursively, sorted.
fn vars_files(base: &Path) -> DiagResult<Vec<PathBuf>> {
    for ext in ["", ".yml", ".yaml", ".json"] {
        let mut name: OsString = base.as_os_str().to_os_string();
        name.push(ext);
        let path = PathBuf::from(name);
        if path.is_dir() {
            let mut out = Vec::new();
            dir_vars_files(&path, &mut out, 0)?;
            return Ok(out);
        }
        if path.exists() {
            return Ok(vec![path]);
        }
    }
    Ok(Vec::new())
}

fn dir_vars_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> DiagResult<()> {
    if depth > 16 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Diag::plain(format!("cannot read {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        if path.is_dir() && ext.is_none() {
            dir_vars_files(&path, out, depth + 1)?;
        } else if path.is_file() && matches!(ext.as_deref(), None | Some("yml" | "yaml" | "json")) {
            out.push(path);
        }
    }
    Ok(())
}

fn read_vars_file(path: &Path) -> DiagResult<VarMap> {
    let node = super::yaml::load_file(path)?;
    match node.to_json() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(VarMap::new()),
        _ => Err(Diag::new(
            node.span,
            format!(
                "{} must hold a mapping of variable names to values, found {}",
                path.display(),
                node.type_name()
            ),
        )),
    }
}

/// Objects with their keys sorted, at every level, as ansible-inventory prints them.
fn sorted_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

impl Inventory {
    /// Several `-i` merge. A path may be an INI file, a YAML file (by extension
    /// .yml/.yaml/.json or by content), a directory (its files, sorted, recursively,
    /// skipping hidden files, backups and group_vars/host_vars) or a host list `h1,h2,`.
    pub fn load(paths: &[PathBuf]) -> DiagResult<Inventory> {
        let mut b = Builder::new();
        for path in paths {
            let text = path.to_string_lossy();
            if !path.exists() && text.contains(',') {
                host_list(&text, &mut b);
            } else if path.is_dir() {
                load_dir(path, &mut b, 0)?;
            } else if path.is_file() {
                load_file(path, &mut b)?;
            } else {
                return Err(Diag::plain(format!(
                    "the inventory source {} does not exist",
                    path.display()
                )));
            }
            b.inv.sources.push(path.clone());
        }
        Ok(b.finish())
    }

    /// No inventory: only `all` and `ungrouped`; `localhost` still works as Ansible's
    /// implicit localhost (see `ensure_implicit_localhost`).
    pub fn empty() -> Inventory {
        Builder::new().finish()
    }

    /// Adds Ansible's implicit `localhost` (connection local, in no group, not in
    /// `all`) unless the inventory names a localhost itself; `select` returns it for
    /// `localhost`/`127.0.0.1`/`::1` but cannot add it through `&self`.
    pub fn ensure_implicit_localhost(&mut self) {
        if self
            .hosts
            .keys()
            .any(|h| LOCALHOST_NAMES.contains(&h.as_str()))
        {
            return;
        }
        let mut vars = VarMap::new();
        vars.insert("ansible_connection".into(), Value::String("local".into()));
        self.hosts.insert(
            "localhost".into(),
            Host {
                name: "localhost".into(),
                vars,
                span: Span::UNKNOWN,
            },
        );
        self.implicit_localhost = true;
    }

    /// Whether `host` is the implicit localhost (it belongs to no group, not even all).
    pub fn is_implicit(&self, host: &str) -> bool {
        self.implicit_localhost && host == "localhost"
    }

    /// The host a `localhost` pattern means: the inventory's first localhost-like host,
    /// else the implicit `localhost`.
    pub fn localhost(&self) -> String {
        self.hosts
            .keys()
            .find(|h| LOCALHOST_NAMES.contains(&h.as_str()) && !self.is_implicit(h))
            .cloned()
            .unwrap_or_else(|| "localhost".into())
    }

    /// The group and its descendants, breadth first, each once (Ansible's ordered walk).
    fn descendants<'a>(&'a self, group: &'a str) -> Vec<&'a str> {
        if !self.groups.contains_key(group) {
            return Vec::new();
        }
        let mut order = vec![group];
        let mut seen: HashSet<&str> = HashSet::from([group]);
        let mut i = 0;
        while let Some(name) = order.get(i).copied() {
            if let Some(g) = self.groups.get(name) {
                for c in &g.children {
                    if seen.insert(c.as_str()) {
                        order.push(c.as_str());
                    }
                }
            }
            i += 1;
        }
        order
    }

    /// A group's hosts as Ansible orders them: its own, then its descendants' level by
    /// level; the implicit localhost never appears.
    pub fn hosts_of(&self, group: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for g in self.descendants(group) {
            let Some(grp) = self.groups.get(g) else {
                continue;
            };
            for h in &grp.hosts {
                if !self.is_implicit(h) && seen.insert(h.as_str()) {
                    out.push(h.clone());
                }
            }
        }
        out
    }

    /// Every group a host is in, directly or through children, `all` included.
    fn groups_of(&self, host: &str) -> Vec<&str> {
        if self.is_implicit(host) {
            return Vec::new();
        }
        let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
        for g in self.groups.values() {
            for c in &g.children {
                parents.entry(c.as_str()).or_default().push(g.name.as_str());
            }
        }
        let mut out: Vec<&str> = self
            .groups
            .values()
            .filter(|g| g.hosts.iter().any(|h| h == host))
            .map(|g| g.name.as_str())
            .collect();
        let mut i = 0;
        while let Some(g) = out.get(i).copied() {
            for p in parents.get(g).into_iter().flatten() {
                if !out.contains(p) {
                    out.push(p);
                }
            }
            i += 1;
        }
        out
    }

    /// Each group's depth as Ansible counts it: the longest path down from `all`.
    fn depths(&self) -> HashMap<&str, usize> {
        let mut indegree: HashMap<&str, usize> =
            self.groups.keys().map(|k| (k.as_str(), 0)).collect();
        for g in self.groups.values() {
            for c in &g.children {
                if let Some(n) = indegree.get_mut(c.as_str()) {
                    *n += 1;
                }
            }
        }
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut depth: HashMap<&str, usize> = ready.iter().map(|g| (*g, 0)).collect();
        while let Some(g) = ready.pop() {
            let d = depth.get(g).copied().unwrap_or(0);
            let Some(grp) = self.groups.get(g) else {
                continue;
            };
            for c in &grp.children {
                let c = c.as_str();
                let e = depth.entry(c).or_insert(0);
                *e = (*e).max(d + 1);
                if let Some(n) = indegree.get_mut(c) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        ready.push(c);
                    }
                }
            }
        }
        depth
    }

    /// `ansible_group_priority` of a group's inventory vars (default 1).
    fn priority(&self, group: &str) -> i64 {
        match self
            .groups
            .get(group)
            .and_then(|g| g.vars.get("ansible_group_priority"))
        {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(1),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(1),
            _ => 1,
        }
    }

    /// The host's groups but `all` in Ansible's variable order: by depth, priority, name.
    fn sorted_groups(&self, host: &str) -> Vec<String> {
        let depths = self.depths();
        let mut groups: Vec<(usize, i64, String)> = self
            .groups_of(host)
            .into_iter()
            .filter(|g| *g != "all")
            .map(|g| {
                (
                    depths.get(g).copied().unwrap_or(1),
                    self.priority(g),
                    g.to_string(),
                )
            })
            .collect();
        groups.sort();
        groups.into_iter().map(|(_, _, g)| g).collect()
    }

    /// Ansible's `group_names`: sorted, without `all` (with `ungrouped` when in no other).
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .groups_of(host)
            .into_iter()
            .filter(|g| *g != "all")
            .map(String::from)
            .collect();
        names.sort();
        names
    }

    /// The `groups` magic var: every group -> its hosts through children, in Ansible's order.
    pub fn groups_map(&self) -> IndexMap<String, Vec<String>> {
        self.groups
            .keys()
            .map(|g| (g.clone(), self.hosts_of(g)))
            .collect()
    }

    /// Where group_vars/ and host_vars/ sit for each source: inside a directory source,
    /// beside a file; a host list has none.
    fn source_dirs(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter_map(|s| {
                if s.is_dir() {
                    Some(s.clone())
                } else if s.is_file() {
                    Some(
                        s.parent()
                            .filter(|p| !p.as_os_str().is_empty())
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|| PathBuf::from(".")),
                    )
                } else {
                    None
                }
            })
            .collect()
    }

    /// `<dir>/<kind>/<name>` merged, read once per run.
    fn var_dir_layer(&self, dir: &Path, kind: &str, name: &str) -> DiagResult<VarMap> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Ok(VarMap::new());
        }
        let base = dir.join(kind).join(name);
        if let Some(vars) = self.cached_vars().get(&base) {
            return Ok(vars.clone());
        }
        let mut merged = VarMap::new();
        for file in vars_files(&base)? {
            merged.extend(read_vars_file(&file)?);
        }
        self.cached_vars().insert(base, merged.clone());
        Ok(merged)
    }

    fn cached_vars(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, VarMap>> {
        self.var_files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A group's inventory-file vars as a layer (`ansible_group_priority` is no variable).
    fn group_layer(&self, group: &str) -> VarMap {
        let mut vars = self
            .groups
            .get(group)
            .map(|g| g.vars.clone())
            .unwrap_or_default();
        vars.remove("ansible_group_priority");
        vars
    }

    /// The host's variables from inventory sources, lowest precedence first, one VarMap
    /// per non-empty layer: inventory-file group vars (`all`, then the host's groups by
    /// depth, priority, name), inventory group_vars/all, playbook group_vars/all,
    /// inventory group_vars/<g> (every source, in order, each in group order), playbook
    /// group_vars/<g>, inventory-file host vars, inventory host_vars/<host>, playbook
    /// host_vars/<host>.
    pub fn host_var_layers(
        &self,
        host: &str,
        playbook_dir: Option<&Path>,
    ) -> DiagResult<Vec<VarMap>> {
        let groups = self.sorted_groups(host);
        let inv_dirs = self.source_dirs();
        let pb_dirs: Vec<&Path> = playbook_dir.into_iter().collect();
        let mut layers = vec![self.group_layer("all")];
        layers.extend(groups.iter().map(|g| self.group_layer(g)));
        for d in &inv_dirs {
            layers.push(self.var_dir_layer(d, "group_vars", "all")?);
        }
        for d in &pb_dirs {
            layers.push(self.var_dir_layer(d, "group_vars", "all")?);
        }
        for d in &inv_dirs {
            for g in &groups {
                layers.push(self.var_dir_layer(d, "group_vars", g)?);
            }
        }
        for d in &pb_dirs {
            for g in &groups {
                layers.push(self.var_dir_layer(d, "group_vars", g)?);
            }
        }
        if let Some(h) = self.hosts.get(host) {
            layers.push(h.vars.clone());
        } else if LOCALHOST_NAMES.contains(&host) {
            // ansible-inventory --host localhost without one in the inventory.
            let mut vars = VarMap::new();
            vars.insert("ansible_connection".into(), Value::String("local".into()));
            layers.push(vars);
        }
        for d in &inv_dirs {
            layers.push(self.var_dir_layer(d, "host_vars", host)?);
        }
        for d in &pb_dirs {
            layers.push(self.var_dir_layer(d, "host_vars", host)?);
        }
        layers.retain(|l| !l.is_empty());
        Ok(layers)
    }

    /// `hotplay inventory --host H`: the host's merged inventory vars, keys sorted.
    pub fn host_json(&self, host: &str, playbook_dir: Option<&Path>) -> DiagResult<Value> {
        if !self.hosts.contains_key(host) && !LOCALHOST_NAMES.contains(&host) {
            return Err(Diag::plain(format!(
                "you must pass a single valid host to --host: `{host}` is not in the inventory"
            ))
            .suggest(host, self.hosts.keys().map(String::as_str)));
        }
        let mut merged = VarMap::new();
        for layer in self.host_var_layers(host, playbook_dir)? {
            merged.extend(layer);
        }
        Ok(sorted_keys(Value::Object(merged)))
    }

    /// `hotplay inventory --list`: ansible-inventory's JSON (`_meta.hostvars` with each
    /// host's merged vars, every non-empty group with its direct hosts and children).
    pub fn to_list_json(&self, playbook_dir: Option<&Path>) -> DiagResult<Value> {
        let mut out = VarMap::new();
        let mut seen = HashSet::new();
        self.list_group("all", &mut out, &mut seen);
        let mut hostvars = VarMap::new();
        for host in self.hosts_of("all") {
            let vars = self.host_json(&host, playbook_dir)?;
            if vars.as_object().is_some_and(|m| !m.is_empty()) {
                hostvars.insert(host, vars);
            }
        }
        let mut meta = VarMap::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        out.insert("_meta".into(), Value::Object(meta));
        Ok(sorted_keys(Value::Object(out)))
    }

    /// One group of `--list` and, once each, its descendants; empty groups are left out
    /// (but stay named among their parent's children).
    fn list_group(&self, name: &str, out: &mut VarMap, seen: &mut HashSet<String>) {
        let Some(group) = self.groups.get(name) else {
            return;
        };
        let mut entry = VarMap::new();
        if name != "all" {
            let hosts: Vec<Value> = group
                .hosts
                .iter()
                .filter(|h| !self.is_implicit(h))
                .map(|h| Value::String(h.clone()))
                .collect();
            if !hosts.is_empty() {
                entry.insert("hosts".into(), Value::Array(hosts));
            }
        }
        if !group.children.is_empty() {
            entry.insert("children".into(), Value::from(group.children.clone()));
        }
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
        for child in &group.children {
            if seen.insert(child.clone()) {
                self.list_group(child, out, seen);
            }
        }
    }

    /// `hotplay inventory --graph [GROUP]`, exactly as ansible-inventory draws it:
    /// child groups first, then hosts; `all` lists no hosts of its own. An unknown
    /// group draws nothing (the caller checks `groups` to report it).
    pub fn graph(&self, group: Option<&str>) -> String {
        let mut out = String::new();
        self.graph_group(group.unwrap_or("all"), 0, &mut out);
        out
    }

    fn graph_group(&self, name: &str, depth: usize, out: &mut String) {
        let Some(group) = self.groups.get(name) else {
            return;
        };
        out.push_str(&graph_line(&format!("@{name}:"), depth));
        if depth > 64 {
            return;
        }
        for child in &group.children {
            self.graph_group(child, depth + 1, out);
        }
        if name != "all" {
            for host in group.hosts.iter().filter(|h| !self.is_implicit(h)) {
                out.push_str(&graph_line(host, depth + 1));
            }
        }
    }
}

fn graph_line(name: &str, depth: usize) -> String {
    if depth == 0 {
        format!("{name}\n")
    } else {
        format!("{}--{name}\n", "  |".repeat(depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    fn inv(name: &str, text: &str) -> (tempfile::TempDir, Inventory) {
        let d = tempfile::tempdir().expect("tmp");
        let p = write(d.path(), name, text);
        let i = Inventory::load(&[p]).unwrap_or_else(|e| panic!("{e}"));
        (d, i)
    }

    fn load_err(name: &str, text: &str) -> Diag {
        let d = tempfile::tempdir().expect("tmp");
        let p = write(d.path(), name, text);
        match Inventory::load(&[p]) {
            Ok(_) => panic!("{text:?} loaded"),
            Err(e) => e,
        }
    }

    fn at(e: &Diag) -> (u32, u32) {
        (e.span.line, e.span.col)
    }

    fn names<T>(m: &IndexMap<String, T>) -> Vec<&str> {
        m.keys().map(String::as_str).collect()
    }

    fn merged(i: &Inventory, host: &str, pb: Option<&Path>) -> VarMap {
        i.host_var_layers(host, pb)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .flatten()
            .collect()
    }

    /// The value of `who` in each layer that sets it, lowest first.
    fn whos(i: &Inventory, host: &str, pb: Option<&Path>) -> Vec<String> {
        i.host_var_layers(host, pb)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .filter_map(|l| l.get("who").and_then(Value::as_str).map(String::from))
            .collect()
    }

    const INI: &str = "\
lonely ansible_host=10.0.0.9
; a comment
# another
[db]
db[01:03].example.com port=3306 ratio=1.5 flag=True off=false name='a b' n=\"1\" s=\"'1'\" l=\"[1, 2]\"  # trailing
[web]
w[a:c]:2222
lonely
[cluster:children]
db
web
[cluster:vars]
vip=10.0.0.100
count=3
";

    #[test]
    fn ini_hosts_groups_and_vars() {
        let (_d, i) = inv("hosts", INI);
        assert_eq!(
            names(&i.hosts),
            [
                "lonely",
                "db01.example.com",
                "db02.example.com",
                "db03.example.com",
                "wa",
                "wb",
                "wc"
            ]
        );
        let db = &i.hosts["db02.example.com"];
        assert_eq!((db.span.line, db.span.col), (5, 1));
        let expected = json!({"port": 3306, "ratio": 1.5, "flag": true, "off": "false",
            "name": "a b", "n": 1, "s": "1", "l": [1, 2]});
        assert_eq!(Value::Object(db.vars.clone()), expected);
        assert_eq!(i.hosts["wa"].vars["ansible_port"], 2222);
        assert_eq!(i.hosts["lonely"].vars["ansible_host"], "10.0.0.9");
        assert_eq!(
            names(&i.groups),
            ["all", "ungrouped", "db", "web", "cluster"]
        );
        assert_eq!(i.groups["all"].children, ["ungrouped", "cluster"]);
        assert_eq!(i.groups["cluster"].children, ["db", "web"]);
        assert_eq!(i.groups["cluster"].vars["vip"], "10.0.0.100");
        assert_eq!(i.groups["cluster"].vars["count"], 3);
        // `lonely` joined `web` later, so it is no longer ungrouped.
        assert!(i.groups["ungrouped"].hosts.is_empty());
        assert_eq!(i.group_names("lonely"), ["cluster", "web"]);
        assert_eq!(i.group_names("wa"), ["cluster", "web"]);
        assert_eq!(
            i.hosts_of("cluster"),
            [
                "db01.example.com",
                "db02.example.com",
                "db03.example.com",
                "wa",
                "wb",
                "wc",
                "lonely"
            ]
        );
        assert_eq!(merged(&i, "db01.example.com", None)["vip"], "10.0.0.100");
    }

    #[test]
    fn ini_ungrouped_and_all_sections() {
        let (_d, i) = inv("hosts", "h1\n[g]\nh2\n");
        assert_eq!(i.groups["ungrouped"].hosts, ["h1"]);
        assert_eq!(i.group_names("h1"), ["ungrouped"]);
        assert_eq!(i.group_names("h2"), ["g"]);
        let (_d, i) = inv("hosts", "[all:vars]\nx=1\n[all]\nh1\n[g]\nh2\n");
        assert_eq!(i.groups["ungrouped"].hosts, ["h1"]);
        assert_eq!(i.groups["all"].hosts, ["h1", "h2"]);
        assert_eq!(merged(&i, "h2", None)["x"], 1);
    }

    #[test]
    fn ini_children_defined_later() {
        let (_d, i) = inv(
            "hosts",
            "[p:children]\nc\n[g:vars]\na=1\n[c]\nh1\n[g]\nh2\n",
        );
        assert_eq!(i.groups["p"].children, ["c"]);
        assert_eq!(i.groups["g"].vars["a"], 1);
        assert_eq!(i.group_names("h1"), ["c", "p"]);
        assert_eq!(i.groups["all"].children, ["ungrouped", "p", "g"]);
    }

    #[test]
    fn ini_errors_have_positions() {
        let e = load_err("hosts", "[p:children]\ndb\n[dbs]\nh\n");
        assert_eq!(at(&e), (2, 1));
        assert!(e.message.contains("names `db`"), "{}", e.message);
        assert!(e.notes.iter().any(|n| n.contains("`dbs`")), "{:?}", e.notes);
        let e = load_err("hosts", "h0\n[g:vars]\na=1\n");
        assert_eq!(at(&e), (2, 1));
        assert!(
            e.message.contains("[g:vars] sets variables of `g`"),
            "{}",
            e.message
        );
        let e = load_err("hosts", "[a:children]\nb\n[b:children]\na\n");
        assert_eq!(at(&e), (4, 1));
        assert!(e.message.contains("cycle"), "{}", e.message);
        let e = load_err("hosts", "[a:children]\n  a\n");
        assert_eq!(at(&e), (2, 3));
        assert!(e.message.contains("child of itself"), "{}", e.message);
        let e = load_err("hosts", "[a:children]\nall\n");
        assert!(
            e.message.contains("`all` cannot be a child"),
            "{}",
            e.message
        );
        let e = load_err("hosts", "[a]\nh1\n[a:childs]\n");
        assert_eq!(at(&e), (3, 1));
        assert!(e.message.contains("unknown section suffix `:childs`"));
        assert_eq!(
            e.notes.last().map(String::as_str),
            Some("did you mean `children`?")
        );
        let e = load_err("hosts", "[a]\nh1 novalue\n");
        assert_eq!(at(&e), (2, 4));
        assert!(e.message.contains("key=value"), "{}", e.message);
        let e = load_err("hosts", "[a]\n   h1 x=1 bad\n");
        assert_eq!(at(&e), (2, 11));
        let e = load_err("hosts", "[a]\nh1 x='open\n");
        assert_eq!(at(&e), (2, 6));
        assert!(e.message.contains("no closing quotation"));
        let e = load_err("hosts", "[a b]\n");
        assert!(e.message.contains("invalid section header"));
        let e = load_err("hosts", "[p:children]\na b\n");
        assert!(e.message.contains("expected one group name"));
        let e = load_err("hosts", "[a]\nh1:\n");
        assert!(e.message.contains("ends with `:`"), "{}", e.message);
        let e = load_err("hosts", "[a]\n  db[3:1]\n");
        assert_eq!(at(&e), (2, 3));
        assert!(e.message.contains("runs backwards"), "{}", e.message);
        let e = load_err("hosts", "[a:vars]\nnovalue\n");
        assert_eq!(at(&e), (2, 1));
        let e = load_err("hosts.ini", "---\nall:\n");
        assert!(e.message.contains("YAML"), "{}", e.message);
        // The rendered error names file:line:col and shows the line.
        let text = load_err("hosts", "[a]\nh1 novalue\n").to_string();
        assert!(text.contains("hosts:2:4"), "{text}");
        assert!(text.contains("2 | h1 novalue"), "{text}");
    }

    #[test]
    fn ranges_and_addresses() {
        let expand = |p: &str| {
            let mut out = Vec::new();
            expand_ranges(p, &mut out).map(|_| out)
        };
        assert_eq!(expand("x[8:10:2]").unwrap(), ["x8", "x10"]);
        assert_eq!(expand("x[08:10:2]").unwrap(), ["x08", "x10"]);
        assert_eq!(expand("[a:b]-[1:2]").unwrap(), ["a-1", "a-2", "b-1", "b-2"]);
        assert_eq!(expand("h[:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(expand("[y:B]").unwrap(), ["y", "z", "A", "B"]);
        assert_eq!(expand("[a:e:2]").unwrap(), ["a", "c", "e"]);
        for bad in [
            "x[3:1]",
            "x[01:100]",
            "x[1:]",
            "x[1:3:0]",
            "x[1",
            "x[a:10]",
            "x[1:2:3:4]",
            "x[1:100000000]",
        ] {
            assert!(expand(bad).is_err(), "{bad}");
        }
        let addr = |s: &str| parse_address(s);
        assert_eq!(addr("h:22"), Some(("h".into(), Some(22))));
        assert_eq!(addr("[::1]:22"), Some(("::1".into(), Some(22))));
        assert_eq!(addr("fe80::1"), Some(("fe80::1".into(), None)));
        assert_eq!(addr("db[1:3]:22"), Some(("db[1:3]".into(), Some(22))));
        assert_eq!(addr("10.0.0.[1:3]"), Some(("10.0.0.[1:3]".into(), None)));
        for bad in ["a:b", "h:99999", "-bad", "web_", "a..b", "h[0]", "~x", ""] {
            assert_eq!(addr(bad), None, "{bad}");
        }
        assert_eq!(
            expand_host_pattern("[::1]:2222").unwrap(),
            (vec!["::1".to_string()], Some(2222))
        );
    }

    const YAML: &str = "\
all:
  vars:
    x: 1
  hosts:
    h1:
    h2: {ansible_host: 10.0.0.2}
  children:
    db:
      hosts:
        db[1:2]:2222: {role: m}
      vars: {y: 2}
    web:
      hosts: w1
      children:
        edge:
          hosts:
            e1:
other:
  hosts:
    o1:
";

    #[test]
    fn yaml_inventory() {
        let (_d, i) = inv("inv.yml", YAML);
        assert_eq!(
            names(&i.hosts),
            ["h1", "h2", "db1", "db2", "w1", "e1", "o1"]
        );
        assert_eq!(i.hosts["db1"].vars["role"], "m");
        assert_eq!(i.hosts["db2"].vars["ansible_port"], 2222);
        assert_eq!(i.hosts["h2"].vars["ansible_host"], "10.0.0.2");
        assert_eq!(i.groups["db"].vars["y"], 2);
        assert_eq!(i.groups["all"].vars["x"], 1);
        assert_eq!(i.groups["web"].children, ["edge"]);
        assert_eq!(
            i.groups["all"].children,
            ["ungrouped", "db", "web", "other"]
        );
        assert_eq!(i.groups["ungrouped"].hosts, ["h1", "h2"]);
        assert_eq!(i.group_names("h1"), ["ungrouped"]);
        assert_eq!(i.group_names("e1"), ["edge", "web"]);
        assert_eq!(i.hosts_of("web"), ["w1", "e1"]);
        assert_eq!(merged(&i, "db1", None)["y"], 2);
        // Hosts a source puts in `all` itself come first in `all`.
        let (_d, i) = inv(
            "inv.yaml",
            "all:\n  children:\n    db: {hosts: {d1: }}\n  hosts:\n    h1:\n",
        );
        assert_eq!(names(&i.hosts), ["d1", "h1"]);
        assert_eq!(i.hosts_of("all"), ["h1", "d1"]);
    }

    #[test]
    fn yaml_errors_have_positions() {
        let e = load_err("inv.yml", "all:\n  hosts:\n    - h1\n");
        assert_eq!(e.message, "`hosts` must be a mapping, found a list");
        assert_eq!(at(&e), (3, 5));
        let e = load_err("inv.yml", "all:\n  host:\n    h1:\n");
        assert_eq!(at(&e), (2, 3));
        assert_eq!(
            e.notes.last().map(String::as_str),
            Some("did you mean `hosts`?")
        );
        let e = load_err("inv.yml", "all:\n  hosts:\n    h1: [1]\n");
        assert_eq!(at(&e), (3, 9));
        assert!(
            e.message.contains("variables of the host `h1`"),
            "{}",
            e.message
        );
        let e = load_err("inv.yml", "web: [a]\n");
        assert_eq!(at(&e), (1, 6));
        let e = load_err("inv.yml", "plugin: aws_ec2\n");
        assert!(e.message.contains("not supported"));
        let e = load_err(
            "inv.yml",
            "a:\n  children:\n    b:\n      children:\n        a:\n",
        );
        assert!(e.message.contains("cycle"), "{}", e.message);
        let e = load_err("inv.yml", "all:\n  hosts:\n    db[3:1]:\n");
        assert_eq!(at(&e), (3, 5));
        let e = load_err("inv.yml", "all:\n  hosts: [\n");
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
        let e = load_err("inventory", "all:\n  hosts: [\n");
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
    }

    #[test]
    fn format_by_content() {
        let (_d, i) = inv("inventory", "# yaml\nall:\n  hosts:\n    y1:\n");
        assert_eq!(names(&i.hosts), ["y1"]);
        let (_d, i) = inv("inventory", "{all: {hosts: {y2: }}}\n");
        assert_eq!(names(&i.hosts), ["y2"]);
        let (_d, i) = inv("inv.json", r#"{"all": {"hosts": {"j1": {"a": 1}}}}"#);
        assert_eq!(i.hosts["j1"].vars["a"], 1);
        let (_d, i) = inv("production", "h1 a=1\n");
        assert_eq!(i.hosts["h1"].vars["a"], 1);
        let (_d, i) = inv("empty.yml", "");
        assert!(i.hosts.is_empty());
    }

    #[test]
    fn directories_lists_and_several_sources() {
        let d = tempfile::tempdir().expect("tmp");
        let dir = d.path().join("inv");
        write(&dir, "10-web.ini", "[web]\nw1\n");
        write(&dir, "20-db.yml", "db:\n  hosts:\n    d1:\n");
        write(&dir, "sub/30-extra", "[extra]\nx1\n");
        for junk in [
            "hosts.retry",
            "old.orig",
            "backup~",
            ".hidden",
            "README.md",
            "ansible.cfg",
            "notes.txt",
            "group_vars/all.yml",
            "host_vars/w1.yml",
        ] {
            write(&dir, junk, "[[[ not an inventory\n");
        }
        let i = Inventory::load(&[dir.clone(), PathBuf::from("a1,a2:2222,")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&i.hosts), ["w1", "d1", "x1", "a1", "a2"]);
        assert_eq!(i.hosts["a2"].vars["ansible_port"], 2222);
        assert_eq!(i.groups["ungrouped"].hosts, ["a1", "a2"]);
        assert_eq!(i.sources.len(), 2);
        let e = Inventory::load(&[d.path().join("missing")]).unwrap_err();
        assert!(e.message.contains("does not exist"), "{}", e.message);
        // Two files merge: a host and a group seen in both.
        let a = write(d.path(), "a.ini", "[g]\nh1 x=1\n");
        let b = write(d.path(), "b.yml", "g:\n  hosts:\n    h1: {y: 2}\n    h2:\n");
        let i = Inventory::load(&[a, b]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(i.hosts_of("g"), ["h1", "h2"]);
        assert_eq!(
            Value::Object(i.hosts["h1"].vars.clone()),
            json!({"x": 1, "y": 2})
        );
    }

    #[test]
    fn host_var_layers_in_ansible_precedence() {
        let d = tempfile::tempdir().expect("tmp");
        let root = d.path();
        write(
            root,
            "inv/hosts",
            "[parent:children]\nchild\n[child]\nh1 who=inv_host\n[parent:vars]\nwho=inv_parent\n\
             [child:vars]\nwho=inv_child\n[all:vars]\nwho=inv_all\n",
        );
        write(root, "inv/group_vars/all.yml", "who: gv_all\n");
        write(root, "inv/group_vars/parent.yml", "who: gv_parent\n");
        write(
            root,
            "inv/group_vars/child/10.yml",
            "who: gv_child_10\na: 1\n",
        );
        write(
            root,
            "inv/group_vars/child/20.yaml",
            "who: gv_child_20\nb: 2\n",
        );
        write(
            root,
            "inv/group_vars/child/sub/30.json",
            r#"{"who": "gv_child_30"}"#,
        );
        write(root, "inv/group_vars/child/.hidden.yml", "who: hidden\n");
        write(root, "inv/group_vars/child/x.yml~", "who: backup\n");
        write(root, "inv/group_vars/child/notes.txt", "who: notes\n");
        write(root, "inv/host_vars/h1", "who: hv_h1\n");
        write(root, "inv/host_vars/h1.yml", "who: not_read\n");
        write(root, "pb/group_vars/all.yaml", "who: pb_all\n");
        write(root, "pb/group_vars/parent.json", r#"{"who": "pb_parent"}"#);
        write(root, "pb/group_vars/child.yml", "who: pb_child\n");
        write(root, "pb/host_vars/h1.yml", "who: pb_h1\n");
        let i = Inventory::load(&[root.join("inv/hosts")]).unwrap_or_else(|e| panic!("{e}"));
        let pb = root.join("pb");
        assert_eq!(
            whos(&i, "h1", Some(&pb)),
            [
                "inv_all",
                "inv_parent",
                "inv_child",
                "gv_all",
                "pb_all",
                "gv_parent",
                "gv_child_30",
                "pb_parent",
                "pb_child",
                "inv_host",
                "hv_h1",
                "pb_h1"
            ]
        );
        let all = merged(&i, "h1", Some(&pb));
        assert_eq!(
            (&all["who"], &all["a"], &all["b"]),
            (&json!("pb_h1"), &json!(1), &json!(2))
        );
        // Without a playbook dir, only the inventory's files count.
        assert_eq!(merged(&i, "h1", None)["who"], "hv_h1");
    }

    #[test]
    fn group_order_depth_priority_and_sources() {
        let (_d, i) = inv("hosts", "[b]\nh\n[a]\nh\n[a:vars]\nv=a\n[b:vars]\nv=b\n");
        assert_eq!(merged(&i, "h", None)["v"], "b");
        let (_d, i) = inv(
            "hosts",
            "[b]\nh\n[a]\nh\n[a:vars]\nv=a\nansible_group_priority=10\n[b:vars]\nv=b\n",
        );
        let vars = merged(&i, "h", None);
        assert_eq!(vars["v"], "a");
        assert!(!vars.contains_key("ansible_group_priority"));
        // group_vars of several sources: source by source, each in group order.
        let d = tempfile::tempdir().expect("tmp");
        let x = write(d.path(), "x/hosts", "[g]\nh\n");
        write(d.path(), "x/group_vars/all.yml", "who: x_all\n");
        write(d.path(), "x/group_vars/g.yml", "who: x_g\n");
        write(d.path(), "y/inv.yml", "g:\n  hosts:\n    h:\n");
        write(d.path(), "y/group_vars/all.yml", "who: y_all\n");
        write(d.path(), "y/group_vars/g.yml", "who: y_g\n");
        let i = Inventory::load(&[x, d.path().join("y")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whos(&i, "h", None), ["x_all", "y_all", "x_g", "y_g"]);
    }

    #[test]
    fn var_files_errors_and_cache() {
        let d = tempfile::tempdir().expect("tmp");
        let hosts = write(d.path(), "hosts", "h1\n");
        let gv = write(d.path(), "group_vars/all.yml", "a: [1\n");
        let i = Inventory::load(std::slice::from_ref(&hosts)).unwrap_or_else(|e| panic!("{e}"));
        let e = i.host_var_layers("h1", None).unwrap_err();
        assert!(e.span.path().ends_with("group_vars/all.yml"), "{e}");
        assert!(e.span.line >= 1);
        std::fs::write(&gv, "- 1\n").expect("w");
        let e = i.host_var_layers("h1", None).unwrap_err();
        assert!(e.message.contains("must hold a mapping"), "{}", e.message);
        assert_eq!(at(&e), (1, 1));
        std::fs::write(&gv, "who: first\n").expect("w");
        assert_eq!(merged(&i, "h1", None)["who"], "first");
        std::fs::write(&gv, "who: second\n").expect("w");
        assert_eq!(merged(&i, "h1", None)["who"], "first", "read once per run");
    }

    #[test]
    fn groups_map_and_implicit_localhost() {
        let (_d, mut i) = inv(
            "hosts",
            "[a]\nh1\n[b:children]\na\n[b]\nh2\n[all:vars]\nz=0\n",
        );
        let map = i.groups_map();
        assert_eq!(names(&map), ["all", "ungrouped", "a", "b"]);
        assert_eq!(map["all"], ["h1", "h2"]);
        assert!(map["ungrouped"].is_empty());
        assert_eq!(map["b"], ["h2", "h1"]);
        assert_eq!(i.group_names("h1"), ["a", "b"]);
        i.ensure_implicit_localhost();
        assert!(i.is_implicit("localhost"));
        assert!(i.group_names("localhost").is_empty());
        assert_eq!(i.groups_map()["all"], ["h1", "h2"]);
        let vars = merged(&i, "localhost", None);
        assert_eq!(
            Value::Object(vars),
            json!({"z": 0, "ansible_connection": "local"})
        );
    }

    const LISTED: &str = "lone x=1\n[db]\ndb1 a=1\n[web]\nw1\n[empty]\n[prod:children]\ndb\nempty\n[all:vars]\nz=0\n";

    #[test]
    fn list_json_like_ansible_inventory() {
        let (_d, i) = inv("hosts", LISTED);
        let v = i.to_list_json(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            v,
            json!({
                "_meta": {"hostvars": {
                    "db1": {"a": 1, "z": 0},
                    "lone": {"x": 1, "z": 0},
                    "w1": {"z": 0}
                }},
                "all": {"children": ["ungrouped", "web", "prod"]},
                "db": {"hosts": ["db1"]},
                "prod": {"children": ["db", "empty"]},
                "ungrouped": {"hosts": ["lone"]},
                "web": {"hosts": ["w1"]}
            })
        );
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"_meta":{"hostvars":{"db1":{"a":1,"z":0}"#),
            "{text}"
        );
        assert_eq!(
            i.host_json("db1", None).unwrap_or_else(|e| panic!("{e}")),
            json!({"a": 1, "z": 0})
        );
        assert_eq!(
            i.host_json("localhost", None)
                .unwrap_or_else(|e| panic!("{e}")),
            json!({"ansible_connection": "local", "z": 0})
        );
        let e = i.host_json("db2", None).unwrap_err();
        assert!(e.message.contains("not in the inventory"), "{}", e.message);
        assert_eq!(
            e.notes.last().map(String::as_str),
            Some("did you mean `db1`?")
        );
        assert_eq!(
            Inventory::empty().to_list_json(None).unwrap_or_default(),
            json!({"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}})
        );
    }

    #[test]
    fn graph_like_ansible_inventory() {
        let (_d, i) = inv("hosts", LISTED);
        assert_eq!(
            i.graph(None),
            "@all:\n  |--@ungrouped:\n  |  |--lone\n  |--@web:\n  |  |--w1\n  |--@prod:\n  |  |--@db:\n  |  |  |--db1\n  |  |--@empty:\n"
        );
        assert_eq!(
            i.graph(Some("prod")),
            "@prod:\n  |--@db:\n  |  |--db1\n  |--@empty:\n"
        );
        assert_eq!(i.graph(Some("nope")), "");
        assert_eq!(Inventory::empty().graph(None), "@all:\n  |--@ungrouped:\n");
    }
}
