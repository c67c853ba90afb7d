//! Jinja with Ansible's semantics: native values for whole-expression templates,
//! undefined variables as errors, Ansible's filters, tests and lookups.
//!
//! Undefined behaviour is minijinja's `Strict`: printing, iterating or reading an
//! attribute of an undefined value fails; `is defined` and `default` work. Unlike
//! Ansible, `x.y` fails when `x` itself is undefined, even under `default`.

mod filters;
pub use filters::python_replacement;
mod jinja_tests;
mod lookups;
pub mod pyjson;
pub mod version;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use std::sync::Arc;

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

pub struct Templar {
    env: Environment<'static>,
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

/// Renders must stay bounded: no template may run away.
const FUEL: u64 = 50_000_000;

impl Templar {
    pub fn new() -> Templar {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_recursion_limit(200);
        env.set_fuel(Some(FUEL));
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        // Ansible prints None as nothing.
        env.set_formatter(|out, state, value| {
            if value.is_none() {
                return Ok(());
            }
            minijinja::escape_formatter(out, state, value)
        });
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        minijinja_contrib::add_to_environment(&mut env);
        filters::register(&mut env);
        jinja_tests::register(&mut env);
        lookups::register(&mut env);
        Templar { env }
    }

    /// Is there anything to template?
    pub fn is_template(s: &str) -> bool {
        s.contains("{{") || s.contains("{%") || s.contains("{#")
    }

    /// `{{ expr }}` alone: the expression inside, for a native result.
    fn single_expression(s: &str) -> Option<&str> {
        let t = s.trim();
        let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
        if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
            return None;
        }
        Some(inner.trim())
    }

    fn error(&self, e: minijinja::Error, source: &str, ctx: &Value) -> TemplateError {
        let kind = match e.kind() {
            ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateErrorKind::Syntax,
            ErrorKind::UndefinedError => TemplateErrorKind::Undefined {
                name: self.undefined_name(source, ctx),
            },
            _ => TemplateErrorKind::Other,
        };
        let detail = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        let message = match &kind {
            TemplateErrorKind::Undefined { name: Some(n) } => format!("'{n}' is undefined"),
            TemplateErrorKind::Undefined { name: None } => {
                format!("an undefined value was used: {detail}")
            }
            TemplateErrorKind::Syntax => format!("syntax error: {detail} (in `{source}`)"),
            TemplateErrorKind::Other => {
                let mut m = detail;
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    m.push_str(&format!(": {s}"));
                    src = s.source();
                }
                m
            }
        };
        TemplateError { kind, message }
    }

    /// The first variable of the template that the context does not define.
    fn undefined_name(&self, source: &str, ctx: &Value) -> Option<String> {
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
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        // Prefer the longest dotted path whose head is undefined or whose tail is missing.
        for n in &names {
            let mut cur = ctx.clone();
            let mut path = Vec::new();
            for part in n.split('.') {
                path.push(part);
                let next = cur.get_attr(part).ok().filter(|v| !v.is_undefined());
                match next {
                    Some(v) => cur = v,
                    None => return Some(path.join(".")),
                }
            }
        }
        None
    }

    pub fn render_value(
        &self,
        template: &str,
        ctx: &Value,
    ) -> Result<serde_json::Value, TemplateError> {
        if !Self::is_template(template) {
            return Ok(serde_json::Value::String(template.to_string()));
        }
        if let Some(expr) = Self::single_expression(template) {
            let compiled = self
                .env
                .compile_expression(expr)
                .map_err(|e| self.error(e, template, ctx))?;
            let v = compiled
                .eval(ctx.clone())
                .map_err(|e| self.error(e, template, ctx))?;
            if v.is_undefined() {
                let name = self.undefined_name(template, ctx);
                return Err(TemplateError {
                    message: match &name {
                        Some(n) => format!("'{n}' is undefined"),
                        None => "the expression is undefined".into(),
                    },
                    kind: TemplateErrorKind::Undefined { name },
                });
            }
            return from_jinja(&v);
        }
        self.render_string(template, ctx)
            .map(serde_json::Value::String)
    }

    pub fn render_string(&self, template: &str, ctx: &Value) -> Result<String, TemplateError> {
        if !Self::is_template(template) {
            return Ok(template.to_string());
        }
        let t = self
            .env
            .template_from_str(template)
            .map_err(|e| self.error(e, template, ctx))?;
        t.render(ctx.clone())
            .map_err(|e| self.error(e, template, ctx))
    }

    pub fn render_json(
        &self,
        v: &serde_json::Value,
        ctx: &Value,
    ) -> Result<serde_json::Value, TemplateError> {
        use serde_json::Value as J;
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

    pub fn eval_condition(&self, expr: &str, ctx: &Value) -> Result<bool, TemplateError> {
        let trimmed = expr.trim();
        let inner = Self::single_expression(trimmed).unwrap_or(trimmed);
        if inner.is_empty() {
            return Ok(false);
        }
        if Self::is_template(inner) {
            // A condition with embedded templates: render, then evaluate the result.
            let rendered = self.render_string(inner, ctx)?;
            return self.eval_condition(&rendered, ctx);
        }
        let compiled = self
            .env
            .compile_expression(inner)
            .map_err(|e| self.error(e, expr, ctx))?;
        let v = compiled
            .eval(ctx.clone())
            .map_err(|e| self.error(e, &format!("{{{{ {inner} }}}}"), ctx))?;
        if v.is_undefined() {
            let name = self.undefined_name(&format!("{{{{ {inner} }}}}"), ctx);
            return Err(TemplateError {
                message: match &name {
                    Some(n) => format!("'{n}' is undefined"),
                    None => "the condition is undefined".into(),
                },
                kind: TemplateErrorKind::Undefined { name },
            });
        }
        Ok(v.is_true())
    }

    pub fn check_syntax(&self, template: &str) -> Result<(), TemplateError> {
        let empty = Value::UNDEFINED;
        match Self::single_expression(template) {
            Some(expr) => self
                .env
                .compile_expression(expr)
                .map(|_| ())
                .map_err(|e| self.error(e, template, &empty)),
            None => self
                .env
                .template_from_str(template)
                .map(|_| ())
                .map_err(|e| self.error(e, template, &empty)),
        }
    }

    /// Renders a whole template file's text (the `template` module and lookup).
    pub fn render_file_text(&self, text: &str, ctx: &Value) -> Result<String, TemplateError> {
        let t = self
            .env
            .template_from_str(text)
            .map_err(|e| self.error(e, "<template file>", ctx))?;
        t.render(ctx.clone()).map_err(|e| self.error(e, text, ctx))
    }
}

pub fn to_jinja(v: &serde_json::Value) -> Value {
    Value::from(minijinja::value::Serde(v))
}

pub fn from_jinja(v: &Value) -> Result<serde_json::Value, TemplateError> {
    if v.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::to_value(v).map_err(|e| TemplateError {
        kind: TemplateErrorKind::Other,
        message: format!("cannot convert a template result: {e}"),
    })
}

/// A shared templar, for callers that keep one for the run.
pub fn shared() -> Arc<Templar> {
    Arc::new(Templar::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(v: serde_json::Value) -> Value {
        to_jinja(&v)
    }

    #[test]
    fn native_values_for_single_expressions() {
        let t = Templar::new();
        let c = ctx(json!({"l": [1, 2], "n": 3, "s": "x"}));
        assert_eq!(t.render_value("{{ l }}", &c).unwrap(), json!([1, 2]));
        assert_eq!(t.render_value(" {{ n + 1 }} ", &c).unwrap(), json!(4));
        assert_eq!(t.render_value("a-{{ s }}", &c).unwrap(), json!("a-x"));
        assert_eq!(t.render_value("plain", &c).unwrap(), json!("plain"));
    }

    #[test]
    fn undefined_is_an_error_with_the_name() {
        let t = Templar::new();
        let c = ctx(json!({"r": {"stdout": "x"}}));
        let e = t.render_value("{{ nope }}", &c).unwrap_err();
        assert_eq!(e.message, "'nope' is undefined");
        let e = t.render_string("a {{ r.missing }} b", &c).unwrap_err();
        assert!(
            matches!(e.kind, TemplateErrorKind::Undefined { .. }),
            "{e:?}"
        );
        assert!(t.eval_condition("nope is defined", &c).map(|b| !b).unwrap());
        assert!(t.eval_condition("r.stdout is defined", &c).unwrap());
        assert!(!t.eval_condition("r.other is defined", &c).unwrap());
        assert_eq!(
            t.render_value("{{ nope | default('d') }}", &c).unwrap(),
            json!("d")
        );
        assert_eq!(
            t.render_value("{{ '' | default('d', true) }}", &c).unwrap(),
            json!("d")
        );
    }

    #[test]
    fn conditions_follow_python_truthiness() {
        let t = Templar::new();
        let c = ctx(json!({"e": "", "l": [], "s": "false", "b": false}));
        assert!(!t.eval_condition("e", &c).unwrap());
        assert!(!t.eval_condition("l", &c).unwrap());
        assert!(t.eval_condition("s", &c).unwrap());
        assert!(!t.eval_condition("{{ b }}", &c).unwrap());
        assert!(t.eval_condition("not b", &c).unwrap());
        assert!(t.eval_condition("True", &c).unwrap());
    }

    #[test]
    fn syntax_errors_are_found() {
        let t = Templar::new();
        assert_eq!(
            t.check_syntax("{{ a | }}").unwrap_err().kind,
            TemplateErrorKind::Syntax
        );
        assert!(t.check_syntax("{% if a %}x{% endif %}").is_ok());
    }

    #[test]
    fn omit_drops_keys_and_trailing_newline_is_kept() {
        let t = Templar::new();
        let c = ctx(json!({"omit": OMIT}));
        let v = t
            .render_json(&json!({"a": 1, "b": "{{ omit }}"}), &c)
            .unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert_eq!(t.render_string("x={{ 1 }}\n", &c).unwrap(), "x=1\n");
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
        assert_eq!(t.render_value("{{ d.get('k') }}", &c).unwrap(), json!(1));
    }
}
