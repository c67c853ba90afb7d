//! fetch: copy a file of the target to the controller, by checksum: one round trip
//! decides, one brings the file.

use super::remote_file::{
    Algorithm, Kind, Probe, ReadError, md5_hex, query_with, read_file, sha1_hex,
};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;
use std::path::{Component, Path, PathBuf};

pub struct Fetch;

static DOC: ModuleDoc = ModuleDoc {
    name: "fetch",
    short: "Copy a file from the target to the controller",
    description: "Stores the target's `src` at `dest/<inventory_hostname>/<src>` on the controller, or with flat=yes at `dest` itself (a dest ending with / then gets the file's name). A relative dest is relative to the playbook's directory. Left alone when the sha1 already matches; otherwise the file is read in one round trip, written beside its final name and renamed into place. Links on the target are followed.",
    args: &[
        ArgSpec::new(
            "src",
            ArgType::Path,
            "The file on the target (not a directory).",
        )
        .required(),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "Directory on the controller (with flat, the file, or a directory ending with /).",
        )
        .required(),
        ArgSpec::new(
            "flat",
            ArgType::Bool,
            "Do not add the host name and src's path below dest.",
        )
        .default("no"),
        ArgSpec::new(
            "fail_on_missing",
            ArgType::Bool,
            "Fail when src is missing, unreadable or a directory; no: report it and go on.",
        )
        .default("yes"),
        ArgSpec::new(
            "validate_checksum",
            ArgType::Bool,
            "Check the copy's sha1 against the target's.",
        )
        .default("yes"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: compares checksums and reports whether the controller copy would change; writes nothing.",
    returns: "dest, file, checksum, remote_checksum, md5sum",
    examples: "- fetch: src=/usr/local/hotdb/hotdb-server/logs/hotdb.log dest=support/\n- fetch: src=/etc/hotdb.cnf dest=backup/{{ inventory_hostname }}.cnf flat=yes",
};

/// A path with `.` and `..` worked out, without looking at the disk.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn basename(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

/// Writes `data` to `target` under a temporary name in its directory, then renames it.
fn write_atomically(target: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}.hotplay-{}-{nanos}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[async_trait]
impl Module for Fetch {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let dest = args.string("dest").unwrap_or_default();
        let fail_on_missing = args.bool("fail_on_missing");

        // Where on the controller.
        let playbook_dir = h.search_paths.last().cloned().unwrap_or_default();
        let anchor = |d: &str| {
            let p = Path::new(d);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                playbook_dir.join(p)
            }
        };
        let (target, within) = if args.bool("flat") {
            let base = anchor(&dest);
            if base.is_dir() && !dest.ends_with('/') {
                return Ok(Outcome::failed(
                    "dest is an existing directory, use a trailing slash if you want to fetch src into that directory",
                ));
            }
            if dest.ends_with('/') {
                (base.join(basename(&src)), base)
            } else {
                (
                    base.clone(),
                    base.parent().map(Path::to_path_buf).unwrap_or_default(),
                )
            }
        } else {
            let host = h
                .vars
                .get_attr("inventory_hostname")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| h.host.to_string());
            let base = anchor(&dest);
            (base.join(&host).join(src.trim_start_matches('/')), base)
        };
        let target = normalize(&target);
        if !target.starts_with(normalize(&within)) {
            return Ok(Outcome::failed(format!(
                "Detected directory traversal, expected to be contained in '{}' but got '{}'",
                within.display(),
                target.display()
            )));
        }
        let dest_text = target.display().to_string();

        // Decide: the target's sha1 against the controller copy's.
        let probe = Probe {
            checksum: Some(Algorithm::Sha1),
            follow: true,
            content_up_to: None,
        };
        let st = query_with(h, &src, probe).await?;
        let problem = if !st.exists {
            Some("the remote file does not exist")
        } else if st.kind == Kind::Directory {
            Some("remote file is a directory, fetch cannot work on directories")
        } else if !st.readable {
            Some("no read permission on remote file")
        } else if st.checksum.is_none() {
            Some("unable to calculate the checksum of the remote file")
        } else {
            None
        };
        if let Some(msg) = problem {
            return Ok(missing(msg, &src, fail_on_missing));
        }
        let remote_sum = st.checksum.clone().unwrap_or_default();
        let local = std::fs::read(&target).ok();
        if let Some(bytes) = &local
            && sha1_hex(bytes) == remote_sum
        {
            return Ok(Outcome::ok()
                .with("md5sum", md5_hex(bytes))
                .with("file", src)
                .with("dest", dest_text)
                .with("checksum", remote_sum));
        }
        if h.check_mode {
            return Ok(Outcome::changed(true)
                .with("dest", dest_text)
                .with("file", src)
                .with("remote_checksum", remote_sum));
        }

        // Act: bring the file and put it in place.
        let data = match read_file(h, &src).await? {
            Ok(d) => d,
            Err(ReadError::Missing) => {
                return Ok(missing(
                    "the remote file does not exist",
                    &src,
                    fail_on_missing,
                ));
            }
            Err(ReadError::Directory) => {
                return Ok(missing(
                    "remote file is a directory, fetch cannot work on directories",
                    &src,
                    fail_on_missing,
                ));
            }
            Err(ReadError::Unreadable(why)) if why.contains("limited to") => {
                return Ok(Outcome::failed(format!("cannot fetch {src}: {why}")));
            }
            Err(ReadError::Unreadable(_)) => {
                return Ok(missing(
                    "no read permission on remote file",
                    &src,
                    fail_on_missing,
                ));
            }
        };
        let new_sum = sha1_hex(&data);
        if let Err(e) = write_atomically(&target, &data) {
            return Ok(
                Outcome::failed(format!("could not write {dest_text}: {e}")).with("file", src)
            );
        }
        let o = Outcome::changed(true)
            .with("md5sum", md5_hex(&data))
            .with("dest", dest_text)
            .with("remote_md5sum", Value::Null)
            .with("checksum", new_sum.clone())
            .with("remote_checksum", remote_sum.clone());
        if args.bool("validate_checksum") && new_sum != remote_sum {
            let mut f = o.with("file", src).msg("checksum mismatch");
            f.failed = true;
            f.changed = false;
            return Ok(f);
        }
        Ok(o)
    }
}

/// A src that cannot be fetched: a failure, or with fail_on_missing=no a note.
fn missing(msg: &str, src: &str, fail: bool) -> Outcome {
    if fail {
        Outcome::failed(msg).with("file", src)
    } else {
        Outcome::ok()
            .msg(format!("{msg}, not transferring, ignored"))
            .with("file", src)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, tree_digest};
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn fetches_per_host_or_flat_by_checksum() {
        let fx = Fixture::new();
        let src = fx.path("log.txt");
        std::fs::write(&src, "line\n").expect("write");
        let ctl = fx.search[0].clone();
        let args = json!({"src": src, "dest": "support"});
        let before = tree_digest(&ctl);
        let check = fx.run(&Fetch, args.clone(), true, false).await;
        assert!(check.changed && !check.failed, "{check:?}");
        assert_eq!(
            before,
            tree_digest(&ctl),
            "check mode wrote on the controller"
        );
        let o = fx.run(&Fetch, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        let nested = ctl.join("support/h1").join(src.trim_start_matches('/'));
        assert_eq!(std::fs::read_to_string(&nested).expect("fetched"), "line\n");
        assert_eq!(o.data["dest"], nested.display().to_string().as_str());
        assert_eq!(o.data["checksum"], sha1_hex(b"line\n"));
        assert!(!fx.run(&Fetch, args, false, false).await.changed);

        let flat = json!({"src": src, "dest": format!("{}/flat/", ctl.display()), "flat": true});
        assert!(fx.run(&Fetch, flat.clone(), false, false).await.changed);
        assert_eq!(
            std::fs::read_to_string(ctl.join("flat/log.txt")).expect("read"),
            "line\n"
        );
        assert!(!fx.run(&Fetch, flat, false, false).await.changed);
        let dir = fx
            .run(
                &Fetch,
                json!({"src": src, "dest": ctl.join("flat").display().to_string(), "flat": true}),
                false,
                false,
            )
            .await;
        assert!(
            dir.msg
                .as_deref()
                .unwrap_or("")
                .starts_with("dest is an existing directory")
        );
        std::fs::write(&src, "changed\n").expect("write");
        let named = json!({"src": src, "dest": "copy.txt", "flat": true});
        assert!(fx.run(&Fetch, named, false, false).await.changed);
        assert_eq!(
            std::fs::read_to_string(ctl.join("copy.txt")).expect("read"),
            "changed\n"
        );
    }

    #[tokio::test]
    async fn missing_sources_and_traversal() {
        let fx = Fixture::new();
        let none = fx.path("none");
        let o = fx
            .run(&Fetch, json!({"src": none, "dest": "x"}), false, false)
            .await;
        assert!(o.failed);
        assert_eq!(o.msg.as_deref(), Some("the remote file does not exist"));
        let o = fx
            .run(
                &Fetch,
                json!({"src": none, "dest": "x", "fail_on_missing": false}),
                false,
                false,
            )
            .await;
        assert!(!o.failed && !o.changed && !o.skipped);
        assert_eq!(
            o.msg.as_deref(),
            Some("the remote file does not exist, not transferring, ignored")
        );
        let d = fx
            .run(
                &Fetch,
                json!({"src": fx.target().display().to_string(), "dest": "x"}),
                false,
                false,
            )
            .await;
        assert_eq!(
            d.msg.as_deref(),
            Some("remote file is a directory, fetch cannot work on directories")
        );
        let t = fx
            .run(
                &Fetch,
                json!({"src": "../../../etc/passwd", "dest": "x"}),
                false,
                false,
            )
            .await;
        assert!(
            t.msg
                .as_deref()
                .unwrap_or("")
                .starts_with("Detected directory traversal"),
            "{t:?}"
        );
    }
}
