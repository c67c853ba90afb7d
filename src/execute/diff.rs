//! Unified diffs for --diff, as Ansible prints them.

use super::module::Diff;

pub fn unified(d: &Diff) -> String {
    let text = similar::TextDiff::from_lines(&d.before, &d.after);
    let mut out = String::new();
    out.push_str(&format!(
        "--- {}\n+++ {}\n",
        d.before_header, d.after_header
    ));
    for group in text.grouped_ops(3) {
        let hunk = similar::udiff::UnifiedDiffHunk::new(group, &text, true);
        out.push_str(&hunk.to_string());
    }
    // ansible-core leaves a blank line after each diff.
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines() {
        let d = Diff {
            before_header: "before: /etc/x".into(),
            after_header: "after: /etc/x".into(),
            before: "a\nb\nc\n".into(),
            after: "a\nB\nc\n".into(),
        };
        let u = unified(&d);
        assert!(
            u.starts_with("--- before: /etc/x\n+++ after: /etc/x\n"),
            "{u}"
        );
        assert!(u.contains("-b\n+B\n"), "{u}");
    }
}
