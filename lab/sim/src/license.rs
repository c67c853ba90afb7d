//! Licenses in `keys/`. Before 2.5.6 a USB-key image (format 1, perpetual); from 2.5.6 the
//! vendor's own format (format 2) with a 90-day, 16-node trial in the package, activated at
//! the first start. A license of the other format is void for a version.

use crate::catalog::Release;
use crate::settings::parse_properties;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub format: u32,
    /// 1 trial, 2 term, 3 perpetual (as `show @@usbkey` reports it).
    pub usbkey_type: u32,
    /// Data nodes allowed.
    pub node_limit: u32,
    pub logicdb_limit: u32,
    /// Validity from activation; `None` for perpetual.
    pub days: Option<u64>,
}

/// Where the first start records its activation time.
pub const ACTIVATION_FILE: &str = "keys/activation";

impl License {
    /// The license a release's package carries.
    pub fn shipped(r: Release) -> License {
        if r.license_format() == 2 {
            License {
                format: 2,
                usbkey_type: 1,
                node_limit: 16,
                logicdb_limit: 16,
                days: Some(90),
            }
        } else {
            License {
                format: 1,
                usbkey_type: 3,
                node_limit: 64,
                logicdb_limit: 64,
                days: None,
            }
        }
    }

    pub fn file_name(&self) -> &'static str {
        if self.format == 2 {
            "hotdb_trial.lic"
        } else {
            "hotdb_usbkey.v2c"
        }
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "# HotDB license (hotdb-sim format {})\nformat={}\nusbkey_type={}\nnode_limit={}\nlogicdb_limit={}\n",
            self.format, self.format, self.usbkey_type, self.node_limit, self.logicdb_limit
        );
        if let Some(days) = self.days {
            out.push_str(&format!("days={days}\n"));
        }
        out
    }

    pub fn parse(text: &str) -> Option<License> {
        let p = parse_properties(text);
        let num = |k: &str| p.get(k).and_then(|v| v.parse::<u32>().ok());
        Some(License {
            format: num("format")?,
            usbkey_type: num("usbkey_type")?,
            node_limit: num("node_limit")?,
            logicdb_limit: num("logicdb_limit").unwrap_or(0),
            days: p.get("days").and_then(|v| v.parse().ok()),
        })
    }

    /// Seconds left, from the activation time; `None` when perpetual.
    pub fn left_time(&self, activated: u64, now: u64) -> Option<u64> {
        self.days
            .map(|d| (activated + d * 86400).saturating_sub(now))
    }
}

/// The valid license in `<home>/keys` for `release`, or why there is none.
pub fn find(home: &Path, release: Release) -> Result<License, String> {
    let dir = home.join("keys");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read license directory {}: {e}", dir.display()))?;
    let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    let mut other_format = None;
    for path in names {
        let Some(license) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| License::parse(&t))
        else {
            continue;
        };
        if license.format == release.license_format() {
            return Ok(license);
        }
        other_format = Some(path);
    }
    match other_format {
        Some(path) => Err(format!(
            "license {} is of an old format and void for HotDB-server {}; a new license is required",
            path.display(),
            release.version
        )),
        None => Err(format!("no valid license found in {}", dir.display())),
    }
}

/// The activation time, recorded at the first call.
pub fn activation(home: &Path) -> u64 {
    let path = home.join(ACTIVATION_FILE);
    if let Some(t) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
    {
        return t;
    }
    let now = now();
    let _ = std::fs::write(&path, format!("{now}\n"));
    now
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Version, find_release};

    #[test]
    fn old_license_is_void_from_256() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        let old = find_release(Version(2, 5, 5), "20191230").unwrap();
        let new = find_release(Version(2, 5, 6), "20200918").unwrap();
        let l = License::shipped(old);
        std::fs::write(dir.path().join("keys").join(l.file_name()), l.render()).unwrap();
        assert_eq!(find(dir.path(), old).unwrap(), l);
        let err = find(dir.path(), new).unwrap_err();
        assert!(err.contains("void"), "{err}");
        let l = License::shipped(new);
        assert_eq!((l.node_limit, l.days), (16, Some(90)));
        assert_eq!(l.left_time(100, 100 + 86400), Some(89 * 86400));
    }
}
