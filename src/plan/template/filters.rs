//! Ansible's filters, where minijinja's differ or are missing.

use super::version;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as J;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn json_of(v: &Value) -> Result<J, Error> {
    serde_json::to_value(v).map_err(|e| err(format!("cannot convert value: {e}")))
}

fn val(j: &J) -> Value {
    super::to_jinja(j)
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", |v: Value| v.to_string());
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_yaml);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("from_yaml_all", from_yaml_all);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", |s: String| regex::escape(&s));
    env.add_filter("basename", |s: String| {
        s.rsplit('/').next().unwrap_or_default().to_string()
    });
    env.add_filter("dirname", dirname);
    env.add_filter("expanduser", expanduser);
    env.add_filter("realpath", |s: String| {
        std::fs::canonicalize(&s)
            .map(|p| p.display().to_string())
            .unwrap_or(s)
    });
    env.add_filter("splitext", splitext);
    env.add_filter("path_join", path_join);
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("unique", unique);
    env.add_filter("union", union);
    env.add_filter("intersect", intersect);
    env.add_filter("difference", difference);
    env.add_filter("symmetric_difference", symmetric_difference);
    env.add_filter("flatten", flatten);
    env.add_filter("zip", zip);
    env.add_filter("product", product);
    env.add_filter("b64encode", |s: String| base64_encode(s.as_bytes()));
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", hash);
    env.add_filter("checksum", |s: String| hex_digest("sha1", s.as_bytes()));
    env.add_filter("md5", |s: String| hex_digest("md5", s.as_bytes()));
    env.add_filter("sha1", |s: String| hex_digest("sha1", s.as_bytes()));
    env.add_filter("password_hash", password_hash);
    env.add_filter("quote", |v: Value| {
        crate::parse::shell::quote(&plain_string(&v))
    });
    env.add_filter("comment", comment);
    env.add_filter("type_debug", type_debug);
    env.add_filter("human_to_bytes", human_to_bytes);
    env.add_filter("human_readable", human_readable);
    env.add_filter("version_compare", version::compare_filter);
    env.add_filter("extract", extract);
    env.add_filter("subelements", subelements);
    env.add_filter("list", to_list);
}

/// A value's text as Python's str() would show a scalar.
pub fn plain_string(v: &Value) -> String {
    match v.kind() {
        ValueKind::String => v.as_str().unwrap_or_default().to_string(),
        ValueKind::None => "None".into(),
        ValueKind::Bool => {
            if v.is_true() {
                "True".into()
            } else {
                "False".into()
            }
        }
        _ => v.to_string(),
    }
}

/// Ansible's `bool`: yes/on/1/true/y/t are true, anything else false.
fn to_bool(v: Value) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => v
            .as_i64()
            .map(|i| i == 1)
            .unwrap_or_else(|| f64::try_from(v.clone()).map(|f| f == 1.0).unwrap_or(false)),
        ValueKind::String => matches!(
            v.as_str()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
                .as_str(),
            "yes" | "on" | "1" | "true" | "y" | "t"
        ),
        _ => false,
    }
}

/// Ansible's `int`: strings in any base (`base=`), floats truncate, `default` on failure.
fn to_int(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let default: Option<i64> = kwargs.get("default")?;
    let base: Option<u32> = kwargs.get("base")?;
    kwargs.assert_all_used()?;
    let fallback = default.unwrap_or(0);
    let n = match v.kind() {
        ValueKind::Number => v
            .as_i64()
            .or_else(|| f64::try_from(v.clone()).ok().map(|f| f.trunc() as i64)),
        ValueKind::Bool => Some(i64::from(v.is_true())),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().trim().replace('_', "");
            let radix = base.unwrap_or(10);
            let (digits, radix) = match (radix, s.to_ascii_lowercase()) {
                (16 | 10, ref t) if t.starts_with("0x") && radix == 16 => (s[2..].to_string(), 16),
                (2, ref t) if t.starts_with("0b") => (s[2..].to_string(), 2),
                (8, ref t) if t.starts_with("0o") => (s[2..].to_string(), 8),
                _ => (s.clone(), radix),
            };
            i64::from_str_radix(&digits, radix).ok().or_else(|| {
                if radix == 10 {
                    s.parse::<f64>().ok().map(|f| f.trunc() as i64)
                } else {
                    None
                }
            })
        }
        _ => None,
    };
    Ok(Value::from(n.unwrap_or(fallback)))
}

fn to_float(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let default: Option<f64> = kwargs.get("default")?;
    kwargs.assert_all_used()?;
    let f = match v.kind() {
        ValueKind::Number => f64::try_from(v.clone()).ok(),
        ValueKind::String => v.as_str().unwrap_or_default().trim().parse::<f64>().ok(),
        ValueKind::Bool => Some(if v.is_true() { 1.0 } else { 0.0 }),
        _ => None,
    };
    Ok(Value::from(f.unwrap_or(default.unwrap_or(0.0))))
}

fn mandatory(state: &State, v: Value, msg: Option<String>) -> Result<Value, Error> {
    if v.is_undefined() {
        let _ = state;
        return Err(Error::new(
            ErrorKind::UndefinedError,
            msg.unwrap_or_else(|| "Mandatory variable not defined.".into()),
        ));
    }
    Ok(v)
}

fn ternary(v: Value, yes: Value, no: Value, none: Option<Value>) -> Value {
    if v.is_none()
        && let Some(n) = none
    {
        return n;
    }
    if v.is_true() { yes } else { no }
}

fn to_json(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let _: Option<bool> = kwargs.get("sort_keys")?;
    let _: Option<bool> = kwargs.get("ensure_ascii")?;
    kwargs.assert_all_used()?;
    let j = json_of(&v)?;
    Ok(match indent {
        Some(n) if n > 0 => pretty_json(&j, n),
        _ => super::pyjson::compact(&j),
    })
}

fn pretty_json(j: &J, indent: usize) -> String {
    let spaces = " ".repeat(indent);
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(spaces.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    let _ = serde::Serialize::serialize(j, &mut ser);
    String::from_utf8(buf).unwrap_or_default()
}

fn to_nice_json(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let _: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    Ok(super::pyjson::indented(&json_of(&v)?, indent.unwrap_or(4)))
}

fn from_json(s: String) -> Result<Value, Error> {
    serde_json::from_str::<J>(&s)
        .map(|j| val(&j))
        .map_err(|e| err(format!("from_json: {e}")))
}

fn to_yaml(v: Value, _kwargs: Kwargs) -> Result<String, Error> {
    let j = json_of(&v)?;
    serde_saphyr::to_string(&j).map_err(|e| err(format!("to_yaml: {e}")))
}

fn from_yaml(s: String) -> Result<Value, Error> {
    let node = crate::parse::yaml::parse_str(std::path::Path::new("<from_yaml>"), &s)
        .map_err(|d| err(format!("from_yaml: {}", d.message)))?;
    Ok(val(&node.to_json()))
}

fn from_yaml_all(s: String) -> Result<Value, Error> {
    let docs: Vec<J> = s
        .split("\n---")
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            crate::parse::yaml::parse_str(std::path::Path::new("<from_yaml_all>"), d)
                .map(|n| n.to_json())
        })
        .collect::<Result<_, _>>()
        .map_err(|d| err(format!("from_yaml_all: {}", d.message)))?;
    Ok(val(&J::Array(docs)))
}

fn build_regex(pattern: &str, kwargs: &Kwargs) -> Result<regex::Regex, Error> {
    let ignorecase: Option<bool> = kwargs.get("ignorecase")?;
    let multiline: Option<bool> = kwargs.get("multiline")?;
    regex::RegexBuilder::new(pattern)
        .case_insensitive(ignorecase.unwrap_or(false))
        .multi_line(multiline.unwrap_or(false))
        .build()
        .map_err(|e| err(format!("bad regular expression: {e}")))
}

/// Python's `\1` and `\g<name>` in replacements, as the regex crate's `${1}`.
/// Python's `\1` and `\g<name>` in a replacement, as the regex crate's `${1}`
/// (a literal `$` is escaped). Shared with the replace module.
pub fn python_replacement(r: &str) -> String {
    static BACKREF: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\\(\d+)|\\g<(\w+)>|\$").expect("static regex")
    });
    BACKREF
        .replace_all(r, |c: &regex::Captures| match (c.get(1), c.get(2)) {
            (Some(n), _) | (None, Some(n)) => format!("${{{}}}", n.as_str()),
            _ => "$$".into(),
        })
        .into_owned()
}

fn regex_search(
    s: String,
    pattern: String,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let re = build_regex(&pattern, &kwargs)?;
    kwargs.assert_all_used()?;
    let Some(caps) = re.captures(&s) else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(
            caps.get(0).map(|m| m.as_str()).unwrap_or_default(),
        ));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let m = if let Some(n) = g.strip_prefix('\\').and_then(|x| x.parse::<usize>().ok()) {
            caps.get(n)
        } else if let Some(name) = g.strip_prefix("\\g<").and_then(|x| x.strip_suffix('>')) {
            caps.name(name)
        } else {
            return Err(err(format!("regex_search: unknown group argument `{g}`")));
        };
        out.push(Value::from(m.map(|m| m.as_str()).unwrap_or_default()));
    }
    Ok(Value::from(out))
}

fn regex_replace(
    s: Value,
    pattern: String,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let re = build_regex(&pattern, &kwargs)?;
    let count: Option<usize> = kwargs.get("count")?;
    kwargs.assert_all_used()?;
    let text = plain_string(&s);
    let rep = python_replacement(&replacement.unwrap_or_default());
    Ok(re
        .replacen(&text, count.unwrap_or(0), rep.as_str())
        .into_owned())
}

fn regex_findall(s: String, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let re = build_regex(&pattern, &kwargs)?;
    kwargs.assert_all_used()?;
    let groups = re.captures_len() - 1;
    let out: Vec<Value> = re
        .captures_iter(&s)
        .map(|c| match groups {
            0 => Value::from(c.get(0).map(|m| m.as_str()).unwrap_or_default()),
            1 => Value::from(c.get(1).map(|m| m.as_str()).unwrap_or_default()),
            _ => Value::from(
                (1..=groups)
                    .map(|i| Value::from(c.get(i).map(|m| m.as_str()).unwrap_or_default()))
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    Ok(Value::from(out))
}

fn dirname(s: String) -> String {
    match s.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => s[..i].to_string(),
        None => String::new(),
    }
}

fn expanduser(s: String) -> String {
    match (s.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => s,
    }
}

fn splitext(s: String) -> Value {
    let base_start = s.rfind('/').map(|i| i + 1).unwrap_or(0);
    match s[base_start..].rfind('.') {
        Some(i) if i > 0 => Value::from(vec![
            Value::from(&s[..base_start + i]),
            Value::from(&s[base_start + i..]),
        ]),
        _ => Value::from(vec![Value::from(s.as_str()), Value::from("")]),
    }
}

fn path_join(parts: Value) -> Result<String, Error> {
    let mut out = std::path::PathBuf::new();
    for p in parts.try_iter()? {
        out.push(plain_string(&p));
    }
    Ok(out.display().to_string())
}

fn merge(a: &mut J, b: &J, recursive: bool, list_merge: &str) {
    match (a, b) {
        (J::Object(am), J::Object(bm)) => {
            for (k, bv) in bm {
                match am.get_mut(k) {
                    Some(av) if recursive && (av.is_object() || av.is_array()) => {
                        merge(av, bv, recursive, list_merge)
                    }
                    Some(av) if av.is_array() && bv.is_array() => {
                        merge(av, bv, recursive, list_merge)
                    }
                    _ => {
                        am.insert(k.clone(), bv.clone());
                    }
                }
            }
        }
        (J::Array(aa), J::Array(ba)) => match list_merge {
            "keep" => {}
            "append" => aa.extend(ba.iter().cloned()),
            "prepend" => {
                let mut n = ba.clone();
                n.append(aa);
                *aa = n;
            }
            "append_rp" => {
                aa.retain(|x| !ba.contains(x));
                aa.extend(ba.iter().cloned());
            }
            "prepend_rp" => {
                let mut n = ba.clone();
                n.extend(aa.iter().filter(|x| !ba.contains(x)).cloned());
                *aa = n;
            }
            _ => *aa = ba.clone(),
        },
        (a, b) => *a = b.clone(),
    }
}

fn combine(v: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive: Option<bool> = kwargs.get("recursive")?;
    let list_merge: Option<String> = kwargs.get("list_merge")?;
    kwargs.assert_all_used()?;
    let mut dicts = Vec::new();
    match v.kind() {
        ValueKind::Seq => dicts.extend(v.try_iter()?),
        _ => dicts.push(v),
    }
    for o in others.iter() {
        match o.kind() {
            ValueKind::Seq => dicts.extend(o.try_iter()?),
            _ => dicts.push(o.clone()),
        }
    }
    let mut acc = J::Object(serde_json::Map::new());
    for d in dicts {
        let j = json_of(&d)?;
        if !j.is_object() {
            return Err(err(format!(
                "combine expects dictionaries, got {}",
                type_name(&d)
            )));
        }
        merge(
            &mut acc,
            &j,
            recursive.unwrap_or(false),
            list_merge.as_deref().unwrap_or("replace"),
        );
    }
    Ok(val(&acc))
}

fn dict2items(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: Option<String> = kwargs.get("key_name")?;
    let value_name: Option<String> = kwargs.get("value_name")?;
    kwargs.assert_all_used()?;
    let J::Object(m) = json_of(&v)? else {
        return Err(err(format!(
            "dict2items requires a dictionary, got {}",
            type_name(&v)
        )));
    };
    let (k, vn) = (
        key_name.unwrap_or("key".into()),
        value_name.unwrap_or("value".into()),
    );
    let items: Vec<J> = m
        .into_iter()
        .map(|(key, value)| serde_json::json!({ k.clone(): key, vn.clone(): value }))
        .collect();
    Ok(val(&J::Array(items)))
}

fn items2dict(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: Option<String> = kwargs.get("key_name")?;
    let value_name: Option<String> = kwargs.get("value_name")?;
    kwargs.assert_all_used()?;
    let (k, vn) = (
        key_name.unwrap_or("key".into()),
        value_name.unwrap_or("value".into()),
    );
    let mut out = serde_json::Map::new();
    for item in v.try_iter()? {
        let j = json_of(&item)?;
        let key = j
            .get(&k)
            .ok_or_else(|| err(format!("items2dict: an item has no `{k}`")))?;
        let key = key
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| key.to_string());
        out.insert(key, j.get(&vn).cloned().unwrap_or(J::Null));
    }
    Ok(val(&J::Object(out)))
}

fn list_of(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(v.try_iter()?.collect())
}

fn unique(v: Value) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    for x in list_of(&v)? {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::from(out))
}

fn union(a: Value, b: Value) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    for x in list_of(&a)?.into_iter().chain(list_of(&b)?) {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::from(out))
}

fn intersect(a: Value, b: Value) -> Result<Value, Error> {
    let bl = list_of(&b)?;
    let mut out: Vec<Value> = Vec::new();
    for x in list_of(&a)? {
        if bl.contains(&x) && !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::from(out))
}

fn difference(a: Value, b: Value) -> Result<Value, Error> {
    let bl = list_of(&b)?;
    let mut out: Vec<Value> = Vec::new();
    for x in list_of(&a)? {
        if !bl.contains(&x) && !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Value::from(out))
}

fn symmetric_difference(a: Value, b: Value) -> Result<Value, Error> {
    let (al, bl) = (list_of(&a)?, list_of(&b)?);
    let mut out: Vec<Value> = Vec::new();
    for x in al
        .iter()
        .filter(|x| !bl.contains(x))
        .chain(bl.iter().filter(|x| !al.contains(x)))
    {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    Ok(Value::from(out))
}

fn flatten(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let levels: Option<usize> = kwargs.get("levels")?;
    let skip_nulls: Option<bool> = kwargs.get("skip_nulls")?;
    kwargs.assert_all_used()?;
    fn go(v: &Value, depth: Option<usize>, skip: bool, out: &mut Vec<Value>) -> Result<(), Error> {
        for x in v.try_iter()? {
            if x.kind() == ValueKind::Seq && depth.is_none_or(|d| d > 0) {
                go(&x, depth.map(|d| d - 1), skip, out)?;
            } else if !(skip && x.is_none()) {
                out.push(x);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(&v, levels, skip_nulls.unwrap_or(true), &mut out)?;
    Ok(Value::from(out))
}

fn zip(a: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut lists = vec![list_of(&a)?];
    for o in others.iter() {
        lists.push(list_of(o)?);
    }
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::from(
        (0..n)
            .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
    ))
}

fn product(a: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut acc: Vec<Vec<Value>> = list_of(&a)?.into_iter().map(|x| vec![x]).collect();
    for o in others.iter() {
        let l = list_of(o)?;
        acc = acc
            .into_iter()
            .flat_map(|p| {
                l.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(x.clone());
                    q
                })
            })
            .collect();
    }
    Ok(Value::from(
        acc.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn b64decode(s: String) -> Result<String, Error> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| err(format!("b64decode: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn hex_digest(algo: &str, data: &[u8]) -> Result<String, Error> {
    use sha2::Digest;
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    Ok(match algo {
        "md5" => hex(&md5::Md5::digest(data)),
        "sha1" => hex(&sha1::Sha1::digest(data)),
        "sha224" => hex(&sha2::Sha224::digest(data)),
        "sha256" => hex(&sha2::Sha256::digest(data)),
        "sha384" => hex(&sha2::Sha384::digest(data)),
        "sha512" => hex(&sha2::Sha512::digest(data)),
        other => return Err(err(format!("hash: unsupported algorithm `{other}`"))),
    })
}

fn hash(v: Value, algo: Option<String>) -> Result<String, Error> {
    hex_digest(
        &algo.unwrap_or_else(|| "sha1".into()),
        plain_string(&v).as_bytes(),
    )
}

/// `password_hash('sha512'|'sha256', salt=None, rounds=5000)` as crypt(3) hashes:
/// `$6$salt$...`; a random salt when none is given.
fn password_hash(
    v: Value,
    scheme: Option<String>,
    salt: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let rounds: Option<usize> = kwargs.get("rounds")?;
    kwargs.assert_all_used()?;
    let password = plain_string(&v);
    let salt = salt.unwrap_or_else(random_salt);
    if salt.len() > 16
        || !salt
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
    {
        return Err(err(
            "password_hash: the salt must be at most 16 characters of [./0-9A-Za-z]",
        ));
    }
    let rounds = rounds.unwrap_or(5000);
    let prefix = if rounds == 5000 {
        String::new()
    } else {
        format!("rounds={rounds}$")
    };
    let bad = |e: sha_crypt::CryptError| err(format!("password_hash: {e:?}"));
    match scheme.as_deref().unwrap_or("sha512") {
        "sha512" | "sha512_crypt" => {
            let params = sha_crypt::Sha512Params::new(rounds).map_err(bad)?;
            let h = sha_crypt::sha512_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
                .map_err(bad)?;
            Ok(format!("$6${prefix}{salt}${h}"))
        }
        "sha256" | "sha256_crypt" => {
            let params = sha_crypt::Sha256Params::new(rounds).map_err(bad)?;
            let h = sha_crypt::sha256_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
                .map_err(bad)?;
            Ok(format!("$5${prefix}{salt}${h}"))
        }
        other => Err(err(format!(
            "password_hash: unsupported scheme `{other}` (hotplay has sha512 and sha256)"
        ))),
    }
}

fn random_salt() -> String {
    const CHARS: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    bytes
        .iter()
        .map(|b| CHARS[(*b as usize) % CHARS.len()] as char)
        .collect()
}

fn comment(v: Value, style: Option<String>) -> String {
    let text = plain_string(&v);
    let prefix = match style.as_deref() {
        Some("c") | Some("cblock") => "// ",
        Some("erlang") => "% ",
        Some("xml") => "",
        _ => "# ",
    };
    if style.as_deref() == Some("xml") {
        return format!(
            "<!--\n{}\n-->",
            text.lines()
                .map(|l| format!(" - {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let body: Vec<String> = text
        .lines()
        .map(|l| format!("{prefix}{l}").trim_end().to_string())
        .collect();
    format!(
        "{}\n{}\n{}",
        prefix.trim_end(),
        body.join("\n"),
        prefix.trim_end()
    )
}

fn type_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if v.as_i64().is_some() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

fn type_debug(v: Value) -> &'static str {
    type_name(&v)
}

fn human_to_bytes(s: Value) -> Result<i64, Error> {
    let text = plain_string(&s);
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| err(format!("human_to_bytes: cannot read `{t}`")))?;
    let mult: f64 = match unit
        .trim()
        .trim_end_matches(['B', 'b'])
        .to_ascii_uppercase()
        .as_str()
    {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024f64.powi(2),
        "G" => 1024f64.powi(3),
        "T" => 1024f64.powi(4),
        "P" => 1024f64.powi(5),
        other => return Err(err(format!("human_to_bytes: unknown unit `{other}`"))),
    };
    Ok((n * mult) as i64)
}

fn human_readable(v: Value) -> Result<String, Error> {
    let mut n = f64::try_from(v.clone()).map_err(|_| err("human_readable needs a number"))?;
    for unit in ["Bytes", "KB", "MB", "GB", "TB", "PB"] {
        if n.abs() < 1024.0 || unit == "PB" {
            return Ok(format!("{n:.2} {unit}"));
        }
        n /= 1024.0;
    }
    Ok(format!("{n:.2} PB"))
}

fn extract(item: Value, container: Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut v = container.get_item(&item)?;
    if let Some(k) = morekeys {
        let keys: Vec<Value> = if k.kind() == ValueKind::Seq {
            list_of(&k)?
        } else {
            vec![k]
        };
        for key in keys {
            v = v.get_item(&key)?;
        }
    }
    Ok(v)
}

fn subelements(v: Value, key: String, kwargs: Kwargs) -> Result<Value, Error> {
    let skip_missing: Option<bool> = kwargs.get("skip_missing")?;
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    for item in list_of(&v)? {
        let sub = item.get_attr(&key)?;
        if sub.is_undefined() {
            if skip_missing.unwrap_or(false) {
                continue;
            }
            return Err(err(format!("subelements: an item has no key `{key}`")));
        }
        for s in list_of(&sub)? {
            out.push(Value::from(vec![item.clone(), s]));
        }
    }
    Ok(Value::from(out))
}

fn to_list(v: Value) -> Result<Value, Error> {
    if v.kind() == ValueKind::String {
        return Ok(Value::from(
            v.as_str()
                .unwrap_or_default()
                .chars()
                .map(|c| Value::from(c.to_string()))
                .collect::<Vec<_>>(),
        ));
    }
    Ok(Value::from(list_of(&v)?))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn r(t: &str, ctx: serde_json::Value) -> serde_json::Value {
        Templar::new()
            .render_value(t, &to_jinja(&ctx))
            .unwrap_or_else(|e| panic!("{t}: {}", e.message))
    }

    #[test]
    fn ansible_filters() {
        let c = json!({"a": {"x": 1, "n": {"p": 1}}, "b": {"y": 2, "n": {"q": 2}}, "l": [3, 1, 3], "m": [1, 2]});
        assert_eq!(r("{{ 'yes' | bool }}", c.clone()), json!(true));
        assert_eq!(r("{{ 'off' | bool }}", c.clone()), json!(false));
        assert_eq!(r("{{ '42' | int + 1 }}", c.clone()), json!(43));
        assert_eq!(r("{{ 'x' | int(default=7) }}", c.clone()), json!(7));
        assert_eq!(r("{{ '0x1A' | int(base=16) }}", c.clone()), json!(26));
        assert_eq!(r("{{ 3.9 | int }}", c.clone()), json!(3));
        assert_eq!(
            r("{{ a | combine(b) }}", c.clone()),
            json!({"x": 1, "n": {"q": 2}, "y": 2})
        );
        assert_eq!(
            r("{{ a | combine(b, recursive=True) }}", c.clone()),
            json!({"x": 1, "n": {"p": 1, "q": 2}, "y": 2})
        );
        assert_eq!(r("{{ l | unique }}", c.clone()), json!([3, 1]));
        assert_eq!(r("{{ l | union(m) }}", c.clone()), json!([3, 1, 2]));
        assert_eq!(r("{{ l | difference(m) }}", c.clone()), json!([3]));
        assert_eq!(
            r("{{ [1, [2, [3]]] | flatten }}", c.clone()),
            json!([1, 2, 3])
        );
        assert_eq!(
            r("{{ [1, [2, [3]]] | flatten(levels=1) }}", c.clone()),
            json!([1, 2, [3]])
        );
        assert_eq!(
            r("{{ a | dict2items | items2dict }}", c.clone()),
            json!({"x": 1, "n": {"p": 1}})
        );
        assert_eq!(
            r("{{ true | ternary('on', 'off') }}", c.clone()),
            json!("on")
        );
        assert_eq!(
            r(
                "{{ 'hotdb-server-2.5.4-ga-20190812.tar.gz' | regex_search('server-([0-9.]+)-ga-(\\\\d+)', '\\\\1', '\\\\2') }}",
                c.clone()
            ),
            json!(["2.5.4", "20190812"])
        );
        assert_eq!(
            r("{{ 'a.b.c' | regex_replace('\\\\.', '_') }}", c.clone()),
            json!("a_b_c")
        );
        assert_eq!(
            r("{{ 'ab12cd34' | regex_findall('[0-9]+') }}", c.clone()),
            json!(["12", "34"])
        );
        assert_eq!(
            r(
                "{{ '/a/b/c.txt' | basename }} {{ '/a/b/c.txt' | dirname }}",
                c.clone()
            ),
            json!("c.txt /a/b")
        );
        assert_eq!(
            r("{{ 'hi' | b64encode | b64decode }}", c.clone()),
            json!("hi")
        );
        assert_eq!(
            r("{{ 'abc' | hash('sha1') }}", c.clone()),
            json!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            r("{{ \"it's\" | quote }}", c.clone()),
            json!("'it'\"'\"'s'")
        );
        assert_eq!(
            r("{{ '{\"k\": [1]}' | from_json }}", c.clone()),
            json!({"k": [1]})
        );
        assert_eq!(
            r("{{ {'k': 1} | to_json }}", c.clone()),
            json!("{\"k\": 1}")
        );
        assert_eq!(
            r("{{ 'k: [1, 2]' | from_yaml }}", c.clone()),
            json!({"k": [1, 2]})
        );
        assert_eq!(
            r("{{ '1G' | human_to_bytes }}", c.clone()),
            json!(1073741824)
        );
        assert_eq!(
            r(
                "{{ [{'n': 'a', 'on': true}, {'n': 'b', 'on': false}] | selectattr('on') | map(attribute='n') | list }}",
                c
            ),
            json!(["a"])
        );
    }

    #[test]
    fn password_hash_matches_crypt() {
        // The glibc crypt(3) test vector for SHA-512 with 5000 rounds.
        assert_eq!(
            r(
                "{{ 'Hello world!' | password_hash('sha512', 'saltstring') }}",
                json!({})
            ),
            json!(
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
            )
        );
        let random = r("{{ 'pw' | password_hash('sha256') }}", json!({}));
        assert!(
            random.as_str().is_some_and(|s| s.starts_with("$5$")),
            "{random}"
        );
    }

    #[test]
    fn mandatory_fails_on_undefined() {
        let t = Templar::new();
        let e = t
            .render_value("{{ nope | mandatory }}", &to_jinja(&json!({})))
            .unwrap_err();
        assert!(
            e.message.contains("undefined") || e.message.contains("Mandatory"),
            "{}",
            e.message
        );
    }
}
