//! Inventories: INI and YAML files, directories of them, and `h1,h2,` host lists;
//! several merge. Variables from group_vars/ and host_vars/ beside the inventory
//! and the playbook, in Ansible's precedence.

mod ini;
mod yaml;

use super::source::Span;
use super::{Diag, DiagResult};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub type VarMap = serde_json::Map<String, Value>;

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

#[derive(Debug, Default)]
pub struct Inventory {
    pub hosts: IndexMap<String, Host>,
    pub groups: IndexMap<String, Group>,
    pub sources: Vec<PathBuf>,
    /// group_vars/host_vars files, read once per run.
    var_files: Mutex<HashMap<PathBuf, Option<VarMap>>>,
    implicit_localhost: bool,
}

/// Collects hosts and groups while files are read.
#[derive(Default)]
pub struct Builder {
    inv: Inventory,
}

impl Builder {
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

    fn host(&mut self, name: &str, group: &str, vars: VarMap, span: Span) {
        let h = self
            .inv
            .hosts
            .entry(name.to_string())
            .or_insert_with(|| Host {
                name: name.to_string(),
                vars: VarMap::new(),
                span,
            });
        h.vars.extend(vars);
        self.group(group, span);
        if let Some(g) = self.inv.groups.get_mut(group)
            && !g.hosts.iter().any(|x| x == name)
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
        if parent == child {
            return Err(Diag::new(
                span,
                format!("the group `{parent}` cannot be its own child"),
            ));
        }
        self.group(parent, span);
        self.group(child, span);
        if self.is_ancestor(child, parent) {
            return Err(Diag::new(
                span,
                format!("adding `{child}` as a child of `{parent}` makes a cycle"),
            ));
        }
        if let Some(g) = self.inv.groups.get_mut(parent)
            && !g.children.iter().any(|c| c == child)
        {
            g.children.push(child.to_string());
        }
        Ok(())
    }

    /// Is `a` an ancestor of (or equal to) `b`?
    fn is_ancestor(&self, a: &str, b: &str) -> bool {
        let mut stack = vec![a.to_string()];
        let mut seen = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if g == b {
                return true;
            }
            if !seen.insert(g.clone()) {
                continue;
            }
            if let Some(grp) = self.inv.groups.get(&g) {
                stack.extend(grp.children.iter().cloned());
            }
        }
        false
    }

    fn finish(mut self) -> Inventory {
        self.group("all", Span::UNKNOWN);
        self.group("ungrouped", Span::UNKNOWN);
        let all_children: Vec<String> = self
            .inv
            .groups
            .keys()
            .filter(|g| *g != "all")
            .cloned()
            .collect();
        let parented: std::collections::HashSet<String> = self
            .inv
            .groups
            .values()
            .flat_map(|g| g.children.iter().cloned())
            .collect();
        for g in all_children {
            if !parented.contains(&g)
                && let Some(all) = self.inv.groups.get_mut("all")
                && !all.children.contains(&g)
            {
                all.children.push(g);
            }
        }
        // Hosts in no group but all are in ungrouped.
        let grouped: std::collections::HashSet<String> = self
            .inv
            .groups
            .values()
            .filter(|g| g.name != "all" && g.name != "ungrouped")
            .flat_map(|g| g.hosts.iter().cloned())
            .collect();
        let lonely: Vec<String> = self
            .inv
            .hosts
            .keys()
            .filter(|h| !grouped.contains(*h))
            .cloned()
            .collect();
        if let Some(u) = self.inv.groups.get_mut("ungrouped") {
            u.hosts.retain(|h| lonely.contains(h));
            for h in lonely {
                if !u.hosts.contains(&h) {
                    u.hosts.push(h);
                }
            }
        }
        if let Some(all) = self.inv.groups.get_mut("all") {
            all.hosts.clear();
        }
        self.inv
    }
}

/// INI values as Ansible reads them: numbers, True/False, quoted strings unquoted.
pub fn literal(v: &str) -> Value {
    let v = v.trim();
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        return Value::String(v[1..v.len() - 1].to_string());
    }
    if let Ok(i) = v.parse::<i64>() {
        return Value::from(i);
    }
    if v.contains('.')
        && let Ok(f) = v.parse::<f64>()
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && v.matches('.').count() == 1
    {
        return Value::from(f);
    }
    match v {
        "True" | "true" => Value::Bool(true),
        "False" | "false" => Value::Bool(false),
        "None" => Value::Null,
        _ => Value::String(v.to_string()),
    }
}

/// `db[01:03].x` -> db01.x db02.x db03.x; `[a:c]`; stride `[1:10:2]`.
pub fn expand_ranges(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| i + open)
        .ok_or_else(|| format!("unclosed `[` in host pattern `{pattern}`"))?;
    let (head, body, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = body.split(':').collect();
    let (start, end, stride) = match parts.as_slice() {
        [a, b] => (*a, *b, 1usize),
        [a, b, s] => (
            *a,
            *b,
            s.parse::<usize>()
                .map_err(|_| format!("bad stride in `{pattern}`"))?,
        ),
        _ => {
            return Err(format!(
                "a host range needs [start:end], found `[{body}]` in `{pattern}`"
            ));
        }
    };
    if stride == 0 {
        return Err(format!("the stride in `{pattern}` must not be 0"));
    }
    let mut items = Vec::new();
    if let (Ok(s), Ok(e)) = (start.parse::<u64>(), end.parse::<u64>()) {
        if s > e {
            return Err(format!("the range in `{pattern}` runs backwards"));
        }
        let width = if start.starts_with('0') && start.len() > 1 {
            start.len()
        } else {
            0
        };
        let mut i = s;
        while i <= e {
            items.push(format!("{i:0width$}"));
            i += stride as u64;
        }
    } else if start.len() == 1
        && end.len() == 1
        && start.chars().all(|c| c.is_ascii_alphabetic())
        && end.chars().all(|c| c.is_ascii_alphabetic())
    {
        let (s, e) = (start.as_bytes()[0], end.as_bytes()[0]);
        if s > e {
            return Err(format!("the range in `{pattern}` runs backwards"));
        }
        items.extend((s..=e).step_by(stride).map(|c| (c as char).to_string()));
    } else {
        return Err(format!("bad host range `[{body}]` in `{pattern}`"));
    }
    let mut out = Vec::new();
    for it in items {
        for rest in expand_ranges(tail)? {
            out.push(format!("{head}{it}{rest}"));
        }
    }
    Ok(out)
}

fn is_yaml(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml" | "json") => true,
        Some("ini" | "cfg") => false,
        _ => {
            let first = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
            first.is_some_and(|l| {
                l == "---" || (l.ends_with(':') && !l.starts_with('[')) || l.starts_with("all:")
            })
        }
    }
}

fn skip_in_dir(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".retry")
        || name.ends_with(".orig")
        || name.ends_with(".pyc")
        || name == "group_vars"
        || name == "host_vars"
}

impl Inventory {
    pub fn empty() -> Inventory {
        Builder::default().finish()
    }

    pub fn load(paths: &[PathBuf]) -> DiagResult<Inventory> {
        let mut b = Builder::default();
        for p in paths {
            let s = p.to_string_lossy();
            if !p.exists() && s.contains(',') {
                for h in s.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                    b.host(h, "ungrouped", VarMap::new(), Span::UNKNOWN);
                }
                continue;
            }
            if p.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                    .map_err(|e| {
                        Diag::plain(format!(
                            "cannot read inventory directory {}: {e}",
                            p.display()
                        ))
                    })?
                    .flatten()
                    .map(|e| e.path())
                    .filter(|f| {
                        f.is_file()
                            && !skip_in_dir(
                                &f.file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            )
                    })
                    .collect();
                files.sort();
                for f in files {
                    load_file(&f, &mut b)?;
                }
            } else if p.is_file() {
                load_file(p, &mut b)?;
            } else {
                return Err(Diag::plain(format!(
                    "the inventory source {} does not exist",
                    p.display()
                )));
            }
            b.inv.sources.push(p.clone());
        }
        Ok(b.finish())
    }

    /// `localhost` when a play names it but the inventory does not (Ansible's implicit localhost).
    pub fn ensure_implicit_localhost(&mut self) {
        if self.hosts.contains_key("localhost") {
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

    /// Whether `localhost` was added implicitly (it then belongs to no group, not even all).
    pub fn is_implicit(&self, host: &str) -> bool {
        host == "localhost" && self.implicit_localhost
    }

    fn depth_of(&self, group: &str) -> usize {
        // Longest path from all, as Ansible's group depth.
        fn go(
            inv: &Inventory,
            g: &str,
            target: &str,
            d: usize,
            best: &mut Option<usize>,
            guard: usize,
        ) {
            if guard > 64 {
                return;
            }
            if g == target {
                *best = Some(best.map_or(d, |b| b.max(d)));
                return;
            }
            if let Some(grp) = inv.groups.get(g) {
                for c in &grp.children {
                    go(inv, c, target, d + 1, best, guard + 1);
                }
            }
        }
        let mut best = None;
        go(self, "all", group, 0, &mut best, 0);
        best.unwrap_or(1)
    }

    /// Every group a host belongs to, directly or through children, `all` included.
    fn groups_of(&self, host: &str) -> Vec<String> {
        if self.is_implicit(host) {
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        let mut stack: Vec<String> = self
            .groups
            .values()
            .filter(|g| g.hosts.iter().any(|h| h == host))
            .map(|g| g.name.clone())
            .collect();
        while let Some(g) = stack.pop() {
            if out.contains(&g) {
                continue;
            }
            out.push(g.clone());
            for parent in self.groups.values().filter(|p| p.children.contains(&g)) {
                stack.push(parent.name.clone());
            }
        }
        if !out.iter().any(|g| g == "all") {
            out.push("all".into());
        }
        out
    }

    /// Groups by Ansible's precedence order, lowest first: depth, then name.
    fn ordered_groups(&self, host: &str) -> Vec<String> {
        let mut gs = self.groups_of(host);
        gs.sort_by(|a, b| {
            self.depth_of(a)
                .cmp(&self.depth_of(b))
                .then_with(|| a.cmp(b))
        });
        gs
    }

    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut g: Vec<String> = self
            .groups_of(host)
            .into_iter()
            .filter(|g| g != "all")
            .collect();
        g.sort();
        g
    }

    /// Hosts of a group, through its children, in inventory order.
    pub fn hosts_of(&self, group: &str) -> Vec<String> {
        if group == "all" {
            return self
                .hosts
                .keys()
                .filter(|h| !self.is_implicit(h))
                .cloned()
                .collect();
        }
        let mut members = std::collections::HashSet::new();
        let mut stack = vec![group.to_string()];
        let mut seen = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if !seen.insert(g.clone()) {
                continue;
            }
            if let Some(grp) = self.groups.get(&g) {
                members.extend(grp.hosts.iter().cloned());
                stack.extend(grp.children.iter().cloned());
            }
        }
        self.hosts
            .keys()
            .filter(|h| members.contains(*h))
            .cloned()
            .collect()
    }

    pub fn groups_map(&self) -> IndexMap<String, Vec<String>> {
        self.groups
            .keys()
            .map(|g| (g.clone(), self.hosts_of(g)))
            .collect()
    }

    /// group_vars/ and host_vars/ directories: beside each source, then the playbook's.
    fn var_dirs(&self, playbook_dir: Option<&Path>) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let inv_dirs: Vec<PathBuf> = self
            .sources
            .iter()
            .filter(|s| s.exists())
            .map(|s| {
                if s.is_dir() {
                    s.clone()
                } else {
                    s.parent()
                        .map(Path::to_path_buf)
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or_else(|| PathBuf::from("."))
                }
            })
            .collect();
        let pb: Vec<PathBuf> = playbook_dir
            .map(|p| vec![p.to_path_buf()])
            .unwrap_or_default();
        (dedup(inv_dirs), pb)
    }

    /// `<dir>/<kind>/<name>{,.yml,.yaml,.json}` or `<dir>/<kind>/<name>/` (its files, sorted, merged).
    fn vars_file(&self, dir: &Path, kind: &str, name: &str) -> DiagResult<VarMap> {
        let base = dir.join(kind).join(name);
        let mut files = Vec::new();
        if base.is_dir() {
            let mut fs: Vec<PathBuf> = std::fs::read_dir(&base)
                .map_err(|e| Diag::plain(format!("cannot read {}: {e}", base.display())))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("yml" | "yaml" | "json") | None
                        )
                })
                .collect();
            fs.sort();
            files.extend(fs);
        } else {
            for ext in ["", ".yml", ".yaml", ".json"] {
                let f = PathBuf::from(format!("{}{ext}", base.display()));
                if f.is_file() {
                    files.push(f);
                }
            }
        }
        let mut out = VarMap::new();
        for f in files {
            let cached = self.var_files.lock().ok().and_then(|c| c.get(&f).cloned());
            let vars = match cached {
                Some(v) => v,
                None => {
                    let node = super::yaml::load_file(&f)?;
                    let v = match node.to_json() {
                        Value::Object(m) => Some(m),
                        Value::Null => Some(VarMap::new()),
                        _ => {
                            return Err(Diag::new(
                                node.span,
                                format!(
                                    "{} must hold a mapping of variables, found {}",
                                    f.display(),
                                    node.type_name()
                                ),
                            ));
                        }
                    };
                    if let Ok(mut c) = self.var_files.lock() {
                        c.insert(f.clone(), v.clone());
                    }
                    v
                }
            };
            if let Some(v) = vars {
                out.extend(v);
            }
        }
        Ok(out)
    }

    pub fn host_var_layers(
        &self,
        host: &str,
        playbook_dir: Option<&Path>,
    ) -> DiagResult<Vec<VarMap>> {
        let groups = self.ordered_groups(host);
        let (inv_dirs, pb_dirs) = self.var_dirs(playbook_dir);
        let mut layers = Vec::new();
        for g in &groups {
            if let Some(grp) = self.groups.get(g) {
                layers.push(grp.vars.clone());
            }
        }
        let in_files = |dirs: &[PathBuf], kind: &str, name: &str| -> DiagResult<Vec<VarMap>> {
            dirs.iter().map(|d| self.vars_file(d, kind, name)).collect()
        };
        layers.extend(in_files(&inv_dirs, "group_vars", "all")?);
        layers.extend(in_files(&pb_dirs, "group_vars", "all")?);
        for g in groups.iter().filter(|g| *g != "all") {
            layers.extend(in_files(&inv_dirs, "group_vars", g)?);
            layers.extend(in_files(&pb_dirs, "group_vars", g)?);
        }
        if let Some(h) = self.hosts.get(host) {
            layers.push(h.vars.clone());
        }
        layers.extend(in_files(&inv_dirs, "host_vars", host)?);
        layers.extend(in_files(&pb_dirs, "host_vars", host)?);
        layers.retain(|l| !l.is_empty());
        Ok(layers)
    }

    pub fn host_json(&self, host: &str, playbook_dir: Option<&Path>) -> DiagResult<Value> {
        if !self.hosts.contains_key(host) {
            return Err(Diag::plain(format!(
                "you must pass a single valid host to --host: {host}"
            )));
        }
        let mut m = VarMap::new();
        for l in self.host_var_layers(host, playbook_dir)? {
            m.extend(l);
        }
        Ok(Value::Object(m))
    }

    pub fn to_list_json(&self, playbook_dir: Option<&Path>) -> DiagResult<Value> {
        let mut out = VarMap::new();
        let mut hostvars = VarMap::new();
        for h in self.hosts.keys().filter(|h| !self.is_implicit(h)) {
            let v = self.host_json(h, playbook_dir)?;
            if v.as_object().is_some_and(|m| !m.is_empty()) {
                hostvars.insert(h.clone(), v);
            }
        }
        out.insert("_meta".into(), serde_json::json!({ "hostvars": hostvars }));
        for g in self.groups.values() {
            let mut e = VarMap::new();
            if !g.hosts.is_empty() {
                e.insert("hosts".into(), Value::from(g.hosts.clone()));
            }
            if !g.children.is_empty() {
                e.insert("children".into(), Value::from(g.children.clone()));
            }
            if g.name == "ungrouped" && g.hosts.is_empty() {
                continue;
            }
            if !e.is_empty() || g.name == "all" {
                out.insert(g.name.clone(), Value::Object(e));
            }
        }
        Ok(Value::Object(out))
    }

    pub fn graph(&self, group: Option<&str>) -> String {
        let mut s = String::new();
        let root = group.unwrap_or("all");
        fn walk(inv: &Inventory, g: &str, indent: &str, out: &mut String, depth: usize) {
            if depth > 64 {
                return;
            }
            let Some(grp) = inv.groups.get(g) else { return };
            let mut children = grp.children.clone();
            if g == "all" {
                children.sort_by_key(|c| c != "ungrouped");
            }
            for c in &children {
                if c == "ungrouped" && inv.groups.get(c).is_some_and(|u| u.hosts.is_empty()) {
                    continue;
                }
                out.push_str(&format!("{indent}|--@{c}:\n"));
                walk(inv, c, &format!("{indent}|  "), out, depth + 1);
            }
            for h in &grp.hosts {
                out.push_str(&format!("{indent}|--{h}\n"));
            }
        }
        s.push_str(&format!("@{root}:\n"));
        walk(self, root, "  ", &mut s, 0);
        s
    }
}

fn dedup(v: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in v {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn load_file(path: &Path, b: &mut Builder) -> DiagResult<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diag::plain(format!("cannot read inventory {}: {e}", path.display())))?;
    if is_yaml(path, &text) {
        yaml::load(path, b)
    } else {
        ini::load(path, &text, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(text: &str, name: &str) -> (tempfile::TempDir, Inventory) {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join(name);
        std::fs::write(&p, text).expect("write");
        let i = Inventory::load(&[p]).expect("load");
        (d, i)
    }

    #[test]
    fn ini_groups_children_vars_ranges() {
        let (_d, i) = inv(
            "lonely ansible_host=10.0.0.9\n[db]\ndb[01:03].example.com port=3306 flag=True name='a b'\n[web]\nw[a:b]:2222\n[cluster:children]\ndb\nweb\n[cluster:vars]\nvip=10.0.0.100\n",
            "hosts",
        );
        assert_eq!(
            i.hosts.keys().cloned().collect::<Vec<_>>(),
            [
                "lonely",
                "db01.example.com",
                "db02.example.com",
                "db03.example.com",
                "wa",
                "wb"
            ]
        );
        assert_eq!(i.hosts["db02.example.com"].vars["port"], 3306);
        assert_eq!(i.hosts["db02.example.com"].vars["flag"], true);
        assert_eq!(i.hosts["db02.example.com"].vars["name"], "a b");
        assert_eq!(i.hosts["wa"].vars["ansible_port"], 2222);
        assert_eq!(i.hosts_of("cluster").len(), 5);
        assert_eq!(i.group_names("wa"), ["cluster", "web"]);
        assert_eq!(i.group_names("lonely"), ["ungrouped"]);
        let layers = i.host_var_layers("db01.example.com", None).expect("layers");
        let merged: VarMap = layers.into_iter().flatten().collect();
        assert_eq!(merged["vip"], "10.0.0.100");
    }

    #[test]
    fn ini_errors_have_positions() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("h.ini");
        std::fs::write(&p, "[a]\nh1\n[a:bogus]\n").expect("write");
        let e = Inventory::load(std::slice::from_ref(&p)).unwrap_err();
        assert_eq!((e.span.line, e.span.col), (3, 1));
        std::fs::write(&p, "[a:children]\nb\n[b:children]\na\n").expect("write");
        let e = Inventory::load(std::slice::from_ref(&p)).unwrap_err();
        assert!(e.message.contains("cycle"), "{}", e.message);
        assert_eq!(e.span.line, 4);
        std::fs::write(&p, "[a]\nh1 novalue\n").expect("write");
        assert!(Inventory::load(&[p]).is_err());
    }

    #[test]
    fn yaml_inventory() {
        let (_d, i) = inv(
            "all:\n  vars: {x: 1}\n  hosts:\n    h1:\n  children:\n    db:\n      hosts:\n        db[1:2]: {role: m}\n      vars: {y: 2}\n",
            "inv.yml",
        );
        assert_eq!(i.hosts_of("db"), ["db1", "db2"]);
        assert_eq!(i.hosts["db1"].vars["role"], "m");
        assert_eq!(i.groups["db"].vars["y"], 2);
    }

    #[test]
    fn group_and_host_vars_precedence() {
        let d = tempfile::tempdir().expect("tmp");
        let root = d.path();
        std::fs::write(
            root.join("hosts"),
            "[parent:children]\nchild\n[child]\nh1 v=hostline\n[parent:vars]\np=inifile\n",
        )
        .expect("w");
        std::fs::create_dir_all(root.join("group_vars/child")).expect("mk");
        std::fs::create_dir_all(root.join("host_vars")).expect("mk");
        std::fs::create_dir_all(root.join("pb/group_vars")).expect("mk");
        std::fs::write(
            root.join("group_vars/all.yml"),
            "a: all\np: gv_all\nc: all\n",
        )
        .expect("w");
        std::fs::write(root.join("group_vars/parent.yml"), "c: parent\n").expect("w");
        std::fs::write(root.join("group_vars/child/10.yml"), "c: child\n").expect("w");
        std::fs::write(
            root.join("pb/group_vars/child.yaml"),
            "pbc: yes\nc: pb_child\n",
        )
        .expect("w");
        std::fs::write(root.join("host_vars/h1.yml"), "v: hostvars\n").expect("w");
        let i = Inventory::load(&[root.join("hosts")]).expect("load");
        let merged: VarMap = i
            .host_var_layers("h1", Some(&root.join("pb")))
            .expect("layers")
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(merged["c"], "pb_child");
        assert_eq!(merged["p"], "gv_all");
        assert_eq!(merged["v"], "hostvars");
        assert_eq!(merged["pbc"], true);
        assert_eq!(merged["a"], "all");
    }

    #[test]
    fn list_and_graph() {
        let (_d, i) = inv("[db]\nh1\n[web]\nh2\n", "hosts");
        let j = i.to_list_json(None).expect("json");
        assert_eq!(j["db"]["hosts"], serde_json::json!(["h1"]));
        assert!(
            j["all"]["children"]
                .as_array()
                .is_some_and(|c| c.contains(&Value::from("db")))
        );
        assert_eq!(
            i.graph(None),
            "@all:\n  |--@db:\n  |  |--h1\n  |--@web:\n  |  |--h2\n"
        );
    }

    #[test]
    fn host_lists_and_ranges() {
        let i = Inventory::load(&[PathBuf::from("a,b,")]).expect("list");
        assert_eq!(i.hosts.len(), 2);
        assert_eq!(expand_ranges("x[8:10:2]").unwrap(), ["x8", "x10"]);
        assert_eq!(expand_ranges("x[08:10:2]").unwrap(), ["x08", "x10"]);
        assert!(expand_ranges("x[3:1]").is_err());
    }
}
