//! Python's `textwrap.wrap` with its defaults, which ansible-core's display uses for
//! `[WARNING]:` lines: blanks become spaces, lines break between words or after a
//! hyphen inside a word, a word longer than a line is cut.

/// `text` in lines of at most `width` characters, as `textwrap.wrap(text, width)`.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text: String = text
        .replace('\t', "        ")
        .chars()
        .map(|c| if "\n\x0b\x0c\r".contains(c) { ' ' } else { c })
        .collect();
    let width = width.max(1);
    let mut chunks: Vec<Vec<char>> = chunks(&text);
    chunks.reverse();
    let mut lines = Vec::new();
    while !chunks.is_empty() {
        let mut line: Vec<Vec<char>> = Vec::new();
        let mut len = 0;
        if !lines.is_empty() && chunks.last().is_some_and(|c| is_blank(c)) {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            if len + c.len() > width {
                break;
            }
            len += c.len();
            line.extend(chunks.pop());
        }
        if let Some(c) = chunks.last_mut()
            && c.len() > width
        {
            // A word longer than a line: cut it, after a hyphen if one fits.
            let room = width.saturating_sub(len).max(1);
            let mut end = room;
            if let Some(h) = c[..room].iter().rposition(|&x| x == '-')
                && h > 0
                && c[..h].iter().any(|&x| x != '-')
            {
                end = h + 1;
            }
            line.push(c[..end].to_vec());
            c.drain(..end);
        }
        if line.last().is_some_and(|c| is_blank(c)) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(line.concat().into_iter().collect());
        }
    }
    lines
}

fn is_blank(c: &[char]) -> bool {
    c.iter().all(|x| x.is_whitespace())
}

/// Letters as Python's `[^\d\W]`: word characters that are not digits.
fn letter(c: Option<&char>) -> bool {
    c.is_some_and(|c| (c.is_alphanumeric() || *c == '_') && !c.is_numeric())
}

/// Runs of blanks, and words split after their inner hyphens (textwrap's wordsep_re,
/// without its em-dash rule).
fn chunks(text: &str) -> Vec<Vec<char>> {
    let t: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let start = i;
        if t[i].is_whitespace() {
            while i < t.len() && t[i].is_whitespace() {
                i += 1;
            }
            out.push(t[start..i].to_vec());
            continue;
        }
        i += 1;
        while i < t.len() && !t[i].is_whitespace() {
            if t[i] == '-' && i > start && hyphen_breaks(&t, i) {
                i += 1;
                break;
            }
            i += 1;
        }
        out.push(t[start..i].to_vec());
    }
    out
}

/// After the hyphen at `h`: two letters (or letter-hyphen-letter) before it, a letter
/// (maybe after one more hyphen) and a letter after it.
fn hyphen_breaks(t: &[char], h: usize) -> bool {
    let at = |k: isize| -> Option<&char> {
        let k = h as isize + k;
        if k < 0 { None } else { t.get(k as usize) }
    };
    let before = (letter(at(-1)) && letter(at(-2)))
        || (letter(at(-1)) && at(-2) == Some(&'-') && letter(at(-3)));
    let after = letter(at(1)) && (letter(at(2)) || (at(2) == Some(&'-') && letter(at(3))));
    before && after
}

#[cfg(test)]
mod tests {
    use super::wrap;

    // Expected lines from Python 3.11's textwrap.wrap(text, width).
    #[test]
    fn as_python_textwrap() {
        let w = "[WARNING]: Platform linux on host h1 is using the discovered Python interpreter at /usr/bin/python3.11, but future installation of another Python interpreter could change the meaning of that path. See https://docs.ansible.com/ansible-core/2.17/reference_appendices/interpreter_discovery.html for more information.";
        assert_eq!(
            wrap(w, 79),
            vec![
                "[WARNING]: Platform linux on host h1 is using the discovered Python interpreter",
                "at /usr/bin/python3.11, but future installation of another Python interpreter",
                "could change the meaning of that path. See https://docs.ansible.com/ansible-",
                "core/2.17/reference_appendices/interpreter_discovery.html for more information.",
            ]
        );
        assert_eq!(
            wrap("a  b\nc\tdd well-known x-1 ab-cd", 6),
            vec!["a  b c", "dd", "well-", "known", "x-1", "ab-cd"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("   lead", 79), vec!["   lead"]);
        assert_eq!(
            wrap("xxxxxxxxxx-yyyyyyyyyy", 8),
            vec!["xxxxxxxx", "xx-yyyyy", "yyyyy"]
        );
        assert_eq!(wrap("aa-bb-cc-dd ee", 5), vec!["aa-", "bb-", "cc-dd", "ee"]);
        assert_eq!(wrap("one --two three", 7), vec!["one", "--two", "three"]);
        assert_eq!(wrap("ab-c-d ab-12", 3), vec!["ab-", "c-d", "ab-", "12"]);
        assert!(wrap("", 79).is_empty());
    }
}
