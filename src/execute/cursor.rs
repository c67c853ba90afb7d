//! Where a host is in the play: a stack of task lists, with block/rescue/always
//! moves on failure as Ansible makes them.

use crate::plan::tree::{Block, Item, Task};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Body,
    Rescue,
    Always,
}

#[derive(Debug)]
struct Frame {
    items: Arc<Vec<Item>>,
    next: usize,
    block: Option<BlockState>,
}

#[derive(Debug)]
struct BlockState {
    block: Arc<Block>,
    phase: Phase,
    /// A failure waits for `always` to finish, then goes on upward.
    pending_failure: bool,
}

/// What a failure did to the host.
#[derive(Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    /// A `rescue` took over.
    Rescued,
    /// An `always` runs first; the host fails after it (unless an outer rescue).
    Deferred,
    /// Nothing catches it: the host has failed.
    HostFailed,
}

#[derive(Debug, Default)]
pub struct Cursor {
    stack: Vec<Frame>,
    /// A failure deferred by `always` found no rescue above it.
    pub failed_after_always: bool,
}

impl Cursor {
    pub fn new(items: Arc<Vec<Item>>) -> Cursor {
        Cursor {
            stack: vec![Frame {
                items,
                next: 0,
                block: None,
            }],
            failed_after_always: false,
        }
    }

    /// How many task lists are open (includes and blocks).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Runs `items` (an include's tasks) before whatever comes next.
    pub fn push(&mut self, items: Arc<Vec<Item>>) {
        self.stack.push(Frame {
            items,
            next: 0,
            block: None,
        });
    }

    /// The next task, without moving past it.
    pub fn peek(&mut self) -> Option<Arc<Task>> {
        loop {
            let frame = self.stack.last_mut()?;
            if let Some(item) = frame.items.get(frame.next) {
                match item {
                    Item::Task(t) => return Some(t.clone()),
                    Item::Block(b) => {
                        let b = b.clone();
                        frame.next += 1;
                        self.stack.push(Frame {
                            items: Arc::new(b.body.clone()),
                            next: 0,
                            block: Some(BlockState {
                                block: b,
                                phase: Phase::Body,
                                pending_failure: false,
                            }),
                        });
                        continue;
                    }
                }
            }
            self.finish_frame();
        }
    }

    /// Moves past the tasks that follow while `pred` holds (`meta: end_role`).
    pub fn skip_while(&mut self, pred: impl Fn(&Task) -> bool) {
        while let Some(t) = self.peek() {
            if !pred(&t) {
                break;
            }
            self.advance();
        }
    }

    /// Moves past the task `peek` returned.
    pub fn advance(&mut self) {
        if let Some(f) = self.stack.last_mut() {
            f.next += 1;
        }
    }

    /// The top list ran out: move a block to its next phase, or pop it.
    fn finish_frame(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let Some(state) = frame.block else { return };
        match state.phase {
            Phase::Body | Phase::Rescue if !state.block.always.is_empty() => {
                self.stack.push(Frame {
                    items: Arc::new(state.block.always.clone()),
                    next: 0,
                    block: Some(BlockState {
                        phase: Phase::Always,
                        ..state
                    }),
                });
            }
            _ => {
                if state.pending_failure {
                    self.propagate_failure();
                }
            }
        }
    }

    /// Whether any enclosing block is in its `rescue` or `always` part (a rollback's own
    /// blocks included).
    pub fn in_recovery(&self) -> bool {
        self.stack
            .iter()
            .filter_map(|f| f.block.as_ref())
            .any(|b| b.phase != Phase::Body)
    }

    /// Whether the innermost block is in its `rescue` or `always` part.
    pub fn recovering(&self) -> bool {
        self.stack
            .iter()
            .rev()
            .find_map(|f| f.block.as_ref())
            .is_some_and(|b| b.phase != Phase::Body)
    }

    /// After an unignored failure of the current task.
    pub fn fail(&mut self) -> FailureOutcome {
        while let Some(frame) = self.stack.last_mut() {
            let Some(state) = frame.block.as_mut() else {
                self.stack.pop();
                continue;
            };
            match state.phase {
                Phase::Body if !state.block.rescue.is_empty() => {
                    frame.items = Arc::new(state.block.rescue.clone());
                    frame.next = 0;
                    state.phase = Phase::Rescue;
                    return FailureOutcome::Rescued;
                }
                Phase::Body | Phase::Rescue if !state.block.always.is_empty() => {
                    frame.items = Arc::new(state.block.always.clone());
                    frame.next = 0;
                    state.phase = Phase::Always;
                    state.pending_failure = true;
                    return FailureOutcome::Deferred;
                }
                _ => {
                    self.stack.pop();
                }
            }
        }
        FailureOutcome::HostFailed
    }

    /// A deferred failure after `always`: look for an outer handler.
    fn propagate_failure(&mut self) {
        if self.fail() == FailureOutcome::HostFailed {
            self.failed_after_always = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Kind, Node, Span};
    use crate::plan::tree::Action;

    fn task(name: &str) -> Item {
        Item::Task(Arc::new(Task::bare(
            name,
            Action::Meta {
                what: "noop".into(),
            },
            Span::UNKNOWN,
            ".".into(),
        )))
    }

    fn block(body: Vec<Item>, rescue: Vec<Item>, always: Vec<Item>) -> Item {
        let _ = Node::new(Kind::Null, Span::UNKNOWN);
        Item::Block(Arc::new(Block {
            order: vec![],
            span: Span::UNKNOWN,
            name: None,
            body,
            rescue,
            always,
        }))
    }

    fn walk(c: &mut Cursor, fail_at: &[&str]) -> (Vec<String>, Vec<FailureOutcome>) {
        let mut seen = Vec::new();
        let mut outcomes = Vec::new();
        while let Some(t) = c.peek() {
            let name = t.name.clone().unwrap_or_default();
            c.advance();
            if fail_at.contains(&name.as_str()) {
                let o = c.fail();
                let stop = o == FailureOutcome::HostFailed;
                outcomes.push(o);
                seen.push(name);
                if stop {
                    break;
                }
            } else {
                seen.push(name);
            }
        }
        (seen, outcomes)
    }

    #[test]
    fn rescue_then_always_then_on() {
        let items = vec![
            block(
                vec![task("a"), task("b")],
                vec![task("r")],
                vec![task("al")],
            ),
            task("after"),
        ];
        let mut c = Cursor::new(Arc::new(items));
        let (seen, outcomes) = walk(&mut c, &["a"]);
        assert_eq!(seen, ["a", "r", "al", "after"]);
        assert_eq!(outcomes, [FailureOutcome::Rescued]);
        assert!(!c.failed_after_always);
    }

    #[test]
    fn always_without_rescue_fails_after_always() {
        let items = vec![
            block(vec![task("a"), task("b")], vec![], vec![task("al")]),
            task("after"),
        ];
        let mut c = Cursor::new(Arc::new(items));
        let (seen, _) = walk(&mut c, &["a"]);
        assert_eq!(seen, ["a", "al"]);
        assert!(c.failed_after_always);
    }

    #[test]
    fn failure_in_rescue_runs_always_and_fails() {
        let items = vec![
            block(vec![task("a")], vec![task("r")], vec![task("al")]),
            task("after"),
        ];
        let mut c = Cursor::new(Arc::new(items));
        let (seen, outcomes) = walk(&mut c, &["a", "r"]);
        assert_eq!(seen, ["a", "r", "al"]);
        assert_eq!(
            outcomes,
            [FailureOutcome::Rescued, FailureOutcome::Deferred]
        );
        assert!(c.failed_after_always);
    }

    #[test]
    fn nested_inner_failure_caught_by_outer_rescue() {
        let inner = block(vec![task("x")], vec![], vec![task("inner_always")]);
        let items = vec![
            block(vec![inner, task("y")], vec![task("outer_rescue")], vec![]),
            task("after"),
        ];
        let mut c = Cursor::new(Arc::new(items));
        let (seen, _) = walk(&mut c, &["x"]);
        assert_eq!(seen, ["x", "inner_always", "outer_rescue", "after"]);
        assert!(!c.failed_after_always);
    }

    #[test]
    fn plain_failure_fails_host() {
        let mut c = Cursor::new(Arc::new(vec![task("a"), task("b")]));
        let (seen, outcomes) = walk(&mut c, &["a"]);
        assert_eq!(seen, ["a"]);
        assert_eq!(outcomes, [FailureOutcome::HostFailed]);
    }
}
