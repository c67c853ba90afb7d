//! Source files and positions: every loaded file is registered once so that any
//! error can later show `file:line:col` and the offending line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A position in a registered source file. Line and column are 1-based; 0 means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
}

fn registry() -> &'static Mutex<Vec<SourceFile>> {
    static FILES: OnceLock<Mutex<Vec<SourceFile>>> = OnceLock::new();
    FILES.get_or_init(|| {
        Mutex::new(vec![SourceFile {
            path: PathBuf::from("<unknown>"),
            text: Arc::from(""),
        }])
    })
}

/// Registers a file's text and returns its id for spans.
pub fn add(path: &Path, text: &str) -> u32 {
    let mut files = registry().lock().unwrap_or_else(|e| e.into_inner());
    files.push(SourceFile {
        path: path.to_path_buf(),
        text: Arc::from(text),
    });
    (files.len() - 1) as u32
}

pub fn path(file: u32) -> PathBuf {
    let files = registry().lock().unwrap_or_else(|e| e.into_inner());
    files
        .get(file as usize)
        .map(|f| f.path.clone())
        .unwrap_or_default()
}

/// The text of line `line` (1-based) of a registered file.
pub fn line_text(file: u32, line: u32) -> Option<String> {
    let text = {
        let files = registry().lock().unwrap_or_else(|e| e.into_inner());
        files.get(file as usize)?.text.clone()
    };
    text.lines()
        .nth((line as usize).checked_sub(1)?)
        .map(str::to_string)
}

impl Span {
    pub const UNKNOWN: Span = Span {
        file: 0,
        line: 0,
        col: 0,
    };

    pub fn new(file: u32, line: u32, col: u32) -> Span {
        Span { file, line, col }
    }

    pub fn is_known(&self) -> bool {
        self.file != 0 && self.line != 0
    }

    pub fn path(&self) -> PathBuf {
        path(self.file)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.file == 0 {
            return f.write_str("<unknown>");
        }
        write!(f, "{}:{}:{}", self.path().display(), self.line, self.col)
    }
}
