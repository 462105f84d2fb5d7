//! The SIP digest credentials a recording source may be given: what its
//! SBC is configured with, so both are typed by an administrator once.

use crate::ValidationError;
use std::fmt;

/// Usernames are short and sent quoted in every `Authorization` header.
pub const MAX_USERNAME_CHARS: usize = 64;
/// A machine's password: long, since no person types it at each call.
pub const MIN_PASSWORD_CHARS: usize = 16;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Clone, PartialEq, Eq)]
pub struct SipCredentials {
    username: String,
    password: String,
}

impl SipCredentials {
    pub fn parse(username: &str, password: &str) -> Result<SipCredentials, ValidationError> {
        let username = username.trim();
        let quotable = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
        if username.is_empty()
            || username.chars().count() > MAX_USERNAME_CHARS
            || !username.chars().all(quotable)
        {
            return Err(ValidationError::new(
                "sip_username",
                format!("must be 1 to {MAX_USERNAME_CHARS} letters, digits or symbols, without spaces or quotes"),
            ));
        }
        let length = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length)
            || password.chars().any(char::is_control)
        {
            return Err(ValidationError::new(
                "sip_password",
                format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters on one line (the SBC keeps it; make it long and random)"),
            ));
        }
        Ok(SipCredentials {
            username: username.to_string(),
            password: password.to_string(),
        })
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

/// Never prints the password.
impl fmt::Debug for SipCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_checked_and_the_password_never_printed() {
        let ok = SipCredentials::parse(" sbc-london ", "correct horse battery staple").unwrap();
        assert_eq!(ok.username(), "sbc-london");
        assert!(!format!("{ok:?}").contains("horse"));
        for (username, password, field) in [
            ("", "correct horse battery staple", "sip_username"),
            ("with space", "correct horse battery staple", "sip_username"),
            ("quo\"te", "correct horse battery staple", "sip_username"),
            (
                &"u".repeat(65),
                "correct horse battery staple",
                "sip_username",
            ),
            ("sbc", "short", "sip_password"),
            ("sbc", "line\nbreak and more text", "sip_password"),
            ("sbc", &"p".repeat(129), "sip_password"),
        ] {
            assert_eq!(
                SipCredentials::parse(username, password).unwrap_err().field,
                field,
                "{username:?}"
            );
        }
    }
}
