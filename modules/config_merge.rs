//! config_merge: carry the settings of an old HotDB config into the new version's file
//! (manual steps MP-6 / CN-CFG), changing only values; the text work is in
//! config_formats.

use super::config_formats::{Format, merge};
use super::lineinfile::{Decision, InPlace, edit_in_place};
use super::remote_file::{ReadError, read_file};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome, VarMap,
};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct ConfigMerge;

static DOC: ModuleDoc = ModuleDoc {
    name: "config_merge",
    short: "Carry settings from an old config file into the new version's file",
    description: "Reads `src` (the old file on the target) and `dest` (the new version's file on the target) and writes into dest the old value of every setting both files have. Only value bytes change: the new file's comments, order, blank lines, whitespace, line endings and the defaults of its new settings stay. A setting the new version dropped is reported in `removed` and never added back; a setting commented out in the new file counts as absent. Duplicate keys: the last one is the value (as Java and the shell read them) and every occurrence in dest receives it. `exclude` keys keep the new file's value; `overrides` set a value whatever either file says (the key must exist in dest: this module never adds lines). Formats: `hotdb_server_xml` (the `<property name=\"k\">v</property>` entries; entities decoded for comparing, the old value's text written as it was), `properties` (Java .properties: `k=v`, `k: v`, `k v`, continuation lines, escapes; the old value goes after the new file's own key and separator, a multi-line old value is re-encoded on one line), `shell_vars` (unindented top-level `NAME=word` / `export NAME=word` lines with nothing after the word but a comment; the word is carried as written, quotes included). Reading src costs one round trip, reading and writing dest one each.",
    args: &[
        ArgSpec::new("src", ArgType::Path, "The old config file, on the target.").required(),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "The new version's config file, on the target; changed in place.",
        )
        .required(),
        ArgSpec::new("format", ArgType::Str, "The file's syntax.")
            .required()
            .choices(&["hotdb_server_xml", "properties", "shell_vars"]),
        ArgSpec::new(
            "exclude",
            ArgType::List,
            "Keys never carried (e.g. [JAVA_BIN, JAVA_VERSION]).",
        ),
        ArgSpec::new(
            "overrides",
            ArgType::Dict,
            "key: value set regardless of both files (e.g. haState after an HA switch).",
        ),
        ArgSpec::new(
            "backup",
            ArgType::Bool,
            "Keep dest's old content as DEST.<pid>.<date>~ (returned as backup_file).",
        )
        .default("no"),
        ArgSpec::new(
            "report_only",
            ArgType::Bool,
            "Compute and report, write nothing (as check mode, but the task still runs).",
        )
        .default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: reads both files, reports kept/added/removed/overridden/changed and, with --diff, the new content; writes nothing.",
    returns: "kept: keys whose old value is now in dest
added: keys new in this version, left at their defaults
removed: keys of the old file the new version dropped (not added back)
overridden: keys set by `overrides`
changed_keys: keys whose value in dest changed (empty on a second run; `changed` is the usual boolean)
backup_file: the backup's path, when one was made",
    examples: "- config_merge:
    src: /usr/local/hotdb.bak/hotdb-server/conf/server.xml
    dest: /usr/local/hotdb/hotdb-server/conf/server.xml
    format: hotdb_server_xml
    overrides: {haState: backup}
    backup: yes
- config_merge:
    src: /usr/local/hotdb.bak/hotdb-server/bin/hotdb_server
    dest: /usr/local/hotdb/hotdb-server/bin/hotdb_server
    format: shell_vars
    exclude: [JAVA_BIN, JAVA_VERSION]",
};

fn strings(v: &[String]) -> Value {
    Value::from(v.to_vec())
}

fn overrides_of(v: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    other => {
                        return Err(format!(
                            "overrides: the value of {k} must be a string, got {other}"
                        ));
                    }
                };
                out.insert(k.clone(), s);
            }
        }
        Some(other) => return Err(format!("overrides must be a mapping, got {other}")),
    }
    Ok(out)
}

#[async_trait]
impl Module for ConfigMerge {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.str("src").unwrap_or_default().to_string();
        let dest = args.str("dest").unwrap_or_default().to_string();
        let Some(format) = Format::from_name(args.str("format").unwrap_or_default()) else {
            return Ok(Outcome::failed(
                "format must be one of hotdb_server_xml, properties, shell_vars",
            ));
        };
        let exclude = args.str_list("exclude");
        let overrides = match overrides_of(args.get("overrides")) {
            Ok(o) => o,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let old = match read_file(h, &src).await? {
            Ok(b) => b,
            Err(ReadError::Missing) => {
                return Ok(Outcome::failed(format!("src {src} does not exist")));
            }
            Err(ReadError::Directory) => {
                return Ok(Outcome::failed(format!("src {src} is a directory")));
            }
            Err(ReadError::Unreadable(e)) => {
                return Ok(Outcome::failed(format!("cannot read src {src}: {e}")));
            }
        };
        let Ok(old) = String::from_utf8(old) else {
            return Ok(Outcome::failed(format!("src {src} is not UTF-8 text")));
        };
        let edit = InPlace {
            path: &dest,
            create: false,
            backup: args.bool("backup"),
            backup_key: "backup_file",
            mode: None,
            owner: None,
            group: None,
            validate: None,
            diff_headers: (format!("before: {dest}"), format!("after: {dest}")),
        };
        let report_only = args.bool("report_only");
        let o = edit_in_place(h, &edit, |before| {
            let Some(new) = before else {
                return Decision::Done(Outcome::failed(format!("dest {dest} does not exist")));
            };
            let Ok(new) = std::str::from_utf8(new) else {
                return Decision::Done(Outcome::failed(format!("dest {dest} is not UTF-8 text")));
            };
            let m = match merge(format, &old, new, &exclude, &overrides) {
                Ok(m) => m,
                Err(e) => return Decision::Done(Outcome::failed(e)),
            };
            let mut data = VarMap::new();
            data.insert("kept".into(), strings(&m.kept));
            data.insert("added".into(), strings(&m.added));
            data.insert("removed".into(), strings(&m.removed));
            data.insert("overridden".into(), strings(&m.overridden));
            data.insert("changed_keys".into(), strings(&m.changed));
            let msg = if m.changed.is_empty() {
                String::new()
            } else {
                format!(
                    "{} settings changed: {}",
                    m.changed.len(),
                    m.changed.join(", ")
                )
            };
            if report_only {
                let mut o = Outcome::changed(!m.changed.is_empty()).msg(msg);
                o.data = data;
                return Decision::Done(o);
            }
            Decision::Content {
                after: m.text.into_bytes(),
                msg,
                data,
            }
        })
        .await?;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, tree_digest};
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn real_files_check_mode_backup_and_idempotence() {
        let fx = Fixture::new();
        let old = fx.path("old.properties");
        let new = fx.path("new.properties");
        std::fs::write(&old, "a=10\ngone=1\n").expect("write");
        std::fs::write(&new, "# new\na = 1\nb=2\n").expect("write");
        let args = json!({"src": old, "dest": new, "format": "properties", "backup": true});
        let digest = tree_digest(&fx.target());
        let o = fx.run(&ConfigMerge, args.clone(), true, true).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.data["kept"], json!(["a"]));
        assert_eq!(o.data["added"], json!(["b"]));
        assert_eq!(o.data["removed"], json!(["gone"]));
        assert_eq!(o.diff[0].after, "# new\na = 10\nb=2\n");
        assert_eq!(digest, tree_digest(&fx.target()));
        let o = fx
            .run(
                &ConfigMerge,
                json!({"src": old, "dest": new, "format": "properties", "report_only": true}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(digest, tree_digest(&fx.target()));
        let o = fx.run(&ConfigMerge, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(&new).expect("read"),
            "# new\na = 10\nb=2\n"
        );
        let b = o.data["backup_file"].as_str().expect("backup").to_string();
        assert_eq!(
            std::fs::read_to_string(&b).expect("read"),
            "# new\na = 1\nb=2\n"
        );
        let o = fx.run(&ConfigMerge, args, false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
        let o = fx
            .run(
                &ConfigMerge,
                json!({"src": fx.path("none"), "dest": new, "format": "properties"}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
    }
}
