//! Password rules after NIST SP 800-63B §5.1.1: a length floor, a generous
//! ceiling, a block list, and no composition rules.

use crate::ValidationError;

const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// A password that may be set. It is never displayed or logged: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    /// `username` is refused as a password, in any case.
    pub fn parse(input: &str, username: &str) -> Result<NewPassword, ValidationError> {
        let field = "password";
        let length = input.chars().count();
        if length < Self::MIN_CHARS {
            return Err(ValidationError::new(
                field,
                format!("Password must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if length > Self::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("Password must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        let lowered = input.to_lowercase();
        if is_common(&lowered) || lowered.contains(&username.to_lowercase()) && !username.is_empty()
        {
            return Err(ValidationError::new(
                field,
                "Password is too easy to guess; choose a longer phrase that is not your username",
            ));
        }
        Ok(NewPassword(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How long a password stays good. One that someone else set (an
/// administrator, the command line, the first start's printed one) is
/// temporary: its holder must choose their own at the next sign-in, and
/// it stops working at `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordLife {
    Permanent,
    Temporary { expires_at: i64 },
}

impl PasswordLife {
    /// A temporary password set at `now`, good for `hours`.
    pub fn temporary(now: i64, hours: i64) -> PasswordLife {
        PasswordLife::Temporary {
            expires_at: now.saturating_add(hours.saturating_mul(3600)),
        }
    }

    /// The stored form: when it expires, or nothing.
    pub fn expires_at(self) -> Option<i64> {
        match self {
            PasswordLife::Permanent => None,
            PasswordLife::Temporary { expires_at } => Some(expires_at),
        }
    }

    pub fn from_expiry(expires_at: Option<i64>) -> PasswordLife {
        expires_at.map_or(PasswordLife::Permanent, |expires_at| {
            PasswordLife::Temporary { expires_at }
        })
    }

    pub fn is_temporary(self) -> bool {
        matches!(self, PasswordLife::Temporary { .. })
    }

    /// A temporary password is refused from its expiry on.
    pub fn expired(self, now: i64) -> bool {
        matches!(self, PasswordLife::Temporary { expires_at } if now >= expires_at)
    }
}

/// On the block list, or one character repeated.
fn is_common(lowered: &str) -> bool {
    let mut chars = lowered.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return true;
    }
    COMMON_PASSWORDS.lines().any(|line| line == lowered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_expire_at_their_hour() {
        let life = PasswordLife::temporary(1_000, 72);
        assert_eq!(life.expires_at(), Some(1_000 + 72 * 3600));
        assert!(life.is_temporary());
        assert!(!life.expired(1_000 + 72 * 3600 - 1));
        assert!(life.expired(1_000 + 72 * 3600));
        assert!(!PasswordLife::Permanent.expired(i64::MAX));
        assert_eq!(PasswordLife::from_expiry(life.expires_at()), life);
        assert_eq!(PasswordLife::from_expiry(None), PasswordLife::Permanent);
        assert_eq!(
            PasswordLife::temporary(i64::MAX - 5, i64::MAX).expires_at(),
            Some(i64::MAX)
        );
    }

    #[test]
    fn length_rules() {
        assert!(NewPassword::parse("short", "bob").is_err());
        assert!(NewPassword::parse("elevenchars", "bob").is_err());
        assert!(NewPassword::parse("twelve chars", "bob").is_ok());
        assert!(NewPassword::parse(&"ab".repeat(128), "bob").is_ok());
        assert!(NewPassword::parse(&"ab".repeat(129), "bob").is_err());
        // Length counts characters, not bytes.
        assert!(NewPassword::parse("ééééééééééé", "bob").is_err());
    }

    #[test]
    fn block_list_and_username() {
        for weak in [
            "password1234",
            "PASSWORD1234",
            "123456789012",
            "aaaaaaaaaaaaaaaa",
            "CallRecording",
        ] {
            assert!(
                NewPassword::parse(weak, "bob").is_err(),
                "{weak} should be refused"
            );
        }
        assert!(NewPassword::parse("alice.smith-2026", "alice.smith").is_err());
        assert!(NewPassword::parse("correct horse battery", "alice").is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let password = NewPassword::parse("correct horse battery", "alice").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
