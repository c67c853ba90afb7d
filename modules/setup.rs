//! setup: gather a small set of facts about the host in one round trip.

use super::setup_subsets as subsets;
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::parse::shell::quote;
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct Setup;

/// Where the local facts begin in the script's output.
const LOCAL_BEGIN: &str = "@@hotplay-local-begin";

static DOC: ModuleDoc = ModuleDoc {
    name: "setup",
    short: "Gather facts about the host",
    description: "Gathers hostname, fqdn, OS and distribution, kernel, architecture, CPU count, memory, user, IPv4 addresses, interfaces and local facts (ansible_local) with one POSIX shell script. Facts are set as `ansible_facts.<name>` and `ansible_<name>`.",
    args: &[
        ArgSpec::new(
            "gather_subset",
            ArgType::List,
            "Which groups of facts, as ansible-core reads it: `all`, `min`, a group (`hardware`, `network`, `platform`, `distribution`, `user`, `date_time`, `local`) or a fact id, `!name` to leave one out (`!all` keeps min). Subsets ansible-core knows and hotplay has no facts for give nothing.",
        )
        .default("all"),
        ArgSpec::new(
            "fact_path",
            ArgType::Path,
            "Where local facts are: each *.fact file (JSON or INI; executable ones are run and their output read) becomes ansible_local.<name>.",
        )
        .default("/etc/ansible/facts.d"),
        ArgSpec::new(
            "filter",
            ArgType::List,
            "Only return facts whose name matches one of these shell-style patterns.",
        ),
        ArgSpec::new("gather_timeout", ArgType::Int, "Seconds before giving up.").default("10"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (reads only).",
    returns: "ansible_facts",
    examples: "- setup:\n    filter: ['ansible_hostname', 'ansible_default_ipv4']",
};

/// One shell fragment per group of facts (named as ansible-core's collectors).
const SCRIPTS: &[(&str, &str)] = &[
    (
        "platform",
        r#"printf 'hostname=%s\n' "$(uname -n)"
printf 'fqdn=%s\n' "$(hostname -f 2>/dev/null || uname -n)"
printf 'system=%s\n' "$(uname -s)"
printf 'kernel=%s\n' "$(uname -r)"
printf 'architecture=%s\n' "$(uname -m)"
"#,
    ),
    (
        "hardware",
        r#"printf 'processor_vcpus=%s\n' "$(nproc 2>/dev/null || echo 1)"
printf 'memtotal_kb=%s\n' "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"
"#,
    ),
    (
        "user",
        r#"printf 'user_id=%s\n' "$(id -un)"
printf 'user_uid=%s\n' "$(id -u)"
printf 'user_dir=%s\n' "$HOME"
"#,
    ),
    ("date_time", "printf 'epoch=%s\\n' \"$(date +%s)\"\n"),
    (
        "distribution",
        r#"if [ -r /etc/os-release ]; then . /etc/os-release; printf 'os_id=%s\nos_version=%s\nos_name=%s\n' "$ID" "$VERSION_ID" "$NAME"; fi
"#,
    ),
    (
        "network",
        r#"for i in /sys/class/net/*; do [ -e "$i" ] && printf 'interface=%s\n' "${i##*/}"; done
if command -v ip >/dev/null 2>&1; then
  ip -o -4 addr show 2>/dev/null | awk '{split($4,a,"/"); print "ipv4=" $2 " " a[1] " " a[2]}'
  ip -o -4 route get 1.1.1.1 2>/dev/null | awk '{for(i=1;i<=NF;i++){if($i=="dev")d=$(i+1); if($i=="src")s=$(i+1)}} END{if(s!="") print "default_ipv4=" d " " s}'
fi
"#,
    ),
];

/// Shell-style match with `*` and `?` only.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(&p, &n)
}

fn facts_from(output: &str) -> Map<String, Value> {
    let mut f = Map::new();
    let mut interfaces = Vec::new();
    let mut all_ipv4 = Vec::new();
    for line in output.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k {
            "interface" => interfaces.push(Value::String(v.to_string())),
            "ipv4" => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                if let [dev, addr, prefix] = parts.as_slice() {
                    if *dev != "lo" {
                        all_ipv4.push(Value::String(addr.to_string()));
                    }
                    let mut m = Map::new();
                    m.insert("address".into(), Value::String(addr.to_string()));
                    m.insert("prefix".into(), Value::String(prefix.to_string()));
                    f.insert(
                        dev.replace(['-', '.', ':'], "_"),
                        serde_json::json!({"device": dev, "ipv4": m}),
                    );
                }
            }
            "default_ipv4" => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                if let [dev, addr] = parts.as_slice() {
                    f.insert(
                        "default_ipv4".into(),
                        serde_json::json!({"interface": dev, "address": addr}),
                    );
                }
            }
            "memtotal_kb" => {
                let mb = v.trim().parse::<u64>().map(|kb| kb / 1024).unwrap_or(0);
                f.insert("memtotal_mb".into(), Value::from(mb));
            }
            "processor_vcpus" | "user_uid" => {
                f.insert(
                    k.into(),
                    v.trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(v.into())),
                );
            }
            "epoch" => {
                f.insert("date_time".into(), serde_json::json!({"epoch": v.trim()}));
            }
            "os_id" => {
                f.insert("distribution".into(), Value::String(capitalize(v)));
                f.insert("os_family".into(), Value::String(os_family(v).into()));
            }
            "os_version" => {
                f.insert("distribution_version".into(), Value::String(v.into()));
                f.insert(
                    "distribution_major_version".into(),
                    Value::String(v.split('.').next().unwrap_or(v).into()),
                );
            }
            "os_name" => {}
            _ => {
                f.insert(k.into(), Value::String(v.into()));
            }
        }
    }
    if output.lines().any(|l| l.starts_with("interface=")) {
        f.insert("interfaces".into(), Value::Array(interfaces));
        f.insert("all_ipv4_addresses".into(), Value::Array(all_ipv4));
    }
    f
}

fn capitalize(s: &str) -> String {
    match s {
        "debian" => "Debian".into(),
        "ubuntu" => "Ubuntu".into(),
        "centos" => "CentOS".into(),
        "rhel" => "RedHat".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn os_family(id: &str) -> &'static str {
    match id {
        "debian" | "ubuntu" => "Debian",
        "centos" | "rhel" | "fedora" | "rocky" | "almalinux" | "ol" => "RedHat",
        "sles" | "opensuse" => "Suse",
        _ => "Linux",
    }
}

#[async_trait]
impl Module for Setup {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let mut wanted = args.str_list("gather_subset");
        if wanted.is_empty() {
            wanted.push("all".into());
        }
        let groups = match subsets::resolve(&wanted) {
            Ok(s) => subsets::groups(&s),
            Err(msg) => return Ok(Outcome::failed(msg)),
        };
        let mut script: String = SCRIPTS
            .iter()
            .filter(|(g, _)| groups.contains(g))
            .map(|(_, s)| *s)
            .collect();
        let fact_path = args
            .string("fact_path")
            .unwrap_or_else(|| "/etc/ansible/facts.d".into());
        if groups.contains(&"local") {
            script.push_str(&format!("printf '%s\\n' '{LOCAL_BEGIN}'\n"));
            script.push_str(&subsets::local_script(&quote(&fact_path)));
        }
        if script.is_empty() {
            return Ok(Outcome::ok().with("ansible_facts", Value::Object(Map::new())));
        }
        let out = h.run(&script).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "gathering facts failed: {}",
                out.stderr_text().trim()
            )));
        }
        let text = out.stdout_text();
        let (plain, local) = match text.split_once(&format!("{LOCAL_BEGIN}\n")) {
            Some((p, l)) => (p.to_string(), Some(l.to_string())),
            None => (text.to_string(), None),
        };
        let mut facts = facts_from(&plain);
        let mut warnings = Vec::new();
        if let Some(l) = local {
            let found = subsets::local_facts(&l, &fact_path, &mut warnings);
            facts.insert("local".into(), Value::Object(found));
        }
        let filters = args.str_list("filter");
        let mut shown = Map::new();
        for (k, v) in facts {
            let long = format!("ansible_{k}");
            if filters.is_empty()
                || filters
                    .iter()
                    .any(|p| glob_match(p, &long) || glob_match(p, &k))
            {
                shown.insert(long, v);
            }
        }
        let mut o = Outcome::ok().with("ansible_facts", Value::Object(shown));
        o.warnings = warnings;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_facts() {
        let f = facts_from(
            "hostname=db1\nos_id=debian\nos_version=12\ninterface=eth0\ninterface=lo\nipv4=eth0 10.0.0.5 24\nipv4=lo 127.0.0.1 8\ndefault_ipv4=eth0 10.0.0.5\nmemtotal_kb=2048000\n",
        );
        assert_eq!(f["hostname"], "db1");
        assert_eq!(f["distribution"], "Debian");
        assert_eq!(f["os_family"], "Debian");
        assert_eq!(f["all_ipv4_addresses"], serde_json::json!(["10.0.0.5"]));
        assert_eq!(f["default_ipv4"]["address"], "10.0.0.5");
        assert_eq!(f["eth0"]["ipv4"]["address"], "10.0.0.5");
        assert_eq!(f["memtotal_mb"], 2000);
        assert!(glob_match("ansible_*ipv4*", "ansible_default_ipv4"));
    }
}
