//! Reading the packed lists statements build (see `Backend::packed_rows`).

use crate::{Result, StoreError};

const ROW: char = '\u{1e}';
const FIELD: char = '\u{1f}';

/// The rows of `text`, each exactly `N` fields; `what` names the list in
/// the error.
pub(crate) fn rows<'a, const N: usize>(text: &'a str, what: &str) -> Result<Vec<[&'a str; N]>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(ROW)
        .map(|row| {
            let mut fields = row.split(FIELD);
            let mut row = [""; N];
            for field in &mut row {
                *field = fields.next().ok_or_else(|| short(what, N))?;
            }
            match fields.next() {
                None => Ok(row),
                Some(_) => Err(short(what, N)),
            }
        })
        .collect()
}

fn short(what: &str, fields: usize) -> StoreError {
    StoreError::Corrupt(format!("{what}: a row without exactly {fields} fields"))
}

/// An integer field.
pub(crate) fn int(field: &str, what: &str) -> Result<i64> {
    field
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {field:?} is not an integer")))
}

/// An integer field that may be empty (NULL).
pub(crate) fn opt_int(field: &str, what: &str) -> Result<Option<i64>> {
    match field {
        "" => Ok(None),
        field => int(field, what).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Fields without separators come back as they went in; anything
        /// else is read or refused, never a panic.
        #[test]
        fn packed_rows_round_trip(table in proptest::collection::vec(proptest::array::uniform3("[^\u{1e}\u{1f}]{0,6}"), 1..6), noise in "\\PC{0,60}") {
            let text = table.iter().map(|row| row.join("\u{1f}")).collect::<Vec<_>>().join("\u{1e}");
            let read = rows::<3>(&text, "test").unwrap();
            let expected: Vec<[&str; 3]> = table.iter().map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str()]).collect();
            prop_assert_eq!(read, expected);
            let _ = rows::<9>(&noise, "test");
            let _ = opt_int(&noise, "test");
            let _ = crate::fuzzing::packed_page(&noise);
        }
    }

    #[test]
    fn rows_split_into_fields() {
        let text = "a\u{1f}1\u{1f}\u{1e}b\u{1f}2\u{1f}x";
        assert_eq!(
            rows::<3>(text, "t").unwrap(),
            [["a", "1", ""], ["b", "2", "x"]]
        );
        assert_eq!(rows::<3>("", "t").unwrap(), Vec::<[&str; 3]>::new());
        for bad in [
            "a\u{1f}1",
            "a\u{1f}1\u{1f}2\u{1f}3",
            "a\u{1f}1\u{1f}2\u{1e}b",
        ] {
            assert!(
                matches!(rows::<3>(bad, "t"), Err(StoreError::Corrupt(m)) if m.starts_with("t: ")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn integers_and_empty_fields() {
        assert_eq!(int("-42", "t").unwrap(), -42);
        assert_eq!(opt_int("", "t").unwrap(), None);
        assert_eq!(opt_int("7", "t").unwrap(), Some(7));
        for bad in ["", "1.5", "x", " 1"] {
            assert!(int(bad, "t").is_err(), "{bad:?}");
        }
        assert!(opt_int("x", "t").is_err());
    }
}
