//! Phone numbers and extensions as recorded: 1 to 32 of the characters a
//! phone keypad sends, digits and `+ * #`. Parsed once at ingest; the
//! database holds the same rule as a CHECK, and the packed Recordings page
//! relies on it (no separator character can be in a number).

use crate::country::Country;
use crate::ValidationError;
use phonenumber::metadata::DATABASE;
use phonenumber::Mode;
use std::fmt;

/// What people put between a number's digits.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '.')
}

/// A whole number: valid in its plan, or of a length its country's numbers
/// have (libphonenumber's "possible"). Ofcom's drama ranges such as
/// 07700 900xxx are not allocated, so not valid, yet people type them.
pub(crate) fn is_possible(number: &phonenumber::PhoneNumber) -> bool {
    if phonenumber::is_valid(number) {
        return true;
    }
    let national = number.national().to_string().len();
    DATABASE
        .by_code(&number.code().value())
        .and_then(|plans| plans.into_iter().next())
        .is_some_and(|plan| {
            // The general description leaves its lengths to the kinds.
            let d = plan.descriptors();
            [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.uan(),
            ]
            .into_iter()
            .flatten()
            .any(|kind| u16::try_from(national).is_ok_and(|n| kind.possible_length().contains(&n)))
        })
}

/// Part of a number: as typed, except that the start of a national number
/// (`07700`, the trunk prefix and four digits or more) loses its prefix,
/// so it also finds the number stored as E.164 (`+447700…`).
fn partial(digits: &str, typed: &str, country: Country) -> String {
    let plan = DATABASE.by_id(country.code());
    let prefix = plan.and_then(|p| p.national_prefix()).unwrap_or("");
    let international = plan
        .and_then(|p| p.international_prefix())
        .and_then(|idd| idd.find(digits))
        .is_some_and(|found| found.start() == 0);
    match digits.strip_prefix(prefix) {
        Some(rest)
            if !prefix.is_empty()
                && !typed.starts_with('+')
                && !international
                && rest.len() >= 4 =>
        {
            rest.to_string()
        }
        _ => digits.to_string(),
    }
}

/// The digits a number filter looks for in recorded numbers, from a
/// number as people type it (`07700 900123`, `(020) 7946 0000`,
/// `+44 7700 900123`, `0044…`, `7700900123`), or `None` for an empty box.
///
/// A whole number of `country`'s plan is looked for by its national
/// significant number (`7700900123`): that finds it stored as E.164
/// (`+447700900123`), in national form (`07700900123`) or with an
/// international prefix (`00447700900123`). A whole number of another
/// country is looked for with its calling code (`12025550100`). Anything
/// else that is digits (part of a number, an extension, `*21#`) is looked
/// for as typed. Letters and other characters are an error, never a filter
/// quietly dropped.
pub fn search_digits(
    field: &'static str,
    input: &str,
    country: Country,
) -> Result<Option<String>, ValidationError> {
    let text: String = input.chars().filter(|c| !is_separator(*c)).collect();
    if text.is_empty() {
        return Ok(None);
    }
    let keypad = text
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || matches!(c, '*' | '#') || (c == '+' && i == 0));
    if !keypad
        || !text.contains(|c: char| c.is_ascii_digit())
        || text.chars().count() > PhoneNumber::MAX_CHARS
    {
        return Err(ValidationError::new(
            field,
            "must be digits: a whole number such as 07700 900123 or +44 20 7946 0000, or part of one such as 0123",
        ));
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let whole = if text.contains(['*', '#']) {
        None
    } else {
        phonenumber::parse(Some(country.id()), &text)
            .ok()
            .filter(is_possible)
    };
    let found = match whole {
        Some(number) => {
            let e164 = digits(&number.format().mode(Mode::E164).to_string());
            let code = number.code().value();
            if code == country.calling_code() {
                e164[code.to_string().len()..].to_string()
            } else {
                e164
            }
        }
        None => partial(&digits(&text), &text, country),
    };
    Ok(Some(found))
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub const MAX_CHARS: usize = 32;

    /// What a person or a PBX wrote: spaces, dashes, brackets and dots are
    /// dropped (`+44 (20) 7946-0000` is `+442079460000`).
    pub fn parse(field: &'static str, input: &str) -> Result<PhoneNumber, ValidationError> {
        let value: String = input.chars().filter(|c| !is_separator(*c)).collect();
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

    /// What a party whose number is withheld (or not a number at all,
    /// `anonymous`) is stored as: every call is kept, and finds the others.
    pub const WITHHELD: &'static str = "0";

    /// A withheld number.
    pub fn withheld() -> PhoneNumber {
        PhoneNumber(Self::WITHHELD.to_string())
    }

    pub fn is_withheld(&self) -> bool {
        self.0 == Self::WITHHELD
    }

    /// As pages show it: the number, or `Withheld`.
    pub fn shown(&self) -> &str {
        if self.is_withheld() {
            "Withheld"
        } else {
            &self.0
        }
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
    fn a_withheld_number_is_kept_and_shown_as_such() {
        assert!(PhoneNumber::withheld().is_withheld());
        assert_eq!(PhoneNumber::withheld().shown(), "Withheld");
        assert_eq!(
            PhoneNumber::from_stored("0").unwrap(),
            PhoneNumber::withheld(),
            "a valid stored number"
        );
        let number = PhoneNumber::parse("from", "2001").unwrap();
        assert!(!number.is_withheld());
        assert_eq!(number.shown(), "2001");
    }

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
    fn numbers_as_people_type_them_find_the_stored_one() {
        let gb = Country::parse("country", "GB").unwrap();
        let stored = ["+447700900123", "07700900123", "00447700900123"];
        for typed in [
            "07700 900123",
            "+44 7700 900123",
            "0044 7700 900123",
            "7700900123",
            "07700-900-123",
            "(07700) 900.123",
        ] {
            let digits = search_digits("number", typed, gb).unwrap().unwrap();
            for number in stored {
                assert!(number.contains(&digits), "{typed:?} → {digits} in {number}");
            }
        }
        let london = search_digits("number", "(020) 7946 0000", gb)
            .unwrap()
            .unwrap();
        assert!("+442079460000".contains(&london));
        // Another country's number keeps its calling code.
        let us = search_digits("number", "+1 202 555 0100", gb)
            .unwrap()
            .unwrap();
        assert_eq!(us, "12025550100");
        let in_us = Country::parse("country", "US").unwrap();
        assert_eq!(
            search_digits("number", "(202) 555-0100", in_us)
                .unwrap()
                .unwrap(),
            "2025550100"
        );
        // Parts of numbers and extensions stay as typed.
        assert_eq!(search_digits("number", "2001", gb), Ok(Some("2001".into())));
        assert_eq!(search_digits("number", "215", gb), Ok(Some("215".into())));
        // The start of a national number finds the E.164 form too; short
        // ones and international ones stay as typed.
        assert_eq!(
            search_digits("number", "07700", gb),
            Ok(Some("7700".into()))
        );
        assert_eq!(search_digits("number", "0123", gb), Ok(Some("0123".into())));
        assert_eq!(
            search_digits("number", "0044 77", gb),
            Ok(Some("004477".into()))
        );
        assert_eq!(search_digits("number", "*21#", gb), Ok(Some("21".into())));
        assert_eq!(search_digits("number", " ", gb), Ok(None));
        for bad in [
            "abc",
            "0770O 900123",
            "12+3",
            "+",
            "1".repeat(33).as_str(),
            "١٢٣",
        ] {
            assert!(search_digits("number", bad, gb).is_err(), "{bad:?}");
        }
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
