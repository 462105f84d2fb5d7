//! Words as the transcript index keys them (issue 28): lower case, accents
//! folded (`Café` is `cafe`), then Snowball's English stemmer, so a
//! search for "called" finds "calling" and "calls". Numbers are kept as
//! their digits. Pure: the keyed hashing of these terms is the
//! application's (it holds the company's key).

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The longest word indexed (longer runs of letters are not words people
/// search for).
pub const MAX_WORD_CHARS: usize = 40;

/// `word` folded and stemmed; `None` when nothing of it is a letter or a
/// digit.
pub fn term(word: &str) -> Option<String> {
    let folded: String = word
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || *c == '\'')
        .collect();
    let folded = folded.trim_matches('\'');
    if folded.is_empty() || folded.chars().count() > MAX_WORD_CHARS {
        return None;
    }
    if folded.chars().all(|c| c.is_ascii_digit()) {
        return Some(folded.to_string());
    }
    // `caller's` is `caller`.
    let folded = folded
        .strip_suffix("'s")
        .unwrap_or(folded)
        .replace('\'', "");
    Some(
        Stemmer::create(Algorithm::English)
            .stem(&folded)
            .into_owned(),
    )
}

/// The terms of a text or a search query, in order (words split at
/// spaces and punctuation other than an apostrophe).
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || is_combining_mark(c)))
        .filter_map(term)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_stemmed() {
        assert_eq!(
            terms("Calling, called and CALLS"),
            ["call", "call", "and", "call"]
        );
        assert_eq!(terms("Café déjà-vu"), ["cafe", "deja", "vu"]);
        assert_eq!(terms("the caller's refund"), ["the", "caller", "refund"]);
        assert_eq!(terms("order 4111, please!"), ["order", "4111", "pleas"]);
        assert_eq!(term("—"), None);
        assert_eq!(term(&"a".repeat(41)), None);
        // A search word and a said word meet whatever their form.
        assert_eq!(term("Refunds"), term("refunding"));
        assert_eq!(term("naïve"), term("naive"));
    }
}
