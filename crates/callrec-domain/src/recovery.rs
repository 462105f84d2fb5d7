//! Recovery codes: one-time codes that stand in for the authenticator when
//! the phone is lost. Ten at a time, each `xxxx-xxxx` in Crockford's base32
//! (8 symbols × 5 bits = 40 bits), shown once and stored only as keyed
//! hashes (callrec-app's keyring).

/// How many codes a set holds.
pub const SET_SIZE: usize = 10;

/// At or below this many unused codes, the user is asked to make new ones.
pub const PROMPT_AT: i64 = 3;

/// The random bytes one code takes (40 bits).
pub const CODE_BYTES: usize = 5;

/// Crockford's base32: no I, L, O or U, so nothing reads as another symbol.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A recovery code in its canonical form: 8 lowercase symbols, no hyphen.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl RecoveryCode {
    /// The code 40 random bits spell.
    pub fn from_bytes(bytes: [u8; CODE_BYTES]) -> RecoveryCode {
        let bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let symbols = (0..8)
            .rev()
            .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
            .collect();
        RecoveryCode(symbols)
    }

    /// What a user typed, forgiving case, spaces, hyphens and the letters
    /// Crockford maps to digits (I and L are 1, O is 0); `None` when it
    /// cannot be a recovery code.
    pub fn parse(typed: &str) -> Option<RecoveryCode> {
        let mut symbols = String::with_capacity(8);
        for c in typed.chars().filter(|c| !matches!(c, ' ' | '-')) {
            let c = match c.to_ascii_lowercase() {
                'i' | 'l' => '1',
                'o' => '0',
                other => other,
            };
            if !ALPHABET.contains(&u8::try_from(c).ok()?) {
                return None;
            }
            symbols.push(c);
        }
        (symbols.len() == 8).then_some(RecoveryCode(symbols))
    }

    /// The canonical form, which is what gets hashed.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// As shown and printed: `xxxx-xxxx`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

/// Whether a user with `left` unused codes is asked to make new ones.
pub fn should_prompt(left: i64) -> bool {
    left <= PROMPT_AT
}

/// The text file Download gives: the codes, one per line, with what they
/// are for.
pub fn download_text(issuer: &str, username: &str, codes: &[RecoveryCode]) -> String {
    let mut text = format!(
        "{issuer} recovery codes for {username}\n\
         Each code signs you in once when you cannot use your authenticator.\n\
         Keep them somewhere safe, apart from your phone.\n\n"
    );
    for code in codes {
        text.push_str(&code.display());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format_is_four_hyphen_four_from_the_alphabet() {
        let code = RecoveryCode::from_bytes([0, 0, 0, 0, 0]);
        assert_eq!(code.display(), "0000-0000");
        let code = RecoveryCode::from_bytes([0xff; 5]);
        assert_eq!(code.display(), "zzzz-zzzz");
        let code = RecoveryCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8]);
        assert_eq!(code.display(), "1234-5678");
    }

    #[test]
    fn parsing_forgives_what_people_type() {
        let code = RecoveryCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8]);
        for typed in [
            "1234-5678",
            "12345678",
            " 1234 5678 ",
            "I234-5678",
            "l234-5678",
        ] {
            assert_eq!(RecoveryCode::parse(typed), Some(code.clone()), "{typed}");
        }
        assert_eq!(
            RecoveryCode::parse("ABCD-EFGH").map(|c| c.display()),
            Some("abcd-efgh".to_string())
        );
        assert_eq!(
            RecoveryCode::parse("oooo-oooo").map(|c| c.display()),
            Some("0000-0000".to_string())
        );
        for bad in [
            "",
            "1234-567",
            "1234-56789",
            "uuuu-uuuu",
            "1234-567!",
            "123456",
            "12345é78",
        ] {
            assert_eq!(RecoveryCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_prompt_starts_at_three() {
        assert!(!should_prompt(10));
        assert!(!should_prompt(4));
        assert!(should_prompt(3));
        assert!(should_prompt(0));
    }

    #[test]
    fn download_lists_every_code() {
        let codes: Vec<_> = (0..SET_SIZE as u8)
            .map(|i| RecoveryCode::from_bytes([i; 5]))
            .collect();
        let text = download_text("Call Recording", "jo", &codes);
        assert!(text.starts_with("Call Recording recovery codes for jo\n"));
        for code in &codes {
            assert!(text.contains(&format!("\n{}\n", code.display())));
        }
        assert_eq!(text.lines().count(), 4 + SET_SIZE);
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = RecoveryCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8]);
        assert!(!format!("{code:?}").contains("1234"));
    }

    proptest! {
        /// Every 40-bit value is its own code: display, parse, and back.
        #[test]
        fn forty_bits_round_trip(bytes in any::<[u8; 5]>()) {
            let code = RecoveryCode::from_bytes(bytes);
            let shown = code.display();
            prop_assert_eq!(shown.len(), 9);
            prop_assert_eq!(RecoveryCode::parse(&shown), Some(code.clone()));
            prop_assert_eq!(RecoveryCode::parse(&shown.to_uppercase()), Some(code));
        }

        /// Distinct bits, distinct codes: no entropy is lost.
        #[test]
        fn distinct_bytes_distinct_codes(a in any::<[u8; 5]>(), b in any::<[u8; 5]>()) {
            prop_assume!(a != b);
            prop_assert_ne!(RecoveryCode::from_bytes(a), RecoveryCode::from_bytes(b));
        }
    }
}
