//! Account changes shared by the Users page, the CLI and start-up bootstrap,
//! so every path applies the same rules and writes the same audit entries.

mod create;
mod forgotten;
mod modify;
mod own_password;

pub use create::{
    check_extension, check_placement, check_team, create_user, extension_refused, CreateUser,
};
pub use forgotten::{
    notify, request_password_reset, reset_link_user, reset_password, PasswordReset, ResetRequest,
    RESET_MINUTES,
};
pub use modify::{modify_user, ModifyUser};
pub use own_password::{change_own_password, OwnPassword, OwnPasswordChange};

use crate::audit::{AuditActor, AuditContext};
use crate::{Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::{NewPassword, PasswordLife, RoleSet};
use callrec_store::{Store, StoredPassword, User};

/// Sets a new password (`callrec user set-password`) and ends every
/// session of the user.
pub async fn set_password(
    store: &Store,
    passwords: &Passwords,
    user: &User,
    password: &NewPassword,
    life: PasswordLife,
    context: &AuditContext,
) -> Result<(), Error> {
    let hash = passwords.hash(password.expose()).await?;
    let mut write = store.write(context.now).await?;
    write
        .set_password(user.id, &StoredPassword { hash, life })
        .await?;
    write.delete_user_sessions(user.id, None).await?;
    let details = if life.is_temporary() {
        "temporary"
    } else {
        "permanent"
    };
    let entry = context
        .entry_on(AuditAction::PasswordChanged, user)
        .details(details);
    Ok(write.commit_with(entry).await?)
}

/// Reset MFA (Other User), from the Users page or `callrec user reset-mfa`:
/// clears the registration and ends every session of the user.
pub async fn reset_mfa(
    store: &Store,
    mail: bool,
    user: &User,
    context: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(context.now).await?;
    let had_registration = write.delete_mfa_registration(user.id).await?;
    let ended = write.delete_user_sessions(user.id, None).await?;
    let outcome = if had_registration {
        "registration cleared"
    } else {
        "no registration"
    };
    let entry = context
        .entry_on(AuditAction::MfaReset, user)
        .details(format!("{outcome}; {ended} sessions ended"));
    write.commit_with(entry).await?;
    let by = match &context.actor {
        AuditActor::User(_, name) => format!("the administrator {name}"),
        AuditActor::CommandLine | AuditActor::Token(_) => {
            "an operator on the command line".to_string()
        }
    };
    notify(
        store,
        mail,
        user,
        crate::mail::NoticeKind::MfaReset { by },
        context,
    )
    .await
}

/// "Access to Recordings, Access to Audit Log", or "none".
pub fn role_list(roles: &RoleSet) -> String {
    if roles.is_empty() {
        return "none".into();
    }
    roles
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}
