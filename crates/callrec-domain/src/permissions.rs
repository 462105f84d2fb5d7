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

/// A user being looked at or changed, or the shape of one being created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub user_id: Option<UserId>,
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub level: Level,
    pub roles: RoleSet,
}

/// What an actor may do to another user, for handlers that must tell
/// "no such user" (404) from "you may not" (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAccess {
    /// Outside the actor's scope, or the actor lacks the role: the user
    /// does not exist for them.
    Unseen,
    /// In sight but out of reach: a peer, someone above, or someone holding
    /// a role the actor lacks.
    Protected,
    /// The actor may change this user.
    Change,
}

/// The slice of the portal's data a level reaches. Stores turn it into a
/// `WHERE` clause so that scope is enforced in the query itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataScope {
    Everything,
    Company(CompanyId),
    Team(CompanyId, TeamId),
    OwnOnly(UserId),
}

/// Entries of the left-hand menu, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    Home,
    Recordings,
    Companies,
    Users,
    Teams,
    CompanyMfa,
    CompanySettings,
    ApiTokens,
    Reports,
}

impl MenuItem {
    pub fn label(self) -> &'static str {
        match self {
            MenuItem::Home => "Home",
            MenuItem::Recordings => "Recordings",
            MenuItem::Companies => "Companies",
            MenuItem::Users => "Users",
            MenuItem::Teams => "Teams",
            MenuItem::CompanyMfa => "Company MFA",
            MenuItem::CompanySettings => "Company settings",
            MenuItem::ApiTokens => "API tokens",
            MenuItem::Reports => "Reports",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            MenuItem::Home => "/home",
            MenuItem::Recordings => "/recordings",
            MenuItem::Companies => "/companies",
            MenuItem::Users => "/users",
            MenuItem::Teams => "/teams",
            MenuItem::CompanyMfa => "/company-mfa",
            MenuItem::CompanySettings => "/company-settings",
            MenuItem::ApiTokens => "/api-tokens",
            MenuItem::Reports => "/reports",
        }
    }

    pub const ALL: [MenuItem; 9] = [
        MenuItem::Home,
        MenuItem::Recordings,
        MenuItem::Companies,
        MenuItem::Users,
        MenuItem::Teams,
        MenuItem::CompanyMfa,
        MenuItem::CompanySettings,
        MenuItem::ApiTokens,
        MenuItem::Reports,
    ];

    /// Where a pop-up may send the browser back to: a page of the portal's
    /// own menu, or `/home`. Anything else — another site, `/\t/evil`, a
    /// line break — is never echoed into a `Location` (security review,
    /// item 9).
    pub fn return_path(requested: &str) -> &'static str {
        MenuItem::ALL
            .into_iter()
            .map(MenuItem::path)
            .find(|path| *path == requested)
            .unwrap_or("/home")
    }

    fn role(self) -> Role {
        match self {
            // The dashboard is the first page for users with recordings.
            MenuItem::Home => Role::Recordings,
            MenuItem::Recordings => Role::Recordings,
            MenuItem::Companies => Role::ManageUsers,
            MenuItem::Users => Role::ManageUsers,
            MenuItem::Teams => Role::ManageTeams,
            MenuItem::CompanyMfa => Role::ManageCompanyMfa,
            MenuItem::CompanySettings => Role::ManageUsers,
            MenuItem::ApiTokens => Role::ManageUsers,
            MenuItem::Reports => Role::AuditLog,
        }
    }

    /// The lowest level that sees the entry.
    fn lowest_level(self) -> Level {
        match self {
            MenuItem::Companies => Level::Global,
            MenuItem::CompanySettings | MenuItem::ApiTokens => Level::Company,
            _ => Level::Staff,
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

    /// Whether they may give users extensions: an extension decides whose
    /// (and which team's) captured calls are, so it is set at company
    /// level or above, never by a Team manager for their own team.
    pub fn may_set_extensions(&self) -> bool {
        self.level >= Level::Company
    }

    pub fn menu(&self) -> Vec<MenuItem> {
        MenuItem::ALL
            .into_iter()
            .filter(|item| self.can(item.role()) && self.level >= item.lowest_level())
            .collect()
    }

    /// Where a user lands after signing in.
    pub fn home(&self) -> &'static str {
        self.menu().first().map_or("/home", |item| item.path())
    }

    /// The Companies page: Global users with Access to Manage Users.
    pub fn may_manage_companies(&self) -> bool {
        self.level == Level::Global && self.can(Role::ManageUsers)
    }

    /// Company settings (the time zone, …): Access to Manage Users at
    /// Company or Global level, for a company in reach.
    pub fn may_change_company_settings(&self, company: CompanyId) -> bool {
        self.can(Role::ManageUsers) && self.level >= Level::Company && self.reaches_company(company)
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

    /// The rule that keeps accounts from being taken over: an actor changes
    /// another user (password, MFA, status, level, team, roles) only when
    /// that user's level is strictly below their own and the user holds no
    /// role the actor lacks. A peer — a second Company administrator — is
    /// out of reach, so nobody can set a peer's password and act as them.
    pub fn outranks(&self, subject: &Subject) -> bool {
        subject.level < self.level && subject.roles.is_subset(&self.roles)
    }

    fn is_self(&self, subject: &Subject) -> bool {
        subject.user_id == Some(self.user_id)
    }

    /// Open the Modify pop-up of an existing user and save it: one's own
    /// account, or a user the actor outranks.
    pub fn may_manage_user(&self, subject: &Subject) -> bool {
        self.user_access(subject, Role::ManageUsers) == UserAccess::Change
    }

    /// Create a user shaped like `subject`, or save a change that leaves a
    /// user so: levels up to the actor's own (a company may add a second
    /// administrator, who is then out of its creator's reach), roles the
    /// actor holds.
    pub fn may_create_user(&self, subject: &Subject) -> bool {
        self.may_view_user(subject)
            && subject.level <= self.level
            && subject.roles.is_subset(&self.roles)
    }

    /// How far `role` lets the actor go with an existing user.
    pub fn user_access(&self, subject: &Subject, role: Role) -> UserAccess {
        if !(self.can(role) && self.reaches(subject)) {
            UserAccess::Unseen
        } else if self.is_self(subject) || self.outranks(subject) {
            UserAccess::Change
        } else {
            UserAccess::Protected
        }
    }

    /// Company MFA page for `company`: Company and Global levels only.
    pub fn may_manage_company_mfa(&self, company: CompanyId) -> bool {
        self.can(Role::ManageCompanyMfa)
            && self.level >= Level::Company
            && self.reaches_company(company)
    }

    /// Reset MFA (Other User): how far the actor may go. One's own
    /// registration is reset under My MFA, which asks for proof of presence.
    pub fn reset_mfa_access(&self, subject: &Subject) -> UserAccess {
        match self.user_access(subject, Role::ManageCompanyMfa) {
            UserAccess::Change if self.is_self(subject) => UserAccess::Protected,
            access => access,
        }
    }

    pub fn may_reset_mfa(&self, subject: &Subject) -> bool {
        self.reset_mfa_access(subject) == UserAccess::Change
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
            roles: RoleSet::default(),
        }
    }

    /// Every subset of the role catalogue (2^9 sets).
    fn every_role_set() -> Vec<RoleSet> {
        (0u32..1 << Role::ALL.len())
            .map(|bits| {
                Role::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, role)| role)
                    .collect()
            })
            .collect()
    }

    /// Item 1 of the security review: over every pair of levels and every
    /// role set of actor and target, another user is changed only when they
    /// are strictly below the actor and hold no role the actor lacks.
    #[test]
    fn takeover_rule_over_every_level_pair_and_role_set() {
        use Level::*;
        // (actor, target, target strictly below): written out, not computed.
        let below = [
            (Global, Global, false),
            (Global, Company, true),
            (Global, Team, true),
            (Global, Staff, true),
            (Company, Global, false),
            (Company, Company, false),
            (Company, Team, true),
            (Company, Staff, true),
            (Team, Global, false),
            (Team, Company, false),
            (Team, Team, false),
            (Team, Staff, true),
            (Staff, Global, false),
            (Staff, Company, false),
            (Staff, Team, false),
            (Staff, Staff, false),
        ];
        let sets = every_role_set();
        let mut checked = 0;
        for (actor_level, target_level, strictly_below) in below {
            // Actors hold Manage Users and Manage Company MFA plus any set.
            for actor_extra in &sets {
                let mut actor_roles = actor_extra.clone();
                actor_roles.insert(Role::ManageUsers);
                actor_roles.insert(Role::ManageCompanyMfa);
                let a = actor(actor_level, &actor_roles.iter().collect::<Vec<_>>());
                for target_roles in &sets {
                    let mut target = subject(OTHER, ACME, SALES, target_level);
                    target.roles = target_roles.clone();
                    let subset = target_roles.iter().all(|r| actor_roles.contains(r));
                    let expected = strictly_below && subset;
                    assert_eq!(a.outranks(&target), expected);
                    assert_eq!(a.may_manage_user(&target), expected);
                    assert_eq!(a.may_reset_mfa(&target), expected);
                    let access = if actor_level == Staff {
                        UserAccess::Unseen // a Staff user reaches only themselves
                    } else if expected {
                        UserAccess::Change
                    } else {
                        UserAccess::Protected
                    };
                    assert_eq!(a.user_access(&target, Role::ManageUsers), access);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 16 * 512 * 512);
    }

    #[test]
    fn manage_user_table() {
        use Level::*;
        let manage = &[Role::ManageUsers][..];
        // (actor level, actor roles, target, view, manage an existing one, create one like it)
        type Case = (Level, &'static [Role], Subject, bool, bool, bool);
        let table: Vec<Case> = vec![
            (
                Global,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Global),
                true,
                false,
                true,
            ),
            (
                Global,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Staff),
                true,
                true,
                true,
            ),
            (
                Global,
                &[],
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
                false,
            ),
            // Company: own company only; a peer is seen and may be created, not changed.
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Staff),
                true,
                true,
                true,
            ),
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Company),
                true,
                false,
                true,
            ),
            (
                Company,
                manage,
                subject(OTHER, ACME, SUPPORT, Global),
                true,
                false,
                false,
            ),
            (
                Company,
                manage,
                subject(OTHER, GLOBEX, SUPPORT, Staff),
                false,
                false,
                false,
            ),
            (
                Company,
                &[Role::Recordings],
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
                false,
            ),
            // Team: own team of own company only.
            (
                Team,
                manage,
                subject(OTHER, ACME, SALES, Staff),
                true,
                true,
                true,
            ),
            (
                Team,
                manage,
                subject(OTHER, ACME, SALES, Team),
                true,
                false,
                true,
            ),
            (
                Team,
                manage,
                subject(OTHER, ACME, SALES, Company),
                true,
                false,
                false,
            ),
            (
                Team,
                manage,
                subject(OTHER, ACME, SUPPORT, Staff),
                false,
                false,
                false,
            ),
            (
                Team,
                manage,
                subject(OTHER, GLOBEX, SALES, Staff),
                false,
                false,
                false,
            ),
            // Oneself: the own account stays editable.
            (
                Staff,
                manage,
                subject(ME, ACME, SALES, Staff),
                true,
                true,
                true,
            ),
            (
                Company,
                manage,
                subject(ME, ACME, SALES, Company),
                true,
                true,
                true,
            ),
            (
                Staff,
                manage,
                subject(OTHER, ACME, SALES, Staff),
                false,
                false,
                false,
            ),
        ];
        for (level, roles, target, view, manage_expected, create) in table {
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
            assert_eq!(
                a.may_create_user(&target),
                create,
                "create {level:?} {roles:?} {target:?}"
            );
        }
        // Creating a user with a role the actor lacks is refused.
        let mut with_delete = subject(OTHER, ACME, SALES, Staff);
        with_delete.roles.insert(Role::DeleteRecordings);
        assert!(!actor(Company, manage).may_create_user(&with_delete));
        // Out of scope answers "unseen", in scope but protected "protected".
        let a = actor(Team, manage);
        assert_eq!(
            a.user_access(&subject(OTHER, ACME, SUPPORT, Staff), Role::ManageUsers),
            UserAccess::Unseen
        );
        assert_eq!(
            a.user_access(&subject(OTHER, ACME, SALES, Team), Role::ManageUsers),
            UserAccess::Protected
        );
        assert_eq!(
            a.user_access(&subject(OTHER, ACME, SALES, Staff), Role::ManageCompanyMfa),
            UserAccess::Unseen
        );
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
                subject(OTHER, ACME, SUPPORT, Company),
                true,
                false,
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
            // One's own MFA is reset under My MFA, which asks for a code.
            (Staff, mfa, subject(ME, ACME, SALES, Staff), false, false),
            (Company, mfa, subject(ME, ACME, SALES, Company), true, false),
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
        let own = subject(ME, ACME, SALES, Company);
        assert_eq!(
            actor(Company, mfa).reset_mfa_access(&own),
            UserAccess::Protected
        );
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
        assert_eq!(staff.menu(), vec![MenuItem::Home, MenuItem::Recordings]);
        assert_eq!(staff.home(), "/home", "the dashboard first");
        let admin = actor(Level::Company, &Role::ALL);
        assert_eq!(
            admin.menu().iter().map(|m| m.label()).collect::<Vec<_>>(),
            [
                "Home",
                "Recordings",
                "Users",
                "Teams",
                "Company MFA",
                "Company settings",
                "API tokens",
                "Reports"
            ]
        );
        let operator = actor(Level::Global, &Role::ALL);
        assert_eq!(operator.menu()[2], MenuItem::Companies, "Global users only");
        // Company settings and API tokens need Company level as well as the role.
        let lead = actor(Level::Team, &[Role::ManageUsers]);
        assert_eq!(lead.menu(), vec![MenuItem::Users]);
        assert_eq!(lead.home(), "/users", "no recordings, no dashboard");
        assert_eq!(actor(Level::Staff, &[]).home(), "/home");
    }

    #[test]
    fn return_paths_are_the_portals_own_pages() {
        for item in MenuItem::ALL {
            assert_eq!(MenuItem::return_path(item.path()), item.path());
        }
        for bad in [
            "/home",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/users\nSet-Cookie: x=1",
            "/users?x=1",
            "",
        ] {
            assert_eq!(MenuItem::return_path(bad), "/home", "{bad:?}");
        }
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
