//! Entry points for the fuzz targets in `fuzz/` (and the property tests):
//! the store's parsers of text that comes back from the database.

/// Decodes a packed Recordings page; true if it was well-formed.
pub fn packed_page(text: &str) -> bool {
    crate::recordings::listed_from_packed(text).is_ok()
}
