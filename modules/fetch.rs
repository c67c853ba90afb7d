//! fetch: copy a file from the target to the controller.

use super::remote_file::{query, sha1_hex};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use std::path::PathBuf;

pub struct Fetch;

static DOC: ModuleDoc = ModuleDoc {
    name: "fetch",
    short: "Copy a file from the target to the controller",
    description: "Stores the target's `src` at `dest/<inventory_hostname>/<src>` on the controller (or `dest` itself with flat=yes; a dest ending in / then gets the file's name). Idempotent by checksum; the controller file is written under a temporary name and renamed.",
    args: &[
        ArgSpec::new("src", ArgType::Path, "The file on the target.").required(),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "Directory (or with flat, file) on the controller.",
        )
        .required(),
        ArgSpec::new(
            "flat",
            ArgType::Bool,
            "Do not add host and path below dest.",
        )
        .default("no"),
        ArgSpec::new(
            "fail_on_missing",
            ArgType::Bool,
            "Fail when src is missing.",
        )
        .default("yes"),
        ArgSpec::new(
            "validate_checksum",
            ArgType::Bool,
            "Check the copy's checksum.",
        )
        .default("yes"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: reports whether the controller copy would change, writes nothing.",
    returns: "dest, checksum, remote_checksum, file",
    examples: "- fetch: src=/usr/local/hotdb/hotdb-server/logs/hotdb.log dest=support/",
};

#[async_trait]
impl Module for Fetch {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let dest = args.string("dest").unwrap_or_default();
        let target: PathBuf = if args.bool("flat") {
            if dest.ends_with('/') {
                PathBuf::from(&dest).join(src.rsplit('/').next().unwrap_or_default())
            } else {
                PathBuf::from(&dest)
            }
        } else {
            PathBuf::from(&dest)
                .join(h.host)
                .join(src.trim_start_matches('/'))
        };
        let st = query(h, &src, false).await?;
        if !st.exists || st.kind != "file" {
            let msg = if st.exists {
                format!("remote file is a {}, fetch cannot work on it", st.kind)
            } else {
                format!("the remote file does not exist, not transferring, ignored: {src}")
            };
            return Ok(if args.bool("fail_on_missing") {
                Outcome::failed(msg)
            } else {
                Outcome::skipped(msg)
            }
            .with("file", src));
        }
        let data = h.conn.get_bytes(&src, h.become_.clone()).await?;
        let sum = sha1_hex(&data);
        let local = std::fs::read(&target).ok().map(|d| sha1_hex(&d));
        let mut o = Outcome::ok()
            .with("dest", target.display().to_string())
            .with("checksum", sum.clone())
            .with("remote_checksum", sum.clone())
            .with("file", src);
        if local.as_deref() == Some(sum.as_str()) {
            return Ok(o);
        }
        o.changed = true;
        if h.check_mode {
            return Ok(o);
        }
        let write = || -> std::io::Result<()> {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let tmp = target.with_extension(format!("hotplay-{}", std::process::id()));
            std::fs::write(&tmp, &data)?;
            std::fs::rename(&tmp, &target)
        };
        if let Err(e) = write() {
            return Ok(Outcome::failed(format!(
                "cannot write {}: {e}",
                target.display()
            )));
        }
        if args.bool("validate_checksum")
            && std::fs::read(&target).map(|d| sha1_hex(&d)).ok().as_deref() != Some(sum.as_str())
        {
            return Ok(Outcome::failed("checksum mismatch after the transfer"));
        }
        Ok(o)
    }
}
