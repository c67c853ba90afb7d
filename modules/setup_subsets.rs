//! setup's `gather_subset` as ansible-core resolves it, and local facts (`fact_path`,
//! `ansible_local`): *.fact files read as JSON, else INI; executable ones are run.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// ansible-core 2.17's valid subsets on Linux, in its error message's order.
const VALID: &[&str] = &[
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "apparmor",
    "architecture",
    "caps",
    "chroot",
    "cmdline",
    "date_time",
    "default_ipv4",
    "default_ipv6",
    "devices",
    "distribution",
    "distribution_major_version",
    "distribution_release",
    "distribution_version",
    "dns",
    "effective_group_ids",
    "effective_user_id",
    "env",
    "facter",
    "fibre_channel_wwn",
    "fips",
    "hardware",
    "interfaces",
    "is_chroot",
    "iscsi",
    "kernel",
    "kernel_version",
    "loadavg",
    "local",
    "lsb",
    "machine",
    "machine_id",
    "mounts",
    "network",
    "nvme",
    "ohai",
    "os_family",
    "pkg_mgr",
    "platform",
    "processor",
    "processor_cores",
    "processor_count",
    "python",
    "python_version",
    "real_user_id",
    "selinux",
    "service_mgr",
    "ssh_host_key_dsa_public",
    "ssh_host_key_ecdsa_public",
    "ssh_host_key_ed25519_public",
    "ssh_host_key_rsa_public",
    "ssh_host_pub_keys",
    "ssh_pub_keys",
    "system",
    "system_capabilities",
    "system_capabilities_enforced",
    "user",
    "user_dir",
    "user_gecos",
    "user_gid",
    "user_id",
    "user_shell",
    "user_uid",
    "virtual",
    "virtualization_role",
    "virtualization_tech_guest",
    "virtualization_tech_host",
    "virtualization_type",
];

const MIN: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// The groups of facts hotplay gathers, named as ansible-core's collectors, with the
/// fact ids that select each.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "platform",
        &[
            "architecture",
            "kernel",
            "kernel_version",
            "machine",
            "machine_id",
            "system",
        ],
    ),
    (
        "user",
        &[
            "user_dir",
            "user_gecos",
            "user_gid",
            "user_id",
            "user_shell",
            "user_uid",
        ],
    ),
    ("date_time", &[]),
    (
        "distribution",
        &[
            "distribution_major_version",
            "distribution_release",
            "distribution_version",
            "os_family",
        ],
    ),
    ("local", &[]),
    (
        "hardware",
        &[
            "devices",
            "mounts",
            "processor",
            "processor_cores",
            "processor_count",
        ],
    ),
    (
        "network",
        &[
            "all_ipv4_addresses",
            "all_ipv6_addresses",
            "default_ipv4",
            "default_ipv6",
            "interfaces",
        ],
    ),
];

/// ansible-core's get_collector_names: the subsets to gather, or its error.
pub fn resolve(gather_subset: &[String]) -> Result<BTreeSet<String>, String> {
    let valid: BTreeSet<String> = VALID.iter().map(|s| s.to_string()).collect();
    let min: BTreeSet<String> = MIN.iter().map(|s| s.to_string()).collect();
    let mut add = BTreeSet::new();
    let mut exclude = BTreeSet::new();
    let mut explicit = BTreeSet::new();
    let with_min = std::iter::once("min".to_string()).chain(gather_subset.iter().cloned());
    for subset in with_min {
        let subset = subset.trim().to_string();
        match subset.as_str() {
            "min" => add.extend(min.iter().cloned()),
            "all" => add.extend(valid.iter().cloned()),
            "!min" => exclude.extend(min.iter().cloned()),
            "!all" => exclude.extend(valid.difference(&min).cloned()),
            s if s.starts_with('!') => {
                let s = &s[1..];
                // '!hardware' also drops what the hardware collector provides.
                if let Some((_, ids)) = GROUPS.iter().find(|(g, _)| *g == s) {
                    exclude.extend(ids.iter().map(|i| i.to_string()));
                }
                exclude.insert(s.to_string());
            }
            s => {
                if !valid.contains(s) {
                    return Err(format!(
                        "Bad subset '{s}' given to Ansible. gather_subset options allowed: all, {}",
                        VALID.join(", ")
                    ));
                }
                explicit.insert(s.to_string());
                add.insert(s.to_string());
            }
        }
    }
    if add.is_empty() {
        add = valid;
    }
    let dropped: BTreeSet<String> = exclude.difference(&explicit).cloned().collect();
    Ok(add.difference(&dropped).cloned().collect())
}

/// The groups to gather for a resolved subset set.
pub fn groups(subsets: &BTreeSet<String>) -> Vec<&'static str> {
    GROUPS
        .iter()
        .filter(|(g, ids)| subsets.contains(*g) || ids.iter().any(|i| subsets.contains(*i)))
        .map(|(g, _)| *g)
        .collect()
}

pub const FACT_MARK: &str = "@@hotplay-local-fact";

/// A script printing each *.fact file under `fact_path` (quoted) between markers:
/// `MARK name exec rc` or `MARK name file 0`, its output, then `MARK-end`.
pub fn local_script(fact_path_quoted: &str) -> String {
    format!(
        r#"fp={fact_path_quoted}
if [ -d "$fp" ]; then
  for f in "$fp"/*.fact; do
    [ -e "$f" ] || continue
    n=${{f##*/}}; n=${{n%.fact}}
    if [ -x "$f" ]; then
      e=$(mktemp) || exit 1
      o=$("$f" 2>"$e"; printf 'x%s' "$?")
      rc=${{o##*x}}; o=${{o%x*}}
      printf '%s %s exec %s\n%s\n' '{FACT_MARK}' "$n" "$rc" "$o"
      if [ "$rc" != 0 ]; then printf '%s-err\n' '{FACT_MARK}'; cat "$e"; printf '\n'; fi
      rm -f "$e"
    else
      printf '%s %s file 0\n' '{FACT_MARK}' "$n"; cat "$f"; printf '\n'
    fi
    printf '%s-end\n' '{FACT_MARK}'
  done
fi
"#
    )
}

/// `ansible_local` from the script's output, with the warnings ansible-core gives.
pub fn local_facts(
    output: &str,
    fact_path: &str,
    warnings: &mut Vec<String>,
) -> Map<String, Value> {
    let mut local = Map::new();
    let mut rest = output;
    while let Some(start) = rest.find(&format!("{FACT_MARK} ")) {
        let after = &rest[start + FACT_MARK.len() + 1..];
        let (head, body) = after.split_once('\n').unwrap_or((after, ""));
        let end_mark = format!("{FACT_MARK}-end\n");
        let (body, next) = match body.find(&end_mark) {
            Some(i) => (&body[..i], &body[i + end_mark.len()..]),
            None => (body, ""),
        };
        rest = next;
        let mut words = head.split(' ');
        let (name, kind, rc) = (
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
            words.next().unwrap_or("0"),
        );
        let file = format!("{}/{name}.fact", fact_path.trim_end_matches('/'));
        let (out, err) = match body.split_once(&format!("{FACT_MARK}-err\n")) {
            Some((o, e)) => (o, e),
            None => (body, ""),
        };
        // The script adds one newline after the content.
        let out = out.strip_suffix('\n').unwrap_or(out);
        if kind == "exec" && rc != "0" {
            let err = err.strip_suffix('\n').unwrap_or(err);
            let msg = format!("Failure executing fact script ({file}), rc: {rc}, err: {err}");
            warnings.push(msg.clone());
            local.insert(name.to_string(), Value::String(msg));
            continue;
        }
        let fact = match serde_json::from_str::<Value>(out) {
            Ok(v) => v,
            Err(_) => match ini(out) {
                Some(m) => Value::Object(m),
                None => {
                    let msg = format!(
                        "error loading facts as JSON or ini - please check content: {file}"
                    );
                    warnings.push(msg.clone());
                    Value::String(msg)
                }
            },
        };
        local.insert(name.to_string(), fact);
    }
    local
}

/// Python's configparser as ansible-core uses it: sections of `key = value` or
/// `key: value`, keys lowercased, continuation lines joined; None when it would raise.
fn ini(text: &str) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut section: Option<String> = None;
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            last_key = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous value.
            let (Some(s), Some(k)) = (&section, &last_key) else {
                return None;
            };
            let m = out.get_mut(s)?.as_object_mut()?;
            let v = m.get(k)?.as_str()?.to_string();
            m.insert(k.clone(), Value::String(format!("{v}\n{trimmed}")));
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            if out.contains_key(name) {
                return None;
            }
            out.insert(name.to_string(), Value::Object(Map::new()));
            section = Some(name.to_string());
            last_key = None;
            continue;
        }
        let s = section.as_ref()?;
        let cut = trimmed.find(['=', ':'])?;
        let key = trimmed[..cut].trim().to_lowercase();
        let value = trimmed[cut + 1..].trim().to_string();
        let m = out.get_mut(s)?.as_object_mut()?;
        if m.contains_key(&key) {
            return None;
        }
        m.insert(key.clone(), Value::String(value));
        last_key = Some(key);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subsets(s: &[&str]) -> Vec<&'static str> {
        let list: Vec<String> = s.iter().map(|x| x.to_string()).collect();
        groups(&resolve(&list).expect("valid"))
    }

    #[test]
    fn subsets_resolve_as_ansible_core() {
        let all = vec![
            "platform",
            "user",
            "date_time",
            "distribution",
            "local",
            "hardware",
            "network",
        ];
        assert_eq!(subsets(&["all"]), all);
        assert_eq!(
            subsets(&["!all"]),
            ["platform", "user", "date_time", "distribution", "local"]
        );
        assert!(subsets(&["!all", "!min"]).is_empty());
        assert_eq!(
            subsets(&["!all", "network"]),
            [
                "platform",
                "user",
                "date_time",
                "distribution",
                "local",
                "network"
            ]
        );
        // As ansible-core: a lone exclusion leaves min only.
        assert_eq!(subsets(&["!hardware"]), subsets(&["!all"]));
        assert_eq!(subsets(&["all", "!hardware"]).len(), 6);
        assert_eq!(subsets(&["!all", "!min", "interfaces"]), ["network"]);
        let e = resolve(&["nope".to_string()]).unwrap_err();
        assert!(e.starts_with("Bad subset 'nope' given to Ansible. gather_subset options allowed: all, all_ipv4_addresses,"), "{e}");
    }

    #[test]
    fn local_facts_json_ini_and_failures() {
        let out = format!(
            "{m} a file 0\n{{\"x\": [1, 2]}}\n{m}-end\n{m} b file 0\n[Sect]\nKey = v1\nother: two\n  more\n{m}-end\n{m} c exec 3\n\n{m}-err\nboom\n\n{m}-end\n{m} d file 0\nnot ini\n{m}-end\n",
            m = FACT_MARK
        );
        let mut w = Vec::new();
        let f = local_facts(&out, "/etc/ansible/facts.d", &mut w);
        assert_eq!(f["a"], serde_json::json!({"x": [1, 2]}));
        assert_eq!(
            f["b"],
            serde_json::json!({"Sect": {"key": "v1", "other": "two\nmore"}})
        );
        assert_eq!(
            f["c"],
            "Failure executing fact script (/etc/ansible/facts.d/c.fact), rc: 3, err: boom\n"
        );
        assert_eq!(
            f["d"],
            "error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/d.fact"
        );
        assert_eq!(w.len(), 2);
    }
}
