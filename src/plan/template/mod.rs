//! Jinja with Ansible's semantics: results typed as ansible-core 2.17 types
//! them (see `render_value`), undefined variables as errors, conditions
//! evaluated as Ansible does, Ansible's filters, tests and lookups.
//!
//! Undefined behaviour is minijinja's `Strict`, the one closest to Ansible's
//! `AnsibleUndefined` (a chainable `StrictUndefined`): printing, iterating, testing
//! for truth, comparing or doing arithmetic with an undefined value fails, while
//! `is defined`, `default` and `mandatory` work. `SemiStrict` would let
//! `{% if foo %}` pass as false where Ansible fails; `Chainable` would print
//! undefined values as nothing. The one place Strict is stricter than Ansible,
//! `foo.bar is defined` / `foo.bar | default(x)` with `foo` undefined, is covered
//! by rewriting those chains before compiling (see `chain`).
//!
//! Debug mode is on so that undefined errors name the expression that was
//! undefined; it costs only when an error or an undefined value is made.

mod backslash;
mod chain;
mod clock;
mod collections;
pub use collections::merge as merge_hash;
pub use lookups_extra::sequence_of;
pub use paths::splitext;
mod datetime;
mod filters;
mod hotdb;
mod jinja_tests;
mod literal;
mod lookups;
mod lookups_extra;
mod lookups_more;
mod methods;
mod paths;
pub mod pyjson;
mod pyrandom;
mod text;
mod vaulting;
pub mod version;
pub mod yaml_dump;

pub use text::python_replacement;

use minijinja::value::ValueKind;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use serde_json::Value as J;
use std::sync::{Arc, LazyLock};

/// The value of `omit`: mapping entries rendered to it are dropped.
pub const OMIT: &str = "__omit_place_holder__hotplay__";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorKind {
    Syntax,
    Undefined { name: Option<String> },
    Other,
}

#[derive(Debug, Clone)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
}

impl TemplateError {
    fn other(message: impl Into<String>) -> TemplateError {
        TemplateError {
            kind: TemplateErrorKind::Other,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

pub struct Templar {
    env: Environment<'static>,
    /// For text that came out of a first rendering (Ansible templates a
    /// condition twice): the same language without lookups, so that data
    /// (a command's output, say) can never run a command on the controller.
    data_env: Environment<'static>,
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templar")
    }
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new()
    }
}

/// Instructions a single render may execute: no template may run away.
const FUEL: u64 = 50_000_000;
/// Nested macro calls and includes.
const RECURSION_LIMIT: usize = 200;

fn environment(with_lookups: bool, fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_fuel(Some(fuel));
    // Ansible's Templar: trim_blocks on, and the trailing newline kept.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // Ansible's finalize prints None as nothing.
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            return Ok(());
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.set_unknown_method_callback(methods::unknown_method);
    minijinja_contrib::add_to_environment(&mut env);
    env.add_function(chain::CHAIN_FN, chain::chain);
    // `undef(hint)`: an undefined value (for role defaults that must be overridden).
    env.add_function(
        "undef",
        |_: Option<Value>, kwargs: minijinja::value::Kwargs| -> Result<Value, minijinja::Error> {
            let _: Option<Value> = kwargs.get("hint")?;
            Ok(Value::UNDEFINED)
        },
    );
    filters::register(&mut env);
    jinja_tests::register(&mut env);
    lookups::register(&mut env, with_lookups);
    env
}

/// The words Ansible reads as booleans when a condition is nothing else.
fn bool_word(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Python's truth value of a rendered result.
fn truthy(v: &J) -> bool {
    match v {
        J::Null => false,
        J::Bool(b) => *b,
        J::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        J::String(s) => !s.is_empty(),
        J::Array(a) => !a.is_empty(),
        J::Object(m) => !m.is_empty(),
    }
}

/// "`foo.bar` is undefined", as minijinja's debug mode words it.
static UNDEFINED_EXPR: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"`([^`]+)` is undefined").expect("static regex"));
/// A filter or test named with a collection (`community.general.json_query`).
static UNKNOWN_PLUGIN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^(?:filter|test) (\w+\.\w+\.\w+) is unknown").expect("static regex")
});
/// `mandatory`'s message, with the variable's name.
static MANDATORY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^Mandatory variable '([^']+)'\s+not defined\.").expect("static regex")
});
/// A plain variable path: safe to evaluate again to describe an error.
static PATH: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"^[A-Za-z_]\w*(\.\w+|\[(\d+|'[^']*'|"[^"]*"|[A-Za-z_]\w*)\])*$"#)
        .expect("static regex")
});

/// Ansible's SINGLE_VAR: `{{ name }}` and nothing else (Python's `$` also
/// matches before a final newline).
static BARE_VARIABLE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^\{\{\s*(\w*)\s*\}\}\n?$").expect("static regex"));
/// An expression whose last step is one of Ansible's STRING_TYPE_FILTERS.
static STRING_FILTER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"\|\s*(string|to_json|to_nice_json|to_yaml|to_nice_yaml|ppretty|json)\s*(\(.*\))?\s*[-+]?$",
    )
    .expect("static regex")
});

/// Rendered text as Ansible keeps it: a Python literal when it looks like one.
fn text_value(text: String) -> J {
    if literal::looks_literal(&text)
        && let Some(v) = literal::parse(&text)
    {
        return v;
    }
    J::String(text)
}

/// Python's name of a value's type, for "'dict object' has no attribute 'x'".
fn py_type(v: &Value) -> &'static str {
    filters::type_name(v)
}

impl Templar {
    pub fn new() -> Templar {
        Templar::with_fuel(FUEL)
    }

    fn with_fuel(fuel: u64) -> Templar {
        Templar {
            env: environment(true, fuel),
            data_env: environment(false, fuel),
        }
    }

    /// Is there anything to template? (`{{`, `{%`, `{#`)
    pub fn is_template(s: &str) -> bool {
        s.contains("{{") || s.contains("{%") || s.contains("{#")
    }

    /// `{{ expr }}` alone (whitespace around allowed): the expression inside.
    fn single_expression(s: &str) -> Option<&str> {
        let t = s.trim();
        let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
        let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
        let inner = inner.strip_suffix('-').unwrap_or(inner);
        if inner.contains("{{")
            || inner.contains("}}")
            || inner.contains("{%")
            || inner.contains("{#")
        {
            return None;
        }
        let inner = inner.trim();
        (!inner.is_empty()).then_some(inner)
    }

    /// `{{ expr }}` with nothing around it but a final newline (which Jinja
    /// drops and Ansible adds back): one output node, as Ansible counts. The
    /// expression, and the newline if there was one.
    fn exact_expression(s: &str) -> Option<(&str, &str)> {
        let body = s.strip_suffix('\n').unwrap_or(s);
        if body.starts_with("{{") && body.ends_with("}}") {
            Self::single_expression(body).map(|e| (e, &s[body.len()..]))
        } else {
            None
        }
    }

    fn error(&self, e: &minijinja::Error, source: &str, ctx: &Value) -> TemplateError {
        let detail = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        if matches!(e.kind(), ErrorKind::SyntaxError | ErrorKind::BadEscape) {
            return TemplateError {
                kind: TemplateErrorKind::Syntax,
                message: format!(
                    "template error while templating string: {detail}. String: {source}"
                ),
            };
        }
        if let Some(expr) = UNDEFINED_EXPR.captures(&detail).and_then(|c| c.get(1)) {
            let expr = expr.as_str().to_string();
            return TemplateError {
                message: self.undefined_message(&expr, ctx),
                kind: TemplateErrorKind::Undefined { name: Some(expr) },
            };
        }
        if e.kind() == ErrorKind::UndefinedError {
            // `mandatory`'s own message, or an undefined value without a known origin.
            if let Some(name) = MANDATORY.captures(&detail).and_then(|c| c.get(1)) {
                return TemplateError {
                    kind: TemplateErrorKind::Undefined {
                        name: Some(name.as_str().to_string()),
                    },
                    message: detail,
                };
            }
            let name = self.first_undefined(source, ctx);
            let message = match (&name, e.detail()) {
                (_, Some(d)) => d.to_string(),
                (Some(n), None) => format!("'{n}' is undefined"),
                (None, None) => "an undefined value was used".into(),
            };
            return TemplateError {
                kind: TemplateErrorKind::Undefined { name },
                message,
            };
        }
        let mut message = detail;
        if let Some(name) = UNKNOWN_PLUGIN.captures(&message).and_then(|c| c.get(1)) {
            // A collection's filter or test is Python code hotplay cannot run.
            let name = name.as_str().to_string();
            message.push_str(&format!(
                ": `{name}` comes from an Ansible collection (a Python plugin), which hotplay does not run"
            ));
        }
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            message.push_str(&format!(": {s}"));
            src = s.source();
        }
        TemplateError::other(message)
    }

    /// Ansible's words for an undefined expression: "'foo' is undefined", or
    /// "'dict object' has no attribute 'bar'" when only the last step is missing.
    fn undefined_message(&self, expr: &str, ctx: &Value) -> String {
        let last_step = if let Some(open) = expr.strip_suffix(']').and_then(|e| e.rfind('[')) {
            Some((&expr[..open], &expr[open + 1..expr.len() - 1], false))
        } else {
            expr.rfind('.')
                .map(|dot| (&expr[..dot], &expr[dot + 1..], true))
        };
        if let Some((parent, key, attr)) = last_step
            && PATH.is_match(parent)
            && let Ok(compiled) = self.env.compile_expression(parent)
            && let Ok(p) = compiled.eval(ctx.clone())
            && !p.is_undefined()
        {
            let ty = py_type(&p);
            return if attr {
                format!("'{ty} object' has no attribute '{key}'")
            } else {
                format!("{ty} object has no element {key}")
            };
        }
        format!("'{expr}' is undefined")
    }

    /// The first variable of the template (in source order) that the context lacks.
    fn first_undefined(&self, source: &str, ctx: &Value) -> Option<String> {
        let names = match Self::single_expression(source) {
            Some(expr) => self
                .env
                .compile_expression(expr)
                .ok()?
                .undeclared_variables(true),
            None => self
                .env
                .template_from_str(source)
                .ok()?
                .undeclared_variables(true),
        };
        // Functions (lookup, range ...) are no variables.
        let globals: Vec<&str> = self.env.globals().map(|(n, _)| n).collect();
        let mut names: Vec<String> = names
            .into_iter()
            .filter(|n| !globals.contains(&n.split('.').next().unwrap_or_default()))
            .collect();
        names.sort_by_key(|n| source.find(n.as_str()).unwrap_or(usize::MAX));
        for n in &names {
            let mut cur = ctx.clone();
            let mut path = Vec::new();
            for part in n.split('.') {
                path.push(part);
                match cur.get_attr(part).ok().filter(|v| !v.is_undefined()) {
                    Some(v) => cur = v,
                    None => return Some(path.join(".")),
                }
            }
        }
        None
    }

    /// Evaluates one expression; an undefined result is an error, as in Ansible.
    fn eval(
        &self,
        env: &Environment<'static>,
        expr: &str,
        source: &str,
        ctx: &Value,
    ) -> Result<Value, TemplateError> {
        let rewritten = chain::expression(expr);
        let compiled = env
            .compile_expression(&rewritten)
            .map_err(|e| self.error(&e, source, ctx))?;
        let v = compiled
            .eval(ctx.clone())
            .map_err(|e| self.error(&e, source, ctx))?;
        if !v.is_undefined() {
            return Ok(v);
        }
        let name = if PATH.is_match(expr) {
            Some(expr.to_string())
        } else {
            self.first_undefined(source, ctx)
        };
        Err(TemplateError {
            message: match &name {
                Some(n) => self.undefined_message(n, ctx),
                None => format!("the expression `{expr}` is undefined"),
            },
            kind: TemplateErrorKind::Undefined { name },
        })
    }

    /// Renders a string as ansible-core 2.17 does (without jinja2_native):
    /// `{{ name }}` alone keeps a number's, a boolean's or null's type; a whole
    /// `{{ expr }}` that yields a list or a dict gives it; any other result is
    /// text, which becomes a list, dict or boolean when it reads as a Python
    /// literal (`"[{{ a }}, {{ b }}]"`, JSON text, `"True"`). So
    /// `"{{ items | length }}"` is the string "3", as Ansible prints it.
    pub fn render_value(&self, template: &str, ctx: &Value) -> Result<J, TemplateError> {
        if !Self::is_template(template) {
            return Ok(J::String(template.to_string()));
        }
        if let Some(name) = BARE_VARIABLE.captures(template).and_then(|c| c.get(1))
            && let Ok(v) = ctx.get_attr(name.as_str())
            && (v.is_number() || v.is_none() || v.kind() == ValueKind::Bool)
        {
            return from_jinja(&v);
        }
        let Some((expr, newlines)) = Self::exact_expression(template) else {
            return Ok(text_value(self.render_string(template, ctx)?));
        };
        let v = self.eval(&self.env, &backslash::expression(expr), template, ctx)?;
        let text = match v.kind() {
            ValueKind::Seq | ValueKind::Map | ValueKind::Bool => return from_jinja(&v),
            ValueKind::None => String::new(),
            ValueKind::Number if !v.is_integer() => {
                pyjson::float(f64::try_from(v).unwrap_or_default())
            }
            // Ansible's STRING_TYPE_FILTERS: their text is never read as a literal.
            ValueKind::String if STRING_FILTER.is_match(expr) => {
                return Ok(J::String(format!(
                    "{}{newlines}",
                    v.as_str().unwrap_or_default()
                )));
            }
            _ => v.to_string(),
        };
        match text_value(text) {
            J::String(s) => Ok(J::String(s + newlines)),
            other => Ok(other),
        }
    }

    /// For tests of filters: a whole `{{ expr }}`'s value with its own type.
    #[cfg(test)]
    pub(crate) fn render_native(&self, template: &str, ctx: &Value) -> Result<J, TemplateError> {
        match Self::exact_expression(template) {
            Some((expr, _)) => from_jinja(&self.eval(&self.env, expr, template, ctx)?),
            None => self.render_string(template, ctx).map(J::String),
        }
    }

    pub fn render_string(&self, template: &str, ctx: &Value) -> Result<String, TemplateError> {
        if !Self::is_template(template) {
            return Ok(template.to_string());
        }
        let escaped = backslash::template(template);
        let source = chain::template(&escaped);
        let t = self
            .env
            .template_from_str(&source)
            .map_err(|e| self.error(&e, template, ctx))?;
        t.render(ctx.clone())
            .map_err(|e| self.error(&e, template, ctx))
    }

    /// Templates every string inside a JSON structure (keys too), recursively;
    /// mapping entries whose value renders to `omit` are dropped.
    pub fn render_json(&self, v: &J, ctx: &Value) -> Result<J, TemplateError> {
        Ok(match v {
            J::String(s) => self.render_value(s, ctx)?,
            J::Array(a) => J::Array(
                a.iter()
                    .map(|x| self.render_json(x, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            J::Object(m) => {
                let mut out = serde_json::Map::new();
                for (k, x) in m {
                    let key = self.render_string(k, ctx)?;
                    let val = self.render_json(x, ctx)?;
                    if val.as_str() == Some(OMIT) {
                        continue;
                    }
                    out.insert(key, val);
                }
                J::Object(out)
            }
            other => other.clone(),
        })
    }

    /// A `when`/`changed_when`/`failed_when`/`until`/`assert that` condition, as
    /// ansible-core 2.15-2.17 evaluates it: an empty condition holds; a condition
    /// with `{{ }}` is rendered first, and a string result is then evaluated as an
    /// expression (so `"{{ 'false' }}"` is false); the result's Python truth decides.
    pub fn eval_condition(&self, expr: &str, ctx: &Value) -> Result<bool, TemplateError> {
        let text = expr.trim();
        if text.is_empty() {
            return Ok(true);
        }
        if let Some(b) = bool_word(text) {
            return Ok(b);
        }
        if !Self::is_template(text) {
            return Ok(self.eval(&self.env, text, expr, ctx)?.is_true());
        }
        warn(format!(
            "conditional statements should not include jinja2 templating delimiters such as {{{{ }}}} or {{% %}}. Found: {expr}"
        ));
        match self.render_value(text, ctx)? {
            J::String(s) => {
                let s = s.trim();
                if s.is_empty() {
                    return Ok(false);
                }
                if let Some(b) = bool_word(s) {
                    return Ok(b);
                }
                Ok(self.eval(&self.data_env, s, s, ctx)?.is_true())
            }
            other => Ok(truthy(&other)),
        }
    }

    /// Checks syntax only (for --syntax-check and parse-time validation).
    pub fn check_syntax(&self, template: &str) -> Result<(), TemplateError> {
        let empty = Value::UNDEFINED;
        match Self::single_expression(template) {
            Some(expr) => self
                .env
                .compile_expression(expr)
                .map(|_| ())
                .map_err(|e| self.error(&e, template, &empty)),
            None => self
                .env
                .template_from_str(template)
                .map(|_| ())
                .map_err(|e| self.error(&e, template, &empty)),
        }
    }

    /// Renders a whole template file's text (the `template` module); errors name the line.
    pub fn render_file_text(&self, text: &str, ctx: &Value) -> Result<String, TemplateError> {
        let source = chain::template(text);
        let at_line = |e: &minijinja::Error, mut err: TemplateError| {
            if let Some(line) = e.line() {
                err.message = format!("line {line}: {}", err.message);
            }
            err
        };
        let t = self
            .env
            .template_from_str(&source)
            .map_err(|e| at_line(&e, self.error(&e, "<template file>", ctx)))?;
        t.render(ctx.clone())
            .map_err(|e| at_line(&e, self.error(&e, "<template file>", ctx)))
    }
}

/// A JSON value as Jinja sees it.
/// Warnings raised while rendering, until the engine shows them (execute's
/// WarningsFirst): the template layer has no listener of its own.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Each text waits once: a templated `when` in a long loop warns on every item.
pub fn warn(message: String) {
    if let Ok(mut w) = WARNINGS.lock()
        && !w.contains(&message)
    {
        w.push(message);
    }
}

pub fn take_warnings() -> Vec<String> {
    WARNINGS
        .lock()
        .map(|mut w| std::mem::take(&mut *w))
        .unwrap_or_default()
}

pub fn to_jinja(v: &J) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// A Jinja value as JSON (undefined becomes null).
pub fn from_jinja(v: &Value) -> Result<J, TemplateError> {
    if v.is_undefined() {
        return Ok(J::Null);
    }
    serde_json::to_value(v)
        .map_err(|e| TemplateError::other(format!("cannot convert a template result: {e}")))
}

/// A shared templar, for callers that keep one for the run.
pub fn shared() -> Arc<Templar> {
    Arc::new(Templar::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(v: J) -> Value {
        to_jinja(&v)
    }

    #[test]
    fn values_typed_as_ansible_does() {
        let t = Templar::new();
        let c = ctx(
            json!({"l": [1, 2], "n": 3, "s": "x", "d": {"k": null}, "f": 1.5, "z": null,
                           "b": true, "js": "{\"a\": [true, null]}", "ls": "[1, 'a']", "tx": "True"}),
        );
        let r = |s: &str| {
            t.render_value(s, &c)
                .unwrap_or_else(|e| panic!("{s}: {}", e.message))
        };
        // `{{ name }}` keeps a number's, boolean's or null's type...
        assert_eq!(r("{{ n }}"), json!(3));
        assert_eq!(r("{{n}}"), json!(3));
        assert_eq!(r("{{ f }}"), json!(1.5));
        assert_eq!(r("{{ b }}"), json!(true));
        assert_eq!(r("{{ z }}"), json!(null));
        // ...and any whole expression a list's, dict's or boolean's.
        assert_eq!(r("{{ l }}"), json!([1, 2]));
        assert_eq!(r("{{ d }}"), json!({"k": null}));
        assert_eq!(r("{{ l | map('string') | list }}"), json!(["1", "2"]));
        assert_eq!(r("{{ n > 1 }}"), json!(true));
        // Other results are text, as Ansible prints them.
        assert_eq!(r("{{ n + 1 }}"), json!("4"));
        assert_eq!(r("{{ l | length }}"), json!("2"));
        assert_eq!(r("{{ f * 2 }}"), json!("3.0"));
        assert_eq!(r("{{ 1e20 * 1.0 }}"), json!("1e+20"));
        assert_eq!(r("{{ d.k }}"), json!(""));
        assert_eq!(r("{{- n -}}"), json!("3"));
        assert_eq!(r(" {{ n }} "), json!(" 3 "));
        assert_eq!(r("{{ n }}\n"), json!(3));
        assert_eq!(r("{{ n + 1 }}\n"), json!("4\n"));
        assert_eq!(r("{{ d | to_json }}"), json!("{\"k\": null}"));
        assert_eq!(
            r("{{ d | to_nice_json(indent=2) }}\n"),
            json!("{\n  \"k\": null\n}\n")
        );
        assert_eq!(r("{{ l | string }}"), json!("[1, 2]"));
        // Two output nodes: the text is read as a literal after all.
        assert_eq!(r("{{ d | to_json }} "), json!({"k": null}));
        assert_eq!(r("{{ d | to_json ~ '' }}"), json!({"k": null}));
        assert_eq!(r("a-{{ s }}"), json!("a-x"));
        assert_eq!(r("{{ n }}{{ n }}"), json!("33"));
        assert_eq!(r("plain"), json!("plain"));
        assert_eq!(r("{{ '}}' }}"), json!("}}"));
        // Text that reads as a Python literal becomes one.
        assert_eq!(r("[{{ n }}, {{ n + 1 }}]"), json!([3, 4]));
        assert_eq!(r("{{ js }}"), json!({"a": [true, null]}));
        assert_eq!(r("{{ ls }}"), json!([1, "a"]));
        assert_eq!(r("{{ tx }}"), json!(true));
        assert_eq!(r("{{ l }}\n"), json!([1, 2]));
        assert_eq!(r("[not, a, literal]"), json!("[not, a, literal]"));
        assert_eq!(r("{{ '[1, 2' }}"), json!("[1, 2"));
        let c = ctx(json!({"l": ["it's", "é", "a\nb", {"k": [1.5, null, false]}]}));
        assert_eq!(
            t.render_value("{{ l }}", &c).unwrap(),
            json!(["it's", "é", "a\nb", {"k": [1.5, null, false]}])
        );
        assert_eq!(
            t.render_value("{{ l ~ '' }}", &c).unwrap(),
            json!(["it's", "é", "a\nb", {"k": [1.5, null, false]}])
        );
    }

    #[test]
    fn strings_print_as_python_does() {
        let t = Templar::new();
        let c = ctx(json!({"b": true, "n": null, "l": ["a", 1, false, null], "d": {"k": "v"}}));
        assert_eq!(
            t.render_string("{{ b }} [{{ n }}] {{ l }} {{ d }}", &c)
                .unwrap(),
            "True [] ['a', 1, False, None] {'k': 'v'}"
        );
        assert_eq!(
            t.render_string("{{ l | join(',') }}", &c).unwrap(),
            "a,1,False,None"
        );
    }

    #[test]
    fn undefined_is_an_error_with_the_name() {
        let t = Templar::new();
        let c = ctx(json!({"r": {"stdout": "x", "n": 1}, "l": [1]}));
        let e = t.render_value("{{ nope }}", &c).unwrap_err();
        assert_eq!(e.message, "'nope' is undefined");
        assert_eq!(
            e.kind,
            TemplateErrorKind::Undefined {
                name: Some("nope".into())
            }
        );
        let e = t.render_string("a {{ nope }} b", &c).unwrap_err();
        assert_eq!(e.message, "'nope' is undefined");
        let e = t.render_string("a {{ r.missing }} b", &c).unwrap_err();
        assert_eq!(e.message, "'dict object' has no attribute 'missing'");
        assert_eq!(
            e.kind,
            TemplateErrorKind::Undefined {
                name: Some("r.missing".into())
            }
        );
        let e = t.render_value("{{ r.missing }}", &c).unwrap_err();
        assert_eq!(e.message, "'dict object' has no attribute 'missing'");
        let e = t.render_value("{{ r.n.x }}", &c).unwrap_err();
        assert_eq!(e.message, "'int object' has no attribute 'x'");
        let e = t.render_value("{{ l[3] }}", &c).unwrap_err();
        assert_eq!(e.message, "list object has no element 3");
        let e = t.render_value("{{ nope.deeper }}", &c).unwrap_err();
        assert_eq!(e.message, "'nope' is undefined");
        for bad in [
            "{% if nope %}x{% endif %}",
            "{% for x in nope %}{% endfor %}",
            "{{ nope | upper }}",
            "{{ nope + 1 }}",
            "{{ nope == 1 }}",
        ] {
            let e = t.render_string(bad, &c).unwrap_err();
            assert_eq!(
                e.kind,
                TemplateErrorKind::Undefined {
                    name: Some("nope".into())
                },
                "{bad}: {e:?}"
            );
        }
        // Filters and tests given an undefined value fail, naming it.
        for bad in [
            "{{ nope | bool }}",
            "{{ nope | int }}",
            "{{ nope | ternary(1, 2) }}",
            "{{ nope | basename }}",
            "{{ nope | to_json }}",
            "{{ nope | unique }}",
            "{{ nope | combine({}) }}",
            "{{ nope | regex_replace('a', 'b') }}",
            "{{ nope is match('x') }}",
            "{{ lookup('env', nope) }}",
            "{{ nope is version('1.0', '>') }}",
        ] {
            let e = t.render_value(bad, &c).unwrap_err();
            assert_eq!(
                e.kind,
                TemplateErrorKind::Undefined {
                    name: Some("nope".into())
                },
                "{bad}: {e:?}"
            );
            assert_eq!(e.message, "'nope' is undefined", "{bad}");
        }
        assert_eq!(
            t.render_value("{{ nope | type_debug }}", &c).unwrap(),
            json!("AnsibleUndefined")
        );
        assert!(!t.eval_condition("r.missing.deeper is defined", &c).unwrap());
        assert_eq!(
            t.render_value("{{ r.missing.deeper | default('d') }}", &c)
                .unwrap(),
            json!("d")
        );
        assert!(!t.eval_condition("nope is defined", &c).unwrap());
        assert!(
            !t.eval_condition("undef(hint='set it') is defined", &c)
                .unwrap()
        );
        assert!(t.eval_condition("nope is undefined", &c).unwrap());
        assert!(t.eval_condition("r.stdout is defined", &c).unwrap());
        assert!(!t.eval_condition("r.other is defined", &c).unwrap());
        assert!(!t.eval_condition("nope.deeper is defined", &c).unwrap());
        assert!(t.eval_condition("nope['a'].b is not defined", &c).unwrap());
        assert_eq!(
            t.render_value("{{ nope.deeper | default('d') }}", &c)
                .unwrap(),
            json!("d")
        );
        assert_eq!(
            t.render_value("{{ nope | default('d') }}", &c).unwrap(),
            json!("d")
        );
        assert_eq!(t.render_value("{{ nope | d(5) }}", &c).unwrap(), json!("5"));
        assert_eq!(
            t.render_value("{{ '' | default('d', true) }}", &c).unwrap(),
            json!("d")
        );
        assert_eq!(
            t.render_value("{{ '' | default('d') }}", &c).unwrap(),
            json!("")
        );
        let e = t.eval_condition("nope", &c).unwrap_err();
        assert_eq!(e.message, "'nope' is undefined");
        let e = t.eval_condition("r.other == 1", &c).unwrap_err();
        assert!(
            matches!(e.kind, TemplateErrorKind::Undefined { .. }),
            "{e:?}"
        );
    }

    #[test]
    fn omit_and_mandatory() {
        let t = Templar::new();
        let c = ctx(json!({"omit": OMIT, "x": 1}));
        let v = t
            .render_json(
                &json!({"a": "{{ x }}", "b": "{{ nope | default(omit) }}", "{{ 'k' }}": [{"c": "{{ omit }}"}]}),
                &c,
            )
            .unwrap();
        assert_eq!(v, json!({"a": 1, "k": [{}]}));
        let e = t.render_value("{{ nope | mandatory }}", &c).unwrap_err();
        assert_eq!(e.message, "Mandatory variable 'nope'  not defined.");
        assert_eq!(
            e.kind,
            TemplateErrorKind::Undefined {
                name: Some("nope".into())
            }
        );
        let e = t.render_value("{{ x.y | mandatory }}", &c).unwrap_err();
        assert_eq!(e.message, "Mandatory variable 'x.y'  not defined.");
        let e = t
            .render_value("{{ nope | mandatory('set nope') }}", &c)
            .unwrap_err();
        assert_eq!(e.message, "set nope");
        assert_eq!(
            t.render_value("{{ x | mandatory }}", &c).unwrap(),
            json!("1")
        );
    }

    #[test]
    fn conditions_follow_ansible() {
        let t = Templar::new();
        let c = ctx(
            json!({"e": "", "l": [], "s": "false", "b": false, "y": "yes", "n": 0, "t": "text"}),
        );
        assert!(!t.eval_condition("e", &c).unwrap());
        assert!(!t.eval_condition("l", &c).unwrap());
        assert!(!t.eval_condition("n", &c).unwrap());
        // A bare string variable is true when not empty, as in Python...
        assert!(t.eval_condition("s", &c).unwrap());
        // ...but templated, its text is evaluated again.
        assert!(!t.eval_condition("{{ s }}", &c).unwrap());
        assert!(!t.eval_condition("{{ 'false' }}", &c).unwrap());
        assert!(t.eval_condition("{{ y }}", &c).unwrap());
        assert!(!t.eval_condition("{{ b }}", &c).unwrap());
        assert!(!t.eval_condition("{{ e }}", &c).unwrap());
        assert!(!t.eval_condition("{{ l }}", &c).unwrap());
        assert!(t.eval_condition("{{ n }} == 0", &c).unwrap());
        assert!(t.eval_condition("not b", &c).unwrap());
        assert!(t.eval_condition("True", &c).unwrap());
        assert!(t.eval_condition("yes", &c).unwrap());
        assert!(!t.eval_condition("False", &c).unwrap());
        assert!(t.eval_condition("", &c).unwrap());
        assert!(t.eval_condition("s | bool == false", &c).unwrap());
        // The second evaluation has no lookups: data never runs commands.
        let c = ctx(json!({"out": "lookup('pipe', 'echo hi') == 'hi'"}));
        assert!(t.eval_condition("{{ out }}", &c).is_err());
        assert!(
            t.eval_condition("lookup('pipe', 'echo hi') == 'hi'", &c)
                .unwrap()
        );
    }

    #[test]
    fn syntax_errors_are_found() {
        let t = Templar::new();
        let e = t.check_syntax("{{ a | }}").unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Syntax);
        assert!(
            e.message
                .starts_with("template error while templating string:"),
            "{}",
            e.message
        );
        assert!(t.check_syntax("{% if a %}x{% endif %}").is_ok());
        assert!(t.check_syntax("{% if a %}x").is_err());
        assert_eq!(
            t.render_string("{{ a ) }}", &ctx(json!({})))
                .unwrap_err()
                .kind,
            TemplateErrorKind::Syntax
        );
        assert_eq!(
            t.eval_condition("a ==", &ctx(json!({}))).unwrap_err().kind,
            TemplateErrorKind::Syntax
        );
    }

    #[test]
    fn newlines_and_blocks_as_ansible() {
        let t = Templar::new();
        let c = ctx(json!({"l": [1, 2]}));
        assert_eq!(t.render_string("x={{ 1 }}\n", &c).unwrap(), "x=1\n");
        assert_eq!(
            t.render_string("{% for i in l %}\n{{ i }}\n{% endfor %}\n", &c)
                .unwrap(),
            "1\n2\n"
        );
        assert_eq!(
            t.render_file_text("a\n{{ nope }}\n", &c)
                .unwrap_err()
                .message,
            "line 2: 'nope' is undefined"
        );
    }

    #[test]
    fn runaway_templates_stop() {
        // The real limit is FUEL; a smaller one keeps the test fast.
        let t = Templar::with_fuel(1_000_000);
        let c = ctx(json!({}));
        let loops =
            "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}";
        assert_eq!(
            t.render_string(loops, &c).unwrap_err().kind,
            TemplateErrorKind::Other
        );
        let rec = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}";
        assert!(t.render_string(rec, &c).is_err());
        let deep = format!("{{{{ {}1{} }}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(t.render_value(&deep, &c).is_err());
        assert!(t.render_value("{{ 'x' * 1000000000000 }}", &c).is_err());
    }

    #[test]
    fn python_methods_work() {
        let t = Templar::new();
        let c = ctx(json!({"s": "a,b", "d": {"k": 1}}));
        assert_eq!(
            t.render_value("{{ s.split(',') }}", &c).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(
            t.render_value("{{ s.startswith('a') }}", &c).unwrap(),
            json!(true)
        );
        assert_eq!(t.render_value("{{ d.get('k') }}", &c).unwrap(), json!("1"));
        assert_eq!(
            t.render_value("{{ d.get('z', 2) }}", &c).unwrap(),
            json!("2")
        );
        assert_eq!(
            t.render_value("{{ d.keys() | list }}", &c).unwrap(),
            json!(["k"])
        );
        assert_eq!(
            t.render_value("{{ d.items() | list }}", &c).unwrap(),
            json!([["k", 1]])
        );
        assert_eq!(
            t.render_value("{{ '-'.join(['a', 'b']) }}", &c).unwrap(),
            json!("a-b")
        );
        assert_eq!(
            t.render_value("{{ range(3) | list }}", &c).unwrap(),
            json!([0, 1, 2])
        );
    }
}
