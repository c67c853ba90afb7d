//! What file-like modules share: the state of paths on the target in one round trip,
//! modes as Ansible reads them (octal or symbolic), attribute changes, whole-file
//! reads, and atomic writes (backup, validation and attributes in the same trip).

use crate::execute::connection::quote::quote;
use crate::execute::connection::{ConnError, Stdin};
use crate::execute::module::{Diff, Handle, Outcome, VarMap};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Larger files are not shown in diffs (Ansible's `max_file_size_for_diff`).
pub const MAX_DIFF_BYTES: u64 = 104_448;

/// The umask assumed where none was read from the target.
pub const DEFAULT_UMASK: u32 = 0o022;

/// What a path is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    File,
    Directory,
    Link,
    /// A device, fifo or socket.
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Directory => "directory",
            Kind::Link => "link",
            Kind::Other => "other",
        }
    }
}

impl PartialEq<&str> for Kind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checksum the target computes with coreutils' `<name>sum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// What to learn about a path besides its metadata.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe {
    /// Checksum of a regular file (through a link, the file it points to).
    pub checksum: Option<Algorithm>,
    /// Describe what a link points to instead of the link itself.
    pub follow: bool,
    /// Read the content of a regular file no larger than this.
    pub content_up_to: Option<u64>,
}

impl Probe {
    /// The probe function's first three arguments.
    fn words(&self) -> String {
        format!(
            "{} {} {}",
            if self.follow { 1 } else { 0 },
            self.checksum.map(Algorithm::name).unwrap_or("-"),
            self.content_up_to
                .map(|n| n.min(i64::MAX as u64).to_string())
                .unwrap_or_else(|| "-".into())
        )
    }
}

/// A path on the target as one probe saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileState {
    pub exists: bool,
    pub kind: Kind,
    /// Permission bits (07777).
    pub mode: u32,
    /// The whole st_mode, file type included.
    pub raw_mode: u32,
    pub owner: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: i64,
    pub atime: i64,
    pub ctime: i64,
    pub inode: u64,
    pub dev: u64,
    pub nlink: u64,
    /// When the path itself is a symlink: what it says (`readlink`).
    pub link_target: Option<String>,
    /// When the path itself is a symlink: the absolute path it resolves to.
    pub link_source: Option<String>,
    /// In the algorithm the probe asked for.
    pub checksum: Option<String>,
    pub sha256: Option<String>,
    /// Access for the user the module runs as (after become).
    pub readable: bool,
    pub writeable: bool,
    pub executable: bool,
    /// For directories: whether anything is inside.
    pub has_entries: bool,
    /// The target shell's umask (new files get 0666 & !umask).
    pub umask: u32,
    /// Whether the directory that would hold the path exists.
    pub parent_exists: bool,
    /// The file's bytes, when the probe asked and it was small enough.
    pub content: Option<Vec<u8>>,
}

impl FileState {
    /// The state word Ansible's file module uses: absent, file, hard, directory, link.
    pub fn state_word(&self) -> &'static str {
        match (self.exists, self.kind) {
            (false, _) => "absent",
            (true, Kind::Directory) => "directory",
            (true, Kind::Link) => "link",
            (true, _) if self.nlink > 1 => "hard",
            (true, _) => "file",
        }
    }

    /// The mode a new file gets.
    pub fn new_file_mode(&self) -> u32 {
        0o666 & !self.umask
    }

    /// The mode a new directory gets.
    pub fn new_dir_mode(&self) -> u32 {
        0o777 & !self.umask
    }

    /// Whether `owner` (a name or a uid) owns the path.
    pub fn owned_by(&self, owner: &str) -> bool {
        owner == self.owner || owner.parse::<u32>().ok() == Some(self.uid)
    }

    /// Whether the path's group is `group` (a name or a gid).
    pub fn in_group(&self, group: &str) -> bool {
        group == self.group || group.parse::<u32>().ok() == Some(self.gid)
    }
}

/// Describes one path; its arguments: follow (0/1), checksum tool or -, content limit
/// or -, path. Each answer is followed by a marker line (`$M`).
const PROBE_FN: &str = r#"q() {
q_p=$4
umask
if [ -d "$(dirname -- "$q_p")" ]; then echo parent; else echo noparent; fi
if [ "$1" = 0 ] && [ -L "$q_p" ]; then q_t=link
elif [ -d "$q_p" ]; then q_t=directory
elif [ -f "$q_p" ]; then q_t=file
elif [ -e "$q_p" ]; then q_t=other
else echo absent; return 0; fi
echo "$q_t"
if [ "$1" = 0 ]; then q_l=; else q_l=-L; fi
stat $q_l -c '%a %f %u %g %s %Y %X %Z %i %d %h %U %G' -- "$q_p" 2>/dev/null || echo
q_r=-; q_w=-; q_x=-; [ -r "$q_p" ] && q_r=r; [ -w "$q_p" ] && q_w=w; [ -x "$q_p" ] && q_x=x; echo "$q_r$q_w$q_x"
if [ -L "$q_p" ]; then readlink -- "$q_p" || echo; readlink -f -- "$q_p" || echo; else echo; echo; fi
if [ "$q_t" != directory ]; then echo -; elif [ -n "$(find "$q_p" -mindepth 1 -maxdepth 1 2>/dev/null | head -n 1)" ]; then echo full; else echo empty; fi
if [ "$2" != - ] && [ -f "$q_p" ] && [ -r "$q_p" ]; then q_s=$("$2"sum < "$q_p") && echo "${q_s%% *}" || echo; else echo; fi
if [ "$3" != - ] && [ -f "$q_p" ] && [ -r "$q_p" ] && [ "$(stat -L -c %s -- "$q_p")" -le "$3" ]; then echo content; cat -- "$q_p"; else echo none; fi
}
"#;

/// A line no file content will contain, to cut the answers of one script apart.
fn marker() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "::hotplay-{:x}-{:x}-{:x}::",
        std::process::id(),
        nanos,
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A path as a shell word that no command takes for an option.
fn shell_path(path: &str) -> String {
    if path.starts_with('-') {
        quote(&format!("./{path}"))
    } else {
        quote(path)
    }
}

/// The state of `path`, with its sha256 when asked and it is a regular file.
#[allow(dead_code)] // Part of the API for file-like modules; not every one uses it.
pub async fn query(h: &Handle<'_>, path: &str, checksum: bool) -> Result<FileState, ConnError> {
    let probe = Probe {
        checksum: checksum.then_some(Algorithm::Sha256),
        ..Probe::default()
    };
    query_with(h, path, probe).await
}

/// The state of `path` as `probe` asks.
pub async fn query_with(h: &Handle<'_>, path: &str, probe: Probe) -> Result<FileState, ConnError> {
    let mut states = query_after(h, None, &[(path, probe)]).await?;
    states
        .pop()
        .ok_or_else(|| ConnError::Io(format!("no answer about {path}")))
}

/// The states of several paths, in one round trip.
pub async fn query_many(
    h: &Handle<'_>,
    paths: &[(&str, Probe)],
) -> Result<Vec<FileState>, ConnError> {
    query_after(h, None, paths).await
}

/// Runs `change` (shell commands, chained with &&) and then probes `paths`, in one
/// round trip. A failing change is `ConnError::Io` with its error output.
pub async fn query_after(
    h: &Handle<'_>,
    change: Option<&str>,
    paths: &[(&str, Probe)],
) -> Result<Vec<FileState>, ConnError> {
    let m = marker();
    let mut script = format!("M={m}\n{PROBE_FN}");
    if let Some(c) = change {
        script.push_str(&format!("{{ {c}\n}} </dev/null >&2 || exit 97\n"));
    }
    // The list travels on stdin, so no command line grows with the number of paths.
    script.push_str(
        "while IFS= read -r w_l; do w_f=${w_l%% *}; w_l=${w_l#* }; w_a=${w_l%% *}; w_l=${w_l#* }; w_c=${w_l%% *}; w_x=${w_l#* }\n\
         q \"$w_f\" \"$w_a\" \"$w_c\" \"$w_x\"; printf '\\n%s\\n' \"$M\"; done\n",
    );
    let mut list = String::new();
    for (path, probe) in paths {
        if path.contains('\n') {
            return Err(ConnError::Io(format!(
                "a path with a newline is not supported: {path:?}"
            )));
        }
        let p = if path.starts_with('-') {
            format!("./{path}")
        } else {
            path.to_string()
        };
        list.push_str(&format!("{} {p}\n", probe.words()));
    }
    let out = h
        .run_with_stdin(script, Stdin::Bytes(list.into_bytes()))
        .await?;
    if out.rc == 97 {
        return Err(ConnError::Io(out.stderr_text().trim().to_string()));
    }
    if out.rc != 0 {
        return Err(ConnError::Io(format!(
            "cannot inspect {}: {}",
            paths.first().map(|p| p.0).unwrap_or_default(),
            out.stderr_text().trim()
        )));
    }
    let chunks = split_answers(&out.stdout, &m);
    if chunks.len() != paths.len() {
        return Err(ConnError::Io(format!(
            "cannot inspect {}: unexpected answer from the target",
            paths.first().map(|p| p.0).unwrap_or_default()
        )));
    }
    chunks
        .into_iter()
        .zip(paths)
        .map(|(c, (p, _))| {
            parse_state(c).map_err(|e| ConnError::Io(format!("cannot inspect {p}: {e}")))
        })
        .collect()
}

/// The answers of a script, each ended by `\n<marker>\n`.
fn split_answers<'a>(out: &'a [u8], marker: &str) -> Vec<&'a [u8]> {
    let sep = format!("\n{marker}\n").into_bytes();
    let mut chunks = Vec::new();
    let mut rest = out;
    while let Some(at) = rest.windows(sep.len()).position(|w| w == sep.as_slice()) {
        chunks.push(&rest[..at]);
        rest = &rest[at + sep.len()..];
    }
    chunks
}

/// Reads one probe answer (see `PROBE_FN`).
pub fn parse_state(out: &[u8]) -> Result<FileState, String> {
    let mut rest = out;
    let mut line = || -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let l = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = rest.get(end + 1..).unwrap_or_default();
        Some(l)
    };
    let umask = line().ok_or("empty answer")?;
    let umask = u32::from_str_radix(umask.trim(), 8).unwrap_or(DEFAULT_UMASK);
    let parent_exists = line().as_deref() == Some("parent");
    let mut s = FileState {
        umask,
        parent_exists,
        ..Default::default()
    };
    s.kind = match line().as_deref() {
        Some("absent") | None => return Ok(s),
        Some("file") => Kind::File,
        Some("directory") => Kind::Directory,
        Some("link") => Kind::Link,
        Some(_) => Kind::Other,
    };
    s.exists = true;
    let stat = line().unwrap_or_default();
    let f: Vec<&str> = stat.split_whitespace().collect();
    if f.len() < 13 {
        return Err(format!("unexpected stat output `{stat}`"));
    }
    let num = |i: usize| f[i].parse::<u64>().unwrap_or(0);
    s.mode = u32::from_str_radix(f[0], 8).unwrap_or(0) & 0o7777;
    s.raw_mode = u32::from_str_radix(f[1], 16).unwrap_or(0);
    s.uid = num(2) as u32;
    s.gid = num(3) as u32;
    s.size = num(4);
    s.mtime = num(5) as i64;
    s.atime = num(6) as i64;
    s.ctime = num(7) as i64;
    s.inode = num(8);
    s.dev = num(9);
    s.nlink = num(10);
    s.owner = f[11].to_string();
    s.group = f[12..].join(" ");
    let access = line().unwrap_or_default();
    s.readable = access.contains('r');
    s.writeable = access.contains('w');
    s.executable = access.contains('x');
    s.link_target = line().filter(|l| !l.is_empty());
    s.link_source = line().filter(|l| !l.is_empty());
    s.has_entries = line().as_deref() == Some("full");
    s.checksum = line()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    if s.checksum.as_ref().is_some_and(|c| c.len() == 64) {
        s.sha256 = s.checksum.clone();
    }
    if line().as_deref() == Some("content") {
        s.content = Some(rest.to_vec());
    }
    Ok(s)
}

/// A mode as Ansible takes it: an int (YAML `0644` arrives as 420) is used as is; a
/// string is octal (`"0644"`, `"644"`) or symbolic (`"u+rwx,g-w,o=r"`, with `X`),
/// applied to `current` (the path's mode, or a new one's). Symbolic modes without a
/// who (`+x`) honour a umask of 022.
pub fn parse_mode(v: &Value, current: Option<u32>, is_dir: bool) -> Result<u32, String> {
    parse_mode_umask(v, current, is_dir, DEFAULT_UMASK)
}

/// `parse_mode` with the target's umask.
pub fn parse_mode_umask(
    v: &Value,
    current: Option<u32>,
    is_dir: bool,
    umask: u32,
) -> Result<u32, String> {
    const TOO_BIG: &str = "Invalid mode supplied, only permission info is allowed";
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(m) if m <= 0o7777 => Ok(m as u32),
            _ => Err(format!("{TOO_BIG}: {n}")),
        },
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix("0o").unwrap_or(t);
            if is_octal_text(t)
                && let Ok(m) = u32::from_str_radix(digits, 8)
            {
                return if m <= 0o7777 {
                    Ok(m)
                } else {
                    Err(format!("{TOO_BIG}: {t}"))
                };
            }
            symbolic(t, current.unwrap_or(0), is_dir, umask).map_err(|clause| {
                format!(
                    "mode must be in octal or symbolic form: bad symbolic permission for mode: {clause}"
                )
            })
        }
        other => Err(format!(
            "mode must be in octal or symbolic form, got {other}"
        )),
    }
}

/// Whether a mode string is a number (`"0644"`, `"0o644"`) rather than symbolic.
fn is_octal_text(s: &str) -> bool {
    let t = s.trim();
    let digits = t.strip_prefix("0o").unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Ansible's symbolic modes (module_utils `_symbolic_mode_to_octal`); the error is the
/// clause at fault.
fn symbolic(spec: &str, current: u32, is_dir: bool, umask: u32) -> Result<u32, String> {
    let is_op = |c: char| matches!(c, '+' | '-' | '=');
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let first_op = clause.find(is_op).unwrap_or(clause.len());
        let (who, mut rest) = clause.split_at(first_op);
        if !who.chars().all(|c| "ugoa".contains(c)) {
            return Err(clause.to_string());
        }
        let use_umask = who.is_empty();
        let users: String = if who.is_empty() {
            "ugo".into()
        } else {
            who.replace('a', "ugo")
        };
        while let Some(op) = rest.chars().next() {
            let after = &rest[1..];
            let end = after.find(is_op).unwrap_or(after.len());
            let perms = &after[..end];
            rest = &after[end..];
            if !perms.chars().all(|c| "rwxXstugo".contains(c)) {
                return Err(clause.to_string());
            }
            for user in users.chars() {
                let bits = perm_bits(user, perms, mode, is_dir, use_umask, umask);
                mode = match op {
                    '=' => {
                        let mask = match user {
                            'u' => 0o4700,
                            'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & !mask) | bits
                    }
                    '+' => mode | bits,
                    _ => mode & !bits,
                };
            }
        }
    }
    Ok(mode)
}

/// The bits `perms` (e.g. `rwX`, or `g` to copy the group's) mean for `user`.
fn perm_bits(user: char, perms: &str, prev: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let keep = if use_umask { !umask & 0o7777 } else { 0o7777 };
    let apply_x = is_dir || prev & 0o111 != 0;
    let shift = match user {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let class = |c: char| -> u32 {
        let s = match c {
            'u' => 6,
            'g' => 3,
            _ => 0,
        };
        (prev >> s) & 0o7
    };
    perms.chars().fold(0, |acc, p| {
        acc | match p {
            'r' => (0o4 << shift) & keep,
            'w' => (0o2 << shift) & keep,
            'x' => (0o1 << shift) & keep,
            'X' if apply_x => 0o1 << shift,
            'X' => 0,
            's' => match user {
                'u' => 0o4000,
                'g' => 0o2000,
                _ => 0,
            },
            't' if user == 'o' => 0o1000,
            't' => 0,
            c => class(c) << shift,
        }
    })
}

/// The commands that give `path` the wanted attributes, where they differ from
/// `state` (owner and group first: chown clears setuid bits). A link keeps its
/// own owner changes (`-h`) and has no mode of its own.
pub fn attr_commands(
    path: &str,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
    state: &FileState,
) -> Vec<String> {
    attr_word_commands(&shell_path(path), mode, owner, group, state)
}

/// `attr_commands` for a path already written as a shell word (`"$d"`, a quoted path).
pub fn attr_word_commands(
    p: &str,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
    state: &FileState,
) -> Vec<String> {
    let link = state.kind == Kind::Link;
    let h = if link { "-h " } else { "" };
    let mut cmds = Vec::new();
    if let Some(o) = owner
        && !state.owned_by(o)
    {
        cmds.push(format!("chown {h}-- {} {p}", quote(o)));
    }
    if let Some(g) = group
        && !state.in_group(g)
    {
        cmds.push(format!("chgrp {h}-- {} {p}", quote(g)));
    }
    if let Some(m) = mode
        && !link
        && m != state.mode
    {
        // Five digits: GNU chmod keeps a directory's setgid bit for shorter numbers.
        cmds.push(format!("chmod 0{m:04o} {p}"));
    }
    cmds
}

/// Changes mode/owner/group where they differ, in one round trip (in check mode it
/// only predicts). Returns whether anything differed.
pub async fn apply_attrs(
    h: &Handle<'_>,
    path: &str,
    mode: Option<u32>,
    owner: Option<&str>,
    group: Option<&str>,
    state: &FileState,
) -> Result<bool, ConnError> {
    let cmds = attr_commands(path, mode, owner, group, state);
    if cmds.is_empty() {
        return Ok(false);
    }
    if h.check_mode {
        return Ok(true);
    }
    let out = h.run(cmds.join(" &&\n")).await?;
    if out.rc != 0 {
        return Err(ConnError::Io(format!(
            "cannot set the attributes of {path}: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(true)
}

/// Gives everything under `path` (itself included) the mode, owner and group:
/// one round trip to list what differs, one to change it (none in check mode).
/// Symbolic modes apply to each entry as `chmod -R` applies them; links are not
/// followed and keep their mode.
pub async fn apply_attrs_recursive(
    h: &Handle<'_>,
    path: &str,
    mode: Option<&Value>,
    owner: Option<&str>,
    group: Option<&str>,
    umask: u32,
) -> Result<bool, String> {
    if mode.is_none() && owner.is_none() && group.is_none() {
        return Ok(false);
    }
    let p = shell_path(path);
    let out = h
        .run(format!(
            "find {p} -exec stat -c '%a %u %g %F|%U|%G' -- {{}} +"
        ))
        .await
        .map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!("cannot list {path}: {}", out.stderr_text().trim()));
    }
    let mut differs = false;
    for line in out.stdout_text().lines() {
        let mut parts = line.splitn(2, '|');
        let head = parts.next().unwrap_or_default();
        let names = parts.next().unwrap_or_default();
        let mut f = head.splitn(4, ' ');
        let (Some(m), Some(uid), Some(gid), Some(kind)) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let (user, grp) = names.split_once('|').unwrap_or((names, ""));
        let state = FileState {
            exists: true,
            kind: match kind {
                "directory" => Kind::Directory,
                "symbolic link" => Kind::Link,
                _ => Kind::File,
            },
            mode: u32::from_str_radix(m, 8).unwrap_or(0),
            uid: uid.parse().unwrap_or(0),
            gid: gid.parse().unwrap_or(0),
            owner: user.to_string(),
            group: grp.to_string(),
            ..Default::default()
        };
        let want = match mode {
            Some(v) => Some(parse_mode_umask(
                v,
                Some(state.mode),
                state.kind == Kind::Directory,
                umask,
            )?),
            None => None,
        };
        if !attr_commands(path, want, owner, group, &state).is_empty() {
            differs = true;
            break;
        }
    }
    if !differs || h.check_mode {
        return Ok(differs);
    }
    let mut cmds = Vec::new();
    if let Some(o) = owner {
        cmds.push(format!("chown -R -h -- {} {p}", quote(o)));
    }
    if let Some(g) = group {
        cmds.push(format!("chgrp -R -h -- {} {p}", quote(g)));
    }
    if let Some(v) = mode {
        // chmod reads symbolic modes as Ansible does; numbers go as five octal digits.
        let spec = match v {
            Value::String(s) if !is_octal_text(s) => s.trim().to_string(),
            _ => format!("0{:04o}", parse_mode(v, None, false)?),
        };
        cmds.push(format!("chmod -R {} {p}", quote(&spec)));
    }
    let out = h.run(cmds.join(" &&\n")).await.map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!(
            "cannot set the attributes under {path}: {}",
            out.stderr_text().trim()
        ));
    }
    Ok(true)
}

/// Why a remote file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    Missing,
    Directory,
    Unreadable(String),
}

/// Whole-file reads are held in memory: larger files are refused, not read.
pub const MAX_READ: u64 = 256 * 1024 * 1024;

/// Reads a whole file of the target (one round trip), telling apart a missing file,
/// a directory and a permission problem.
pub async fn read_file(
    h: &Handle<'_>,
    path: &str,
) -> Result<Result<Vec<u8>, ReadError>, ConnError> {
    let p = shell_path(path);
    let out = h
        .run(format!(
            "if [ -d {p} ]; then exit 91; elif [ ! -e {p} ]; then exit 92; elif [ ! -r {p} ]; then exit 93; fi\n\
             s=$(stat -L -c %s -- {p} 2>/dev/null || wc -c < {p})\n\
             if [ \"$s\" -gt {MAX_READ} ]; then printf %s \"$s\"; exit 94; fi\nexec cat -- {p}"
        ))
        .await?;
    Ok(match out.rc {
        0 => Ok(out.stdout),
        91 => Err(ReadError::Directory),
        92 => Err(ReadError::Missing),
        93 => Err(ReadError::Unreadable("permission denied".into())),
        94 => Err(ReadError::Unreadable(format!(
            "the file is {} bytes; whole-file reads are limited to {} MiB",
            out.stdout_text().trim(),
            MAX_READ / 1024 / 1024
        ))),
        _ => Err(ReadError::Unreadable(out.stderr_text().trim().to_string())),
    })
}

/// Copies `path` aside as Ansible's backup does (`path.<pid>.<YYYY-MM-DD@HH:MM:SS>~`,
/// the pid and time of the target), returning the backup's name.
#[allow(dead_code)] // Part of the API for file-like modules; not every one uses it.
pub async fn backup(h: &Handle<'_>, path: &str) -> Result<String, ConnError> {
    let out = h
        .run(format!(
            "p={}\nb=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"\ncp -p -- \"$p\" \"$b\" && printf '%s' \"$b\"",
            shell_path(path)
        ))
        .await?;
    if out.rc != 0 {
        return Err(ConnError::Io(format!(
            "cannot back up {path}: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(out.stdout_text())
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(data))
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex(&md5::Md5::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where new content comes from.
#[derive(Clone, Debug)]
pub enum Source {
    Bytes(Vec<u8>),
    /// A controller file, streamed (large packages never sit in memory).
    Controller(PathBuf),
    /// A file already on the target (`remote_src`).
    Remote(String),
}

/// New content for a file, with its digests.
#[derive(Clone, Debug)]
pub struct NewContent {
    pub source: Source,
    pub sha256: String,
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub size: Option<u64>,
    /// The bytes, when small enough to show in a diff.
    pub preview: Option<Vec<u8>>,
}

impl NewContent {
    pub fn bytes(data: Vec<u8>) -> NewContent {
        NewContent {
            sha256: sha256_hex(&data),
            sha1: Some(sha1_hex(&data)),
            md5: Some(md5_hex(&data)),
            size: Some(data.len() as u64),
            preview: (data.len() as u64 <= MAX_DIFF_BYTES).then(|| data.clone()),
            source: Source::Bytes(data),
        }
    }

    /// A controller file, hashed as it streams by.
    pub fn controller_file(path: &Path) -> std::io::Result<NewContent> {
        use sha1::Digest as _;
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
        let (mut s256, mut s1, mut m5) = (sha2::Sha256::new(), sha1::Sha1::new(), md5::Md5::new());
        let mut preview = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            s256.update(chunk);
            s1.update(chunk);
            m5.update(chunk);
            if size <= MAX_DIFF_BYTES {
                preview.extend_from_slice(chunk);
            }
            size += n as u64;
        }
        Ok(NewContent {
            source: Source::Controller(path.to_path_buf()),
            sha256: hex(&s256.finalize()),
            sha1: Some(hex(&s1.finalize())),
            md5: Some(hex(&m5.finalize())),
            size: Some(size),
            preview: (size <= MAX_DIFF_BYTES).then_some(preview),
        })
    }

    /// A file on the target, known by its sha256.
    pub fn remote(path: &str, sha256: String, size: u64) -> NewContent {
        NewContent {
            source: Source::Remote(path.to_string()),
            sha256,
            sha1: None,
            md5: None,
            size: Some(size),
            preview: None,
        }
    }
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
    /// false: leave an existing file alone, whatever its content.
    pub force: bool,
    /// Write through a symlink at dest to its file (else the link is replaced).
    pub follow: bool,
    /// Create dest's directory when it is missing (copy's `dest/`).
    pub make_parent: bool,
    /// Mode of a directory made for `make_parent`.
    pub directory_mode: Option<&'a Value>,
    /// Diff headers; default `before: <dest>` and `after: <dest>`.
    pub diff_headers: Option<(String, String)>,
}

/// Text for a diff: the content, or a line saying why it is not shown.
fn diff_text(content: Option<&[u8]>, size: Option<u64>, side: &str) -> String {
    match content {
        Some(b) if b.contains(&0) => format!("(binary {side} file, {} bytes)\n", b.len()),
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => match size {
            Some(s) if s > MAX_DIFF_BYTES => {
                format!("(diff skipped: {side} file size is greater than {MAX_DIFF_BYTES})\n")
            }
            _ => format!("({side} file not shown)\n"),
        },
    }
}

/// Mode as Ansible's file modules return it (`0644`).
pub fn mode_string(mode: u32) -> String {
    format!("0{mode:03o}")
}

/// The return values of a file-writing module, from the file's state.
fn file_returns(o: &mut Outcome, state: &FileState) {
    o.data
        .insert("mode".into(), Value::from(mode_string(state.mode)));
    o.data
        .insert("owner".into(), Value::from(state.owner.clone()));
    o.data
        .insert("group".into(), Value::from(state.group.clone()));
    o.data.insert("uid".into(), Value::from(state.uid));
    o.data.insert("gid".into(), Value::from(state.gid));
    o.data.insert("size".into(), Value::from(state.size));
    o.data.insert("state".into(), Value::from("file"));
}

/// Makes `dest` hold `content`: query, decide, then write (outside check mode);
/// two round trips. For modules that compute a file's whole content.
#[allow(dead_code)] // Part of the API for file-like modules; not every one uses it.
pub async fn write_content(
    h: &Handle<'_>,
    dest: &str,
    content: Vec<u8>,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    let probe = Probe {
        checksum: Some(Algorithm::Sha256),
        follow: true,
        content_up_to: h.diff.then_some(MAX_DIFF_BYTES),
    };
    let state = query_with(h, dest, probe).await?;
    write_decided(h, dest, &state, &NewContent::bytes(content), opts).await
}

/// Decides and writes, given dest's state from a probe with sha256 that followed
/// links (and read the content, for --diff). One round trip to act, none in check mode.
pub async fn write_decided(
    h: &Handle<'_>,
    dest: &str,
    state: &FileState,
    content: &NewContent,
    opts: &WriteOptions<'_>,
) -> Result<Outcome, ConnError> {
    let target = match (&state.link_source, opts.follow) {
        (Some(real), true) => real.clone(),
        _ => dest.to_string(),
    };
    let mut o = Outcome::ok().with("dest", target.clone());
    if state.exists && state.kind == Kind::Directory {
        return Ok(
            Outcome::failed(format!("Destination {dest} is a directory")).with("dest", dest),
        );
    }
    if state.exists && !opts.force {
        return Ok(o.msg("file already exists"));
    }
    let dir = parent_of(&target);
    if !state.exists && !state.parent_exists && !opts.make_parent {
        return Ok(Outcome::failed(format!(
            "Destination directory {dir} does not exist"
        )));
    }
    let base = if state.exists {
        state.mode
    } else {
        state.new_file_mode()
    };
    let mode = match opts
        .mode
        .map(|m| parse_mode_umask(m, Some(base), false, state.umask))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::failed(e).with("path", dest)),
    };
    if let Some(s) = &content.sha1 {
        o = o.with("checksum", s.clone());
    }
    if let Some(m) = &content.md5 {
        o = o.with("md5sum", m.clone());
    }
    let same = state.exists
        && state.kind == Kind::File
        && state.sha256.as_deref() == Some(content.sha256.as_str());
    if same {
        let mut after = state.clone();
        match apply_attrs(h, &target, mode, opts.owner, opts.group, state).await {
            Ok(changed) => o.changed = changed,
            Err(e) => return Ok(Outcome::failed(e.to_string()).with("path", target)),
        }
        after.mode = mode.unwrap_or(state.mode);
        predict_owner(&mut after, opts);
        file_returns(&mut o, &after);
        return Ok(o);
    }
    o.changed = true;
    if h.diff {
        let (mut bh, ah) = opts
            .diff_headers
            .clone()
            .unwrap_or_else(|| (format!("before: {dest}"), format!("after: {dest}")));
        if !state.exists {
            // Ansible names the destination only when it has one to read.
            bh = "before".into();
        }
        let before = if state.exists {
            diff_text(state.content.as_deref(), Some(state.size), "destination")
        } else {
            String::new()
        };
        o.diff.push(Diff {
            before_header: bh,
            after_header: ah,
            before,
            after: diff_text(content.preview.as_deref(), content.size, "source"),
        });
    }
    let final_mode = mode.unwrap_or(base);
    if h.check_mode {
        let mut after = state.clone();
        after.mode = final_mode;
        after.size = content.size.unwrap_or(0);
        predict_owner(&mut after, opts);
        file_returns(&mut o, &after);
        return Ok(o);
    }
    let directory_mode = match opts
        .directory_mode
        .map(|m| parse_mode_umask(m, Some(state.new_dir_mode()), true, state.umask))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    let plan = InstallPlan {
        dest: &target,
        mode: final_mode,
        keep_owner: state.exists.then_some((state.uid, state.gid)),
        owner: opts.owner,
        group: opts.group,
        backup: opts.backup && state.exists,
        validate: opts.validate,
        make_parent: opts.make_parent && !state.parent_exists,
        directory_mode,
        post_checksum: content.sha1.is_none().then_some(Algorithm::Sha1),
    };
    match install(h, content, &plan).await? {
        Installed::Failed(f) => Ok(f),
        Installed::Done { backup, state: new } => {
            if let Some(b) = backup {
                o = o.with("backup_file", b);
            }
            if content.sha1.is_none()
                && let Some(c) = &new.checksum
            {
                o = o.with("checksum", c.clone());
            }
            file_returns(&mut o, &new);
            Ok(o)
        }
    }
}

/// In a prediction, the owner and group the file will have.
fn predict_owner(s: &mut FileState, opts: &WriteOptions<'_>) {
    if let Some(o) = opts.owner
        && !s.owned_by(o)
    {
        s.owner = o.to_string();
    }
    if let Some(g) = opts.group
        && !s.in_group(g)
    {
        s.group = g.to_string();
    }
}

/// The directory that holds `path` (as `dirname` says it).
pub fn parent_of(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => trimmed[..i].trim_end_matches('/').to_string(),
        None if path.starts_with('/') => "/".into(),
        None => ".".into(),
    }
}

/// How to put new content in place.
struct InstallPlan<'a> {
    dest: &'a str,
    mode: u32,
    /// Owner and group of the file being replaced, kept where permitted.
    keep_owner: Option<(u32, u32)>,
    owner: Option<&'a str>,
    group: Option<&'a str>,
    backup: bool,
    validate: Option<&'a str>,
    make_parent: bool,
    directory_mode: Option<u32>,
    /// Checksum of the result to report (when the controller does not know it).
    post_checksum: Option<Algorithm>,
}

enum Installed {
    Done {
        backup: Option<String>,
        state: FileState,
    },
    Failed(Outcome),
}

/// `validate`'s command with `%s` as the new file (Python's `%` formatting: `%%` is `%`).
fn validate_command(cmd: &str, file: &str) -> String {
    let mut out = String::new();
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    out.push_str(file);
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// The script that puts content in place: a temporary file beside dest, filled and
/// checked by sha256, given owner, group and mode, validated, the old file backed
/// up, then renamed over dest; it ends with a probe of the result.
fn install_script(content: &NewContent, plan: &InstallPlan<'_>, marker: &str) -> String {
    let mut s = format!(
        "M={marker}\n{PROBE_FN}p={}\nd=$(dirname -- \"$p\")\n",
        shell_path(plan.dest)
    );
    if plan.make_parent {
        let m = plan
            .directory_mode
            .map(|m| format!("-m 0{m:04o} "))
            .unwrap_or_default();
        s.push_str(&format!(
            "[ -d \"$d\" ] || mkdir -p {m}-- \"$d\" >&2 || exit 96\n"
        ));
    }
    s.push_str(
        "[ -d \"$d\" ] || { printf 'Destination directory %s does not exist\\n' \"$d\" >&2; exit 90; }\n\
         o=; e=\nt=$(mktemp \"$d/.hotplay.XXXXXX\") || exit 91\n\
         trap 'rm -f \"$t\" ${o:+\"$o\"} ${e:+\"$e\"}' EXIT\n",
    );
    match &content.source {
        Source::Remote(src) => {
            s.push_str(&format!("cat -- {} > \"$t\" || exit 91\n", shell_path(src)))
        }
        _ => s.push_str("cat > \"$t\" || exit 91\n"),
    }
    s.push_str(&format!(
        "s=$(sha256sum < \"$t\"); s=${{s%% *}}\n\
         [ \"$s\" = {} ] || {{ echo 'checksum mismatch after the transfer' >&2; exit 91; }}\n",
        content.sha256
    ));
    if let Some((uid, gid)) = plan.keep_owner {
        s.push_str(&format!(
            "chown -- {uid} \"$t\" 2>/dev/null; chgrp -- {gid} \"$t\" 2>/dev/null\n"
        ));
    }
    if let Some(o) = plan.owner {
        s.push_str(&format!("chown -- {} \"$t\" || exit 92\n", quote(o)));
    }
    if let Some(g) = plan.group {
        s.push_str(&format!("chgrp -- {} \"$t\" || exit 92\n", quote(g)));
    }
    s.push_str(&format!("chmod 0{:04o} \"$t\" || exit 91\n", plan.mode));
    if let Some(v) = plan.validate {
        s.push_str(&format!(
            "o=$(mktemp) && e=$(mktemp) || exit 91\n\
             ( {} ) </dev/null >\"$o\" 2>\"$e\"; r=$?\n\
             if [ \"$r\" != 0 ]; then echo \"$r\"; cat \"$o\"; cat \"$e\" >&2; exit 93; fi\n",
            validate_command(v, "\"$t\"")
        ));
    }
    s.push_str("b=\n");
    if plan.backup {
        s.push_str(
            "if [ -e \"$p\" ]; then b=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$p\" \"$b\" >&2 || exit 94; fi\n",
        );
    }
    s.push_str(&format!(
        "mv -f -- \"$t\" \"$p\" >&2 || exit 95\n\
         printf '%s\\n' \"$b\"\n\
         q 0 {} - \"$p\"; printf '\\n%s\\n' \"$M\"\n",
        plan.post_checksum.map(Algorithm::name).unwrap_or("-")
    ));
    s
}

async fn install(
    h: &Handle<'_>,
    content: &NewContent,
    plan: &InstallPlan<'_>,
) -> Result<Installed, ConnError> {
    if let Some(v) = plan.validate
        && !v.contains("%s")
    {
        return Ok(Installed::Failed(Outcome::failed(format!(
            "validate must contain %s: {v}"
        ))));
    }
    let m = marker();
    let stdin = match &content.source {
        Source::Bytes(b) => Stdin::Bytes(b.clone()),
        Source::Controller(p) => Stdin::File(p.clone()),
        Source::Remote(_) => Stdin::None,
    };
    let out = h
        .run_with_stdin(install_script(content, plan, &m), stdin)
        .await?;
    let err = out.stderr_text().trim().to_string();
    let dest = plan.dest;
    let failed = |msg: String| Ok(Installed::Failed(Outcome::failed(msg).with("dest", dest)));
    match out.rc {
        0 => {}
        90 => return failed(err),
        91 => return failed(format!("cannot write {dest}: {err}")),
        92 => return failed(format!("chown failed: {err}")),
        93 => {
            let text = out.stdout_text();
            let (rc, stdout) = text.split_once('\n').unwrap_or((text.as_str(), ""));
            return Ok(Installed::Failed(
                Outcome::failed("failed to validate")
                    .with("exit_status", rc.trim().parse::<i64>().unwrap_or(1))
                    .with("stdout", stdout.to_string())
                    .with("stderr", out.stderr_text()),
            ));
        }
        94 => return failed(format!("cannot back up {dest}: {err}")),
        95 => return failed(format!("Could not replace file: {dest}: {err}")),
        96 => return failed(format!("cannot create the directory of {dest}: {err}")),
        rc => return failed(format!("cannot write {dest} (exit {rc}): {err}")),
    }
    let nl = out.stdout.iter().position(|b| *b == b'\n').unwrap_or(0);
    let backup = String::from_utf8_lossy(&out.stdout[..nl]).into_owned();
    let rest = out.stdout.get(nl + 1..).unwrap_or_default();
    let state = split_answers(rest, &m)
        .first()
        .map(|c| parse_state(c))
        .transpose()
        .map_err(|e| ConnError::Io(format!("cannot inspect {dest}: {e}")))?
        .unwrap_or_default();
    Ok(Installed::Done {
        backup: (!backup.is_empty()).then_some(backup),
        state,
    })
}

/// A --diff entry for a change of state, as Ansible shows `{"before": {...}, "after": {...}}`.
pub fn state_diff(before: &VarMap, after: &VarMap) -> Diff {
    let show = |m: &VarMap| {
        format!(
            "{}\n",
            crate::plan::template::pyjson::pretty(&Value::Object(m.clone()))
        )
    };
    Diff {
        before_header: "before".into(),
        after_header: "after".into(),
        before: show(before),
        after: show(after),
    }
}

#[cfg(test)]
pub mod testing {
    //! A tempdir reached through the local connection, for the modules' tests.

    use crate::execute::connection::local::Local;
    use crate::execute::module::{Args, Handle, Module, ModuleDoc, Outcome};
    use crate::plan::template::Templar;
    use std::path::{Path, PathBuf};

    pub struct Fixture {
        pub dir: tempfile::TempDir,
        pub conn: Local,
        pub templar: Templar,
        pub vars: minijinja::Value,
        /// The controller's search path (a `files/` and `templates/` live under it).
        pub search: Vec<PathBuf>,
        pub peers: crate::execute::module::Peers,
        pub progress: crate::execute::progress::ProgressSink<'static>,
    }

    impl Fixture {
        pub fn new() -> Fixture {
            Fixture::with_vars(serde_json::json!({"inventory_hostname": "h1"}))
        }

        pub fn with_vars(vars: serde_json::Value) -> Fixture {
            let dir = tempfile::tempdir().expect("tempdir");
            let ctl = dir.path().join("controller");
            std::fs::create_dir_all(&ctl).expect("mkdir");
            std::fs::create_dir_all(dir.path().join("target")).expect("mkdir");
            Fixture {
                conn: Local,
                templar: Templar::new(),
                vars: crate::plan::template::to_jinja(&vars),
                search: vec![ctl],
                peers: Default::default(),
                progress: crate::execute::progress::ProgressSink::none(),
                dir,
            }
        }

        /// A path on the "target" side.
        pub fn path(&self, rel: &str) -> String {
            self.target().join(rel).display().to_string()
        }

        pub fn target(&self) -> PathBuf {
            self.dir.path().join("target")
        }

        /// Writes a controller file (under the search path).
        pub fn controller_file(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.search[0].join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).expect("mkdir");
            }
            std::fs::write(&p, text).expect("write");
            p
        }

        pub fn handle(&self, check_mode: bool, diff: bool) -> Handle<'_> {
            Handle {
                host: "h1",
                conn: &self.conn,
                check_mode,
                diff,
                verbosity: 0,
                become_: None,
                env: Vec::new(),
                timeout: None,
                vars: &self.vars,
                templar: &self.templar,
                search_paths: &self.search,
                peers: &self.peers,
                progress: &self.progress,
            }
        }

        /// Runs a module with arguments validated against its spec.
        pub async fn run(
            &self,
            module: &dyn Module,
            args: serde_json::Value,
            check_mode: bool,
            diff: bool,
        ) -> Outcome {
            let args = self::args(module.doc(), args);
            module
                .run(&self.handle(check_mode, diff), &args)
                .await
                .expect("module run")
        }
    }

    pub fn args(doc: &ModuleDoc, v: serde_json::Value) -> Args {
        let map = v.as_object().cloned().unwrap_or_default();
        crate::execute::args::validate(doc, &map).expect("valid arguments")
    }

    /// Paths, kinds, modes, link targets and contents of a tree, for "nothing changed".
    pub fn tree_digest(dir: &Path) -> String {
        use std::os::unix::fs::MetadataExt;
        let mut lines = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(p) = stack.pop() {
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            let detail = if meta.file_type().is_symlink() {
                format!("-> {:?}", std::fs::read_link(&p).ok())
            } else if meta.is_dir() {
                if let Ok(rd) = std::fs::read_dir(&p) {
                    stack.extend(rd.flatten().map(|e| e.path()));
                }
                "dir".into()
            } else {
                super::sha256_hex(&std::fs::read(&p).unwrap_or_default())
            };
            lines.push(format!(
                "{rel} {:o} {} {} {detail}",
                meta.mode(),
                meta.mtime(),
                meta.nlink()
            ));
        }
        lines.sort();
        lines.join("\n")
    }

    pub fn mode_of(path: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use serde_json::json;

    fn m(v: Value, cur: Option<u32>, dir: bool) -> Result<u32, String> {
        parse_mode(&v, cur, dir)
    }

    #[test]
    fn octal_and_integer_modes() {
        assert_eq!(m(json!(420), None, false), Ok(0o644));
        assert_eq!(m(json!("0755"), None, false), Ok(0o755));
        assert_eq!(m(json!("600"), None, false), Ok(0o600));
        assert_eq!(m(json!("0o640"), None, false), Ok(0o640));
        assert_eq!(m(json!("04755"), None, false), Ok(0o4755));
        assert!(
            m(json!(0o17777), None, false)
                .unwrap_err()
                .starts_with("Invalid mode")
        );
        assert!(m(json!("77777"), None, false).is_err());
        assert!(m(json!(true), None, false).is_err());
    }

    #[test]
    fn symbolic_modes_as_ansible() {
        assert_eq!(m(json!("u+x"), Some(0o644), false), Ok(0o744));
        assert_eq!(m(json!("u=rw,g=r,o="), Some(0o777), false), Ok(0o640));
        assert_eq!(m(json!("u=rwx,g=rx,o=rx"), Some(0), false), Ok(0o755));
        assert_eq!(m(json!("go-w"), Some(0o666), false), Ok(0o644));
        assert_eq!(m(json!("a+X"), Some(0o600), true), Ok(0o711));
        assert_eq!(m(json!("a+X"), Some(0o600), false), Ok(0o600));
        assert_eq!(m(json!("a+X"), Some(0o700), false), Ok(0o711));
        // No who: the umask (022) holds back w for group and others.
        assert_eq!(m(json!("+w"), Some(0o444), false), Ok(0o644));
        assert_eq!(m(json!("=rx"), Some(0o777), false), Ok(0o555));
        // Several operators in one clause, copies from another class, special bits.
        assert_eq!(m(json!("u+r-w"), Some(0o200), false), Ok(0o400));
        assert_eq!(m(json!("g=u"), Some(0o750), false), Ok(0o770));
        assert_eq!(m(json!("o=g"), Some(0o750), false), Ok(0o755));
        assert_eq!(m(json!("u+s,g+s,o+t"), Some(0o755), true), Ok(0o7755));
        assert_eq!(m(json!("u=rwx"), Some(0o4755), false), Ok(0o755));
        let e = m(json!("u+q"), None, false).unwrap_err();
        assert_eq!(
            e,
            "mode must be in octal or symbolic form: bad symbolic permission for mode: u+q"
        );
        assert!(m(json!("z+r"), None, false).is_err());
        assert!(m(json!("0999"), None, false).is_err());
        assert_eq!(
            parse_mode_umask(&json!("+w"), Some(0o444), false, 0o002),
            Ok(0o664)
        );
    }

    #[test]
    fn parses_probe_answers() {
        let out = b"0022\nparent\nfile\n644 81a4 0 0 12 1700000000 1700000001 1700000002 99 2049 2 root root\nrw-\n\n\n-\nabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd\ncontent\nhello\nworld";
        let s = parse_state(out).expect("parse");
        assert!(s.exists);
        assert_eq!(s.kind, Kind::File);
        assert_eq!(s.mode, 0o644);
        assert_eq!(s.raw_mode, 0o100644);
        assert_eq!(
            (s.size, s.mtime, s.atime, s.ctime),
            (12, 1_700_000_000, 1_700_000_001, 1_700_000_002)
        );
        assert_eq!((s.inode, s.dev, s.nlink), (99, 2049, 2));
        assert_eq!(s.state_word(), "hard");
        assert!(s.readable && s.writeable && !s.executable);
        assert!(s.sha256.is_some());
        assert_eq!(s.content.as_deref(), Some(&b"hello\nworld"[..]));
        assert_eq!(s.umask, 0o022);
        let l = parse_state(
            b"0002\nparent\nlink\n777 a1ff 1000 1000 4 1 1 1 5 6 1 bob staff\nrwx\n../t\n/abs/t\n-\n\nnone\n",
        )
        .expect("parse");
        assert_eq!(l.kind, Kind::Link);
        assert_eq!(l.link_target.as_deref(), Some("../t"));
        assert_eq!(l.link_source.as_deref(), Some("/abs/t"));
        assert_eq!(l.owner, "bob");
        assert_eq!(l.content, None);
        assert_eq!(l.new_file_mode(), 0o664);
        let a = parse_state(b"0022\nnoparent\nabsent\n").expect("parse");
        assert!(!a.exists && !a.parent_exists);
        assert!(parse_state(b"0022\nparent\nfile\nnonsense\n").is_err());
        assert_eq!(parent_of("/a/b"), "/a");
        assert_eq!(parent_of("/a"), "/");
        assert_eq!(parent_of("a"), ".");
        assert_eq!(parent_of("/a/b/"), "/a");
    }

    #[test]
    fn validate_formats_like_python() {
        assert_eq!(
            validate_command("visudo -cf %s && echo 100%%", "\"$t\""),
            "visudo -cf \"$t\" && echo 100%"
        );
    }

    #[tokio::test]
    async fn probes_real_paths_in_one_trip() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "abc").expect("write");
        std::os::unix::fs::symlink(fx.path("f"), fx.path("l")).expect("symlink");
        std::fs::create_dir(fx.path("d")).expect("mkdir");
        let h = fx.handle(false, false);
        let f = fx.path("f");
        let l = fx.path("l");
        let d = fx.path("d");
        let none = fx.path("none/x");
        let states = query_many(
            &h,
            &[
                (
                    f.as_str(),
                    Probe {
                        checksum: Some(Algorithm::Sha1),
                        follow: false,
                        content_up_to: Some(10),
                    },
                ),
                (l.as_str(), Probe::default()),
                (
                    l.as_str(),
                    Probe {
                        follow: true,
                        checksum: Some(Algorithm::Sha256),
                        content_up_to: None,
                    },
                ),
                (d.as_str(), Probe::default()),
                (none.as_str(), Probe::default()),
            ],
        )
        .await
        .expect("query");
        assert_eq!(states[0].kind, Kind::File);
        assert_eq!(
            states[0].checksum.as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(states[0].content.as_deref(), Some(&b"abc"[..]));
        assert_eq!(states[1].kind, Kind::Link);
        assert_eq!(states[1].link_target.as_deref(), Some(f.as_str()));
        assert_eq!(states[2].kind, Kind::File);
        assert_eq!(
            states[2].sha256.as_deref(),
            Some(sha256_hex(b"abc").as_str())
        );
        assert_eq!(states[2].link_source.as_deref(), Some(f.as_str()));
        assert_eq!(states[3].kind, Kind::Directory);
        assert!(!states[3].has_entries);
        assert!(!states[4].exists && !states[4].parent_exists);
    }

    #[tokio::test]
    async fn writes_atomically_with_backup_and_attributes() {
        let fx = Fixture::new();
        let dest = fx.path("conf");
        std::fs::write(&dest, "old\n").expect("write");
        let h = fx.handle(false, true);
        let mode = json!("0640");
        let opts = WriteOptions {
            mode: Some(&mode),
            backup: true,
            force: true,
            ..Default::default()
        };
        let o = write_content(&h, &dest, b"new\n".to_vec(), &opts)
            .await
            .expect("write");
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "new\n");
        assert_eq!(mode_of(&dest), 0o640);
        let b = o.data["backup_file"]
            .as_str()
            .expect("backup_file")
            .to_string();
        assert!(
            b.starts_with(&format!("{dest}.")) && b.ends_with('~'),
            "{b}"
        );
        assert_eq!(std::fs::read_to_string(&b).expect("backup"), "old\n");
        assert_eq!(o.diff[0].before, "old\n");
        assert_eq!(o.diff[0].after, "new\n");
        assert_eq!(o.data["mode"], "0640");
        assert_eq!(o.data["checksum"], sha1_hex(b"new\n"));
        let again = write_content(&h, &dest, b"new\n".to_vec(), &opts)
            .await
            .expect("write");
        assert!(!again.changed, "{again:?}");
        // A new file gets 0666 & !umask, not mktemp's 0600.
        let fresh = fx.path("fresh");
        let o = write_content(
            &h,
            &fresh,
            b"x".to_vec(),
            &WriteOptions {
                force: true,
                ..Default::default()
            },
        )
        .await
        .expect("write");
        assert!(o.changed);
        let umask = query(&h, &fresh, false).await.expect("q").umask;
        assert_eq!(mode_of(&fresh), 0o666 & !umask);
        let leftovers: Vec<_> = std::fs::read_dir(fx.target())
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".hotplay"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[tokio::test]
    async fn failed_validation_and_missing_directory() {
        let fx = Fixture::new();
        let dest = fx.path("conf");
        std::fs::write(&dest, "good\n").expect("write");
        let h = fx.handle(false, false);
        let opts = WriteOptions {
            validate: Some("grep -q good %s"),
            force: true,
            ..Default::default()
        };
        let o = write_content(&h, &dest, b"bad\n".to_vec(), &opts)
            .await
            .expect("write");
        assert!(o.failed);
        assert_eq!(o.msg.as_deref(), Some("failed to validate"));
        assert_eq!(o.data["exit_status"], 1);
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "good\n");
        let o = write_content(
            &h,
            &fx.path("no/such"),
            b"x".to_vec(),
            &WriteOptions {
                force: true,
                ..Default::default()
            },
        )
        .await
        .expect("write");
        assert_eq!(
            o.msg.as_deref(),
            Some(format!("Destination directory {} does not exist", fx.path("no")).as_str())
        );
    }

    #[tokio::test]
    async fn attributes_change_only_where_they_differ() {
        let fx = Fixture::new();
        let p = fx.path("f");
        std::fs::write(&p, "x").expect("write");
        let h = fx.handle(false, false);
        let st = query(&h, &p, false).await.expect("q");
        let me = st.owner.clone();
        assert!(
            !apply_attrs(
                &h,
                &p,
                Some(st.mode),
                Some(&me),
                Some(&st.gid.to_string()),
                &st
            )
            .await
            .expect("attrs")
        );
        let check = fx.handle(true, false);
        assert!(
            apply_attrs(&check, &p, Some(0o600), None, None, &st)
                .await
                .expect("attrs")
        );
        assert_eq!(mode_of(&p), st.mode);
        assert!(
            apply_attrs(&h, &p, Some(0o600), None, None, &st)
                .await
                .expect("attrs")
        );
        assert_eq!(mode_of(&p), 0o600);
        let e = apply_attrs(&h, &p, None, Some("no-such-user-hotplay"), None, &st).await;
        assert!(e.is_err());
    }

    #[tokio::test]
    async fn reads_whole_files_and_tells_why_not() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), b"\x00\x01bin").expect("write");
        let h = fx.handle(false, false);
        assert_eq!(
            read_file(&h, &fx.path("f")).await.expect("read"),
            Ok(b"\x00\x01bin".to_vec())
        );
        assert_eq!(
            read_file(&h, &fx.path("none")).await.expect("read"),
            Err(ReadError::Missing)
        );
        assert_eq!(
            read_file(&h, &fx.target().display().to_string())
                .await
                .expect("read"),
            Err(ReadError::Directory)
        );
        let b = backup(&h, &fx.path("f")).await.expect("backup");
        assert_eq!(std::fs::read(&b).expect("read"), b"\x00\x01bin");
    }
}
