//! YAML documents as a tree of nodes that keep their source position, parsed by
//! serde-saphyr (YAML 1.1 booleans, merge keys, duplicate keys rejected).

use super::diag::{Diag, DiagResult};
use super::source::{self, Span};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Reads and parses a YAML file, registering it for error display.
pub fn load_file(path: &Path) -> DiagResult<Node> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diag::plain(format!("cannot read {}: {e}", path.display())))?;
    if !super::vault::is_vaulted(&text) {
        let node = parse_str(path, &text)?;
        // Literal passwords in vars files and playbooks are never shown.
        if text.contains("pass") || text.contains("secret") {
            super::secrets::remember_named(&node.to_json());
        }
        return Ok(node);
    }
    let plain = super::vault::decrypt(&text, &super::vault::keyring())
        .map_err(|e| Diag::plain(format!("{}: {e}", path.display())))?;
    let plain = String::from_utf8(plain).map_err(|_| {
        Diag::plain(format!(
            "{}: the decrypted vault is not UTF-8",
            path.display()
        ))
    })?;
    let node = parse_str(path, &plain)?;
    super::secrets::remember_all(&node.to_json());
    Ok(node)
}

/// `!vault` values decrypted in place (any string that is vault data).
fn decrypt_values(node: &mut Node) -> DiagResult<()> {
    match &mut node.kind {
        Kind::Str(s) if super::vault::is_vaulted(s) => {
            let plain = super::vault::decrypt(s, &super::vault::keyring())
                .map_err(|e| Diag::new(node.span, e))?;
            let plain = String::from_utf8(plain)
                .map_err(|_| Diag::new(node.span, "the decrypted vault value is not UTF-8"))?;
            super::secrets::remember(&plain);
            *s = plain;
        }
        Kind::Seq(items) => items.iter_mut().try_for_each(decrypt_values)?,
        Kind::Map(entries) => entries
            .iter_mut()
            .try_for_each(|(_, v)| decrypt_values(v))?,
        _ => {}
    }
    Ok(())
}

/// Parses YAML text that came from `path` (registered for error display).
pub fn parse_str(path: &Path, text: &str) -> DiagResult<Node> {
    let file = source::add(path, text);
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        strict_booleans: true,
    };
    PARSING.with(|p| *p.borrow_mut() = Some(text.to_string()));
    let parsed: Result<Option<Node>, _> = serde_saphyr::from_str_with_options(text, options);
    PARSING.with(|p| *p.borrow_mut() = None);
    match parsed {
        Ok(Some(mut node)) => {
            node.set_file(file);
            if text.contains("$ANSIBLE_VAULT") {
                decrypt_values(&mut node)?;
            }
            Ok(node)
        }
        Ok(None) => Ok(Node {
            kind: Kind::Null,
            span: Span::new(file, 1, 1),
        }),
        Err(e) => {
            let (line, col) = e
                .location()
                .map(|l| (l.line() as u32, l.column() as u32))
                .unwrap_or((0, 0));
            let message = e.without_snippet().to_string();
            let message = strip_position_prefix(&message);
            Err(Diag::new(
                Span::new(file, line, col),
                format!("invalid YAML: {message}"),
            ))
        }
    }
}

/// serde-saphyr prefixes messages with "error: line N column M: "; we show the position ourselves.
fn strip_position_prefix(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let re_end = first
        .find(": ")
        .filter(|_| first.starts_with("line "))
        .map(|i| i + 2)
        .unwrap_or(0);
    let text = first[re_end..].replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    // The position is shown separately; drop "at line N, column M" from the text.
    match regex::Regex::new(r" at line \d+,? column \d+$") {
        Ok(re) => re.replace(&text, "").into_owned(),
        Err(_) => text,
    }
}

impl Node {
    pub fn new(kind: Kind, span: Span) -> Node {
        Node { kind, span }
    }

    fn set_file(&mut self, file: u32) {
        self.span.file = file;
        match &mut self.kind {
            Kind::Seq(items) => items.iter_mut().for_each(|n| n.set_file(file)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.set_file(file);
                v.set_file(file);
            }),
            _ => {}
        }
    }

    /// A node from a JSON value (every node at `span`), for arguments built at run time.
    pub fn from_json(v: &Value, span: Span) -> Node {
        let kind = match v {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Kind::Str(s.clone()),
            Value::Array(a) => Kind::Seq(a.iter().map(|x| Node::from_json(x, span)).collect()),
            Value::Object(m) => Kind::Map(
                m.iter()
                    .map(|(k, x)| {
                        (
                            Node::new(Kind::Str(k.clone()), span),
                            Node::from_json(x, span),
                        )
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
    }

    /// The word for this node's type in messages, in the user's terms.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// A scalar as text (keys and free-form values); None for lists and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Null => Some(String::new()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The value under `key` of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Expects a mapping, or says what was found instead.
    pub fn expect_map(&self, what: &str) -> DiagResult<&[(Node, Node)]> {
        self.as_map().ok_or_else(|| {
            Diag::new(
                self.span,
                format!("{what} must be a mapping, found {}", self.type_name()),
            )
        })
    }

    /// Expects a list, or says what was found instead.
    pub fn expect_seq(&self, what: &str) -> DiagResult<&[Node]> {
        self.as_seq().ok_or_else(|| {
            Diag::new(
                self.span,
                format!("{what} must be a list, found {}", self.type_name()),
            )
        })
    }

    /// Expects a string (numbers and booleans are taken as their text, as Ansible does).
    pub fn expect_string(&self, what: &str) -> DiagResult<String> {
        match &self.kind {
            Kind::Seq(_) | Kind::Map(_) | Kind::Null => Err(Diag::new(
                self.span,
                format!("{what} must be a string, found {}", self.type_name()),
            )),
            _ => Ok(self.scalar_text().unwrap_or_default()),
        }
    }

    /// A string or a list of strings (`tags`, `notify`, `hosts`).
    pub fn string_list(&self, what: &str) -> DiagResult<Vec<String>> {
        match &self.kind {
            Kind::Seq(items) => items.iter().map(|i| i.expect_string(what)).collect(),
            Kind::Null => Ok(Vec::new()),
            _ => Ok(vec![self.expect_string(what)?]),
        }
    }

    /// Converts the node into a plain JSON value (keys become strings).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl<'de> Visitor<'de> for KindVisitor {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
            fn visit_none<E>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
                Kind::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
                Ok(Kind::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
                Ok(Kind::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
                Ok(i64::try_from(v)
                    .map(Kind::Int)
                    .unwrap_or(Kind::Float(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
                Ok(Kind::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
                Ok(Kind::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Kind, E> {
                Ok(Kind::Str(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Kind, E> {
                Ok(Kind::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Kind, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = a.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Kind::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Kind, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = a.next_entry::<Node, Node>()? {
                    entries.push((k, v));
                }
                Ok(Kind::Map(entries))
            }
        }
        d.deserialize_any(KindVisitor)
    }
}

thread_local! {
    /// The text being parsed, to tell plain scalars from quoted ones.
    static PARSING: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// YAML 1.1 booleans as PyYAML (and so Ansible) reads them: only unquoted
/// yes/no/on/off/true/false in three spellings each. serde-saphyr also takes
/// `y`/`n` and any case, so it runs with strict booleans and we resolve here.
fn resolve_plain_bool(kind: Kind, defined: &serde_saphyr::Location) -> Kind {
    let Kind::Str(s) = &kind else { return kind };
    let value = match s.as_str() {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" => true,
        "no" | "No" | "NO" | "off" | "Off" | "OFF" => false,
        _ => return kind,
    };
    let plain = PARSING.with(|p| {
        let text = p.borrow();
        let (Some(text), Some(at)) = (text.as_ref(), defined.span().byte_offset()) else {
            return false;
        };
        text.get(at as usize..)
            .is_some_and(|rest| rest.starts_with(s.as_str()))
    });
    if plain { Kind::Bool(value) } else { kind }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Kind>::deserialize(d)?;
        Ok(Node {
            kind: resolve_plain_bool(spanned.value, &spanned.defined),
            span: Span::new(
                0,
                spanned.referenced.line() as u32,
                spanned.referenced.column() as u32,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> DiagResult<Node> {
        parse_str(Path::new("t.yml"), text)
    }

    #[test]
    fn keeps_positions_and_yaml11_scalars() {
        let n = parse("- hosts: all\n  vars:\n    a: yes\n    b: \"yes\"\n    c: 010\n").unwrap();
        let play = &n.as_seq().unwrap()[0];
        let vars = play.get("vars").unwrap();
        let a = vars.get("a").unwrap();
        assert_eq!(a.kind, Kind::Bool(true));
        assert_eq!((a.span.line, a.span.col), (3, 8));
        assert_eq!(vars.get("b").unwrap().kind, Kind::Str("yes".into()));
        assert_eq!(vars.get("c").unwrap().kind, Kind::Int(8));
    }

    #[test]
    fn booleans_follow_pyyaml() {
        let n =
            parse("a: on\nb: 'on'\nc: y\nd: NO\ne: \"no\"\nf: True\ng: [yes, 'yes']\n").unwrap();
        let j = n.to_json();
        assert_eq!(j["a"], true);
        assert_eq!(j["b"], "on");
        assert_eq!(j["c"], "y");
        assert_eq!(j["d"], false);
        assert_eq!(j["e"], "no");
        assert_eq!(j["f"], true);
        assert_eq!(j["g"], serde_json::json!([true, "yes"]));
    }

    #[test]
    fn duplicate_keys_are_errors_with_position() {
        let e = parse("- a: 1\n  a: 2\n").unwrap_err();
        assert_eq!((e.span.line, e.span.col), (2, 3));
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_have_position() {
        let e = parse("- a: [1\n  b: 2\n").unwrap_err();
        assert_eq!(e.span.line, 2);
        assert!(e.message.starts_with("invalid YAML"));
    }

    #[test]
    fn merge_keys_work() {
        let n = parse("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n").unwrap();
        assert!(matches!(n.kind, Kind::Map(_)));
        let j = n.to_json();
        assert_eq!(j["other"]["x"], 1);
        assert_eq!(j["other"]["y"], 2);
    }
}
