//! Reading the JSON lists statements build (see `Backend::json_array_agg`).

use crate::{Result, StoreError};
use serde::de::{DeserializeOwned, Deserializer, Error, Unexpected, Visitor};
use std::fmt;

/// `text` as a JSON list; `what` names it in the error.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<Vec<T>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// An integer sent as a JSON number (SQLite) or as a string of digits
/// (PostgreSQL, whose lists are text arrays).
pub(crate) fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Int;
    impl Visitor<'_> for Int {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer, or a string of one")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<i64, E> {
            v.parse()
                .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
        }
    }
    deserializer.deserialize_any(Int)
}

/// An id sent as [`int`] sends it.
pub(crate) fn int_id<'de, D: Deserializer<'de>, T: From<i64>>(
    deserializer: D,
) -> Result<T, D::Error> {
    int(deserializer).map(T::from)
}

/// An id sent as [`int`] sends it, or null.
pub(crate) fn opt_int_id<'de, D: Deserializer<'de>, T: From<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Id(#[serde(deserialize_with = "int")] i64);
    let id: Option<Id> = serde::Deserialize::deserialize(deserializer)?;
    Ok(id.map(|Id(id)| T::from(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row(#[serde(deserialize_with = "int")] i64, Option<String>);

    #[test]
    fn integers_come_as_numbers_or_digit_strings() {
        let rows: Vec<Row> = parse(r#"[[1, "a"], ["-22", null]]"#, "rows").unwrap();
        assert_eq!(rows, [Row(1, Some("a".into())), Row(-22, None)]);
        for bad in [
            r#"[["1x", "a"]]"#,
            r#"[[1.5, "a"]]"#,
            r#"[[null, "a"]]"#,
            "[[1]]",
            "{}",
        ] {
            assert!(
                matches!(parse::<Row>(bad, "rows"), Err(StoreError::Corrupt(m)) if m.starts_with("rows: ")),
                "{bad}"
            );
        }
    }
}
