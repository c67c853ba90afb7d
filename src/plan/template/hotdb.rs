//! HotDB versions in templates: parse package names (`hotdb_version`), compare by
//! version then build date (`hotdb_version_compare`, `is hotdb_newer_than`), and the
//! route of upgrade SQL scripts from the installed version to the target
//! (`hotdb_upgrade_route`; the manual's V1, V4, V5).

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use std::cmp::Ordering;
use std::sync::LazyLock;

fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("hotdb_version", |s: &str| -> Result<Value, Error> {
        let v = parse(s)?;
        let opt = |o: Option<String>| o.map_or(Value::from(()), Value::from);
        Ok(Value::from_pairs([
            ("component", opt(v.component)),
            ("version", Value::from(v.version)),
            ("date", opt(v.date)),
            ("ga", Value::from(v.ga)),
            ("name", Value::from(v.name)),
        ]))
    });
    env.add_filter(
        "hotdb_version_compare",
        |a: &str, b: &str| -> Result<i64, Error> {
            Ok(match compare(&parse(a)?, &parse(b)?) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            })
        },
    );
    env.add_test(
        "hotdb_newer_than",
        |a: &str, b: &str| -> Result<bool, Error> {
            Ok(compare(&parse(a)?, &parse(b)?) == Ordering::Greater)
        },
    );
    env.add_filter(
        "hotdb_upgrade_route",
        |scripts: Vec<String>, installed: &str, target: &str| -> Result<Vec<String>, Error> {
            route(&scripts, installed, target).map_err(fail)
        },
    );
}

/// A parsed HotDB package name or version string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotdbVersion {
    /// `hotdb-server`, `hotdb-management`, ... (None for a bare version).
    pub component: Option<String>,
    /// The dotted numbers, as written (`2.5.4`).
    pub version: String,
    /// The build date `YYYYMMDD`, when given.
    pub date: Option<String>,
    pub ga: bool,
    /// The file name without its directory.
    pub name: String,
}

impl HotdbVersion {
    fn numbers(&self) -> Vec<u64> {
        numbers(&self.version)
    }
}

fn numbers(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Numeric comparison of dotted versions; missing parts count as 0 (2.5 == 2.5.0).
fn compare_numbers(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (a.get(i).unwrap_or(&0), b.get(i).unwrap_or(&0));
        match x.cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// By version, then by build date; a side without a date ties on the date.
pub fn compare(a: &HotdbVersion, b: &HotdbVersion) -> Ordering {
    compare_numbers(&a.numbers(), &b.numbers()).then_with(|| match (&a.date, &b.date) {
        (Some(x), Some(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

pub fn parse(s: &str) -> Result<HotdbVersion, Error> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(?:(hotdb-[a-z]+(?:-[a-z]+)*)-)?(\d+(?:\.\d+)*)(?:-(ga))?(?:-(\d{8}))?(?:-([A-Za-z0-9_.]+))?$",
        )
        .expect("static regex")
    });
    let name = s.trim().rsplit('/').next().unwrap_or_default().to_string();
    let stem = [".tar.gz", ".tgz", ".tar", ".zip"]
        .iter()
        .find_map(|x| name.strip_suffix(x))
        .unwrap_or(&name);
    let c = RE.captures(stem).ok_or_else(|| {
        fail(format!(
            "hotdb_version: {s:?} is not a HotDB package name or version (expected e.g. hotdb-server-2.5.4-ga-20190812.tar.gz or 2.5.4)"
        ))
    })?;
    Ok(HotdbVersion {
        component: c.get(1).map(|m| m.as_str().to_string()),
        version: c[2].to_string(),
        date: c.get(4).map(|m| m.as_str().to_string()),
        ga: c.get(3).is_some(),
        name,
    })
}

/// One upgrade script: `<db>_<from>_to_<to>.sql`.
struct Hop<'a> {
    given: &'a str,
    from: Vec<u64>,
    to: Vec<u64>,
    to_text: String,
}

fn hop(given: &str) -> Option<Hop<'_>> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^.+?_(\d+(?:\.\d+)*)_to_(\d+(?:\.\d+)*)\.sql$").expect("static regex")
    });
    let base = given.rsplit('/').next()?;
    let c = RE.captures(base)?;
    Some(Hop {
        given,
        from: numbers(&c[1]),
        to: numbers(&c[2]),
        to_text: c[2].to_string(),
    })
}

/// The scripts to run, hop by hop, from `installed` to `target`: at each step the
/// scripts leaving the current version for the nearest next one (so no hop is
/// skipped), every database's script of that hop in name order.
pub fn route(scripts: &[String], installed: &str, target: &str) -> Result<Vec<String>, String> {
    let parse_s = |s: &str| parse(s).map_err(|e| e.to_string());
    let (from, to) = (parse_s(installed)?, parse_s(target)?);
    if compare(&to, &from) == Ordering::Less {
        return Err(format!(
            "hotdb_upgrade_route: the target {} is older than the installed {} (a downgrade is not an upgrade route)",
            show(&to),
            show(&from)
        ));
    }
    let hops: Vec<Hop> = scripts.iter().filter_map(|s| hop(s)).collect();
    let goal = to.numbers();
    let mut cur = from.numbers();
    let mut cur_text = from.version.clone();
    let mut out = Vec::new();
    while compare_numbers(&cur, &goal) == Ordering::Less {
        let leaving: Vec<&Hop> = hops
            .iter()
            .filter(|h| compare_numbers(&h.from, &cur) == Ordering::Equal)
            .filter(|h| compare_numbers(&h.to, &cur) == Ordering::Greater)
            .collect();
        let Some(next) = leaving
            .iter()
            .map(|h| (&h.to, &h.to_text))
            .min_by(|a, b| compare_numbers(a.0, b.0))
        else {
            return Err(format!(
                "hotdb_upgrade_route: no upgrade script from {cur_text} (the route {} -> {} is broken at {cur_text}; scripts given: {})",
                from.version,
                to.version,
                if scripts.is_empty() {
                    "none".to_string()
                } else {
                    scripts.join(", ")
                }
            ));
        };
        let (next, next_text) = (next.0.clone(), next.1.clone());
        if compare_numbers(&next, &goal) == Ordering::Greater {
            return Err(format!(
                "hotdb_upgrade_route: the hop from {cur_text} goes to {next_text}, past the target {}; no script ends at {}",
                to.version, to.version
            ));
        }
        let mut step: Vec<&str> = leaving
            .iter()
            .filter(|h| compare_numbers(&h.to, &next) == Ordering::Equal)
            .map(|h| h.given)
            .collect();
        step.sort_by_key(|g| g.rsplit('/').next().unwrap_or(g).to_string());
        out.extend(step.into_iter().map(str::to_string));
        cur = next;
        cur_text = next_text;
    }
    Ok(out)
}

fn show(v: &HotdbVersion) -> String {
    match &v.date {
        Some(d) => format!("{} ({d})", v.version),
        None => v.version.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> HotdbVersion {
        parse(s).expect("parse")
    }

    #[test]
    fn parses_package_names_and_versions() {
        let p = v("hotdb-server-2.5.4-ga-20190812.tar.gz");
        assert_eq!(p.component.as_deref(), Some("hotdb-server"));
        assert_eq!(
            (p.version.as_str(), p.date.as_deref(), p.ga),
            ("2.5.4", Some("20190812"), true)
        );
        assert_eq!(p.name, "hotdb-server-2.5.4-ga-20190812.tar.gz");
        let p = v("/opt/pkgs/hotdb-management-2.4.9-ga-20190417.tar.gz");
        assert_eq!(p.component.as_deref(), Some("hotdb-management"));
        assert_eq!(p.name, "hotdb-management-2.4.9-ga-20190417.tar.gz");
        let p = v("hotdb-backup-2.0-20190109.tar.gz");
        assert_eq!(
            (p.version.as_str(), p.date.as_deref(), p.ga),
            ("2.0", Some("20190109"), false)
        );
        let p = v("hotdb-listener-0.0.1-linux.tar.gz");
        assert_eq!(
            (p.component.as_deref(), p.version.as_str(), p.date),
            (Some("hotdb-listener"), "0.0.1", None)
        );
        let p = v("2.5.4-ga-20190812");
        assert_eq!(
            (p.component, p.version.as_str(), p.date.as_deref()),
            (None, "2.5.4", Some("20190812"))
        );
        assert_eq!(v("2.5.4").version, "2.5.4");
        assert!(parse("hotdb-server.tar.gz").is_err());
    }

    #[test]
    fn compares_numerically_then_by_date() {
        let c = |a: &str, b: &str| compare(&v(a), &v(b));
        assert_eq!(c("2.5.10", "2.5.9"), Ordering::Greater);
        assert_eq!(c("2.5", "2.5.0"), Ordering::Equal);
        assert_eq!(
            c("2.5.4-ga-20190901", "2.5.4-ga-20190812"),
            Ordering::Greater
        );
        assert_eq!(
            c("2.5.4-ga-20190812", "hotdb-server-2.5.5-ga-20180101.tar.gz"),
            Ordering::Less
        );
        assert_eq!(c("2.5.4", "2.5.4-ga-20190812"), Ordering::Equal);
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn route_every_hop_in_order() {
        let scripts = s(&[
            "utils/sql/upgrade/hotdb_config_2.5.4_to_2.5.5.sql",
            "utils/sql/upgrade/hotdb_config_2.4.9_to_2.5.1.sql",
            "utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql",
            "utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql",
            "utils/sql/upgrade/hotdb_config_2.5.5_to_2.5.6.sql",
            "README",
        ]);
        assert_eq!(
            route(&scripts, "2.4.9", "hotdb-server-2.5.5-ga-20200101.tar.gz").expect("route"),
            s(&[
                "utils/sql/upgrade/hotdb_config_2.4.9_to_2.5.1.sql",
                "utils/sql/upgrade/hotdb_config_2.5.1_to_2.5.3.sql",
                "utils/sql/upgrade/hotdb_config_2.5.3_to_2.5.4.sql",
                "utils/sql/upgrade/hotdb_config_2.5.4_to_2.5.5.sql",
            ])
        );
        // V5: same version, newer build: nothing to run.
        assert!(
            route(&scripts, "2.5.4-ga-20190812", "2.5.4-ga-20191001")
                .expect("route")
                .is_empty()
        );
        // A broken chain names the missing hop.
        let broken = s(&[
            "hotdb_config_2.4.9_to_2.5.1.sql",
            "hotdb_config_2.5.3_to_2.5.4.sql",
        ]);
        let e = route(&broken, "2.4.9", "2.5.4").unwrap_err();
        assert!(e.contains("no upgrade script from 2.5.1"), "{e}");
        // A downgrade is refused, by date too.
        let e = route(&scripts, "2.5.5", "2.5.4").unwrap_err();
        assert!(e.contains("older than the installed"), "{e}");
        let e = route(&scripts, "2.5.4-ga-20191001", "2.5.4-ga-20190812").unwrap_err();
        assert!(e.contains("older"), "{e}");
        // A hop that overshoots the target.
        let e = route(&s(&["x_2.4.9_to_2.5.3.sql"]), "2.4.9", "2.5.1").unwrap_err();
        assert!(e.contains("past the target"), "{e}");
    }

    #[test]
    fn in_templates() {
        let mut env = Environment::new();
        register(&mut env);
        let r = |src: &str| env.render_str(src, ()).expect("render");
        assert_eq!(
            r("{{ ('hotdb-server-2.5.4-ga-20190812.tar.gz' | hotdb_version).date }}"),
            "20190812"
        );
        assert_eq!(r("{{ '2.5.10' | hotdb_version_compare('2.5.9') }}"), "1");
        assert_eq!(r("{{ '2.5.10' is hotdb_newer_than '2.5.9' }}"), "True");
        assert_eq!(
            r(
                "{{ ['a_2.5.3_to_2.5.4.sql', 'a_2.5.1_to_2.5.3.sql'] | hotdb_upgrade_route('2.5.1', '2.5.4') | join(',') }}"
            ),
            "a_2.5.1_to_2.5.3.sql,a_2.5.3_to_2.5.4.sql"
        );
        assert!(
            env.render_str("{{ [] | hotdb_upgrade_route('2.5.1', '2.5.4') }}", ())
                .is_err()
        );
    }
}
