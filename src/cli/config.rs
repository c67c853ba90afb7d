//! The settings hotplay takes from ansible.cfg and ANSIBLE_* variables: one
//! table, from which loading, `hotplay config dump` and the docs come.
//! Environment beats the file, the file beats the default; command-line flags
//! beat all three where they exist.

use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Text,
    /// Paths separated by `,` (inventory) or `:` (roles_path), relative to the file.
    Paths(char),
    Path,
    Choice(&'static [&'static str]),
}

struct Setting {
    name: &'static str,
    /// `section.key` in ansible.cfg.
    ini: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    default: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "DEFAULT_FORKS",
        ini: "defaults.forks",
        env: &["ANSIBLE_FORKS"],
        kind: Kind::Int,
        default: "10",
    },
    Setting {
        name: "DEFAULT_HOST_LIST",
        ini: "defaults.inventory",
        env: &["ANSIBLE_INVENTORY"],
        kind: Kind::Paths(','),
        default: "",
    },
    Setting {
        name: "DEFAULT_ROLES_PATH",
        ini: "defaults.roles_path",
        env: &["ANSIBLE_ROLES_PATH"],
        kind: Kind::Paths(':'),
        default: "",
    },
    Setting {
        name: "DEFAULT_FORCE_HANDLERS",
        ini: "defaults.force_handlers",
        env: &["ANSIBLE_FORCE_HANDLERS"],
        kind: Kind::Bool,
        default: "false",
    },
    Setting {
        name: "DEFAULT_STRATEGY",
        ini: "defaults.strategy",
        env: &["ANSIBLE_STRATEGY"],
        kind: Kind::Choice(&["linear", "free"]),
        default: "linear",
    },
    Setting {
        name: "HOST_KEY_CHECKING",
        ini: "defaults.host_key_checking",
        env: &["ANSIBLE_HOST_KEY_CHECKING"],
        kind: Kind::Bool,
        default: "true",
    },
    Setting {
        name: "DEFAULT_GATHERING",
        ini: "defaults.gathering",
        env: &["ANSIBLE_GATHERING"],
        kind: Kind::Choice(&["implicit", "explicit", "smart"]),
        default: "implicit",
    },
    Setting {
        name: "DEFAULT_REMOTE_USER",
        ini: "defaults.remote_user",
        env: &["ANSIBLE_REMOTE_USER"],
        kind: Kind::Text,
        default: "",
    },
    Setting {
        name: "DEFAULT_PRIVATE_KEY_FILE",
        ini: "defaults.private_key_file",
        env: &["ANSIBLE_PRIVATE_KEY_FILE"],
        kind: Kind::Path,
        default: "",
    },
    Setting {
        name: "DEFAULT_TIMEOUT",
        ini: "defaults.timeout",
        env: &["ANSIBLE_TIMEOUT"],
        kind: Kind::Int,
        default: "10",
    },
    Setting {
        name: "HOST_PATTERN_MISMATCH",
        ini: "inventory.host_pattern_mismatch",
        env: &["ANSIBLE_HOST_PATTERN_MISMATCH"],
        kind: Kind::Choice(&["warning", "error", "ignore"]),
        default: "warning",
    },
    Setting {
        name: "ANSIBLE_NOCOLOR",
        ini: "defaults.nocolor",
        env: &["ANSIBLE_NOCOLOR", "NO_COLOR"],
        kind: Kind::Bool,
        default: "false",
    },
    Setting {
        name: "ANSIBLE_FORCE_COLOR",
        ini: "defaults.force_color",
        env: &["ANSIBLE_FORCE_COLOR"],
        kind: Kind::Bool,
        default: "false",
    },
    Setting {
        name: "DISPLAY_SKIPPED_HOSTS",
        ini: "defaults.display_skipped_hosts",
        env: &["ANSIBLE_DISPLAY_SKIPPED_HOSTS"],
        kind: Kind::Bool,
        default: "true",
    },
    Setting {
        name: "DISPLAY_OK_HOSTS",
        ini: "defaults.display_ok_hosts",
        env: &["ANSIBLE_DISPLAY_OK_HOSTS"],
        kind: Kind::Bool,
        default: "true",
    },
    Setting {
        name: "CALLBACK_RESULT_FORMAT",
        ini: "defaults.callback_result_format",
        env: &["ANSIBLE_CALLBACK_RESULT_FORMAT"],
        kind: Kind::Choice(&["json", "yaml"]),
        default: "json",
    },
    Setting {
        name: "ANY_ERRORS_FATAL",
        ini: "defaults.any_errors_fatal",
        env: &["ANSIBLE_ANY_ERRORS_FATAL"],
        kind: Kind::Bool,
        default: "false",
    },
    Setting {
        name: "ERROR_ON_MISSING_HANDLER",
        ini: "defaults.error_on_missing_handler",
        env: &["ANSIBLE_ERROR_ON_MISSING_HANDLER"],
        kind: Kind::Bool,
        default: "true",
    },
    Setting {
        name: "DEFAULT_UNDEFINED_VAR_BEHAVIOR",
        ini: "defaults.error_on_undefined_vars",
        env: &["ANSIBLE_ERROR_ON_UNDEFINED_VARS"],
        kind: Kind::Bool,
        default: "true",
    },
    Setting {
        name: "DEFAULT_VAULT_PASSWORD_FILE",
        ini: "defaults.vault_password_file",
        env: &["ANSIBLE_VAULT_PASSWORD_FILE"],
        kind: Kind::Path,
        default: "",
    },
];

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(&'static str),
}

#[derive(Debug, Default)]
pub struct Config {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    values: Vec<(String, Origin)>,
}

fn parse_bool(v: &str) -> Option<bool> {
    crate::plan::ansible_bool(&serde_json::Value::String(v.to_string()))
}

fn check(s: &Setting, v: &str) -> Result<(), String> {
    let bad = |want: &str| {
        Err(format!(
            "{} ({}) must be {want}, found `{v}`",
            s.name, s.ini
        ))
    };
    match s.kind {
        Kind::Int if v.trim().parse::<u64>().is_err() => bad("a number"),
        Kind::Bool if parse_bool(v).is_none() => bad("a boolean"),
        Kind::Choice(c) if !c.contains(&v.trim().to_ascii_lowercase().as_str()) => {
            bad(&format!("one of {}", c.join(", ")))
        }
        _ => Ok(()),
    }
}

impl Config {
    /// ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg (first found).
    pub fn load() -> Result<Config, String> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Ok(p) = std::env::var("ANSIBLE_CONFIG") {
            candidates.push(PathBuf::from(p));
        }
        candidates.push(PathBuf::from("ansible.cfg"));
        if let Ok(home) = std::env::var("HOME") {
            candidates.push(Path::new(&home).join(".ansible.cfg"));
        }
        candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
        let found = candidates.into_iter().find(|p| p.is_file());
        let text = match &found {
            Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
            None => String::new(),
        };
        Config::from_parts(found, &text, |k| std::env::var(k).ok())
    }

    fn from_parts(
        file: Option<PathBuf>,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let ini = parse_ini(text);
        let base = file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut values = Vec::new();
        for s in SETTINGS {
            let from_env = s.env.iter().find_map(|k| {
                env(k)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v, Origin::Env(k)))
            });
            let from_file = || {
                ini.iter().find(|(k, _)| k == s.ini).map(|(_, v)| {
                    let v = match s.kind {
                        Kind::Paths(sep) => v
                            .split(sep)
                            .map(|p| relative_to(&base, p.trim()))
                            .collect::<Vec<_>>()
                            .join(&sep.to_string()),
                        Kind::Path => relative_to(&base, v.trim()),
                        _ => v.clone(),
                    };
                    (v, Origin::File(file.clone().unwrap_or_default()))
                })
            };
            let (value, origin) = from_env
                .or_else(from_file)
                .unwrap_or_else(|| (s.default.to_string(), Origin::Default));
            if origin != Origin::Default {
                check(s, &value).map_err(|e| match &origin {
                    Origin::File(p) => format!("{}: {e}", p.display()),
                    Origin::Env(k) => format!("{k}: {e}"),
                    Origin::Default => e,
                })?;
            }
            values.push((value, origin));
        }
        Ok(Config { file, values })
    }

    fn raw(&self, name: &str) -> &str {
        SETTINGS
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| self.values.get(i))
            .map(|(v, _)| v.as_str())
            .unwrap_or_default()
    }

    fn set_explicitly(&self, name: &str) -> bool {
        SETTINGS
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| self.values.get(i))
            .is_some_and(|(_, o)| *o != Origin::Default)
    }

    fn flag(&self, name: &str) -> bool {
        parse_bool(self.raw(name)).unwrap_or(false)
    }

    fn paths(&self, name: &str, sep: char) -> Vec<PathBuf> {
        self.raw(name)
            .split(sep)
            .filter(|p| !p.trim().is_empty())
            .map(|p| PathBuf::from(p.trim()))
            .collect()
    }

    fn opt_text(&self, name: &str) -> Option<String> {
        Some(self.raw(name).trim().to_string()).filter(|v| !v.is_empty())
    }

    pub fn forks(&self) -> usize {
        self.raw("DEFAULT_FORKS").trim().parse().unwrap_or(10)
    }
    pub fn inventory(&self) -> Vec<PathBuf> {
        self.paths("DEFAULT_HOST_LIST", ',')
    }
    pub fn roles_path(&self) -> Vec<PathBuf> {
        self.paths("DEFAULT_ROLES_PATH", ':')
    }
    pub fn force_handlers(&self) -> bool {
        self.flag("DEFAULT_FORCE_HANDLERS")
    }
    pub fn host_key_checking(&self) -> bool {
        self.flag("HOST_KEY_CHECKING")
    }
    /// `gathering = explicit`: plays gather facts only when they say so.
    pub fn gather_by_default(&self) -> bool {
        self.raw("DEFAULT_GATHERING").trim() != "explicit"
    }
    pub fn remote_user(&self) -> Option<String> {
        self.opt_text("DEFAULT_REMOTE_USER")
    }
    pub fn private_key_file(&self) -> Option<PathBuf> {
        self.opt_text("DEFAULT_PRIVATE_KEY_FILE").map(PathBuf::from)
    }
    pub fn timeout(&self) -> Option<u64> {
        self.set_explicitly("DEFAULT_TIMEOUT")
            .then(|| self.raw("DEFAULT_TIMEOUT").trim().parse().ok())
            .flatten()
    }
    pub fn host_pattern_mismatch(&self) -> String {
        self.raw("HOST_PATTERN_MISMATCH")
            .trim()
            .to_ascii_lowercase()
    }
    /// Some(true/false) when colour is forced on or off; None: decide by the terminal.
    pub fn colour(&self) -> Option<bool> {
        if self.flag("ANSIBLE_NOCOLOR") {
            Some(false)
        } else if self.flag("ANSIBLE_FORCE_COLOR") {
            Some(true)
        } else {
            None
        }
    }
    pub fn display_skipped_hosts(&self) -> bool {
        self.flag("DISPLAY_SKIPPED_HOSTS")
    }
    pub fn display_ok_hosts(&self) -> bool {
        self.flag("DISPLAY_OK_HOSTS")
    }
    pub fn yaml_results(&self) -> bool {
        self.raw("CALLBACK_RESULT_FORMAT").trim() == "yaml"
    }
    pub fn any_errors_fatal(&self) -> bool {
        self.flag("ANY_ERRORS_FATAL")
    }
    pub fn error_on_missing_handler(&self) -> bool {
        self.flag("ERROR_ON_MISSING_HANDLER")
    }
    pub fn error_on_undefined_vars(&self) -> bool {
        self.flag("DEFAULT_UNDEFINED_VAR_BEHAVIOR")
    }
    pub fn vault_password_file(&self) -> Option<PathBuf> {
        self.opt_text("DEFAULT_VAULT_PASSWORD_FILE")
            .map(PathBuf::from)
    }

    /// `hotplay config dump`: every setting, its value and where it came from.
    pub fn dump(&self, only_changed: bool) -> String {
        let mut out = String::new();
        for (s, (v, o)) in SETTINGS.iter().zip(&self.values) {
            if only_changed && *o == Origin::Default {
                continue;
            }
            let origin = match o {
                Origin::Default => "default".to_string(),
                Origin::File(p) => p.display().to_string(),
                Origin::Env(k) => format!("env: {k}"),
            };
            out.push_str(&format!("{}({origin}) = {v}\n", s.name));
        }
        out
    }
}

fn relative_to(base: &Path, p: &str) -> String {
    if p.is_empty() || p.starts_with('/') || p.starts_with('~') {
        return p.to_string();
    }
    base.join(p).display().to_string()
}

/// `section.key` = value pairs of an INI file (the last one of a key wins).
fn parse_ini(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
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
        let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) else {
            continue;
        };
        let mut key = format!("{section}.{}", k.trim());
        if key == "defaults.hostfile" {
            key = "defaults.inventory".into();
        }
        out.retain(|(x, _)| *x != key);
        out.push((key, v.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str, env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(Some(PathBuf::from("/p/ansible.cfg")), text, |k| {
            env.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn file_then_env_then_default() {
        let c = cfg(
            "[defaults]\nforks = 25\ninventory = hosts.ini\nroles_path = roles:/opt/roles\nhost_key_checking = False\ngathering = explicit\n[inventory]\nhost_pattern_mismatch = error\n[ssh_connection]\nforks=1\n",
            &[("ANSIBLE_FORKS", "7"), ("ANSIBLE_DISPLAY_SKIPPED_HOSTS", "no")],
        )
        .expect("config");
        assert_eq!(c.forks(), 7);
        assert_eq!(c.inventory(), vec![PathBuf::from("/p/hosts.ini")]);
        assert_eq!(
            c.roles_path(),
            vec![PathBuf::from("/p/roles"), PathBuf::from("/opt/roles")]
        );
        assert!(!c.host_key_checking());
        assert!(!c.gather_by_default());
        assert!(!c.display_skipped_hosts());
        assert!(c.display_ok_hosts());
        assert_eq!(c.host_pattern_mismatch(), "error");
        assert_eq!(c.timeout(), None);
        let dump = c.dump(true);
        assert!(
            dump.contains("DEFAULT_FORKS(env: ANSIBLE_FORKS) = 7"),
            "{dump}"
        );
        assert!(
            dump.contains("DEFAULT_GATHERING(/p/ansible.cfg) = explicit"),
            "{dump}"
        );
        assert!(!dump.contains("ANY_ERRORS_FATAL"), "{dump}");
    }

    #[test]
    fn bad_values_are_errors_naming_the_source() {
        let e = cfg("[defaults]\nforks = many\n", &[]).unwrap_err();
        assert!(
            e.contains("/p/ansible.cfg") && e.contains("DEFAULT_FORKS"),
            "{e}"
        );
        let e = cfg("", &[("ANSIBLE_GATHERING", "sometimes")]).unwrap_err();
        assert!(
            e.contains("ANSIBLE_GATHERING") && e.contains("implicit"),
            "{e}"
        );
    }
}
