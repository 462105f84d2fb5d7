//! The fixed role catalogue: what a user can do.

use std::collections::BTreeSet;
use std::fmt;

/// Roles are defined in code, never in the database, so a typo in a stored
/// value can never grant something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    ManageOwnMfa,
    ManageCompanyMfa,
    ManageUsers,
    ManageTeams,
    Recordings,
    DownloadRecordings,
    DeleteRecordings,
    LegalHold,
    AuditLog,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::ManageOwnMfa,
        Role::ManageCompanyMfa,
        Role::ManageUsers,
        Role::ManageTeams,
        Role::Recordings,
        Role::DownloadRecordings,
        Role::DeleteRecordings,
        Role::LegalHold,
        Role::AuditLog,
    ];

    /// The name users see; the help pages quote these words.
    pub fn name(self) -> &'static str {
        match self {
            Role::ManageOwnMfa => "Access to Manage Own MFA",
            Role::ManageCompanyMfa => "Access to Manage Company MFA",
            Role::ManageUsers => "Access to Manage Users",
            Role::ManageTeams => "Access to Manage Teams",
            Role::Recordings => "Access to Recordings",
            Role::DownloadRecordings => "Access to Download Recordings",
            Role::DeleteRecordings => "Access to Delete Recordings",
            Role::LegalHold => "Access to Legal Hold",
            Role::AuditLog => "Access to Audit Log",
        }
    }

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Role::ManageOwnMfa => "manage_own_mfa",
            Role::ManageCompanyMfa => "manage_company_mfa",
            Role::ManageUsers => "manage_users",
            Role::ManageTeams => "manage_teams",
            Role::Recordings => "recordings",
            Role::DownloadRecordings => "download_recordings",
            Role::DeleteRecordings => "delete_recordings",
            Role::LegalHold => "legal_hold",
            Role::AuditLog => "audit_log",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    /// Accepts the display name (any case, surrounding space ignored) or the code.
    pub fn parse(input: &str) -> Result<Role, UnknownRole> {
        let wanted = input.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.name().eq_ignore_ascii_case(wanted) || role.code() == wanted)
            .ok_or_else(|| UnknownRole(wanted.to_string()))
    }
}

/// The Role preset of Users → Add user: a starting set of roles for the
/// usual jobs, shown on the Roles tab (where the arrow buttons change it:
/// Custom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolePreset {
    /// Plays the calls their level reaches (a Staff user: their own).
    Agent,
    /// Plays and downloads calls, and places holds.
    Supervisor,
    /// Every role.
    Administrator,
    /// Whatever the Roles tab holds.
    Custom,
}

impl RolePreset {
    pub const ALL: [RolePreset; 4] = [
        RolePreset::Agent,
        RolePreset::Supervisor,
        RolePreset::Administrator,
        RolePreset::Custom,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RolePreset::Agent => "agent",
            RolePreset::Supervisor => "supervisor",
            RolePreset::Administrator => "administrator",
            RolePreset::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RolePreset::Agent => "Agent",
            RolePreset::Supervisor => "Supervisor",
            RolePreset::Administrator => "Administrator",
            RolePreset::Custom => "Custom",
        }
    }

    pub fn parse(code: &str) -> Option<RolePreset> {
        RolePreset::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Its roles; `None` for Custom.
    pub fn roles(self) -> Option<RoleSet> {
        let roles: &[Role] = match self {
            RolePreset::Agent => &[Role::Recordings],
            RolePreset::Supervisor => &[
                Role::Recordings,
                Role::DownloadRecordings,
                Role::LegalHold,
                Role::ManageOwnMfa,
            ],
            RolePreset::Administrator => &Role::ALL,
            RolePreset::Custom => return None,
        };
        Some(roles.iter().copied().collect())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role \"{0}\"; valid roles are: {valid}", valid = valid_role_names())]
pub struct UnknownRole(pub String);

fn valid_role_names() -> String {
    Role::ALL
        .iter()
        .map(|role| format!("\"{}\"", role.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A set of roles, ordered as the catalogue is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    pub fn all() -> RoleSet {
        Role::ALL.into_iter().collect()
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn insert(&mut self, role: Role) {
        self.0.insert(role);
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &RoleSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The roles of the catalogue that are not in this set.
    pub fn complement(&self) -> RoleSet {
        Role::ALL
            .into_iter()
            .filter(|role| !self.contains(*role))
            .collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        RoleSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_help_pages() {
        assert_eq!(Role::ManageOwnMfa.name(), "Access to Manage Own MFA");
        assert_eq!(
            Role::ManageCompanyMfa.name(),
            "Access to Manage Company MFA"
        );
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        let codes: BTreeSet<_> = Role::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Role::ALL.len());
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
            assert_eq!(Role::parse(role.name()), Ok(role));
            assert_eq!(Role::parse(&role.name().to_lowercase()), Ok(role));
        }
    }

    #[test]
    fn unknown_role_lists_the_valid_ones() {
        let err = Role::parse("Access to Everything").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("Access to Everything"));
        for role in Role::ALL {
            assert!(message.contains(role.name()), "{message}");
        }
    }

    #[test]
    fn complement_holds_the_rest_of_the_catalogue() {
        let set: RoleSet = [Role::Recordings, Role::AuditLog].into_iter().collect();
        let rest = set.complement();
        assert_eq!(rest.iter().count(), Role::ALL.len() - 2);
        assert!(!rest.contains(Role::Recordings));
        assert!(rest.contains(Role::ManageUsers));
    }
}
