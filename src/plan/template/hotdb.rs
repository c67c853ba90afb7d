//! HotDB version filters (PROCEDURES.md V1, V4, V5):
//!
//! - `hotdb_version`: `'hotdb-server-2.5.4-ga-20190812.tar.gz' | hotdb_version` →
//!   `{component, version, major, minor, patch, tag, date, full}`; a bare
//!   `2.5.4-ga-20190812` or `2.5.4` works too (component and date then empty).
//! - `hotdb_version_cmp` filter and `hotdb_newer` test: compare two such names
//!   numerically (2.5.10 > 2.5.9), then by build date (same version, newer date).
//! - `hotdb_upgrade_route(listing, installed, target, db='')` (`listing`: names, paths,
//!   find/ls results, or a controller directory to search for .sql files): the upgrade SQL
//!   scripts `<db>_<from>_to_<to>.sql` to run, in order, to go from the installed
//!   version to the target one; empty when only the build date differs (V5);
//!   an error naming the missing hop when the chain is broken (V4).

use super::filters::err;
use minijinja::value::Value;
use minijinja::{Environment, Error};
use serde_json::json;
use std::cmp::Ordering;
use std::sync::LazyLock;

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("hotdb_version", |s: String| -> Result<Value, Error> {
        Ok(super::filters::val(&parse(&s)?.to_json()))
    });
    env.add_filter(
        "hotdb_version_cmp",
        |a: String, b: String| -> Result<i64, Error> {
            Ok(match parse(&a)?.cmp(&parse(&b)?) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            })
        },
    );
    env.add_test(
        "hotdb_newer",
        |a: String, b: String| -> Result<bool, Error> {
            Ok(parse(&a)?.cmp(&parse(&b)?) == Ordering::Greater)
        },
    );
    env.add_filter("hotdb_upgrade_route", upgrade_route_filter);
}

/// One parsed HotDB version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotdbVersion {
    pub component: String,
    pub nums: [u64; 3],
    pub tag: String,
    pub date: String,
    /// Written with two numbers (`hotdb-backup-2.1-...`): shown so, compared as x.y.0.
    pub two_part: bool,
}

impl HotdbVersion {
    pub fn version(&self) -> String {
        if self.two_part {
            format!("{}.{}", self.nums[0], self.nums[1])
        } else {
            format!("{}.{}.{}", self.nums[0], self.nums[1], self.nums[2])
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut full = self.version();
        if !self.tag.is_empty() {
            full.push('-');
            full.push_str(&self.tag);
        }
        if !self.date.is_empty() {
            full.push('-');
            full.push_str(&self.date);
        }
        json!({
            "component": self.component,
            "version": self.version(),
            "major": self.nums[0],
            "minor": self.nums[1],
            "patch": self.nums[2],
            "tag": self.tag,
            "date": self.date,
            "full": full,
        })
    }
}

impl Ord for HotdbVersion {
    /// Numbers first, then the build date (an undated version sorts first).
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums
            .cmp(&other.nums)
            .then_with(|| self.date.cmp(&other.date))
    }
}

impl PartialOrd for HotdbVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

static NAME: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:.*/)?(?:([A-Za-z][A-Za-z_-]*?)[-_])?(\d+)\.(\d+)(?:\.(\d+))?(?:-([A-Za-z]+))?(?:-(\d{8}))?(?:-linux)?(?:\.(?:tar\.gz|tgz|tar|zip|war|jar))?$",
    )
    .expect("static regex")
});

/// Parse a package name, a `x.y.z-tag-date` string or a bare `x.y.z`.
pub fn parse(s: &str) -> Result<HotdbVersion, Error> {
    let s = s.trim();
    let c = NAME.captures(s).ok_or_else(|| {
        err(format!(
            "hotdb_version: not a HotDB version or package name: {s:?}"
        ))
    })?;
    let num = |i: usize| -> Result<u64, Error> {
        c[i].parse::<u64>()
            .map_err(|_| err(format!("hotdb_version: number too large in {s:?}")))
    };
    let text = |i: usize| c.get(i).map_or(String::new(), |m| m.as_str().to_string());
    Ok(HotdbVersion {
        component: text(1),
        nums: [
            num(2)?,
            num(3)?,
            if c.get(4).is_some() { num(4)? } else { 0 },
        ],
        tag: text(5),
        date: text(6),
        two_part: c.get(4).is_none(),
    })
}

static SCRIPT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^(?:.*/)?([A-Za-z0-9_]+?)_(\d+\.\d+\.\d+)_to_(\d+\.\d+\.\d+)\.sql$")
        .expect("static regex")
});

/// The ordered upgrade scripts from `installed` to `target` among `listing`
/// (file names or paths; other entries are ignored). Only scripts of `db` count
/// when it is not empty. Each hop goes from the current version to the lowest
/// `to` above it, never past the target; a gap is an error.
pub fn upgrade_route(
    listing: &[String],
    installed: &str,
    target: &str,
    db: &str,
) -> Result<Vec<String>, String> {
    let installed = parse(installed).map_err(|e| e.to_string())?;
    let target = parse(target).map_err(|e| e.to_string())?;
    if target.nums < installed.nums {
        return Err(format!(
            "hotdb_upgrade_route: target {} is older than installed {}",
            target.version(),
            installed.version()
        ));
    }
    let mut hops: Vec<([u64; 3], [u64; 3], String)> = Vec::new();
    for entry in listing {
        let Some(c) = SCRIPT.captures(entry) else {
            continue;
        };
        if !db.is_empty() && &c[1] != db {
            continue;
        }
        let from = parse(&c[2]).map_err(|e| e.to_string())?.nums;
        let to = parse(&c[3]).map_err(|e| e.to_string())?.nums;
        hops.push((from, to, entry.clone()));
    }
    let mut route = Vec::new();
    let mut at = installed.nums;
    while at < target.nums {
        let next = hops
            .iter()
            .filter(|(from, to, _)| *from == at && *to > at && *to <= target.nums)
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.2.cmp(&b.2)));
        match next {
            Some((_, to, name)) => {
                route.push(name.clone());
                at = *to;
            }
            None => {
                let v = |n: [u64; 3]| format!("{}.{}.{}", n[0], n[1], n[2]);
                return Err(format!(
                    "hotdb_upgrade_route: no upgrade script from {} (towards {}){}; route so far: {:?}",
                    v(at),
                    v(target.nums),
                    if db.is_empty() {
                        String::new()
                    } else {
                        format!(" for {db}")
                    },
                    route
                ));
            }
        }
    }
    Ok(route)
}

/// The `.sql` files under `dir` (depth-limited: packages nest them a few levels down).
fn sql_files(dir: &std::path::Path, depth: usize, out: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            sql_files(&p, depth + 1, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p.display().to_string());
        }
    }
}

fn upgrade_route_filter(
    listing: Value,
    installed: String,
    target: String,
    db: Option<String>,
) -> Result<Value, Error> {
    let names: Vec<String> = match listing.as_str() {
        // A directory on the controller (an unpacked package): its .sql files, at any depth.
        Some(s) if !s.contains('\n') && std::path::Path::new(s.trim()).is_dir() => {
            let mut found = Vec::new();
            sql_files(std::path::Path::new(s.trim()), 0, &mut found);
            found.sort();
            found
        }
        Some(s) => s.lines().map(|l| l.trim().to_string()).collect(),
        None => listing
            .try_iter()?
            .map(|v| {
                // find/ls results: strings, or dicts with `path`.
                match v.get_attr("path") {
                    Ok(p) if !p.is_undefined() => p.to_string(),
                    _ => v.as_str().map_or_else(|| v.to_string(), str::to_string),
                }
            })
            .collect(),
    };
    let route =
        upgrade_route(&names, &installed, &target, db.as_deref().unwrap_or("")).map_err(err)?;
    Ok(Value::from(route))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_package_names_and_bare_versions() {
        let v = parse("hotdb-server-2.5.4-ga-20190812.tar.gz").unwrap();
        assert_eq!(v.component, "hotdb-server");
        assert_eq!(v.nums, [2, 5, 4]);
        assert_eq!(v.tag, "ga");
        assert_eq!(v.date, "20190812");
        let j = v.to_json();
        assert_eq!(j["full"], "2.5.4-ga-20190812");
        let b = parse("2.5.4-ga-20190812").unwrap();
        assert_eq!(b.component, "");
        assert_eq!(b.date, "20190812");
        assert_eq!(
            parse("/opt/pkg/hotdb-management-2.5.10.tar.gz")
                .unwrap()
                .nums,
            [2, 5, 10]
        );
        assert!(parse("hotdb-server.tar.gz").is_err());
    }

    #[test]
    fn compares_numbers_then_dates() {
        let p = |s| parse(s).unwrap();
        assert!(p("2.5.10") > p("2.5.9"));
        assert!(p("2.5.4-ga-20190901") > p("2.5.4-ga-20190812"));
        assert!(p("2.4.9-ga-20991231") < p("2.5.1-ga-20000101"));
        assert_eq!(
            p("hotdb-server-2.5.4-ga-20190812.tar.gz").cmp(&p("2.5.4-ga-20190812")),
            Ordering::Equal
        );
    }

    fn listing() -> Vec<String> {
        [
            "hotdb_config_2.4.9_to_2.5.1.sql",
            "hotdb_config_2.5.1_to_2.5.3.sql",
            "hotdb_config_2.5.3_to_2.5.4.sql",
            "hotdb_config_2.5.4_to_2.5.6.sql",
            "other_2.4.9_to_2.5.1.sql",
            "README",
        ]
        .iter()
        .map(|s| format!("utils/sql/upgrade/{s}"))
        .collect()
    }

    #[test]
    fn route_runs_every_hop_in_order() {
        let r = upgrade_route(&listing(), "2.4.9-ga-20180101", "2.5.4", "hotdb_config").unwrap();
        assert_eq!(
            r,
            vec![
                "utils/sql/upgrade/hotdb_config_2.4.9_to_2.5.1.sql",
                "utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql",
                "utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql",
            ]
        );
    }

    #[test]
    fn same_version_newer_date_needs_no_sql() {
        let r = upgrade_route(&listing(), "2.5.4-ga-20190101", "2.5.4-ga-20190812", "").unwrap();
        assert!(r.is_empty());
    }

    #[test]
    fn missing_hop_and_downgrade_fail() {
        let mut l = listing();
        l.remove(1);
        let e = upgrade_route(&l, "2.4.9", "2.5.4", "hotdb_config").unwrap_err();
        assert!(e.contains("no upgrade script from 2.5.1"), "{e}");
        assert!(upgrade_route(&l, "2.5.4", "2.5.1", "").is_err());
        // A target between two hops is unreachable.
        assert!(upgrade_route(&listing(), "2.5.4", "2.5.5", "").is_err());
    }

    #[test]
    fn filters_work_in_templates() {
        let mut env = Environment::new();
        register(&mut env);
        let out = env
            .render_str(
                "{{ ('hotdb-server-2.5.4-ga-20190812.tar.gz' | hotdb_version).version }} \
                 {{ '2.5.10' | hotdb_version_cmp('2.5.9') }} \
                 {{ '2.5.4-ga-20190901' is hotdb_newer('2.5.4-ga-20190812') }} \
                 {{ l | hotdb_upgrade_route('2.5.1', '2.5.4', 'hotdb_config') | length }}",
                minijinja::context! { l => listing() },
            )
            .unwrap();
        assert_eq!(out.to_lowercase(), "2.5.4 1 true 2");
    }
}
