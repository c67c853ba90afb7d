//! Which tasks `--tags` and `--skip-tags` select, with Ansible's special tags.

/// Ansible's rules: `always` runs unless skipped by name; `never` runs only when
/// asked for by one of its tags; `tagged`/`untagged`/`all` select as named.
pub fn selected(task_tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |t: &str| task_tags.iter().any(|x| x == t);
    let any_in = |list: &[String]| task_tags.iter().any(|t| list.contains(t));
    let asked = |t: &str| only.iter().any(|x| x == t);
    let run = if only.is_empty() || asked("all") {
        !has("never") || any_in_except(task_tags, only, "never")
    } else if has("always") {
        true
    } else {
        any_in(only)
            || (asked("tagged") && !task_tags.is_empty() && !has("never"))
            || (asked("untagged") && task_tags.is_empty())
    };
    if !run {
        return false;
    }
    if skip.is_empty() {
        return true;
    }
    let skipped = task_tags
        .iter()
        .any(|t| skip.contains(t) && (t != "always" || skip.contains(t)))
        || (skip.iter().any(|s| s == "tagged") && !task_tags.is_empty())
        || (skip.iter().any(|s| s == "untagged") && task_tags.is_empty())
        || skip.iter().any(|s| s == "all") && !has("always");
    !skipped
}

fn any_in_except(task_tags: &[String], only: &[String], except: &str) -> bool {
    task_tags
        .iter()
        .any(|t| t != except && only.contains(t) && t != "all")
}

#[cfg(test)]
mod tests {
    use super::selected;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn plain_selection() {
        assert!(selected(&v(&[]), &v(&[]), &v(&[])));
        assert!(selected(&v(&["a"]), &v(&["a"]), &v(&[])));
        assert!(!selected(&v(&["b"]), &v(&["a"]), &v(&[])));
        assert!(!selected(&v(&["a"]), &v(&[]), &v(&["a"])));
    }

    #[test]
    fn always_and_never() {
        assert!(selected(&v(&["always"]), &v(&["a"]), &v(&[])));
        assert!(!selected(&v(&["always"]), &v(&[]), &v(&["always"])));
        assert!(!selected(&v(&["never"]), &v(&[]), &v(&[])));
        assert!(!selected(&v(&["never", "debug"]), &v(&[]), &v(&[])));
        assert!(selected(&v(&["never", "debug"]), &v(&["debug"]), &v(&[])));
        assert!(selected(&v(&["never"]), &v(&["never"]), &v(&[])));
    }

    #[test]
    fn tagged_untagged() {
        assert!(selected(&v(&["x"]), &v(&["tagged"]), &v(&[])));
        assert!(!selected(&v(&[]), &v(&["tagged"]), &v(&[])));
        assert!(selected(&v(&[]), &v(&["untagged"]), &v(&[])));
        assert!(!selected(&v(&["x"]), &v(&[]), &v(&["tagged"])));
    }
}
