//! `serial`: a play's hosts in batches (int, "N%", or a list of either; the last
//! size repeats), as Ansible splits them.

use crate::parse::Node;
use crate::plan::template::Templar;
use crate::plan::vars::Context;
use serde_json::Value;
use std::sync::Arc;

pub fn split(
    hosts: &[String],
    serial: Option<&Node>,
    templar: &Templar,
    ctx: &Arc<Context>,
) -> Result<Vec<Vec<String>>, String> {
    let Some(node) = serial else {
        return Ok(vec![hosts.to_vec()]);
    };
    let value = templar
        .render_json(&node.to_json(), &ctx.as_value())
        .map_err(|e| e.message)?;
    let sizes: Vec<Value> = match value {
        Value::Array(a) => a,
        Value::Null => return Ok(vec![hosts.to_vec()]),
        v => vec![v],
    };
    if sizes.is_empty() {
        return Ok(vec![hosts.to_vec()]);
    }
    let total = hosts.len();
    let mut sizes: Vec<usize> = sizes
        .iter()
        .map(|s| size_of(s, total))
        .collect::<Result<_, _>>()?;
    let mut batches = Vec::new();
    let mut rest = hosts;
    while !rest.is_empty() {
        let n = if sizes.len() > 1 {
            sizes.remove(0)
        } else {
            sizes[0]
        };
        let n = if n == 0 {
            rest.len()
        } else {
            n.min(rest.len())
        };
        batches.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    Ok(batches)
}

/// A play's `order`: inventory (as given), reverse_inventory, sorted, reverse_sorted, shuffle.
pub fn order_hosts(hosts: &mut [String], order: &str) {
    match order {
        "reverse_inventory" => hosts.reverse(),
        "sorted" => hosts.sort(),
        "reverse_sorted" => {
            hosts.sort();
            hosts.reverse();
        }
        "shuffle" => {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos() as usize)
                .unwrap_or(7);
            let n = hosts.len();
            for i in (1..n).rev() {
                hosts.swap(
                    i,
                    (seed.wrapping_mul(2654435761).wrapping_add(i * 40503)) % (i + 1),
                );
            }
        }
        _ => {}
    }
}

fn size_of(v: &Value, total: usize) -> Result<usize, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| format!("serial must be a positive number or a percentage, got {n}")),
        Value::String(s) => {
            let s = s.trim();
            if let Some(p) = s.strip_suffix('%') {
                let pct: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("serial: bad percentage `{s}`"))?;
                // Ansible: int(pct/100 * total), at least 1.
                Ok(((pct / 100.0) * total as f64) as usize).map(|n| n.max(1))
            } else {
                s.parse::<usize>().map_err(|_| {
                    format!("serial must be a number or a percentage like \"30%\", got `{s}`")
                })
            }
        }
        other => Err(format!(
            "serial must be a number or a percentage, got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Kind, Span};

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    fn run(serial: Value, n: usize) -> Vec<usize> {
        let templar = Arc::new(Templar::new());
        let ctx = Context::new(vec![], templar.clone(), None);
        let node = Node::from_json(&serial, Span::UNKNOWN);
        let _ = Kind::Null;
        split(&hosts(n), Some(&node), &templar, &ctx)
            .unwrap()
            .iter()
            .map(Vec::len)
            .collect()
    }

    #[test]
    fn sizes_like_ansible() {
        assert_eq!(run(serde_json::json!(2), 5), vec![2, 2, 1]);
        assert_eq!(run(serde_json::json!("40%"), 5), vec![2, 2, 1]);
        assert_eq!(run(serde_json::json!([1, 2, "50%"]), 7), vec![1, 2, 3, 1]);
        assert_eq!(run(serde_json::json!("10%"), 3), vec![1, 1, 1]);
    }
}
