//! stat: what a path on the target is.

use super::remote_file::query;
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Stat;

static DOC: ModuleDoc = ModuleDoc {
    name: "stat",
    short: "Facts about a path",
    description: "Returns `stat` with exists, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, mtime, checksum and lnk_target, in one round trip.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The path.")
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new(
            "get_checksum",
            ArgType::Bool,
            "Compute the checksum of files.",
        )
        .default("yes"),
        ArgSpec::new("checksum_algorithm", ArgType::Str, "Which checksum.")
            .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
            .default("sha1")
            .aliases(&["checksum", "checksum_algo"]),
        ArgSpec::new("follow", ArgType::Bool, "Follow symlinks.").default("no"),
        ArgSpec::new("get_mime", ArgType::Bool, "Accepted.").default("no"),
        ArgSpec::new("get_attributes", ArgType::Bool, "Accepted.").default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (reads only).",
    returns: "stat",
    examples: "- stat: path=/usr/local/hotdb/hotdb-server/ndbsql_bin\n  register: ndb\n- debug: msg=\"NDB is set up\"\n  when: ndb.stat.islnk is defined and ndb.stat.islnk",
};

#[async_trait]
impl Module for Stat {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let given = args.string("path").unwrap_or_default();
        let path = if args.bool("follow") {
            let out = h
                .run(format!("readlink -f -- {} || true", quote(&given)))
                .await?;
            let real = out.stdout_text().trim().to_string();
            if real.is_empty() { given.clone() } else { real }
        } else {
            given.clone()
        };
        let s = query(h, &path, false).await?;
        if !s.exists {
            return Ok(Outcome::ok().with("stat", json!({"exists": false})));
        }
        let mut st = json!({
            "exists": true,
            "path": given,
            "isdir": s.kind == "directory",
            "isreg": s.kind == "file",
            "islnk": s.kind == "link",
            "mode": format!("{:04o}", s.mode),
            "uid": s.uid,
            "gid": s.gid,
            "pw_name": s.owner,
            "gr_name": s.group,
            "size": s.size,
            "mtime": s.mtime,
            "readable": true,
        });
        if let Some(t) = &s.link_target {
            st["lnk_source"] = Value::String(t.clone());
            st["lnk_target"] = Value::String(t.clone());
        }
        if s.kind == "file" && args.bool("get_checksum") {
            let algo = args
                .string("checksum_algorithm")
                .unwrap_or_else(|| "sha1".into());
            let out = h.run(format!("{algo}sum -- {}", quote(&path))).await?;
            if out.rc == 0 {
                let sum = out
                    .stdout_text()
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                st["checksum"] = Value::String(sum);
            }
        }
        Ok(Outcome::ok().with("stat", st))
    }
}
