//! The lookups that compute rather than read: list, sequence, subelements,
//! inventory_hostnames and password.

use super::filters::{err, plain_string};
use super::pyrandom::PyRandom;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, State};
use std::path::PathBuf;

/// `list`: the terms as given (no flattening, unlike `items`).
pub fn list(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    Ok(args.to_vec())
}

/// `sequence`: each term `start=1 end=5 stride=1 format=%d` (or `count=`, or the
/// shortcut `[start-]end[/stride][:format]`), the numbers as formatted strings.
pub fn sequence(_: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    // Keyword options are defaults the term's own words override.
    let mut defaults = String::new();
    for k in ["start", "end", "count", "stride", "format"] {
        if let Some(v) = kwargs.get::<Option<Value>>(k)? {
            defaults.push_str(&format!("{k}={} ", plain_string(&v)?));
        }
    }
    let mut out = Vec::new();
    for t in args {
        let term = format!("{defaults}{}", plain_string(t)?);
        out.extend(
            sequence_of(&term)
                .map_err(err)?
                .into_iter()
                .map(Value::from),
        );
    }
    Ok(out)
}

/// One sequence term, as ansible-core's sequence lookup parses it.
pub fn sequence_of(text: &str) -> Result<Vec<String>, String> {
    let mut start = 1i64;
    let mut end: Option<i64> = None;
    let mut count: Option<i64> = None;
    let mut stride = 1i64;
    let mut format = "%d".to_string();
    let parse = |v: &str| -> Result<i64, String> {
        let v = v.trim();
        let parsed = if let Some(h) = v.strip_prefix("0x") {
            i64::from_str_radix(h, 16)
        } else if let Some(o) = v.strip_prefix("0o") {
            i64::from_str_radix(o, 8)
        } else {
            v.parse::<i64>()
        };
        parsed.map_err(|_| format!("can't parse {v} as an integer"))
    };
    for word in text.split_whitespace() {
        match word.split_once('=') {
            Some(("start", v)) => start = parse(v)?,
            Some(("end", v)) => end = Some(parse(v)?),
            Some(("count", v)) => count = Some(parse(v)?),
            Some(("stride", v)) => stride = parse(v)?,
            Some(("format", v)) => format = v.to_string(),
            Some((k, _)) => {
                return Err(format!("unrecognized arguments to with_sequence: ['{k}']"));
            }
            None => {
                let (range, fmt) = word
                    .split_once(':')
                    .map_or((word, None), |(a, b)| (a, Some(b)));
                let (range, st) = range
                    .split_once('/')
                    .map_or((range, None), |(a, b)| (a, Some(b)));
                match range.split_once('-') {
                    Some((a, b)) => {
                        start = parse(a)?;
                        end = Some(parse(b)?);
                    }
                    None => end = Some(parse(range)?),
                }
                if let Some(s) = st {
                    stride = parse(s)?;
                }
                if let Some(f) = fmt {
                    format = f.to_string();
                }
            }
        }
    }
    let end = match (end, count) {
        (Some(_), Some(_)) => {
            return Err("can't specify both count and end in with_sequence".into());
        }
        (Some(e), None) => e,
        (None, Some(0)) => return Ok(Vec::new()),
        (None, Some(c)) => start + c * stride - 1,
        (None, None) => return Err("must specify count or end in with_sequence".into()),
    };
    if stride > 0 && end < start {
        return Err("to count backwards make stride negative".into());
    }
    if stride < 0 && end > start {
        return Err("to count forward don't make stride negative".into());
    }
    if format.matches('%').count() != 1 {
        return Err(format!("bad formatting string: {format}"));
    }
    if stride == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut i = start;
    while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
        out.push(printf_int(&format, i));
        i += stride;
        if out.len() > 1_000_000 {
            return Err("with_sequence: more than a million items".into());
        }
    }
    Ok(out)
}

/// `%d`, `%02d`, `%x`, `%o` in a format string, as Python's `%` does for one int.
fn printf_int(format: &str, n: i64) -> String {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"%(0?)(\d*)([dixXo])").expect("static regex")
    });
    RE.replace(format, |c: &regex::Captures| {
        let width: usize = c[2].parse().unwrap_or(0);
        let s = match &c[3] {
            "x" => format!("{n:x}"),
            "X" => format!("{n:X}"),
            "o" => format!("{n:o}"),
            _ => n.to_string(),
        };
        if c[1].is_empty() {
            format!("{s:>width$}")
        } else {
            format!("{s:0>width$}")
        }
    })
    .into_owned()
}

/// `subelements(list, 'key.path', {'skip_missing': True})`: `[item, element]` pairs.
pub fn subelements(_: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let (items, path) = match args {
        [items, path] | [items, path, _] => (items, path),
        _ => {
            return Err(err(
                "subelements lookup expects a list of two or three items",
            ));
        }
    };
    let skip = args
        .get(2)
        .and_then(|f| f.get_attr("skip_missing").ok())
        .is_some_and(|v| v.is_true());
    let pairs = super::collections::subelement_pairs(items, path, skip)?;
    Ok(pairs)
}

/// `inventory_hostnames(pattern)`: the hosts a pattern names, from the `groups` var.
pub fn inventory_hostnames(state: &State, args: &[Value], _: &Kwargs) -> Result<Vec<Value>, Error> {
    let groups: indexmap::IndexMap<String, Vec<String>> = state
        .lookup("groups")
        .and_then(|g| serde_json::to_value(&g).ok())
        .and_then(|j| serde_json::from_value(j).ok())
        .unwrap_or_default();
    let inv = crate::parse::inventory::Inventory::from_groups(&groups);
    let mut out = Vec::new();
    for t in args {
        let pattern = plain_string(t)?;
        let hosts = crate::plan::pattern::select(&inv, &pattern).unwrap_or_default();
        out.extend(hosts.into_iter().map(Value::from));
    }
    Ok(out)
}

/// The character sets of Python's `string` module that `chars=` may name.
fn charset(name: &str) -> String {
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &str = "0123456789";
    const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    match name {
        "ascii_letters" => format!("{LOWER}{UPPER}"),
        "ascii_lowercase" => LOWER.into(),
        "ascii_uppercase" => UPPER.into(),
        "digits" => DIGITS.into(),
        "hexdigits" => "0123456789abcdefABCDEF".into(),
        "octdigits" => "01234567".into(),
        "punctuation" => PUNCT.into(),
        "printable" => format!("{DIGITS}{LOWER}{UPPER}{PUNCT} \t\n\r\x0b\x0c"),
        "whitespace" => " \t\n\r\x0b\x0c".into(),
        other => other.into(),
    }
}

/// `password(path length=20 chars=... seed=...)`: the password stored in `path` (made
/// and saved 0600 when the file does not exist; `/dev/null` saves nothing). The
/// value is remembered as a secret, so no output shows it.
pub fn password(state: &State, args: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for t in args {
        let term = plain_string(t)?;
        let mut words = term.split_whitespace();
        let rel = words.next().unwrap_or_default().to_string();
        let mut opts: std::collections::HashMap<String, String> = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for k in ["length", "chars", "seed", "encrypt"] {
            if let Some(v) = kwargs.get::<Option<Value>>(k)? {
                let text = match v.kind() {
                    ValueKind::Seq => v
                        .try_iter()?
                        .map(|x| plain_string(&x))
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    _ => plain_string(&v)?,
                };
                opts.insert(k.into(), text);
            }
        }
        if opts.contains_key("encrypt") {
            return Err(err(
                "password lookup: encrypt= is not supported by hotplay (use the password_hash filter)",
            ));
        }
        let length: usize = match opts.get("length") {
            Some(l) => l
                .parse()
                .map_err(|_| err(format!("length must be an integer, got {l}")))?,
            None => 20,
        };
        let chars: String = match opts.get("chars") {
            Some(c) => c.split(',').map(charset).collect(),
            None => format!("{}{}", charset("ascii_letters"), charset("digits")) + ".,:-_",
        };
        let chars: Vec<char> = chars.chars().collect();
        let path = if PathBuf::from(&rel).is_absolute() {
            PathBuf::from(&rel)
        } else {
            super::lookups::dir_var(state, "playbook_dir")
                .unwrap_or_default()
                .join(&rel)
        };
        let value = if path.exists() && rel != "/dev/null" {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
            let first = text.lines().next().unwrap_or_default();
            first.split(" salt=").next().unwrap_or_default().to_string()
        } else {
            if chars.is_empty() {
                return Err(err("password lookup: chars names no characters"));
            }
            let mut rng = match opts.get("seed") {
                Some(s) => PyRandom::from_text(s),
                None => PyRandom::from_entropy(),
            };
            let made: String = (0..length)
                .map(|_| chars[rng.below(chars.len() as u64) as usize])
                .collect();
            if rel != "/dev/null" {
                save_secret(&path, &made)?;
            }
            made
        };
        crate::parse::secrets::remember(&value);
        out.push(Value::from(value));
    }
    Ok(out)
}

/// Writes a new password file: its directory 0700 when made, the file 0600.
fn save_secret(path: &std::path::Path, value: &str) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
    writeln!(f, "{value}").map_err(|e| err(format!("cannot write {}: {e}", path.display())))
}
