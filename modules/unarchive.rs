//! unarchive: unpack a tar (plain, gzip, bzip2, xz, zstd) or zip archive into an
//! existing directory of the target with the target's own `tar` or `unzip`.
//!
//! Round trips: one to look (creates, dest, tools, the archive's first bytes), one to
//! upload a controller archive (streamed, into a private temporary directory), one to
//! list the archive and compare it with dest, and one to unpack and set attributes.

use super::remote_file::{FileState, Kind, attr_word_commands, mode_string, parse_mode_umask};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

pub struct Unarchive;

static DOC: ModuleDoc = ModuleDoc {
    name: "unarchive",
    short: "Unpack an archive into a directory",
    description: "Unpacks a tar archive (plain, gzip, bzip2, xz or zstd) or a zip archive into `dest`, which must be an existing directory. The format is read from the archive's first bytes (its name when they say nothing). `src` is a controller file (searched in files/), streamed to a private temporary directory of the target and removed afterwards, unless remote_src=yes says it is already on the target. The target's `tar` unpacks tar archives (`unzip` zip archives: a clear error when it is missing).
Idempotence: with `creates`, nothing happens (the task is skipped) when that path exists. Otherwise the archive is compared with dest first and unpacked only when they differ: with GNU tar as Ansible does (`tar --diff`: missing files, size, contents, modification time, symlinks, and as root owner and group); with another tar and with zip, a missing entry or a regular file of another size counts as a difference. owner, group and mode are then given to every entry of the archive (and to the top directories), where they differ.",
    args: &[
        ArgSpec::new(
            "src",
            ArgType::Path,
            "The archive: a controller file (searched in files/), or with remote_src=yes a path on the target.",
        )
        .required(),
        ArgSpec::new("dest", ArgType::Path, "The existing directory to unpack into.").required(),
        ArgSpec::new(
            "remote_src",
            ArgType::Bool,
            "src is already on the target.",
        )
        .default("no"),
        ArgSpec::new(
            "creates",
            ArgType::Path,
            "Skip the task when this path exists on the target.",
        ),
        ArgSpec::new(
            "list_files",
            ArgType::Bool,
            "Return the archive's entries as `files`.",
        )
        .default("no"),
        ArgSpec::new(
            "extra_opts",
            ArgType::List,
            "More options for tar or unzip (e.g. --strip-components=1).",
        ),
        ArgSpec::new(
            "exclude",
            ArgType::List,
            "Entries (shell patterns) not to unpack.",
        ),
        ArgSpec::new(
            "include",
            ArgType::List,
            "Only these entries are unpacked.",
        ),
        ArgSpec::new(
            "keep_newer",
            ArgType::Bool,
            "tar: do not replace files that are newer than the archive's.",
        )
        .default("no"),
        ArgSpec::new("owner", ArgType::Str, "Owner of the unpacked entries."),
        ArgSpec::new("group", ArgType::Str, "Group of the unpacked entries."),
        ArgSpec::new(
            "mode",
            ArgType::Mode,
            "Mode of the unpacked entries (octal or symbolic; directories too, so prefer u=rwX,...).",
        ),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: uploads the archive to a temporary directory (removed at once), compares it with dest and reports whether it would unpack or change attributes, without touching dest.",
    returns: "dest, src, handler (TgzArchive, TarArchive, TarBzipArchive, TarXzArchive, TarZstdArchive, ZipArchive)
uid, gid, owner, group, mode, size, state: dest's
extract_results: cmd, rc, out, err (when it unpacked)
files: the archive's entries (with list_files=yes)",
    examples: "- unarchive:
    src: hotdb-server-2.5.6-ga-20200601.tar.gz
    dest: /usr/local/hotdb
    creates: /usr/local/hotdb/hotdb-server/bin
- unarchive:
    src: /tmp/jdk8.tar.gz
    dest: /usr/local/jdk8
    remote_src: yes
    extra_opts: [--strip-components=1]
    list_files: yes",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Zip,
    Tar(Compression),
}

impl Format {
    /// Ansible's name for the handler.
    fn handler(self) -> &'static str {
        match self {
            Format::Zip => "ZipArchive",
            Format::Tar(Compression::None) => "TarArchive",
            Format::Tar(Compression::Gzip) => "TgzArchive",
            Format::Tar(Compression::Bzip2) => "TarBzipArchive",
            Format::Tar(Compression::Xz) => "TarXzArchive",
            Format::Tar(Compression::Zstd) => "TarZstdArchive",
        }
    }

    fn tar_flag(self) -> &'static str {
        match self {
            Format::Tar(Compression::Gzip) => " -z",
            Format::Tar(Compression::Bzip2) => " -j",
            Format::Tar(Compression::Xz) => " -J",
            Format::Tar(Compression::Zstd) => " --zstd",
            _ => "",
        }
    }
}

/// The format from the archive's first bytes, else from its name.
fn detect(head: &[u8], name: &str) -> Option<Format> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return Some(Format::Zip);
    }
    if starts(&[0x1f, 0x8b]) {
        return Some(Format::Tar(Compression::Gzip));
    }
    if starts(b"BZh") {
        return Some(Format::Tar(Compression::Bzip2));
    }
    if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Some(Format::Tar(Compression::Xz));
    }
    if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(Format::Tar(Compression::Zstd));
    }
    if head.get(257..262) == Some(b"ustar") {
        return Some(Format::Tar(Compression::None));
    }
    let n = name.to_ascii_lowercase();
    let ends = |exts: &[&str]| exts.iter().any(|e| n.ends_with(e));
    if ends(&[".zip"]) {
        Some(Format::Zip)
    } else if ends(&[".tar.gz", ".tgz"]) {
        Some(Format::Tar(Compression::Gzip))
    } else if ends(&[".tar.bz2", ".tbz2", ".tbz"]) {
        Some(Format::Tar(Compression::Bzip2))
    } else if ends(&[".tar.xz", ".txz"]) {
        Some(Format::Tar(Compression::Xz))
    } else if ends(&[".tar.zst", ".tzst"]) {
        Some(Format::Tar(Compression::Zstd))
    } else if ends(&[".tar"]) {
        Some(Format::Tar(Compression::None))
    } else {
        None
    }
}

fn unhex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

/// Python's `fnmatch`: `*` (slashes too), `?`, `[seq]`, `[!seq]`.
fn fnmatch(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(c) = n.first() else { return false };
                let (neg, set) = match p[1] {
                    '!' => (true, &p[2..close]),
                    _ => (false, &p[1..close]),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= (set[i]..=set[i + 2]).contains(c);
                        i += 3;
                    } else {
                        hit |= set[i] == *c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &n[1..])
            }
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Lines of `tar --diff` that mean dest differs, as Ansible's unarchive reads them.
fn tar_differences(out: &str, root: bool, owner: bool, group: bool, mode: bool) -> Vec<String> {
    out.lines()
        .filter(|l| !l.ends_with(": : Warning: Cannot stat: No such file or directory"))
        .filter(|l| {
            (root && !owner && l.ends_with(": Uid differs"))
                || (root && !group && l.ends_with(": Gid differs"))
                || (!mode && l.ends_with(": Mode differs"))
                || l.ends_with(": Mod time differs")
                || l.ends_with(": Warning: Cannot stat: No such file or directory")
                || l.contains(": Invalid owner")
                || l.contains(": Invalid group")
                || l.ends_with(": Symlink differs")
                || l.ends_with(": Contents differ")
                || l.ends_with(": Size differs")
                || l.ends_with(": File type differs")
        })
        .map(str::to_string)
        .collect()
}

/// The answer of the first look at the target.
#[derive(Debug, Default)]
struct Looked {
    creates_exists: bool,
    dest_is_dir: bool,
    dest: FileState,
    src: Option<String>,
    head: Vec<u8>,
    gnu_tar: bool,
    tar: bool,
    unzip: bool,
    tmp: Option<String>,
}

fn parse_look(out: &str) -> Looked {
    let mut l = Looked::default();
    for line in out.lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        match k {
            "creates" => l.creates_exists = true,
            "dest" => {
                l.dest_is_dir = true;
                let f: Vec<&str> = v.splitn(6, ' ').collect();
                if let [m, uid, gid, size, owner, group] = f.as_slice() {
                    l.dest = FileState {
                        exists: true,
                        kind: Kind::Directory,
                        mode: u32::from_str_radix(m, 8).unwrap_or(0),
                        uid: uid.parse().unwrap_or(0),
                        gid: gid.parse().unwrap_or(0),
                        size: size.parse().unwrap_or(0),
                        owner: owner.to_string(),
                        group: group.to_string(),
                        ..Default::default()
                    };
                }
            }
            "src" => l.src = Some(v.to_string()),
            "head" => l.head = unhex(v),
            "tar" => {
                l.tar = v != "none";
                l.gnu_tar = v == "gnu";
            }
            "unzip" => l.unzip = true,
            "tmp" => l.tmp = Some(v.to_string()),
            _ => {}
        }
    }
    l
}

/// The wanted attributes of the unpacked entries.
struct Attrs<'a> {
    mode: Option<&'a Value>,
    owner: Option<&'a str>,
    group: Option<&'a str>,
}

impl Attrs<'_> {
    fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }
}

/// How to list, compare and unpack one archive on the target.
struct Plan {
    format: Format,
    gnu: bool,
    archive: String,
    dest: String,
    extra: Vec<String>,
    exclude: Vec<String>,
    include: Vec<String>,
    keep_newer: bool,
}

impl Plan {
    fn words(list: &[String], prefix: &str) -> String {
        list.iter()
            .map(|w| format!(" {}", quote(&format!("{prefix}{w}"))))
            .collect()
    }

    /// Options shared by listing and comparing (GNU tar shows names as extraction makes them).
    fn tar_opts(&self) -> String {
        let mut s = String::new();
        if self.gnu && !self.extra.is_empty() {
            s.push_str(" --show-transformed-names");
            s.push_str(&Plan::words(&self.extra, ""));
        }
        s.push_str(&Plan::words(&self.exclude, "--exclude="));
        s
    }

    fn list(&self) -> String {
        let (a, f) = (quote(&self.archive), self.format.tar_flag());
        match self.format {
            Format::Zip => format!("unzip -Z1 {a}"),
            Format::Tar(_) => {
                let literal = if self.gnu {
                    " --quoting-style=literal"
                } else {
                    ""
                };
                format!(
                    "tar -t{f}{literal}{} -f {a}{}",
                    self.tar_opts(),
                    Plan::words(&self.include, "")
                )
            }
        }
    }

    /// What differs between the archive and dest: GNU tar's `--diff` lines, or
    /// `missing\tNAME` / `size\tNAME` lines from a listing with sizes.
    fn compare(&self) -> String {
        let (a, d, f) = (
            quote(&self.archive),
            quote(&self.dest),
            self.format.tar_flag(),
        );
        let check = format!(
            "p={d}/\"$name\"\n\
             case $kind in\n\
             d) [ -d \"$p\" ] || printf 'missing\\t%s\\n' \"$name\";;\n\
             f) if [ -f \"$p\" ]; then [ \"$(stat -c %s -- \"$p\")\" = \"$size\" ] || printf 'size\\t%s\\n' \"$name\"; else printf 'missing\\t%s\\n' \"$name\"; fi;;\n\
             esac\n"
        );
        match self.format {
            Format::Tar(_) if self.gnu => {
                let keep = if self.keep_newer {
                    " --keep-newer-files"
                } else {
                    ""
                };
                format!(
                    "tar -d{f} -C {d}{}{keep} -f {a}{} 2>&1\n",
                    self.tar_opts(),
                    Plan::words(&self.include, "")
                )
            }
            Format::Tar(_) => format!(
                "tar -tv{f} -f {a} | while read -r perm owner size day time name; do\n\
                 case $perm in -*) kind=f;; d*) kind=d;; *) continue;; esac\n\
                 name=${{name%/}}\n{check}done\n"
            ),
            Format::Zip => format!(
                "unzip -l {a} | while read -r size day time name; do\n\
                 case $size in ''|*[!0-9]*) continue;; esac\n\
                 [ -n \"$name\" ] || continue\n\
                 case $name in */) kind=d;; *) kind=f;; esac\n{check}done\n"
            ),
        }
    }

    fn extract(&self) -> String {
        let (a, d, f) = (
            quote(&self.archive),
            quote(&self.dest),
            self.format.tar_flag(),
        );
        match self.format {
            Format::Zip => format!(
                "unzip -o{} {a}{}{} -d {d}",
                Plan::words(&self.extra, ""),
                Plan::words(&self.include, ""),
                if self.exclude.is_empty() {
                    String::new()
                } else {
                    format!(" -x{}", Plan::words(&self.exclude, ""))
                }
            ),
            Format::Tar(_) => format!(
                "tar -x{f} -C {d}{}{}{} -f {a}{}",
                Plan::words(&self.extra, ""),
                if self.keep_newer {
                    " --keep-newer-files"
                } else {
                    ""
                },
                Plan::words(&self.exclude, "--exclude="),
                Plan::words(&self.include, "")
            ),
        }
    }

    /// Whether an entry of the listing is one this task unpacks.
    fn wanted(&self, name: &str) -> bool {
        let name = name.trim_end_matches('/');
        let matches = |p: &String| fnmatch(p, name) || fnmatch(p.trim_end_matches('/'), name);
        !self.exclude.iter().any(matches)
            && (self.include.is_empty() || self.include.iter().any(matches))
    }
}

/// Splits a script's output at the marker lines.
fn sections<'a>(out: &'a str, marker: &str) -> Vec<&'a str> {
    out.split(&format!("{marker}\n")).collect()
}

fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("::hotplay-unarchive-{:x}-{nanos:x}::", std::process::id())
}

/// The first bytes of a controller file (its magic number).
fn head_of(path: &std::path::Path) -> Vec<u8> {
    let mut buf = Vec::with_capacity(264);
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(264).read_to_end(&mut buf);
    }
    buf
}

#[async_trait]
impl Module for Unarchive {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let src = args.string("src").unwrap_or_default();
        let dest = args.string("dest").unwrap_or_default();
        let remote = args.bool("remote_src");
        if remote && src.contains("://") {
            return Ok(Outcome::failed(format!(
                "Source '{src}' is a URL: hotplay does not download archives; fetch it first and give its path"
            )));
        }
        let local = (!remote).then(|| h.find_file("files", &src));
        // 1. Look: creates, dest, the archive on the target, the tools; a private
        //    temporary directory for an upload.
        let d = quote(&dest);
        let mut look = String::from("LC_ALL=C; export LC_ALL\n");
        if let Some(c) = args.str("creates") {
            look.push_str(&format!(
                "if [ -e {} ]; then echo creates; exit 0; fi\n",
                quote(c)
            ));
        }
        look.push_str(&format!(
            "[ -d {d} ] || exit 0\nprintf 'dest '; stat -c '%a %u %g %s %U %G' -- {d}\n"
        ));
        if remote {
            let s = quote(&src);
            look.push_str(&format!(
                "if [ ! -e {s} ]; then echo 'src missing'; elif [ -d {s} ]; then echo 'src dir'; elif [ ! -r {s} ]; then echo 'src unreadable'; elif [ ! -s {s} ]; then echo 'src empty'; else printf 'head '; od -An -v -tx1 -N 264 -- {s} | tr -d ' \\n'; echo; fi\n"
            ));
        }
        look.push_str(
            "if tar --version 2>/dev/null | grep -q 'GNU tar'; then echo 'tar gnu'; elif command -v tar >/dev/null 2>&1; then echo 'tar other'; else echo 'tar none'; fi\n\
             command -v unzip >/dev/null 2>&1 && echo unzip\n",
        );
        if matches!(local, Some(Some(_))) {
            look.push_str("t=$(mktemp -d) && echo \"tmp $t\"\n");
        }
        look.push_str("exit 0\n");
        let out = h.run(look).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "cannot inspect {dest}: {}",
                out.stderr_text().trim()
            )));
        }
        let looked = parse_look(&out.stdout_text());
        let cleanup = |tmp: &Option<String>| {
            tmp.as_ref()
                .map(|t| format!("rm -rf -- {}\n", quote(t)))
                .unwrap_or_default()
        };
        if looked.creates_exists {
            let c = args.str("creates").unwrap_or_default();
            return Ok(Outcome::skipped(format!("skipped, since {c} exists")));
        }
        if let Some(None) = local {
            return Ok(Outcome::failed(format!(
                "Could not find or access '{src}' on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option"
            )));
        }
        let fail_and_clean = async |o: Outcome| -> Result<Outcome, ConnError> {
            let rm = cleanup(&looked.tmp);
            if !rm.is_empty() {
                let _ = h.run(rm).await;
            }
            Ok(o)
        };
        if !looked.dest_is_dir {
            return fail_and_clean(Outcome::failed(format!(
                "dest '{dest}' must be an existing dir"
            )))
            .await;
        }
        match looked.src.as_deref() {
            Some("missing") => {
                return Ok(Outcome::failed(format!("Source '{src}' does not exist")));
            }
            Some("unreadable") => {
                return Ok(Outcome::failed(format!("Source '{src}' not readable")));
            }
            Some("empty") => {
                return Ok(Outcome::failed(format!(
                    "Invalid archive '{src}', the file is 0 bytes"
                )));
            }
            Some("dir") => {
                return Ok(Outcome::failed(format!(
                    "Source '{src}' is a directory, not an archive"
                )));
            }
            _ => {}
        }
        // 2. Upload a controller archive, streamed.
        let (archive, head) = match &local {
            Some(Some(path)) => {
                let Some(tmp) = &looked.tmp else {
                    return Ok(Outcome::failed(
                        "cannot make a temporary directory on the target",
                    ));
                };
                if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
                    return fail_and_clean(Outcome::failed(format!(
                        "Invalid archive '{src}', the file is 0 bytes"
                    )))
                    .await;
                }
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "archive".into());
                let remote_path = format!("{tmp}/{name}");
                if let Err(e) = h
                    .conn
                    .put(path, &remote_path, Some(0o600), h.become_.clone())
                    .await
                {
                    return fail_and_clean(Outcome::failed(format!(
                        "Source '{src}' failed to transfer: {e}"
                    )))
                    .await;
                }
                (remote_path, head_of(path))
            }
            _ => (src.clone(), looked.head.clone()),
        };
        let Some(format) = detect(&head, &src) else {
            return fail_and_clean(Outcome::failed(format!(
                "Failed to find handler for \"{archive}\". Make sure the required command to extract the file is installed.\nneither a tar (gzip, bzip2, xz, zstd) nor a zip archive"
            )))
            .await;
        };
        let tool_missing = match format {
            Format::Zip if !looked.unzip => {
                Some("Unable to find required 'unzip' or 'unzip' binary in the path.")
            }
            Format::Tar(_) if !looked.tar => Some("Commands \"gtar\" and \"tar\" not found."),
            _ => None,
        };
        if let Some(why) = tool_missing {
            return fail_and_clean(Outcome::failed(format!(
                "Failed to find handler for \"{archive}\". Make sure the required command to extract the file is installed.\n{why}"
            )))
            .await;
        }
        let plan = Plan {
            format,
            gnu: looked.gnu_tar,
            archive: archive.clone(),
            dest: dest.clone(),
            extra: args.str_list("extra_opts"),
            exclude: args.str_list("exclude"),
            include: args.str_list("include"),
            keep_newer: args.bool("keep_newer"),
        };
        let attrs = Attrs {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
        };
        // 3. List and compare (and read the entries' attributes when some are wanted).
        let m = marker();
        let mut inspect = format!(
            "LC_ALL=C; export LC_ALL\nM={m}\nl=$(mktemp) || exit 1\ntrap 'rm -f \"$l\"; {}' EXIT\n\
             if ! e=$({} 2>&1 >\"$l\"); then printf '%s\\n' \"$e\" >&2; exit 3; fi\n\
             cat \"$l\"; printf '%s\\n' \"$M\"\n{}printf '%s\\n' \"$M\"\nid -u; umask; printf '%s\\n' \"$M\"\n",
            // In check mode nothing follows: the upload goes at once.
            if h.check_mode {
                cleanup(&looked.tmp).trim_end().replace('\'', "'\\''")
            } else {
                String::new()
            },
            plan.list(),
            plan.compare(),
        );
        if attrs.any() {
            inspect.push_str(&format!(
                "{{ sed 's|^/*||' \"$l\"; sed -n 's|^/*\\([^/]*\\)/.*|\\1|p' \"$l\" | sort -u; }} | (cd {d} && tr '\\n' '\\0' | xargs -0 -r stat -c '%a|%u|%g|%U|%G|%F|%n' -- 2>/dev/null)\n"
            ));
        }
        inspect.push_str("exit 0\n");
        let out = h.run(inspect).await?;
        if out.rc != 0 {
            return fail_and_clean(Outcome::failed(format!(
                "Failed to find handler for \"{archive}\". Make sure the required command to extract the file is installed.\nCommand \"{}\" could not handle archive: {}",
                if format == Format::Zip { "unzip" } else { "tar" },
                out.stderr_text().trim()
            )))
            .await;
        }
        let text = out.stdout_text();
        let parts = sections(&text, &m);
        let (listing, compare, ids, stats) = (
            parts.first().copied().unwrap_or(""),
            parts.get(1).copied().unwrap_or(""),
            parts.get(2).copied().unwrap_or(""),
            parts.get(3).copied().unwrap_or(""),
        );
        let files: Vec<String> = listing
            .lines()
            .map(|l| l.trim_start_matches('/').to_string())
            .filter(|l| !l.is_empty() && plan.wanted(l))
            .collect();
        let mut id_lines = ids.lines();
        let root = id_lines.next().map(str::trim) == Some("0");
        let umask = id_lines
            .next()
            .and_then(|u| u32::from_str_radix(u.trim(), 8).ok())
            .unwrap_or(0o022);
        let differences: Vec<String> = if format != Format::Zip && plan.gnu {
            tar_differences(
                compare,
                root,
                attrs.owner.is_some(),
                attrs.group.is_some(),
                attrs.mode.is_some(),
            )
        } else {
            compare
                .lines()
                .filter(|l| l.split_once('\t').is_some_and(|(_, n)| plan.wanted(n)))
                .map(str::to_string)
                .collect()
        };
        let unpack = !differences.is_empty();
        // Which entries (and top directories) need other attributes.
        let mut targets: BTreeSet<String> = BTreeSet::new();
        for f in &files {
            targets.insert(f.clone());
            if let Some((top, _)) = f.split_once('/') {
                targets.insert(top.to_string());
            }
        }
        let mut attrs_differ = false;
        if attrs.any() {
            let mut seen: BTreeMap<&str, FileState> = BTreeMap::new();
            for line in stats.lines() {
                let f: Vec<&str> = line.splitn(7, '|').collect();
                let [m, uid, gid, owner, group, kind, name] = f.as_slice() else {
                    continue;
                };
                let kind = match *kind {
                    "directory" => Kind::Directory,
                    "symbolic link" => Kind::Link,
                    _ => Kind::File,
                };
                seen.insert(
                    name,
                    FileState {
                        exists: true,
                        kind,
                        mode: u32::from_str_radix(m, 8).unwrap_or(0),
                        uid: uid.parse().unwrap_or(0),
                        gid: gid.parse().unwrap_or(0),
                        owner: owner.to_string(),
                        group: group.to_string(),
                        ..Default::default()
                    },
                );
            }
            for t in &targets {
                let Some(st) = seen.get(t.as_str()) else {
                    continue;
                };
                let want = match attrs
                    .mode
                    .map(|v| parse_mode_umask(v, Some(st.mode), st.kind == Kind::Directory, umask))
                    .transpose()
                {
                    Ok(w) => w,
                    Err(e) => return fail_and_clean(Outcome::failed(e)).await,
                };
                if !attr_word_commands("p", want, attrs.owner, attrs.group, st).is_empty() {
                    attrs_differ = true;
                    break;
                }
            }
        }
        let mut o = Outcome::changed(unpack || attrs_differ)
            .with("dest", dest.clone())
            .with("src", src.clone())
            .with("handler", format.handler())
            .with("uid", looked.dest.uid)
            .with("gid", looked.dest.gid)
            .with("owner", looked.dest.owner.clone())
            .with("group", looked.dest.group.clone())
            .with("mode", mode_string(looked.dest.mode))
            .with("size", looked.dest.size)
            .with("state", "directory");
        if args.bool("list_files") {
            o = o.with("files", files.clone());
        }
        if h.check_mode {
            return Ok(o);
        }
        if !unpack && !attrs_differ {
            let rm = cleanup(&looked.tmp);
            if !rm.is_empty() {
                let _ = h.run(rm).await;
            }
            return Ok(o);
        }
        // 4. Unpack, give the entries their attributes, and clean up.
        let cmd = plan.extract();
        let mut act = format!(
            "LC_ALL=C; export LC_ALL\nM={m}\ntrap '{}' EXIT\n",
            cleanup(&looked.tmp).trim_end().replace('\'', "'\\''")
        );
        if unpack {
            act.push_str(&format!(
                "o=$(mktemp) && e=$(mktemp) || exit 1\n\
                 {cmd} >\"$o\" 2>\"$e\"; rc=$?\n\
                 printf 'rc=%s\\n' \"$rc\"; cat \"$o\"; printf '\\n%s\\n' \"$M\"; cat \"$e\"; printf '\\n%s\\n' \"$M\"; rm -f \"$o\" \"$e\"\n\
                 [ \"$rc\" = 0 ] || exit 0\n"
            ));
        }
        if attrs.any() {
            act.push_str(&format!(
                "cd {d} || exit 5\na=$(mktemp) || exit 5\ntrap 'rm -f \"$a\"; {}' EXIT\ntr '\\n' '\\0' > \"$a\"\n",
                cleanup(&looked.tmp).trim_end().replace('\'', "'\\''")
            ));
            let owner_group = match (attrs.owner, attrs.group) {
                (Some(u), Some(g)) => Some(format!("chown -h -- {}", quote(&format!("{u}:{g}")))),
                (Some(u), None) => Some(format!("chown -h -- {}", quote(u))),
                (None, Some(g)) => Some(format!("chgrp -h -- {}", quote(g))),
                (None, None) => None,
            };
            if let Some(c) = owner_group {
                act.push_str(&format!("xargs -0 -r {c} < \"$a\" || exit 5\n"));
            }
            if let Some(v) = attrs.mode {
                let spec = match v {
                    Value::String(s)
                        if !s.trim().chars().all(|c| c.is_ascii_digit())
                            && !s.trim().starts_with("0o") =>
                    {
                        s.trim().to_string()
                    }
                    other => match parse_mode_umask(other, None, false, umask) {
                        Ok(m) => format!("0{m:04o}"),
                        Err(e) => return fail_and_clean(Outcome::failed(e)).await,
                    },
                };
                act.push_str(&format!(
                    "xargs -0 -r sh -c 'for f; do [ -L \"$f\" ] || printf \"%s\\0\" \"$f\"; done' _ < \"$a\" | xargs -0 -r chmod -- {} || exit 5\n",
                    quote(&spec)
                ));
            }
        }
        act.push_str("exit 0\n");
        let list: String = targets
            .iter()
            .filter(|t| !t.contains('\n'))
            .map(|t| format!("{t}\n"))
            .collect();
        let out = h
            .run_with_stdin(
                act,
                crate::execute::connection::Stdin::Bytes(list.into_bytes()),
            )
            .await?;
        if unpack {
            let text = out.stdout_text();
            let parts = sections(&text, &m);
            let head = parts.first().copied().unwrap_or("");
            let (rc_line, stdout) = head.split_once('\n').unwrap_or((head, ""));
            let rc: i64 = rc_line
                .strip_prefix("rc=")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(-1);
            let stderr = parts.get(1).copied().unwrap_or("");
            let results = json!({
                "cmd": cmd,
                "rc": rc,
                "out": stdout.strip_suffix('\n').unwrap_or(stdout),
                "err": stderr.strip_suffix('\n').unwrap_or(stderr),
            });
            o = o.with("extract_results", results);
            if rc != 0 {
                o.failed = true;
                o.msg = Some(format!("failed to unpack {archive} to {dest}"));
                return Ok(o);
            }
        }
        if out.rc != 0 {
            o.failed = true;
            o.msg = Some(format!(
                "Unexpected error when accessing exploded file: {}",
                out.stderr_text().trim()
            ));
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, mode_of, tree_digest};
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_from_magic_or_name() {
        assert_eq!(
            detect(b"\x1f\x8b\x08", "x"),
            Some(Format::Tar(Compression::Gzip))
        );
        assert_eq!(detect(b"PK\x03\x04", "a.tar.gz"), Some(Format::Zip));
        assert_eq!(detect(b"BZh9", ""), Some(Format::Tar(Compression::Bzip2)));
        assert_eq!(
            detect(b"\xfd7zXZ\x00", ""),
            Some(Format::Tar(Compression::Xz))
        );
        let mut tar = vec![0u8; 262];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(detect(&tar, "noext"), Some(Format::Tar(Compression::None)));
        assert_eq!(detect(b"", "A.TGZ"), Some(Format::Tar(Compression::Gzip)));
        assert_eq!(detect(b"", "a.tar"), Some(Format::Tar(Compression::None)));
        assert_eq!(detect(b"hello", "a.txt"), None);
        assert_eq!(unhex("1f8b0a"), vec![0x1f, 0x8b, 0x0a]);
    }

    #[test]
    fn tar_diff_lines_as_ansible_reads_them() {
        let out = "dir/f: Mod time differs\ndir/g: Uid differs\ndir/h: Mode differs\ntar: dir/x: Warning: Cannot stat: No such file or directory\n";
        assert_eq!(tar_differences(out, false, false, false, true).len(), 2);
        assert_eq!(tar_differences(out, true, false, false, false).len(), 4);
        assert!(tar_differences("dir/g: Uid differs\n", true, true, false, false).is_empty());
        assert!(
            tar_differences(
                "tar: : Warning: Cannot stat: No such file or directory\n",
                false,
                false,
                false,
                false
            )
            .is_empty()
        );
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("*.log", "a/b.log"));
        assert!(fnmatch("dir/?", "dir/a"));
        assert!(!fnmatch("dir/?", "dir/ab"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(fnmatch("[!a-c]x", "dx"));
        assert!(!fnmatch("[!a-c]x", "ax"));
        assert!(fnmatch("a[", "a["));
    }

    fn make_tar(fx: &Fixture) -> std::path::PathBuf {
        let src = fx.dir.path().join("pkg");
        std::fs::create_dir_all(src.join("app/conf")).expect("mkdir");
        std::fs::write(src.join("app/conf/server.xml"), "<x/>\n").expect("write");
        std::fs::write(src.join("app/run.sh"), "#!/bin/sh\n").expect("write");
        let out = fx.search[0].join("files");
        std::fs::create_dir_all(&out).expect("mkdir");
        let st = std::process::Command::new("tar")
            .args(["-czf"])
            .arg(out.join("app.tar.gz"))
            .arg("-C")
            .arg(&src)
            .arg("app")
            .status()
            .expect("tar");
        assert!(st.success());
        out.join("app.tar.gz")
    }

    #[tokio::test]
    async fn unpacks_from_the_controller_idempotently() {
        let fx = Fixture::new();
        make_tar(&fx);
        let dest = fx.path("opt");
        std::fs::create_dir(&dest).expect("mkdir");
        let args = json!({"src": "app.tar.gz", "dest": dest, "list_files": true});
        let before = tree_digest(&fx.target());
        let o = fx.run(&Unarchive, args.clone(), true, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            before,
            tree_digest(&fx.target()),
            "check mode touched the target"
        );
        let o = fx.run(&Unarchive, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.data["handler"], "TgzArchive");
        assert_eq!(o.data["extract_results"]["rc"], 0);
        let files: Vec<&str> = o.data["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(files.contains(&"app/conf/server.xml"), "{files:?}");
        assert_eq!(
            std::fs::read_to_string(format!("{dest}/app/conf/server.xml")).expect("read"),
            "<x/>\n"
        );
        let o = fx.run(&Unarchive, args.clone(), false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
        // A changed file is noticed and put back.
        std::fs::write(format!("{dest}/app/run.sh"), "changed, and longer\n").expect("write");
        let o = fx.run(&Unarchive, args.clone(), true, false).await;
        assert!(o.changed, "{o:?}");
        let o = fx.run(&Unarchive, args, false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(
            std::fs::read_to_string(format!("{dest}/app/run.sh")).expect("read"),
            "#!/bin/sh\n"
        );
        // No temporary directory is left behind.
        let leftovers = std::fs::read_dir(std::env::temp_dir())
            .expect("ls")
            .flatten()
            .filter(|e| {
                std::fs::read_dir(e.path())
                    .is_ok_and(|mut d| d.any(|f| f.is_ok_and(|f| f.file_name() == "app.tar.gz")))
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[tokio::test]
    async fn creates_remote_src_and_attributes() {
        let fx = Fixture::new();
        let tarball = make_tar(&fx).display().to_string();
        let dest = fx.path("opt");
        std::fs::create_dir(&dest).expect("mkdir");
        let args = json!({"src": tarball, "dest": dest, "remote_src": true, "creates": format!("{dest}/app/run.sh"), "mode": "u=rwX,g=rX,o="});
        let o = fx.run(&Unarchive, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(mode_of(&format!("{dest}/app/run.sh")), 0o640);
        assert_eq!(mode_of(&format!("{dest}/app/conf")), 0o750);
        assert_eq!(mode_of(&format!("{dest}/app")), 0o750);
        let o = fx.run(&Unarchive, args, false, false).await;
        assert!(o.skipped && !o.changed, "{o:?}");
        assert_eq!(
            o.msg,
            Some(format!("skipped, since {dest}/app/run.sh exists"))
        );
        // Without creates: the content is the same, only attributes differ.
        let args = json!({"src": tarball, "dest": dest, "remote_src": true, "mode": "0700"});
        let o = fx.run(&Unarchive, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert!(!o.data.contains_key("extract_results"), "{o:?}");
        assert_eq!(mode_of(&format!("{dest}/app/run.sh")), 0o700);
        let o = fx.run(&Unarchive, args, false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
    }

    #[tokio::test]
    async fn zip_and_errors() {
        let fx = Fixture::new();
        let dest = fx.path("opt");
        std::fs::create_dir(&dest).expect("mkdir");
        let o = fx
            .run(
                &Unarchive,
                json!({"src": "none.tgz", "dest": dest}),
                false,
                false,
            )
            .await;
        assert!(o.failed);
        assert!(
            o.msg
                .as_deref()
                .unwrap_or_default()
                .starts_with("Could not find or access 'none.tgz'")
        );
        make_tar(&fx);
        let o = fx
            .run(
                &Unarchive,
                json!({"src": "app.tar.gz", "dest": fx.path("nodir")}),
                false,
                false,
            )
            .await;
        assert_eq!(
            o.msg,
            Some(format!(
                "dest '{}' must be an existing dir",
                fx.path("nodir")
            ))
        );
        let o = fx
            .run(
                &Unarchive,
                json!({"src": fx.path("nothing.tgz"), "dest": dest, "remote_src": true}),
                false,
                false,
            )
            .await;
        assert_eq!(
            o.msg,
            Some(format!(
                "Source '{}' does not exist",
                fx.path("nothing.tgz")
            ))
        );
        std::fs::write(fx.path("bad.bin"), "not an archive").expect("write");
        let o = fx
            .run(
                &Unarchive,
                json!({"src": fx.path("bad.bin"), "dest": dest, "remote_src": true}),
                false,
                false,
            )
            .await;
        assert!(
            o.msg
                .as_deref()
                .unwrap_or_default()
                .starts_with("Failed to find handler for"),
            "{o:?}"
        );
        let have_zip = std::process::Command::new("sh")
            .args(["-c", "command -v zip && command -v unzip"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !have_zip {
            return;
        }
        let pkg = fx.dir.path().join("pkg");
        let st = std::process::Command::new("zip")
            .args(["-qr", "../a.zip", "app"])
            .current_dir(&pkg)
            .status()
            .expect("zip");
        assert!(st.success());
        let zip = fx.dir.path().join("a.zip").display().to_string();
        let args = json!({"src": zip, "dest": dest, "remote_src": true, "list_files": true, "exclude": ["*.sh"]});
        let o = fx.run(&Unarchive, args.clone(), false, false).await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.data["handler"], "ZipArchive");
        assert!(std::path::Path::new(&format!("{dest}/app/conf/server.xml")).exists());
        assert!(!std::path::Path::new(&format!("{dest}/app/run.sh")).exists());
        let o = fx.run(&Unarchive, args, false, false).await;
        assert!(!o.changed && !o.failed, "{o:?}");
    }
}
