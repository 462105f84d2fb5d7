//! Signing in through a company's provider: the work email's domain picks
//! the company, the browser goes to its provider with a state, nonce and
//! PKCE verifier kept here (any node finishes it), and the callback takes
//! them back once, redeems the code, and finds the person in that company
//! only.

use super::provider::{Identity, ProviderError, Providers, Registration};
use super::settings::{open_secret, NEW_USER_PRESET};
use crate::{Error, Keyring, Passwords};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::audit::AuditAction;
use callrec_domain::sso::{sso_session, EmailDomain, SignInMethod, SsoRefusal};
use callrec_domain::{DisplayName, Email, Level, SessionFacts, UserId, Username};
use callrec_store::{
    NewAuditEntry, NewUser, SsoConfig, SsoLogin, Store, StoreError, StoredPassword, User,
    DUPLICATE_USERNAME,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A sign-in must come back from the provider within this long.
pub const LOGIN_SECONDS: i64 = 600;

/// What a sign-in through a provider needs of the portal.
#[derive(Clone, Copy)]
pub struct SsoPortal<'a> {
    pub store: &'a Store,
    pub providers: &'a Providers,
    pub keyring: &'a Keyring,
    pub passwords: &'a Passwords,
    /// `{CALLREC_PUBLIC_URL}/sso/callback`.
    pub redirect_uri: &'a str,
}

/// Where "Sign in with single sign-on" leads.
#[derive(Debug)]
pub enum Begun {
    /// To the provider; `browser` goes in a cookie binding the sign-in
    /// to this browser.
    Provider { url: String, browser: String },
    /// No (enabled) company signs in through a provider with this
    /// email's domain, or the user's company has none.
    NotSetUp,
    /// The company's provider could not be reached.
    ProviderDown,
}

/// Starts linking signed-in `user` to their company's provider (My
/// account → Link single sign-on): the same trip, ending in a link.
pub async fn begin_link(portal: SsoPortal<'_>, user: &User, now: i64) -> Result<Begun, Error> {
    let config = match portal.store.company_sso(user.company_id).await? {
        Some(config) if config.company_enabled => config,
        _ => return Ok(Begun::NotSetUp),
    };
    let hint = user.email.as_deref().unwrap_or(&user.username);
    go_to_provider(portal, &config, hint, Some(user.id), now).await
}

/// Starts a sign-in for the person with work email `email`.
pub async fn begin_sso(portal: SsoPortal<'_>, email: &str, now: i64) -> Result<Begun, Error> {
    let domain = EmailDomain::of_email(email).ok_or_else(|| {
        callrec_domain::ValidationError::new(
            "email",
            "Enter your work email, like name@example.com.",
        )
    })?;
    let config = match portal.store.sso_for_domain(&domain).await? {
        Some(config) if config.company_enabled => config,
        _ => return Ok(Begun::NotSetUp),
    };
    go_to_provider(portal, &config, email.trim(), None, now).await
}

/// The provider's authorization URL for `config`, its sign-in kept here.
async fn go_to_provider(
    portal: SsoPortal<'_>,
    config: &SsoConfig,
    hint: &str,
    link_user: Option<UserId>,
    now: i64,
) -> Result<Begun, Error> {
    let secret = open_secret(portal.keyring, config)?;
    let registration = registration(portal, config, &secret);
    let authorization = match portal.providers.authorize(registration, hint, now).await {
        Ok(authorization) => authorization,
        Err(err) => {
            tracing::warn!(company = config.company_id.0, "single sign-on: {err}");
            return Ok(Begun::ProviderDown);
        }
    };
    let browser = random_token();
    let login = SsoLogin {
        browser_hash: digest(&browser),
        company_id: config.company_id,
        nonce: authorization.nonce,
        verifier: authorization.verifier,
        link_user,
        created_at: now,
    };
    let mut write = portal.store.write(now).await?;
    write
        .insert_sso_login(&digest(&authorization.state), &login, now - LOGIN_SECONDS)
        .await?;
    write.commit().await?;
    Ok(Begun::Provider {
        url: authorization.url,
        browser,
    })
}

/// What the provider sent back to `/sso/callback`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Callback<'a> {
    pub code: &'a str,
    pub state: &'a str,
    /// The provider's `error` (the person cancelled, or was refused there).
    pub error: &'a str,
    /// The browser's binding cookie.
    pub browser: &'a str,
    /// Who is signed in in this browser, if anyone (a link finishes only
    /// for the user who began it).
    pub signed_in: Option<UserId>,
}

/// Why a sign-in through a provider was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoFailure {
    /// No sign-in under way with this state: forged, or used already.
    UnknownState,
    /// The sign-in was begun in another browser.
    OtherBrowser,
    /// It took longer than [`LOGIN_SECONDS`].
    TooSlow,
    /// The provider said no (its `error`).
    ProviderSaid(String),
    /// The company's single sign-on was turned off meanwhile, or the
    /// company disabled.
    NotSetUp,
    Provider(ProviderError),
    /// The token names no email, or one the provider has not verified.
    NoVerifiedEmail,
    /// The email's domain is not one of the company's.
    WrongDomain,
    /// Nobody of the company has that email (and none is created).
    NoAccount,
    /// More than one user of the company has that email.
    Ambiguous,
    /// The user with that email signed in before as someone else.
    BoundElsewhere,
    Disabled,
    /// `--mfa both`, and the provider's sign-in shows no second factor.
    NoProviderMfa,
    /// A new person has no team to join.
    NoTeam,
    /// A Company or Global user not linked yet: they link from My account.
    LinkFirst,
    /// The provider's subject is linked to another user already.
    LinkTaken,
}

impl SsoFailure {
    /// For the audit log and the metrics.
    pub fn code(&self) -> &'static str {
        match self {
            SsoFailure::UnknownState => "unknown state",
            SsoFailure::OtherBrowser => "begun in another browser",
            SsoFailure::TooSlow => "took too long",
            SsoFailure::ProviderSaid(_) => "refused by the identity provider",
            SsoFailure::NotSetUp => "single sign-on off",
            SsoFailure::Provider(ProviderError::TokenRefused(_)) => "ID token refused",
            SsoFailure::Provider(ProviderError::CodeRefused(_)) => "code refused",
            SsoFailure::Provider(_) => "identity provider unreachable",
            SsoFailure::NoVerifiedEmail => "no verified email",
            SsoFailure::WrongDomain => "email domain not the company's",
            SsoFailure::NoAccount => "no such user",
            SsoFailure::Ambiguous => "email shared by several users",
            SsoFailure::BoundElsewhere => "user bound to another subject",
            SsoFailure::Disabled => "account disabled",
            SsoFailure::NoProviderMfa => "no MFA at the identity provider",
            SsoFailure::NoTeam => "no team for new users",
            SsoFailure::LinkFirst => "administrator not linked yet",
            SsoFailure::LinkTaken => "subject linked to another user",
        }
    }

    /// What the person is told, with what to do next.
    pub fn message(&self) -> &'static str {
        match self {
            SsoFailure::UnknownState | SsoFailure::OtherBrowser | SsoFailure::TooSlow => {
                "That single sign-on link has expired or was already used. Start again with Sign in with single sign-on."
            }
            SsoFailure::ProviderSaid(_) => {
                "Your identity provider did not sign you in. Try again, or ask your administrator."
            }
            SsoFailure::NotSetUp | SsoFailure::Provider(_) => {
                "Single sign-on is not working for your company right now. Try again later, or ask your administrator."
            }
            SsoFailure::NoVerifiedEmail | SsoFailure::WrongDomain | SsoFailure::NoAccount => {
                "Your identity provider signed you in, but there is no account for you here. Ask your administrator to add you."
            }
            SsoFailure::Ambiguous | SsoFailure::BoundElsewhere => {
                "Your identity provider signed you in, but your account here cannot be matched to it. Ask your administrator."
            }
            SsoFailure::Disabled => "Your account is disabled. Ask your administrator.",
            SsoFailure::NoProviderMfa => {
                "Your company requires multi-factor authentication at your identity provider. Sign in there with MFA and try again."
            }
            SsoFailure::NoTeam => {
                "Your account could not be created: your company has no team for new users. Ask your administrator."
            }
            SsoFailure::LinkFirst => {
                "Administrators link single sign-on to their account first: log in with your username and password, then My account → Link single sign-on."
            }
            SsoFailure::LinkTaken => {
                "That identity provider account is linked to another user here already. Ask your administrator."
            }
        }
    }
}

/// How the callback ended.
#[derive(Debug)]
pub enum Finished {
    /// Start a session for `user` with `facts`; `created` when the
    /// account was made just now (they are told so).
    SignedIn {
        user: Box<User>,
        facts: SessionFacts,
        created: bool,
    },
    /// The signed-in user who began it is linked to the provider's subject.
    Linked {
        user: UserId,
    },
    Refused(SsoFailure),
}

/// Finishes a sign-in at the callback, from `client`.
pub async fn finish_sso(
    portal: SsoPortal<'_>,
    callback: Callback<'_>,
    client: &str,
    now: i64,
) -> Result<Finished, Error> {
    // Taken back (deleted) first, in its own commit: whatever follows, a
    // state works once.
    let mut write = portal.store.write(now).await?;
    let login = write.take_sso_login(&digest(callback.state)).await?;
    write.commit().await?;
    let Some(login) = login else {
        tracing::warn!("single sign-on callback with an unknown state");
        return Ok(Finished::Refused(SsoFailure::UnknownState));
    };
    let refuse = |failure: SsoFailure, details: String| {
        let entry = NewAuditEntry::new(AuditAction::SignInFailed)
            .company(login.company_id)
            .client(client)
            .details(format!("single sign-on: {}{details}", failure.code()));
        (failure, entry)
    };
    let outcome = match check(portal, &login, callback, now).await? {
        Ok(checked) => checked,
        Err((failure, details)) => {
            let (failure, entry) = refuse(failure, details);
            portal.store.audit(entry, now).await?;
            return Ok(Finished::Refused(failure));
        }
    };
    let (config, identity) = outcome;
    let place = format!(
        "; identity provider {}; subject {}",
        config.issuer, identity.subject
    );
    if let Some(user) = login.link_user {
        return link(portal, user, &place, &identity, client, now).await;
    }
    let (user, created) = match person(portal, &config, &identity, now).await? {
        Ok(found) => found,
        Err(failure) => {
            let (failure, entry) = refuse(failure, place);
            let entry = match identity.email.as_deref() {
                Some(email) => entry.target(email),
                None => entry,
            };
            portal.store.audit(entry, now).await?;
            return Ok(Finished::Refused(failure));
        }
    };
    let amr = identity.amr.join(" ");
    let details = format!(
        "single sign-on{place}; amr {}; acr {}",
        if amr.is_empty() { "none" } else { &amr },
        identity.acr.as_deref().unwrap_or("none"),
    );
    if !user.enabled || !user.company_enabled {
        let entry = refused_for(&user, client, format!("{details}; account disabled"));
        portal.store.audit(entry, now).await?;
        return Ok(Finished::Refused(SsoFailure::Disabled));
    }
    let session = match sso_session(config.mfa, &identity.amr, &user.roles) {
        Ok(session) => session,
        Err(SsoRefusal::NoProviderMfa) => {
            let entry = refused_for(
                &user,
                client,
                format!("{details}; no MFA at the identity provider"),
            );
            portal.store.audit(entry, now).await?;
            return Ok(Finished::Refused(SsoFailure::NoProviderMfa));
        }
    };
    let entry = NewAuditEntry::new(AuditAction::SignInSucceeded)
        .actor(user.id, &user.username)
        .company(user.company_id)
        .target(&user.username)
        .client(client)
        .details(format!("{details}; MFA {}", config.mfa.code()));
    portal
        .store
        .record_successful_sign_in(&[], user.id, entry, now)
        .await?;
    Ok(Finished::SignedIn {
        user: Box::new(user),
        facts: SessionFacts {
            mfa_passed: session.mfa_passed,
            mfa_demanded: session.mfa_demanded,
            method: SignInMethod::SingleSignOn,
        },
        created,
    })
}

/// Links signed-in `user` to the provider's subject: from then on they
/// sign in through it (the way Company and Global users may).
async fn link(
    portal: SsoPortal<'_>,
    user: UserId,
    place: &str,
    identity: &Identity,
    client: &str,
    now: i64,
) -> Result<Finished, Error> {
    let Some(found) = portal.store.user(user).await? else {
        return Ok(Finished::Refused(SsoFailure::NoAccount));
    };
    let mut write = portal.store.write(now).await?;
    if !write.link_sso_subject(user, &identity.subject).await? {
        drop(write);
        let entry = refused_for(
            &found,
            client,
            format!("single sign-on link refused: subject linked to another user{place}"),
        );
        portal.store.audit(entry, now).await?;
        return Ok(Finished::Refused(SsoFailure::LinkTaken));
    }
    let entry = NewAuditEntry::new(AuditAction::UserChanged)
        .actor(found.id, &found.username)
        .company(found.company_id)
        .target(&found.username)
        .client(client)
        .details(format!("single sign-on linked{place}"));
    write.commit_with(entry).await?;
    Ok(Finished::Linked { user })
}

/// The audit entry of a sign-in through the provider refused to `user`.
fn refused_for(user: &User, client: &str, details: String) -> NewAuditEntry {
    NewAuditEntry::new(AuditAction::SignInFailed)
        .company(user.company_id)
        .target(&user.username)
        .client(client)
        .details(details)
}

type Checked = Result<(SsoConfig, Identity), (SsoFailure, String)>;

/// The sign-in taken back is this browser's, in time, and the provider's
/// token for it good.
async fn check(
    portal: SsoPortal<'_>,
    login: &SsoLogin,
    callback: Callback<'_>,
    now: i64,
) -> Result<Checked, Error> {
    if digest(callback.browser) != login.browser_hash
        || login
            .link_user
            .is_some_and(|user| callback.signed_in != Some(user))
    {
        return Ok(Err((SsoFailure::OtherBrowser, String::new())));
    }
    if now - login.created_at > LOGIN_SECONDS {
        return Ok(Err((SsoFailure::TooSlow, String::new())));
    }
    if !callback.error.is_empty() {
        // The provider's code (RFC 6749: `access_denied`…), nothing else.
        let said: String = callback
            .error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(60)
            .collect();
        return Ok(Err((
            SsoFailure::ProviderSaid(said.clone()),
            format!(" ({said})"),
        )));
    }
    let config = match portal.store.company_sso(login.company_id).await? {
        Some(config) if config.company_enabled => config,
        _ => return Ok(Err((SsoFailure::NotSetUp, String::new()))),
    };
    let secret = open_secret(portal.keyring, &config)?;
    let registration = registration(portal, &config, &secret);
    let redeemed = portal
        .providers
        .redeem(
            registration,
            callback.code,
            &login.verifier,
            &login.nonce,
            now,
        )
        .await;
    match redeemed {
        Ok(identity) => Ok(Ok((config, identity))),
        Err(err) => {
            let details = format!("; identity provider {}; {err}", config.issuer);
            Ok(Err((SsoFailure::Provider(err), details)))
        }
    }
}

/// The user of the company the provider's person is (bound by subject at
/// their first sign-in, matched by email until then), or a new one.
async fn person(
    portal: SsoPortal<'_>,
    config: &SsoConfig,
    identity: &Identity,
    now: i64,
) -> Result<Result<(User, bool), SsoFailure>, Error> {
    // An address is taken when the provider says it is verified, or, for
    // a company that trusts its provider's directory (Entra ID never
    // sends the claim), when it says nothing.
    let email = match (&identity.email, identity.email_verified) {
        (Some(email), Some(true)) => email.trim().to_string(),
        (Some(email), None) if config.trust_email => email.trim().to_string(),
        _ => return Ok(Err(SsoFailure::NoVerifiedEmail)),
    };
    let in_domains = EmailDomain::of_email(&email)
        .is_some_and(|domain| config.domains.iter().any(|d| d == domain.as_str()));
    if !in_domains {
        return Ok(Err(SsoFailure::WrongDomain));
    }
    let candidates = portal
        .store
        .sso_candidates(config.company_id, &identity.subject, Some(&email))
        .await?;
    if let Some((user, _)) = candidates
        .iter()
        .find(|(_, bound)| bound.as_deref() == Some(identity.subject.as_str()))
    {
        return Ok(Ok((user.clone(), false)));
    }
    let by_email: Vec<&(User, Option<String>)> = candidates
        .iter()
        .filter(|(user, _)| {
            user.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        })
        .collect();
    match by_email.as_slice() {
        // Company and Global users are linked only by themselves (My
        // account): a provider the company's administrator controls must
        // not speak for their peers or the operator (security review).
        [(user, None)] if user.level >= Level::Company => Ok(Err(SsoFailure::LinkFirst)),
        [(user, None)] => {
            let mut write = portal.store.write(now).await?;
            let bound = write.bind_sso_subject(user.id, &identity.subject).await?;
            write.commit().await?;
            if bound {
                Ok(Ok((user.clone(), false)))
            } else {
                Ok(Err(SsoFailure::BoundElsewhere))
            }
        }
        [(_, Some(_))] => Ok(Err(SsoFailure::BoundElsewhere)),
        [] if config.create_users => create(portal, config, identity, &email, now).await,
        [] => Ok(Err(SsoFailure::NoAccount)),
        _ => Ok(Err(SsoFailure::Ambiguous)),
    }
}

/// A person of the company's domains unknown here, with `--create-users`:
/// Staff with the Agent preset, on the company's team for new users
/// (else its oldest enabled team), with no password they could use.
async fn create(
    portal: SsoPortal<'_>,
    config: &SsoConfig,
    identity: &Identity,
    email: &str,
    now: i64,
) -> Result<Result<(User, bool), SsoFailure>, Error> {
    let team = super::settings::team_for_new_people(portal.store, config.company_id).await?;
    let Some(team) = team else {
        return Ok(Err(SsoFailure::NoTeam));
    };
    let username: String = email
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@') {
                c
            } else {
                '-'
            }
        })
        .take(Username::MAX_CHARS)
        .collect();
    let (Ok(username), Ok(Some(email))) =
        (Username::parse(&username), Email::parse_optional(email))
    else {
        return Ok(Err(SsoFailure::NoVerifiedEmail));
    };
    let shown = identity
        .name
        .as_deref()
        .and_then(|name| DisplayName::parse(name).ok())
        .or_else(|| DisplayName::parse(email.as_str().split('@').next().unwrap_or("")).ok())
        .unwrap_or_else(|| DisplayName::parse("New user").expect("a fixed name parses"));
    // Nobody knows this password: they sign in through their provider.
    let unusable = portal.passwords.hash(&random_token()).await?;
    let roles = NEW_USER_PRESET.roles().unwrap_or_default();
    let mut write = portal.store.write(now).await?;
    let made = write
        .create_user(&NewUser {
            company_id: config.company_id,
            team_id: Some(team.id),
            username: &username,
            display_name: &shown,
            email: Some(&email),
            extension: None,
            level: Level::Staff,
            password: StoredPassword::permanent(unusable),
            roles: roles.clone(),
        })
        .await;
    let user = match made {
        Ok(user) => user,
        // Someone elsewhere in the portal has that username.
        Err(StoreError::Conflict { what }) if what == DUPLICATE_USERNAME => {
            return Ok(Err(SsoFailure::NoAccount))
        }
        Err(err) => return Err(err.into()),
    };
    if !write.bind_sso_subject(user.id, &identity.subject).await? {
        return Ok(Err(SsoFailure::BoundElsewhere));
    }
    let entry = NewAuditEntry::new(AuditAction::UserCreated)
        .actor(user.id, &user.username)
        .company(user.company_id)
        .target(&user.username)
        .details(format!(
            "at their first single sign-on; identity provider {}; subject {}; level Staff; roles: {} (the {} preset); team {}",
            config.issuer,
            identity.subject,
            crate::accounts::role_list(&roles),
            NEW_USER_PRESET.label(),
            team.name
        ));
    write.commit_with(entry).await?;
    Ok(Ok((user, true)))
}

fn registration<'a>(
    portal: SsoPortal<'a>,
    config: &'a SsoConfig,
    secret: &'a str,
) -> Registration<'a> {
    Registration {
        issuer: &config.issuer,
        client_id: &config.client_id,
        client_secret: secret,
        redirect_uri: portal.redirect_uri,
    }
}

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a state or a browser binding.
fn digest(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}
