//! Multi-factor authentication as use cases: registering an authenticator
//! and entering a code at sign-in (`code`), recovery codes (`recovery`),
//! security keys (`keys`), proving presence before a
//! session weakens its own MFA (`presence`), and My MFA (`own`). The web
//! pop-ups only render what these return.

mod code;
mod keys;
mod own;
mod presence;
mod recovery;

pub use code::{
    pending_secret, start_registration, submit_code, AfterCode, CodeOutcome, CodeStage,
    WrongCodeKind,
};
pub use keys::{
    finish_adding_key, finish_key_sign_in, remove_key, start_adding_key, start_key_check, KeyAdded,
    KeyRefusal, SecurityKeys,
};
pub use own::{change_own_mfa, register_now, OwnMfaChange};
pub use presence::{confirm_presence, still_confirmed, Presence, Proof, CONFIRMED_FOR_SECONDS};
pub use recovery::{new_recovery_codes, submit_recovery_code};

use crate::audit::AuditContext;
use crate::mail::NoticeKind;
use crate::{Error, Keyring};
use callrec_domain::audit::AuditAction;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::totp::TotpSecret;
use callrec_domain::zone::Zone;
use callrec_domain::MfaPolicy;
use callrec_store::{Company, MfaRegistration, Store, ThrottleWindow, User};

/// MFA settings: the issuer shown in authenticator apps and the limits on
/// wrong codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSettings {
    pub issuer: String,
    /// Wrong codes in one sign-in attempt before it ends.
    pub attempt_limit: i64,
    /// Wrong codes per account in an hour before MFA locks.
    pub hourly_limit: i64,
    /// How long the lock lasts, in seconds.
    pub lock_seconds: i64,
}

impl Default for MfaSettings {
    fn default() -> Self {
        MfaSettings {
            issuer: "Call Recording".into(),
            attempt_limit: 5,
            hourly_limit: 20,
            lock_seconds: 15 * 60,
        }
    }
}

/// What the MFA use cases work with.
#[derive(Clone, Copy)]
pub struct Mfa<'a> {
    pub store: &'a Store,
    pub keyring: &'a Keyring,
    pub settings: &'a MfaSettings,
    /// Mail is configured: users hear of changes to their MFA.
    pub mail: bool,
    /// The relying party for security keys, when the portal has a public
    /// address with a domain name.
    pub keys: Option<&'a SecurityKeys>,
}

impl Mfa<'_> {
    /// The account's wrong-code window (an hour; full means locked).
    fn hourly_window(&self) -> ThrottleWindow {
        ThrottleWindow {
            seconds: 3600,
            limit: self.settings.hourly_limit,
        }
    }

    /// Locks MFA for the account: its hourly window stays full until the
    /// lock ends, and the lock is audited.
    async fn lock_account(
        &self,
        user: &User,
        audit: &AuditContext,
        in_hour: i64,
    ) -> Result<(), Error> {
        let lock_seconds = self.settings.lock_seconds;
        let mut write = self.store.write(audit.now).await?;
        write
            .hold_until(
                ThrottleScope::MfaAccount,
                &user.id.to_string(),
                audit.now + lock_seconds,
                self.hourly_window(),
            )
            .await?;
        let details = format!("{in_hour} wrong codes within an hour; locked for {lock_seconds} s");
        let entry = audit
            .entry_on(AuditAction::MfaLocked, user)
            .details(details);
        write.commit_with(entry).await?;
        self.notify(user, NoticeKind::AccountLocked, audit).await
    }

    /// A security notice to `user`, when mail is on.
    async fn notify(
        &self,
        user: &User,
        kind: NoticeKind,
        audit: &AuditContext,
    ) -> Result<(), Error> {
        crate::accounts::notify(self.store, self.mail, user, kind, audit).await
    }

    fn decrypt(&self, user: &User, registration: &MfaRegistration) -> Result<TotpSecret, Error> {
        self.keyring
            .decrypt(user.id, &registration.secret_ciphertext)
            .map_err(|source| Error::Secret {
                what: format!("MFA secret of user {}", user.id),
                source,
            })
    }
}

/// The Company MFA page's Save: the company's new policy and whether
/// users who manage users or MFA must always use it, each audited when it
/// changed.
///
/// `days_to_register` (0–30) opens a grace period when MFA Enabled is
/// chosen: users without a registration may carry on until the same time
/// that many days later in `zone` (the company's). Saving MFA Enabled
/// again keeps a running grace period unless new days are given; any
/// other policy ends it. Returns the deadline in effect.
pub async fn set_company_policy(
    store: &Store,
    company: &Company,
    policy: MfaPolicy,
    mfa_for_admins: bool,
    days_to_register: i64,
    zone: &Zone,
    audit: &AuditContext,
) -> Result<Option<i64>, Error> {
    let entry = |details: String| {
        audit
            .entry(AuditAction::MfaPolicyChanged)
            .company(company.id)
            .target(&company.name)
            .details(details)
    };
    let mut write = store.write(audit.now).await?;
    if policy != company.mfa_policy {
        write.set_mfa_policy(company.id, policy).await?;
        let details = format!("{} → {}", company.mfa_policy.label(), policy.label());
        write.audit(entry(details)).await?;
    }
    let deadline = match policy {
        MfaPolicy::Enabled if days_to_register > 0 => {
            Some(zone.days_later(audit.now, days_to_register))
        }
        MfaPolicy::Enabled if company.mfa_policy == MfaPolicy::Enabled => company.mfa_deadline,
        _ => None,
    };
    if deadline != company.mfa_deadline {
        write.set_mfa_deadline(company.id, deadline).await?;
        let details = match deadline {
            Some(_) => format!("{days_to_register} days to register"),
            None => "no days to register".to_string(),
        };
        write.audit(entry(details)).await?;
    }
    if mfa_for_admins != company.mfa_for_admins {
        write.set_mfa_for_admins(company.id, mfa_for_admins).await?;
        let details = format!(
            "always required of users who manage users or MFA: {}",
            if mfa_for_admins { "on" } else { "off" }
        );
        write.audit(entry(details)).await?;
    }
    write.commit().await?;
    Ok(deadline)
}

/// Remind: mails every enabled user of `company` without a registration
/// (who has an email) to register, when mail is on, at most once a day
/// each; audited. Returns how many were mailed.
pub async fn remind_unregistered(
    store: &Store,
    mail: bool,
    company: &Company,
    audit: &AuditContext,
) -> Result<usize, Error> {
    if !mail {
        return Ok(0);
    }
    let mut reminded = 0;
    let mut page = 0;
    loop {
        let batch = store
            .unregistered_users(company.id, None, page, 200)
            .await?;
        for listed in &batch.items {
            if let Some(user) = store.user(listed.id).await? {
                if user.email.is_some() && store.claim_mfa_reminder(user.id, audit.now).await? {
                    let kind = NoticeKind::RegisterReminder;
                    crate::accounts::notify(store, true, &user, kind, audit).await?;
                    reminded += 1;
                }
            }
        }
        if !batch.has_next() {
            break;
        }
        page += 1;
    }
    store
        .audit(
            audit
                .entry(AuditAction::MfaRemindersSent)
                .company(company.id)
                .target(&company.name)
                .details(format!("{reminded} users reminded to register")),
            audit.now,
        )
        .await?;
    Ok(reminded)
}
