//! Forgotten your password?: a link by mail to choose a new one. The
//! answer is the same whether the account exists or not; the link is
//! single-use, lasts 30 minutes, ends when the password changes, and after
//! it the user signs in as usual — a reset never passes MFA by.

use crate::audit::AuditContext;
use crate::mail::{self, reset_mail, Notice, NoticeKind};
use crate::sign_in::SignInLimits;
use crate::{new_token, token_hash, Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::names::lookup_key;
use callrec_domain::network;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::zone::Zone;
use callrec_domain::{NewPassword, ValidationError};
use callrec_store::{NewAuditEntry, Reservation, Store, ThrottleWindow, User};

/// How long a link works.
pub const RESET_MINUTES: i64 = 30;

/// Links mailed to one account, whatever was typed to ask for them: a
/// mailbox is not flooded, and few links are alive at once.
const LINKS_PER_ACCOUNT: ThrottleWindow = ThrottleWindow {
    seconds: 3600,
    limit: 3,
};

/// What the request page says.
#[derive(Debug, PartialEq, Eq)]
pub enum ResetRequest {
    /// "If the account exists, a message is on its way" — for every input.
    Answered,
    /// Too many requests for this input or from this address.
    Paused { minutes: i64 },
}

/// Sends a link to each enabled user with an email whose username or
/// email is `who`. Requests are limited per input and per client address
/// with the sign-in limits.
pub async fn request_password_reset(
    store: &Store,
    who: &str,
    limits: SignInLimits,
    link_base: &str,
    audit: &AuditContext,
) -> Result<ResetRequest, Error> {
    let who = who.trim();
    if who.is_empty() || who.len() > 320 {
        return Ok(ResetRequest::Answered);
    }
    let client_key = audit
        .client
        .parse()
        .map_or_else(|_| audit.client.clone(), network::throttle_key);
    for (scope, key, window) in [
        (
            ThrottleScope::ResetAccount,
            lookup_key(who),
            limits.per_account,
        ),
        (ThrottleScope::ResetClient, client_key, limits.per_client),
    ] {
        if let Reservation::Refused { wait } = store
            .reserve_attempt(scope, &key, audit.now, window)
            .await?
        {
            return Ok(ResetRequest::Paused {
                minutes: (wait + 59) / 60,
            });
        }
    }
    let users = store.users_for_reset(who).await?;
    if users.is_empty() {
        let entry = NewAuditEntry::new(AuditAction::PasswordResetRequested)
            .client(&audit.client)
            .details("no such account with an email");
        store.audit(entry, audit.now).await?;
    }
    for user in users {
        let Some(email) = &user.email else { continue };
        // Past the account's own limit the answer stays the same; no mail.
        let reserved = store
            .reserve_attempt(
                ThrottleScope::ResetUser,
                &user.id.to_string(),
                audit.now,
                LINKS_PER_ACCOUNT,
            )
            .await?;
        if let Reservation::Refused { .. } = reserved {
            continue;
        }
        let token = new_token();
        let expires_at = audit.now + RESET_MINUTES * 60;
        let mut write = store.write(audit.now).await?;
        write
            .create_password_reset(&token_hash(&token), user.id, expires_at)
            .await?;
        let entry = audit.entry_on(AuditAction::PasswordResetRequested, &user);
        write.commit_with(entry).await?;
        let link = format!(
            "{}/reset-password?token={token}",
            link_base.trim_end_matches('/')
        );
        mail::queue(
            store,
            reset_mail(email, &user.username, &link, RESET_MINUTES)?,
            audit.now,
        )
        .await?;
    }
    Ok(ResetRequest::Answered)
}

/// The user a link belongs to, while it works.
pub async fn reset_link_user(store: &Store, token: &str, now: i64) -> Result<Option<User>, Error> {
    match store.password_reset_user(&token_hash(token), now).await? {
        Some(id) => Ok(store.user(id).await?),
        None => Ok(None),
    }
}

/// What came of choosing the new password.
#[derive(Debug)]
pub enum PasswordReset {
    /// Saved; every session of the user ended. Sign in with it.
    Done,
    /// What to correct (`new_password`, `confirm_password`).
    Refused(ValidationError),
    /// The link has expired, was used, or the password changed meanwhile.
    LinkGone,
}

/// Sets the new password through the link `token`.
pub async fn reset_password(
    store: &Store,
    passwords: &Passwords,
    token: &str,
    new: &str,
    confirm: &str,
    mail_enabled: bool,
    audit: &AuditContext,
) -> Result<PasswordReset, Error> {
    let Some(user) = reset_link_user(store, token, audit.now).await? else {
        return Ok(PasswordReset::LinkGone);
    };
    let password = match NewPassword::parse(new, &user.username) {
        Ok(password) => password,
        Err(error) => {
            return Ok(PasswordReset::Refused(ValidationError::new(
                "new_password",
                error.message,
            )))
        }
    };
    if confirm != new {
        return Ok(PasswordReset::Refused(ValidationError::new(
            "confirm_password",
            "The two new passwords are not the same",
        )));
    }
    let hash = passwords.hash(password.expose()).await?;
    // One transaction spends the link and sets the password, only while
    // the password is the one the link was made for: of two requests
    // racing with it one wins, and a change made meanwhile stays.
    let mut write = store.write(audit.now).await?;
    if !write
        .reset_password_by_link(&token_hash(token), &hash)
        .await?
    {
        return Ok(PasswordReset::LinkGone);
    }
    let ended = write.delete_user_sessions(user.id, None).await?;
    let entry = audit
        .entry_on(AuditAction::PasswordChanged, &user)
        .details(format!(
            "by a forgotten-password link; {ended} sessions ended"
        ));
    write.commit_with(entry).await?;
    notify(
        store,
        mail_enabled,
        &user,
        NoticeKind::PasswordChanged,
        audit,
    )
    .await?;
    Ok(PasswordReset::Done)
}

/// Queues a security notice to `user` when mail is on and they have an
/// email.
pub async fn notify(
    store: &Store,
    mail_enabled: bool,
    user: &User,
    kind: NoticeKind,
    audit: &AuditContext,
) -> Result<(), Error> {
    let (true, Some(email)) = (mail_enabled, &user.email) else {
        return Ok(());
    };
    let zone = user.zone().unwrap_or_else(Zone::utc);
    let notice = Notice {
        kind,
        username: user.username.clone(),
        at: audit.now,
        zone,
        client: audit.client.clone(),
    };
    mail::queue(store, notice.mail(email)?, audit.now).await
}
