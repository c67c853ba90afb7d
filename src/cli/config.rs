//! The small part of ansible.cfg (and ANSIBLE_* variables) hotplay honours:
//! [defaults] forks, inventory, roles_path, remote_user, host_key_checking.

use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct Config {
    pub forks: Option<usize>,
    pub inventory: Vec<PathBuf>,
    pub roles_path: Vec<PathBuf>,
    pub remote_user: Option<String>,
    pub host_key_checking: Option<bool>,
}

impl Config {
    /// ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg (first found); env wins.
    pub fn load() -> Config {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Ok(p) = std::env::var("ANSIBLE_CONFIG") {
            candidates.push(PathBuf::from(p));
        }
        candidates.push(PathBuf::from("ansible.cfg"));
        if let Ok(home) = std::env::var("HOME") {
            candidates.push(Path::new(&home).join(".ansible.cfg"));
        }
        candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
        let mut cfg = candidates
            .iter()
            .find(|p| p.is_file())
            .and_then(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t)))
            .map(|(p, t)| parse(&t, p.parent().unwrap_or(Path::new("."))))
            .unwrap_or_default();
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(f) = env("ANSIBLE_FORKS").and_then(|v| v.parse().ok()) {
            cfg.forks = Some(f);
        }
        if let Some(i) = env("ANSIBLE_INVENTORY") {
            cfg.inventory = i.split(',').map(PathBuf::from).collect();
        }
        if let Some(r) = env("ANSIBLE_ROLES_PATH") {
            cfg.roles_path = r.split(':').map(PathBuf::from).collect();
        }
        if let Some(u) = env("ANSIBLE_REMOTE_USER") {
            cfg.remote_user = Some(u);
        }
        if let Some(h) = env("ANSIBLE_HOST_KEY_CHECKING") {
            cfg.host_key_checking = crate::plan::ansible_bool(&serde_json::Value::String(h));
        }
        cfg
    }
}

fn parse(text: &str, base: &Path) -> Config {
    let mut cfg = Config::default();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        if section != "defaults" {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        let path = |p: &str| {
            let p = Path::new(p);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        match k {
            "forks" => cfg.forks = v.parse().ok(),
            "inventory" | "hostfile" => {
                cfg.inventory = v.split(',').map(|p| path(p.trim())).collect()
            }
            "roles_path" => cfg.roles_path = v.split(':').map(|p| path(p.trim())).collect(),
            "remote_user" => cfg.remote_user = Some(v.to_string()),
            "host_key_checking" => {
                cfg.host_key_checking =
                    crate::plan::ansible_bool(&serde_json::Value::String(v.into()))
            }
            _ => {}
        }
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_defaults_section() {
        let c = parse(
            "[defaults]\nforks = 25\ninventory = hosts.ini\nroles_path = roles:/opt/roles\nhost_key_checking = False\n[ssh_connection]\nforks=1\n",
            Path::new("/p"),
        );
        assert_eq!(c.forks, Some(25));
        assert_eq!(c.inventory, vec![PathBuf::from("/p/hosts.ini")]);
        assert_eq!(
            c.roles_path,
            vec![PathBuf::from("/p/roles"), PathBuf::from("/opt/roles")]
        );
        assert_eq!(c.host_key_checking, Some(false));
    }
}
