//! file: make a path a file, directory, link or nothing, with mode and owner.

use super::remote_file::{FileState, apply_attrs, parse_mode, query, query_after};
use crate::execute::connection::ConnError;
use crate::execute::connection::quote::quote;
use crate::execute::module::{
    ArgSpec, ArgType, Args, Diff, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct File;

static DOC: ModuleDoc = ModuleDoc {
    name: "file",
    short: "Manage files, directories and links",
    description: "Sets a path's state (file, directory, link, hard, touch, absent) and its mode, owner and group. Without `state`, an existing path keeps its type and only its attributes change.",
    args: &[
        ArgSpec::new("path", ArgType::Path, "The path to manage.")
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new("state", ArgType::Str, "What the path should be.").choices(&[
            "file",
            "directory",
            "link",
            "hard",
            "touch",
            "absent",
        ]),
        ArgSpec::new(
            "src",
            ArgType::Path,
            "For link/hard: what the link points to.",
        ),
        ArgSpec::new(
            "mode",
            ArgType::Mode,
            "Octal (\"0644\") or symbolic (\"u+x\") mode.",
        ),
        ArgSpec::new("owner", ArgType::Str, "Owner name or uid."),
        ArgSpec::new("group", ArgType::Str, "Group name or gid."),
        ArgSpec::new(
            "recurse",
            ArgType::Bool,
            "For directories: apply attributes to everything inside.",
        )
        .default("no"),
        ArgSpec::new(
            "force",
            ArgType::Bool,
            "For links: replace what is at path.",
        )
        .default("no"),
        ArgSpec::new("follow", ArgType::Bool, "Accepted for compatibility.").default("yes"),
    ],
    free_form: FreeForm::No,
    check_mode: "Full: queries the path and reports the change it would make.",
    returns: "path, state, mode, diff (before/after state with --diff)",
    examples: "- file: path=/usr/local/hotdb state=directory mode=0755 owner=hotdb\n- file: src=/usr/local/jdk8/jdk8u252-b09 dest=/usr/local/jdk state=link",
};

fn state_word(s: &FileState) -> &str {
    if s.exists { s.kind.as_str() } else { "absent" }
}

#[async_trait]
impl Module for File {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        let path = args.string("path").unwrap_or_default();
        let p = quote(&path);
        let cur = query(h, &path, false).await?;
        let wanted = args.string("state").unwrap_or_else(|| {
            if cur.exists && cur.kind != "link" {
                cur.kind.clone()
            } else if cur.exists {
                "link".into()
            } else {
                "file".into()
            }
        });
        let mut o = Outcome::ok().with("path", path.clone());
        let mut action: Option<String> = None;
        match wanted.as_str() {
            "absent" if cur.exists => action = Some(format!("rm -rf -- {p}")),
            "directory" => {
                if !cur.exists {
                    action = Some(format!("mkdir -p -- {p}"));
                } else if cur.kind != "directory" {
                    return Ok(Outcome::failed(format!(
                        "{path} already exists as a {}",
                        cur.kind
                    )));
                }
            }
            "file" => {
                if !cur.exists {
                    return Ok(Outcome::failed(format!(
                        "file ({path}) is absent, cannot continue"
                    ))
                    .with("path", path));
                }
                if cur.kind == "directory" {
                    return Ok(Outcome::failed(format!(
                        "{path} is a directory, not a file"
                    )));
                }
            }
            "touch" => {
                action = Some(format!("touch -- {p}"));
            }
            "link" | "hard" => {
                let Some(src) = args.string("src") else {
                    return Ok(Outcome::failed(format!(
                        "src is required for state={wanted}"
                    )));
                };
                let flag = if wanted == "link" { "-s" } else { "" };
                let right = if wanted == "link" {
                    cur.kind == "link" && cur.link_target.as_deref() == Some(src.as_str())
                } else {
                    false
                };
                if wanted == "hard" {
                    let same = h.run(format!("[ {p} -ef {} ]", quote(&src))).await?;
                    if same.rc == 0 {
                        return finish(h, args, &path, cur, o, false).await;
                    }
                }
                if !right {
                    if cur.exists && cur.kind != "link" && !args.bool("force") && wanted == "link" {
                        return Ok(Outcome::failed(format!(
                            "refusing to convert from {} to symlink for {path}",
                            cur.kind
                        )));
                    }
                    action = Some(format!("ln {flag} -f -n -- {} {p}", quote(&src)));
                }
            }
            _ => {}
        }
        let changed = action.is_some();
        if changed && h.diff {
            o.diff.push(Diff {
                before_header: path.clone(),
                after_header: path.clone(),
                before: format!("state: {}\n", state_word(&cur)),
                after: format!("state: {wanted}\n"),
            });
        }
        o = o.with("state", wanted.clone());
        // The change and the look at its result go in one round trip.
        let after = match action {
            Some(cmd) if !h.check_mode => match query_after(h, &path, false, Some(&cmd)).await {
                Ok(st) => st,
                Err(ConnError::Io(e)) => {
                    return Ok(Outcome::failed(format!("cannot make {path} {wanted}: {e}")));
                }
                Err(e) => return Err(e),
            },
            _ => cur,
        };
        if wanted == "absent" {
            o.changed = changed;
            return Ok(o);
        }
        finish(h, args, &path, after, o, changed).await
    }
}

async fn finish(
    h: &Handle<'_>,
    args: &Args,
    path: &str,
    state: FileState,
    mut o: Outcome,
    changed: bool,
) -> Result<Outcome, ConnError> {
    o.changed = changed;
    if state.kind == "link" && args.string("state").as_deref() == Some("link") {
        return Ok(o);
    }
    let mode = match args
        .get("mode")
        .map(|m| parse_mode(m, Some(state.mode), state.kind == "directory"))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::failed(e)),
    };
    let recurse = args.bool("recurse") && state.kind == "directory";
    if !state.exists && h.check_mode {
        return Ok(o);
    }
    match apply_attrs(
        h,
        path,
        mode,
        args.str("owner"),
        args.str("group"),
        &state,
        recurse,
    )
    .await
    {
        Ok(c) => o.changed |= c,
        Err(e) => return Ok(Outcome::failed(e)),
    }
    Ok(o.with("mode", format!("{:04o}", mode.unwrap_or(state.mode))))
}
