//! Diagnostics: one error type for user input, rendered once at the top as
//! `file:line:col`, the source line and a caret (cargo's style).

use super::source::{self, Span};
use std::fmt;

#[derive(Clone, Debug)]
pub struct Diag {
    pub message: String,
    pub span: Span,
    /// Extra lines shown under the snippet (`help: did you mean ...`).
    pub notes: Vec<String>,
}

pub type DiagResult<T> = Result<T, Diag>;

impl Diag {
    pub fn new(span: Span, message: impl Into<String>) -> Diag {
        Diag {
            message: message.into(),
            span,
            notes: Vec::new(),
        }
    }

    /// An error that has no position in a file (bad CLI option, missing file).
    pub fn plain(message: impl Into<String>) -> Diag {
        Diag::new(Span::UNKNOWN, message)
    }

    pub fn note(mut self, note: impl Into<String>) -> Diag {
        self.notes.push(note.into());
        self
    }

    /// Adds `did you mean X?` when one of `candidates` is close to `word`.
    pub fn suggest<'a>(self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Diag {
        match did_you_mean(word, candidates) {
            Some(best) => self.note(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// Where the error is, `file:line:col`, or empty.
    pub fn location(&self) -> String {
        if self.span.is_known() {
            self.span.to_string()
        } else {
            String::new()
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if self.span.is_known() {
            writeln!(f, "  --> {}", self.span)?;
            if let Some(line) = source::line_text(self.span.file, self.span.line) {
                let num = self.span.line.to_string();
                let pad = " ".repeat(num.len());
                writeln!(f, "{pad} |")?;
                writeln!(f, "{num} | {line}")?;
                let caret_at: String = line
                    .chars()
                    .take(self.span.col.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{pad} | {caret_at}^")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "  = help: {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diag {}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keywords_only() {
        let words = ["shell", "when", "register", "loop"];
        assert_eq!(did_you_mean("shel", words), Some("shell"));
        assert_eq!(did_you_mean("registr", words), Some("register"));
        assert_eq!(did_you_mean("banana", words), None);
    }
}
