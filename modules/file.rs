//! file: make a path a file, directory, symlink, hard link or nothing, with mode,
//! owner, group and times. One round trip to look, one to change.

use super::remote_file::{
    FileState, Kind, Probe, apply_attrs_recursive, attr_word_commands, mode_string, parent_of,
    parse_mode_umask, query_after, query_many, state_diff,
};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome, VarMap,
};
use async_trait::async_trait;
use serde_json::Value;

pub struct File;

const TIME_FORMAT: &str = "%Y%m%d%H%M.%S";

static DOC: ModuleDoc = ModuleDoc {
    name: "file",
    short: "Manage files, directories and links",
    description: "Sets what a path is (state: file, directory, link, hard, touch, absent) and its mode, owner, group and times. Without `state`, an existing path keeps its type and only its attributes change; a missing one is `file` (which fails: file never creates files, use touch or copy). Directories are created with their missing parents, each given the mode, owner and group. Relative `src` of a link is relative to the link's directory, as `ln -s` reads it.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The path to manage.")
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new(
            "state",
            ArgType::Str,
            "What the path should be; default: what it is now, or file.",
        )
        .choices(&["absent", "directory", "file", "hard", "link", "touch"]),
        ArgSpec::new(
            "src",
            ArgType::Path,
            "For link and hard: what the link points to.",
        ),
        ArgSpec::new(
            "mode",
            ArgType::Mode,
            "Octal (\"0644\"; quote it) or symbolic (\"u=rw,g=r,o=\", \"a+X\") mode.",
        ),
        ArgSpec::new("owner", ArgType::Str, "Owner name or uid."),
        ArgSpec::new("group", ArgType::Str, "Group name or gid."),
        ArgSpec::new(
            "recurse",
            ArgType::Bool,
            "For state=directory: give everything inside the mode, owner and group too.",
        )
        .default("no"),
        ArgSpec::new(
            "force",
            ArgType::Bool,
            "For links: replace a file or an empty directory at path, and link to a src that does not exist (yet).",
        )
        .default("no"),
        ArgSpec::new(
            "follow",
            ArgType::Bool,
            "When path is a symlink, act on the file it points to (for file, directory, touch, and the attributes of link).",
        )
        .default("yes"),
        ArgSpec::new(
            "access_time",
            ArgType::Str,
            "`now`, `preserve`, or a time in access_time_format. Default: now for touch, else preserve.",
        ),
        ArgSpec::new(
            "access_time_format",
            ArgType::Str,
            "strftime format of access_time (%Y %y %m %d %H %M %S).",
        )
        .default(TIME_FORMAT),
        ArgSpec::new(
            "modification_time",
            ArgType::Str,
            "`now`, `preserve`, or a time in modification_time_format. Default: now for touch, else preserve.",
        ),
        ArgSpec::new(
            "modification_time_format",
            ArgType::Str,
            "strftime format of modification_time.",
        )
        .default(TIME_FORMAT),
        ArgSpec::new(
            "unsafe_writes",
            ArgType::Bool,
            "Accepted for compatibility (nothing is written in place).",
        )
        .default("no"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: looks at the path (one round trip), reports the change it would make and stops.",
    returns: "path (dest for link and touch), state, mode, owner, group, uid, gid, size, src (links); diff: {before, after} with path, state, mode, owner, group, times",
    examples: "- file: path=/usr/local/hotdb state=directory mode=0755 owner=hotdb\n- file: src=/usr/local/jdk8/jdk8u252-b09 dest=/usr/local/jdk state=link\n- file: path=/usr/local/hotdb/bin mode=u+rwX,g-w recurse=yes state=directory\n- file: path=/tmp/stamp state=touch modification_time=preserve access_time=preserve",
};

/// What a time argument asks.
#[derive(Clone, Debug, PartialEq)]
enum Stamp {
    Preserve,
    Now,
    /// A `touch -t` stamp (`CCYYMMDDhhmm.ss`).
    At(String),
}

/// Reads `value` with a strftime `format` into a `touch -t` stamp (in the target's
/// local time, as Ansible's time.mktime on the target).
fn parse_stamp(value: &str, format: &str) -> Result<String, String> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (1900i64, 1i64, 1i64, 0i64, 0i64, 0i64);
    let mut v = value.chars().peekable();
    let mut f = format.chars();
    let digits =
        |v: &mut std::iter::Peekable<std::str::Chars<'_>>, max: usize| -> Result<i64, String> {
            let mut n = String::new();
            while n.len() < max && v.peek().is_some_and(|c| c.is_ascii_digit()) {
                n.extend(v.next());
            }
            n.parse::<i64>()
                .map_err(|_| format!("time data '{value}' does not match format '{format}'"))
        };
    while let Some(c) = f.next() {
        if c != '%' {
            if v.next() != Some(c) {
                return Err(format!(
                    "time data '{value}' does not match format '{format}'"
                ));
            }
            continue;
        }
        match f.next() {
            Some('Y') => y = digits(&mut v, 4)?,
            Some('y') => {
                let n = digits(&mut v, 2)?;
                y = if n < 69 { 2000 + n } else { 1900 + n };
            }
            Some('m') => mo = digits(&mut v, 2)?,
            Some('d') => d = digits(&mut v, 2)?,
            Some('H') => h = digits(&mut v, 2)?,
            Some('M') => mi = digits(&mut v, 2)?,
            Some('S') => s = digits(&mut v, 2)?,
            Some('%') => {
                if v.next() != Some('%') {
                    return Err(format!(
                        "time data '{value}' does not match format '{format}'"
                    ));
                }
            }
            Some(x) => return Err(format!("'%{x}' is not supported in a time format")),
            None => return Err("stray % in format".into()),
        }
    }
    if v.next().is_some() {
        return Err(format!("unconverted data remains: {value}"));
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 61 {
        return Err(format!("time data '{value}' is out of range"));
    }
    Ok(format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}.{s:02}"))
}

fn stamp_arg(args: &Args, name: &str, default: Stamp) -> Result<Stamp, String> {
    let Some(v) = args.str(name) else {
        return Ok(default);
    };
    match v {
        "now" => Ok(Stamp::Now),
        "preserve" => Ok(Stamp::Preserve),
        _ => {
            let format = args.str(&format!("{name}_format")).unwrap_or(TIME_FORMAT);
            parse_stamp(v, format).map(Stamp::At).map_err(|e| {
                format!("Error while obtaining timestamp for time {v} using format {format}: {e}")
            })
        }
    }
}

/// What the module decided: the commands to run and what to report.
struct Plan {
    cmds: Vec<String>,
    changed: bool,
    before: VarMap,
    after: VarMap,
    warnings: Vec<String>,
}

impl Plan {
    fn new(path: &str, prev: &str, wanted: &str) -> Plan {
        let mut before = VarMap::new();
        let mut after = VarMap::new();
        before.insert("path".into(), Value::from(path));
        after.insert("path".into(), Value::from(path));
        if prev != wanted {
            before.insert("state".into(), Value::from(prev));
            after.insert("state".into(), Value::from(wanted));
        }
        Plan {
            cmds: Vec::new(),
            changed: false,
            before,
            after,
            warnings: Vec::new(),
        }
    }

    fn change(&mut self, cmd: String) {
        self.cmds.push(cmd);
        self.changed = true;
    }
}

/// The attribute arguments, read once.
struct Attrs<'a> {
    mode: Option<&'a Value>,
    owner: Option<&'a str>,
    group: Option<&'a str>,
    atime: Stamp,
    mtime: Stamp,
}

impl Attrs<'_> {
    fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }
}

/// Plans mode/owner/group (and times) of `target`, whose state is `st` (for a path
/// about to be created, its predicted state). `word` is how the script names it.
fn plan_attrs(
    plan: &mut Plan,
    word: &str,
    st: &FileState,
    a: &Attrs<'_>,
    epochs: &[(String, i64)],
) -> Result<(), String> {
    let mode = a
        .mode
        .map(|m| parse_mode_umask(m, Some(st.mode), st.kind == Kind::Directory, st.umask))
        .transpose()?;
    let cmds = attr_word_commands(word, mode, a.owner, a.group, st);
    if let Some(m) = mode
        && st.kind != Kind::Link
        && m != st.mode
    {
        plan.before
            .insert("mode".into(), Value::from(mode_string(st.mode)));
        plan.after
            .insert("mode".into(), Value::from(mode_string(m)));
    }
    if let Some(o) = a.owner
        && !st.owned_by(o)
    {
        plan.before
            .insert("owner".into(), Value::from(st.owner.clone()));
        plan.after.insert("owner".into(), Value::from(o));
    }
    if let Some(g) = a.group
        && !st.in_group(g)
    {
        plan.before
            .insert("group".into(), Value::from(st.group.clone()));
        plan.after.insert("group".into(), Value::from(g));
    }
    for c in cmds {
        plan.change(c);
    }
    let h = if st.kind == Kind::Link { "-h " } else { "" };
    let both_now = a.atime == Stamp::Now && a.mtime == Stamp::Now;
    if both_now {
        plan.change(format!("touch -c {h}-- {word}"));
        return Ok(());
    }
    for (stamp, flag, current, key) in [
        (&a.atime, "-a", st.atime, "atime"),
        (&a.mtime, "-m", st.mtime, "mtime"),
    ] {
        match stamp {
            Stamp::Preserve => {}
            Stamp::Now => plan.change(format!("touch -c {h}{flag} -- {word}")),
            Stamp::At(t) => {
                let epoch = epochs.iter().find(|(s, _)| s == t).map(|(_, e)| *e);
                if epoch != Some(current) || !st.exists {
                    plan.before.insert(key.into(), Value::from(current));
                    if let Some(e) = epoch {
                        plan.after.insert(key.into(), Value::from(e));
                    }
                    plan.change(format!("touch -c {h}{flag} -t {t} -- {word}"));
                }
            }
        }
    }
    Ok(())
}

/// The epoch seconds of `touch -t` stamps as the target's clock reads them.
async fn stamp_epochs(h: &Handle<'_>, stamps: &[&String]) -> Result<Vec<(String, i64)>, ConnError> {
    if stamps.is_empty() {
        return Ok(Vec::new());
    }
    let script: String = stamps
        .iter()
        .map(|s| format!("f=$(mktemp) && touch -t {s} \"$f\" && stat -c %Y \"$f\"; rm -f \"$f\"\n"))
        .collect();
    let out = h.run(script).await?;
    let epochs: Vec<i64> = out
        .stdout_text()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if epochs.len() != stamps.len() {
        return Err(ConnError::Io(format!(
            "Error while updating modification or access time: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(stamps.iter().map(|s| s.to_string()).zip(epochs).collect())
}

/// The predicted state of a path this plan creates.
fn created(kind: Kind, like: &FileState) -> FileState {
    FileState {
        exists: false,
        kind,
        mode: if kind == Kind::Directory {
            like.new_dir_mode()
        } else {
            like.new_file_mode()
        },
        umask: like.umask,
        // Unknown owner: a requested owner or group is always set.
        uid: u32::MAX,
        gid: u32::MAX,
        nlink: 1,
        ..Default::default()
    }
}

fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        rel.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{rel}")
    } else {
        format!("{dir}/{rel}")
    }
}

fn basename(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

fn fail_at(msg: impl Into<String>, path: &str) -> Result<Outcome, ConnError> {
    Ok(Outcome::failed(msg).with("path", path))
}

#[async_trait]
impl Module for File {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let mut path = args.string("path").unwrap_or_default();
        let follow = args.bool("follow");
        let force = args.bool("force");
        let recurse = args.bool("recurse");
        let src = args.string("src");
        let given = args.str("state");
        if let Some(s) = given
            && src.is_some()
            && !matches!(s, "link" | "hard")
        {
            return fail_at("src option requires state to be 'link' or 'hard'", &path);
        }
        if let Some(s) = given
            && recurse
            && s != "directory"
        {
            return fail_at("recurse option requires state to be 'directory'", &path);
        }

        // Look: the path (through a link where the state acts on what it points to),
        // and for links the source, all in one round trip.
        let follow_path = follow && matches!(given, Some("file" | "directory" | "touch"));
        let plain = Probe::default();
        let mut probes: Vec<(String, Probe)> = vec![(
            path.clone(),
            Probe {
                follow: follow_path,
                ..plain
            },
        )];
        let through = Probe {
            follow: true,
            ..plain
        };
        if let Some(s) = &src {
            match given {
                Some("link") | None => {
                    probes.push((join(&path, s), through));
                    probes.push((join(&parent_of(&path), s), through));
                }
                Some("hard") => {
                    probes.push((s.clone(), through));
                    probes.push((join(&path, basename(s)), plain));
                }
                _ => {}
            }
        }
        // An existing link without src: its attributes are those of what it points to.
        let through_path = (src.is_none() && matches!(given, Some("link") | None)).then(|| {
            probes.push((path.clone(), through));
            probes.len() - 1
        });
        let list: Vec<(&str, Probe)> = probes.iter().map(|(p, pr)| (p.as_str(), *pr)).collect();
        let states = query_many(h, &list).await?;
        let mut cur = states[0].clone();

        let wanted = match given {
            Some(s) => s.to_string(),
            None if cur.exists => match cur.kind {
                Kind::Directory => "directory".into(),
                Kind::Link => "link".into(),
                _ => "file".into(),
            },
            None if recurse => "directory".into(),
            None => "file".into(),
        };
        if recurse && wanted != "directory" {
            return fail_at("recurse option requires state to be 'directory'", &path);
        }
        if src.is_some() && !matches!(wanted.as_str(), "link" | "hard") {
            return fail_at("src option requires state to be 'link' or 'hard'", &path);
        }
        let default_time = if wanted == "touch" {
            Stamp::Now
        } else {
            Stamp::Preserve
        };
        let attrs = Attrs {
            mode: args.get("mode"),
            owner: args.str("owner"),
            group: args.str("group"),
            atime: match stamp_arg(args, "access_time", default_time.clone()) {
                Ok(s) => s,
                Err(e) => return fail_at(e, &path),
            },
            mtime: match stamp_arg(args, "modification_time", default_time) {
                Ok(s) => s,
                Err(e) => return fail_at(e, &path),
            },
        };
        let stamps: Vec<&String> = [&attrs.atime, &attrs.mtime]
            .into_iter()
            .filter_map(|s| match s {
                Stamp::At(t) => Some(t),
                _ => None,
            })
            .collect();
        let epochs = stamp_epochs(h, &stamps).await?;

        // Where a state acts on what a link points to, it acts there.
        if follow_path && let Some(real) = cur.link_source.clone() {
            path = real;
        }
        let p = quote(&path);
        let prev = cur.state_word();
        let mut ret_key = "path";
        let mut extra: Vec<(&str, Value)> = Vec::new();
        let mut recurse_on: Option<FileState> = None;
        let mut plan = Plan::new(&path, prev, &wanted);
        let res: Result<(), String> = match wanted.as_str() {
            "absent" => {
                if cur.exists {
                    let rm = if cur.kind == Kind::Directory {
                        "rm -rf"
                    } else {
                        "rm -f"
                    };
                    plan.change(format!("{rm} -- {p}"));
                }
                Ok(())
            }
            "file" => {
                if !cur.exists {
                    return fail_at(format!("file ({path}) is absent, cannot continue"), &path);
                }
                if matches!(cur.kind, Kind::Directory | Kind::Link) {
                    return Ok(Outcome::failed(format!(
                        "file ({path}) is {prev}, cannot continue"
                    ))
                    .with("path", path.clone())
                    .with("state", prev));
                }
                plan_attrs(&mut plan, &p, &cur, &attrs, &epochs)
            }
            "directory" => {
                if cur.exists && cur.kind != Kind::Directory {
                    return fail_at(format!("{path} already exists as a {prev}"), &path);
                }
                if cur.exists {
                    recurse_on = recurse.then(|| cur.clone());
                    plan_attrs(&mut plan, &p, &cur, &attrs, &epochs)
                } else {
                    // Each missing directory on the way gets the attributes, as Ansible does.
                    let mut each = Plan::new(&path, prev, &wanted);
                    let res = plan_attrs(
                        &mut each,
                        "\"$q_d\"",
                        &created(Kind::Directory, &cur),
                        &attrs,
                        &epochs,
                    );
                    let per_dir = if each.cmds.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " &&\nprintf '%s' \"$q_n\" | while IFS= read -r q_d; do [ -z \"$q_d\" ] || {{ {}; }} || exit 1; done",
                            each.cmds.join(" && ")
                        )
                    };
                    plan.change(format!(
                        "q_n=; q_c={p}\nwhile [ ! -e \"$q_c\" ] && [ ! -L \"$q_c\" ]; do q_n=\"$q_c\n$q_n\"; q_c=$(dirname -- \"$q_c\"); done\nmkdir -p -- {p}{per_dir}"
                    ));
                    for (k, v) in each.after {
                        plan.after.entry(k).or_insert(v);
                    }
                    res
                }
            }
            "touch" => {
                ret_key = "dest";
                if !cur.exists {
                    plan.change(format!("touch -- {p}"));
                    let new = created(Kind::File, &cur);
                    let after_create = Attrs {
                        atime: if attrs.atime == Stamp::Now {
                            Stamp::Preserve
                        } else {
                            attrs.atime.clone()
                        },
                        mtime: if attrs.mtime == Stamp::Now {
                            Stamp::Preserve
                        } else {
                            attrs.mtime.clone()
                        },
                        ..attrs
                    };
                    plan_attrs(&mut plan, &p, &new, &after_create, &epochs)
                } else {
                    plan_attrs(&mut plan, &p, &cur, &attrs, &epochs)
                }
            }
            "link" => {
                ret_key = "dest";
                let src = match (&src, cur.kind == Kind::Link && follow) {
                    (Some(s), _) => s.clone(),
                    (None, true) => cur.link_target.clone().unwrap_or_default(),
                    (None, false) => {
                        return fail_at("src is required for creating new symlinks", &path);
                    }
                };
                // A relative src is read from the link's directory (or from inside a
                // directory that stands at path).
                let (absrc, src_state) = if src.starts_with('/') || states.len() < 3 {
                    (src.clone(), states.get(1).cloned().unwrap_or_default())
                } else if cur.exists && cur.kind == Kind::Directory {
                    (join(&path, &src), states[1].clone())
                } else {
                    (join(&parent_of(&path), &src), states[2].clone())
                };
                let src_state = if args.has("src") {
                    src_state
                } else {
                    FileState {
                        exists: true,
                        ..Default::default()
                    }
                };
                extra.push(("src", Value::from(src.clone())));
                if !force && !src_state.exists {
                    return Ok(Outcome::failed(format!(
                        "src file does not exist, use \"force=yes\" if you really want to create the link: {absrc}"
                    ))
                    .with("path", path.clone())
                    .with("src", src));
                }
                match prev {
                    "directory" if !force => {
                        return fail_at(
                            format!("refusing to convert from directory to symlink for {path}"),
                            &path,
                        );
                    }
                    "directory" if cur.has_entries => {
                        return fail_at(
                            format!("the directory {path} is not empty, refusing to convert it"),
                            &path,
                        );
                    }
                    "file" | "hard" if !force => {
                        return fail_at(
                            format!("refusing to convert from {prev} to symlink for {path}"),
                            &path,
                        );
                    }
                    _ => {}
                }
                let retarget = prev == "link" && cur.link_target.as_deref() != Some(src.as_str());
                if retarget {
                    plan.before.insert(
                        "src".into(),
                        Value::from(cur.link_target.clone().unwrap_or_default()),
                    );
                    plan.after.insert("src".into(), Value::from(src.clone()));
                }
                if prev != "link" || retarget {
                    let rmdir = if prev == "directory" {
                        format!("rmdir -- {p} && ")
                    } else {
                        String::new()
                    };
                    plan.change(format!("{rmdir}ln -sfn -- {} {p}", quote(&src)));
                }
                if follow && args.has("src") {
                    if src_state.exists {
                        plan_attrs(&mut plan, &quote(&absrc), &src_state, &attrs, &epochs)
                    } else {
                        if attrs.any() {
                            plan.warnings.push("Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.".into());
                        }
                        Ok(())
                    }
                } else if follow {
                    let target = cur.link_source.clone().unwrap_or_default();
                    let tstate = through_path
                        .and_then(|i| states.get(i).cloned())
                        .unwrap_or_default();
                    if tstate.exists {
                        plan_attrs(&mut plan, &quote(&target), &tstate, &attrs, &epochs)
                    } else {
                        Ok(())
                    }
                } else {
                    let link = if prev == "link" {
                        cur.clone()
                    } else {
                        created(Kind::Link, &cur)
                    };
                    plan_attrs(
                        &mut plan,
                        &p,
                        &link,
                        &Attrs {
                            atime: Stamp::Preserve,
                            mtime: Stamp::Preserve,
                            ..attrs
                        },
                        &epochs,
                    )
                }
            }
            "hard" => {
                let Some(src) = src.clone() else {
                    return fail_at("src is required for creating new hardlinks", &path);
                };
                let mut src_state = states[1].clone();
                if cur.exists && cur.kind == Kind::Directory {
                    // A directory at path receives the link under src's name.
                    path = join(&path, basename(&src));
                    cur = states[2].clone();
                    plan = Plan::new(&path, cur.state_word(), &wanted);
                }
                let p = quote(&path);
                let prev = cur.state_word();
                extra.push(("src", Value::from(src.clone())));
                if !src_state.exists {
                    return Ok(Outcome::failed("src does not exist")
                        .with("path", path.clone())
                        .with("src", src));
                }
                let same_inode =
                    cur.exists && cur.inode == src_state.inode && cur.dev == src_state.dev;
                let needed = match prev {
                    "absent" => true,
                    "link" => cur.link_target.as_deref() != Some(src.as_str()),
                    "hard" | "file" if same_inode => false,
                    "hard" if !force => {
                        return Ok(Outcome::failed(
                            "Cannot link, different hard link exists at destination",
                        )
                        .with("path", path.clone())
                        .with("src", src));
                    }
                    "file" if !force => {
                        return Ok(Outcome::failed("Cannot link, file exists at destination")
                            .with("path", path.clone())
                            .with("src", src));
                    }
                    "directory" if !force => {
                        return Ok(Outcome::failed(
                            "Cannot link: different hard link exists at destination",
                        )
                        .with("path", path.clone())
                        .with("src", src));
                    }
                    _ => true,
                };
                if needed {
                    let rmdir = if prev == "directory" {
                        format!("rmdir -- {p} && ")
                    } else {
                        String::new()
                    };
                    plan.change(format!("{rmdir}ln -fn -- {} {p}", quote(&src)));
                } else {
                    src_state = cur.clone();
                }
                plan_attrs(&mut plan, &p, &src_state, &attrs, &epochs)
            }
            other => Err(format!("unsupported state {other}")),
        };
        if let Err(e) = res {
            return fail_at(e, &path);
        }

        // Act: the change and a look at its result, in one round trip.
        let mut o = Outcome::changed(plan.changed);
        o.warnings = plan.warnings.clone();
        if plan.changed && h.diff && plan.before != plan.after {
            o.diff.push(state_diff(&plan.before, &plan.after));
        }
        o = o.with(ret_key, path.clone());
        for (k, v) in extra {
            o = o.with(k, v);
        }
        if wanted == "absent" {
            if plan.changed && !h.check_mode {
                if let Err(e) = query_after(h, Some(&plan.cmds.join(" &&\n")), &[]).await {
                    return act_error(e, &path, "unlinking failed");
                }
            }
            return Ok(o.with("state", "absent"));
        }
        let after = if plan.changed && !h.check_mode {
            match query_after(h, Some(&plan.cmds.join(" &&\n")), &[(path.as_str(), plain)]).await {
                Ok(mut s) => s.pop(),
                Err(e) => {
                    let what = match wanted.as_str() {
                        "touch" => "Error, could not touch target".to_string(),
                        "directory" => format!("There was an issue creating {path} as requested"),
                        "link" | "hard" => "Error while linking".to_string(),
                        _ => "Error while changing attributes".to_string(),
                    };
                    return act_error(e, &path, &what);
                }
            }
        } else {
            None
        };
        if let Some(tree) = recurse_on {
            match apply_attrs_recursive(h, &path, attrs.mode, attrs.owner, attrs.group, tree.umask)
                .await
            {
                Ok(c) => o.changed |= c,
                Err(e) => return fail_at(e, &path),
            }
        }
        let info = match after {
            Some(s) => Some(s),
            None if h.check_mode && plan.changed => None,
            None => Some(cur),
        };
        if let Some(s) = info.filter(|s| s.exists) {
            o = o
                .with("uid", s.uid)
                .with("gid", s.gid)
                .with("owner", s.owner.clone())
                .with("group", s.group.clone())
                .with("mode", mode_string(s.mode))
                .with("state", s.state_word())
                .with("size", s.size);
        } else if h.check_mode {
            o = o.with("state", wanted);
        }
        Ok(o)
    }
}

fn act_error(e: ConnError, path: &str, what: &str) -> Result<Outcome, ConnError> {
    match e {
        ConnError::Io(msg) => Ok(Outcome::failed(format!("{what}: {msg}")).with("path", path)),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::{Fixture, mode_of, tree_digest};
    use super::*;
    use serde_json::json;

    #[test]
    fn time_stamps_read_with_formats() {
        assert_eq!(
            parse_stamp("202401311230.05", TIME_FORMAT),
            Ok("202401311230.05".into())
        );
        assert_eq!(
            parse_stamp("2024-01-31 12:30:05", "%Y-%m-%d %H:%M:%S"),
            Ok("202401311230.05".into())
        );
        assert_eq!(
            parse_stamp("24/1/31", "%y/%m/%d"),
            Ok("202401310000.00".into())
        );
        assert!(parse_stamp("2024-13-01", "%Y-%m-%d").is_err());
        assert!(parse_stamp("2024x", "%Y").is_err());
        assert!(parse_stamp("Jan", "%b").is_err());
    }

    #[tokio::test]
    async fn directories_with_parents_modes_and_idempotence() {
        let fx = Fixture::new();
        let d = fx.path("a/b/c");
        let o = fx
            .run(
                &File,
                json!({"path": d, "state": "directory", "mode": "0750"}),
                false,
                true,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(mode_of(&d), 0o750);
        // Every directory created on the way gets the mode, as in Ansible.
        assert_eq!(mode_of(&fx.path("a")), 0o750);
        assert_eq!(o.data["state"], "directory");
        assert_eq!(o.data["mode"], "0750");
        let diff = &o.diff[0];
        assert!(
            diff.before.contains("\"state\": \"absent\""),
            "{}",
            diff.before
        );
        assert!(
            diff.after.contains("\"state\": \"directory\""),
            "{}",
            diff.after
        );
        let again = fx
            .run(
                &File,
                json!({"path": d, "state": "directory", "mode": "0750"}),
                false,
                false,
            )
            .await;
        assert!(!again.changed, "{again:?}");
        let sym = fx
            .run(&File, json!({"path": d, "mode": "g+w"}), false, true)
            .await;
        assert!(sym.changed);
        assert_eq!(mode_of(&d), 0o770);
        assert!(
            sym.diff[0].before.contains("\"mode\": \"0750\""),
            "{}",
            sym.diff[0].before
        );
        let f = fx
            .run(&File, json!({"path": d, "state": "file"}), false, false)
            .await;
        assert!(f.failed);
        assert_eq!(
            f.msg.as_deref(),
            Some(format!("file ({d}) is directory, cannot continue").as_str())
        );
    }

    #[tokio::test]
    async fn check_mode_changes_nothing() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "x").expect("write");
        std::fs::create_dir(fx.path("full")).expect("mkdir");
        std::fs::write(fx.path("full/in"), "x").expect("write");
        let before = tree_digest(&fx.target());
        for args in [
            json!({"path": fx.path("new/dir"), "state": "directory", "mode": "0700"}),
            json!({"path": fx.path("f"), "mode": "0600"}),
            json!({"path": fx.path("t"), "state": "touch"}),
            json!({"path": fx.path("f"), "state": "touch"}),
            json!({"path": fx.path("full"), "state": "absent"}),
            json!({"path": fx.path("l"), "src": fx.path("f"), "state": "link"}),
            json!({"path": fx.path("hl"), "src": fx.path("f"), "state": "hard"}),
            json!({"path": fx.path("full"), "state": "directory", "recurse": true, "mode": "u=rwX,go="}),
        ] {
            let o = fx.run(&File, args.clone(), true, true).await;
            assert!(o.changed && !o.failed, "{args} -> {o:?}");
        }
        assert_eq!(before, tree_digest(&fx.target()));
    }

    #[tokio::test]
    async fn touch_absent_and_file() {
        let fx = Fixture::new();
        let t = fx.path("t");
        let o = fx
            .run(
                &File,
                json!({"path": t, "state": "touch", "mode": "u=rw,g=,o="}),
                false,
                false,
            )
            .await;
        assert!(o.changed, "{o:?}");
        assert_eq!(mode_of(&t), 0o600);
        assert_eq!(o.data["dest"], t.as_str());
        // touch always changes the times, as Ansible reports.
        let again = fx
            .run(&File, json!({"path": t, "state": "touch"}), false, false)
            .await;
        assert!(again.changed);
        let kept = fx.run(&File, json!({"path": t, "state": "touch", "access_time": "preserve", "modification_time": "preserve"}), false, false).await;
        assert!(!kept.changed, "{kept:?}");
        let stamp = json!({"path": t, "modification_time": "202001020304.05", "access_time": "202001020304.05"});
        assert!(fx.run(&File, stamp.clone(), false, false).await.changed);
        assert!(!fx.run(&File, stamp, false, false).await.changed);
        let missing = fx
            .run(
                &File,
                json!({"path": fx.path("none"), "state": "file"}),
                false,
                false,
            )
            .await;
        assert!(missing.failed);
        assert_eq!(
            missing.msg.as_deref(),
            Some(format!("file ({}) is absent, cannot continue", fx.path("none")).as_str())
        );
        let gone = fx
            .run(&File, json!({"path": t, "state": "absent"}), false, true)
            .await;
        assert!(gone.changed);
        assert_eq!(gone.data["state"], "absent");
        assert!(!std::path::Path::new(&t).exists());
        assert!(
            !fx.run(&File, json!({"path": t, "state": "absent"}), false, false)
                .await
                .changed
        );
        let no_parent = fx
            .run(
                &File,
                json!({"path": fx.path("x/y"), "state": "touch"}),
                false,
                false,
            )
            .await;
        assert!(no_parent.failed);
        assert!(
            no_parent
                .msg
                .as_deref()
                .unwrap_or("")
                .starts_with("Error, could not touch target"),
            "{no_parent:?}"
        );
    }

    #[tokio::test]
    async fn symlinks_as_ansible_makes_them() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "x").expect("write");
        std::fs::write(fx.path("g"), "y").expect("write");
        let l = fx.path("l");
        let o = fx
            .run(
                &File,
                json!({"src": "f", "dest": l, "state": "link"}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(std::fs::read_link(&l).expect("link").to_str(), Some("f"));
        assert_eq!(o.data["dest"], l.as_str());
        assert_eq!(o.data["src"], "f");
        assert!(
            !fx.run(
                &File,
                json!({"src": "f", "dest": l, "state": "link"}),
                false,
                false
            )
            .await
            .changed
        );
        let re = fx
            .run(
                &File,
                json!({"src": "g", "dest": l, "state": "link"}),
                false,
                true,
            )
            .await;
        assert!(re.changed);
        assert!(re.diff[0].after.contains("\"src\": \"g\""));
        let missing = fx
            .run(
                &File,
                json!({"src": "nothing", "dest": l, "state": "link"}),
                false,
                false,
            )
            .await;
        assert!(missing.failed);
        assert!(
            missing
                .msg
                .as_deref()
                .unwrap_or("")
                .starts_with("src file does not exist, use \"force=yes\"")
        );
        let forced = fx
            .run(
                &File,
                json!({"src": "nothing", "dest": l, "state": "link", "force": true}),
                false,
                false,
            )
            .await;
        assert!(forced.changed && !forced.failed, "{forced:?}");
        let file = fx
            .run(
                &File,
                json!({"src": "f", "dest": fx.path("g"), "state": "link"}),
                false,
                false,
            )
            .await;
        assert_eq!(
            file.msg.as_deref(),
            Some(
                format!(
                    "refusing to convert from file to symlink for {}",
                    fx.path("g")
                )
                .as_str()
            )
        );
        // Following a link: state=file acts on the file it points to.
        let fl = fx
            .run(
                &File,
                json!({"src": fx.path("f"), "dest": l, "state": "link"}),
                false,
                false,
            )
            .await;
        assert!(fl.changed);
        let through = fx
            .run(
                &File,
                json!({"path": l, "state": "file", "mode": "0600"}),
                false,
                false,
            )
            .await;
        assert!(through.changed, "{through:?}");
        assert_eq!(mode_of(&fx.path("f")), 0o600);
        assert_eq!(through.data["path"], fx.path("f").as_str());
        // No state: an existing link stays one; its attributes are its target's.
        let plain = fx
            .run(&File, json!({"path": l, "mode": "0640"}), false, false)
            .await;
        assert!(plain.changed && !plain.failed, "{plain:?}");
        assert_eq!(mode_of(&fx.path("f")), 0o640);
        assert_eq!(plain.data["state"], "link");
        assert!(
            !fx.run(&File, json!({"path": l, "mode": "0640"}), false, false)
                .await
                .changed
        );
    }

    #[tokio::test]
    async fn hard_links_and_recursion() {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "x").expect("write");
        let hl = fx.path("hl");
        let o = fx
            .run(
                &File,
                json!({"src": fx.path("f"), "path": hl, "state": "hard"}),
                false,
                false,
            )
            .await;
        assert!(o.changed && !o.failed, "{o:?}");
        assert_eq!(o.data["state"], "hard");
        assert!(
            !fx.run(
                &File,
                json!({"src": fx.path("f"), "path": hl, "state": "hard"}),
                false,
                false
            )
            .await
            .changed
        );
        std::fs::write(fx.path("other"), "y").expect("write");
        let clash = fx
            .run(
                &File,
                json!({"src": fx.path("other"), "path": hl, "state": "hard"}),
                false,
                false,
            )
            .await;
        assert_eq!(
            clash.msg.as_deref(),
            Some("Cannot link, different hard link exists at destination")
        );
        let no_src = fx
            .run(
                &File,
                json!({"src": fx.path("none"), "path": fx.path("x"), "state": "hard"}),
                false,
                false,
            )
            .await;
        assert_eq!(no_src.msg.as_deref(), Some("src does not exist"));

        let top = fx.path("tree");
        std::fs::create_dir_all(fx.path("tree/sub")).expect("mkdir");
        std::fs::write(fx.path("tree/sub/a"), "a").expect("write");
        let args =
            json!({"path": top, "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o="});
        let o = fx.run(&File, args.clone(), false, false).await;
        assert!(o.changed, "{o:?}");
        assert_eq!(mode_of(&fx.path("tree/sub")), 0o750);
        assert_eq!(mode_of(&fx.path("tree/sub/a")), 0o640);
        assert!(!fx.run(&File, args, false, false).await.changed);
        let bad = fx
            .run(
                &File,
                json!({"path": top, "state": "file", "recurse": true}),
                false,
                false,
            )
            .await;
        assert_eq!(
            bad.msg.as_deref(),
            Some("recurse option requires state to be 'directory'")
        );
        let src_bad = fx
            .run(&File, json!({"path": top, "src": "x"}), false, false)
            .await;
        assert_eq!(
            src_bad.msg.as_deref(),
            Some("src option requires state to be 'link' or 'hard'")
        );
    }

    fn require_root() {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "this test needs root (CI runs as root)"
        );
    }

    #[tokio::test]
    async fn owners_groups_and_links_as_root() {
        use std::os::unix::fs::MetadataExt;
        require_root();
        let fx = Fixture::new();
        let d = fx.path("owned/sub");
        let args = json!({"path": d, "state": "directory", "owner": "nobody", "group": "65534"});
        let o = fx.run(&File, args.clone(), false, true).await;
        assert!(o.changed && !o.failed, "{o:?}");
        for p in [fx.path("owned"), d.clone()] {
            let m = std::fs::metadata(&p).expect("meta");
            assert_eq!((m.uid(), m.gid()), (65534, 65534), "{p}");
        }
        assert_eq!(o.data["owner"], "nobody");
        assert!(!fx.run(&File, args, false, false).await.changed);
        std::fs::write(fx.path("owned/f"), "x").expect("write");
        let rec = json!({"path": fx.path("owned"), "state": "directory", "recurse": true, "owner": "nobody"});
        assert!(fx.run(&File, rec.clone(), true, false).await.changed);
        assert_eq!(
            std::fs::metadata(fx.path("owned/f")).expect("meta").uid(),
            0
        );
        assert!(fx.run(&File, rec.clone(), false, false).await.changed);
        assert_eq!(
            std::fs::metadata(fx.path("owned/f")).expect("meta").uid(),
            65534
        );
        assert!(!fx.run(&File, rec, false, false).await.changed);
        // follow=no: the link itself changes owner, not what it points to.
        std::fs::write(fx.path("t"), "x").expect("write");
        let l = fx.path("l");
        let link = json!({"src": fx.path("t"), "dest": l, "state": "link", "owner": "nobody", "follow": false});
        assert!(fx.run(&File, link.clone(), false, false).await.changed);
        assert_eq!(std::fs::symlink_metadata(&l).expect("meta").uid(), 65534);
        assert_eq!(std::fs::metadata(fx.path("t")).expect("meta").uid(), 0);
        assert!(!fx.run(&File, link, false, false).await.changed);
        let bad = fx
            .run(
                &File,
                json!({"path": fx.path("t"), "owner": "no-such-user-hotplay"}),
                false,
                false,
            )
            .await;
        assert!(bad.failed, "{bad:?}");
    }
}
