//! Phone numbers and extensions as recorded: 1 to 32 of the characters a
//! phone keypad sends, digits and `+ * #`. Parsed once at ingest; the
//! database holds the same rule as a CHECK, and the packed Recordings page
//! relies on it (no separator character can be in a number).

use crate::ValidationError;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub const MAX_CHARS: usize = 32;

    /// What a person or a PBX wrote: spaces, dashes, brackets and dots are
    /// dropped (`+44 (20) 7946-0000` is `+442079460000`).
    pub fn parse(field: &'static str, input: &str) -> Result<PhoneNumber, ValidationError> {
        let value: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        if value.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        PhoneNumber::from_stored(&value)
            .ok_or_else(|| ValidationError::new(field, "must be up to 32 digits (and + * #)"))
    }

    /// An optional number: empty input is `None`.
    pub fn parse_optional(
        field: &'static str,
        input: &str,
    ) -> Result<Option<PhoneNumber>, ValidationError> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            PhoneNumber::parse(field, input).map(Some)
        }
    }

    /// A number exactly as stored, without cleaning; `None` if it breaks
    /// the rule (a damaged row is not shown as a number).
    pub fn from_stored(text: &str) -> Option<PhoneNumber> {
        let valid = !text.is_empty()
            && text.len() <= PhoneNumber::MAX_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'*' | b'#'));
        valid.then(|| PhoneNumber(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits only (`+ * #` left out), as the number index keys them.
    pub fn digits(&self) -> impl Iterator<Item = char> + '_ {
        self.0.chars().filter(char::is_ascii_digit)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_cleans_what_people_write_and_refuses_the_rest() {
        assert_eq!(
            PhoneNumber::parse("from", " +44 (20) 7946-0000 ")
                .unwrap()
                .as_str(),
            "+442079460000"
        );
        assert_eq!(PhoneNumber::parse("to", "*21#").unwrap().as_str(), "*21#");
        for bad in [
            "",
            "   ",
            "call me",
            "12\u{1f}3",
            "12\u{1e}3",
            "١٢٣",
            &"1".repeat(33),
        ] {
            assert!(PhoneNumber::parse("from", bad).is_err(), "{bad:?}");
        }
        assert_eq!(PhoneNumber::parse_optional("extension", " "), Ok(None));
        assert!(PhoneNumber::parse_optional("extension", "x").is_err());
    }

    #[test]
    fn stored_numbers_are_taken_exactly() {
        assert_eq!(
            PhoneNumber::from_stored("2001").unwrap().to_string(),
            "2001"
        );
        assert_eq!(PhoneNumber::from_stored("20 01"), None, "no cleaning");
        assert_eq!(PhoneNumber::from_stored(""), None);
        let n = PhoneNumber::from_stored("+44*1#").unwrap();
        assert_eq!(n.digits().collect::<String>(), "441");
    }
}
