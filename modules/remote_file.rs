//! What file-like modules share: the state of a path on the target in one round
//! trip, modes (octal and symbolic), attributes, and atomic content writes.

use crate::execute::connection::quote::quote;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{Diff, Handle, Outcome};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileState {
    pub exists: bool,
    /// file, directory, link, other
    pub kind: String,
    pub mode: u32,
    pub owner: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: i64,
    pub link_target: Option<String>,
    pub sha256: Option<String>,
}

/// The state of `path`, with its sha256 when asked and it is a regular file.
pub async fn query(h: &Handle<'_>, path: &str, checksum: bool) -> Result<FileState, ConnError> {
    query_after(h, path, checksum, None).await
}

/// Runs `change` (a shell command) and then queries `path`, in one round trip.
/// A failing change is an error with its message.
pub async fn query_after(
    h: &Handle<'_>,
    path: &str,
    checksum: bool,
    change: Option<&str>,
) -> Result<FileState, ConnError> {
    let p = quote(path);
    let change = change
        .map(|c| format!("{{ {c}; }} || exit 97\n"))
        .unwrap_or_default();
    let sum = if checksum {
        "[ \"$t\" = file ] && sha256sum -- \"$p\" | cut -d' ' -f1"
    } else {
        "true"
    };
    let script = format!(
        "{change}p={p}\nif [ -L \"$p\" ]; then t=link; elif [ -d \"$p\" ]; then t=directory; elif [ -f \"$p\" ]; then t=file; elif [ -e \"$p\" ]; then t=other; else echo absent; exit 0; fi\n\
         echo \"$t\"\nstat -c '%a %U %G %u %g %s %Y' -- \"$p\"\nif [ \"$t\" = link ]; then readlink -- \"$p\"; else echo; fi\n{sum}\n"
    );
    let out = h.run(script).await?;
    if out.rc == 97 {
        return Err(ConnError::Io(format!(
            "cannot change {path}: {}",
            out.stderr_text().trim()
        )));
    }
    if out.rc != 0 {
        return Err(ConnError::Io(format!(
            "cannot inspect {path}: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(parse_state(&out.stdout_text()))
}

pub fn parse_state(text: &str) -> FileState {
    let mut lines = text.lines();
    let kind = lines.next().unwrap_or("absent").trim().to_string();
    if kind == "absent" {
        return FileState::default();
    }
    let mut s = FileState {
        exists: true,
        kind,
        ..Default::default()
    };
    let f: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    if let [mode, owner, group, uid, gid, size, mtime] = f.as_slice() {
        s.mode = u32::from_str_radix(mode, 8).unwrap_or(0);
        s.owner = owner.to_string();
        s.group = group.to_string();
        s.uid = uid.parse().unwrap_or(0);
        s.gid = gid.parse().unwrap_or(0);
        s.size = size.parse().unwrap_or(0);
        s.mtime = mtime.parse().unwrap_or(0);
    }
    s.link_target = lines.next().map(str::to_string).filter(|l| !l.is_empty());
    s.sha256 = lines
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| l.len() == 64);
    s
}

/// A mode as Ansible takes it: an int (YAML `0644` arrives as 420) is used as
/// is; a string is octal (`"0644"`, `"644"`) or symbolic (`"u+x,g-w,o=r"`).
pub fn parse_mode(v: &Value, current: Option<u32>, is_dir: bool) -> Result<u32, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|m| m as u32 & 0o7777)
            .ok_or_else(|| format!("mode must be a positive number, got {n}")),
        Value::String(s) => {
            let s = s.trim();
            if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
                return u32::from_str_radix(s, 8)
                    .map_err(|_| format!("mode `{s}` is not an octal number"));
            }
            symbolic(s, current.unwrap_or(0), is_dir)
        }
        other => Err(format!(
            "mode must be an octal string or a number, got {other}"
        )),
    }
}

fn symbolic(spec: &str, current: u32, is_dir: bool) -> Result<u32, String> {
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let bad = || format!("bad symbolic mode `{clause}`");
        let op_at = clause.find(['+', '-', '=']).ok_or_else(bad)?;
        let (who, rest) = clause.split_at(op_at);
        let who = if who.is_empty() { "a" } else { who };
        let op = rest.chars().next().ok_or_else(bad)?;
        let perms = &rest[1..];
        let mut bits = 0u32;
        for p in perms.chars() {
            bits |= match p {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                'X' => {
                    if is_dir || current & 0o111 != 0 {
                        0o111
                    } else {
                        0
                    }
                }
                's' => 0o6000,
                't' => 0o1000,
                _ => return Err(bad()),
            };
        }
        let mut mask = 0u32;
        for w in who.chars() {
            mask |= match w {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return Err(bad()),
            };
        }
        let bits = bits & mask;
        match op {
            '+' => mode |= bits,
            '-' => mode &= !bits,
            _ => mode = (mode & !mask) | bits,
        }
    }
    Ok(mode)
}

/// Changes mode/owner/group where they differ, in one round trip (nothing in check mode).
pub async fn apply_attrs(
    h: &Handle<'_>,
    path: &str,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
    state: &FileState,
    recurse: bool,
) -> Result<bool, String> {
    let p = quote(path);
    let r = if recurse { "-R " } else { "" };
    let mut cmds = Vec::new();
    if let Some(m) = mode
        && (m != state.mode || recurse)
    {
        cmds.push(format!("chmod {r}{m:o} -- {p}"));
    }
    if let Some(o) = owner
        && (o != state.owner && o != state.uid.to_string() || recurse)
    {
        cmds.push(format!("chown {r}{} -- {p}", quote(o)));
    }
    if let Some(g) = group
        && (g != state.group && g != state.gid.to_string() || recurse)
    {
        cmds.push(format!("chgrp {r}{} -- {p}", quote(g)));
    }
    if cmds.is_empty() {
        return Ok(false);
    }
    if recurse {
        // Only report a change when something under the tree differs.
        let mut tests = Vec::new();
        if let Some(m) = mode {
            tests.push(format!("! -perm {m:o}"));
        }
        if let Some(o) = owner {
            tests.push(format!("! -user {}", quote(o)));
        }
        if let Some(g) = group {
            tests.push(format!("! -group {}", quote(g)));
        }
        let probe = format!("find {p} \\( {} \\) -print -quit", tests.join(" -o "));
        let out = h.run(probe).await.map_err(|e| e.to_string())?;
        if out.stdout.is_empty() {
            return Ok(false);
        }
    }
    if h.check_mode {
        return Ok(true);
    }
    let out = h.run(cmds.join(" && ")).await.map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!(
            "cannot set attributes of {path}: {}",
            out.stderr_text().trim()
        ));
    }
    Ok(true)
}

/// Copies `path` aside as Ansible's backup does (`path.<pid>.<timestamp>~`), returning the name.
pub async fn backup(h: &Handle<'_>, path: &str) -> Result<String, String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("{path}.{}.{stamp}~", std::process::id());
    let out = h
        .run(format!("cp -p -- {} {}", quote(path), quote(&name)))
        .await
        .map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!(
            "cannot back up {path}: {}",
            out.stderr_text().trim()
        ));
    }
    Ok(name)
}

/// What a content write should do besides the bytes.
#[derive(Default)]
pub struct WriteOptions<'a> {
    pub mode: Option<&'a Value>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub backup: bool,
    /// A command run on the new file (`%s`) before it replaces the old one.
    pub validate: Option<&'a str>,
    /// false: do not replace an existing file.
    pub force: bool,
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Makes `dest` hold `content`: query, decide, then write atomically (outside check
/// mode), with backup, validation and attributes. The shared core of copy and template.
pub async fn write_content(
    h: &Handle<'_>,
    dest: &str,
    content: Vec<u8>,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    let state = query(h, dest, true).await?;
    if state.kind == "directory" {
        return Ok(Outcome::failed(format!("{dest} is a directory")));
    }
    let new_sum = sha256_hex(&content);
    let same = state.sha256.as_deref() == Some(new_sum.as_str());
    let mode = match opts
        .mode
        .map(|m| parse_mode(m, state.exists.then_some(state.mode), false))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    let mut o = Outcome::ok()
        .with("dest", dest)
        .with("checksum", sha1_hex(&content))
        .with("size", content.len());
    if state.exists && !same && !opts.force {
        o.msg = Some("file already exists".into());
        return Ok(o);
    }
    if !same {
        if h.diff {
            let before = if state.exists {
                String::from_utf8(
                    h.conn
                        .get_bytes(dest, h.become_.clone())
                        .await
                        .unwrap_or_default(),
                )
                .unwrap_or_else(|_| "<binary>".into())
            } else {
                String::new()
            };
            o.diff.push(Diff {
                before_header: dest.to_string(),
                after_header: dest.to_string(),
                before,
                after: String::from_utf8(content.clone()).unwrap_or_else(|_| "<binary>".into()),
            });
        }
        o.changed = true;
        if !h.check_mode {
            let dir = std::path::Path::new(dest)
                .parent()
                .map(|p| p.display().to_string())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| ".".into());
            let dir_ok = h.run(format!("[ -d {} ]", quote(&dir))).await?;
            if dir_ok.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "Destination directory {dir} does not exist"
                )));
            }
            if opts.backup && state.exists {
                match backup(h, dest).await {
                    Ok(name) => o = o.with("backup_file", name),
                    Err(e) => return Ok(Outcome::failed(e)),
                }
            }
            let keep_mode = mode.or(state.exists.then_some(state.mode));
            match opts.validate {
                Some(cmd) => {
                    let tmp = format!("{dest}.hotplay-new");
                    h.conn
                        .put_stream(Stdin::Bytes(content), &tmp, keep_mode, h.become_.clone())
                        .await?;
                    let check = cmd.replace("%s", &quote(&tmp));
                    let out = h.run(check.clone()).await?;
                    if out.rc != 0 {
                        let _ = h.run(format!("rm -f -- {}", quote(&tmp))).await;
                        return Ok(Outcome::failed(format!(
                            "failed to validate: {}",
                            out.stderr_text().trim()
                        ))
                        .with("exit_status", out.rc)
                        .with("stdout", out.stdout_text())
                        .with("stderr", out.stderr_text()));
                    }
                    let mv = h
                        .run(format!("mv -f -- {} {}", quote(&tmp), quote(dest)))
                        .await?;
                    if mv.rc != 0 {
                        return Ok(Outcome::failed(format!(
                            "cannot move the new file into place: {}",
                            mv.stderr_text().trim()
                        )));
                    }
                }
                None => {
                    h.conn
                        .put_stream(Stdin::Bytes(content), dest, keep_mode, h.become_.clone())
                        .await?
                }
            }
        }
    }
    let fresh = if !same && !h.check_mode {
        query(h, dest, false).await?
    } else {
        state.clone()
    };
    let attrs_state = if !same && h.check_mode && !state.exists {
        FileState {
            mode: mode.unwrap_or(0),
            ..fresh
        }
    } else {
        fresh
    };
    match apply_attrs(h, dest, mode, opts.owner, opts.group, &attrs_state, false).await {
        Ok(changed) => o.changed |= changed,
        Err(e) => return Ok(Outcome::failed(e)),
    }
    if let Some(m) = mode.or(state.exists.then_some(state.mode)) {
        o = o.with("mode", format!("{m:04o}"));
    }
    Ok(o)
}

/// The common options of modules that edit a text file in place.
pub struct EditOptions<'a> {
    pub create: bool,
    pub backup: bool,
    pub mode: Option<&'a Value>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub validate: Option<&'a str>,
}

impl<'a> EditOptions<'a> {
    /// The options as every text-editing module names them.
    pub fn from_args(args: &'a crate::execute::module::Args) -> EditOptions<'a> {
        EditOptions {
            create: args.bool("create"),
            backup: args.bool("backup"),
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            validate: args.str("validate"),
        }
    }
}

/// Reads `path`, lets `edit` compute the new text and a message, writes it back
/// when it differs (read, decide, then write: two round trips when nothing changes).
pub async fn edit_file<F>(
    h: &Handle<'_>,
    path: &str,
    opts: &EditOptions<'_>,
    edit: F,
) -> Result<Outcome, ConnError>
where
    F: FnOnce(&str) -> Result<(String, String), String>,
{
    let state = query(h, path, false).await?;
    if state.kind == "directory" {
        return Ok(Outcome::failed(format!("Path {path} is a directory !")).with("rc", 256));
    }
    if !state.exists && !opts.create {
        return Ok(Outcome::failed(format!("Destination {path} does not exist !")).with("rc", 257));
    }
    let before = if state.exists {
        match String::from_utf8(h.conn.get_bytes(path, h.become_.clone()).await?) {
            Ok(t) => t,
            Err(_) => return Ok(Outcome::failed(format!("{path} is not a text file"))),
        }
    } else {
        String::new()
    };
    let (after, msg) = match edit(&before) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    if after == before && state.exists {
        let mode = match opts
            .mode
            .map(|m| parse_mode(m, Some(state.mode), false))
            .transpose()
        {
            Ok(m) => m,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        let changed = match apply_attrs(h, path, mode, opts.owner, opts.group, &state, false).await
        {
            Ok(c) => c,
            Err(e) => return Ok(Outcome::failed(e)),
        };
        return Ok(Outcome::changed(changed).msg(if changed {
            "ownership, perms or SE linux context changed".to_string()
        } else {
            String::new()
        }));
    }
    let wopts = WriteOptions {
        mode: opts.mode,
        owner: opts.owner,
        group: opts.group,
        backup: opts.backup,
        validate: opts.validate,
        force: true,
    };
    let mut o = write_content(h, path, after.into_bytes(), &wopts).await?;
    if !o.failed {
        o.msg = Some(msg);
        o.data.remove("checksum");
        o.data.remove("size");
        o.data.remove("dest");
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode(&Value::from(420), None, false), Ok(0o644));
        assert_eq!(parse_mode(&Value::from("0755"), None, false), Ok(0o755));
        assert_eq!(parse_mode(&Value::from("600"), None, false), Ok(0o600));
        assert_eq!(
            parse_mode(&Value::from("u+x"), Some(0o644), false),
            Ok(0o744)
        );
        assert_eq!(
            parse_mode(&Value::from("u=rw,g=r,o="), Some(0o777), false),
            Ok(0o640)
        );
        assert_eq!(
            parse_mode(&Value::from("a+X"), Some(0o600), true),
            Ok(0o711)
        );
        assert_eq!(
            parse_mode(&Value::from("go-w"), Some(0o666), false),
            Ok(0o644)
        );
        assert!(parse_mode(&Value::from("u+q"), None, false).is_err());
    }

    #[test]
    fn parses_state() {
        let s = parse_state(
            "file\n644 root root 0 0 12 1700000000\n\nabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd\n",
        );
        assert!(s.exists);
        assert_eq!(s.mode, 0o644);
        assert_eq!(s.size, 12);
        assert!(s.sha256.is_some());
        let l = parse_state("link\n777 root root 0 0 4 1\n/target\n");
        assert_eq!(l.link_target.as_deref(), Some("/target"));
        assert!(!parse_state("absent\n").exists);
    }
}
