//! Company settings → Single sign-on and `callrec company sso`: a
//! company's provider, its domains, whose MFA counts, whether unknown
//! people are created, and whether passwords are refused but to named
//! local administrators. The client secret is sealed with the master
//! keyring, bound to the company.

use super::provider::Providers;
use crate::audit::AuditContext;
use crate::{Caller, Error, Keyring};
use callrec_domain::audit::AuditAction;
use callrec_domain::role::RolePreset;
use callrec_domain::sso::{ClientId, ClientSecret, EmailDomain, IssuerUrl, SsoMfa};
use callrec_domain::{CompanyId, Role, TeamId, UserId, ValidationError};
use callrec_store::{Company, NewSsoConfig, SsoConfig, SsoRefused, Store};

/// The roles people created at their first sign-in get.
pub const NEW_USER_PRESET: RolePreset = RolePreset::Agent;

/// The team people arrive in, by single sign-on or SCIM: the one chosen
/// as Team for new people if it is enabled, else the company's oldest
/// enabled team (by creation: names come and go).
pub async fn team_for_new_people(
    store: &Store,
    company: CompanyId,
) -> Result<Option<callrec_store::Team>, Error> {
    let chosen = store
        .company_sso(company)
        .await?
        .and_then(|sso| sso.team_id);
    let teams = store.list_teams(Some(company)).await?;
    let chosen_team = teams
        .iter()
        .find(|team| team.enabled && Some(team.id) == chosen)
        .cloned();
    Ok(chosen_team.or_else(|| {
        teams
            .into_iter()
            .filter(|team| team.enabled)
            .min_by_key(|team| team.id.0)
    }))
}

/// What binds a company's sealed client secret to it.
fn binding(company: CompanyId) -> String {
    format!("callrec-sso-secret:{}", company.0)
}

/// The client secret of `config`, opened.
pub(super) fn open_secret(keyring: &Keyring, config: &SsoConfig) -> Result<String, Error> {
    let plain = keyring
        .unseal(&binding(config.company_id), &config.client_secret)
        .map_err(|source| Error::Secret {
            what: format!(
                "the single sign-on client secret of {}",
                config.company_name
            ),
            source,
        })?;
    String::from_utf8(plain).map_err(|_| Error::Secret {
        what: format!(
            "the single sign-on client secret of {}",
            config.company_name
        ),
        source: crate::SecretError::Malformed,
    })
}

/// A company's single sign-on as asked, every field parsed.
#[derive(Debug, Clone)]
pub struct SsoChange {
    pub issuer: IssuerUrl,
    pub client_id: ClientId,
    /// `None` keeps the secret stored (same issuer and client only).
    pub client_secret: Option<ClientSecret>,
    pub domains: Vec<EmailDomain>,
    pub mfa: SsoMfa,
    pub create_users: bool,
    pub team: Option<TeamId>,
    pub required: bool,
    /// Who may still use a password when it is required.
    pub local_admins: Vec<UserId>,
    /// Take the provider's email addresses without `email_verified`
    /// (Microsoft Entra ID never sends it; its directory holds them).
    pub trust_email: bool,
}

/// Who may change a company's single sign-on: whoever may change its
/// Company settings (Manage Users at Company level in it, a Global user
/// in any), just after "Confirm it's you"; an operator.
fn allowed(caller: Caller<'_>, company: CompanyId) -> Result<(), Error> {
    match caller {
        Caller::Operator => {}
        Caller::User { actor, .. } if actor.may_change_company_settings(company) => {}
        _ => return Err(Error::NotAllowed),
    }
    caller.require_presence()
}

/// Saves `change` for `company`, after its provider answered discovery.
pub async fn configure_sso(
    store: &Store,
    providers: &Providers,
    keyring: &Keyring,
    caller: Caller<'_>,
    company: &Company,
    change: SsoChange,
    audit: &AuditContext,
) -> Result<(), Error> {
    allowed(caller, company.id)?;
    // Letting the provider's sign-in stand for MFA sets the company's MFA
    // aside: it takes what changing the MFA policy takes.
    if change.mfa == SsoMfa::Idp && !caller.can(Role::ManageCompanyMfa) {
        return Err(ValidationError::new(
            "mfa",
            "Letting the identity provider's MFA count needs Access to Manage Company MFA. Ask someone who has it, or choose another MFA setting.",
        )
        .into());
    }
    let current = store.company_sso(company.id).await?;
    let same_client = current.as_ref().is_some_and(|c| {
        c.issuer == change.issuer.as_str() && c.client_id == change.client_id.as_str()
    });
    let sealed = match (&change.client_secret, &current) {
        (Some(secret), _) => keyring.seal(&binding(company.id), secret.expose().as_bytes()),
        (None, Some(current)) if same_client => current.client_secret.clone(),
        (None, _) => {
            return Err(ValidationError::new(
                "client_secret",
                "Enter the client secret your identity provider gave for this client.",
            )
            .into())
        }
    };
    if let Some(team) = change.team {
        match store.team(company.id, team).await? {
            Some(found) if found.enabled => {}
            _ => {
                return Err(ValidationError::new(
                    "team",
                    "Choose one of the company's enabled teams for new users.",
                )
                .into())
            }
        }
    }
    let admins = store
        .users_in_company(company.id, &change.local_admins)
        .await?;
    if admins.len() != change.local_admins.len() {
        return Err(ValidationError::new(
            "local_admins",
            "Local administrators must be users of this company.",
        )
        .into());
    }
    if change.required
        && !admins
            .iter()
            .any(|user| user.roles.contains(Role::ManageUsers))
    {
        return Err(ValidationError::new(
            "local_admins",
            "Requiring single sign-on needs at least one local administrator with Access to Manage Users, who can still sign in with a password if the identity provider fails.",
        )
        .into());
    }
    if let Err(err) = providers.check(change.issuer.as_str(), audit.now).await {
        // The cause goes to the log only: echoed, it would map the
        // portal's network for whoever types addresses here.
        tracing::warn!(company = company.id.0, "single sign-on discovery: {err}");
        return Err(ValidationError::new(
            "issuer",
            format!(
                "The identity provider at {} did not answer OpenID Connect discovery ({}/.well-known/openid-configuration). Check the issuer URL.",
                change.issuer.as_str(),
                change.issuer.as_str()
            ),
        )
        .into());
    }
    let mut write = store.write(audit.now).await?;
    let refused = write
        .set_company_sso(
            company.id,
            NewSsoConfig {
                issuer: change.issuer.as_str(),
                client_id: change.client_id.as_str(),
                client_secret: &sealed,
                mfa: change.mfa,
                create_users: change.create_users,
                required: change.required,
                trust_email: change.trust_email,
                team_id: change.team,
                domains: &change.domains,
            },
        )
        .await?;
    if let Err(SsoRefused::DomainTaken(domain)) = refused {
        return Err(ValidationError::new(
            "domains",
            format!(
                "Another company signs in with {domain}. Each email domain belongs to one company."
            ),
        )
        .into());
    }
    write
        .set_local_sign_in(company.id, &change.local_admins)
        .await?;
    let ended = if change.required {
        // Required from now: password sessions of those it refuses end.
        write.end_password_sessions(company.id).await?
    } else {
        0
    };
    let domains: Vec<&str> = change.domains.iter().map(EmailDomain::as_str).collect();
    let names: Vec<&str> = admins.iter().map(|user| user.username.as_str()).collect();
    let mut details = vec![
        format!("identity provider {}", change.issuer.as_str()),
        format!("client {}", change.client_id.as_str()),
        if change.client_secret.is_some() {
            "new client secret".to_string()
        } else {
            "client secret kept".to_string()
        },
        format!("domains {}", domains.join(", ")),
        format!("MFA {}", change.mfa.code()),
        format!("create users {}", yes_no(change.create_users)),
        format!("required {}", yes_no(change.required)),
    ];
    if !names.is_empty() {
        details.push(format!("local administrators {}", names.join(", ")));
    }
    if change.trust_email {
        details.push("emails trusted without email_verified".to_string());
    }
    if ended > 0 {
        details.push(format!("{ended} password sessions ended"));
    }
    let details = details.join("; ");
    let entry = audit
        .entry(AuditAction::SsoChanged)
        .company(company.id)
        .target(&company.name)
        .details(details);
    write.commit_with(entry).await?;
    Ok(())
}

/// Turns `company`'s single sign-on off; whether it was on. Its users
/// sign in with passwords again (those created by it have none they
/// know: an administrator sets one).
pub async fn turn_off_sso(
    store: &Store,
    caller: Caller<'_>,
    company: &Company,
    audit: &AuditContext,
) -> Result<bool, Error> {
    allowed(caller, company.id)?;
    let mut write = store.write(audit.now).await?;
    let was_on = write.clear_company_sso(company.id).await?;
    write.set_local_sign_in(company.id, &[]).await?;
    if !was_on {
        return Ok(false);
    }
    let entry = audit
        .entry(AuditAction::SsoChanged)
        .company(company.id)
        .target(&company.name)
        .details("single sign-on turned off");
    write.commit_with(entry).await?;
    Ok(true)
}

/// Seals every company's client secret with the current master key
/// (`callrec keys rotate`); how many were sealed again.
pub async fn reseal_sso_secrets(store: &Store, keyring: &Keyring, now: i64) -> Result<u64, Error> {
    let mut done = 0;
    let mut write = store.write(now).await?;
    for (company, sealed) in write.sealed_sso_secrets().await? {
        if !keyring.needs_rotation(&sealed) {
            continue;
        }
        let Ok(plain) = keyring.unseal(&binding(company), &sealed) else {
            continue;
        };
        let fresh = keyring.seal(&binding(company), &plain);
        if write.reseal_sso_secret(company, &sealed, &fresh).await? {
            done += 1;
        }
    }
    write.commit().await?;
    Ok(done)
}

fn yes_no(on: bool) -> &'static str {
    if on {
        "yes"
    } else {
        "no"
    }
}
