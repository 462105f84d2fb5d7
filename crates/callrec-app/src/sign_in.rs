//! Signing in with a password: the limits, the check, the audit log. The
//! web layer turns the outcome into a page or a session.

use crate::accounts::notify;
use crate::audit::{AuditActor, AuditContext};
use crate::mail::NoticeKind;
use crate::{Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::names::lookup_key;
use callrec_domain::network;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::Level;
use callrec_store::{NewAuditEntry, Reservations, Store, ThrottleWindow, User};

/// Longer input is refused before any hashing: nobody's password is this long.
pub const MAX_INPUT_BYTES: usize = 1024;

/// Failed sign-ins allowed per username and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub per_account: ThrottleWindow,
    pub per_client: ThrottleWindow,
    /// Mail is on: the owner of an account whose window fills hears of it.
    pub notify: bool,
}

/// What a sign-in comes to.
#[derive(Debug)]
pub enum SignIn {
    /// Username or password left empty: not an attempt.
    Incomplete,
    /// Wrong username or password, a disabled account, or input too long
    /// to be anyone's: one answer for all, so nothing is learnt.
    Refused,
    /// A limit is reached: try again in this many minutes.
    Paused { minutes: i64 },
    /// The right password, but a temporary one past its expiry: only an
    /// administrator can help (said only to whoever knows the password).
    Expired,
    /// The right password, but their company signs in through its
    /// identity provider and they are not one of its local administrators.
    SsoRequired,
    /// The password is right: the user may start a session.
    Accepted(Box<User>),
}

/// The attempt of `username` with `password` from `client` at `now`.
pub async fn sign_in(
    store: &Store,
    passwords: &Passwords,
    limits: SignInLimits,
    username: &str,
    password: &str,
    client: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let username = username.trim();
    if username.is_empty() || password.is_empty() {
        return Ok(SignIn::Incomplete);
    }
    if username.len() > MAX_INPUT_BYTES || password.len() > MAX_INPUT_BYTES {
        return Ok(SignIn::Refused);
    }
    let account_key = lookup_key(username);
    // IPv6 clients are counted per /64 (`network::throttle_key`).
    let client_key = client
        .parse()
        .map_or_else(|_| client.to_string(), network::throttle_key);
    let windows = [
        (
            ThrottleScope::SignInAccount,
            account_key.as_str(),
            limits.per_account,
        ),
        (
            ThrottleScope::SignInClient,
            client_key.as_str(),
            limits.per_client,
        ),
    ];

    // Each attempt takes its place in both windows before the password is
    // checked, so N parallel attempts check at most the limit (one
    // conditional write each, both in one transaction: all or none); a
    // successful one gives its places back.
    let counts = match store.reserve_attempts(&windows, now).await? {
        Reservations::Reserved(counts) => counts,
        Reservations::Refused { wait } => {
            return Ok(SignIn::Paused {
                minutes: (wait + 59) / 60,
            })
        }
    };

    let credentials = store.credentials(username).await?;
    let password_ok = passwords
        .verify(
            credentials.as_ref().map(|(_, hash)| hash.as_str()),
            password,
        )
        .await?;
    let (user, hash) = match credentials {
        Some((user, hash)) if password_ok && user.enabled && user.company_enabled => (user, hash),
        other => {
            let (company, reason) = match &other {
                None => (None, "unknown username"),
                Some((user, _)) if !user.enabled => (Some(user.company_id), "account disabled"),
                Some((user, _)) if !user.company_enabled => {
                    (Some(user.company_id), "company disabled")
                }
                Some((user, _)) => (Some(user.company_id), "wrong password"),
            };
            let mut entry = NewAuditEntry::new(AuditAction::SignInFailed)
                .target(username)
                .client(client)
                .details(reason);
            entry.company_id = company;
            store.audit(entry, now).await?;
            // The failure that fills a window is the one entry saying so:
            // refused attempts after it write nothing (security review, item 10).
            for ((scope, _, window), count) in windows.iter().zip(counts) {
                if count == window.limit {
                    let details = format!(
                        "{} failures per {} within {} s",
                        window.limit,
                        scope.label(),
                        window.seconds
                    );
                    let entry = NewAuditEntry::new(AuditAction::SignInThrottled)
                        .target(username)
                        .client(client)
                        .details(details);
                    store.audit(entry, now).await?;
                    if let (ThrottleScope::SignInAccount, Some((user, _))) = (scope, &other) {
                        let audit = AuditContext {
                            actor: AuditActor::CommandLine,
                            client: client.to_string(),
                            now,
                        };
                        let kind = NoticeKind::AccountLocked;
                        notify(store, limits.notify, user, kind, &audit).await?;
                    }
                }
            }
            return Ok(SignIn::Refused);
        }
    };

    // Operators (Global users) and the company's named local
    // administrators keep their passwords: the doors left open when the
    // identity provider fails.
    let sso_only = user.level != Level::Global
        && !user.local_sign_in
        && store.sso_required(user.company_id).await?;
    if sso_only || user.password_life.expired(now) {
        // Only this attempt's places are given back (below, for a success):
        // wiping the count would let guesses racing beside a right password
        // through (security review, item 2).
        for (scope, key, _) in &windows {
            store.release_attempt(*scope, key).await?;
        }
        let (reason, outcome) = if sso_only {
            ("single sign-on required", SignIn::SsoRequired)
        } else {
            ("temporary password expired", SignIn::Expired)
        };
        let entry = NewAuditEntry::new(AuditAction::SignInFailed)
            .company(user.company_id)
            .target(&user.username)
            .client(client)
            .details(reason);
        store.audit(entry, now).await?;
        return Ok(outcome);
    }
    if passwords.needs_rehash(&hash) {
        // Old settings: the hash is replaced while the password is at hand,
        // unless it changed meanwhile.
        let new_hash = passwords.hash(password).await?;
        store
            .replace_password_hash(user.id, &hash, &new_hash)
            .await?;
    }
    // This attempt's places given back (earlier failures expire with their
    // window), the sign-in time and its audit entry: one commit.
    let entry = NewAuditEntry::new(AuditAction::SignInSucceeded)
        .actor(user.id, &user.username)
        .company(user.company_id)
        .target(&user.username)
        .client(client);
    let reservations = windows.map(|(scope, key, _)| (scope, key));
    store
        .record_successful_sign_in(&reservations, user.id, entry, now)
        .await?;
    Ok(SignIn::Accepted(Box::new(user)))
}
