//! template: render a Jinja file of the controller onto the target, then write it
//! as copy does (by checksum, atomically, with backup and validate).

use super::remote_file::{
    Algorithm, Kind, MAX_DIFF_BYTES, NewContent, Probe, WriteOptions, query_many, write_decided,
};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use crate::plan::template::TemplateErrorKind;
use async_trait::async_trait;
use std::path::Path;

pub struct Template;

static DOC: ModuleDoc = ModuleDoc {
    name: "template",
    short: "Render a template onto the target",
    description: "Renders `src` (searched in the role's and the playbook's templates/) with the task's variables, plus template_path, template_fullpath, template_destpath, template_host and ansible_managed, and writes the result to `dest` like copy: left alone when the checksum matches, else written under a temporary name, validated and renamed into place, with backup. Trailing newlines are kept; block tags swallow the newline after them (trim_blocks), as in Ansible.",
    args: &[
        ArgSpec::new("src", ArgType::Path, "The Jinja template on the controller.").required(),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "Where on the target; a directory (or a path ending with /) means dest/<basename of src>.",
        )
        .required(),
        ArgSpec::new("mode", ArgType::Mode, "Mode of the file: octal (\"0644\") or symbolic, or `preserve` (the template's)."),
        ArgSpec::new("owner", ArgType::Str, "Owner name or uid."),
        ArgSpec::new("group", ArgType::Str, "Group name or gid."),
        ArgSpec::new(
            "backup",
            ArgType::Bool,
            "Keep the old file as dest.<pid>.<YYYY-MM-DD@HH:MM:SS>~ (returned as backup_file).",
        )
        .default("no"),
        ArgSpec::new(
            "force",
            ArgType::Bool,
            "Replace a file whose content differs; no: only create a missing file.",
        )
        .default("yes"),
        ArgSpec::new(
            "validate",
            ArgType::Str,
            "Command run on the new file (%s) before it replaces dest; a failure keeps the old file.",
        ),
        ArgSpec::new(
            "follow",
            ArgType::Bool,
            "When dest is a symlink, write the file it points to (else the link is replaced).",
        )
        .default("no"),
        ArgSpec::new("newline_sequence", ArgType::Str, "Line ending of the result.")
            .choices(&["\\n", "\\r\\n", "\\r"])
            .default("\\n"),
        ArgSpec::new(
            "trim_blocks",
            ArgType::Bool,
            "Remove the first newline after a block tag.",
        )
        .default("yes"),
        ArgSpec::new(
            "lstrip_blocks",
            ArgType::Bool,
            "Strip spaces and tabs before a block tag at the start of a line.",
        )
        .default("no"),
        ArgSpec::new(
            "output_encoding",
            ArgType::Str,
            "Encoding of the result (utf-8 only).",
        )
        .choices(&["utf-8", "utf8", "UTF-8"])
        .default("utf-8"),
        ArgSpec::new(
            "unsafe_writes",
            ArgType::Bool,
            "Accepted for compatibility (writes are always atomic).",
        )
        .default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: renders, compares checksums (one round trip), and with --diff shows the change.",
    returns: "dest, src, checksum (sha1), md5sum, size, mode, owner, group, uid, gid, state, backup_file",
    examples: "- template:\n    src: server.xml.j2\n    dest: /usr/local/hotdb/hotdb-server/conf/server.xml\n    backup: yes\n    validate: xmllint --noout %s",
};

/// trim_blocks=no: every block tag keeps the newline after it (`+%}`).
fn keep_block_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("%}") {
        let before = &rest[..at];
        out.push_str(before);
        if !before.ends_with(['-', '+']) {
            out.push('+');
        }
        out.push_str("%}");
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// lstrip_blocks=yes: spaces and tabs before a block or comment tag that starts a
/// line go (`{%+` keeps them, as in Jinja).
fn lstrip_block_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let trimmed = line.trim_start_matches([' ', '\t']);
            let is_tag = (trimmed.starts_with("{%") && !trimmed.starts_with("{%+"))
                || trimmed.starts_with("{#");
            if is_tag { trimmed } else { line }
        })
        .collect()
}

/// The controller's host name, for `template_host`.
fn controller_host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into our own buffer.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[async_trait]
impl Module for Template {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let dest = args.string("dest").unwrap_or_default();
        let Some(local) = h.find_file("templates", &src) else {
            let searched: Vec<String> = h
                .search_paths
                .iter()
                .flat_map(|d| [d.join("templates").join(&src), d.join(&src)])
                .map(|p| format!("\t{}", p.display()))
                .collect();
            return Ok(Outcome::failed(format!(
                "Could not find or access '{src}'\nSearched in:\n{}",
                searched.join("\n")
            )));
        };
        let text = match std::fs::read(&local).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                return Ok(Outcome::failed(format!(
                    "template error while templating {src}: the template is not UTF-8 text"
                )));
            }
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "could not read {}: {e}",
                    local.display()
                )));
            }
        };
        let mut text = text;
        if !args.bool("trim_blocks") {
            text = keep_block_newlines(&text);
        }
        if args.bool("lstrip_blocks") {
            text = lstrip_block_lines(&text);
        }

        // Where it goes: dest, or dest/<template name> for a directory.
        let base = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let inside = format!("{}/{base}", dest.trim_end_matches('/'));
        let probe = Probe {
            checksum: Some(Algorithm::Sha256),
            follow: true,
            content_up_to: h.diff.then_some(MAX_DIFF_BYTES),
        };
        let mut states = query_many(h, &[(dest.as_str(), probe), (inside.as_str(), probe)]).await?;
        let into_dir =
            dest.ends_with('/') || (states[0].exists && states[0].kind == Kind::Directory);
        let (target, state) = if into_dir {
            (inside, states.swap_remove(1))
        } else {
            (dest.clone(), states.swap_remove(0))
        };

        let full = std::fs::canonicalize(&local).unwrap_or_else(|_| local.clone());
        let extra = minijinja::context! {
            template_path => local.display().to_string(),
            template_fullpath => full.display().to_string(),
            template_destpath => target.clone(),
            template_host => controller_host(),
            ansible_managed => "Ansible managed",
        };
        // The task's own variables win over these, as in Ansible.
        let ctx = minijinja::value::merge_maps([h.vars.clone(), extra]);
        let mut rendered = match h.templar.render_file_text(&text, &ctx) {
            Ok(r) => r,
            Err(e) => {
                let msg = match e.kind {
                    TemplateErrorKind::Undefined { .. } => {
                        format!("AnsibleUndefinedVariable: {}", e.message)
                    }
                    _ => format!(
                        "AnsibleError: template error while templating {src}: {}",
                        e.message
                    ),
                };
                return Ok(Outcome::failed(msg));
            }
        };
        match args.str("newline_sequence") {
            Some("\\r\\n") => rendered = rendered.replace('\n', "\r\n"),
            Some("\\r") => rendered = rendered.replace('\n', "\r"),
            _ => {}
        }

        let mode_value;
        let mut opts = WriteOptions {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            backup: args.bool("backup"),
            validate: args.str("validate"),
            force: args.bool("force"),
            follow: args.bool("follow"),
            make_parent: dest.ends_with('/'),
            directory_mode: None,
            diff_headers: Some((
                format!("before: {target}"),
                format!("after: {}", local.display()),
            )),
        };
        if let Some(v) = opts.validate
            && !v.contains("%s")
        {
            return Ok(Outcome::failed(format!("validate must contain %s: {v}")));
        }
        if opts.mode.and_then(|m| m.as_str()) == Some("preserve") {
            mode_value = local_mode(&local).map(serde_json::Value::from);
            opts.mode = mode_value.as_ref();
        }
        let content = NewContent::bytes(rendered.into_bytes());
        let o = write_decided(h, &target, &state, &content, &opts).await?;
        Ok(if o.failed {
            o
        } else {
            o.with("src", local.display().to_string())
        })
    }
}

fn local_mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, mode_of, tree_digest};
    use super::*;
    use serde_json::json;

    #[test]
    fn whitespace_options_rewrite_tags() {
        assert_eq!(
            keep_block_newlines("{% if x %}\na{%- endif -%}{% y +%}"),
            "{% if x +%}\na{%- endif -%}{% y +%}"
        );
        assert_eq!(
            lstrip_block_lines("  {% if x %}\n  a\n\t{%+ y %}\n"),
            "{% if x %}\n  a\n\t{%+ y %}\n"
        );
    }

    #[tokio::test]
    async fn renders_with_vars_keeps_newline_and_is_idempotent() {
        let fx = Fixture::with_vars(
            json!({"inventory_hostname": "h1", "props": [{"name": "serverPort", "value": 3323}, {"name": "managerPort", "value": 3325}]}),
        );
        fx.controller_file(
            "templates/server.xml.j2",
            "<server>\n{% for p in props %}\n  <property name=\"{{ p.name }}\">{{ p.value }}</property>\n{% endfor %}\n</server>\n",
        );
        let dest = fx.path("server.xml");
        let args = json!({"src": "server.xml.j2", "dest": dest, "mode": "0640", "backup": true});
        let before = tree_digest(&fx.target());
        let check = fx.run(&Template, args.clone(), true, true).await;
        assert!(check.changed && !check.failed, "{check:?}");
        assert_eq!(before, tree_digest(&fx.target()));
        assert!(check.diff[0].after.contains("managerPort"));
        let o = fx.run(&Template, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(&dest).expect("read"),
            "<server>\n  <property name=\"serverPort\">3323</property>\n  <property name=\"managerPort\">3325</property>\n</server>\n"
        );
        assert_eq!(mode_of(&dest), 0o640);
        assert!(
            !o.data.contains_key("backup_file"),
            "no old file, no backup"
        );
        let again = fx.run(&Template, args, false, false).await;
        assert!(!again.changed, "{again:?}");
    }

    #[tokio::test]
    async fn directories_crlf_magic_vars_and_errors() {
        let fx = Fixture::new();
        fx.controller_file(
            "templates/t.j2",
            "{{ template_destpath }} {{ ansible_managed }}\nx\n",
        );
        let o = fx.run(&Template, json!({"src": "t.j2", "dest": fx.target().display().to_string(), "newline_sequence": "\\r\\n"}), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        let out = fx.path("t.j2");
        assert_eq!(
            std::fs::read_to_string(&out).expect("read"),
            format!("{out} Ansible managed\r\nx\r\n")
        );
        let missing = fx
            .run(
                &Template,
                json!({"src": "none.j2", "dest": out}),
                false,
                false,
            )
            .await;
        assert!(
            missing
                .msg
                .as_deref()
                .unwrap_or("")
                .starts_with("Could not find or access 'none.j2'\nSearched in:")
        );
        fx.controller_file("templates/bad.j2", "{{ nope }}\n");
        let undefined = fx
            .run(
                &Template,
                json!({"src": "bad.j2", "dest": out}),
                false,
                false,
            )
            .await;
        assert!(undefined.failed);
        assert!(
            undefined.msg.as_deref().unwrap_or("").contains("nope"),
            "{undefined:?}"
        );
        fx.controller_file("templates/syntax.j2", "{% if %}\n");
        let syntax = fx
            .run(
                &Template,
                json!({"src": "syntax.j2", "dest": out}),
                false,
                false,
            )
            .await;
        assert!(
            syntax
                .msg
                .as_deref()
                .unwrap_or("")
                .starts_with("AnsibleError: template error while templating syntax.j2"),
            "{syntax:?}"
        );
        fx.controller_file(
            "templates/blocks.j2",
            "{% if true %}\n  {% if true %}\nin\n  {% endif %}\n{% endif %}\n",
        );
        let kept = fx
            .run(
                &Template,
                json!({"src": "blocks.j2", "dest": fx.path("b1"), "trim_blocks": false}),
                false,
                false,
            )
            .await;
        assert!(!kept.failed, "{kept:?}");
        assert_eq!(
            std::fs::read_to_string(fx.path("b1")).expect("read"),
            "\n  \nin\n  \n\n"
        );
        fx.run(
            &Template,
            json!({"src": "blocks.j2", "dest": fx.path("b2"), "lstrip_blocks": true}),
            false,
            false,
        )
        .await;
        assert_eq!(
            std::fs::read_to_string(fx.path("b2")).expect("read"),
            "in\n"
        );
    }
}
