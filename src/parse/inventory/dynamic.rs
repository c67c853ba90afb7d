//! The in-memory inventory changes of `add_host` and `group_by`, as ansible-core's
//! InventoryManager.add_dynamic_host / add_dynamic_group make them.

use super::{Group, Host, Inventory, VarMap};
use crate::parse::source::Span;
use std::sync::Mutex;

impl Clone for Inventory {
    fn clone(&self) -> Inventory {
        Inventory {
            hosts: self.hosts.clone(),
            groups: self.groups.clone(),
            sources: self.sources.clone(),
            var_files: Mutex::new(self.cached_vars().clone()),
            implicit_localhost: self.implicit_localhost,
        }
    }
}

impl Inventory {
    /// An inventory of only these groups and their hosts (the `groups` magic var), for
    /// matching patterns in templates (`inventory_hostnames`).
    pub fn from_groups(groups: &indexmap::IndexMap<String, Vec<String>>) -> Inventory {
        let mut inv = Inventory::empty();
        for (name, hosts) in groups {
            for h in hosts {
                inv.hosts.entry(h.clone()).or_insert_with(|| Host {
                    name: h.clone(),
                    vars: VarMap::new(),
                    span: Span::UNKNOWN,
                });
            }
            inv.ensure_group(name);
            if let Some(g) = inv.groups.get_mut(name) {
                g.hosts = hosts.clone();
            }
        }
        inv.reconcile();
        inv
    }

    /// Adds `name` (or updates it): its vars merged over its own, made a member of each
    /// group (created under `all` when new). True when anything changed.
    pub fn add_dynamic_host(&mut self, name: &str, groups: &[String], vars: &VarMap) -> bool {
        let mut changed = false;
        if self.is_implicit(name) {
            // The implicit localhost becomes a real inventory host.
            self.implicit_localhost = false;
            changed = true;
        }
        let host = self.hosts.entry(name.to_string()).or_insert_with(|| {
            changed = true;
            Host {
                name: name.to_string(),
                vars: VarMap::new(),
                span: Span::UNKNOWN,
            }
        });
        for (k, v) in vars {
            if host.vars.get(k) != Some(v) {
                host.vars.insert(k.clone(), v.clone());
                changed = true;
            }
        }
        for g in groups {
            changed |= self.ensure_group(g);
            changed |= self.add_member(g, name);
        }
        if changed {
            self.reconcile();
        }
        changed
    }

    /// Makes `host` a member of `group`, `group` a child of each parent (parents created
    /// under `all` when new). True when anything changed.
    pub fn add_dynamic_group(&mut self, host: &str, group: &str, parents: &[String]) -> bool {
        let mut changed = self.ensure_group(group);
        for p in parents {
            changed |= self.ensure_group(p);
            if p != group
                && !self.descendants(group).contains(&p.as_str())
                && let Some(pg) = self.groups.get_mut(p)
                && !pg.children.iter().any(|c| c == group)
            {
                pg.children.push(group.to_string());
                changed = true;
            }
        }
        if self.hosts.contains_key(host) {
            changed |= self.add_member(group, host);
        }
        if changed {
            self.reconcile();
        }
        changed
    }

    fn ensure_group(&mut self, name: &str) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups.insert(
            name.to_string(),
            Group {
                name: name.to_string(),
                ..Default::default()
            },
        );
        true
    }

    fn add_member(&mut self, group: &str, host: &str) -> bool {
        match self.groups.get_mut(group) {
            Some(g) if !g.hosts.iter().any(|h| h == host) => {
                g.hosts.push(host.to_string());
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inv() -> Inventory {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("inv.ini");
        std::fs::write(&p, "h1\n[web]\nh2\n").expect("write");
        Inventory::load(&[p]).expect("load")
    }

    #[test]
    fn add_host_creates_groups_and_reports_change_once() {
        let mut i = inv();
        let mut vars = VarMap::new();
        vars.insert("color".into(), json!("blue"));
        let groups = vec!["made".to_string(), "web".to_string()];
        assert!(i.add_dynamic_host("n1", &groups, &vars));
        assert!(!i.add_dynamic_host("n1", &groups, &vars));
        assert_eq!(i.hosts_of("made"), vec!["n1"]);
        assert_eq!(i.hosts_of("web"), vec!["h2", "n1"]);
        assert_eq!(i.hosts_of("all"), vec!["h1", "h2", "n1"]);
        assert_eq!(i.group_names("n1"), vec!["made", "web"]);
        vars.insert("color".into(), json!("red"));
        assert!(i.add_dynamic_host("n1", &[], &vars));
        assert_eq!(i.hosts["n1"].vars["color"], json!("red"));
    }

    #[test]
    fn new_host_without_groups_is_ungrouped() {
        let mut i = inv();
        assert!(i.add_dynamic_host("n2", &[], &VarMap::new()));
        assert_eq!(i.hosts_of("ungrouped"), vec!["h1", "n2"]);
        // Grouped later, it leaves `ungrouped`.
        assert!(i.add_dynamic_group("n2", "dyn", &["all".to_string()]));
        assert_eq!(i.hosts_of("ungrouped"), vec!["h1"]);
    }

    #[test]
    fn group_by_nests_under_parents() {
        let mut i = inv();
        let parents = vec!["pa".to_string(), "web".to_string()];
        assert!(i.add_dynamic_group("h1", "os-h1", &parents));
        assert!(!i.add_dynamic_group("h1", "os-h1", &parents));
        assert_eq!(i.group_names("h1"), vec!["os-h1", "pa", "web"]);
        assert_eq!(i.hosts_of("web"), vec!["h2", "h1"]);
        // A cycle is not made.
        assert!(!i.add_dynamic_group("h2", "web", &["os-h1".to_string()]));
        assert!(i.groups["os-h1"].children.is_empty());
    }
}
