//! Notes at a moment of a call: their text, and how long their author may
//! change them.

use crate::ValidationError;

/// An author may edit or delete their note for this long (seconds).
pub const CHANGE_SECONDS: i64 = 24 * 3600;

/// Whether a note written at `created_at` may still be changed at `now`.
pub fn may_change(created_at: i64, now: i64) -> bool {
    now - created_at < CHANGE_SECONDS
}

/// A note's text: 1 to 2,000 characters, lines kept, other control
/// characters refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteText(String);

impl NoteText {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(input: &str) -> Result<NoteText, ValidationError> {
        let text = input.trim().replace("\r\n", "\n");
        if text.is_empty() {
            return Err(ValidationError::new("note", "Write the note first."));
        }
        if text.chars().count() > NoteText::MAX_CHARS {
            return Err(ValidationError::new(
                "note",
                format!("A note is at most {} characters.", NoteText::MAX_CHARS),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ValidationError::new(
                "note",
                "A note cannot hold control characters.",
            ));
        }
        Ok(NoteText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `1:23` (or `83`, `1:02:03`) as milliseconds into a call.
pub fn parse_moment(input: &str) -> Option<i64> {
    let mut seconds: i64 = 0;
    let parts: Vec<&str> = input.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for part in parts {
        if part.is_empty() || part.len() > 6 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        seconds = seconds
            .checked_mul(60)?
            .checked_add(part.parse::<i64>().ok()?)?;
    }
    seconds.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_moments_and_the_day_to_change() {
        assert_eq!(
            NoteText::parse("  Customer asked for a refund \r\n")
                .unwrap()
                .as_str(),
            "Customer asked for a refund"
        );
        assert!(NoteText::parse(" ").is_err());
        assert!(NoteText::parse(&"x".repeat(2001)).is_err());
        assert!(NoteText::parse("bell\u{7}").is_err());
        assert_eq!(
            NoteText::parse("two\nlines").unwrap().as_str(),
            "two\nlines"
        );
        assert_eq!(parse_moment("1:23"), Some(83_000));
        assert_eq!(parse_moment("83"), Some(83_000));
        assert_eq!(parse_moment("1:02:03"), Some(3_723_000));
        for bad in ["", ":", "1::2", "-5", "1:2:3:4", "a", "9999999"] {
            assert_eq!(parse_moment(bad), None, "{bad:?}");
        }
        assert!(may_change(100, 100 + CHANGE_SECONDS - 1));
        assert!(!may_change(100, 100 + CHANGE_SECONDS));
    }
}
