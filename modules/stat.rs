//! stat: what a path on the target is, in Ansible's words, in one round trip.

use super::remote_file::{Algorithm, FileState, Kind, Probe, query_with};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct Stat;

static DOC: ModuleDoc = ModuleDoc {
    name: "stat",
    short: "Facts about a path",
    description: "Returns `stat`: exists, path, mode (\"0644\"), isdir, isreg, islnk, ischr, isblk, isfifo, issock, uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime, the permission bits (rusr, wusr, xusr, ... isuid, isgid), readable, writeable, executable (for the user the task runs as), lnk_target and lnk_source for links, and checksum for regular files. One round trip.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The path.")
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new(
            "follow",
            ArgType::Bool,
            "Describe what a symlink points to rather than the link.",
        )
        .default("no"),
        ArgSpec::new(
            "get_checksum",
            ArgType::Bool,
            "Compute the checksum of a regular file.",
        )
        .default("yes"),
        ArgSpec::new("checksum_algorithm", ArgType::Str, "Which checksum.")
            .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
            .default("sha1")
            .aliases(&["checksum", "checksum_algo"]),
        ArgSpec::new(
            "get_mime",
            ArgType::Bool,
            "Accepted; no mimetype is returned (the target needs no `file` command).",
        )
        .default("no")
        .aliases(&["mime", "mime_type", "mime-type"]),
        ArgSpec::new(
            "get_attributes",
            ArgType::Bool,
            "Accepted; no lsattr attributes are returned.",
        )
        .default("no")
        .aliases(&["attr", "attributes"]),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (reads only).",
    returns: "stat",
    examples: "- stat: path=/usr/local/hotdb/hotdb-server/ndbsql_bin\n  register: ndb\n- debug: msg=\"NDB is set up\"\n  when: ndb.stat.islnk is defined and ndb.stat.islnk",
};

/// The `stat` dictionary of an existing path, with Ansible's keys.
fn stat_dict(path: &str, s: &FileState) -> Map<String, Value> {
    let ftype = s.raw_mode & 0o170_000;
    let bit = |b: u32| Value::Bool(s.mode & b != 0);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("exists", Value::Bool(true));
    put("path", Value::from(path));
    put("mode", Value::from(format!("{:04o}", s.mode)));
    put("isdir", Value::Bool(s.kind == Kind::Directory));
    put("ischr", Value::Bool(ftype == 0o020_000));
    put("isblk", Value::Bool(ftype == 0o060_000));
    put("isreg", Value::Bool(s.kind == Kind::File));
    put("isfifo", Value::Bool(ftype == 0o010_000));
    put("islnk", Value::Bool(s.kind == Kind::Link));
    put("issock", Value::Bool(ftype == 0o140_000));
    put("uid", Value::from(s.uid));
    put("gid", Value::from(s.gid));
    put("size", Value::from(s.size));
    put("inode", Value::from(s.inode));
    put("dev", Value::from(s.dev));
    put("nlink", Value::from(s.nlink));
    put("atime", Value::from(s.atime));
    put("mtime", Value::from(s.mtime));
    put("ctime", Value::from(s.ctime));
    put("wusr", bit(0o200));
    put("rusr", bit(0o400));
    put("xusr", bit(0o100));
    put("wgrp", bit(0o020));
    put("rgrp", bit(0o040));
    put("xgrp", bit(0o010));
    put("woth", bit(0o002));
    put("roth", bit(0o004));
    put("xoth", bit(0o001));
    put("isuid", bit(0o4000));
    put("isgid", bit(0o2000));
    put("pw_name", Value::from(s.owner.clone()));
    put("gr_name", Value::from(s.group.clone()));
    put("readable", Value::Bool(s.readable));
    put("writeable", Value::Bool(s.writeable));
    put("executable", Value::Bool(s.executable));
    if s.kind == Kind::Link {
        put(
            "lnk_source",
            Value::from(s.link_source.clone().unwrap_or_default()),
        );
        put(
            "lnk_target",
            Value::from(s.link_target.clone().unwrap_or_default()),
        );
    }
    m
}

#[async_trait]
impl Module for Stat {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let path = args.string("path").unwrap_or_default();
        let algorithm = args
            .str("checksum_algorithm")
            .and_then(Algorithm::from_name)
            .unwrap_or(Algorithm::Sha1);
        let probe = Probe {
            checksum: args.bool("get_checksum").then_some(algorithm),
            follow: args.bool("follow"),
            content_up_to: None,
        };
        let s = query_with(h, &path, probe).await?;
        if !s.exists {
            let mut m = Map::new();
            m.insert("exists".into(), Value::Bool(false));
            return Ok(Outcome::ok().with("stat", Value::Object(m)));
        }
        let mut st = stat_dict(&path, &s);
        if s.kind == Kind::File
            && let Some(c) = &s.checksum
        {
            st.insert("checksum".into(), Value::from(c.clone()));
        }
        Ok(Outcome::ok().with("stat", Value::Object(st)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn files_links_directories_and_absence() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "abc").expect("write");
        std::os::unix::fs::symlink(fx.path("f"), fx.path("l")).expect("symlink");
        let f = fx
            .run(&Stat, json!({"path": fx.path("f")}), false, false)
            .await;
        let st = &f.data["stat"];
        assert_eq!(st["exists"], true);
        assert_eq!(st["isreg"], true);
        assert_eq!(st["size"], 3);
        assert_eq!(st["checksum"], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(st["path"], fx.path("f").as_str());
        assert!(st["mode"].as_str().is_some_and(|m| m.len() == 4), "{st}");
        assert_eq!(st["readable"], true);
        let sha = fx
            .run(
                &Stat,
                json!({"path": fx.path("f"), "checksum_algorithm": "sha256"}),
                false,
                false,
            )
            .await;
        assert_eq!(
            sha.data["stat"]["checksum"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let none = fx
            .run(
                &Stat,
                json!({"path": fx.path("f"), "get_checksum": false}),
                false,
                false,
            )
            .await;
        assert!(none.data["stat"].get("checksum").is_none());
        let l = fx
            .run(&Stat, json!({"path": fx.path("l")}), false, false)
            .await;
        let st = &l.data["stat"];
        assert_eq!(st["islnk"], true);
        assert_eq!(st["isreg"], false);
        assert_eq!(st["lnk_target"], fx.path("f").as_str());
        assert_eq!(st["lnk_source"], fx.path("f").as_str());
        assert!(st.get("checksum").is_none());
        let followed = fx
            .run(
                &Stat,
                json!({"path": fx.path("l"), "follow": true}),
                false,
                false,
            )
            .await;
        assert_eq!(followed.data["stat"]["isreg"], true);
        assert_eq!(followed.data["stat"]["islnk"], false);
        assert_eq!(followed.data["stat"]["path"], fx.path("l").as_str());
        let d = fx
            .run(
                &Stat,
                json!({"path": fx.target().display().to_string()}),
                false,
                false,
            )
            .await;
        assert_eq!(d.data["stat"]["isdir"], true);
        let n = fx
            .run(&Stat, json!({"path": fx.path("none")}), false, false)
            .await;
        assert_eq!(n.data["stat"], json!({"exists": false}));
        assert!(!n.changed && !n.failed);
    }
}
