//! vip_check: where a virtual IP lives. On the task host (`state`), or across a
//! group (`holder`: exactly one host must hold it), optionally reachable from the
//! controller, optionally waiting for a VIP that is expected to move.

use crate::execute::connection::{ConnError, Connection, ExecRequest};
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub struct VipCheck;

static DOC: ModuleDoc = ModuleDoc {
    name: "vip_check",
    short: "Check where a virtual IP lives",
    description: "Reads the addresses of hosts (`ip -o addr`) to find a virtual IP.
- `state: present|absent`: the VIP is (or is not) on the task host; returns its interface and label.
- `holder: GROUP`: exactly one host of the group holds it (none, or more than one, fails); `expect_holder` names the host that must be it. The other hosts are reached over their own connections.
- `reachable_port`: the controller must also open a TCP connection to VIP:port.
- `timeout`: keep checking every `sleep` seconds for up to that many seconds (a VIP that is moving); 0 checks once.",
    args: &[
        ArgSpec::new("vip", ArgType::Str, "The virtual IP address.").required(),
        ArgSpec::new("state", ArgType::Str, "On the task host: present or absent.")
            .choices(&["present", "absent"]),
        ArgSpec::new(
            "holder",
            ArgType::Str,
            "A group: exactly one of its hosts must hold the VIP.",
        ),
        ArgSpec::new(
            "expect_holder",
            ArgType::Str,
            "With holder: the inventory host that must hold it.",
        ),
        ArgSpec::new(
            "reachable_port",
            ArgType::Int,
            "A port on the VIP the controller must be able to connect to.",
        ),
        ArgSpec::new("timeout", ArgType::Int, "Seconds to keep checking; 0 checks once.")
            .default("0"),
        ArgSpec::new("sleep", ArgType::Int, "Seconds between checks.").default("1"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual: it only looks.",
    returns: "vip; present, interface, label (state mode); holder, holders, interface, label (holder mode); reachable; elapsed",
    examples: "# MBR-1 f: the VIP is on the current master.
- vip_check: vip={{ hotdb_vip }} state=present
  when: inventory_hostname in groups['hotdb_master']
# MBR-4: after the master stops, the VIP must move to the backup within 30 s.
- vip_check:
    vip: \"{{ hotdb_vip }}\"
    holder: hotdb_server
    expect_holder: \"{{ groups['hotdb_backup'][0] }}\"
    reachable_port: 3323
    timeout: 30
  run_once: true",
};

/// Where the address sits on one host.
#[derive(Clone, Debug, PartialEq)]
struct Found {
    interface: String,
    label: String,
}

/// The VIP in `ip -o addr` output: the interface and the label of its line.
fn find_in(ip_output: &str, vip: IpAddr) -> Option<Found> {
    for line in ip_output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "inet" || *w == "inet6") else {
            continue;
        };
        let Some(addr) = words.get(at + 1).and_then(|a| a.split('/').next()) else {
            continue;
        };
        if addr.parse::<IpAddr>().ok() != Some(vip) {
            continue;
        }
        let interface = words.get(1).unwrap_or(&"").trim_end_matches(':');
        let interface = interface.split('@').next().unwrap_or(interface).to_string();
        // The label is the last word before the `\` that starts the lifetimes (`eth0:1\`).
        let mut before: Vec<&str> = Vec::new();
        for w in &words {
            match w.split_once('\\') {
                Some((head, _)) => {
                    if !head.is_empty() {
                        before.push(head);
                    }
                    break;
                }
                None => before.push(w),
            }
        }
        let label = before
            .last()
            .filter(|w| w.starts_with(&interface) && **w != interface.as_str())
            .map(|w| w.to_string())
            .unwrap_or_else(|| interface.clone());
        return Some(Found { interface, label });
    }
    None
}

const QUERY: &str = "if command -v ip >/dev/null 2>&1; then exec ip -o addr show; fi\n\
                     echo 'vip_check needs the ip command (iproute2) on the target' >&2; exit 4";

async fn look(conn: &dyn Connection, vip: IpAddr) -> Result<Option<Found>, String> {
    let out = conn
        .exec(ExecRequest {
            script: QUERY.into(),
            timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(out.stderr_text().trim().to_string());
    }
    Ok(find_in(&out.stdout_text(), vip))
}

async fn reachable(vip: IpAddr, port: i64) -> bool {
    let addr = std::net::SocketAddr::new(vip, port as u16).to_string();
    super::wait_for_port::controller_connects(&addr, Duration::from_secs(3)).await
}

/// One look at the whole picture: Ok(outcome) when satisfied, Err(outcome) when not (yet).
async fn check(
    h: &Handle<'_>,
    args: &Args,
    vip: IpAddr,
) -> Result<Result<Outcome, Outcome>, ConnError> {
    let port = args.int("reachable_port");
    let reach = match port {
        Some(p) => Some(reachable(vip, p).await),
        None => None,
    };
    let with_reach = |o: Outcome| match reach {
        Some(r) => o.with("reachable", r),
        None => o,
    };
    let unreachable_msg = || {
        format!(
            "the controller cannot connect to {vip}:{}",
            port.unwrap_or_default()
        )
    };
    if let Some(group) = args.str("holder") {
        let members: Vec<String> = h
            .vars
            .get_attr("groups")
            .ok()
            .and_then(|g| g.get_item(&minijinja::Value::from(group)).ok())
            .and_then(|l| {
                l.try_iter()
                    .ok()
                    .map(|it| it.map(|v| v.to_string()).collect())
            })
            .unwrap_or_default();
        if members.is_empty() {
            return Ok(Err(Outcome::failed(format!(
                "group `{group}` has no hosts"
            ))));
        }
        let mut holders = Vec::new();
        let mut problems = Vec::new();
        let mut where_ = None;
        for m in &members {
            let conn: &dyn Connection = if m == h.host {
                h.conn
            } else if let Some(c) = h.peers.get(m) {
                c.as_ref()
            } else {
                problems.push(format!("{m}: no connection"));
                continue;
            };
            match look(conn, vip).await {
                Ok(Some(f)) => {
                    holders.push(m.clone());
                    where_ = Some(f);
                }
                Ok(None) => {}
                Err(e) => problems.push(format!("{m}: {e}")),
            }
        }
        let base = |o: Outcome| {
            let o = o
                .with("vip", vip.to_string())
                .with("holders", holders.clone())
                .with(
                    "holder",
                    holders
                        .first()
                        .cloned()
                        .map(Value::from)
                        .unwrap_or(Value::Null),
                );
            let o = match &where_ {
                Some(f) if holders.len() == 1 => o
                    .with("interface", f.interface.clone())
                    .with("label", f.label.clone()),
                _ => o,
            };
            let o = if problems.is_empty() {
                o
            } else {
                o.with("unchecked", problems.clone())
            };
            with_reach(o)
        };
        let msg = match holders.len() {
            0 if problems.is_empty() => Some(format!("no host of {group} holds {vip}")),
            0 => Some(format!(
                "no reachable host of {group} holds {vip} (not checked: {})",
                problems.join("; ")
            )),
            1 => None,
            _ => Some(format!(
                "{vip} is on more than one host of {group}: {}",
                holders.join(", ")
            )),
        };
        if let Some(msg) = msg {
            return Ok(Err(base(Outcome::failed(msg))));
        }
        if let Some(want) = args.str("expect_holder")
            && holders[0] != want
        {
            return Ok(Err(base(Outcome::failed(format!(
                "{vip} is on {}, expected on {want}",
                holders[0]
            )))));
        }
        if reach == Some(false) {
            return Ok(Err(base(Outcome::failed(unreachable_msg()))));
        }
        return Ok(Ok(base(Outcome::ok())));
    }
    let want_present = args.str("state").unwrap_or("present") == "present";
    let found = match look(h.conn, vip).await {
        Ok(f) => f,
        Err(e) => return Ok(Err(Outcome::failed(e))),
    };
    let mut o = Outcome::ok()
        .with("vip", vip.to_string())
        .with("present", found.is_some());
    if let Some(f) = &found {
        o = o
            .with("interface", f.interface.clone())
            .with("label", f.label.clone());
    }
    let o = with_reach(o);
    if found.is_some() != want_present {
        let mut f = o;
        f.failed = true;
        f.msg = Some(if want_present {
            format!("{vip} is not on {}", h.host)
        } else {
            format!(
                "{vip} is on {} ({}), expected elsewhere",
                h.host,
                found.map(|f| f.label).unwrap_or_default()
            )
        });
        return Ok(Err(f));
    }
    if reach == Some(false) {
        let mut f = o;
        f.failed = true;
        f.msg = Some(unreachable_msg());
        return Ok(Err(f));
    }
    Ok(Ok(o))
}

#[async_trait]
impl Module for VipCheck {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    fn uses_peers(&self) -> bool {
        true
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let text = args.string("vip").unwrap_or_default();
        let Ok(vip) = text.trim().parse::<IpAddr>() else {
            return Ok(Outcome::failed(format!(
                "vip `{text}` is not an IP address"
            )));
        };
        if args.has("holder") == args.has("state") {
            return Ok(Outcome::failed(
                "give one of `state` (this host) and `holder` (a group)",
            ));
        }
        if args.has("expect_holder") && !args.has("holder") {
            return Ok(Outcome::failed("expect_holder goes with holder"));
        }
        let timeout = Duration::from_secs(args.int("timeout").unwrap_or(0).max(0) as u64);
        let sleep = Duration::from_secs(args.int("sleep").unwrap_or(1).max(1) as u64);
        let poll = async {
            let started = Instant::now();
            loop {
                let result = check(h, args, vip).await?;
                let elapsed = started.elapsed().as_secs();
                match result {
                    Ok(o) => return Ok(o.with("elapsed", elapsed)),
                    Err(o) if started.elapsed() >= timeout => {
                        return Ok(o.with("elapsed", elapsed));
                    }
                    Err(_) => tokio::time::sleep(sleep).await,
                }
            }
        };
        h.waiting(format!("VIP {vip}"), Some(timeout), poll).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IP_OUTPUT: &str = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.89.0.11/24 brd 10.89.0.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.89.0.100/24 scope global secondary eth0:1\\       valid_lft forever preferred_lft forever
3: veth9@if4    inet 10.0.0.9/32 scope global veth9\\       valid_lft forever preferred_lft forever
2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever";

    #[test]
    fn finds_interface_and_label() {
        let vip: IpAddr = "10.89.0.100".parse().expect("ip");
        assert_eq!(
            find_in(IP_OUTPUT, vip),
            Some(Found {
                interface: "eth0".into(),
                label: "eth0:1".into()
            })
        );
        let plain: IpAddr = "10.0.0.9".parse().expect("ip");
        assert_eq!(
            find_in(IP_OUTPUT, plain),
            Some(Found {
                interface: "veth9".into(),
                label: "veth9".into()
            })
        );
        assert_eq!(find_in(IP_OUTPUT, "10.89.0.101".parse().expect("ip")), None);
        assert_eq!(
            find_in(IP_OUTPUT, "fe80::1".parse().expect("ip")).map(|f| f.interface),
            Some("eth0".into())
        );
    }

    #[tokio::test]
    async fn on_this_host_present_and_absent() {
        let fx = super::super::remote_file::testing::Fixture::new();
        let o = fx
            .run(
                &VipCheck,
                json!({"vip": "127.0.0.1", "state": "present"}),
                false,
                false,
            )
            .await;
        assert!(!o.failed, "{:?}", o.msg);
        assert_eq!(o.data["interface"], "lo");
        let o = fx
            .run(
                &VipCheck,
                json!({"vip": "192.0.2.77", "state": "present"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
        assert_eq!(o.data["present"], false);
        let o = fx
            .run(
                &VipCheck,
                json!({"vip": "192.0.2.77", "state": "absent"}),
                false,
                false,
            )
            .await;
        assert!(!o.failed, "{:?}", o.msg);
        let o = fx
            .run(
                &VipCheck,
                json!({"vip": "not-an-ip", "state": "absent"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
    }
}
