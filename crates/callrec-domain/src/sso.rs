//! Single sign-on with a company's OpenID provider: its settings, parsed
//! once, and the rule deciding what a sign-in through it still owes our
//! own MFA.

use crate::mfa::manages_access;
use crate::{RoleSet, ValidationError};
use std::fmt;

/// Whose MFA counts after the provider signed someone in (`--mfa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoMfa {
    /// The provider's: its sign-in counts as MFA done (its `amr` is kept).
    Idp,
    /// The portal's: the company's MFA policy applies after the provider,
    /// as for a password.
    Portal,
    /// Both: the provider must show MFA in `amr`, and users who can manage
    /// users or MFA give our code as well.
    Both,
}

impl SsoMfa {
    pub const ALL: [SsoMfa; 3] = [SsoMfa::Idp, SsoMfa::Portal, SsoMfa::Both];

    pub fn code(self) -> &'static str {
        match self {
            SsoMfa::Idp => "idp",
            SsoMfa::Portal => "portal",
            SsoMfa::Both => "both",
        }
    }

    pub fn from_code(code: &str) -> Option<SsoMfa> {
        SsoMfa::ALL.into_iter().find(|mode| mode.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            SsoMfa::Idp => "The identity provider's MFA counts",
            SsoMfa::Portal => "Ask our MFA after the identity provider",
            SsoMfa::Both => "Require both for users who manage users or MFA",
        }
    }

    pub fn parse(input: &str) -> Result<SsoMfa, ValidationError> {
        SsoMfa::from_code(input.trim())
            .ok_or_else(|| ValidationError::new("mfa", "MFA must be one of idp, portal or both"))
    }
}

/// How a session began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInMethod {
    #[default]
    Password,
    SingleSignOn,
}

impl SignInMethod {
    pub fn code(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::SingleSignOn => "sso",
        }
    }

    /// Unknown codes read as a password session: the stricter of the two
    /// (a temporary password must still be replaced).
    pub fn from_code(code: &str) -> SignInMethod {
        match code {
            "sso" => SignInMethod::SingleSignOn,
            _ => SignInMethod::Password,
        }
    }
}

/// What a new single sign-on session starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoSession {
    /// MFA counts as done already (the provider's).
    pub mfa_passed: bool,
    /// Our MFA is asked even where the company's policy would not ask it.
    pub mfa_demanded: bool,
}

/// Why a sign-in through the provider is refused although its token was good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoRefusal {
    /// `--mfa both` and the token's `amr` shows no second factor.
    NoProviderMfa,
}

/// What a person signed in by the provider with `amr` owes our MFA under
/// `mode`, given their roles.
pub fn sso_session(
    mode: SsoMfa,
    amr: &[String],
    roles: &RoleSet,
) -> Result<SsoSession, SsoRefusal> {
    match mode {
        SsoMfa::Idp => Ok(SsoSession {
            mfa_passed: true,
            mfa_demanded: false,
        }),
        SsoMfa::Portal => Ok(SsoSession {
            mfa_passed: false,
            mfa_demanded: false,
        }),
        SsoMfa::Both if !amr_shows_mfa(amr) => Err(SsoRefusal::NoProviderMfa),
        SsoMfa::Both => {
            let ours = manages_access(roles);
            Ok(SsoSession {
                mfa_passed: !ours,
                mfa_demanded: ours,
            })
        }
    }
}

/// Whether an `amr` claim (RFC 8176) shows more than one factor: `mfa`
/// itself, or methods of two kinds (something known, held, or been).
pub fn amr_shows_mfa(amr: &[String]) -> bool {
    const KNOWN: &[&str] = &["pwd", "pin", "kba"];
    const HELD: &[&str] = &["otp", "hwk", "swk", "sms", "tel", "sc", "pop"];
    const BEEN: &[&str] = &["fpt", "face", "iris", "retina", "vbm", "geo"];
    if amr.iter().any(|method| method == "mfa") {
        return true;
    }
    let kinds = [KNOWN, HELD, BEEN]
        .iter()
        .filter(|kind| amr.iter().any(|method| kind.contains(&method.as_str())))
        .count();
    kinds >= 2
}

/// An email domain whose people sign in through a company's provider:
/// lower case, letters, digits and hyphens in dot-separated labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EmailDomain(String);

impl EmailDomain {
    pub const MAX_CHARS: usize = 253;

    pub fn parse(input: &str) -> Result<EmailDomain, ValidationError> {
        let value = input.trim().trim_start_matches('@').to_ascii_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = value.split('.').collect();
        if value.len() > Self::MAX_CHARS || labels.len() < 2 || !labels.iter().all(|l| label_ok(l))
        {
            return Err(ValidationError::new(
                "domains",
                format!(
                    "\"{}\" is not an email domain like example.com",
                    shown(input)
                ),
            ));
        }
        Ok(EmailDomain(value))
    }

    /// The domain of an email address, if it has a well-formed one.
    pub fn of_email(email: &str) -> Option<EmailDomain> {
        let (local, domain) = email.trim().rsplit_once('@')?;
        if local.is_empty() {
            return None;
        }
        EmailDomain::parse(domain).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Input shown back in an error, cut short and without control characters.
fn shown(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect()
}

/// At most this many domains per company.
pub const MAX_DOMAINS: usize = 20;

/// A list of domains as typed (space, comma or line separated), each once.
pub fn parse_domains<'a>(
    inputs: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<EmailDomain>, ValidationError> {
    let mut domains = Vec::new();
    for input in inputs {
        for part in input.split(|c: char| c == ',' || c.is_whitespace()) {
            if part.is_empty() {
                continue;
            }
            let domain = EmailDomain::parse(part)?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
    }
    if domains.is_empty() {
        return Err(ValidationError::new(
            "domains",
            "Give at least one email domain, like example.com",
        ));
    }
    if domains.len() > MAX_DOMAINS {
        return Err(ValidationError::new(
            "domains",
            format!("At most {MAX_DOMAINS} email domains"),
        ));
    }
    domains.sort();
    Ok(domains)
}

/// The provider's issuer: an https URL without user, query or fragment;
/// plain http only on this machine (a provider beside the portal, as in
/// the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrl(String);

impl IssuerUrl {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<IssuerUrl, ValidationError> {
        let value = input.trim();
        let error = |why: &str| ValidationError::new("issuer", format!("Issuer URL {why}"));
        if value.is_empty() {
            return Err(error("is required"));
        }
        if value.len() > Self::MAX_CHARS || value.chars().any(|c| c.is_whitespace()) {
            return Err(error("must be one URL of at most 500 characters"));
        }
        let (scheme, rest) = value
            .split_once("://")
            .ok_or_else(|| error("must start with https://"))?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || rest.contains(['?', '#']) || authority.contains('@') {
            return Err(error(
                "must be like https://login.example.com/tenant, without a user, query or fragment",
            ));
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host),
        };
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(error("must start with https://")),
        }
        Ok(IssuerUrl(value.trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The portal's client id at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(input: &str) -> Result<ClientId, ValidationError> {
        let value = input.trim();
        if value.is_empty()
            || value.len() > Self::MAX_CHARS
            || !value.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(ValidationError::new(
                "client_id",
                "Client ID must be 1 to 255 letters, digits or symbols, without spaces",
            ));
        }
        Ok(ClientId(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The portal's client secret at the provider; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub const MAX_CHARS: usize = 512;

    pub fn parse(input: &str) -> Result<ClientSecret, ValidationError> {
        let value = input.trim();
        if value.is_empty()
            || value.len() > Self::MAX_CHARS
            || value.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(ValidationError::new(
                "client_secret",
                "Client secret must be 1 to 512 characters on one line, without spaces",
            ));
        }
        Ok(ClientSecret(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn amr(methods: &[&str]) -> Vec<String> {
        methods.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn amr_needs_two_kinds_of_factor_or_mfa() {
        assert!(amr_shows_mfa(&amr(&["pwd", "mfa"])));
        assert!(amr_shows_mfa(&amr(&["mfa"])));
        assert!(amr_shows_mfa(&amr(&["pwd", "otp"])));
        assert!(amr_shows_mfa(&amr(&["hwk", "fpt"])));
        assert!(!amr_shows_mfa(&amr(&["pwd"])));
        assert!(!amr_shows_mfa(&amr(&["pwd", "pin"])));
        assert!(!amr_shows_mfa(&amr(&["otp", "sms"])));
        assert!(!amr_shows_mfa(&[]));
    }

    #[test]
    fn each_mode_decides_what_our_mfa_still_asks() {
        let admin = RoleSet::from_iter([Role::ManageUsers]);
        let agent = RoleSet::default();
        let strong = amr(&["pwd", "mfa"]);
        let weak = amr(&["pwd"]);
        let session = |passed, demanded| {
            Ok(SsoSession {
                mfa_passed: passed,
                mfa_demanded: demanded,
            })
        };
        assert_eq!(
            sso_session(SsoMfa::Idp, &weak, &admin),
            session(true, false)
        );
        assert_eq!(
            sso_session(SsoMfa::Portal, &strong, &agent),
            session(false, false)
        );
        assert_eq!(
            sso_session(SsoMfa::Both, &weak, &agent),
            Err(SsoRefusal::NoProviderMfa)
        );
        assert_eq!(
            sso_session(SsoMfa::Both, &strong, &agent),
            session(true, false)
        );
        assert_eq!(
            sso_session(SsoMfa::Both, &strong, &admin),
            session(false, true)
        );
    }

    #[test]
    fn domains_are_parsed_once_each() {
        let domains = parse_domains(["Example.COM, @sales.example.com", "example.com"]).unwrap();
        let names: Vec<&str> = domains.iter().map(EmailDomain::as_str).collect();
        assert_eq!(names, ["example.com", "sales.example.com"]);
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a..com",
            "a_b.com",
        ] {
            assert!(parse_domains([bad]).is_err(), "{bad:?}");
        }
        assert_eq!(
            EmailDomain::of_email("Ann@Example.com").unwrap().as_str(),
            "example.com"
        );
        assert_eq!(EmailDomain::of_email("@example.com"), None);
        assert_eq!(EmailDomain::of_email("ann"), None);
    }

    #[test]
    fn issuers_are_https_or_this_machine() {
        assert_eq!(
            IssuerUrl::parse(" https://login.example.com/tenant/ ")
                .unwrap()
                .as_str(),
            "https://login.example.com/tenant"
        );
        assert!(IssuerUrl::parse("http://127.0.0.1:9400").is_ok());
        assert!(IssuerUrl::parse("http://localhost:9400/realms/x").is_ok());
        for bad in [
            "",
            "http://login.example.com",
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/?a=b",
            "https://example.com/#x",
            "https:///path",
            "login.example.com",
        ] {
            assert!(IssuerUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_never_printed() {
        let secret = ClientSecret::parse("s3cr3t-value").unwrap();
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        assert!(ClientSecret::parse("two words").is_err());
        assert!(ClientId::parse("").is_err());
        assert_eq!(SsoMfa::parse("both").unwrap(), SsoMfa::Both);
        assert!(SsoMfa::parse("none").is_err());
    }
}
