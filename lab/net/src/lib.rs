//! hotplay-lab: a HotDB cluster on one machine. Each lab host is a network namespace on
//! one bridge with its own mount and UTS namespaces, a real sshd, and the components of its
//! role: simulated compute nodes (lab/sim) with a real keepalived moving a VIP, a real
//! MariaDB config DB, the management platform, and a client for traffic. Everything made is
//! recorded in `<dir>/lab.json`, so `down` removes exactly that. See lab/README.md.

pub mod configdb;
pub mod down;
pub mod fault;
pub mod host;
pub mod inventory;
pub mod state;
pub mod status;
pub mod topology;
pub mod traffic;
pub mod up;

use std::path::{Path, PathBuf};

pub use down::down;
pub use status::status;
pub use up::{UpOptions, up};

/// The default lab directory (sshd's StrictModes rules out world-writable parents like /tmp).
pub const DEFAULT_DIR: &str = "/var/lib/hotplay-lab/default";
pub const DEFAULT_SUBNET: &str = "10.89.0.0/24";

pub fn require_root() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("hotplay lab needs root (network namespaces, bind mounts, sshd): run it with sudo or as root".into());
    }
    Ok(())
}

/// A name prefix unique to a lab directory: `hl` and 4 hex digits of the path's hash,
/// short enough for interface names (15 characters at most).
pub fn prefix_of(dir: &Path) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in dir.as_os_str().as_encoded_bytes() {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("hl{:04x}", (h ^ (h >> 16)) & 0xffff)
}

/// An absolute lab directory.
pub fn lab_dir(dir: Option<&Path>) -> PathBuf {
    let d = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    if d.is_absolute() {
        d
    } else {
        std::env::current_dir().unwrap_or_default().join(d)
    }
}

/// Loads a lab's state, or says there is none.
pub fn load(dir: &Path) -> Result<state::State, String> {
    state::State::load(dir)?.ok_or_else(|| {
        format!(
            "no lab in {} (start one with `hotplay lab up --dir {}`)",
            dir.display(),
            dir.display()
        )
    })
}

/// A /24 given as `a.b.c.0/24`: its first three octets.
pub fn parse_subnet(text: &str) -> Result<[u8; 3], String> {
    let bad = || format!("subnet {text:?}: expected an IPv4 /24 such as 10.89.0.0/24");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    if len != "24" {
        return Err(bad());
    }
    let a: std::net::Ipv4Addr = addr.parse().map_err(|_| bad())?;
    let o = a.octets();
    if o[3] != 0 {
        return Err(bad());
    }
    Ok([o[0], o[1], o[2]])
}

/// Fails when a route of the machine overlaps the subnet.
pub fn check_subnet_free(net: [u8; 3]) -> Result<(), String> {
    let out = host::ip(&["-4", "-o", "route", "show", "table", "all"])?;
    let ours = u32::from_be_bytes([net[0], net[1], net[2], 0]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(dest) = line.split_whitespace().next() else {
            continue;
        };
        let dest = match dest {
            "default" | "broadcast" | "local" | "unreachable" | "multicast" => {
                // `local 127.0.0.1 ...`: the address is the second word.
                if dest == "default" {
                    continue;
                }
                match line.split_whitespace().nth(1) {
                    Some(d) => d,
                    None => continue,
                }
            }
            d => d,
        };
        let (addr, len) = dest.split_once('/').unwrap_or((dest, "32"));
        let (Ok(a), Ok(len)) = (addr.parse::<std::net::Ipv4Addr>(), len.parse::<u32>()) else {
            continue;
        };
        let a = u32::from(a);
        let l = len.min(24);
        let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
        if a & mask == ours & mask {
            return Err(format!(
                "subnet {}.{}.{}.0/24 collides with this machine's route `{}`: choose another with --subnet",
                net[0],
                net[1],
                net[2],
                line.trim()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_fit_interface_names() {
        let p = prefix_of(Path::new("/var/lib/hotplay-lab/default"));
        assert_eq!(p.len(), 6);
        assert_ne!(p, prefix_of(Path::new("/var/lib/hotplay-lab/other")));
        assert!(format!("{p}-br").len() <= 15);
    }

    #[test]
    fn subnets() {
        assert_eq!(parse_subnet("10.89.0.0/24").unwrap(), [10, 89, 0]);
        assert!(parse_subnet("10.89.0.0/16").is_err());
        assert!(parse_subnet("10.89.0.1/24").is_err());
    }
}
