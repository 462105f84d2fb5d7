//! Security keys and passkeys (WebAuthn) as a second factor: the rules
//! around a ceremony; the cryptography is webauthn-rs's, in callrec-app.

/// How long a started ceremony (add a key, sign in with one) may take
/// before it must start again: a browser asks for a touch within a minute
/// or two; five leaves room without keeping challenges about.
pub const CEREMONY_SECONDS: i64 = 300;

/// Which ceremony a stored challenge belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// My MFA → Add security key.
    Add,
    /// "Use security key" in the sign-in pop-up.
    SignIn,
    /// "Confirm it's you" with a key, before a change under My MFA.
    Confirm,
}

impl Ceremony {
    pub fn code(self) -> &'static str {
        match self {
            Ceremony::Add => "add",
            Ceremony::SignIn => "sign_in",
            Ceremony::Confirm => "confirm",
        }
    }
}

/// Whether a ceremony started at `started` may still finish at `now`.
pub fn ceremony_open(started: i64, now: i64) -> bool {
    (started..started + CEREMONY_SECONDS).contains(&now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyName;

    #[test]
    fn a_ceremony_lasts_five_minutes() {
        assert!(ceremony_open(1000, 1000));
        assert!(ceremony_open(1000, 1299));
        assert!(!ceremony_open(1000, 1300));
        assert!(
            !ceremony_open(1000, 999),
            "a clock moved back does not reopen it"
        );
    }

    #[test]
    fn key_names_are_short_single_lines() {
        assert_eq!(
            KeyName::parse("  YubiKey 5C  ").unwrap().as_str(),
            "YubiKey 5C"
        );
        assert!(KeyName::parse("").is_err());
        assert!(KeyName::parse("   ").is_err());
        assert!(KeyName::parse("a\nb").is_err());
        assert!(KeyName::parse(&"k".repeat(60)).is_ok());
        assert!(KeyName::parse(&"k".repeat(61)).is_err());
    }
}
