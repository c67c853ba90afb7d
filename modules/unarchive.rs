//! unarchive: unpack a tar or zip archive on the target.

use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct Unarchive;

static DOC: ModuleDoc = ModuleDoc {
    name: "unarchive",
    short: "Unpack an archive",
    description: "Unpacks a tar (plain, gz, bz2, xz: the target's GNU tar detects the compression) or zip archive into `dest`, which must exist. `src` is on the controller (streamed to a private temporary directory on the target, never held in memory) unless remote_src=yes. Idempotence: with `creates`, nothing happens when that path exists; otherwise the archive is unpacked only when one of its files is missing from dest or has another size.",
    args: &[
        ArgSpec::new("src", ArgType::Path, "The archive.").required(),
        ArgSpec::new("dest", ArgType::Path, "An existing directory.").required(),
        ArgSpec::new("remote_src", ArgType::Bool, "src is already on the target.").default("no"),
        ArgSpec::new("creates", ArgType::Path, "Skip when this path exists."),
        ArgSpec::new(
            "list_files",
            ArgType::Bool,
            "Return the archive's entries as `files`.",
        )
        .default("no"),
        ArgSpec::new(
            "extra_opts",
            ArgType::List,
            "More options for tar or unzip.",
        ),
        ArgSpec::new("owner", ArgType::Str, "Owner of the unpacked files."),
        ArgSpec::new("group", ArgType::Str, "Group of the unpacked files."),
        ArgSpec::new(
            "mode",
            ArgType::Mode,
            "Mode of the unpacked files (applied recursively).",
        ),
        ArgSpec::new(
            "keep_newer",
            ArgType::Bool,
            "Do not replace files newer than the archive's.",
        )
        .default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: compares the archive's listing with dest and reports whether it would unpack.",
    returns: "dest, src, files (with list_files), extract_results",
    examples: "- unarchive:\n    src: hotdb-server-2.5.6-ga-20200601.tar.gz\n    dest: /usr/local/hotdb\n    creates: /usr/local/hotdb/hotdb-server/bin",
};

fn is_zip(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

#[async_trait]
impl Module for Unarchive {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let dest = args.string("dest").unwrap_or_default();
        let d = quote(&dest);
        if let Some(c) = args.str("creates") {
            let out = h.run(format!("[ -e {} ]", quote(c))).await?;
            if out.rc == 0 {
                return Ok(Outcome::skipped(format!("skipped, since {c} exists"))
                    .with("dest", dest.clone()));
            }
        }
        let dir_ok = h.run(format!("[ -d {d} ]")).await?;
        if dir_ok.rc != 0 {
            return Ok(Outcome::failed(format!(
                "dest '{dest}' must be an existing dir"
            )));
        }
        // The archive on the target: given, or uploaded into a private temp dir.
        let (archive, tmpdir) = if args.bool("remote_src") {
            (src.clone(), None)
        } else {
            let Some(local) = h.find_file("files", &src) else {
                return Ok(Outcome::failed(format!(
                    "Could not find or access '{src}' on the Ansible Controller."
                )));
            };
            let mk = h.run("mktemp -d").await?;
            let tmp = mk.stdout_text().trim().to_string();
            if mk.rc != 0 || tmp.is_empty() {
                return Ok(Outcome::failed(format!(
                    "cannot make a temporary directory: {}",
                    mk.stderr_text().trim()
                )));
            }
            let name = local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "archive".into());
            let remote = format!("{tmp}/{name}");
            h.conn
                .put(&local, &remote, Some(0o600), h.become_.clone())
                .await?;
            (remote, Some(tmp))
        };
        let result = unpack(h, args, &archive, &dest).await;
        if let Some(t) = tmpdir {
            let _ = h.run(format!("rm -rf -- {}", quote(&t))).await;
        }
        result
    }
}

async fn unpack(
    h: &Handle<'_>,
    args: &Args,
    archive: &str,
    dest: &str,
) -> Result<Outcome, ConnError> {
    let (a, d) = (quote(archive), quote(dest));
    let zip = is_zip(archive);
    let extra: String = args
        .str_list("extra_opts")
        .iter()
        .map(|o| format!(" {}", quote(o)))
        .collect();
    if zip {
        let probe = h.run("command -v unzip >/dev/null").await?;
        if probe.rc != 0 {
            return Ok(Outcome::failed(
                "Unable to find required 'unzip' binary on the target to unpack a zip archive",
            ));
        }
    }
    // One round trip: list the archive and say whether dest already matches it.
    let list = if zip {
        format!("unzip -Z1 {a}")
    } else {
        format!("tar -tf {a}")
    };
    let compare = if zip {
        format!(
            "unzip -Z1 {a} | while IFS= read -r f; do [ -e {d}/\"$f\" ] || {{ echo MISSING; break; }}; done"
        )
    } else {
        format!(
            "tar -tvf {a} | while read -r perm owner size date time name; do case \"$perm\" in -*) s=$(stat -c %s -- {d}/\"$name\" 2>/dev/null); [ \"$s\" = \"$size\" ] || {{ echo MISSING; break; }};; esac; done"
        )
    };
    let out = h
        .run(format!(
            "{list} > /dev/null || exit 3; {list}; echo __HOTPLAY_END__; {compare}"
        ))
        .await?;
    if out.rc != 0 {
        return Ok(Outcome::failed(format!(
            "Failed to read {archive} as an archive: {}",
            out.stderr_text().trim()
        )));
    }
    let text = out.stdout_text();
    let (listing, verdict) = text
        .split_once("__HOTPLAY_END__\n")
        .unwrap_or((text.as_str(), ""));
    let files: Vec<Value> = listing
        .lines()
        .map(|l| Value::String(l.to_string()))
        .collect();
    let needed = verdict.contains("MISSING");
    let mut o = Outcome::changed(needed)
        .with("dest", dest)
        .with("src", archive);
    if args.bool("list_files") {
        o = o.with("files", files);
    }
    if needed && !h.check_mode {
        let keep = if args.bool("keep_newer") {
            " --keep-newer-files"
        } else {
            ""
        };
        let cmd = if zip {
            format!("unzip -o{extra} {a} -d {d}")
        } else {
            format!("tar -xf {a} -C {d}{keep}{extra}")
        };
        let run = h.run(cmd.clone()).await?;
        if run.rc != 0 {
            return Ok(Outcome::failed(format!(
                "failed to unpack {archive} into {dest}: {}",
                run.stderr_text().trim()
            ))
            .with("cmd", cmd));
        }
        o = o.with(
            "extract_results",
            serde_json::json!({"cmd": cmd, "rc": run.rc}),
        );
    }
    if !h.check_mode && (args.has("owner") || args.has("group") || args.has("mode")) {
        // Attributes go on what the archive holds, top-level entries included.
        let tops: std::collections::BTreeSet<String> = listing
            .lines()
            .filter_map(|l| {
                l.trim_start_matches("./")
                    .split('/')
                    .next()
                    .map(str::to_string)
            })
            .filter(|s| !s.is_empty())
            .collect();
        let mut cmds = Vec::new();
        for t in tops {
            let p = quote(&format!("{dest}/{t}"));
            if let Some(owner) = args.str("owner") {
                cmds.push(format!("chown -R {} -- {p}", quote(owner)));
            }
            if let Some(group) = args.str("group") {
                cmds.push(format!("chgrp -R {} -- {p}", quote(group)));
            }
            if let Some(m) = args.get("mode") {
                let mode = match m {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => format!("{:o}", n.as_u64().unwrap_or(0)),
                    _ => continue,
                };
                cmds.push(format!("chmod -R {} -- {p}", quote(&mode)));
            }
        }
        if !cmds.is_empty() {
            let r = h.run(cmds.join(" && ")).await?;
            if r.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "cannot set attributes: {}",
                    r.stderr_text().trim()
                )));
            }
        }
    }
    Ok(o)
}
