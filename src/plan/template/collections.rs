//! Ansible's filters on lists and dicts: combine, dict2items/items2dict, the set
//! filters, flatten, zip, product, subelements, extract, random and shuffle.

use super::filters::{err, json_of, plain_string, type_name, val};
use super::pyrandom::PyRandom;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};
use serde_json::Value as J;

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("dict", to_dict);
    env.add_filter("unique", unique);
    env.add_filter("union", union);
    env.add_filter("intersect", intersect);
    env.add_filter("difference", difference);
    env.add_filter("symmetric_difference", symmetric_difference);
    env.add_filter("flatten", flatten);
    env.add_filter("zip", zip);
    env.add_filter("zip_longest", zip_longest);
    env.add_filter("product", product);
    env.add_filter("permutations", permutations);
    env.add_filter("combinations", combinations);
    env.add_filter("subelements", subelements);
    env.add_filter("extract", extract);
    env.add_filter("random", random);
    env.add_filter("shuffle", shuffle);
}

pub fn list_of(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(super::filters::defined(v)?.try_iter()?.collect())
}

/// Ansible's merge_hash: `y` over `x`, dicts merged when `recursive`, lists by `list_merge`.
pub fn merge(
    x: &mut serde_json::Map<String, J>,
    y: &serde_json::Map<String, J>,
    recursive: bool,
    list_merge: &str,
) {
    for (key, yv) in y {
        let Some(xv) = x.get_mut(key) else {
            x.insert(key.clone(), yv.clone());
            continue;
        };
        match (xv, yv) {
            (J::Object(xm), J::Object(ym)) if recursive => merge(xm, ym, recursive, list_merge),
            (J::Array(xa), J::Array(ya)) => match list_merge {
                "keep" => {}
                "append" => xa.extend(ya.iter().cloned()),
                "prepend" => {
                    let mut n = ya.clone();
                    n.append(xa);
                    *xa = n;
                }
                "append_rp" => {
                    xa.retain(|z| !ya.contains(z));
                    xa.extend(ya.iter().cloned());
                }
                "prepend_rp" => {
                    let mut n = ya.clone();
                    n.extend(xa.iter().filter(|z| !ya.contains(z)).cloned());
                    *xa = n;
                }
                _ => *xa = ya.clone(),
            },
            (xv, yv) => *xv = yv.clone(),
        }
    }
}

/// `combine(*dicts, recursive=False, list_merge='replace')`; lists of dicts are
/// flattened one level, later dicts win.
fn combine(v: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    if ![
        "replace",
        "keep",
        "append",
        "prepend",
        "append_rp",
        "prepend_rp",
    ]
    .contains(&list_merge.as_str())
    {
        return Err(err(format!(
            "'{list_merge}' is not a valid list_merge value"
        )));
    }
    let mut dicts = Vec::new();
    for term in std::iter::once(v).chain(others.iter()) {
        match term.kind() {
            ValueKind::Seq => dicts.extend(term.try_iter()?),
            _ => dicts.push(term.clone()),
        }
    }
    let mut acc = serde_json::Map::new();
    for d in &dicts {
        let J::Object(m) = json_of(d)? else {
            return Err(err(format!(
                "failed to combine variables, expected dicts but got a '{}'",
                type_name(d)
            )));
        };
        merge(&mut acc, &m, recursive, &list_merge);
    }
    Ok(val(&J::Object(acc)))
}

fn key_names(kwargs: &Kwargs) -> Result<(String, String), Error> {
    let k: Option<String> = kwargs.get("key_name")?;
    let v: Option<String> = kwargs.get("value_name")?;
    kwargs.assert_all_used()?;
    Ok((
        k.unwrap_or_else(|| "key".into()),
        v.unwrap_or_else(|| "value".into()),
    ))
}

fn dict2items(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let (kn, vn) = key_names(&kwargs)?;
    if super::filters::defined(v)?.kind() != ValueKind::Map {
        return Err(err(format!(
            "dict2items requires a dictionary, got {} instead.",
            type_name(v)
        )));
    }
    let mut out = Vec::new();
    for key in v.try_iter()? {
        let value = v.get_item(&key)?;
        out.push(Value::from_pairs([
            (kn.as_str(), key),
            (vn.as_str(), value),
        ]));
    }
    Ok(Value::from(out))
}

fn items2dict(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let (kn, vn) = key_names(&kwargs)?;
    if super::filters::defined(v)?.kind() != ValueKind::Seq {
        return Err(err(format!(
            "items2dict requires a list, got {} instead.",
            type_name(v)
        )));
    }
    let mut pairs = Vec::new();
    for item in v.try_iter()? {
        let key = item.get_attr(&kn).ok().filter(|x| !x.is_undefined());
        let value = item.get_attr(&vn).ok().filter(|x| !x.is_undefined());
        match (key, value) {
            (Some(k), Some(x)) => pairs.push((k, x)),
            _ => {
                return Err(err(format!(
                    "items2dict requires each dictionary in the list to contain the keys '{kn}' and '{vn}'"
                )));
            }
        }
    }
    Ok(Value::from_pairs(pairs))
}

/// `dict`: a list of pairs as a dict (a dict stays itself).
fn to_dict(v: &Value) -> Result<Value, Error> {
    if v.kind() == ValueKind::Map {
        return Ok(v.clone());
    }
    let mut pairs = Vec::new();
    for item in v.try_iter()? {
        let pair = list_of(&item)?;
        let [k, x] =
            <[Value; 2]>::try_from(pair).map_err(|_| err("dict: each item must be a pair"))?;
        pairs.push((k, x));
    }
    Ok(Value::from_pairs(pairs))
}

/// The items of a list without repeats, first occurrence kept.
fn dedup(items: impl IntoIterator<Item = Value>, key: impl Fn(&Value) -> Value) -> Vec<Value> {
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for x in items {
        let k = key(&x);
        if !seen.contains(&k) {
            seen.push(k);
            out.push(x);
        }
    }
    out
}

/// Jinja's `unique(case_sensitive=False, attribute=None)`, as Ansible uses it.
fn unique(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let case_sensitive = kwargs
        .get::<Option<bool>>("case_sensitive")?
        .unwrap_or(false);
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let key = |x: &Value| {
        let k = match &attribute {
            Some(a) => a.split('.').fold(x.clone(), |cur, part| {
                cur.get_attr(part).unwrap_or_default()
            }),
            None => x.clone(),
        };
        match k.as_str() {
            Some(s) if !case_sensitive => Value::from(s.to_lowercase()),
            _ => k,
        }
    };
    Ok(Value::from(dedup(list_of(v)?, key)))
}

fn union(a: &Value, b: &Value) -> Result<Value, Error> {
    Ok(Value::from(dedup(
        list_of(a)?.into_iter().chain(list_of(b)?),
        Value::clone,
    )))
}

fn intersect(a: &Value, b: &Value) -> Result<Value, Error> {
    let bl = list_of(b)?;
    Ok(Value::from(dedup(
        list_of(a)?.into_iter().filter(|x| bl.contains(x)),
        Value::clone,
    )))
}

fn difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let bl = list_of(b)?;
    Ok(Value::from(dedup(
        list_of(a)?.into_iter().filter(|x| !bl.contains(x)),
        Value::clone,
    )))
}

fn symmetric_difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let (al, bl) = (list_of(a)?, list_of(b)?);
    let both: Vec<&Value> = al.iter().filter(|x| bl.contains(x)).collect();
    let all = dedup(al.iter().chain(bl.iter()).cloned(), Value::clone);
    Ok(Value::from(
        all.into_iter()
            .filter(|x| !both.contains(&x))
            .collect::<Vec<_>>(),
    ))
}

/// `flatten(levels=None, skip_nulls=True)`: nulls are None, 'None' and 'null'.
fn flatten(v: &Value, levels: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get("levels")?,
    };
    let skip = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    fn go(v: &Value, levels: Option<usize>, skip: bool, out: &mut Vec<Value>) -> Result<(), Error> {
        for x in v.try_iter()? {
            if skip && (x.is_none() || matches!(x.as_str(), Some("None" | "null"))) {
                continue;
            }
            match levels {
                _ if x.kind() != ValueKind::Seq => out.push(x),
                None => go(&x, None, skip, out)?,
                Some(l) if l >= 1 => go(&x, Some(l - 1), skip, out)?,
                Some(_) => out.push(x),
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(v, levels, skip, &mut out)?;
    Ok(Value::from(out))
}

fn lists(a: &Value, others: &Rest<Value>) -> Result<Vec<Vec<Value>>, Error> {
    std::iter::once(a)
        .chain(others.iter())
        .map(list_of)
        .collect()
}

fn zip(a: &Value, others: Rest<Value>) -> Result<Value, Error> {
    let lists = lists(a, &others)?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok((0..n)
        .map(|i| tuple(lists.iter().map(|l| l[i].clone()).collect()))
        .collect())
}

fn zip_longest(a: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill = kwargs
        .get::<Option<Value>>("fillvalue")?
        .unwrap_or(Value::from(()));
    kwargs.assert_all_used()?;
    let lists = lists(a, &others)?;
    let n = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..n)
        .map(|i| {
            tuple(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                    .collect(),
            )
        })
        .collect())
}

/// A Python tuple (itertools yields them): a list that renders as `(a, b)`.
pub fn tuple(items: Vec<Value>) -> Value {
    Value::from(minijinja::value::Tuple::new(items))
}

/// Upper bound on the items a combinatorial filter may produce.
const MAX_ITEMS: usize = 1_000_000;

fn product(a: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let pools = lists(a, &others)?;
    let pools: Vec<&Vec<Value>> = (0..repeat).flat_map(|_| pools.iter()).collect();
    let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in pools {
        if acc.len().saturating_mul(pool.len()) > MAX_ITEMS {
            return Err(err("product: too many combinations"));
        }
        acc = acc
            .into_iter()
            .flat_map(|p| {
                pool.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(x.clone());
                    q
                })
            })
            .collect();
    }
    Ok(acc.into_iter().map(tuple).collect())
}

/// Index tuples of r-length arrangements of n items, in itertools' order.
fn arrangements(
    n: usize,
    r: usize,
    ordered: bool,
    out: &mut Vec<Vec<usize>>,
    cur: &mut Vec<usize>,
) -> Result<(), Error> {
    if cur.len() == r {
        if out.len() >= MAX_ITEMS {
            return Err(err("too many combinations"));
        }
        out.push(cur.clone());
        return Ok(());
    }
    let from = if ordered {
        0
    } else {
        cur.last().map_or(0, |l| l + 1)
    };
    for i in from..n {
        if ordered && cur.contains(&i) {
            continue;
        }
        cur.push(i);
        arrangements(n, r, ordered, out, cur)?;
        cur.pop();
    }
    Ok(())
}

fn pick(v: &Value, r: Option<usize>, ordered: bool) -> Result<Value, Error> {
    let items = list_of(v)?;
    let r = r.unwrap_or(items.len());
    let mut idx = Vec::new();
    if r <= items.len() {
        arrangements(items.len(), r, ordered, &mut idx, &mut Vec::new())?;
    }
    Ok(idx
        .into_iter()
        .map(|ix| tuple(ix.into_iter().map(|i| items[i].clone()).collect()))
        .collect())
}

fn permutations(v: &Value, r: Option<usize>) -> Result<Value, Error> {
    pick(v, r, true)
}

fn combinations(v: &Value, r: usize) -> Result<Value, Error> {
    pick(v, Some(r), false)
}

/// `subelements(path, skip_missing=False)`: pairs of each item and each element
/// of the list at `path` (dotted) inside it.
fn subelements(
    v: &Value,
    path: &Value,
    skip_missing: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let skip_missing = match skip_missing {
        Some(s) => s,
        None => kwargs.get::<Option<bool>>("skip_missing")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    Ok(Value::from(subelement_pairs(v, path, skip_missing)?))
}

/// The `[item, element]` pairs of subelements (the filter and the lookup).
pub fn subelement_pairs(v: &Value, path: &Value, skip_missing: bool) -> Result<Vec<Value>, Error> {
    let items: Vec<Value> = match super::filters::defined(v)?.kind() {
        ValueKind::Map => v
            .try_iter()?
            .map(|k| v.get_item(&k))
            .collect::<Result<_, _>>()?,
        ValueKind::Seq => list_of(v)?,
        _ => return Err(err("obj must be a list of dicts or a nested dict")),
    };
    let keys: Vec<String> = match path.as_str() {
        Some(s) => s.split('.').map(str::to_string).collect(),
        None => list_of(path)?
            .iter()
            .map(plain_string)
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::new();
    'items: for item in items {
        let mut values = item.clone();
        for key in &keys {
            if values.kind() != ValueKind::Map {
                return Err(err(format!(
                    "the key '{key}' should point to a dictionary, got {values}"
                )));
            }
            match values.get_attr(key).ok().filter(|x| !x.is_undefined()) {
                Some(x) => values = x,
                None if skip_missing => continue 'items,
                None => {
                    return Err(err(format!(
                        "could not find '{key}' key in iterated item {values}"
                    )));
                }
            }
        }
        if values.kind() != ValueKind::Seq {
            return Err(err(format!(
                "the key '{}' should point to a list, got {values}",
                keys.last().map(String::as_str).unwrap_or_default()
            )));
        }
        for x in values.try_iter()? {
            out.push(Value::from(vec![item.clone(), x]));
        }
    }
    Ok(out)
}

/// `extract(container, morekeys=None)`: container[item], then each of morekeys.
fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut keys = vec![super::filters::defined(item)?.clone()];
    match morekeys {
        Some(k) if k.kind() == ValueKind::Seq => keys.extend(list_of(&k)?),
        Some(k) => keys.push(k),
        None => {}
    }
    let mut v = container.clone();
    for key in keys {
        if v.is_undefined() {
            break;
        }
        v = v.get_item(&key)?;
    }
    Ok(v)
}

/// Python's Random(seed) as Ansible's filters make it; no seed: fresh entropy.
fn rng(seed: Option<&Value>) -> PyRandom {
    match seed {
        Some(s) if s.is_true() => match i64::try_from(s.clone()) {
            Ok(n) if s.is_integer() => PyRandom::from_int(n),
            _ => PyRandom::from_text(&plain_string(s).unwrap_or_default()),
        },
        _ => PyRandom::from_entropy(),
    }
}

/// `random(start=None, step=None, seed=None)`: a number below an integer, or an
/// item of a list.
fn random(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let start = kwargs.get::<Option<i64>>("start")?.unwrap_or(0);
    let step = kwargs.get::<Option<i64>>("step")?.unwrap_or(1);
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut rng = rng(seed.as_ref());
    if v.is_integer() {
        let end = i64::try_from(v.clone())?;
        if step == 0 {
            return Err(err("random: step must not be zero"));
        }
        let count = (end - start + step - step.signum()) / step;
        if count <= 0 {
            return Err(err(format!(
                "empty range for randrange() ({start}, {end}, {step})"
            )));
        }
        return Ok(Value::from(start + step * rng.below(count as u64) as i64));
    }
    if start != 0 || step != 1 {
        return Err(err("start and step can only be used with integer values"));
    }
    let items = list_of(v).map_err(|_| err("random can only be used on sequences and integers"))?;
    if items.is_empty() {
        return Err(err("random: cannot choose from an empty sequence"));
    }
    let i = rng.below(items.len() as u64) as usize;
    Ok(items[i].clone())
}

fn shuffle(v: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut items = list_of(v)?;
    let mut rng = rng(seed.as_ref());
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    Ok(Value::from(items))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn r(t: &str) -> serde_json::Value {
        let c = json!({
            "a": {"x": 1, "n": {"p": 1}, "l": [1, 2]},
            "b": {"y": 2, "n": {"q": 2}, "l": [2, 3]},
            "l": [3, 1, 3], "m": [1, 2],
            "users": [
                {"name": "alice", "groups": ["wheel", "adm"], "auth": {"keys": ["k1"]}},
                {"name": "bob", "groups": [], "auth": {}},
            ],
            "hosts": {"h1": {"ip": "10.0.0.1"}, "h2": {"ip": "10.0.0.2"}},
        });
        Templar::new()
            .render_native(t, &to_jinja(&c))
            .unwrap_or_else(|e| panic!("{t}: {}", e.message))
    }

    #[test]
    fn combine_and_dicts() {
        for (t, want) in [
            (
                "{{ a | combine(b) }}",
                json!({"x": 1, "n": {"q": 2}, "l": [2, 3], "y": 2}),
            ),
            (
                "{{ a | combine(b, recursive=True) }}",
                json!({"x": 1, "n": {"p": 1, "q": 2}, "l": [2, 3], "y": 2}),
            ),
            (
                "{{ a | combine(b, list_merge='append') }}",
                json!({"x": 1, "n": {"q": 2}, "l": [1, 2, 2, 3], "y": 2}),
            ),
            (
                "{{ a | combine(b, list_merge='prepend') }}",
                json!({"x": 1, "n": {"q": 2}, "l": [2, 3, 1, 2], "y": 2}),
            ),
            (
                "{{ a | combine(b, list_merge='append_rp') }}",
                json!({"x": 1, "n": {"q": 2}, "l": [1, 2, 3], "y": 2}),
            ),
            (
                "{{ a | combine(b, list_merge='prepend_rp') }}",
                json!({"x": 1, "n": {"q": 2}, "l": [2, 3, 1], "y": 2}),
            ),
            (
                "{{ a | combine(b, list_merge='keep') }}",
                json!({"x": 1, "n": {"q": 2}, "l": [1, 2], "y": 2}),
            ),
            (
                "{{ [a, b, {'x': 9}] | combine }}",
                json!({"x": 9, "n": {"q": 2}, "l": [2, 3], "y": 2}),
            ),
            (
                "{{ {'k': 1} | dict2items }}",
                json!([{"key": "k", "value": 1}]),
            ),
            (
                "{{ {'k': 1} | dict2items(key_name='n', value_name='v') }}",
                json!([{"n": "k", "v": 1}]),
            ),
            (
                "{{ [{'key': 'k', 'value': 1}] | items2dict }}",
                json!({"k": 1}),
            ),
            (
                "{{ [{'n': 'k', 'v': 1}] | items2dict(key_name='n', value_name='v') }}",
                json!({"k": 1}),
            ),
            (
                "{{ a | dict2items | items2dict }}",
                json!({"x": 1, "n": {"p": 1}, "l": [1, 2]}),
            ),
            ("{{ [['a', 1], ['b', 2]] | dict }}", json!({"a": 1, "b": 2})),
            (
                "{{ users | subelements('groups') | map(attribute='1') | list }}",
                json!(["wheel", "adm"]),
            ),
            (
                "{{ users | subelements('auth.keys', skip_missing=True) | length }}",
                json!(1),
            ),
            (
                "{{ ['h1', 'h2'] | map('extract', hosts, 'ip') | list }}",
                json!(["10.0.0.1", "10.0.0.2"]),
            ),
            ("{{ 'h1' | extract(hosts) }}", json!({"ip": "10.0.0.1"})),
            (
                "{{ users | selectattr('auth.keys', 'defined') | map(attribute='name') | list }}",
                json!(["alice"]),
            ),
            (
                "{{ users | map(attribute='auth.keys') | select('defined') | list }}",
                json!([["k1"]]),
            ),
            (
                "{{ users | rejectattr('groups') | map(attribute='name') | first }}",
                json!("bob"),
            ),
            (
                "{{ users | max(attribute='name') | attr('name') }}",
                json!("bob"),
            ),
            ("{{ [{'n': 2}, {'n': 3}] | sum(attribute='n') }}", json!(5)),
            ("{{ [3, 1, 2] | min }}", json!(1)),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
        let t = Templar::new();
        let c = to_jinja(&json!({"users": [{"name": "x"}]}));
        for bad in [
            "{{ {'a': 1} | combine([1]) }}",
            "{{ {} | combine({}, list_merge='bogus') }}",
            "{{ [1] | dict2items }}",
            "{{ [{'key': 1}] | items2dict }}",
            "{{ users | subelements('groups') }}",
        ] {
            assert!(t.render_native(bad, &c).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets_and_lists() {
        for (t, want) in [
            ("{{ l | unique }}", json!([3, 1])),
            ("{{ ['a', 'A', 'b'] | unique }}", json!(["a", "b"])),
            (
                "{{ ['a', 'A'] | unique(case_sensitive=True) }}",
                json!(["a", "A"]),
            ),
            ("{{ users | unique(attribute='name') | length }}", json!(2)),
            ("{{ l | union(m) }}", json!([3, 1, 2])),
            ("{{ l | intersect(m) }}", json!([1])),
            ("{{ l | difference(m) }}", json!([3])),
            ("{{ l | symmetric_difference(m) }}", json!([3, 2])),
            (
                "{{ [1, [2, [3, none, 'null']]] | flatten }}",
                json!([1, 2, 3]),
            ),
            (
                "{{ [1, [2, [3]]] | flatten(levels=1) }}",
                json!([1, 2, [3]]),
            ),
            ("{{ [1, [2, [3]]] | flatten(1) }}", json!([1, 2, [3]])),
            (
                "{{ [1, none] | flatten(skip_nulls=False) }}",
                json!([1, null]),
            ),
            (
                "{{ [1, 2] | zip(['a', 'b', 'c']) | list }}",
                json!([[1, "a"], [2, "b"]]),
            ),
            (
                "{{ [1, 2] | zip_longest(['a'], fillvalue='-') | list }}",
                json!([[1, "a"], [2, "-"]]),
            ),
            (
                "{{ [1, 2] | product(['a']) | list }}",
                json!([[1, "a"], [2, "a"]]),
            ),
            (
                "{{ [0, 1] | product(repeat=2) | list }}",
                json!([[0, 0], [0, 1], [1, 0], [1, 1]]),
            ),
            (
                "{{ [1, 2, 3] | permutations(2) | list | length }}",
                json!(6),
            ),
            (
                "{{ [1, 2, 3] | combinations(2) | list }}",
                json!([[1, 2], [1, 3], [2, 3]]),
            ),
            ("{{ 'ab' | list }}", json!(["a", "b"])),
            ("{{ {'k': 1, 'j': 2} | list }}", json!(["k", "j"])),
            (
                "{{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ [1, 2] | length }} {{ [1] | count }}",
                json!("1 3 2 1"),
            ),
            ("{{ 'a b  c' | split }}", json!(["a", "b", "c"])),
            ("{{ 'a,b' | split(',') }}", json!(["a", "b"])),
            ("{{ {'k': 1} | items | list }}", json!([["k", 1]])),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
    }

    #[test]
    fn random_is_seeded() {
        let a = r("{{ 60 | random(seed='host1') }}");
        assert_eq!(a, r("{{ 60 | random(seed='host1') }}"));
        assert!(a.as_i64().is_some_and(|n| (0..60).contains(&n)), "{a}");
        let n = r("{{ 100 | random(start=10, step=10) }}");
        assert!(
            n.as_i64()
                .is_some_and(|n| n % 10 == 0 && (10..100).contains(&n)),
            "{n}"
        );
        let item = r("{{ ['a', 'b'] | random }}");
        assert!(item == json!("a") || item == json!("b"));
        let s = r("{{ [1, 2, 3, 4] | shuffle(seed='x') }}");
        assert_eq!(s, r("{{ [1, 2, 3, 4] | shuffle(seed='x') }}"));
        let mut sorted: Vec<i64> = s
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_i64())
            .collect();
        sorted.sort();
        assert_eq!(sorted, vec![1, 2, 3, 4]);
        assert!(
            Templar::new()
                .render_native("{{ 0 | random }}", &to_jinja(&json!({})))
                .is_err()
        );
    }
}
