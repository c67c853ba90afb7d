//! Ansible's filters on strings: regular expressions (Python's syntax mapped to
//! the regex crate's), base64, hashes and password hashes, shell quoting,
//! comments, human-readable sizes and UUIDs.

use super::filters::{err, plain_string};
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error};
use std::sync::LazyLock;

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", |v: &Value, algo: Option<String>| {
        hex_digest(
            algo.as_deref().unwrap_or("sha1"),
            plain_string(v)?.as_bytes(),
        )
    });
    env.add_filter("checksum", |v: &Value| {
        hex_digest("sha1", plain_string(v)?.as_bytes())
    });
    env.add_filter("sha1", |v: &Value| {
        hex_digest("sha1", plain_string(v)?.as_bytes())
    });
    env.add_filter("md5", |v: &Value| {
        hex_digest("md5", plain_string(v)?.as_bytes())
    });
    env.add_filter("password_hash", password_hash);
    env.add_filter("quote", |v: &Value| -> Result<String, Error> {
        let text = if v.is_none() {
            String::new()
        } else {
            plain_string(v)?
        };
        Ok(crate::parse::shell::quote(&text))
    });
    env.add_filter("comment", comment);
    env.add_filter("human_readable", human_readable);
    env.add_filter("human_to_bytes", human_to_bytes);
    env.add_filter("to_uuid", to_uuid);
}

/// A Python regular expression for the regex crate (`\Z` is `\z` there).
fn build_regex(pattern: &str, ignorecase: bool, multiline: bool) -> Result<regex::Regex, Error> {
    regex::RegexBuilder::new(&pattern.replace("\\Z", "\\z"))
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| err(format!("bad regular expression `{pattern}`: {e}")))
}

fn regex_flags(kwargs: &Kwargs) -> Result<(bool, bool), Error> {
    Ok((
        kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false),
        kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false),
    ))
}

/// Python's re.sub replacement (`\1`, `\g<1>`, `\g<name>`, `\n`, `\\`) in the
/// regex crate's syntax (`${1}`, literal `$` doubled). Shared with the replace module.
pub fn python_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                Some(d @ '0'..='9') => {
                    let mut n = d.to_string();
                    if let Some(e) = chars.peek().copied().filter(char::is_ascii_digit) {
                        n.push(e);
                        chars.next();
                    }
                    out.push_str(&format!(
                        "${{{}}}",
                        n.trim_start_matches('0').parse::<u32>().unwrap_or(0)
                    ));
                }
                Some('g') if chars.peek() == Some(&'<') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|&x| x != '>').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some('a') => out.push('\u{7}'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    if other == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(other);
                    }
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// `regex_search(regex, *groups, ignorecase=False, multiline=False)`: the match,
/// or with `'\\1'`/`'\\g<name>'` arguments the list of those groups; None when
/// nothing matches.
fn regex_search(
    v: &Value,
    pattern: &str,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let re = build_regex(pattern, ic, ml)?;
    let text = plain_string(v)?;
    let Some(caps) = re.captures(&text) else {
        return Ok(Value::from(()));
    };
    let group = |m: Option<regex::Match>| {
        m.map(|m| Value::from(m.as_str()))
            .unwrap_or(Value::from(()))
    };
    if groups.is_empty() {
        return Ok(group(caps.get(0)));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let m = if let Some(name) = g.strip_prefix("\\g<").and_then(|x| x.strip_suffix('>')) {
            match name.parse::<usize>() {
                Ok(n) => caps.get(n),
                Err(_) => caps.name(name),
            }
        } else if let Some(n) = g.strip_prefix('\\').and_then(|x| x.parse::<usize>().ok()) {
            caps.get(n)
        } else {
            return Err(err(format!("regex_search: unknown argument `{g}`")));
        };
        out.push(group(m));
    }
    Ok(Value::from(out))
}

/// `regex_replace(pattern, replacement='', ignorecase=False, multiline=False,
/// count=0, mandatory_count=0)`.
fn regex_replace(
    v: &Value,
    pattern: &str,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let re = build_regex(pattern, ic, ml)?;
    let text = plain_string(v)?;
    if mandatory > 0 {
        let found = re.find_iter(&text).count();
        let found = if count > 0 { found.min(count) } else { found };
        if found != mandatory {
            return Err(err(format!(
                "'{pattern}' should match {mandatory} times, but matches {found} times in '{text}'"
            )));
        }
    }
    let rep = python_replacement(&replacement.unwrap_or_default());
    Ok(re.replacen(&text, count, rep.as_str()).into_owned())
}

/// `regex_findall(regex, multiline=False, ignorecase=False)`: Python's findall.
fn regex_findall(v: &Value, pattern: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let (ic, ml) = regex_flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let re = build_regex(pattern, ic, ml)?;
    let text = plain_string(v)?;
    let groups = re.captures_len() - 1;
    let get = |c: &regex::Captures, i: usize| {
        Value::from(c.get(i).map(|m| m.as_str()).unwrap_or_default())
    };
    Ok(re
        .captures_iter(&text)
        .map(|c| match groups {
            0 => get(&c, 0),
            1 => get(&c, 1),
            _ => Value::from((1..=groups).map(|i| get(&c, i)).collect::<Vec<_>>()),
        })
        .collect())
}

/// `regex_escape(re_type='python')`: Python's re.escape, or a POSIX BRE/ERE escape.
fn regex_escape(v: &Value, re_type: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let re_type = match re_type {
        Some(t) => Some(t),
        None => kwargs.get::<Option<String>>("re_type")?,
    };
    kwargs.assert_all_used()?;
    let text = plain_string(v)?;
    let special: &str = match re_type.as_deref().unwrap_or("python") {
        "python" => "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}",
        "posix_basic" => "].[^$*\\",
        "posix_extended" => "^$.*+?[]|(){}\\",
        other => return Err(err(format!("Invalid regex type ({other})"))),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

/// Text in an encoding Python names (utf-8 and utf-16-le, what Ansible users meet).
fn encode(s: &str, encoding: &str) -> Result<Vec<u8>, Error> {
    match encoding.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" | "ascii" => Ok(s.as_bytes().to_vec()),
        "utf-16-le" | "utf-16le" => Ok(s.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        other => Err(err(format!("unsupported encoding `{other}`"))),
    }
}

fn decode(b: &[u8], encoding: &str) -> Result<String, Error> {
    match encoding.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" | "ascii" => Ok(String::from_utf8_lossy(b).into_owned()),
        "utf-16-le" | "utf-16le" => Ok(String::from_utf16_lossy(
            &b.chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                .collect::<Vec<_>>(),
        )),
        other => Err(err(format!("unsupported encoding `{other}`"))),
    }
}

fn b64_engine(urlsafe: bool) -> base64::engine::GeneralPurpose {
    if urlsafe {
        base64::engine::general_purpose::URL_SAFE
    } else {
        base64::engine::general_purpose::STANDARD
    }
}

fn b64encode(v: &Value, encoding: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    use base64::Engine;
    let encoding = encoding
        .or(kwargs.get("encoding")?)
        .unwrap_or_else(|| "utf-8".into());
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    Ok(b64_engine(urlsafe).encode(encode(&plain_string(v)?, &encoding)?))
}

fn b64decode(v: &Value, encoding: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    use base64::Engine;
    let encoding = encoding
        .or(kwargs.get("encoding")?)
        .unwrap_or_else(|| "utf-8".into());
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let text = plain_string(v)?;
    let bytes = b64_engine(urlsafe)
        .decode(text.trim())
        .map_err(|e| err(format!("b64decode: {e}")))?;
    decode(&bytes, &encoding)
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
        other => return Err(err(format!("unsupported hash type {other}"))),
    })
}

/// `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None)` as
/// crypt(3) hashes (`$6$salt$...`, `$5$...`); a random salt when none is given.
fn password_hash(
    v: &Value,
    scheme: Option<String>,
    salt: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let scheme = scheme.or(kwargs.get("hashtype")?);
    let salt = salt.or(kwargs.get("salt")?);
    let rounds: Option<usize> = kwargs.get("rounds")?;
    let salt_size = kwargs.get::<Option<usize>>("salt_size")?.unwrap_or(16);
    let _: Option<Value> = kwargs.get("ident")?;
    kwargs.assert_all_used()?;
    let password = plain_string(v)?;
    let salt = salt.unwrap_or_else(|| random_salt(salt_size.min(16)));
    if salt.is_empty()
        || salt.len() > 16
        || !salt
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
    {
        return Err(err(
            "password_hash: the salt must be 1 to 16 characters of [./0-9A-Za-z]",
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
            "password_hash: unsupported hash type `{other}` (hotplay has sha512 and sha256)"
        ))),
    }
}

fn random_salt(len: usize) -> String {
    const CHARS: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = vec![0u8; len];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut bytes);
    }
    bytes
        .iter()
        .map(|b| CHARS[(*b as usize) % CHARS.len()] as char)
        .collect()
}

/// `comment(style='plain', **params)`: Ansible's comment decoration.
fn comment(v: &Value, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let style = style
        .or(kwargs.get("style")?)
        .unwrap_or_else(|| "plain".into());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(err(format!("Invalid style '{other}'."))),
    };
    let text_kw = |name: &str, default: &str| -> Result<String, Error> {
        Ok(kwargs
            .get::<Option<String>>(name)?
            .unwrap_or_else(|| default.to_string()))
    };
    let decoration = text_kw("decoration", decoration)?;
    let newline = text_kw("newline", "\n")?;
    let beginning = text_kw("beginning", beginning)?;
    let end = text_kw("end", end)?;
    let prefix = text_kw("prefix", decoration.trim_end())?;
    let postfix = text_kw("postfix", decoration.trim_end())?;
    let prefix_count = kwargs.get::<Option<usize>>("prefix_count")?.unwrap_or(1);
    let postfix_count = kwargs.get::<Option<usize>>("postfix_count")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let text = plain_string(v)?;
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let one = if prefix == newline {
            newline.clone()
        } else {
            format!("{prefix}{newline}")
        };
        out.push_str(&one.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    );
    out.push_str(&body.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    ));
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

const SIZES: &[(char, u32)] = &[
    ('Y', 80),
    ('Z', 70),
    ('E', 60),
    ('P', 50),
    ('T', 40),
    ('G', 30),
    ('M', 20),
    ('K', 10),
    ('B', 0),
];

/// `human_readable(isbits=False, unit=None)`: "1.00 KB", "500.00 Bytes".
fn human_readable(
    v: &Value,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let isbits = isbits.or(kwargs.get("isbits")?);
    let unit = unit.or(kwargs.get("unit")?);
    kwargs.assert_all_used()?;
    let size = match v.as_str() {
        Some(s) => s.trim().parse::<f64>().ok(),
        None => f64::try_from(v.clone()).ok(),
    }
    .ok_or_else(|| {
        err(format!(
            "human_readable() can't interpret following string: {v}"
        ))
    })?;
    let base = if isbits.unwrap_or(false) {
        "bits"
    } else {
        "Bytes"
    };
    let wanted = unit
        .as_deref()
        .and_then(|u| u.chars().next())
        .map(|c| c.to_ascii_uppercase());
    let (suffix, shift) = SIZES
        .iter()
        .copied()
        .find(|&(s, shift)| match wanted {
            Some(w) => w == s,
            None => size >= 2f64.powi(shift as i32),
        })
        .unwrap_or(('B', 0));
    let limit = 2f64.powi(shift as i32);
    let suffix = if shift == 0 {
        base.to_string()
    } else {
        format!("{suffix}{}", &base[..1])
    };
    Ok(format!("{:.2} {suffix}", size / limit))
}

/// `human_to_bytes(default_unit=None, isbits=False)`: "1K" is 1024, "1.5 MB" 1572864.
fn human_to_bytes(
    v: &Value,
    default_unit: Option<String>,
    isbits: Option<bool>,
    kwargs: Kwargs,
) -> Result<i64, Error> {
    let default_unit = default_unit.or(kwargs.get("default_unit")?);
    let isbits = isbits.or(kwargs.get("isbits")?);
    kwargs.assert_all_used()?;
    static FORM: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^([0-9]*\.?[0-9]+)(?:\s*([A-Za-z]+))?\s*$").expect("static regex")
    });
    let text = plain_string(v)?;
    let bad = || {
        err(format!(
            "human_to_bytes() can't interpret following string: {text}"
        ))
    };
    let caps = FORM.captures(text.trim_start()).ok_or_else(bad)?;
    let num: f64 = caps[1].parse().map_err(|_| bad())?;
    let Some(unit) = caps.get(2).map(|m| m.as_str().to_string()).or(default_unit) else {
        return Ok(num.round() as i64);
    };
    let key = unit
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('B');
    let shift = SIZES.iter().find(|(s, _)| *s == key).map(|(_, n)| *n).ok_or_else(|| {
        err(format!(
            "human_to_bytes() failed to convert {text} (unit = {unit}). The suffix must be one of Y, Z, E, P, T, G, M, K, B"
        ))
    })?;
    let (class, class_name) = if isbits.unwrap_or(false) {
        ('b', "bit")
    } else {
        ('B', "byte")
    };
    if unit.chars().count() > 1
        && !unit.to_lowercase().contains(class_name)
        && unit.chars().nth(1) != Some(class)
    {
        return Err(err(format!(
            "human_to_bytes() failed to convert {text}. Value is not a valid string (expect {key}{class} or {key})"
        )));
    }
    Ok((num * 2f64.powi(shift as i32)).round() as i64)
}

/// `to_uuid(namespace=Ansible's)`: a name-based (version 5) UUID.
fn to_uuid(v: &Value, namespace: Option<String>) -> Result<String, Error> {
    use sha1::Digest;
    let ns = namespace.unwrap_or_else(|| "361E6D51-FAEC-444A-9079-341386DA8E2E".into());
    let hex: String = ns.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return Err(err(format!("Invalid value '{ns}' for 'namespace'")));
    }
    let mut ns_bytes = Vec::with_capacity(16);
    for i in (0..32).step_by(2) {
        let byte = u8::from_str_radix(&hex[i..i + 2], 16)
            .map_err(|_| err(format!("Invalid value '{ns}' for 'namespace'")))?;
        ns_bytes.push(byte);
    }
    let mut h = sha1::Sha1::new();
    h.update(&ns_bytes);
    h.update(plain_string(v)?.as_bytes());
    let mut b: Vec<u8> = h.finalize()[..16].to_vec();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    fn r(t: &str) -> serde_json::Value {
        Templar::new()
            .render_native(
                t,
                &to_jinja(&json!({"pkg": "hotdb-server-2.5.4-ga-20190812.tar.gz"})),
            )
            .unwrap_or_else(|e| panic!("{t}: {}", e.message))
    }

    #[test]
    fn regexes() {
        for (t, want) in [
            (
                r"{{ pkg | regex_search('server-([0-9.]+)-ga-(\\d+)', '\\1', '\\2') }}",
                json!(["2.5.4", "20190812"]),
            ),
            (
                r"{{ pkg | regex_search('(?P<v>[0-9.]+)-ga', '\\g<v>') }}",
                json!(["2.5.4"]),
            ),
            (r"{{ pkg | regex_search('[0-9.]+') }}", json!("2.5.4")),
            (r"{{ pkg | regex_search('nothing') }}", json!(null)),
            (r"{{ 'ab' | regex_search('a(x)?', '\\1') }}", json!([null])),
            (
                r"{{ 'ABC' | regex_search('b', ignorecase=True) }}",
                json!("B"),
            ),
            (
                r"{{ 'a\nb' | regex_search('^b$', multiline=True) }}",
                json!("b"),
            ),
            (r"{{ 'a.b.c' | regex_replace('\\.', '_') }}", json!("a_b_c")),
            (
                r"{{ 'a.b.c' | regex_replace('\\.', '_', count=1) }}",
                json!("a_b.c"),
            ),
            (
                r"{{ 'key=val' | regex_replace('(\\w+)=(\\w+)', '\\2=\\1') }}",
                json!("val=key"),
            ),
            (
                r"{{ 'key=val' | regex_replace('(?P<k>\\w+)=', '\\g<k>: $') }}",
                json!("key: $val"),
            ),
            (
                r"{{ 'ab12cd34' | regex_findall('[0-9]+') }}",
                json!(["12", "34"]),
            ),
            (
                r"{{ 'a=1 b=2' | regex_findall('(\\w)=(\\d)') }}",
                json!([["a", "1"], ["b", "2"]]),
            ),
            (r"{{ 'a.b*c d' | regex_escape }}", json!(r"a\.b\*c\ d")),
            (
                r"{{ 'a.b*c' | regex_escape('posix_basic') }}",
                json!(r"a\.b\*c"),
            ),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
        let t = Templar::new();
        let c = to_jinja(&json!({}));
        assert!(
            t.render_native(
                r"{{ 'aa' | regex_replace('a', 'b', mandatory_count=1) }}",
                &c
            )
            .is_err()
        );
        assert!(
            t.render_native(r"{{ 'a' | regex_search('(') }}", &c)
                .is_err()
        );
        assert_eq!(
            super::python_replacement(r"\1-\g<name>-\\-$-\n"),
            "${1}-${name}-\\-$$-\n"
        );
    }

    #[test]
    fn encodings_and_hashes() {
        for (t, want) in [
            ("{{ 'hi' | b64encode }}", json!("aGk=")),
            ("{{ 'aGk=' | b64decode }}", json!("hi")),
            (
                "{{ 'hi' | b64encode(encoding='utf-16-le') | b64decode(encoding='utf-16-le') }}",
                json!("hi"),
            ),
            (
                "{{ 'abc' | hash('sha1') }}",
                json!("a9993e364706816aba3e25717850c26c9cd0d89d"),
            ),
            (
                "{{ 'abc' | hash }}",
                json!("a9993e364706816aba3e25717850c26c9cd0d89d"),
            ),
            (
                "{{ 'abc' | hash('md5') }}",
                json!("900150983cd24fb0d6963f7d28e17f72"),
            ),
            (
                "{{ 'abc' | md5 }}",
                json!("900150983cd24fb0d6963f7d28e17f72"),
            ),
            (
                "{{ 'abc' | checksum }}",
                json!("a9993e364706816aba3e25717850c26c9cd0d89d"),
            ),
            (
                "{{ 'abc' | sha1 }}",
                json!("a9993e364706816aba3e25717850c26c9cd0d89d"),
            ),
            (
                "{{ 'abc' | hash('sha256') }}",
                json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ),
            ("{{ \"it's\" | quote }}", json!("'it'\"'\"'s'")),
            ("{{ 'safe-word_1.2' | quote }}", json!("safe-word_1.2")),
            ("{{ '' | quote }}", json!("''")),
            ("{{ 'a b' | quote }}", json!("'a b'")),
            ("{{ 'hi' | comment }}", json!("#\n# hi\n#")),
            ("{{ 'a\nb' | comment('c') }}", json!("//\n// a\n// b\n//")),
            (
                "{{ 'hi' | comment('cblock') }}",
                json!("/*\n *\n * hi\n *\n */"),
            ),
            (
                "{{ 'hi' | comment('xml') }}",
                json!("<!--\n -\n - hi\n -\n-->"),
            ),
            (
                "{{ 'hi' | comment(decoration='; ', prefix='', postfix='') }}",
                json!("; hi\n"),
            ),
            ("{{ 1024 | human_readable }}", json!("1.00 KB")),
            ("{{ 500 | human_readable }}", json!("500.00 Bytes")),
            (
                "{{ 1048576 | human_readable(unit='K') }}",
                json!("1024.00 KB"),
            ),
            ("{{ 1024 | human_readable(isbits=True) }}", json!("1.00 Kb")),
            ("{{ '1G' | human_to_bytes }}", json!(1073741824)),
            ("{{ '1.5 MB' | human_to_bytes }}", json!(1572864)),
            ("{{ '10' | human_to_bytes }}", json!(10)),
            ("{{ '10' | human_to_bytes('K') }}", json!(10240)),
            ("{{ '1 Kb' | human_to_bytes(isbits=True) }}", json!(1024)),
            (
                "{{ 'www.example.com' | to_uuid }}",
                json!("69680a13-a686-5d20-a166-0e7b3b17ef84"),
            ),
        ] {
            assert_eq!(r(t), want, "{t}");
        }
        let t = Templar::new();
        let c = to_jinja(&json!({}));
        assert!(
            t.render_native("{{ '1 KX' | human_to_bytes }}", &c)
                .is_err()
        );
        assert!(t.render_native("{{ 'x' | human_to_bytes }}", &c).is_err());
        assert!(t.render_native("{{ 'x' | hash('blake') }}", &c).is_err());
    }

    #[test]
    fn password_hash_matches_crypt() {
        // The glibc crypt(3) test vectors.
        assert_eq!(
            r("{{ 'Hello world!' | password_hash('sha512', 'saltstring') }}"),
            json!(
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
            )
        );
        assert_eq!(
            r("{{ 'Hello world!' | password_hash('sha256', salt='saltstring') }}"),
            json!("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
        );
        let random = r("{{ 'pw' | password_hash }}");
        assert!(
            random
                .as_str()
                .is_some_and(|s| s.starts_with("$6$") && s.len() > 80),
            "{random}"
        );
        assert!(
            Templar::new()
                .render_native(
                    "{{ 'pw' | password_hash('blowfish') }}",
                    &to_jinja(&json!({}))
                )
                .is_err()
        );
    }
}
