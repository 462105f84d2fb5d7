//! The number index's keys: which windows of a recorded number's digits
//! `recording_number_grams` holds, and which keys answer a filter. The
//! store owns this layout; its SQL triggers compute the same keys, and the
//! store's tests compare the two.

use callrec_domain::{CompanyId, TeamId, UserId};

/// Which number a filter or an index entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberColumn {
    Calling,
    Called,
}

impl NumberColumn {
    /// The letter that starts this column's index keys.
    pub fn key_prefix(self) -> char {
        match self {
            NumberColumn::Calling => 'f',
            NumberColumn::Called => 't',
        }
    }
}

/// Which number a filter looks in: the Calling Number, the Called Number,
/// or either (the Phone number box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberField {
    Calling,
    Called,
    Either,
}

impl NumberField {
    /// The columns whose index keys answer it.
    pub fn columns(self) -> &'static [NumberColumn] {
        match self {
            NumberField::Calling => &[NumberColumn::Calling],
            NumberField::Called => &[NumberColumn::Called],
            NumberField::Either => &[NumberColumn::Calling, NumberColumn::Called],
        }
    }
}

/// The part of the portal an index entry is kept for. Every key of a
/// recording is kept once per slice it belongs to (migration
/// `number_index_slices`, whose SQL uses the same codes), so a search reads
/// the hits of its own scope, newest first, and no one else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    Everyone,
    Company(CompanyId),
    Team(TeamId),
    User(UserId),
}

impl Slice {
    /// The `slice` column.
    pub fn code(self) -> i64 {
        match self {
            Slice::Everyone => 0,
            Slice::Company(_) => 1,
            Slice::Team(_) => 2,
            Slice::User(_) => 3,
        }
    }

    /// The `owner` column.
    pub fn owner(self) -> i64 {
        match self {
            Slice::Everyone => 0,
            Slice::Company(id) => id.0,
            Slice::Team(id) => id.0,
            Slice::User(id) => id.0,
        }
    }

    /// The slices a recording of `company`, `team` and `user` is kept in.
    pub fn of_recording(
        company: CompanyId,
        team: Option<TeamId>,
        user: Option<UserId>,
    ) -> Vec<Slice> {
        [Some(Slice::Everyone), Some(Slice::Company(company))]
            .into_iter()
            .chain([team.map(Slice::Team), user.map(Slice::User)])
            .flatten()
            .collect()
    }
}

/// Index keys pad numbers shorter than a window with this character.
pub const GRAM_PAD: char = '_';
/// Digits in one index key.
pub const GRAM_LENGTH: usize = 4;

/// The index keys of a recorded number: its column's letter and each window
/// of four digits, plus the last three digits padded (so three-digit filters
/// find numbers that end with them), or the whole number padded when it is
/// shorter. `+ * #` are not digits and are left out.
///
/// The SQL triggers of migration `number_grams` compute the same keys; the
/// store's tests compare the two.
pub fn number_grams(column: NumberColumn, number: &str) -> std::collections::BTreeSet<String> {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last_start = digits.len().saturating_sub(GRAM_LENGTH - 2).max(1);
    (0..last_start)
        .map(|start| {
            let mut key = String::with_capacity(GRAM_LENGTH + 1);
            key.push(column.key_prefix());
            key.extend(
                digits
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(GRAM_PAD))
                    .skip(start)
                    .take(GRAM_LENGTH),
            );
            key
        })
        .collect()
}

/// Index keys that answer a number filter: a recording matches when the
/// index holds any of `keys` for it. When `exact` is false the keys hold
/// only part of the digits, and each hit must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLookup {
    pub field: NumberField,
    pub keys: Vec<String>,
    pub exact: bool,
}

/// The index keys that answer "the `field` number contains `digits`", or
/// `None` for one or two digits: they match most numbers, so reading
/// recordings newest first fills a page quickly without the index.
///
/// Three digits are the start of a four-digit window, or the padded end of
/// a number: eleven keys. Four digits are one key. Longer filters use their
/// last four digits (the end of a phone number varies most) and check the
/// rest on each hit. Either number is the keys of both columns.
pub fn number_lookup(field: NumberField, digits: &str) -> Option<IndexLookup> {
    let digits: Vec<char> = digits.chars().filter(char::is_ascii_digit).collect();
    // Each key is a window of digits and, for three digits, a last one.
    let (window, lasts, exact): (&[char], Vec<Option<char>>, bool) = match digits.len() {
        0..=2 => return None,
        3 => (
            &digits,
            ('0'..='9').chain([GRAM_PAD]).map(Some).collect(),
            true,
        ),
        n => (&digits[n - GRAM_LENGTH..], vec![None], n == GRAM_LENGTH),
    };
    let keys = field
        .columns()
        .iter()
        .flat_map(|column| {
            lasts.iter().map(|last| {
                std::iter::once(column.key_prefix())
                    .chain(window.iter().copied())
                    .chain(*last)
                    .collect()
            })
        })
        .collect();
    Some(IndexLookup { field, keys, exact })
}

/// Of the number filters given, the lookup that reads the fewest index
/// entries for a page: exact ones first, then fewer keys. The other
/// filters are checked on each hit.
pub fn cheapest_lookup(filters: &[(NumberField, &str)]) -> Option<IndexLookup> {
    filters
        .iter()
        .filter_map(|(field, digits)| number_lookup(*field, digits))
        .min_by_key(|lookup| (!lookup.exact, lookup.keys.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_grams_are_windows_of_four_digits_and_a_padded_tail() {
        let grams = |n: &str| {
            number_grams(NumberColumn::Calling, n)
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            grams("+44123456"),
            ["f1234", "f2345", "f3456", "f4412", "f4123", "f456_"]
                .iter()
                .map(|s| s.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(grams("2150"), ["f150_", "f2150"]);
        assert_eq!(grams("215"), ["f215_"]);
        assert_eq!(grams("21"), ["f21__"]);
        assert_eq!(grams("*#"), ["f____"]);
        // A repeated window is one key.
        assert_eq!(
            grams("12121"),
            ["f1212", "f2121", "f121_"]
                .iter()
                .map(|s| s.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            number_grams(NumberColumn::Called, "2150")
                .first()
                .map(String::as_str),
            Some("t150_")
        );
    }

    /// Every substring of three digits or more is found through one of its
    /// lookup keys: the rule that makes the index answer "any part".
    #[test]
    fn every_part_of_a_number_is_found_by_its_lookup_keys() {
        for number in ["+441234567890", "2150", "215", "9999", "#12*345", "7946"] {
            let grams = number_grams(NumberColumn::Called, number);
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            for start in 0..digits.len() {
                for end in start + 3..=digits.len() {
                    let part = &digits[start..end];
                    let keys = number_lookup(NumberField::Called, part)
                        .expect("three digits or more use the index")
                        .keys;
                    assert!(
                        keys.iter().any(|k| grams.contains(k)),
                        "{part} of {number} not found by {keys:?} in {grams:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn number_lookups() {
        assert_eq!(number_lookup(NumberField::Calling, "21"), None);
        let three = number_lookup(NumberField::Calling, "215").unwrap();
        assert_eq!((three.keys.len(), three.exact), (11, true));
        assert!(
            three.keys.contains(&"f2150".to_string()) && three.keys.contains(&"f215_".to_string())
        );
        assert_eq!(
            number_lookup(NumberField::Called, "2150"),
            Some(IndexLookup {
                field: NumberField::Called,
                keys: vec!["t2150".into()],
                exact: true
            })
        );
        assert_eq!(
            number_lookup(NumberField::Called, "442079460000"),
            Some(IndexLookup {
                field: NumberField::Called,
                keys: vec!["t0000".into()],
                exact: false
            })
        );
        // The exact four-digit filter drives; the longer one is checked.
        let driving = cheapest_lookup(&[
            (NumberField::Calling, "442079460000"),
            (NumberField::Called, "2150"),
        ])
        .unwrap();
        assert_eq!(driving.field, NumberField::Called);
        // One exact key beats eleven.
        let driving =
            cheapest_lookup(&[(NumberField::Calling, "215"), (NumberField::Called, "7946")])
                .unwrap();
        assert_eq!(driving.keys, ["t7946"]);
        assert_eq!(cheapest_lookup(&[(NumberField::Calling, "44")]), None);
        // Either number: the keys of both columns.
        let either = number_lookup(NumberField::Either, "2150").unwrap();
        assert_eq!(
            (either.keys, either.exact),
            (vec!["f2150".into(), "t2150".into()], true)
        );
        assert_eq!(
            number_lookup(NumberField::Either, "215")
                .unwrap()
                .keys
                .len(),
            22
        );
    }
}
