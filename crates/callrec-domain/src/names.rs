//! Names and other free text that users type, parsed once at the edge.

use crate::ValidationError;
use std::fmt;

/// Trims, refuses control characters, and checks the length in characters.
fn clean_text(
    field: &'static str,
    input: &str,
    what: &str,
    max_chars: usize,
) -> Result<String, ValidationError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, format!("{what} is required")));
    }
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(
            field,
            format!("{what} must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            format!("{what} must not contain control characters"),
        ));
    }
    Ok(value.to_string())
}

/// The one form names are compared in (unique keys, lookups, throttle
/// counters): surrounding space dropped, lower case.
pub fn lookup_key(name: &str) -> String {
    name.trim().to_lowercase()
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, ValidationError> {
                clean_text($field, input, $what, $max).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The form compared for uniqueness ([`lookup_key`]).
            pub fn key(&self) -> String {
                lookup_key(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A company's name, unique across the portal.
    CompanyName, "name", "Company name", 100
);
text_type!(
    /// A team's name, unique inside its company.
    TeamName, "name", "Team name", 100
);
text_type!(
    /// The name shown for a user.
    DisplayName, "display_name", "Name", 100
);
text_type!(
    /// What an API token is called in lists and in the audit log
    /// ("CRM sync").
    TokenName, "name", "Token name", 64
);
text_type!(
    /// One of a company's own labels for recordings ("Complaint"), unique
    /// inside the company.
    TagName, "tag", "Tag", 40
);
text_type!(
    /// What a user calls one of their security keys ("YubiKey on my keys").
    KeyName, "name", "Key name", 60
);

/// A sign-in name: 3 to 64 characters of letters, digits and `. _ - @`,
/// starting with a letter or digit. Unique across the portal regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// The actor name of the command line in the audit log; no user may take it.
pub const COMMAND_LINE_ACTOR: &str = "cli";

impl Username {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Username, ValidationError> {
        let value = input.trim();
        let field = "username";
        if value.is_empty() {
            return Err(ValidationError::new(field, "Username is required"));
        }
        if value.len() < 3 || value.len() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                "Username must be 3 to 64 characters",
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
        if !value.chars().all(allowed) || !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(ValidationError::new(
                field,
                "Username may use letters, digits and . _ - @, and must start with a letter or digit",
            ));
        }
        if value.eq_ignore_ascii_case(COMMAND_LINE_ACTOR) {
            // The audit log names the command line `cli`: no user may pose as it.
            return Err(ValidationError::new(
                field,
                "The username cli is reserved for the command line",
            ));
        }
        Ok(Username(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness and at sign-in ([`lookup_key`]).
    pub fn key(&self) -> String {
        lookup_key(&self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked only for shape: the portal sends no mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Empty input means "no address".
    pub fn parse_optional(input: &str) -> Result<Option<Email>, ValidationError> {
        let value = input.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let field = "email";
        if value.len() > 254 {
            return Err(ValidationError::new(
                field,
                "Email must be at most 254 characters",
            ));
        }
        let well_formed = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
        if !well_formed || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                field,
                "Email must look like name@example.com",
            ));
        }
        Ok(Some(Email(value.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user typed into a search box: trimmed, bounded, lower-cased, with
/// no meaning left for SQL LIKE wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerm(String);

impl SearchTerm {
    pub const MAX_CHARS: usize = 100;

    /// Over-long input is cut rather than refused: a search should never fail.
    pub fn parse(input: &str) -> Option<SearchTerm> {
        let value: String = input.trim().chars().take(Self::MAX_CHARS).collect();
        (!value.is_empty()).then_some(SearchTerm(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `LIKE ... ESCAPE '\'` pattern matching the term anywhere, lower-cased.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse("  Alice.Smith ").unwrap().as_str(),
            "Alice.Smith"
        );
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
        for bad in [
            "",
            "ab",
            "-alice",
            "al ice",
            "alice<script>",
            &"a".repeat(65),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert!(Username::parse("j.doe@acme.example").is_ok());
        for reserved in ["cli", "CLI", " Cli "] {
            let err = Username::parse(reserved).unwrap_err();
            assert!(err.message.contains("reserved"), "{reserved:?}");
        }
        assert!(Username::parse("clive").is_ok());
    }

    #[test]
    fn text_names() {
        assert_eq!(CompanyName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert!(CompanyName::parse("   ").is_err());
        assert!(CompanyName::parse(&"x".repeat(101)).is_err());
        assert!(CompanyName::parse(&"é".repeat(100)).is_ok());
        assert!(TeamName::parse("Sales\u{0}").is_err());
        assert_eq!(
            DisplayName::parse("").unwrap_err(),
            ValidationError::new("display_name", "Name is required")
        );
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse_optional(""), Ok(None));
        assert!(Email::parse_optional("a@b.example").unwrap().is_some());
        for bad in [
            "a",
            "a@b",
            "@b.example",
            "a@.example",
            "a b@c.example",
            "a@b@c.example",
        ] {
            assert!(
                Email::parse_optional(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn search_terms_escape_like_wildcards() {
        assert_eq!(SearchTerm::parse("   "), None);
        assert_eq!(SearchTerm::parse("Bob").unwrap().like_pattern(), "%bob%");
        assert_eq!(
            SearchTerm::parse("50%_a\\").unwrap().like_pattern(),
            "%50\\%\\_a\\\\%"
        );
        assert_eq!(
            SearchTerm::parse(&"x".repeat(500)).unwrap().as_str().len(),
            100
        );
    }
}
