//! A company's numbers (Company settings → Numbers): the ranges of E.164
//! numbers it owns and of its extensions. The recording server routes a
//! shared SBC's calls by the E.164 ranges (extensions repeat between
//! companies) and tells a call's direction by both.

use crate::country::Country;
use crate::recording::Direction;
use crate::ValidationError;
use phonenumber::Mode;
use std::fmt;

/// Extensions are short: at most this many digits (a longer run of
/// digits is a phone number).
pub const MAX_EXTENSION_DIGITS: usize = 6;

/// The most ranges a company keeps (a hosted customer's DDI blocks and
/// its extension plan fit many times over).
pub const MAX_RANGES: usize = 200;

/// The most numbers one range holds (a large customer's DDI block is
/// 10,000; no one is given a whole area code by a slip).
pub const MAX_RANGE_NUMBERS: u64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// E.164 numbers, `+` and the country code.
    Phone,
    /// Extensions of the company's phone system.
    Extension,
}

impl NumberKind {
    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            NumberKind::Phone => "e164",
            NumberKind::Extension => "extension",
        }
    }

    pub fn from_code(code: &str) -> Option<NumberKind> {
        match code {
            "e164" => Some(NumberKind::Phone),
            "extension" => Some(NumberKind::Extension),
            _ => None,
        }
    }
}

/// `first` to `last` inclusive, both of one kind and one length, so text
/// order is number order (`+442079460000` to `+442079460999`, `200` to
/// `299`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRange {
    kind: NumberKind,
    first: String,
    last: String,
}

impl NumberRange {
    /// A number (`last` empty) or a range, as typed: E.164 (`+44 20 7946
    /// 0000`), national in `country`'s plan (`020 7946 0000`), or an
    /// extension of up to [`MAX_EXTENSION_DIGITS`] digits.
    pub fn parse(
        first: &str,
        last: &str,
        country: Country,
    ) -> Result<NumberRange, ValidationError> {
        let (kind, start) = one_number("first", first, country)?;
        let end = if last.trim().is_empty() {
            start.clone()
        } else {
            let (last_kind, end) = one_number("last", last, country)?;
            if last_kind != kind {
                return Err(ValidationError::new(
                    "last",
                    "must be of the same kind as the first: both phone numbers or both extensions",
                ));
            }
            end
        };
        if end.len() != start.len() {
            return Err(ValidationError::new(
                "last",
                format!(
                    "must have as many digits as the first ({start} has {}, {end} has {})",
                    digits_in(&start),
                    digits_in(&end)
                ),
            ));
        }
        if end < start {
            return Err(ValidationError::new(
                "last",
                format!("must not come before the first ({end} is before {start})"),
            ));
        }
        let range = NumberRange {
            kind,
            first: start,
            last: end,
        };
        if range.count() > MAX_RANGE_NUMBERS {
            return Err(ValidationError::new(
                "last",
                format!(
                    "makes a range of {} numbers: at most {MAX_RANGE_NUMBERS} in one range",
                    range.count()
                ),
            ));
        }
        Ok(range)
    }

    /// A range as stored; `None` for a damaged row.
    pub fn from_stored(kind: &str, first: &str, last: &str) -> Option<NumberRange> {
        let kind = NumberKind::from_code(kind)?;
        let digits = |s: &str| match kind {
            NumberKind::Phone => s
                .strip_prefix('+')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
            NumberKind::Extension => {
                !s.is_empty()
                    && s.len() <= MAX_EXTENSION_DIGITS
                    && s.bytes().all(|b| b.is_ascii_digit())
            }
        };
        (digits(first) && digits(last) && first.len() == last.len() && first <= last).then(|| {
            NumberRange {
                kind,
                first: first.to_string(),
                last: last.to_string(),
            }
        })
    }

    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    pub fn first(&self) -> &str {
        &self.first
    }

    pub fn last(&self) -> &str {
        &self.last
    }

    /// How many numbers it holds.
    pub fn count(&self) -> u64 {
        let value = |s: &str| digits_only(s).parse::<u64>().unwrap_or(0);
        value(&self.last) - value(&self.first) + 1
    }

    /// Whether it holds `number` (in the range's own form: E.164 or
    /// extension digits).
    pub fn contains(&self, number: &str) -> bool {
        number.len() == self.first.len()
            && self.first.as_str() <= number
            && number <= self.last.as_str()
            && (self.kind == NumberKind::Phone) == number.starts_with('+')
    }

    /// Whether it shares a number with `other`.
    pub fn overlaps(&self, other: &NumberRange) -> bool {
        self.kind == other.kind
            && self.first.len() == other.first.len()
            && self.first <= other.last
            && other.first <= self.last
    }
}

impl fmt::Display for NumberRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            f.write_str(&self.first)
        } else {
            write!(f, "{} to {}", self.first, self.last)
        }
    }
}

fn digits_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn digits_in(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// One number as typed: an extension, or a whole phone number in E.164.
fn one_number(
    field: &'static str,
    text: &str,
    country: Country,
) -> Result<(NumberKind, String), ValidationError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let bad = || {
        ValidationError::new(
            field,
            format!(
                "{:?} is not a phone number (such as +44 20 7946 0000) or an extension of up to {MAX_EXTENSION_DIGITS} digits",
                text.trim()
            ),
        )
    };
    if cleaned.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    let plain_digits = cleaned.bytes().all(|b| b.is_ascii_digit());
    if plain_digits && cleaned.len() <= MAX_EXTENSION_DIGITS {
        return Ok((NumberKind::Extension, cleaned));
    }
    if !(plain_digits
        || cleaned
            .strip_prefix('+')
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(bad());
    }
    phone_form(&cleaned, country)
        .map(|e164| (NumberKind::Phone, e164))
        .ok_or_else(bad)
}

/// A whole number in E.164, from international (`+44…`, `0044…`) or
/// national (`020…`) form; `None` if it is not a possible number.
fn phone_form(number: &str, country: Country) -> Option<String> {
    let parsed = phonenumber::parse(Some(country.id()), number).ok()?;
    crate::phone::is_possible(&parsed).then(|| parsed.format().mode(Mode::E164).to_string())
}

/// A company's numbers, to tell whether a party of a call is its own.
#[derive(Debug, Clone)]
pub struct NumberPlan {
    pub ranges: Vec<NumberRange>,
    /// Where its national numbers are dialled.
    pub country: Country,
}

impl NumberPlan {
    /// Whether `number`, as a phone system sends it (`+442079460001`,
    /// `442079460001`, `00442079460001`, `02079460001`), is one of its
    /// phone numbers.
    pub fn owns_phone(&self, number: &str) -> bool {
        let forms = phone_forms(number, self.country);
        self.ranges
            .iter()
            .filter(|r| r.kind == NumberKind::Phone)
            .any(|r| forms.iter().any(|form| r.contains(form)))
    }

    /// Whether `number` is one of its phone numbers or extensions.
    pub fn owns(&self, number: &str) -> bool {
        let extension = number.len() <= MAX_EXTENSION_DIGITS
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit());
        (extension
            && self
                .ranges
                .iter()
                .any(|r| r.kind == NumberKind::Extension && r.contains(number)))
            || self.owns_phone(number)
    }
}

/// The E.164 forms a number sent by a phone system may stand for: as
/// national in `country`, as international with or without its `+`.
fn phone_forms(number: &str, country: Country) -> Vec<String> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let mut forms = Vec::new();
    if number.starts_with('+') {
        forms.push(number.to_string());
    } else {
        if let Some(form) = phone_form(number, country) {
            forms.push(form);
        }
        // SBCs often drop the `+`: 442079460001.
        if digits.len() > MAX_EXTENSION_DIGITS {
            forms.push(format!("+{digits}"));
        }
    }
    forms
}

/// A call's direction for the company whose parties are `calling_ours`
/// and `called_ours`: from its own party outbound, to it inbound, between
/// two internal. A call where neither is known counts as inbound (what an
/// SBC in front of a company mostly records).
pub fn direction_of(calling_ours: bool, called_ours: bool) -> Direction {
    match (calling_ours, called_ours) {
        (true, true) => Direction::Internal,
        (true, false) => Direction::Outbound,
        _ => Direction::Inbound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb() -> Country {
        Country::parse("country", "GB").unwrap()
    }

    fn range(first: &str, last: &str) -> NumberRange {
        NumberRange::parse(first, last, gb()).unwrap()
    }

    #[test]
    fn ranges_are_read_as_people_type_them() {
        let block = range("+44 20 7946 0000", "020 7946 0999");
        assert_eq!(block.kind(), NumberKind::Phone);
        assert_eq!(block.to_string(), "+442079460000 to +442079460999");
        assert_eq!(block.count(), 1000);
        let one = range("(020) 7946-0123", "");
        assert_eq!(one.to_string(), "+442079460123");
        assert_eq!(one.count(), 1);
        let extensions = range("200", "299");
        assert_eq!(extensions.kind(), NumberKind::Extension);
        assert_eq!(extensions.count(), 100);
        assert_eq!(range("0044 20 7946 0000", "").first(), "+442079460000");
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let refused =
            |first: &str, last: &str| NumberRange::parse(first, last, gb()).unwrap_err().message;
        assert!(refused("", "").contains("required"));
        assert!(
            refused("abc", "").contains("not a phone number"),
            "{}",
            refused("abc", "")
        );
        assert!(refused("12345678901234567", "").contains("not a phone number"));
        assert!(refused("200", "+442079460000").contains("same kind"));
        assert!(refused("200", "2000").contains("as many digits"));
        assert!(refused("299", "200").contains("before"));
        assert!(refused("+44 20 7946 0999", "+44 20 7946 0000").contains("before"));
        assert!(refused("+1", "").contains("not a phone number"));
        assert!(refused("2*1", "").contains("not a phone number"));
        assert!(refused("+44 20 7900 0000", "+44 20 7999 9999").contains("at most 100000"));
        assert!(refused("000000", "999999").contains("at most 100000"));
    }

    #[test]
    fn overlap_is_of_the_same_kind_and_length() {
        let a = range("+442079460000", "+442079460999");
        assert!(a.overlaps(&range("+442079460999", "+442079461999")));
        assert!(range("+442079460500", "").overlaps(&a));
        assert!(!a.overlaps(&range("+442079461000", "+442079461999")));
        assert!(!range("200", "299").overlaps(&range("300", "399")));
        assert!(range("200", "299").overlaps(&range("250", "")));
        assert!(!range("200", "299").overlaps(&range("2000", "2999")));
    }

    #[test]
    fn a_plan_owns_its_numbers_however_the_phone_system_writes_them() {
        let plan = NumberPlan {
            ranges: vec![range("+442079460000", "+442079460999"), range("200", "299")],
            country: gb(),
        };
        for ours in [
            "+442079460001",
            "442079460001",
            "00442079460001",
            "02079460001",
            "201",
        ] {
            assert!(plan.owns(ours), "{ours}");
        }
        for theirs in [
            "+442079461001",
            "02079461001",
            "301",
            "0",
            "",
            "+",
            "anonymous",
            "2001",
        ] {
            assert!(!plan.owns(theirs), "{theirs}");
        }
        assert!(!plan.owns_phone("201"), "extensions do not route");
        assert!(plan.owns_phone("442079460999"));
    }

    #[test]
    fn stored_ranges_are_checked_again() {
        assert!(NumberRange::from_stored("e164", "+442079460000", "+442079460999").is_some());
        assert!(NumberRange::from_stored("extension", "200", "299").is_some());
        assert!(NumberRange::from_stored("e164", "442079460000", "442079460999").is_none());
        assert!(NumberRange::from_stored("extension", "299", "200").is_none());
        assert!(NumberRange::from_stored("fax", "200", "299").is_none());
    }

    #[test]
    fn direction_follows_whose_parties_they_are() {
        assert_eq!(direction_of(true, false), Direction::Outbound);
        assert_eq!(direction_of(false, true), Direction::Inbound);
        assert_eq!(direction_of(true, true), Direction::Internal);
        assert_eq!(direction_of(false, false), Direction::Inbound);
    }
}
