//! copy: put a controller file, a controller directory or literal content on the
//! target. Idempotent by sha256: one round trip decides, one writes.

use super::remote_file::{
    Algorithm, FileState, Kind, MAX_DIFF_BYTES, NewContent, Probe, WriteOptions, parse_mode_umask,
    query_many, write_decided,
};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Copy;

static DOC: ModuleDoc = ModuleDoc {
    name: "copy",
    short: "Copy files to the target",
    description: "Copies `src` (a controller file or directory, searched in the role's and the playbook's files/) or writes `content` to `dest`. A file whose sha256 already matches is left alone (only its attributes are set). The new file is written under a temporary name beside dest, checked, given its mode and owner, validated, and renamed into place, all in one round trip. A dest that is a directory, or ends with /, receives dest/<basename of src>. A directory src is copied recursively: `dir` makes dest/dir, `dir/` copies what is inside into dest.",
    args: &[
        ArgSpec::new(
            "src",
            ArgType::Path,
            "A controller file or directory; with remote_src, a path on the target.",
        ),
        ArgSpec::new(
            "content",
            ArgType::Raw,
            "Literal content instead of src (a mapping or list is written as JSON).",
        ),
        ArgSpec::new(
            "dest",
            ArgType::Path,
            "Where on the target; a directory (or a path ending with /) means dest/<basename of src>.",
        )
        .required(),
        ArgSpec::new(
            "mode",
            ArgType::Mode,
            "Mode of the file: octal (\"0644\"), symbolic (\"u=rw,g=r\"), or `preserve` (the source's).",
        ),
        ArgSpec::new(
            "directory_mode",
            ArgType::Mode,
            "Mode of directories a directory copy creates.",
        ),
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
            "Replace a file whose content differs; no: only create missing files.",
        )
        .default("yes")
        .aliases(&["thirsty"]),
        ArgSpec::new(
            "validate",
            ArgType::Str,
            "Command run on the new file (%s) before it replaces dest; a failure keeps the old file.",
        ),
        ArgSpec::new(
            "remote_src",
            ArgType::Bool,
            "src is a path on the target.",
        )
        .default("no"),
        ArgSpec::new(
            "follow",
            ArgType::Bool,
            "When dest is a symlink, write the file it points to (else the link is replaced).",
        )
        .default("no"),
        ArgSpec::new(
            "local_follow",
            ArgType::Bool,
            "Follow symlinks in src on the controller (always done).",
        )
        .default("yes"),
        ArgSpec::new(
            "checksum",
            ArgType::Str,
            "The expected sha1 of src; a mismatch fails before anything is copied.",
        ),
        ArgSpec::new(
            "decrypt",
            ArgType::Bool,
            "Accepted for compatibility (there is no vault).",
        )
        .default("yes"),
        ArgSpec::new(
            "unsafe_writes",
            ArgType::Bool,
            "Accepted for compatibility (writes are always atomic).",
        )
        .default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: compares checksums (one round trip), reports whether it would copy, and with --diff shows the change.",
    returns: "dest, src, checksum (sha1), md5sum, size, mode, owner, group, uid, gid, state, backup_file",
    examples: "- copy: src=hotdb-server-2.5.6-ga-20200601.tar.gz dest=/usr/local/hotdb/\n- copy:\n    content: \"port=3330\\n\"\n    dest: /usr/local/hotdb/hotdb-listener/conf/config.properties\n    backup: yes\n    mode: \"0640\"\n- copy: src=conf/ dest=/usr/local/hotdb/hotdb-server/conf directory_mode=0755",
};

/// `content` as Ansible writes it: text as is, a mapping or list as json.dumps does.
fn content_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Bool(b) => if *b { "True" } else { "False" }.as_bytes().to_vec(),
        Value::Number(n) => n.to_string().into_bytes(),
        other => python_dumps(other).into_bytes(),
    }
}

/// Python's `json.dumps` with its defaults: keys in order, `, ` and `: `, ASCII only.
fn python_dumps(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_dumps).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{}: {}", ascii_json(k), python_dumps(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => ascii_json(s),
        other => other.to_string(),
    }
}

fn ascii_json(s: &str) -> String {
    let mut out = String::new();
    for c in Value::String(s.to_string()).to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn basename(p: &str) -> String {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// The probe of a dest: its checksum through links (and content for --diff).
fn dest_probe(h: &Handle<'_>) -> Probe {
    Probe {
        checksum: Some(Algorithm::Sha256),
        follow: true,
        content_up_to: h.diff.then_some(MAX_DIFF_BYTES),
    }
}

#[async_trait]
impl Module for Copy {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let dest = args.string("dest").unwrap_or_default();
        let mut opts = WriteOptions {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            backup: args.bool("backup"),
            validate: args.str("validate"),
            force: args.bool("force"),
            follow: args.bool("follow"),
            directory_mode: args.get("directory_mode"),
            ..Default::default()
        };
        if let Some(v) = opts.validate
            && !v.contains("%s")
        {
            return Ok(Outcome::failed(format!("validate must contain %s: {v}")));
        }
        let preserve = opts.mode.and_then(Value::as_str) == Some("preserve");
        if let Some(c) = args.get("content") {
            if args.has("src") {
                return Ok(Outcome::failed("src and content are mutually exclusive"));
            }
            if dest.ends_with('/') {
                return Ok(Outcome::failed("can not use content with a dir as dest"));
            }
            if preserve {
                opts.mode = None;
            }
            let content = NewContent::bytes(content_bytes(c));
            return put(h, &dest, None, &content, &opts).await;
        }
        let Some(src) = args.string("src") else {
            return Ok(Outcome::failed("src (or content) is required"));
        };
        if args.bool("remote_src") {
            return remote_copy(h, &src, &dest, &opts, args).await;
        }
        let Some(local) = h.find_file("files", &src) else {
            return Ok(Outcome::failed(format!(
                "Could not find or access '{src}' on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option"
            )));
        };
        if local.is_dir() {
            return copy_dir(h, &local, &src, &dest, &opts, preserve).await;
        }
        let content = match NewContent::controller_file(&local) {
            Ok(c) => c,
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "could not read {}: {e}",
                    local.display()
                )));
            }
        };
        if let Some(want) = args.str("checksum")
            && content.sha1.as_deref() != Some(want)
        {
            return Ok(Outcome::failed(
                "Copied file does not match the expected checksum. Transfer failed.",
            )
            .with("checksum", content.sha1.clone().unwrap_or_default())
            .with("expected_checksum", want));
        }
        let mode_value;
        if preserve {
            mode_value = local_mode(&local).map(Value::from);
            opts.mode = mode_value.as_ref();
        }
        let base = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        opts.diff_headers = Some((
            format!("before: {}", dest),
            format!("after: {}", local.display()),
        ));
        let mut o = put(h, &dest, Some(&base), &content, &opts).await?;
        if !o.failed {
            o = o.with("src", local.display().to_string());
        }
        Ok(o)
    }
}

fn local_mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

/// Writes one file to `dest`, or to dest/<base> when dest is a directory or ends
/// with /: one round trip looks at both candidates, one writes.
async fn put(
    h: &Handle<'_>,
    dest: &str,
    base: Option<&str>,
    content: &NewContent,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    let probe = dest_probe(h);
    if let Some(b) = base
        && dest.ends_with('/')
    {
        let target = join(dest, b);
        let state = query_many(h, &[(target.as_str(), probe)]).await?.remove(0);
        let opts = WriteOptions {
            make_parent: true,
            diff_headers: opts.diff_headers.clone(),
            ..*opts
        };
        return write_decided(h, &target, &state, content, &opts).await;
    }
    let inside = base.map(|b| join(dest, b));
    let mut list = vec![(dest, probe)];
    if let Some(i) = &inside {
        list.push((i.as_str(), probe));
    }
    let mut states = query_many(h, &list).await?;
    match (&inside, states[0].kind) {
        (Some(i), Kind::Directory) if states[0].exists => {
            write_decided(h, i, &states[1], content, opts).await
        }
        _ => {
            let state = states.swap_remove(0);
            write_decided(h, dest, &state, content, opts).await
        }
    }
}

/// A controller directory, recursively: one round trip looks at every target path,
/// one makes the missing directories, then one per file that differs.
async fn copy_dir(
    h: &Handle<'_>,
    local: &Path,
    src: &str,
    dest: &str,
    opts: &WriteOptions<'_>,
    preserve: bool,
) -> Result<Outcome, ConnError> {
    // `src/` copies the contents; `src` copies the directory itself.
    let root = if src.ends_with('/') {
        dest.trim_end_matches('/').to_string()
    } else {
        join(dest, &basename(&local.display().to_string()))
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![local.to_path_buf()];
    walk(local, &mut files, &mut dirs);
    let remote = |p: &Path| {
        let rel = p.strip_prefix(local).unwrap_or(p).display().to_string();
        if rel.is_empty() {
            root.clone()
        } else {
            join(&root, &rel)
        }
    };
    let dir_paths: Vec<String> = dirs.iter().map(|d| remote(d)).collect();
    let file_paths: Vec<String> = files.iter().map(|f| remote(f)).collect();
    let probe = dest_probe(h);
    let list: Vec<(&str, Probe)> = dir_paths
        .iter()
        .map(|d| (d.as_str(), Probe::default()))
        .chain(file_paths.iter().map(|f| (f.as_str(), probe)))
        .collect();
    let states = query_many(h, &list).await?;
    let (dir_states, file_states) = states.split_at(dir_paths.len());
    let mut changed = false;
    let mut o = Outcome::ok();

    let missing: Vec<&String> = dir_paths
        .iter()
        .zip(dir_states)
        .filter(|(_, s)| !s.exists)
        .map(|(d, _)| d)
        .collect();
    if let Some((d, s)) = dir_paths
        .iter()
        .zip(dir_states)
        .find(|(_, s)| s.exists && s.kind != Kind::Directory)
    {
        return Ok(Outcome::failed(format!(
            "Cannot copy a directory over {d}: it exists as a {}",
            s.state_word()
        )));
    }
    if !missing.is_empty() {
        changed = true;
        let like = dir_states.first().cloned().unwrap_or_default();
        if !h.check_mode {
            let mode = match opts
                .directory_mode
                .map(|m| parse_mode_umask(m, Some(like.new_dir_mode()), true, like.umask))
                .transpose()
            {
                Ok(m) => m,
                Err(e) => return Ok(Outcome::failed(e)),
            };
            let m = mode.map(|m| format!("-m 0{m:04o} ")).unwrap_or_default();
            let words: Vec<String> = missing.iter().map(|d| quote(d)).collect();
            let out = h.run(format!("mkdir -p {m}-- {}", words.join(" "))).await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "could not create directories under {root}: {}",
                    out.stderr_text().trim()
                )));
            }
        }
    }
    for ((local_file, target), state) in files.iter().zip(&file_paths).zip(file_states) {
        let content = match NewContent::controller_file(local_file) {
            Ok(c) => c,
            Err(e) => {
                return Ok(Outcome::failed(format!(
                    "could not read {}: {e}",
                    local_file.display()
                )));
            }
        };
        let mode_value;
        let mut fopts = WriteOptions {
            diff_headers: Some((
                format!("before: {target}"),
                format!("after: {}", local_file.display()),
            )),
            // Its directory was made above (or would be, in check mode).
            make_parent: true,
            ..*opts
        };
        if preserve {
            mode_value = local_mode(local_file).map(Value::from);
            fopts.mode = mode_value.as_ref();
        }
        // A directory made in this run holds nothing yet.
        let state = if state.parent_exists {
            state.clone()
        } else {
            FileState {
                parent_exists: true,
                ..state.clone()
            }
        };
        let r = write_decided(h, target, &state, &content, &fopts).await?;
        if r.failed {
            return Ok(r);
        }
        changed |= r.changed;
        o.diff.extend(r.diff);
    }
    o.changed = changed;
    Ok(o.with("dest", root)
        .with("src", local.display().to_string()))
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

/// `remote_src`: a file on the target (compared by sha256, copied through a temporary
/// file) or a directory (copied with `cp -R` when anything in it differs).
async fn remote_copy(
    h: &Handle<'_>,
    src: &str,
    dest: &str,
    opts: &WriteOptions<'_>,
    args: &Args,
) -> Result<Outcome, ConnError> {
    let base = basename(src);
    let inside = join(dest, &base);
    let probe = dest_probe(h);
    let src_probe = Probe {
        checksum: Some(Algorithm::Sha256),
        follow: true,
        content_up_to: probe.content_up_to,
    };
    let states = query_many(
        h,
        &[(src, src_probe), (dest, probe), (inside.as_str(), probe)],
    )
    .await?;
    let s = &states[0];
    if !s.exists {
        return Ok(Outcome::failed(format!("Source {src} not found")));
    }
    if !s.readable {
        return Ok(Outcome::failed(format!("Source {src} not readable")));
    }
    if s.kind == Kind::Directory {
        return remote_dir(h, src, dest, &states[1], opts).await;
    }
    let (target, state) =
        if dest.ends_with('/') || (states[1].exists && states[1].kind == Kind::Directory) {
            (inside.clone(), &states[2])
        } else {
            (dest.to_string(), &states[1])
        };
    let Some(sum) = s.sha256.clone() else {
        return Ok(Outcome::failed(format!(
            "Source {src} is not a regular file"
        )));
    };
    let mut content = NewContent::remote(src, sum, s.size);
    content.preview = s.content.clone();
    let mode_value;
    let mut wopts = WriteOptions {
        diff_headers: Some((format!("before: {target}"), format!("after: {src}"))),
        make_parent: dest.ends_with('/'),
        ..*opts
    };
    if args.get("mode").and_then(Value::as_str) == Some("preserve") {
        mode_value = Some(Value::from(s.mode));
        wopts.mode = mode_value.as_ref();
    }
    let o = write_decided(h, &target, state, &content, &wopts).await?;
    Ok(if o.failed { o } else { o.with("src", src) })
}

async fn remote_dir(
    h: &Handle<'_>,
    src: &str,
    dest: &str,
    dest_state: &FileState,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    let root = if src.ends_with('/') {
        dest.trim_end_matches('/').to_string()
    } else {
        join(dest, &basename(src))
    };
    let (s, r) = (quote(src.trim_end_matches('/')), quote(&root));
    // Every file and directory of src, and whether root has it with the same content.
    let probe = format!(
        "cd {s} || exit 1\nfind . -type d | while IFS= read -r x; do [ -d {r}/\"$x\" ] || echo \"missing $x\"; done\n\
         find . -type f | while IFS= read -r x; do a=$(sha256sum < \"$x\"); b=$(sha256sum < {r}/\"$x\" 2>/dev/null); [ \"$a\" = \"$b\" ] || echo \"differs $x\"; done"
    );
    let out = h.run(probe).await?;
    if out.rc != 0 {
        return Ok(Outcome::failed(format!(
            "cannot read {src}: {}",
            out.stderr_text().trim()
        )));
    }
    let changed = !out.stdout.is_empty();
    let mut o = Outcome::changed(changed)
        .with("dest", root.clone())
        .with("src", src);
    if changed && !h.check_mode {
        let out = h
            .run(format!("mkdir -p -- {r} && cp -R -- {s}/. {r}/"))
            .await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "cannot copy {src} to {root}: {}",
                out.stderr_text().trim()
            )));
        }
    }
    if opts.mode.is_some() || opts.owner.is_some() || opts.group.is_some() {
        match super::remote_file::apply_attrs_recursive(
            h,
            &root,
            opts.mode,
            opts.owner,
            opts.group,
            dest_state.umask,
        )
        .await
        {
            Ok(c) => o.changed |= c,
            Err(e) => return Ok(Outcome::failed(e)),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, mode_of, tree_digest};
    use super::*;
    use serde_json::json;

    #[test]
    fn content_as_python_writes_it() {
        assert_eq!(
            content_bytes(&json!({"b": 1, "a": ["x", true, null], "é": "ü"})),
            br#"{"b": 1, "a": ["x", true, null], "\u00e9": "\u00fc"}"#.to_vec()
        );
        assert_eq!(content_bytes(&json!(12)), b"12".to_vec());
        assert_eq!(content_bytes(&json!("text\n")), b"text\n".to_vec());
    }

    #[tokio::test]
    async fn content_is_idempotent_with_backup_and_diff() {
        let fx = Fixture::new();
        let dest = fx.path("conf");
        std::fs::write(&dest, "port=1\n").expect("write");
        let args = json!({"dest": dest, "content": "port=2\n", "backup": true, "mode": "0640"});
        let before = tree_digest(&fx.target());
        let check = fx.run(&Copy, args.clone(), true, true).await;
        assert!(check.changed && !check.failed, "{check:?}");
        assert_eq!(check.diff[0].before, "port=1\n");
        assert_eq!(check.diff[0].after, "port=2\n");
        assert_eq!(check.diff[0].before_header, format!("before: {dest}"));
        assert_eq!(
            before,
            tree_digest(&fx.target()),
            "check mode changed files"
        );
        let o = fx.run(&Copy, args.clone(), false, false).await;
        assert!(o.changed, "{o:?}");
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "port=2\n");
        assert_eq!(mode_of(&dest), 0o640);
        assert_eq!(
            o.data["checksum"],
            super::super::remote_file::sha1_hex(b"port=2\n")
        );
        assert_eq!(
            o.data["md5sum"],
            super::super::remote_file::md5_hex(b"port=2\n")
        );
        assert_eq!(o.data["mode"], "0640");
        let b = o.data["backup_file"].as_str().expect("backup").to_string();
        assert_eq!(std::fs::read_to_string(b).expect("read"), "port=1\n");
        let again = fx.run(&Copy, args, false, false).await;
        assert!(!again.changed, "{again:?}");
        assert!(!again.data.contains_key("backup_file"));
        // Only the mode differs: changed, content untouched.
        let m = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "port=2\n", "mode": "u=rw,go="}),
                false,
                false,
            )
            .await;
        assert!(m.changed);
        assert_eq!(mode_of(&dest), 0o600);
        let keep = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "other\n", "force": false}),
                false,
                false,
            )
            .await;
        assert!(!keep.changed);
        assert_eq!(keep.msg.as_deref(), Some("file already exists"));
    }

    #[tokio::test]
    async fn src_into_directories_and_errors() {
        let fx = Fixture::new();
        fx.controller_file("files/pkg.txt", "package\n");
        fx.controller_file("files/tree/a.txt", "a\n");
        fx.controller_file("files/tree/sub/b.txt", "b\n");
        let d = fx.target().display().to_string();
        let o = fx
            .run(
                &Copy,
                json!({"src": "pkg.txt", "dest": format!("{d}/")}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(fx.path("pkg.txt")).expect("read"),
            "package\n"
        );
        assert_eq!(o.data["dest"], fx.path("pkg.txt").as_str());
        // An existing directory without the slash: the same file, unchanged now.
        let again = fx
            .run(&Copy, json!({"src": "pkg.txt", "dest": d}), false, false)
            .await;
        assert!(!again.changed, "{again:?}");
        // dest/ that does not exist yet is created.
        let o = fx
            .run(
                &Copy,
                json!({"src": "pkg.txt", "dest": fx.path("new/")}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert!(std::path::Path::new(&fx.path("new/pkg.txt")).exists());
        let tree = json!({"src": "tree", "dest": d});
        let before = tree_digest(&fx.target());
        assert!(fx.run(&Copy, tree.clone(), true, true).await.changed);
        assert_eq!(before, tree_digest(&fx.target()));
        let o = fx.run(&Copy, tree.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(fx.path("tree/sub/b.txt")).expect("read"),
            "b\n"
        );
        assert!(!fx.run(&Copy, tree, false, false).await.changed);
        let flat = fx
            .run(
                &Copy,
                json!({"src": "tree/", "dest": fx.path("flat")}),
                false,
                false,
            )
            .await;
        assert!(flat.changed && !flat.failed, "{flat:?}");
        assert_eq!(
            std::fs::read_to_string(fx.path("flat/a.txt")).expect("read"),
            "a\n"
        );
        let missing = fx
            .run(&Copy, json!({"src": "nope.txt", "dest": d}), false, false)
            .await;
        assert!(
            missing
                .msg
                .as_deref()
                .unwrap_or("")
                .starts_with("Could not find or access 'nope.txt'")
        );
        let no_dir = fx
            .run(
                &Copy,
                json!({"content": "x", "dest": fx.path("no/such/file")}),
                false,
                false,
            )
            .await;
        assert_eq!(
            no_dir.msg.as_deref(),
            Some(
                format!(
                    "Destination directory {} does not exist",
                    fx.path("no/such")
                )
                .as_str()
            )
        );
        let both = fx
            .run(
                &Copy,
                json!({"content": "x", "src": "pkg.txt", "dest": d}),
                false,
                false,
            )
            .await;
        assert_eq!(
            both.msg.as_deref(),
            Some("src and content are mutually exclusive")
        );
        let sum = fx
            .run(
                &Copy,
                json!({"src": "pkg.txt", "dest": d, "checksum": "0000"}),
                false,
                false,
            )
            .await;
        assert!(sum.failed);
    }

    #[tokio::test]
    async fn validate_and_remote_src() {
        let fx = Fixture::new();
        let dest = fx.path("conf");
        std::fs::write(&dest, "good\n").expect("write");
        let bad = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "bad\n", "validate": "grep -q good %s"}),
                false,
                false,
            )
            .await;
        assert_eq!(bad.msg.as_deref(), Some("failed to validate"));
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "good\n");
        let ok = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "good too\n", "validate": "grep -q good %s"}),
                false,
                false,
            )
            .await;
        assert!(ok.changed && !ok.failed, "{ok:?}");
        let no_s = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "x", "validate": "true"}),
                false,
                false,
            )
            .await;
        assert_eq!(no_s.msg.as_deref(), Some("validate must contain %s: true"));

        let copy = fx.path("copy");
        let args = json!({"src": dest, "dest": copy, "remote_src": true});
        let o = fx.run(&Copy, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(std::fs::read_to_string(&copy).expect("read"), "good too\n");
        assert_eq!(
            o.data["checksum"],
            super::super::remote_file::sha1_hex(b"good too\n")
        );
        assert!(!fx.run(&Copy, args, false, false).await.changed);
        std::fs::create_dir_all(fx.path("rdir/sub")).expect("mkdir");
        std::fs::write(fx.path("rdir/sub/x"), "x").expect("write");
        let dir_args =
            json!({"src": fx.path("rdir"), "dest": fx.path("rcopy"), "remote_src": true});
        assert!(fx.run(&Copy, dir_args.clone(), false, false).await.changed);
        assert_eq!(
            std::fs::read_to_string(fx.path("rcopy/rdir/sub/x")).expect("read"),
            "x"
        );
        assert!(!fx.run(&Copy, dir_args, false, false).await.changed);
        let none = fx
            .run(
                &Copy,
                json!({"src": fx.path("none"), "dest": copy, "remote_src": true}),
                false,
                false,
            )
            .await;
        assert_eq!(
            none.msg.as_deref(),
            Some(format!("Source {} not found", fx.path("none")).as_str())
        );
    }

    #[tokio::test]
    async fn keeps_or_sets_owners_as_root() {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions.
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "this test needs root (CI runs as root)"
        );
        let fx = Fixture::new();
        let dest = fx.path("conf");
        std::fs::write(&dest, "old\n").expect("write");
        std::os::unix::fs::chown(&dest, Some(65534), Some(65534)).expect("chown");
        // Replacing a file keeps its owner and group, as Ansible's atomic move does.
        let o = fx
            .run(
                &Copy,
                json!({"dest": dest, "content": "new\n"}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        let m = std::fs::metadata(&dest).expect("meta");
        assert_eq!((m.uid(), m.gid()), (65534, 65534));
        let args = json!({"dest": dest, "content": "new\n", "owner": "root", "group": "root"});
        assert!(fx.run(&Copy, args.clone(), true, false).await.changed);
        assert_eq!(std::fs::metadata(&dest).expect("meta").uid(), 65534);
        assert!(fx.run(&Copy, args.clone(), false, false).await.changed);
        assert_eq!(std::fs::metadata(&dest).expect("meta").uid(), 0);
        assert!(!fx.run(&Copy, args, false, false).await.changed);
        let bad = fx
            .run(
                &Copy,
                json!({"dest": fx.path("x"), "content": "x", "owner": "no-such-user-hotplay"}),
                false,
                false,
            )
            .await;
        assert!(
            bad.msg.as_deref().unwrap_or("").starts_with("chown failed"),
            "{bad:?}"
        );
        assert!(!std::path::Path::new(&fx.path("x")).exists());
    }
}
