//! Master/backup: the initial role from `server.xml`, `online`/`offline`, and the VIP check
//! every `checkVIPPeriod` ms (a backup holding the VIP goes online, a serving master without
//! it goes offline). Cluster mode is handed to `cluster`.

use super::{Node, Role, TAG, cluster, port::Port, service};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Takes the role `server.xml` describes and opens the service port if it serves.
pub fn take_initial_role(node: &Arc<Node>) -> Result<(), String> {
    let (ha_mode, ha_state, idc) = {
        let c = node
            .config
            .lock()
            .map_err(|_| "config lock poisoned".to_string())?;
        (
            c.number("haMode")?,
            c.get("haState").to_string(),
            c.get("idcId").to_string(),
        )
    };
    if matches!(ha_mode, 3 | 5) || idc == "2" {
        set_role(node, Role::DrStandby);
        node.log.info(
            TAG,
            "HotDB-server runs in the DR room: only the management port is open",
        );
        return Ok(());
    }
    match ha_mode {
        0 | 2 if ha_state == "backup" => {
            set_role(node, Role::Backup);
            node.log.info(
                TAG,
                "HotDB-server started as backup: service port closed until online",
            );
            Ok(())
        }
        0 | 2 => {
            set_role(node, Role::Master);
            go_online(node, "master start")
        }
        1 | 4 if node.release.version < crate::catalog::Version(2, 5, 1) => Err(format!(
            "haMode {ha_mode} (cluster) is not supported by HotDB-server {}",
            node.release.version
        )),
        1 | 4 => {
            set_role(node, Role::Started);
            cluster::start(node)
        }
        _ => Err(format!("property 'haMode' is {ha_mode}, expected 0 to 5")),
    }
}

fn set_role(node: &Node, role: Role) {
    if let Ok(mut s) = node.state.lock() {
        s.role = role;
    }
}

/// Opens the service port; on a backup this is the HA switch and the node becomes master.
pub fn go_online(node: &Arc<Node>, reason: &str) -> Result<(), String> {
    let port = node
        .config
        .lock()
        .map_err(|_| "config lock poisoned".to_string())?
        .port("serverPort")?;
    let mut st = node
        .state
        .lock()
        .map_err(|_| "state lock poisoned".to_string())?;
    if st.role == Role::DrStandby {
        return Err("this compute node is in the DR room; it cannot go online".to_string());
    }
    if st.service.is_some() {
        return Ok(());
    }
    let switch = st.role == Role::Backup;
    if switch {
        st.role = Role::Master;
        node.log.info(
            TAG,
            &format!("HA switch ({reason}): this backup becomes master"),
        );
        if node.settings.flag("fault.ha.no_service_port") {
            st.switch_swallowed = true;
            node.log
                .fault("the service port is not opened after the HA switch");
            return Ok(());
        }
    }
    if st.switch_swallowed {
        return Ok(());
    }
    let opened = Port::open(port, service::handler(node))
        .map_err(|e| format!("cannot listen on service port {port}: {e}"))?;
    st.service = Some(opened);
    node.log
        .info(TAG, &format!("HotDB-Server listening on {port}"));
    Ok(())
}

/// Closes the service port and drops its clients.
pub fn go_offline(node: &Node, reason: &str) {
    let port = node.state.lock().ok().and_then(|mut s| s.service.take());
    if let Some(p) = port {
        let number = p.number;
        p.close();
        node.log.info(
            TAG,
            &format!("HotDB-Server service port {number} closed ({reason})"),
        );
    }
}

/// The periodic work of the main loop.
pub struct Ticker {
    vip: Option<IpAddr>,
    period: Duration,
    last_vip: Instant,
}

impl Ticker {
    pub fn new(node: &Node) -> Ticker {
        let (vip, period) = match node.config.lock() {
            Ok(c) => (
                c.get("VIP").parse().ok(),
                c.number("checkVIPPeriod").unwrap_or(500),
            ),
            Err(_) => (None, 500),
        };
        if let Some(v) = vip {
            node.log
                .info(TAG, &format!("checking VIP {v} every {period} ms"));
        }
        Ticker {
            vip,
            period: Duration::from_millis(period.max(50)),
            last_vip: Instant::now(),
        }
    }

    pub fn tick(&mut self, node: &Arc<Node>) {
        let Some(vip) = self.vip else { return };
        if self.last_vip.elapsed() < self.period {
            return;
        }
        self.last_vip = Instant::now();
        let held = local_addresses().contains(&vip);
        let (role, open) = match node.state.lock() {
            Ok(s) => (s.role, s.service.is_some()),
            Err(_) => return,
        };
        if role == Role::Backup && held {
            node.log
                .info(TAG, &format!("VIP {vip} is on this host: going online"));
            if let Err(e) = go_online(node, "VIP check") {
                node.log.error(TAG, &e);
            }
        } else if role == Role::Master && open && !held {
            node.log.info(
                TAG,
                &format!("VIP {vip} is not on this host: going offline"),
            );
            go_offline(node, "VIP check");
        }
    }
}

/// The addresses of this host's interfaces (in its network namespace).
pub fn local_addresses() -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we only read and then free once.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while !cur.is_null() {
            let addr = (*cur).ifa_addr;
            if !addr.is_null() {
                match i32::from((*addr).sa_family) {
                    libc::AF_INET => {
                        let sin = &*(addr as *const libc::sockaddr_in);
                        out.push(IpAddr::from(
                            u32::from_be(sin.sin_addr.s_addr).to_be_bytes(),
                        ));
                    }
                    libc::AF_INET6 => {
                        let sin6 = &*(addr as *const libc::sockaddr_in6);
                        out.push(IpAddr::from(sin6.sin6_addr.s6_addr));
                    }
                    _ => {}
                }
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(head);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_local() {
        assert!(super::local_addresses().contains(&"127.0.0.1".parse().unwrap()));
    }
}
