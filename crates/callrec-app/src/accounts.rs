//! Account changes shared by the Users page, the CLI and start-up bootstrap,
//! so every path applies the same rules and writes the same audit entries.

use crate::{system_now, Error, Passwords};
use callrec_domain::{
    CompanyId, DisplayName, Email, Level, NewPassword, RoleSet, TeamId, UserId, Username,
    ValidationError,
};
use callrec_store::{AuditAction, NewAuditEntry, NewUser, Store, StoreError, User};

/// Who is acting, for the audit log. The CLI acts as nobody from "cli".
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: Option<(UserId, String)>,
    pub client: String,
    /// When the action happens (Unix seconds).
    pub now: i64,
}

impl AuditContext {
    pub fn command_line() -> AuditContext {
        AuditContext {
            actor: None,
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

    pub fn entry(&self, action: AuditAction) -> NewAuditEntry {
        let entry = NewAuditEntry::new(action).client(&self.client);
        match &self.actor {
            Some((id, name)) => entry.actor(*id, name),
            None => entry.by_command_line(),
        }
    }
}

/// A new user, every field already parsed.
pub struct CreateUser {
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub username: Username,
    pub display_name: DisplayName,
    pub email: Option<Email>,
    pub level: Level,
    pub roles: RoleSet,
    pub password: NewPassword,
}

/// Checks that `team` fits `level` and belongs to `company`, and is enabled.
pub async fn check_team(
    store: &Store,
    company: CompanyId,
    level: Level,
    team: Option<TeamId>,
) -> Result<(), Error> {
    match team {
        None if level.needs_team() => {
            Err(ValidationError::new("team", "Team and Staff users must belong to a team").into())
        }
        None => Ok(()),
        Some(team) => match store.team(company, team).await? {
            Some(found) if found.enabled => Ok(()),
            Some(_) => Err(ValidationError::new("team", "That team is disabled").into()),
            None => {
                Err(ValidationError::new("team", "That team is not part of the company").into())
            }
        },
    }
}

pub async fn create_user(
    store: &Store,
    passwords: &Passwords,
    new: CreateUser,
    context: &AuditContext,
) -> Result<User, Error> {
    check_team(store, new.company_id, new.level, new.team_id).await?;
    let password_hash = passwords.hash(new.password.expose()).await?;
    let user = store
        .create_user(
            &NewUser {
                company_id: new.company_id,
                team_id: new.team_id,
                username: &new.username,
                display_name: &new.display_name,
                email: new.email.as_ref(),
                level: new.level,
                password_hash,
                roles: new.roles.clone(),
            },
            context.now,
        )
        .await
        .map_err(|err| match err {
            StoreError::Conflict { .. } => {
                ValidationError::new("username", "That username is already taken").into()
            }
            other => Error::from(other),
        })?;
    store
        .audit(
            context
                .entry_on(AuditAction::UserCreated, &user)
                .details(format!(
                    "level {}; roles: {}",
                    user.level.label(),
                    role_list(&user.roles)
                )),
            context.now,
        )
        .await?;
    Ok(user)
}

/// Sets a new password and ends every session of the user.
pub async fn set_password(
    store: &Store,
    passwords: &Passwords,
    user: &User,
    password: &NewPassword,
    context: &AuditContext,
) -> Result<(), Error> {
    let hash = passwords.hash(password.expose()).await?;
    store.set_password_hash(user.id, &hash, context.now).await?;
    store.delete_user_sessions(user.id, None).await?;
    store
        .audit(
            context.entry_on(AuditAction::PasswordChanged, user),
            context.now,
        )
        .await?;
    Ok(())
}

/// Reset MFA (Other User), from the Users page or `callrec user reset-mfa`:
/// clears the registration and ends every session of the user.
pub async fn reset_mfa(store: &Store, user: &User, context: &AuditContext) -> Result<(), Error> {
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
    Ok(())
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
