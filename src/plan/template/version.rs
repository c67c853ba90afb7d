//! Ansible's version comparison (LooseVersion-like): numbers compare as numbers,
//! so 2.5.10 > 2.5.9; letters compare as text.

use minijinja::{Error, ErrorKind};
use std::cmp::Ordering;

#[derive(Debug, PartialEq)]
enum Part {
    Num(u64),
    Text(String),
}

fn parts(v: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    for c in v.chars() {
        let is_digit = c.is_ascii_digit();
        if c == '.' || c == '-' || c == '_' || c == '+' {
            push(&mut out, &mut cur, digits);
            continue;
        }
        if !cur.is_empty() && is_digit != digits {
            push(&mut out, &mut cur, digits);
        }
        digits = is_digit;
        cur.push(c);
    }
    push(&mut out, &mut cur, digits);
    out
}

fn push(out: &mut Vec<Part>, cur: &mut String, digits: bool) {
    if cur.is_empty() {
        return;
    }
    out.push(if digits {
        cur.parse()
            .map(Part::Num)
            .unwrap_or(Part::Text(cur.clone()))
    } else {
        Part::Text(cur.clone())
    });
    cur.clear();
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parts(a.trim()), parts(b.trim()));
    for i in 0..pa.len().max(pb.len()) {
        let o = match (pa.get(i), pb.get(i)) {
            (Some(Part::Num(x)), Some(Part::Num(y))) => x.cmp(y),
            (Some(Part::Text(x)), Some(Part::Text(y))) => x.cmp(y),
            // LooseVersion: ints sort before strings.
            (Some(Part::Num(_)), Some(Part::Text(_))) => Ordering::Less,
            (Some(Part::Text(_)), Some(Part::Num(_))) => Ordering::Greater,
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub fn holds(a: &str, b: &str, op: &str) -> Result<bool, Error> {
    let o = compare(a, b);
    Ok(match op {
        "<" | "lt" => o == Ordering::Less,
        "<=" | "le" => o != Ordering::Greater,
        ">" | "gt" => o == Ordering::Greater,
        ">=" | "ge" => o != Ordering::Less,
        "==" | "=" | "eq" => o == Ordering::Equal,
        "!=" | "<>" | "ne" => o != Ordering::Equal,
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("version: invalid operator `{other}`"),
            ));
        }
    })
}

/// `version(other, op='==', strict=false, version_type='loose')` as a test and a filter.
pub fn compare_filter(
    a: minijinja::Value,
    b: minijinja::Value,
    op: Option<String>,
    kwargs: minijinja::value::Kwargs,
) -> Result<bool, Error> {
    let _: Option<bool> = kwargs.get("strict")?;
    let _: Option<String> = kwargs.get("version_type")?;
    let op_kw: Option<String> = kwargs.get("operator")?;
    kwargs.assert_all_used()?;
    let op = op.or(op_kw).unwrap_or_else(|| "==".into());
    holds(
        &super::filters::plain_string(&a),
        &super::filters::plain_string(&b),
        &op,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_not_string() {
        assert_eq!(compare("2.5.10", "2.5.9"), Ordering::Greater);
        assert_eq!(compare("2.5.6", "2.5.6"), Ordering::Equal);
        assert_eq!(compare("2.4.9", "2.5.3"), Ordering::Less);
        assert_eq!(compare("2.5", "2.5.0"), Ordering::Less);
        assert!(holds("2.5.6", "2.5.3", ">=").unwrap());
        assert!(holds("1.8.0_252", "1.7.0_80", "gt").unwrap());
        assert!(holds("2.5.3", "2.5.6", "lt").unwrap());
        assert!(holds("x", "y", "bogus").is_err());
    }
}
