//! One call detail report and one CSV export at a time per user on a node:
//! sixteen parallel reports from one session made another user's
//! Recordings page wait 2.5 s (security review, wave 2, item 2). A second
//! one while the first runs is refused at once (429), not queued.

use callrec_domain::UserId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// What a user runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Heavy {
    Report,
    Export,
}

#[derive(Debug, Default)]
pub(crate) struct ReportSlots(Mutex<HashSet<(UserId, Heavy)>>);

/// A slot held until dropped (the page rendered, the download read).
pub(crate) struct Slot {
    slots: Arc<ReportSlots>,
    key: (UserId, Heavy),
}

impl ReportSlots {
    /// The user's slot for `kind`, or `None` while their last one runs.
    pub(crate) fn take(self: &Arc<Self>, user: UserId, kind: Heavy) -> Option<Slot> {
        let key = (user, kind);
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(key).then(|| Slot {
            slots: self.clone(),
            key,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.0.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_each_kind_per_user() {
        let slots = Arc::new(ReportSlots::default());
        let first = slots.take(UserId(1), Heavy::Report).expect("free");
        assert!(slots.take(UserId(1), Heavy::Report).is_none(), "busy");
        let export = slots.take(UserId(1), Heavy::Export).expect("another kind");
        let other = slots.take(UserId(2), Heavy::Report).expect("another user");
        drop(first);
        assert!(slots.take(UserId(1), Heavy::Report).is_some(), "free again");
        drop((export, other));
    }
}
