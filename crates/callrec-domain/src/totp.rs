//! Time-based one-time passwords, RFC 6238 (HMAC-SHA1, 30-second steps),
//! with the rules callrec adds: one step either side is accepted, and a
//! step is accepted at most once per user.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::fmt;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of the codes users type.
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one, for clock drift.
pub const WINDOW: i64 = 1;

/// A 160-bit shared secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; 20]);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// From 20 random bytes (the caller owns the randomness).
    pub fn from_bytes(bytes: [u8; 20]) -> TotpSecret {
        TotpSecret(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Option<TotpSecret> {
        bytes.try_into().ok().map(TotpSecret)
    }

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// RFC 4648 base32 without padding, as authenticator apps expect.
    pub fn base32(&self) -> String {
        base32(&self.0)
    }

    /// The base32 key in groups of four, for typing by hand.
    pub fn grouped(&self) -> String {
        self.base32()
            .as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u64::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// HOTP (RFC 4226) truncated to `digits` digits.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    binary % 10u32.pow(digits)
}

/// The time step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// How many steps ahead (+1) or behind (−1) of the server's the phone was
/// when it showed the code accepted for `step` at `now`.
pub fn step_offset(step: i64, now: i64) -> i64 {
    step - step_at(now)
}

/// A phone whose clock is off by about a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneClock {
    Fast,
    Slow,
}

/// The last three accepted codes all a step early (fast) or late (slow);
/// `recent` holds the offsets of the latest codes, oldest first.
pub fn phone_clock(recent: &[i64]) -> Option<PhoneClock> {
    match recent {
        [.., a, b, c] if a == b && b == c && *c > 0 => Some(PhoneClock::Fast),
        [.., a, b, c] if a == b && b == c && *c < 0 => Some(PhoneClock::Slow),
        _ => None,
    }
}

/// The code for a step, as users see it (zero-padded).
pub fn code_for_step(secret: &TotpSecret, step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(&secret.0, step as u64, DIGITS),
        width = DIGITS as usize
    )
}

/// Six digits typed by a user; spaces and dashes are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    pub fn parse(input: &str) -> Option<TotpCode> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(TotpCode(digits))
    }
}

/// What a submitted code amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, for this step, never used before: record the step.
    Accepted {
        step: i64,
    },
    /// Right, but its step (or a later one) was already used.
    Replayed,
    Invalid,
}

/// Checks `code` at `now` against the steps `now ± WINDOW`; `last_step` is
/// the last step this user had accepted.
pub fn check_code(
    secret: &TotpSecret,
    code: &TotpCode,
    now: i64,
    last_step: Option<i64>,
) -> CodeCheck {
    let current = step_at(now);
    let matched = (current - WINDOW..=current + WINDOW)
        .filter(|step| constant_time_eq(code_for_step(secret, *step).as_bytes(), code.0.as_bytes()))
        .max();
    match matched {
        None => CodeCheck::Invalid,
        Some(step) if last_step.is_some_and(|last| step <= last) => CodeCheck::Replayed,
        Some(step) => CodeCheck::Accepted { step },
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Key URI authenticator apps read from the QR code:
/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &TotpSecret) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}",
        percent_encode(issuer),
        percent_encode(account),
        secret.base32(),
        percent_encode(issuer)
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_codes_a_step_off_mean_a_drifting_phone() {
        use PhoneClock::*;
        let table: [(&[i64], Option<PhoneClock>); 8] = [
            (&[], None),
            (&[1, 1], None),
            (&[1, 1, 1], Some(Fast)),
            (&[-1, -1, -1], Some(Slow)),
            (&[0, 0, 0], None),
            (&[1, 0, 1], None),
            (&[0, 1, 1, 1], Some(Fast)),
            (&[1, 1, 1, 0], None),
        ];
        for (recent, expected) in table {
            assert_eq!(phone_clock(recent), expected, "{recent:?}");
        }
        assert_eq!(step_offset(step_at(1_000_000) + 1, 1_000_000), 1);
    }

    const RFC_KEY: &[u8; 20] = b"12345678901234567890";

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        for (time, expected) in vectors {
            assert_eq!(hotp(RFC_KEY, step_at(time) as u64, 8), expected, "T={time}");
        }
    }

    #[test]
    fn six_digit_codes_are_zero_padded() {
        let secret = TotpSecret::from_bytes(*RFC_KEY);
        // RFC 4226 Appendix D: counter 0..9 → 755224, 287082, …
        assert_eq!(code_for_step(&secret, 0), "755224");
        assert_eq!(code_for_step(&secret, 1), "287082");
        let padded = (0..2000)
            .map(|s| code_for_step(&secret, s))
            .find(|c| c.starts_with('0'));
        assert_eq!(padded.map(|c| c.len()), Some(6));
    }

    #[test]
    fn window_edges() {
        let secret = TotpSecret::from_bytes(*RFC_KEY);
        let now = 1_800_000_015; // step 60_000_000, 15 s in
        let step = step_at(now);
        let code = |s: i64| TotpCode::parse(&code_for_step(&secret, s)).unwrap();
        assert_eq!(
            check_code(&secret, &code(step), now, None),
            CodeCheck::Accepted { step }
        );
        assert_eq!(
            check_code(&secret, &code(step - 1), now, None),
            CodeCheck::Accepted { step: step - 1 }
        );
        assert_eq!(
            check_code(&secret, &code(step + 1), now, None),
            CodeCheck::Accepted { step: step + 1 }
        );
        assert_eq!(
            check_code(&secret, &code(step - 2), now, None),
            CodeCheck::Invalid
        );
        assert_eq!(
            check_code(&secret, &code(step + 2), now, None),
            CodeCheck::Invalid
        );
        // The last second of a step still takes the next step's code, the
        // first second of a step still takes the previous one's.
        let last_second = (step + 1) * STEP_SECONDS - 1;
        assert_eq!(
            check_code(&secret, &code(step + 2), last_second, None),
            CodeCheck::Invalid
        );
        assert_eq!(
            check_code(&secret, &code(step - 1), step * STEP_SECONDS, None),
            CodeCheck::Accepted { step: step - 1 }
        );
    }

    #[test]
    fn replay_rule() {
        let secret = TotpSecret::from_bytes(*RFC_KEY);
        let now = 1_800_000_015;
        let step = step_at(now);
        let code = |s: i64| TotpCode::parse(&code_for_step(&secret, s)).unwrap();
        assert_eq!(
            check_code(&secret, &code(step), now, Some(step)),
            CodeCheck::Replayed
        );
        assert_eq!(
            check_code(&secret, &code(step - 1), now, Some(step)),
            CodeCheck::Replayed,
            "an older step after a newer one"
        );
        assert_eq!(
            check_code(&secret, &code(step + 1), now, Some(step)),
            CodeCheck::Accepted { step: step + 1 }
        );
        assert_eq!(
            check_code(&secret, &code(step), now, Some(step - 1)),
            CodeCheck::Accepted { step }
        );
    }

    #[test]
    fn code_parsing() {
        assert_eq!(
            TotpCode::parse(" 123 456 "),
            Some(TotpCode("123456".into()))
        );
        assert_eq!(TotpCode::parse("123-456"), Some(TotpCode("123456".into())));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(TotpCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_and_uri() {
        // RFC 4648 test vectors.
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let secret = TotpSecret::from_bytes(*RFC_KEY);
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(secret.base32().len(), 32, "160 bits");
        assert_eq!(secret.grouped(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert_eq!(
            otpauth_uri("Call Recording", "alice@acme", &secret),
            "otpauth://totp/Call%20Recording:alice%40acme?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Call%20Recording"
        );
        assert!(!format!("{secret:?}").contains("GEZD"));
    }
}
