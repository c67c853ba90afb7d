//! Variables as templates see them: layers in Ansible's precedence, looked up
//! lazily (only the names a template uses are converted), and values that are
//! themselves templates rendered on first use, as Ansible does.

use super::template::{Templar, to_jinja};
use super::tree::VarMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// One source of variables. `lazy` layers hold playbook text whose templates are
/// rendered when used; results (register, set_fact, facts, loop items) are data.
#[derive(Clone, Debug)]
pub struct Layer {
    pub vars: Arc<VarMap>,
    pub lazy: bool,
    /// The host's registered results and set_fact values.
    pub host_results: bool,
}

impl Layer {
    pub fn lazy(vars: Arc<VarMap>) -> Layer {
        Layer {
            vars,
            lazy: true,
            host_results: false,
        }
    }
    pub fn data(vars: Arc<VarMap>) -> Layer {
        Layer {
            vars,
            lazy: false,
            host_results: false,
        }
    }
    pub fn host_results(vars: Arc<VarMap>) -> Layer {
        Layer {
            vars,
            lazy: false,
            host_results: true,
        }
    }
}

/// Everything a template on one host can see. Layers are ordered highest first.
#[derive(Debug)]
pub struct Context {
    layers: Vec<Layer>,
    templar: Arc<Templar>,
    /// `hostvars`: other hosts' contexts, built on demand.
    hostvars: Option<Arc<dyn HostVarsSource>>,
    cache: Mutex<HashMap<String, Value>>,
    resolving: Mutex<HashSet<String>>,
    /// The first error met while rendering a variable's own template.
    error: Mutex<Option<String>>,
}

/// Gives the variables of any host of the play (for `hostvars[...]`).
pub trait HostVarsSource: std::fmt::Debug + Send + Sync {
    fn host_names(&self) -> Vec<String>;
    fn context_of(&self, host: &str) -> Option<Arc<Context>>;
}

impl Context {
    pub fn new(
        layers: Vec<Layer>,
        templar: Arc<Templar>,
        hostvars: Option<Arc<dyn HostVarsSource>>,
    ) -> Arc<Context> {
        Arc::new(Context {
            layers,
            templar,
            hostvars,
            cache: Mutex::new(HashMap::new()),
            resolving: Mutex::new(HashSet::new()),
            error: Mutex::new(None),
        })
    }

    /// This context with more layers on top (loop items, include params).
    pub fn with_top(self: &Arc<Self>, top: Vec<Layer>) -> Arc<Context> {
        let mut layers = top;
        layers.extend(self.layers.iter().cloned());
        Context::new(layers, self.templar.clone(), self.hostvars.clone())
    }

    /// This context with newer host results (set_fact in an earlier loop item)
    /// above the host's results layer, at its precedence.
    pub fn with_host_results(self: &Arc<Self>, newer: Arc<VarMap>) -> Arc<Context> {
        let mut layers = self.layers.clone();
        let at = layers
            .iter()
            .position(|l| l.host_results)
            .unwrap_or(layers.len());
        layers.insert(at, Layer::host_results(newer));
        Context::new(layers, self.templar.clone(), self.hostvars.clone())
    }

    pub fn as_value(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(self.clone())
    }

    pub fn templar(&self) -> &Arc<Templar> {
        &self.templar
    }

    /// Why a variable's own template failed, if one did (a better message than "undefined").
    pub fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// A variable as JSON, rendered, or None when undefined.
    pub fn get_json(self: &Arc<Self>, name: &str) -> Option<serde_json::Value> {
        let v = self.lookup(name)?;
        super::template::from_jinja(&v).ok()
    }

    fn raw(&self, name: &str) -> Option<(&serde_json::Value, bool)> {
        self.layers
            .iter()
            .find_map(|l| l.vars.get(name).map(|v| (v, l.lazy)))
    }

    fn lookup(self: &Arc<Self>, name: &str) -> Option<Value> {
        if let Some(v) = self.cache.lock().ok()?.get(name) {
            return Some(v.clone());
        }
        let value = match name {
            "hostvars" => Value::from_object(HostVars(self.hostvars.clone()?)),
            "vars" => Value::from_dyn_object(self.clone()),
            _ => {
                let (raw, lazy) = self.raw(name)?;
                if lazy && has_template(raw) {
                    self.render_var(name, raw)?
                } else {
                    to_jinja(raw)
                }
            }
        };
        if let Ok(mut c) = self.cache.lock() {
            c.insert(name.to_string(), value.clone());
        }
        Some(value)
    }

    fn render_var(self: &Arc<Self>, name: &str, raw: &serde_json::Value) -> Option<Value> {
        {
            let mut r = self.resolving.lock().ok()?;
            if !r.insert(name.to_string()) {
                self.note_error(format!(
                    "recursive loop detected in template: the variable '{name}' refers to itself"
                ));
                return None;
            }
        }
        let rendered = self.templar.render_json(raw, &self.as_value());
        if let Ok(mut r) = self.resolving.lock() {
            r.remove(name);
        }
        match rendered {
            Ok(v) => Some(to_jinja(&v)),
            Err(e) => {
                self.note_error(format!(
                    "while templating the variable '{name}': {}",
                    e.message
                ));
                None
            }
        }
    }

    fn note_error(&self, msg: String) {
        if let Ok(mut e) = self.error.lock()
            && e.is_none()
        {
            *e = Some(msg);
        }
    }

    fn names(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for l in &self.layers {
            for k in l.vars.keys() {
                if seen.insert(k.as_str()) {
                    out.push(k.clone());
                }
            }
        }
        out
    }
}

fn has_template(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => Templar::is_template(s),
        serde_json::Value::Array(a) => a.iter().any(has_template),
        serde_json::Value::Object(m) => m
            .iter()
            .any(|(k, v)| Templar::is_template(k) || has_template(v)),
        _ => false,
    }
}

impl Object for Context {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.lookup(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.names().into_iter().map(Value::from).collect())
    }
}

#[derive(Debug)]
struct HostVars(Arc<dyn HostVarsSource>);

impl Object for HostVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.context_of(key.as_str()?).map(|c| c.as_value())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.host_names().into_iter().map(Value::from).collect())
    }
}
