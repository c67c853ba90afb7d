//! copy: put a controller file (or literal content) on the target.

use super::remote_file::{WriteOptions, query, write_content};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use std::path::{Path, PathBuf};

pub struct Copy;

static DOC: ModuleDoc = ModuleDoc {
    name: "copy",
    short: "Copy files to the target",
    description: "Copies `src` (a controller file or directory, searched in the role's and playbook's files/) or writes `content` to `dest`. Idempotent by sha256: an identical file is left alone. The new file is written under a temporary name in the same directory and renamed into place.",
    args: &[
        ArgSpec::new(
            "src",
            ArgType::Path,
            "A controller file or directory (with a trailing / only its contents).",
        ),
        ArgSpec::new("content", ArgType::Raw, "Literal content instead of src."),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "Where on the target; a directory means dest/<basename of src>.",
        )
        .required(),
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
        ArgSpec::new("remote_src", ArgType::Bool, "src is on the target.").default("no"),
        ArgSpec::new(
            "directory_mode",
            ArgType::Mode,
            "Mode of directories created for a directory copy.",
        ),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: compares checksums and reports whether it would copy.",
    returns: "dest, checksum (sha1), size, mode, backup_file",
    examples: "- copy: src=hotdb-server-2.5.6-ga-20200601.tar.gz dest=/usr/local/hotdb/\n- copy:\n    content: \"port=3330\\n\"\n    dest: /usr/local/hotdb/hotdb-listener/conf/config.properties\n    backup: yes",
};

fn content_bytes(v: &serde_json::Value) -> Vec<u8> {
    match v {
        serde_json::Value::String(s) => s.as_bytes().to_vec(),
        other => crate::plan::template::pyjson::pretty(other).into_bytes(),
    }
}

#[async_trait]
impl Module for Copy {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let dest = args.string("dest").unwrap_or_default();
        let opts = WriteOptions {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            backup: args.bool("backup"),
            validate: args.str("validate"),
            force: args.bool("force"),
        };
        if let Some(c) = args.get("content") {
            if args.has("src") {
                return Ok(Outcome::failed("src and content are mutually exclusive"));
            }
            return write_content(h, &dest, content_bytes(c), &opts).await;
        }
        let Some(src) = args.string("src") else {
            return Ok(Outcome::failed("src (or content) is required"));
        };
        if args.bool("remote_src") {
            return remote_copy(h, &src, &dest).await;
        }
        let Some(local) = h.find_file("files", &src) else {
            return Ok(Outcome::failed(format!(
                "Could not find or access '{src}' on the Ansible Controller."
            )));
        };
        if local.is_dir() {
            return copy_dir(h, &local, &src, &dest, &opts).await;
        }
        let target = resolve_dest(h, &dest, &local).await?;
        let data = match std::fs::read(&local) {
            Ok(d) => d,
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "cannot read {}: {e}",
                    local.display()
                )));
            }
        };
        write_content(h, &target, data, &opts).await
    }
}

/// A directory dest (or one ending in /) receives dest/<basename>.
async fn resolve_dest(h: &Handle<'_>, dest: &str, local: &Path) -> Result<String, ConnError> {
    let base = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dest.ends_with('/') {
        return Ok(format!("{dest}{base}"));
    }
    let st = query(h, dest, false).await?;
    Ok(if st.kind == "directory" {
        format!("{}/{base}", dest.trim_end_matches('/'))
    } else {
        dest.to_string()
    })
}

async fn copy_dir(
    h: &Handle<'_>,
    local: &Path,
    src: &str,
    dest: &str,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    // `src/` copies the contents; `src` copies the directory itself.
    let root = if src.ends_with('/') {
        dest.trim_end_matches('/').to_string()
    } else {
        format!(
            "{}/{}",
            dest.trim_end_matches('/'),
            local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        )
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    walk(local, &mut files, &mut dirs);
    let mut changed = false;
    for d in std::iter::once(local.to_path_buf()).chain(dirs) {
        let rel = d.strip_prefix(local).unwrap_or(&d).display().to_string();
        let target = if rel.is_empty() {
            root.clone()
        } else {
            format!("{root}/{rel}")
        };
        let st = query(h, &target, false).await?;
        if !st.exists {
            changed = true;
            if !h.check_mode {
                let out = h.run(format!("mkdir -p -- {}", quote(&target))).await?;
                if out.rc != 0 {
                    return Ok(Outcome::failed(format!(
                        "cannot create {target}: {}",
                        out.stderr_text().trim()
                    )));
                }
            }
        }
    }
    for f in files {
        let rel = f.strip_prefix(local).unwrap_or(&f).display().to_string();
        let data = match std::fs::read(&f) {
            Ok(d) => d,
            Err(e) => return Ok(Outcome::failed(format!("cannot read {}: {e}", f.display()))),
        };
        let o = write_content(h, &format!("{root}/{rel}"), data, opts).await?;
        if o.failed {
            return Ok(o);
        }
        changed |= o.changed;
    }
    Ok(Outcome::changed(changed).with("dest", root))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            dirs.push(p.clone());
            walk(&p, files, dirs);
        } else {
            files.push(p);
        }
    }
}

async fn remote_copy(h: &Handle<'_>, src: &str, dest: &str) -> Result<Outcome, ConnError> {
    let s = query(h, src, true).await?;
    if !s.exists {
        return Ok(Outcome::failed(format!("Source {src} not found")));
    }
    let d = query(h, dest, true).await?;
    if s.kind == "file" && d.sha256.is_some() && d.sha256 == s.sha256 {
        return Ok(Outcome::ok().with("dest", dest));
    }
    if !h.check_mode {
        let out = h
            .run(format!("cp -a -- {} {}", quote(src), quote(dest)))
            .await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "cannot copy {src} to {dest}: {}",
                out.stderr_text().trim()
            )));
        }
    }
    Ok(Outcome::changed(true).with("dest", dest))
}
