//! Legal hold: why a recording must be kept whatever its retention says.

use crate::ValidationError;
use std::fmt;

/// The reason typed when placing a hold (a case or matter reference):
/// required, one line, at most [`HoldReason::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldReason(String);

impl HoldReason {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<HoldReason, ValidationError> {
        let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(ValidationError::new(
                "reason",
                "Type the reason for the hold, such as a case or matter reference.",
            ));
        }
        if text.chars().count() > Self::MAX_CHARS || text.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "reason",
                format!(
                    "The reason must be one line of at most {} characters.",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(HoldReason(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_tidy_line() {
        assert_eq!(
            HoldReason::parse("  Case  2026/114\tSmith v Acme ")
                .unwrap()
                .as_str(),
            "Case 2026/114 Smith v Acme"
        );
        assert_eq!(
            HoldReason::parse(&"x".repeat(200)).unwrap().as_str().len(),
            200
        );
        for bad in ["", "   ", &"x".repeat(201), "a\u{7}b"] {
            assert_eq!(
                HoldReason::parse(bad).unwrap_err().field,
                "reason",
                "{bad:?}"
            );
        }
    }
}
