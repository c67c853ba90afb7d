//! slurp: read a file of the target, base64-encoded, in one round trip.

use super::remote_file::{ReadError, read_file};
use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct Slurp;

static DOC: ModuleDoc = ModuleDoc {
    name: "slurp",
    short: "Read a remote file",
    description: "Returns the file's content base64-encoded (`content`, `encoding: base64`, `source`); decode it with the b64decode filter. The whole file travels in one round trip and is held in memory: meant for small files.",
    args: &[
        ArgSpec::new("src", ArgType::Path, "The file on the target.")
            .required()
            .aliases(&["path"]),
    ],
    free_form: FreeForm::No,
    check_mode: "Runs as usual (reads only).",
    returns: "content, encoding, source",
    examples: "- slurp: src=/usr/local/hotdb/hotdb-server/conf/server.xml\n  register: xml\n- debug: msg=\"{{ xml.content | b64decode }}\"",
};

#[async_trait]
impl Module for Slurp {
    fn doc(&self) -> &'static ModuleDoc {
        &DOC
    }

    async fn run(&self, h: &Handle<'_>, args: &Args) -> Result<Outcome, ConnError> {
        use base64::Engine;
        let src = args.string("src").unwrap_or_default();
        Ok(match read_file(h, &src).await? {
            Ok(bytes) => Outcome::ok()
                .with(
                    "content",
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                )
                .with("encoding", "base64")
                .with("source", src),
            Err(ReadError::Missing) => Outcome::failed(format!("file not found: {src}")),
            Err(ReadError::Directory) => {
                Outcome::failed(format!("source is a directory and must be a file: {src}"))
            }
            Err(ReadError::Unreadable(why)) => {
                Outcome::failed(format!("file is not readable: {src}: {why}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_file::testing::Fixture;
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn reads_binary_and_reports_missing() {
        use base64::Engine;
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), b"line\n\x00\xff").expect("write");
        let o = fx
            .run(&Slurp, json!({"src": fx.path("f")}), true, false)
            .await;
        assert!(!o.changed && !o.failed);
        let content = o.data["content"].as_str().expect("content");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(content)
                .expect("b64"),
            b"line\n\x00\xff"
        );
        assert_eq!(o.data["encoding"], "base64");
        assert_eq!(o.data["source"], fx.path("f").as_str());
        let none = fx
            .run(&Slurp, json!({"path": fx.path("none")}), false, false)
            .await;
        assert_eq!(
            none.msg.as_deref(),
            Some(format!("file not found: {}", fx.path("none")).as_str())
        );
        let dir = fx
            .run(
                &Slurp,
                json!({"src": fx.target().display().to_string()}),
                false,
                false,
            )
            .await;
        assert!(
            dir.msg
                .as_deref()
                .unwrap_or("")
                .starts_with("source is a directory and must be a file")
        );
    }
}
