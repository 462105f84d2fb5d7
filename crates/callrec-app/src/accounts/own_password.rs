//! A user's own password: Change password under My account (the current
//! password asked for), and Choose a new password after a temporary one
//! (just typed at sign-in, so not asked again).

use crate::audit::AuditContext;
use crate::{Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::names::lookup_key;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::{NewPassword, PasswordLife, ValidationError};
use callrec_store::{Reservation, Store, StoredPassword, ThrottleWindow, User};

/// What the pop-up sent.
pub struct OwnPasswordChange<'a> {
    /// The current password, when the pop-up asks for it.
    pub current: Option<&'a str>,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// What came of it.
#[derive(Debug)]
pub enum OwnPassword {
    /// Saved; the user's other sessions have ended.
    Changed,
    /// Nothing changed: what to correct, by field (`current_password`,
    /// `new_password`, `confirm_password`).
    Refused(ValidationError),
    /// Too many wrong passwords for the account (the sign-in limit): try
    /// again in this many minutes.
    Paused { minutes: i64 },
}

/// Changes `user`'s password, signed in with the session `session`. A
/// wrong current password counts against the account's sign-in limit
/// (`per_account`), so a stolen session cannot guess it faster than the
/// sign-in page allows.
pub async fn change_own_password(
    store: &Store,
    passwords: &Passwords,
    user: &User,
    session: &str,
    change: OwnPasswordChange<'_>,
    per_account: ThrottleWindow,
    audit: &AuditContext,
) -> Result<OwnPassword, Error> {
    let refused = |field: &'static str, message: &'static str| {
        Ok(OwnPassword::Refused(ValidationError::new(field, message)))
    };
    if change.current == Some("") {
        return refused("current_password", "Enter your current password");
    }
    let new = match NewPassword::parse(change.new, &user.username) {
        Ok(new) => new,
        Err(error) => {
            return Ok(OwnPassword::Refused(ValidationError::new(
                "new_password",
                error.message,
            )))
        }
    };
    if change.confirm != change.new {
        return refused("confirm_password", "The two new passwords are not the same");
    }
    let Some((_, stored_hash)) = store.credentials(&user.username).await? else {
        return Err(Error::Internal(format!("user {} has no password", user.id)));
    };
    if let Some(current) = change.current {
        let key = lookup_key(&user.username);
        let reservation = store
            .reserve_attempt(ThrottleScope::SignInAccount, &key, audit.now, per_account)
            .await?;
        if let Reservation::Refused { wait } = reservation {
            return Ok(OwnPassword::Paused {
                minutes: (wait + 59) / 60,
            });
        }
        if !passwords.verify(Some(&stored_hash), current).await? {
            store
                .audit(
                    audit
                        .entry_on(AuditAction::PasswordChangeRefused, user)
                        .details("wrong current password"),
                    audit.now,
                )
                .await?;
            return refused("current_password", "That is not your current password");
        }
        store
            .release_attempt(ThrottleScope::SignInAccount, &key)
            .await?;
    }
    if passwords.verify(Some(&stored_hash), change.new).await? {
        return refused(
            "new_password",
            "Choose a password other than the one you have now",
        );
    }
    let hash = passwords.hash(new.expose()).await?;
    let password = StoredPassword {
        hash,
        life: PasswordLife::Permanent,
    };
    let mut write = store.write(audit.now).await?;
    write.set_password(user.id, &password).await?;
    let ended = write.delete_user_sessions(user.id, Some(session)).await?;
    let entry = audit
        .entry_on(AuditAction::PasswordChanged, user)
        .details(format!("own password; {ended} other sessions ended"));
    write.commit_with(entry).await?;
    Ok(OwnPassword::Changed)
}
