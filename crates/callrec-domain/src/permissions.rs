//! Who may see and do what. Levels bound what data is in reach; roles say
//! which actions are allowed on it.

use crate::{CompanyId, Level, Role, RoleSet, TeamId, UserId, ValidationError};

/// The signed-in user, as far as authorisation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub level: Level,
    pub roles: RoleSet,
}

/// A user being looked at or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user_id: Option<UserId>,
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub level: Level,
}

/// The slice of the portal's data a level reaches. Stores turn it into a
/// `WHERE` clause so that scope is enforced in the query itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataScope {
    Everything,
    Company(CompanyId),
    Team(CompanyId, TeamId),
    OwnOnly(UserId),
}

/// Entries of the left-hand menu, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    Recordings,
    Users,
    Teams,
    CompanyMfa,
    Reports,
}

impl MenuItem {
    pub fn label(self) -> &'static str {
        match self {
            MenuItem::Recordings => "Recordings",
            MenuItem::Users => "Users",
            MenuItem::Teams => "Teams",
            MenuItem::CompanyMfa => "Company MFA",
            MenuItem::Reports => "Reports",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            MenuItem::Recordings => "/recordings",
            MenuItem::Users => "/users",
            MenuItem::Teams => "/teams",
            MenuItem::CompanyMfa => "/company-mfa",
            MenuItem::Reports => "/reports",
        }
    }

    fn role(self) -> Role {
        match self {
            MenuItem::Recordings => Role::Recordings,
            MenuItem::Users => Role::ManageUsers,
            MenuItem::Teams => Role::ManageTeams,
            MenuItem::CompanyMfa => Role::ManageCompanyMfa,
            MenuItem::Reports => Role::AuditLog,
        }
    }
}

impl Actor {
    pub fn can(&self, role: Role) -> bool {
        self.roles.contains(role)
    }

    pub fn scope(&self) -> DataScope {
        match (self.level, self.team_id) {
            (Level::Global, _) => DataScope::Everything,
            (Level::Company, _) => DataScope::Company(self.company_id),
            (Level::Team, Some(team)) => DataScope::Team(self.company_id, team),
            // A Team user without a team reaches nobody but themselves.
            (Level::Team, None) | (Level::Staff, _) => DataScope::OwnOnly(self.user_id),
        }
    }

    pub fn menu(&self) -> Vec<MenuItem> {
        [
            MenuItem::Recordings,
            MenuItem::Users,
            MenuItem::Teams,
            MenuItem::CompanyMfa,
            MenuItem::Reports,
        ]
        .into_iter()
        .filter(|item| self.can(item.role()))
        .collect()
    }

    /// Where a user lands after signing in.
    pub fn home(&self) -> &'static str {
        self.menu().first().map_or("/home", |item| item.path())
    }

    pub fn reaches_company(&self, company: CompanyId) -> bool {
        match self.scope() {
            DataScope::Everything => true,
            DataScope::Company(own) | DataScope::Team(own, _) => own == company,
            DataScope::OwnOnly(_) => false,
        }
    }

    /// Whether `subject` is inside this actor's data scope.
    pub fn reaches(&self, subject: &Subject) -> bool {
        match self.scope() {
            DataScope::Everything => true,
            DataScope::Company(company) => subject.company_id == company,
            DataScope::Team(company, team) => {
                subject.company_id == company && subject.team_id == Some(team)
            }
            DataScope::OwnOnly(user) => subject.user_id == Some(user),
        }
    }

    /// Users page: see a user at all.
    pub fn may_view_user(&self, subject: &Subject) -> bool {
        self.can(Role::ManageUsers) && self.reaches(subject)
    }

    /// Edit details or roles, or create a user shaped like `subject`. Nobody
    /// acts on a user above their own level.
    pub fn may_manage_user(&self, subject: &Subject) -> bool {
        self.may_view_user(subject) && subject.level <= self.level
    }

    /// Company MFA page for `company`: Company and Global levels only.
    pub fn may_manage_company_mfa(&self, company: CompanyId) -> bool {
        self.can(Role::ManageCompanyMfa)
            && self.level >= Level::Company
            && self.reaches_company(company)
    }

    /// Reset MFA (Other User): in reach and not above the actor's level.
    pub fn may_reset_mfa(&self, subject: &Subject) -> bool {
        self.can(Role::ManageCompanyMfa) && self.reaches(subject) && subject.level <= self.level
    }

    /// Add a team to `company`: Company and Global levels only.
    pub fn may_add_team(&self, company: CompanyId) -> bool {
        self.can(Role::ManageTeams) && self.level >= Level::Company && self.reaches_company(company)
    }

    /// Rename or disable a team.
    pub fn may_change_team(&self, company: CompanyId, team: TeamId) -> bool {
        self.can(Role::ManageTeams)
            && match self.scope() {
                DataScope::Everything => true,
                DataScope::Company(own) => own == company,
                DataScope::Team(own, own_team) => own == company && own_team == team,
                DataScope::OwnOnly(_) => false,
            }
    }

    /// The roles a change on a user's Roles tab results in. The actor can only
    /// hand out roles they hold; roles they do not hold stay as they were,
    /// since the actor could not have chosen them either way.
    pub fn apply_role_change(
        &self,
        current: &RoleSet,
        requested: &RoleSet,
    ) -> Result<RoleSet, ValidationError> {
        let not_held: Vec<&str> = requested
            .iter()
            .filter(|role| !self.can(*role) && !current.contains(*role))
            .map(Role::name)
            .collect();
        if !not_held.is_empty() {
            return Err(ValidationError::new(
                "roles",
                format!(
                    "You cannot assign roles you do not hold: {}",
                    not_held.join(", ")
                ),
            ));
        }
        Ok(Role::ALL
            .into_iter()
            .filter(|role| {
                if self.can(*role) {
                    requested.contains(*role)
                } else {
                    current.contains(*role)
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: CompanyId = CompanyId(1);
    const GLOBEX: CompanyId = CompanyId(2);
    const SALES: TeamId = TeamId(10);
    const SUPPORT: TeamId = TeamId(11);
    const ME: UserId = UserId(100);
    const OTHER: UserId = UserId(101);

    fn actor(level: Level, roles: &[Role]) -> Actor {
        Actor {
            user_id: ME,
            company_id: ACME,
            team_id: Some(SALES),
            level,
            roles: roles.iter().copied().collect(),
        }
    }

    fn subject(user: UserId, company: CompanyId, team: TeamId, level: Level) -> Subject {
        Subject {
            user_id: Some(user),
            company_id: company,
            team_id: Some(team),
            level,
        }
    }

    #[test]
    fn manage_user_table() {
        use Level::*;
        let manage = &[Role::ManageUsers][..];
        // (actor level, actor roles, target, expected view, expected manage)
        let table: Vec<(Level, &[Role], Subject, bool, bool)> = vec![
            // Global reaches everyone, but not a level above... there is none.
            (
                Global,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Global),
                true,
                true,
            ),
            (
                Global,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Staff),
                true,
                true,
            ),
            (
                Global,
                &[],
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
            ),
            // Company: own company only, never a Global user.
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Staff),
                true,
                true,
            ),
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Company),
                true,
                true,
            ),
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Global),
                true,
                false,
            ),
            (
                Company,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Staff),
                false,
                false,
            ),
            (
                Company,
                &[Role::Recordings],
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
            ),
            // Team: own team of own company only; Team or Staff targets.
            (Team, manage, subject(OTHER, ACME, SALES, Staff), true, true),
            (Team, manage, subject(OTHER, ACME, SALES, Team), true, true),
            (
                Team,
                manage,
                subject(OTHER, ACME, SALES, Company),
                true,
                false,
            ),
            (
                Team,
                manage,
                subject(OTHER, ACME, SUPPORT, Staff),
                false,
                false,
            ),
            (
                Team,
                manage,
                subject(OTHER, GLOBEX, SALES, Staff),
                false,
                false,
            ),
            // Staff: only themselves.
            (Staff, manage, subject(ME, ACME, SALES, Staff), true, true),
            (
                Staff,
                manage,
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
            ),
        ];
        for (level, roles, target, view, manage_expected) in table {
            let a = actor(level, roles);
            assert_eq!(
                a.may_view_user(&target),
                view,
                "view {level:?} {roles:?} {target:?}"
            );
            assert_eq!(
                a.may_manage_user(&target),
                manage_expected,
                "manage {level:?} {roles:?} {target:?}"
            );
        }
    }

    #[test]
    fn team_table() {
        use Level::*;
        let teams = &[Role::ManageTeams][..];
        // (actor level, actor roles, team's company, team, may add, may change)
        type Case = (Level, &'static [Role], CompanyId, TeamId, bool, bool);
        let table: Vec<Case> = vec![
            (Global, teams, GLOBEX, SUPPORT, true, true),
            (Company, teams, ACME, SUPPORT, true, true),
            (Company, teams, GLOBEX, SUPPORT, false, false),
            (Company, &[], ACME, SUPPORT, false, false),
            (Team, teams, ACME, SALES, false, true),
            (Team, teams, ACME, SUPPORT, false, false),
            (Staff, teams, ACME, SALES, false, false),
        ];
        for (level, roles, company, team, add, change) in table {
            let a = actor(level, roles);
            assert_eq!(a.may_add_team(company), add, "add {level:?} {company:?}");
            assert_eq!(
                a.may_change_team(company, team),
                change,
                "change {level:?} {team:?}"
            );
        }
    }

    #[test]
    fn mfa_administration_table() {
        use Level::*;
        let mfa = &[Role::ManageCompanyMfa][..];
        // (level, roles, target, may manage the target's company MFA, may reset the target)
        type Case = (Level, &'static [Role], Subject, bool, bool);
        let table: Vec<Case> = vec![
            (
                Global,
                mfa,
                subject(OTHER, GLOBEX, SUPPORT, Company),
                true,
                true,
            ),
            (
                Company,
                mfa,
                subject(OTHER, ACME, SUPPORT, Staff),
                true,
                true,
            ),
            (
                Company,
                mfa,
                subject(OTHER, ACME, SUPPORT, Global),
                true,
                false,
            ),
            (
                Company,
                mfa,
                subject(OTHER, GLOBEX, SUPPORT, Staff),
                false,
                false,
            ),
            (
                Company,
                &[Role::ManageUsers],
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
            ),
            (Team, mfa, subject(OTHER, ACME, SALES, Staff), false, true),
            (
                Team,
                mfa,
                subject(OTHER, ACME, SUPPORT, Staff),
                false,
                false,
            ),
            (Staff, mfa, subject(ME, ACME, SALES, Staff), false, true),
            (Staff, mfa, subject(OTHER, ACME, SALES, Staff), false, false),
        ];
        for (level, roles, target, company, reset) in table {
            let a = actor(level, roles);
            assert_eq!(
                a.may_manage_company_mfa(target.company_id),
                company,
                "company {level:?} {target:?}"
            );
            assert_eq!(
                a.may_reset_mfa(&target),
                reset,
                "reset {level:?} {target:?}"
            );
        }
    }

    #[test]
    fn scope_per_level() {
        assert_eq!(actor(Level::Global, &[]).scope(), DataScope::Everything);
        assert_eq!(actor(Level::Company, &[]).scope(), DataScope::Company(ACME));
        assert_eq!(
            actor(Level::Team, &[]).scope(),
            DataScope::Team(ACME, SALES)
        );
        assert_eq!(actor(Level::Staff, &[]).scope(), DataScope::OwnOnly(ME));
        let mut teamless = actor(Level::Team, &[]);
        teamless.team_id = None;
        assert_eq!(teamless.scope(), DataScope::OwnOnly(ME));
    }

    #[test]
    fn menu_follows_roles() {
        let staff = actor(Level::Staff, &[Role::Recordings, Role::ManageOwnMfa]);
        assert_eq!(staff.menu(), vec![MenuItem::Recordings]);
        assert_eq!(staff.home(), "/recordings");
        let admin = actor(Level::Company, &Role::ALL);
        assert_eq!(
            admin.menu().iter().map(|m| m.label()).collect::<Vec<_>>(),
            ["Recordings", "Users", "Teams", "Company MFA", "Reports"]
        );
        assert_eq!(actor(Level::Staff, &[]).home(), "/home");
    }

    #[test]
    fn role_changes_only_touch_roles_the_actor_holds() {
        let a = actor(
            Level::Company,
            &[Role::ManageUsers, Role::ManageOwnMfa, Role::Recordings],
        );
        let current: RoleSet = [Role::Recordings, Role::AuditLog].into_iter().collect();

        // Assign one held role, drop another held one; AuditLog (not held) stays.
        let requested: RoleSet = [Role::ManageOwnMfa].into_iter().collect();
        let result = a.apply_role_change(&current, &requested).unwrap();
        assert_eq!(
            result,
            [Role::ManageOwnMfa, Role::AuditLog].into_iter().collect()
        );

        // Asking for a role the actor lacks is refused, naming it.
        let requested: RoleSet = [Role::DeleteRecordings].into_iter().collect();
        let err = a.apply_role_change(&current, &requested).unwrap_err();
        assert!(err.message.contains("Access to Delete Recordings"), "{err}");

        // Keeping a role the target already had is not an escalation.
        let requested: RoleSet = [Role::AuditLog, Role::Recordings].into_iter().collect();
        assert_eq!(a.apply_role_change(&current, &requested).unwrap(), current);
    }
}
