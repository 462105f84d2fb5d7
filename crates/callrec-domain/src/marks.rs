//! Marks on a recording's timeline that the phone system, not a person,
//! put there (issue 27): spans the recording server kept silent because
//! the SRC paused recording, key presses kept only as "a key was pressed"
//! (never which), and where a call cut short by a stopped node ends.

/// What a mark says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    /// The SRC paused recording (`a=inactive`): silence by design.
    Paused,
    /// A DTMF key press (RFC 4733): when, never which key.
    KeyPress,
    /// The node recording the call stopped mid-call; the recording ends
    /// where capture did.
    Incomplete,
}

impl MarkKind {
    pub const ALL: [MarkKind; 3] = [MarkKind::Paused, MarkKind::KeyPress, MarkKind::Incomplete];

    pub fn code(self) -> &'static str {
        match self {
            MarkKind::Paused => "paused",
            MarkKind::KeyPress => "key_press",
            MarkKind::Incomplete => "incomplete",
        }
    }

    pub fn from_code(code: &str) -> Option<MarkKind> {
        MarkKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// What the recording's page calls it.
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::Paused => "Paused by the phone system",
            MarkKind::KeyPress => "Key pressed (digits not recorded)",
            MarkKind::Incomplete => "Incomplete: the recording server stopped during the call",
        }
    }
}

/// A mark from `start_ms` to `end_ms` of the recording (equal for a moment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingMark {
    pub kind: MarkKind,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The most marks one recording keeps (a call of eight hours with a key
/// press every few seconds stays well below).
pub const MAX_MARKS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back() {
        for kind in MarkKind::ALL {
            assert_eq!(MarkKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(MarkKind::from_code("digits"), None);
    }
}
