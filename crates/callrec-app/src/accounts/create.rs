//! Add user (the Users page, `callrec user add`, bootstrap): the new user's
//! place checked against the actor's reach and the team, then created.

use super::role_list;
use crate::audit::AuditContext;
use crate::{Caller, Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::{
    Actor, CompanyId, DisplayName, Email, Level, NewPassword, PasswordLife, PhoneNumber, Role,
    RoleSet, Subject, TeamId, UserId, Username, ValidationError,
};
use callrec_store::{
    NewUser, Store, StoreError, StoredPassword, User, DUPLICATE_EXTENSION, DUPLICATE_USERNAME,
};

/// A new user, every field already parsed.
pub struct CreateUser {
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub username: Username,
    pub display_name: DisplayName,
    pub email: Option<Email>,
    /// Their extension on the company's phone system.
    pub extension: Option<PhoneNumber>,
    pub level: Level,
    pub roles: RoleSet,
    pub password: NewPassword,
    /// Temporary when someone else chose it (`PasswordLife::temporary`).
    pub password_life: PasswordLife,
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

/// Creates `new` once it is within `caller`'s reach (a user gives no level
/// above their own and no role they lack) on a team that fits its level.
pub async fn create_user(
    store: &Store,
    passwords: &Passwords,
    caller: Caller<'_>,
    new: CreateUser,
    context: &AuditContext,
) -> Result<User, Error> {
    caller.require(Role::ManageUsers)?;
    caller.require_presence()?;
    match caller {
        Caller::User { actor, .. } => {
            if new.extension.is_some() && !actor.may_set_extensions() {
                return Err(extension_refused());
            }
            let subject = Subject {
                user_id: None,
                company_id: new.company_id,
                team_id: new.team_id,
                level: new.level,
                roles: new.roles.clone(),
            };
            check_placement(store, actor, &subject).await?;
        }
        Caller::Operator => check_team(store, new.company_id, new.level, new.team_id).await?,
        // People are made by people (or an operator), never by a token.
        Caller::Token(_) => return Err(Error::NotAllowed),
    }
    check_extension(store, new.company_id, new.extension.as_ref(), None).await?;
    let password_hash = passwords.hash(new.password.expose()).await?;
    let mut write = store.write(context.now).await?;
    let user = write
        .create_user(&NewUser {
            company_id: new.company_id,
            team_id: new.team_id,
            username: &new.username,
            display_name: &new.display_name,
            email: new.email.as_ref(),
            extension: new.extension.as_ref(),
            level: new.level,
            password: StoredPassword {
                hash: password_hash,
                life: new.password_life,
            },
            roles: new.roles.clone(),
        })
        .await
        .map_err(conflict_as_invalid)?;
    let entry = context
        .entry_on(AuditAction::UserCreated, &user)
        .details(format!(
            "level {}; roles: {}{}",
            user.level.label(),
            role_list(&user.roles),
            user.extension
                .as_ref()
                .map_or(String::new(), |e| format!("; extension {e}"))
        ));
    write.commit_with(entry).await?;
    Ok(user)
}

/// A unique value another user holds, as the field to correct (two
/// saves racing past [`check_extension`] meet the database's index).
pub(super) fn conflict_as_invalid(err: StoreError) -> Error {
    match err {
        StoreError::Conflict { what } if what == DUPLICATE_USERNAME => {
            ValidationError::new("username", "That username is already taken").into()
        }
        StoreError::Conflict { what } if what == DUPLICATE_EXTENSION => ValidationError::new(
            "extension",
            "Another user of the company has that extension",
        )
        .into(),
        other => Error::from(other),
    }
}

/// Why a Team user may not give an extension.
pub fn extension_refused() -> Error {
    ValidationError::new(
        "extension",
        "Extensions are set by Company level users: an extension decides whose calls are whose",
    )
    .into()
}

/// Whether `extension` is free in `company` (for `user`, when it is theirs).
pub async fn check_extension(
    store: &Store,
    company: CompanyId,
    extension: Option<&PhoneNumber>,
    user: Option<UserId>,
) -> Result<(), Error> {
    let Some(extension) = extension else {
        return Ok(());
    };
    match store.user_by_extension(company, extension).await? {
        // Not named: the holder may be beyond the actor's reach.
        Some(holder) if Some(holder.id) != user => Err(ValidationError::new(
            "extension",
            "Another user of the company has that extension",
        )
        .into()),
        _ => Ok(()),
    }
}

/// Whether `subject` (a new user, or a user as they would be after Modify)
/// is within the actor's reach and on a team that fits its level.
pub async fn check_placement(store: &Store, actor: &Actor, subject: &Subject) -> Result<(), Error> {
    if !actor.may_create_user(subject) {
        return Err(if subject.level > actor.level {
            ValidationError::new("level", "You cannot give a user a level above your own")
        } else {
            ValidationError::new("team", "Choose a team you manage")
        }
        .into());
    }
    check_team(store, subject.company_id, subject.level, subject.team_id).await
}
