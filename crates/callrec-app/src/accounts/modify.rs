//! Modify (the Users page): new details, roles and perhaps a new password
//! for a user the actor may change, each change audited.

use super::role_list;
use crate::audit::AuditContext;
use crate::{Error, Passwords};
use callrec_domain::audit::AuditAction;
use callrec_domain::{NewPassword, PasswordLife, PhoneNumber, RoleSet};
use callrec_store::{Store, StoredPassword, User, UserDetailsChange, UserUpdate};

/// What Modify saves, every field already parsed and checked.
pub struct ModifyUser {
    pub details: UserDetailsChange,
    pub roles: RoleSet,
    /// A new password and whether it is temporary.
    pub new_password: Option<(NewPassword, PasswordLife)>,
}

impl ModifyUser {
    /// Whether it gives `target` more than they have, or someone else their
    /// account: a wider level, a role they lack, another team's calls, a
    /// disabled account back, another extension's calls, or a password
    /// set by someone else. A stolen
    /// session must not do any of it (security review, wave 2, item 3), so
    /// this asks "Confirm it's you".
    pub fn raises(&self, target: &User) -> bool {
        self.details.level > target.level
            || self.roles.iter().any(|r| !target.roles.contains(r))
            || self.details.team_id != target.team_id
            || (self.details.enabled && !target.enabled)
            || self.details.extension != target.extension
            || self
                .new_password
                .as_ref()
                .is_some_and(|(_, life)| *life != PasswordLife::Permanent)
    }
}

/// Saves `change` on `target`. When the password changes or the account is
/// disabled, the user's sessions end, except `keep` (the actor's own, when
/// they changed themselves).
pub async fn modify_user(
    store: &Store,
    passwords: &Passwords,
    target: &User,
    change: ModifyUser,
    keep: Option<&str>,
    audit: &AuditContext,
) -> Result<(), Error> {
    let password = match &change.new_password {
        Some((password, life)) => Some(StoredPassword {
            hash: passwords.hash(password.expose()).await?,
            life: *life,
        }),
        None => None,
    };
    super::create::check_extension(
        store,
        target.company_id,
        change.details.extension.as_ref(),
        Some(target.id),
    )
    .await?;
    let password_changed = password.is_some();
    let enabled = change.details.enabled;
    let described = describe_changes(target, &change.details);
    let roles = change.roles;
    let mut write = store.write(audit.now).await?;
    write
        .update_user(
            target.id,
            &UserUpdate {
                details: change.details,
                roles: roles.clone(),
                password,
            },
        )
        .await
        .map_err(super::create::conflict_as_invalid)?;
    if password_changed || !enabled {
        // Someone else may hold the old password: end their sessions.
        write.delete_user_sessions(target.id, keep).await?;
    }
    let entry = |action| audit.entry_on(action, target);
    if !described.is_empty() {
        write
            .audit(entry(AuditAction::UserChanged).details(described.join("; ")))
            .await?;
    }
    if roles != target.roles {
        let added: RoleSet = roles
            .iter()
            .filter(|r| !target.roles.contains(*r))
            .collect();
        let removed: RoleSet = target
            .roles
            .iter()
            .filter(|r| !roles.contains(*r))
            .collect();
        write
            .audit(entry(AuditAction::RolesChanged).details(format!(
                "added: {}; removed: {}",
                role_list(&added),
                role_list(&removed)
            )))
            .await?;
    }
    if password_changed {
        write.audit(entry(AuditAction::PasswordChanged)).await?;
    }
    Ok(write.commit().await?)
}

/// The audit log's words for what changed in the details.
fn describe_changes(target: &User, details: &UserDetailsChange) -> Vec<String> {
    let mut changes = Vec::new();
    if target.display_name != details.display_name.as_str() {
        changes.push(format!(
            "name \"{}\" → \"{}\"",
            target.display_name, details.display_name
        ));
    }
    if target.email.as_deref() != details.email.as_ref().map(|e| e.as_str()) {
        changes.push("email changed".to_string());
    }
    if target.extension != details.extension {
        let shown = |e: Option<&PhoneNumber>| e.map_or("none".to_string(), |e| e.to_string());
        changes.push(format!(
            "extension {} → {}",
            shown(target.extension.as_ref()),
            shown(details.extension.as_ref())
        ));
    }
    if target.level != details.level {
        changes.push(format!(
            "level {} → {}",
            target.level.label(),
            details.level.label()
        ));
    }
    if target.team_id != details.team_id {
        changes.push("team changed".to_string());
    }
    if target.enabled != details.enabled {
        let word = if details.enabled {
            "enabled"
        } else {
            "disabled"
        };
        changes.push(word.to_string());
    }
    changes
}
