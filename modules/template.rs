//! template: render a Jinja file from the controller onto the target.

use super::remote_file::{WriteOptions, query, write_content};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct Template;

static DOC: ModuleDoc = ModuleDoc {
    name: "template",
    short: "Render a template onto the target",
    description: "Renders `src` (searched in the role's and playbook's templates/) with the task's variables and writes it to `dest` like copy: by checksum, atomically, with backup and validate. Trailing newlines are kept.",
    args: &[
        ArgSpec::new(
            "src",
            ArgType::Path,
            "The Jinja template on the controller.",
        )
        .required(),
        ArgSpec::new("dest", ArgType::Path, "Where on the target.").required(),
        ArgSpec::new("mode", ArgType::Mode, "Mode of the file."),
        ArgSpec::new("owner", ArgType::Str, "Owner."),
        ArgSpec::new("group", ArgType::Str, "Group."),
        ArgSpec::new(
            "backup",
            ArgType::Bool,
            "Keep the old file as dest.<pid>.<time>~.",
        )
        .default("no"),
        ArgSpec::new(
            "force",
            ArgType::Bool,
            "Replace a file whose content differs.",
        )
        .default("yes"),
        ArgSpec::new(
            "validate",
            ArgType::Str,
            "Command run on the new file (%s) before it replaces dest.",
        ),
        ArgSpec::new(
            "newline_sequence",
            ArgType::Str,
            "Line ending of the result.",
        )
        .choices(&["\\n", "\\r\\n", "\\r"])
        .default("\\n"),
        ArgSpec::new(
            "trim_blocks",
            ArgType::Bool,
            "Accepted (always on, as Ansible's default).",
        )
        .default("yes"),
        ArgSpec::new("lstrip_blocks", ArgType::Bool, "Accepted.").default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: renders, compares checksums, and with --diff shows the change.",
    returns: "dest, checksum (sha1), size, mode, backup_file",
    examples: "- template:\n    src: server.xml.j2\n    dest: /usr/local/hotdb/hotdb-server/conf/server.xml\n    backup: yes\n    validate: xmllint --noout %s",
};

#[async_trait]
impl Module for Template {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let Some(local) = h.find_file("templates", &src) else {
            return Ok(Outcome::failed(format!("Could not find or access '{src}'")));
        };
        let text = match std::fs::read_to_string(&local) {
            Ok(t) => t,
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "cannot read {}: {e}",
                    local.display()
                )));
            }
        };
        let mut rendered = match h.templar.render_file_text(&text, h.vars) {
            Ok(r) => r,
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "AnsibleError: template error while templating {src}: {}",
                    e.message
                )));
            }
        };
        match args.str("newline_sequence") {
            Some("\\r\\n") => rendered = rendered.replace('\n', "\r\n"),
            Some("\\r") => rendered = rendered.replace('\n', "\r"),
            _ => {}
        }
        let mut dest = args.string("dest").unwrap_or_default();
        if dest.ends_with('/') || query(h, &dest, false).await?.kind == "directory" {
            let base = local
                .file_name()
                .map(|n| n.to_string_lossy().trim_end_matches(".j2").to_string())
                .unwrap_or_default();
            dest = format!("{}/{base}", dest.trim_end_matches('/'));
        }
        let opts = WriteOptions {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            backup: args.bool("backup"),
            validate: args.str("validate"),
            force: args.bool("force"),
        };
        write_content(h, &dest, rendered.into_bytes(), &opts).await
    }
}
