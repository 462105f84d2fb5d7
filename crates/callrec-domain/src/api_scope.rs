//! What an API token may do: its scopes, and the rule that a token acts as
//! its company with exactly those scopes, never more than a Company user
//! holding the matching roles.

use crate::permissions::DataScope;
use crate::{CompanyId, Role, ValidationError};
use std::fmt;

/// One thing a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiScope {
    /// Send recordings (`POST /api/v1/recordings`).
    Ingest,
    /// Search and read recordings' details.
    RecordingsRead,
    /// Fetch recordings' audio.
    RecordingsDownload,
    /// Read users and teams.
    DirectoryRead,
    /// Read the audit log.
    AuditRead,
    /// Read recordings' notes.
    NotesRead,
    /// Add notes to recordings.
    NotesWrite,
    /// Read recordings' transcripts.
    TranscriptsRead,
    /// Provision the company's Staff and Team users and its teams from an
    /// identity provider (SCIM 2.0).
    Scim,
}

impl ApiScope {
    pub const ALL: [ApiScope; 9] = [
        ApiScope::Ingest,
        ApiScope::RecordingsRead,
        ApiScope::RecordingsDownload,
        ApiScope::DirectoryRead,
        ApiScope::AuditRead,
        ApiScope::NotesRead,
        ApiScope::NotesWrite,
        ApiScope::TranscriptsRead,
        ApiScope::Scim,
    ];

    /// The name scripts, the CLI and the OpenAPI description use.
    pub fn code(self) -> &'static str {
        match self {
            ApiScope::Ingest => "ingest",
            ApiScope::RecordingsRead => "recordings:read",
            ApiScope::RecordingsDownload => "recordings:download",
            ApiScope::DirectoryRead => "directory:read",
            ApiScope::AuditRead => "audit:read",
            ApiScope::NotesRead => "notes:read",
            ApiScope::NotesWrite => "notes:write",
            ApiScope::TranscriptsRead => "transcripts:read",
            ApiScope::Scim => "scim",
        }
    }

    /// What the API tokens page says the scope allows.
    pub fn label(self) -> &'static str {
        match self {
            ApiScope::Ingest => "Send recordings",
            ApiScope::RecordingsRead => "Search recordings and read their details",
            ApiScope::RecordingsDownload => "Fetch recordings' audio",
            ApiScope::DirectoryRead => "Read users and teams",
            ApiScope::AuditRead => "Read the audit log",
            ApiScope::NotesRead => "Read recordings' notes",
            ApiScope::NotesWrite => "Add notes to recordings",
            ApiScope::TranscriptsRead => "Read recordings' transcripts",
            ApiScope::Scim => "Provision users and teams from your identity provider (SCIM)",
        }
    }

    pub fn from_code(code: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The role a Company user needs for the same reads: a token is never
    /// more than such a user. Ingest is the company's own intake and has no
    /// user counterpart.
    pub fn role(self) -> Option<Role> {
        match self {
            ApiScope::Ingest => None,
            ApiScope::RecordingsRead => Some(Role::Recordings),
            ApiScope::RecordingsDownload => Some(Role::DownloadRecordings),
            ApiScope::DirectoryRead | ApiScope::Scim => Some(Role::ManageUsers),
            ApiScope::AuditRead => Some(Role::AuditLog),
            ApiScope::NotesRead | ApiScope::NotesWrite | ApiScope::TranscriptsRead => {
                Some(Role::Recordings)
            }
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// A token's scopes: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiScopes(u16);

impl ApiScopes {
    pub fn of(scopes: impl IntoIterator<Item = ApiScope>) -> Option<ApiScopes> {
        let bits = scopes.into_iter().fold(0, |bits, s| bits | s.bit());
        (bits != 0).then_some(ApiScopes(bits))
    }

    /// Scopes as typed: codes separated by commas or spaces, each once or
    /// more. Unknown codes are named in the error.
    pub fn parse(text: &str) -> Result<ApiScopes, ValidationError> {
        let mut scopes = Vec::new();
        for code in text.split([',', ' ']).filter(|c| !c.is_empty()) {
            match ApiScope::from_code(code) {
                Some(scope) => scopes.push(scope),
                None => {
                    return Err(ValidationError::new(
                        "scope",
                        format!(
                            "Unknown scope {code:?}; the scopes are {}",
                            ApiScopes::all()
                        ),
                    ))
                }
            }
        }
        ApiScopes::of(scopes)
            .ok_or_else(|| ValidationError::new("scope", "Choose at least one scope"))
    }

    pub fn all() -> ApiScopes {
        ApiScopes::of(ApiScope::ALL).expect("every scope")
    }

    pub fn contains(self, scope: ApiScope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = ApiScope> {
        ApiScope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

/// `ingest,recordings:read`: the stored and printed form.
impl fmt::Display for ApiScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = self.iter().map(ApiScope::code).collect();
        f.write_str(&codes.join(","))
    }
}

/// A live token, as far as authorisation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGrant {
    pub company: CompanyId,
    pub scopes: ApiScopes,
}

impl TokenGrant {
    /// A token reads its own company's data, like a Company user.
    pub fn scope(self) -> DataScope {
        DataScope::Company(self.company)
    }

    pub fn may(self, scope: ApiScope) -> bool {
        self.scopes.contains(scope)
    }
}

/// How long a new token lives: `--expires-in-days` or the page's field;
/// empty means until revoked.
pub fn token_lifetime_days(text: &str) -> Result<Option<u32>, ValidationError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(ValidationError::new(
            "expires_in_days",
            format!("Expires in (days) must be a whole number from 1 to {MAX_TOKEN_DAYS}, or empty for no expiry"),
        )),
    }
}

/// Five years: past that a token should be replaced, not extended.
pub const MAX_TOKEN_DAYS: u32 = 1826;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_print_and_refuse_unknown_codes() {
        let scopes = ApiScopes::parse("recordings:read, ingest ingest").unwrap();
        assert_eq!(scopes.to_string(), "ingest,recordings:read");
        assert!(scopes.contains(ApiScope::Ingest));
        assert!(!scopes.contains(ApiScope::AuditRead));
        assert_eq!(
            ApiScopes::parse(&ApiScopes::all().to_string()),
            Ok(ApiScopes::all())
        );
        let unknown = ApiScopes::parse("ingest,admin").unwrap_err();
        assert!(unknown.message.contains("\"admin\""), "{unknown}");
        assert!(ApiScopes::parse(" , ").is_err(), "at least one");
    }

    #[test]
    fn a_token_reads_only_its_company_and_maps_to_company_roles() {
        let grant = TokenGrant {
            company: CompanyId(7),
            scopes: ApiScopes::parse("audit:read").unwrap(),
        };
        assert_eq!(grant.scope(), DataScope::Company(CompanyId(7)));
        assert!(grant.may(ApiScope::AuditRead));
        assert!(!grant.may(ApiScope::RecordingsRead));
        let roles: Vec<Role> = ApiScope::ALL.iter().filter_map(|s| s.role()).collect();
        assert_eq!(
            roles.len(),
            ApiScope::ALL.len() - 1,
            "every scope but ingest has its role"
        );
    }

    #[test]
    fn lifetimes_are_days_within_bounds() {
        assert_eq!(token_lifetime_days(""), Ok(None));
        assert_eq!(token_lifetime_days(" 30 "), Ok(Some(30)));
        for bad in ["0", "-1", "1827", "ten", "1.5"] {
            assert!(token_lifetime_days(bad).is_err(), "{bad}");
        }
    }
}
