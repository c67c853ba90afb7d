//! Ansible's version comparison (`is version(...)`, `version_compare`): loose
//! by default (LooseVersion: numbers compare as numbers, so 2.5.10 > 2.5.9),
//! or strict, semver/semantic and pep440 on request.

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind};
use std::cmp::Ordering;
use std::sync::LazyLock;

fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

#[derive(Debug, PartialEq, Eq, Clone)]
enum Part {
    Num(u64),
    Text(String),
}

impl Ord for Part {
    /// Numbers before text; Python 3 would refuse to compare them at all.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => a.cmp(b),
            (Part::Text(a), Part::Text(b)) => a.cmp(b),
            (Part::Num(_), Part::Text(_)) => Ordering::Less,
            (Part::Text(_), Part::Num(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// LooseVersion's components: runs of digits, runs of lowercase letters, and
/// whatever lies between them (dots dropped).
fn loose(v: &str) -> Vec<Part> {
    static COMPONENT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\d+|[a-z]+|\.").expect("static regex"));
    let mut out = Vec::new();
    let mut at = 0;
    let push = |s: &str, out: &mut Vec<Part>| {
        if s.is_empty() || s == "." {
            return;
        }
        out.push(match s.parse::<u64>() {
            Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) => Part::Num(n),
            _ => Part::Text(s.to_string()),
        });
    };
    for m in COMPONENT.find_iter(v) {
        push(&v[at..m.start()], &mut out);
        push(m.as_str(), &mut out);
        at = m.end();
    }
    push(&v[at..], &mut out);
    out
}

/// LooseVersion ordering of two version strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    loose(a).cmp(&loose(b))
}

/// StrictVersion: `N.N[.N][(a|b)N]`.
fn strict_key(v: &str) -> Result<(u64, u64, u64, (u8, u64)), Error> {
    static FORM: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$").expect("static regex")
    });
    let c = FORM
        .captures(v)
        .ok_or_else(|| fail(format!("invalid version number '{v}'")))?;
    let n = |i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<u64>().ok())
            .unwrap_or(0)
    };
    // A release sorts after its pre-releases.
    let pre = match c.get(4).map(|m| m.as_str()) {
        Some("a") => (0, n(5)),
        Some(_) => (1, n(5)),
        None => (2, 0),
    };
    Ok((n(1), n(2), n(3), pre))
}

/// Semantic Versioning 2.0.0 precedence (build metadata ignored).
fn semver_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    static FORM: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
        )
        .expect("static regex")
    });
    type Key = ([u64; 3], Option<Vec<Part>>);
    let key = |v: &str| -> Result<Key, Error> {
        let c = FORM
            .captures(v)
            .ok_or_else(|| fail(format!("invalid semantic version '{v}'")))?;
        let n = |i: usize| c[i].parse::<u64>().unwrap_or(u64::MAX);
        let pre = c.get(4).map(|p| {
            p.as_str()
                .split('.')
                .map(|id| match id.parse::<u64>() {
                    Ok(x) if id.bytes().all(|b| b.is_ascii_digit()) => Part::Num(x),
                    _ => Part::Text(id.to_string()),
                })
                .collect()
        });
        Ok(([n(1), n(2), n(3)], pre))
    };
    let (ka, kb) = (key(a)?, key(b)?);
    Ok(ka.0.cmp(&kb.0).then_with(|| match (&ka.1, &kb.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }))
}

/// PEP 440 ordering: epoch, release, pre, post and dev releases (local labels ignored).
fn pep440_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    static FORM: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(?:post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$",
        )
        .expect("static regex")
    });
    // Each key part is (rank, number): rank orders "absent" against "present".
    type Key = (u64, Vec<u64>, (i8, u8, u64), (i8, u64), (i8, u64));
    let key = |v: &str| -> Result<Key, Error> {
        let c = FORM
            .captures(v)
            .ok_or_else(|| fail(format!("Invalid version: '{v}'")))?;
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u64>().ok());
        let mut release: Vec<u64> = c[2].split('.').map(|x| x.parse().unwrap_or(0)).collect();
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let has_post =
            c.get(5).is_some() || c.get(6).is_some() || v.to_lowercase().contains("post");
        let dev = c.get(7).map(|_| num(8).unwrap_or(0));
        let pre = match c.get(3).map(|m| m.as_str().to_lowercase()) {
            Some(p) => {
                let phase = match p.as_str() {
                    "a" | "alpha" => 0,
                    "b" | "beta" => 1,
                    _ => 2,
                };
                (0, phase, num(4).unwrap_or(0))
            }
            None if dev.is_some() && !has_post => (-1, 0, 0),
            None => (1, 0, 0),
        };
        let post = match num(5).or(num(6)) {
            Some(n) => (0, n),
            None if has_post => (0, 0),
            None => (-1, 0),
        };
        let dev = match dev {
            Some(n) => (0, n),
            None => (1, 0),
        };
        Ok((num(1).unwrap_or(0), release, pre, post, dev))
    };
    Ok(key(a)?.cmp(&key(b)?))
}

fn holds(o: Ordering, op: &str) -> Result<bool, Error> {
    Ok(match op {
        "<" | "lt" => o == Ordering::Less,
        "<=" | "le" => o != Ordering::Greater,
        ">" | "gt" => o == Ordering::Greater,
        ">=" | "ge" => o != Ordering::Less,
        "==" | "=" | "eq" => o == Ordering::Equal,
        "!=" | "<>" | "ne" => o != Ordering::Equal,
        other => return Err(fail(format!("Invalid operator type ({other})"))),
    })
}

/// Compares two versions with an operator under a version type.
pub fn compare_versions(a: &str, b: &str, op: &str, version_type: &str) -> Result<bool, Error> {
    if a.is_empty() {
        return Err(fail("Input version value cannot be empty"));
    }
    if b.is_empty() {
        return Err(fail("Version parameter to compare against cannot be empty"));
    }
    let o = match version_type {
        "loose" => compare(a, b),
        "strict" => strict_key(a)?.cmp(&strict_key(b)?),
        "semver" | "semantic" => semver_cmp(a, b)?,
        "pep440" => pep440_cmp(a, b)?,
        other => {
            return Err(fail(format!(
                "Invalid version type ({other}). Must be one of loose, strict, semver, semantic, pep440"
            )));
        }
    };
    holds(o, op)
}

/// `version(other, operator='eq', strict=False, version_type='loose')`, as a
/// test and as the `version_compare` filter.
pub fn compare_filter(
    a: &Value,
    b: &Value,
    op: Option<String>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let strict: Option<bool> = kwargs.get("strict")?;
    let version_type: Option<String> = kwargs.get("version_type")?;
    let op = match op {
        Some(o) => o,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    kwargs.assert_all_used()?;
    let version_type = match (strict.unwrap_or(false), version_type) {
        (true, Some(_)) => return Err(fail("Cannot specify both 'strict' and 'version_type'")),
        (true, None) => "strict".to_string(),
        (false, t) => t.unwrap_or_else(|| "loose".into()),
    };
    let text = super::filters::plain_string;
    compare_versions(&text(a)?, &text(b)?, &op, &version_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: &str, op: &str, ty: &str) -> bool {
        compare_versions(a, b, op, ty).unwrap_or_else(|e| panic!("{a} {op} {b}: {e}"))
    }

    #[test]
    fn loose_is_numeric() {
        assert_eq!(compare("2.5.10", "2.5.9"), Ordering::Greater);
        assert_eq!(compare("2.5.6", "2.5.6"), Ordering::Equal);
        assert_eq!(compare("2.4.9", "2.5.3"), Ordering::Less);
        assert_eq!(compare("2.5", "2.5.0"), Ordering::Less);
        assert_eq!(compare("1.0-RC1", "1.0-RC2"), Ordering::Less);
        assert_eq!(compare("2.5.0-ga", "2.5.0-rc"), Ordering::Less);
        assert_eq!(
            loose("1.8.0_252"),
            vec![
                Part::Num(1),
                Part::Num(8),
                Part::Num(0),
                Part::Text("_".into()),
                Part::Num(252)
            ]
        );
        for op in [">=", "ge", ">", "gt", "!=", "<>", "ne"] {
            assert!(check("2.5.6", "2.5.3", op, "loose"), "{op}");
        }
        for op in ["<", "lt", "<=", "le", "==", "=", "eq"] {
            assert!(!check("2.5.6", "2.5.3", op, "loose"), "{op}");
        }
        assert!(check("1.8.0_252", "1.8.0_80", "gt", "loose"));
        assert!(compare_versions("x", "y", "bogus", "loose").is_err());
        assert!(compare_versions("", "y", "eq", "loose").is_err());
        assert!(compare_versions("1", "2", "eq", "nope").is_err());
    }

    #[test]
    fn other_types() {
        assert!(check("1.2.3", "1.2.3b1", ">", "strict"));
        assert!(check("1.2", "1.2.0", "==", "strict"));
        assert!(check("1.2a1", "1.2b1", "<", "strict"));
        assert!(compare_versions("1.2.3.4", "1.2", "eq", "strict").is_err());
        assert!(check("1.0.0-alpha", "1.0.0-alpha.1", "<", "semver"));
        assert!(check("1.0.0-alpha.beta", "1.0.0-beta", "<", "semver"));
        assert!(check("1.0.0-beta.11", "1.0.0-rc.1", "<", "semantic"));
        assert!(check("1.0.0-rc.1", "1.0.0", "<", "semver"));
        assert!(check("1.0.0+build", "1.0.0", "==", "semver"));
        assert!(compare_versions("1.0", "1.0.0", "eq", "semver").is_err());
        assert!(check("1.0.dev1", "1.0a1", "<", "pep440"));
        assert!(check("1.0a1", "1.0rc1", "<", "pep440"));
        assert!(check("1.0rc1", "1.0", "<", "pep440"));
        assert!(check("1.0", "1.0.post1", "<", "pep440"));
        assert!(check("1.0", "1.0.0", "==", "pep440"));
        assert!(check("1!0.1", "2.0", ">", "pep440"));
    }
}
