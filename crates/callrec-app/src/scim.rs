//! SCIM provisioning (issue 29): what a company's identity provider may
//! do with a token of scope `scim`. It keeps the company's Team and Staff
//! users (username, name, email, active, externalId) and its teams (name,
//! members); levels and roles stay the portal's to set (new users get the
//! Agent preset). Every change is audited as `token:NAME`.

use crate::audit::AuditContext;
use crate::sso::settings::{team_for_new_people, NEW_USER_PRESET};
use crate::{Error, Passwords};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::api_scope::{ApiScope, TokenGrant};
use callrec_domain::audit::AuditAction;
use callrec_domain::{Level, TeamId, TeamName, UserId, ValidationError};
use callrec_store::{
    NewUser, ScimGroup, ScimUser, ScimUserFields, Store, StoreError, StoredPassword,
};
use rand::RngCore;

/// Who provisions: a token of the company with scope `scim`.
pub struct Provisioner<'a> {
    pub store: &'a Store,
    pub grant: TokenGrant,
    pub audit: AuditContext,
}

impl Provisioner<'_> {
    fn check(&self) -> Result<(), Error> {
        if self.grant.may(ApiScope::Scim) {
            Ok(())
        } else {
            Err(Error::NotAllowed)
        }
    }
}

/// Creates a Staff user with the Agent preset on the company's team for
/// new people (single sign-on's, else its oldest enabled team).
pub async fn create_user(
    p: &Provisioner<'_>,
    passwords: &Passwords,
    fields: ScimUserFields,
) -> Result<ScimUser, Error> {
    p.check()?;
    let company = p.grant.company;
    let team = home_team(p).await?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    // Nobody knows this password: they sign in through their provider.
    let unusable = passwords.hash(&URL_SAFE_NO_PAD.encode(secret)).await?;
    let roles = NEW_USER_PRESET.roles().unwrap_or_default();
    let mut write = p.store.write(p.audit.now).await?;
    let user = write
        .create_user(&NewUser {
            company_id: company,
            team_id: Some(team.id),
            username: &fields.username,
            display_name: &fields.display_name,
            email: fields.email.as_ref(),
            extension: None,
            level: Level::Staff,
            password: StoredPassword::permanent(unusable),
            roles: roles.clone(),
        })
        .await?;
    write.set_scim_user(company, user.id, &fields).await?;
    let entry = p
        .audit
        .entry_on(AuditAction::UserCreated, &user)
        .details(format!(
            "through SCIM; level Staff; roles: {} (the {} preset); team {}{}",
            crate::accounts::role_list(&roles),
            NEW_USER_PRESET.label(),
            team.name,
            if fields.enabled { "" } else { "; inactive" }
        ));
    write.commit_with(entry).await?;
    p.store
        .scim_user(company, user.id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))
}

/// Replaces what the provider owns of user `id`; an inactive user's
/// sessions end.
pub async fn replace_user(
    p: &Provisioner<'_>,
    id: UserId,
    fields: ScimUserFields,
) -> Result<ScimUser, Error> {
    p.check()?;
    let company = p.grant.company;
    let before = p
        .store
        .scim_user(company, id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))?;
    let mut write = p.store.write(p.audit.now).await?;
    write.set_scim_user(company, id, &fields).await?;
    let mut changes = Vec::new();
    if before.user.username != fields.username.as_str() {
        changes.push(format!(
            "username {} → {}",
            before.user.username, fields.username
        ));
    }
    if before.user.display_name != fields.display_name.as_str() {
        changes.push(format!("name → {}", fields.display_name));
    }
    if before.user.email.as_deref() != fields.email.as_ref().map(|e| e.as_str()) {
        changes.push("email changed".to_string());
    }
    if before.user.enabled != fields.enabled {
        changes.push(if fields.enabled {
            "activated".to_string()
        } else {
            "deactivated; sessions ended".to_string()
        });
    }
    if before.external_id != fields.external_id {
        changes.push("externalId changed".to_string());
    }
    if changes.is_empty() {
        write.commit().await?;
    } else {
        let entry = p
            .audit
            .entry_on(AuditAction::UserChanged, &before.user)
            .details(format!("through SCIM; {}", changes.join("; ")));
        write.commit_with(entry).await?;
    }
    p.store
        .scim_user(company, id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))
}

/// The provider deleted user `id`: disabled, sessions ended, gone from
/// SCIM; the account and its audit history stay.
pub async fn delete_user(p: &Provisioner<'_>, id: UserId) -> Result<(), Error> {
    p.check()?;
    let company = p.grant.company;
    let user = p
        .store
        .scim_user(company, id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))?;
    let mut write = p.store.write(p.audit.now).await?;
    if !write.scim_delete_user(company, id).await? {
        return Err(Error::Store(StoreError::NotFound));
    }
    let entry = p
        .audit
        .entry_on(AuditAction::UserChanged, &user.user)
        .details("deleted through SCIM: disabled, sessions ended, history kept");
    write.commit_with(entry).await?;
    Ok(())
}

/// Adds a team with `members` moved into it.
pub async fn create_group(
    p: &Provisioner<'_>,
    name: &TeamName,
    external_id: Option<&str>,
    members: &[UserId],
) -> Result<ScimGroup, Error> {
    p.check()?;
    let company = p.grant.company;
    let mut write = p.store.write(p.audit.now).await?;
    let team = write.create_team(company, name).await?;
    write
        .set_scim_group(company, team.id, name, external_id)
        .await?;
    let moved = move_members(&mut write, company, team.id, members).await?;
    let entry = p
        .audit
        .entry(AuditAction::TeamCreated)
        .company(company)
        .target(name.as_str())
        .details(format!("through SCIM{}", members_said(moved)));
    write.commit_with(entry).await?;
    group(p, team.id).await
}

/// What a provider asks of a team's members.
#[derive(Debug, Clone, Default)]
pub struct MemberChange {
    /// Moved into the team (out of their old one).
    pub add: Vec<UserId>,
    /// Asked out of the team: every Team and Staff user belongs to one
    /// team, so those in it go back to the company's team for new people
    /// (refused for that team itself); nothing for those not in it.
    pub remove: Vec<UserId>,
}

/// Renames team `id` (and sets its externalId) and changes its members.
pub async fn change_group(
    p: &Provisioner<'_>,
    id: TeamId,
    name: &TeamName,
    external_id: Option<&str>,
    members: &MemberChange,
) -> Result<ScimGroup, Error> {
    p.check()?;
    let company = p.grant.company;
    let before = group(p, id).await?;
    let leaving: Vec<UserId> = before
        .members
        .iter()
        .map(|(member, _)| *member)
        .filter(|member| members.remove.contains(member) && !members.add.contains(member))
        .collect();
    let home = home_team(p).await?;
    if !leaving.is_empty() && home.id == id {
        return Err(ValidationError::new(
            "members",
            format!("Members cannot leave {}: it is the company's team for new people, where those leaving other groups go. Add them to their new group and they leave this one.", home.name),
        )
        .into());
    }
    let mut write = p.store.write(p.audit.now).await?;
    write.set_scim_group(company, id, name, external_id).await?;
    let moved = move_members(&mut write, company, id, &members.add).await?;
    move_members(&mut write, company, home.id, &leaving).await?;
    let mut changes = Vec::new();
    if before.name != name.as_str() {
        changes.push(format!("renamed {} → {name}", before.name));
    }
    if before.external_id.as_deref() != external_id {
        changes.push("externalId changed".to_string());
    }
    let joined = moved
        .iter()
        .filter(|user| !before.members.iter().any(|(m, _)| m == *user))
        .count();
    if joined > 0 {
        changes.push(format!("{joined} members joined"));
    }
    if !leaving.is_empty() {
        changes.push(format!("{} members left for {}", leaving.len(), home.name));
    }
    if changes.is_empty() {
        write.commit().await?;
    } else {
        let entry = p
            .audit
            .entry(AuditAction::TeamRenamed)
            .company(company)
            .target(name.as_str())
            .details(format!("through SCIM; {}", changes.join("; ")));
        write.commit_with(entry).await?;
    }
    group(p, id).await
}

/// The provider deleted team `id`: disabled and gone from SCIM, once
/// nobody is in it.
pub async fn delete_group(p: &Provisioner<'_>, id: TeamId) -> Result<(), Error> {
    p.check()?;
    let company = p.grant.company;
    let before = group(p, id).await?;
    let home = home_team(p).await?;
    if home.id == id {
        return Err(ValidationError::new(
            "members",
            format!(
                "{} is the company's team for new people and cannot be deleted through SCIM",
                home.name
            ),
        )
        .into());
    }
    let leaving: Vec<UserId> = before.members.iter().map(|(member, _)| *member).collect();
    let mut write = p.store.write(p.audit.now).await?;
    move_members(&mut write, company, home.id, &leaving).await?;
    if !write.scim_delete_group(company, id).await? {
        return Err(Error::Store(StoreError::NotFound));
    }
    let entry = p
        .audit
        .entry(AuditAction::TeamDisabled)
        .company(company)
        .target(&before.name)
        .details(format!(
            "deleted through SCIM: disabled, history kept{}",
            if leaving.is_empty() {
                String::new()
            } else {
                format!("; {} members moved to {}", leaving.len(), home.name)
            }
        ));
    write.commit_with(entry).await?;
    Ok(())
}

/// Where users go when they leave a group: the company's team for new
/// people.
async fn home_team(p: &Provisioner<'_>) -> Result<callrec_store::Team, Error> {
    team_for_new_people(p.store, p.grant.company)
        .await?
        .ok_or_else(|| {
            ValidationError::new(
                "team",
                "The company has no enabled team for new users: add one in the portal first",
            )
            .into()
        })
}

/// Team `id` as SCIM sees it, or not found.
pub async fn group(p: &Provisioner<'_>, id: TeamId) -> Result<ScimGroup, Error> {
    p.check()?;
    p.store
        .scim_group(p.grant.company, id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))
}

/// Moves `members` into `team`; those out of reach are refused.
async fn move_members(
    write: &mut callrec_store::Write<'_>,
    company: callrec_domain::CompanyId,
    team: TeamId,
    members: &[UserId],
) -> Result<Vec<UserId>, Error> {
    for member in members {
        if !write.move_to_team(company, *member, team).await? {
            return Err(ValidationError::new(
                "members",
                format!("No user {} of this company can be a member", member.0),
            )
            .into());
        }
    }
    Ok(members.to_vec())
}

fn members_said(moved: Vec<UserId>) -> String {
    if moved.is_empty() {
        String::new()
    } else {
        format!("; {} members", moved.len())
    }
}
