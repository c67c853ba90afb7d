//! validate_argument_spec: check arguments against an argument spec, as ansible-core's
//! ArgumentSpecValidator does: the task that guards a role with meta/argument_specs.yml,
//! or a task of its own. Errors come in Ansible's order and words; values are checked,
//! never changed (the role's variables stay as given).

use crate::execute::args::{coerce, to_bool};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::plan::template::pyjson;
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct ValidateArgumentSpec;

static DOC: ModuleDoc = ModuleDoc {
    name: "validate_argument_spec",
    short: "Validate arguments against an argument spec",
    description: "Checks `provided_arguments`, and the task's variables named in the spec, against `argument_spec` (the `options` of a role's entry point): types, required, choices, elements, nested options and their mutually_exclusive/required_together/required_one_of/required_if/required_by. hotplay runs it before a role's tasks when the role has meta/argument_specs.yml.",
    args: &[
        ArgSpec::new(
            "argument_spec",
            ArgType::Dict,
            "Option name -> its spec (type, required, default, choices, elements, options ...).",
        )
        .required(),
        ArgSpec::new(
            "provided_arguments",
            ArgType::Dict,
            "The values to check (a role's parameters); variables of the same names are checked too.",
        ),
        ArgSpec::new(
            "validate_args_context",
            ArgType::Dict,
            "What is validated (role, entry point), returned as is.",
        ),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (it changes nothing).",
    returns: "argument_errors, argument_spec_data, validate_args_context",
    examples: "- validate_argument_spec:\n    argument_spec:\n      port: {type: int, required: true}\n    provided_arguments:\n      port: \"{{ db_port }}\"",
};

#[async_trait]
impl Module for ValidateArgumentSpec {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }
    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let context = args
            .get("validate_args_context")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let spec = match args.get("argument_spec") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        // As Ansible: the task's variables named in the spec, then the provided arguments over them.
        let mut params = Map::new();
        for name in spec.keys() {
            if let Ok(v) = h.vars.get_attr(name)
                && !v.is_undefined()
                && let Ok(j) = crate::plan::template::from_jinja(&v)
            {
                params.insert(name.clone(), j);
            }
        }
        if let Some(Value::Object(p)) = args.get("provided_arguments") {
            params.extend(p.clone());
        }
        let errors = validate(&spec, params);
        if errors.is_empty() {
            return Ok(Outcome::ok()
                .msg("The arg spec validation passed")
                .with("validate_args_context", context));
        }
        Ok(Outcome::failed(format!(
            "Validation of arguments failed:\n{}",
            errors.join("\n")
        ))
        .with("argument_spec_data", Value::Object(spec))
        .with("argument_errors", errors)
        .with("validate_args_context", context))
    }
}

/// Every error of `params` against `spec`, in ansible-core's order.
pub fn validate(spec: &Map<String, Value>, mut params: Map<String, Value>) -> Vec<String> {
    let mut v = Validator::default();
    v.aliases(spec, &mut params);
    if let Err(e) = dict_shapes(spec, &params) {
        v.errors.push(e);
    }
    v.unsupported(spec, &params, &[]);
    v.level(spec, &mut params, &[], None);
    v.sub_specs(spec, &mut params, &mut Vec::new());
    let mut errors = v.errors;
    if !v.unknown.is_empty() {
        v.unknown.sort();
        errors.push(format!(
            "{}. Supported parameters include: {}.",
            v.unknown.join(", "),
            v.supported
        ));
    }
    errors
}

#[derive(Default)]
struct Validator {
    errors: Vec<String>,
    /// Unsupported names, nested ones as `parent.name`.
    unknown: Vec<String>,
    /// The supported names of the last spec that had an unsupported one.
    supported: String,
    /// Options (as paths) whose value was text turned into a list or dict: their
    /// items are plain `str` to Python, not YAML strings.
    from_text: Vec<Vec<String>>,
}

/// " found in a -> b" as Ansible's checks append it (`quoted`: the type checks' form).
fn found_in(ctx: &[String], quoted: bool) -> String {
    match (ctx.is_empty(), quoted) {
        (true, _) => String::new(),
        (false, true) => format!(" found in '{}'.", ctx.join(" -> ")),
        (false, false) => format!(" found in {}", ctx.join(" -> ")),
    }
}

/// The Python class Ansible names for a value read from YAML (`plain`: made by a
/// conversion, so a string is a `str`).
fn py_type_of(v: &Value, plain: bool) -> &'static str {
    match v {
        Value::String(_) if plain => "<class 'str'>",
        other => py_type(other),
    }
}

/// The Python class Ansible names for a value read from YAML.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::String(_) => "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>",
        Value::Array(_) => "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>",
        Value::Object(_) => "<class 'ansible.parsing.yaml.objects.AnsibleMapping'>",
    }
}

fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => pyjson::repr(other),
    }
}

fn type_of(spec: &Value, key: &str) -> String {
    spec.get(key)
        .and_then(Value::as_str)
        .unwrap_or(if key == "type" { "str" } else { "" })
        .to_string()
}

/// A value as Ansible's check_type_<wanted> converts it, or the reason it cannot.
fn check_type(wanted: &str, v: &Value, plain: bool) -> Result<Value, String> {
    let py_type = |v: &Value| py_type_of(v, plain);
    let ty = match wanted {
        "str" | "path" => return Ok(coerce(ArgType::Str, v.clone()).unwrap_or(v.clone())),
        "int" => ArgType::Int,
        "float" => ArgType::Float,
        "bool" => ArgType::Bool,
        "list" => ArgType::List,
        "dict" => ArgType::Dict,
        _ => return Ok(v.clone()),
    };
    if let Some(c) = coerce(ty, v.clone()) {
        return Ok(c);
    }
    Err(match (ty, v) {
        (ArgType::Int, _) => format!("{} cannot be converted to an int", py_type(v)),
        (ArgType::Float, _) => format!("{} cannot be converted to a float", py_type(v)),
        (ArgType::Bool, Value::String(_) | Value::Number(_)) => format!(
            "The value '{}' is not a valid boolean.  Valid booleans include: 'yes', 'on', '1', 'true', 't', 'y', 1, 'no', 'off', '0', 'false', 'f', 'n', 0",
            py_str(v)
        ),
        (ArgType::Dict, Value::String(s)) if s.starts_with('{') => {
            "unable to evaluate string as dictionary".into()
        }
        (ArgType::Dict, Value::String(s)) if s.contains('=') => {
            "dictionary update sequence element has length 1; 2 is required".into()
        }
        (ArgType::Dict, Value::String(_)) => {
            "dictionary requested, could not parse JSON or key=value".into()
        }
        (ArgType::Dict, _) => format!("{} cannot be converted to a dict", py_type(v)),
        (ArgType::Bool, _) => format!("{} cannot be converted to a bool", py_type(v)),
        _ => format!("{} cannot be converted to a list", py_type(v)),
    })
}

fn count_terms(terms: &Value, params: &Map<String, Value>) -> usize {
    match terms {
        Value::String(s) => usize::from(params.contains_key(s)),
        Value::Array(a) => a
            .iter()
            .filter(|t| t.as_str().is_some_and(|s| params.contains_key(s)))
            .count(),
        _ => 0,
    }
}

fn names(terms: &Value, sep: &str) -> String {
    match terms {
        Value::Array(a) => a.iter().map(py_str).collect::<Vec<_>>().join(sep),
        other => py_str(other),
    }
}

/// As _list_no_log_values, which ansible-core runs first: a dict option with
/// `options` given as text must parse as a dict, else its error stands alone
/// (the first only: Ansible raises it).
fn dict_shapes(spec: &Map<String, Value>, params: &Map<String, Value>) -> Result<(), String> {
    for (name, s) in spec {
        let Some(Value::Object(sub)) = s.get("options") else {
            continue;
        };
        let wanted = type_of(s, "type");
        let Some(value) = params.get(name).filter(|v| !v.is_null()) else {
            continue;
        };
        if !(wanted == "dict" || (wanted == "list" && type_of(s, "elements") == "dict")) {
            continue;
        }
        let items = match value {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for item in items {
            let item = match item {
                Value::String(_) => check_type("dict", &item, false)?,
                other => other,
            };
            let Value::Object(sub_params) = &item else {
                let class = py_type(&item);
                let class = class
                    .trim_start_matches("<class '")
                    .trim_end_matches("'>")
                    .rsplit('.')
                    .next()
                    .unwrap_or_default();
                return Err(format!(
                    "Value '{}' in the sub parameter field '{name}' must be a {wanted}, not '{class}'",
                    py_str(&item)
                ));
            };
            dict_shapes(sub, sub_params)?;
        }
    }
    Ok(())
}

impl Validator {
    /// An alias's value under the option's own name (the last alias given wins).
    /// Ansible stops at a spec with both `required` and a default, or aliases not a list.
    fn aliases(&mut self, spec: &Map<String, Value>, params: &mut Map<String, Value>) {
        for (name, s) in spec {
            let required = s.get("required").is_some_and(|r| to_bool(r) == Some(true));
            if required && s.get("default").is_some_and(|d| !d.is_null()) {
                self.errors.push(format!(
                    "internal error: required and default are mutually exclusive for {name}"
                ));
                return;
            }
            let aliases = match s.get("aliases") {
                None | Some(Value::Null) => continue,
                Some(Value::Array(a)) => a,
                Some(_) => {
                    self.errors
                        .push("internal error: aliases must be a list or tuple".into());
                    return;
                }
            };
            for alias in aliases.iter().filter_map(Value::as_str) {
                if let Some(v) = params.get(alias).cloned() {
                    params.insert(name.clone(), v);
                }
            }
        }
    }

    fn unsupported(
        &mut self,
        spec: &Map<String, Value>,
        params: &Map<String, Value>,
        ctx: &[String],
    ) {
        let mut legal: Vec<String> = spec.keys().cloned().collect();
        let mut aliases: Vec<String> = Vec::new();
        for s in spec.values() {
            if let Some(Value::Array(a)) = s.get("aliases") {
                aliases.extend(a.iter().filter_map(|x| x.as_str().map(String::from)));
            }
        }
        let mut found = false;
        for k in params.keys() {
            if !legal.contains(k) && !aliases.contains(k) {
                found = true;
                let mut full = ctx.to_vec();
                full.push(k.clone());
                self.unknown.push(full.join("."));
            }
        }
        if found {
            legal.sort();
            aliases.sort();
            self.supported = legal.join(", ");
            if !aliases.is_empty() {
                self.supported += &format!(" ({})", aliases.join(", "));
            }
        }
    }

    /// One level's checks: defaults, required, types, choices, then (nested only) the
    /// constraints of the option that holds this level (`holder`).
    fn level(
        &mut self,
        spec: &Map<String, Value>,
        params: &mut Map<String, Value>,
        ctx: &[String],
        holder: Option<&Value>,
    ) {
        if let Some(h) = holder
            && let Some(Value::Array(groups)) = h.get("mutually_exclusive")
        {
            let clashes: Vec<String> = groups
                .iter()
                .filter(|g| count_terms(g, params) > 1)
                .map(|g| names(g, "|"))
                .collect();
            if !clashes.is_empty() {
                self.errors.push(format!(
                    "parameters are mutually exclusive: {}{}",
                    clashes.join(", "),
                    found_in(ctx, false)
                ));
            }
        }
        for (name, s) in spec {
            if let Some(d) = s.get("default").filter(|d| !d.is_null())
                && !params.contains_key(name)
            {
                params.insert(name.clone(), d.clone());
            }
        }
        let mut missing: Vec<&str> = spec
            .iter()
            .filter(|(n, s)| {
                s.get("required").is_some_and(|r| to_bool(r) == Some(true))
                    && !params.contains_key(*n)
            })
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() {
            missing.sort();
            self.errors.push(format!(
                "missing required arguments: {}{}",
                missing.join(", "),
                found_in(ctx, false)
            ));
        }
        for (name, s) in spec {
            let Some(value) = params.get(name).cloned() else {
                continue;
            };
            let required = s.get("required").is_some_and(|r| to_bool(r) == Some(true));
            if value.is_null() && !required && s.get("default").is_none_or(Value::is_null) {
                continue;
            }
            let wanted = type_of(s, "type");
            let plain = self.from_text.iter().any(|p| p == ctx);
            match check_type(&wanted, &value, plain) {
                Ok(converted) => {
                    let text = value.is_string() && !converted.is_string();
                    if text || plain {
                        let mut path = ctx.to_vec();
                        path.push(name.clone());
                        self.from_text.push(path);
                    }
                    let elements = type_of(s, "elements");
                    let converted = match (&converted, elements.as_str()) {
                        (Value::Array(items), e) if !e.is_empty() => {
                            let mut out = Vec::new();
                            for item in items {
                                match check_type(e, item, text || plain) {
                                    Ok(c) => out.push(c),
                                    Err(why) => self.errors.push(format!(
                                        "Elements value for option '{name}'{} is of type {} and we were unable to convert to {e}: {why}",
                                        match ctx.is_empty() {
                                            true => String::new(),
                                            false => format!(" found in '{}'", ctx.join(" -> ")),
                                        },
                                        py_type_of(item, text || plain)
                                    )),
                                }
                            }
                            Value::Array(out)
                        }
                        _ => converted,
                    };
                    params.insert(name.clone(), converted);
                }
                Err(why) => self.errors.push(format!(
                    "argument '{name}' is of type {}{} and we were unable to convert to {wanted}: {why}",
                    py_type_of(&value, plain),
                    found_in(ctx, true)
                )),
            }
        }
        for (name, s) in spec {
            let (Some(Value::Array(choices)), Some(value)) = (s.get("choices"), params.get(name))
            else {
                continue;
            };
            let shown = choices.iter().map(py_str).collect::<Vec<_>>().join(", ");
            match value {
                Value::Array(items) if type_of(s, "type") == "list" => {
                    let bad: Vec<String> = items
                        .iter()
                        .filter(|i| !choices.contains(i))
                        .map(py_str)
                        .collect();
                    if !bad.is_empty() {
                        self.errors.push(format!(
                            "value of {name} must be one or more of: {shown}. Got no match for: {}{}",
                            bad.join(", "),
                            found_in(ctx, false)
                        ));
                    }
                }
                v if !choices.contains(v) && !choices.iter().any(|c| py_str(c) == py_str(v)) => {
                    self.errors.push(format!(
                        "value of {name} must be one of: {shown}, got: {}{}",
                        py_str(v),
                        found_in(ctx, false)
                    ))
                }
                _ => {}
            }
        }
        if let Some(h) = holder {
            self.constraints(h, params, ctx);
        }
        for name in spec.keys() {
            params.entry(name.clone()).or_insert(Value::Null);
        }
    }

    /// required_together, required_one_of, required_if, required_by: the first failing
    /// term of each check, as Ansible raises it.
    fn constraints(&mut self, h: &Value, params: &Map<String, Value>, ctx: &[String]) {
        let at = found_in(ctx, false);
        let groups = |k: &str| match h.get(k) {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        if let Some(g) = groups("required_together").iter().find(|g| {
            let n = count_terms(g, params);
            n > 0 && n < g.as_array().map_or(1, Vec::len)
        }) {
            self.errors.push(format!(
                "parameters are required together: {}{at}",
                names(g, ", ")
            ));
        }
        if let Some(g) = groups("required_one_of")
            .iter()
            .find(|g| count_terms(g, params) == 0)
        {
            self.errors.push(format!(
                "one of the following is required: {}{at}",
                names(g, ", ")
            ));
        }
        for req in groups("required_if") {
            let Some(r) = req.as_array().filter(|r| r.len() >= 3) else {
                continue;
            };
            let key = py_str(&r[0]);
            let any = r.get(3).and_then(to_bool).unwrap_or(false);
            if params.get(&key) != Some(&r[1]) {
                continue;
            }
            let wanted: Vec<Value> = match &r[2] {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let missing: Vec<String> = wanted
                .iter()
                .filter(|w| count_terms(w, params) == 0)
                .map(py_str)
                .collect();
            let limit = if any { wanted.len() } else { 0 };
            if !missing.is_empty() && missing.len() >= limit {
                self.errors.push(format!(
                    "{key} is {} but {} of the following are missing: {}{at}",
                    py_str(&r[1]),
                    if any { "any" } else { "all" },
                    missing.join(", ")
                ));
                break;
            }
        }
        if let Some(Value::Object(by)) = h.get("required_by") {
            for (key, wanted) in by {
                if params.get(key).is_none_or(|v| v.is_null()) {
                    continue;
                }
                let wanted = match wanted {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let missing: Vec<String> = wanted
                    .iter()
                    .filter(|w| w.as_str().is_some_and(|w| !params.contains_key(w)))
                    .map(py_str)
                    .collect();
                if !missing.is_empty() {
                    self.errors.push(format!(
                        "missing parameter(s) required by '{key}': {}{at}",
                        missing.join(", ")
                    ));
                    break;
                }
            }
        }
    }

    /// Options of dict (or list of dicts) options, checked level by level.
    fn sub_specs(
        &mut self,
        spec: &Map<String, Value>,
        params: &mut Map<String, Value>,
        ctx: &mut Vec<String>,
    ) {
        for (name, s) in spec {
            let wanted = type_of(s, "type");
            if !(wanted == "dict" || (wanted == "list" && type_of(s, "elements") == "dict")) {
                continue;
            }
            let Some(Value::Object(sub)) = s.get("options") else {
                continue;
            };
            // apply_defaults: an option not given is checked as an empty dict.
            if s.get("apply_defaults").and_then(to_bool) == Some(true)
                && params.get(name).is_none_or(Value::is_null)
            {
                params.insert(name.clone(), Value::Object(Map::new()));
            }
            let Some(value) = params.get_mut(name).filter(|v| !v.is_null()) else {
                continue;
            };
            ctx.push(name.clone());
            let mut elements: Vec<&mut Value> = match value {
                Value::Array(a) => a.iter_mut().collect(),
                other => vec![other],
            };
            for element in elements.iter_mut() {
                let Value::Object(sub_params) = &mut **element else {
                    self.errors.push(format!(
                        "value of '{name}' must be of type dict or list of dicts"
                    ));
                    continue;
                };
                self.aliases(sub, sub_params);
                self.unsupported(sub, sub_params, ctx);
                self.level(sub, sub_params, ctx, Some(s));
                self.sub_specs(sub, sub_params, ctx);
            }
            ctx.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(spec: Value, params: Value) -> Vec<String> {
        validate(
            spec.as_object().unwrap(),
            params.as_object().unwrap().clone(),
        )
    }

    #[test]
    fn required_types_choices_in_ansible_order() {
        let e = run(
            json!({"port": {"type": "int", "required": true}, "name": {"required": true}, "mode": {"choices": ["a", "b"]}}),
            json!({"mode": "c"}),
        );
        assert_eq!(
            e,
            vec![
                "missing required arguments: name, port",
                "value of mode must be one of: a, b, got: c"
            ]
        );
        assert!(run(json!({"p": {"type": "int"}}), json!({"p": "8"})).is_empty());
        assert_eq!(
            run(json!({"p": {"type": "int"}}), json!({"p": "x"})),
            vec![
                "argument 'p' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> cannot be converted to an int"
            ]
        );
    }

    #[test]
    fn nested_options_and_unsupported() {
        let e = run(
            json!({"conf": {"type": "dict", "required_one_of": [["a", "b"]], "options": {"a": {}, "b": {}}}}),
            json!({"conf": {"c": 1}, "x": 1}),
        );
        assert_eq!(
            e,
            vec![
                "one of the following is required: a, b found in conf",
                "conf.c, x. Supported parameters include: a, b."
            ]
        );
    }

    #[test]
    fn aliases_text_conversions_and_dict_shapes_first() {
        let spec = json!({
            "name": {"required": true, "aliases": ["nm"]},
            "conf": {"type": "dict", "options": {"port": {"type": "int"}}},
            "nums": {"type": "list", "elements": "int"},
        });
        assert!(
            run(
                spec.clone(),
                json!({"nm": "x", "conf": "port=8", "nums": "1,2"})
            )
            .is_empty()
        );
        assert_eq!(
            run(
                spec.clone(),
                json!({"nm": "x", "nums": "a", "conf": "port=x"})
            ),
            vec![
                "Elements value for option 'nums' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int",
                "argument 'port' is of type <class 'str'> found in 'conf'. and we were unable to convert to int: <class 'str'> cannot be converted to an int",
            ]
        );
        assert_eq!(
            run(spec, json!({"name": "x", "conf": "nope"}))[0],
            "dictionary requested, could not parse JSON or key=value"
        );
        assert_eq!(
            run(json!({"x": {"required": true, "default": 1}}), json!({})),
            vec!["internal error: required and default are mutually exclusive for x"]
        );
    }

    #[test]
    fn apply_defaults_checks_an_option_not_given() {
        let sub = json!({"host": {"required": true}, "p": {"type": "int", "default": 3}});
        assert_eq!(
            run(
                json!({"conf": {"type": "dict", "apply_defaults": true, "options": sub}}),
                json!({})
            ),
            vec!["missing required arguments: host found in conf"]
        );
        assert!(run(json!({"conf": {"type": "dict", "options": sub}}), json!({})).is_empty());
    }
}
