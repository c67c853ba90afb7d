//! slurp: read a file of the target, base64-encoded.

use crate::execute::connection::ConnError;
use crate::execute::module::{
    ArgSpec, ArgType, Args, FreeForm, Handle, Module, ModuleDoc, Outcome,
};
use async_trait::async_trait;

pub struct Slurp;

static DOC: ModuleDoc = ModuleDoc {
    name: "slurp",
    short: "Read a remote file",
    description: "Returns the file's content base64-encoded (`content`, `encoding: base64`, `source`); decode with the b64decode filter.",
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
        match h.conn.get_bytes(&src, h.become_.clone()).await {
            Ok(bytes) => Ok(Outcome::ok()
                .with(
                    "content",
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                )
                .with("encoding", "base64")
                .with("source", src)),
            Err(ConnError::Io(_)) => Ok(Outcome::failed(format!("file not found: {src}"))),
            Err(e) => Err(e),
        }
    }
}
