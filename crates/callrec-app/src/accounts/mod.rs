//! Account changes shared by the Users page, the CLI and start-up bootstrap,
//! so every path applies the same rules and writes the same audit entries.

mod create;
mod forgotten;
mod modify;
mod own_password;

pub use create::{check_placement, check_team, create_user, CreateUser};
pub use forgotten::{
    notify, request_password_reset, reset_link_user, reset_password, PasswordReset, ResetRequest,
    RESET_MINUTES,
};
pub use modify::{modify_user, ModifyUser};
pub use own_password::{change_own_password, OwnPassword, OwnPasswordChange};

use crate::{system_now, Error, Passwords};
use callrec_domain::{NewPassword, PasswordLife, RoleSet, UserId};
use callrec_store::{AuditAction, NewAuditEntry, Store, StoredPassword, User};

/// Who acts, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    /// The command line, and the portal itself (named `cli`).
    CommandLine,
    /// A signed-in user: their id and username.
    User(UserId, String),
    /// An API token, by its name (the log shows `token:NAME`).
    Token(String),
}

/// Who is acting, for the audit log. The CLI acts as nobody from "cli".
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: AuditActor,
    pub client: String,
    /// When the action happens (Unix seconds).
    pub now: i64,
}

impl AuditContext {
    pub fn command_line() -> AuditContext {
        AuditContext {
            actor: AuditActor::CommandLine,
            client: "cli".into(),
            now: system_now(),
        }
    }

    /// An entry of `action` on `user` (their company, their username).
    pub fn entry_on(&self, action: AuditAction, user: &User) -> NewAuditEntry {
        self.entry(action)
            .company(user.company_id)
            .target(&user.username)
    }

    /// Who acts, as the audit log names them: their username, or `cli`.
    pub fn actor_name(&self) -> &str {
        match &self.actor {
            AuditActor::CommandLine => callrec_domain::names::COMMAND_LINE_ACTOR,
            AuditActor::User(_, name) | AuditActor::Token(name) => name,
        }
    }

    pub fn entry(&self, action: AuditAction) -> NewAuditEntry {
        let entry = NewAuditEntry::new(action).client(&self.client);
        match &self.actor {
            AuditActor::User(id, name) => entry.actor(*id, name),
            AuditActor::CommandLine => entry.by_command_line(),
            AuditActor::Token(name) => entry.by_token(name),
        }
    }
}

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
    store
        .set_password(user.id, &StoredPassword { hash, life }, context.now)
        .await?;
    store.delete_user_sessions(user.id, None).await?;
    let details = if life.is_temporary() {
        "temporary"
    } else {
        "permanent"
    };
    store
        .audit(
            context
                .entry_on(AuditAction::PasswordChanged, user)
                .details(details),
            context.now,
        )
        .await?;
    Ok(())
}

/// Reset MFA (Other User), from the Users page or `callrec user reset-mfa`:
/// clears the registration and ends every session of the user.
pub async fn reset_mfa(
    store: &Store,
    mail: bool,
    user: &User,
    context: &AuditContext,
) -> Result<(), Error> {
    let had_registration = store.delete_mfa_registration(user.id).await?;
    let ended = store.delete_user_sessions(user.id, None).await?;
    let outcome = if had_registration {
        "registration cleared"
    } else {
        "no registration"
    };
    store
        .audit(
            context
                .entry_on(AuditAction::MfaReset, user)
                .details(format!("{outcome}; {ended} sessions ended")),
            context.now,
        )
        .await?;
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
