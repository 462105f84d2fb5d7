//! Entry points for the fuzz targets in `fuzz/` (and the property tests):
//! the web layer's parsers of what clients send.

use crate::form::FormData;

/// A form body or query string, read as the handlers read it.
pub fn form(input: &[u8]) {
    let form = FormData::parse(input);
    for name in ["username", "roles", "team", "company", "edit", "page"] {
        let _ = form.get(name);
        let _ = form.all(name).count();
        let _ = form.checked(name);
        let _ = form.optional_id(name);
    }
}

/// Ingest metadata JSON; true if it was accepted.
pub fn metadata(text: &str) -> bool {
    callrec_app::ingest::parse_metadata(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn forms_and_metadata_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..120),
            json in "\\PC{0,80}|\\{(\"[a-z_]{1,12}\": ?(\"[^\"]{0,20}\"|-?[0-9]{1,20}|null|true|\\[\\]|\\{\\}), ?){0,6}\\}",
        ) {
            form(&body);
            let _ = metadata(&json);
        }
    }

    #[test]
    fn good_metadata_is_accepted() {
        assert!(metadata(
            r#"{"started_at":"2026-11-28T10:15:00Z","direction":"inbound","from":"+44 20","to":"2001"}"#
        ));
        assert!(!metadata(r#"{"started_at":"yesterday"}"#));
    }
}
