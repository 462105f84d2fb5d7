//! The expected outcome of every route for every actor and object,
//! written out from the rules.

use callrec_domain::{Level, Role};

/// What a request came to, as far as authorisation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The handler ran for the actor: 2xx, a redirect elsewhere than the
    /// sign-in or MFA pages, or 400/422 (the input, not the actor, refused).
    Ok,
    /// Redirected to the sign-in page.
    Login,
    /// Redirected to the MFA pop-up.
    Mfa,
    /// In sight but out of reach.
    Forbidden,
    /// Does not exist for this actor.
    NotFound,
    /// The API's answer without a token.
    Unauthorized,
}

pub(super) fn outcome(status: u16, location: &str) -> Outcome {
    match status {
        401 => Outcome::Unauthorized,
        403 => Outcome::Forbidden,
        404 => Outcome::NotFound,
        300..=399 if location.starts_with("/login") => Outcome::Login,
        300..=399 if location == "/mfa" => Outcome::Mfa,
        200..=399 | 400 | 422 => Outcome::Ok,
        other => panic!("unexpected status {other}"),
    }
}

/// The object a route's `{…}` names, relative to the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Obj {
    /// No object in the path.
    Pathless,
    /// The actor's own (themselves, their recording, their team Sales, their company).
    Own,
    /// Another user's in the same company: a Staff user of Sales without
    /// roles, their recording, the team Support.
    Same,
    /// A user at the actor's own level within reach (user routes only).
    Peer,
    /// Another company's.
    Other,
}

type Expect = fn(Level, Option<Role>, Obj) -> Outcome;

/// What a signed-in user gets.
#[derive(Clone, Copy)]
pub(super) enum Rule {
    /// The same for every level and role.
    Always(Outcome),
    /// A page of the menu: found with its role, not found without.
    Page(Role),
    /// Found with the role from this level up, not found otherwise. (A
    /// Company user's request naming another company is answered for
    /// their own.)
    RoleFrom(Role, Level),
    /// Written out below, per level, missing role and object.
    By(Expect),
}

impl Rule {
    pub(super) fn expected(self, level: Level, lacking: Option<Role>, obj: Obj) -> Outcome {
        match self {
            Rule::Always(outcome) => outcome,
            Rule::Page(role) if lacking == Some(role) => Outcome::NotFound,
            Rule::Page(_) => Outcome::Ok,
            Rule::RoleFrom(role, lowest) if lacking == Some(role) || level < lowest => {
                Outcome::NotFound
            }
            Rule::RoleFrom(..) => Outcome::Ok,
            Rule::By(expect) => expect(level, lacking, obj),
        }
    }
}

pub(super) struct Row {
    pub(super) method: &'static str,
    /// The route as the router names it.
    pub(super) route: &'static str,
    /// The request: `{user}`, `{rec}`, `{team}`, `{company}` are filled in.
    pub(super) request: &'static str,
    pub(super) objects: &'static [Obj],
    /// The role whose absence the row tries.
    pub(super) role: Option<Role>,
    pub(super) anonymous: Outcome,
    pub(super) half_signed_in: Outcome,
    /// For a signed-in user of this level lacking this role (if any).
    pub(super) signed_in: Rule,
    pub(super) form: &'static [(&'static str, &'static str)],
}

pub(super) use Obj::*;
pub(super) use Outcome::*;

pub(super) fn lacks(lacking: Option<Role>, role: Role) -> bool {
    lacking == Some(role)
}
/// Renaming or disabling a team: own team from Team level, the company's
/// teams from Company level, every team for Global.
pub(super) fn change_team(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    let reach = match obj {
        Own => level >= Level::Team,
        Same => level >= Level::Company,
        _ => level == Level::Global,
    };
    if lacks(l, Role::ManageTeams) || !reach {
        NotFound
    } else {
        Ok
    }
}
/// Whether a level's scope reaches a user or recording object.
pub(super) fn reaches(level: Level, obj: Obj) -> bool {
    match obj {
        Own => true,
        Same | Peer => level >= Level::Team,
        Other => level == Level::Global,
        Pathless => true,
    }
}
/// Item 1: oneself, or someone strictly below without a role the actor
/// lacks; a peer in sight is forbidden, anyone out of scope not found.
pub(super) fn change_user(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::ManageUsers) || !reaches(level, obj) {
        NotFound
    } else if obj == Peer {
        Forbidden
    } else {
        Ok
    }
}
/// Reset MFA (Other User): the Users page (Manage Users) and Manage
/// Company MFA; never oneself (that is My MFA).
pub(super) fn open_reset_mfa(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::ManageUsers) {
        NotFound
    } else {
        reset_mfa(level, l, obj)
    }
}
pub(super) fn reset_mfa(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::ManageCompanyMfa) || !reaches(level, obj) {
        NotFound
    } else if obj == Peer || obj == Own {
        Forbidden
    } else {
        Ok
    }
}
pub(super) fn recording(role: Role, level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, role) || !reaches(level, obj) {
        NotFound
    } else {
        Ok
    }
}
pub(super) fn play(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::Recordings, level, l, obj)
}
pub(super) fn download(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::DownloadRecordings, level, l, obj)
}
pub(super) fn delete(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::DeleteRecordings, level, l, obj)
}
pub(super) fn hold(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::LegalHold, level, l, obj)
}
/// The delete pop-up: the Recordings page, and Delete Recordings.
pub(super) fn open_delete(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::Recordings) {
        NotFound
    } else {
        delete(level, l, obj)
    }
}

pub(super) const USER_OBJECTS: &[Obj] = &[Own, Same, Peer, Other];
pub(super) const OBJECTS: &[Obj] = &[Own, Same, Other];

#[rustfmt::skip]
pub(super) fn table() -> Vec<Row> {
    let row = |method,
               route,
               request,
               objects,
               role,
               anonymous,
               half_signed_in,
               signed_in: Rule,
               form| Row {
        method,
        route,
        request,
        objects,
        role,
        anonymous,
        half_signed_in,
        signed_in,
        form,
    };
    let page_row = |route: &'static str, role, signed_in: Rule| {
        row(
            "GET",
            route,
            route,
            &[Pathless][..],
            Some(role),
            Login,
            Mfa,
            signed_in,
            &[][..],
        )
    };
    vec![
        row("GET", "/", "/", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("GET", "/home", "/home", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("GET", "/login", "/login", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("POST", "/login", "/login", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        // Without CALLREC_PUBLIC_URL (as here) single sign-on does not exist.
        row("POST", "/sso/start", "/sso/start", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[("email", "ann@example.com")]),
        row("GET", "/sso/callback", "/sso/callback?code=x&state=y", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("POST", "/logout", "/logout", &[Pathless], None, Login, Login, Rule::Always(Login), &[]),
        row("GET", "/healthz", "/healthz", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/readyz", "/readyz", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/assets/app.css", "/assets/app.css", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/favicon.ico", "/favicon.ico", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/assets/app.js", "/assets/app.js", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        // Cookies are no API credential: without a token, 401 for everyone.
        row("POST", "/api/v1/recordings", "/api/v1/recordings", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings", "/api/v1/recordings", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}", "/api/v1/recordings/{rec}", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}/audio", "/api/v1/recordings/{rec}/audio", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}/notes", "/api/v1/recordings/{rec}/notes", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("POST", "/api/v1/recordings/{id}/notes", "/api/v1/recordings/{rec}/notes", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}/transcript", "/api/v1/recordings/{rec}/transcript", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/users", "/api/v1/users", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        // SCIM answers tokens only: a session is no token.
        row("POST", "/scim/v2/.search", "/scim/v2/.search", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("POST", "/scim/v2/Users/.search", "/scim/v2/Users/.search", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("POST", "/scim/v2/Groups/.search", "/scim/v2/Groups/.search", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/{*rest}", "/scim/v2/Nothing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("POST", "/scim/v2/{*rest}", "/scim/v2/Nothing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("PUT", "/scim/v2/{*rest}", "/scim/v2/Nothing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("PATCH", "/scim/v2/{*rest}", "/scim/v2/Nothing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("DELETE", "/scim/v2/{*rest}", "/scim/v2/Nothing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("GET", "/scim/v2/ServiceProviderConfig", "/scim/v2/ServiceProviderConfig", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/ResourceTypes/{id}", "/scim/v2/ResourceTypes/User", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Schemas", "/scim/v2/Schemas", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Schemas/{id}", "/scim/v2/Schemas/x", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Users", "/scim/v2/Users", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("POST", "/scim/v2/Users", "/scim/v2/Users", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Users/{id}", "/scim/v2/Users/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("PUT", "/scim/v2/Users/{id}", "/scim/v2/Users/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("PATCH", "/scim/v2/Users/{id}", "/scim/v2/Users/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("DELETE", "/scim/v2/Users/{id}", "/scim/v2/Users/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Groups", "/scim/v2/Groups", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("POST", "/scim/v2/Groups", "/scim/v2/Groups", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/scim/v2/Groups/{id}", "/scim/v2/Groups/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("PUT", "/scim/v2/Groups/{id}", "/scim/v2/Groups/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("PATCH", "/scim/v2/Groups/{id}", "/scim/v2/Groups/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("DELETE", "/scim/v2/Groups/{id}", "/scim/v2/Groups/1", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/teams", "/api/v1/teams", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/audit", "/api/v1/audit", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/{*rest}", "/api/v1/no/such/thing", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("GET", "/api/docs", "/api/docs", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        // API tokens: Company users with Access to Manage Users, and Global ones.
        page_row("/api-tokens", Role::ManageUsers, Rule::RoleFrom(Role::ManageUsers, Level::Company)),
        row("POST", "/api-tokens", "/api-tokens", &[Pathless], Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("name", "")]),
        row("POST", "/api-tokens/{id}/revoke", "/api-tokens/999999/revoke", &[Pathless], Some(Role::ManageUsers), Login, Mfa, Rule::Always(NotFound), &[]),
        // The MFA pop-ups: only for half-signed-in sessions; signed-in users are sent on.
        row("GET", "/mfa", "/mfa", &[Pathless], None, Login, Ok, Rule::Always(Ok), &[]),
        row("POST", "/mfa/register", "/mfa/register", &[Pathless], None, Login, Mfa, Rule::Always(Mfa), &[]),
        row("POST", "/mfa/register/confirm", "/mfa/register/confirm", &[Pathless], None, Login, Mfa, Rule::Always(Mfa), &[("code", "")]),
        row("POST", "/mfa/verify", "/mfa/verify", &[Pathless], None, Login, Ok, Rule::Always(Mfa), &[("code", "")]),
        row("POST", "/mfa/recovery", "/mfa/recovery", &[Pathless], None, Login, Ok, Rule::Always(Mfa), &[("code", "")]),
        row("POST", "/mfa/security-key/options", "/mfa/security-key/options", &[Pathless], None, Login, Ok, Rule::Always(Ok), &[]),
        row("POST", "/mfa/security-key", "/mfa/security-key", &[Pathless], None, Login, Ok, Rule::Always(Ok), &[]),
        row("GET", "/my-mfa/security-keys", "/my-mfa/security-keys", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Page(Role::ManageOwnMfa), &[]),
        row("POST", "/my-mfa/security-keys", "/my-mfa/security-keys", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Page(Role::ManageOwnMfa), &[]),
        // Anyone signed in may confirm with a key: "Confirm it's you" guards more than My MFA.
        row("POST", "/my-mfa/confirm-key/options", "/my-mfa/confirm-key/options", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("POST", "/my-mfa/security-keys/options", "/my-mfa/security-keys/options", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Page(Role::ManageOwnMfa), &[("name", "")]),
        // Nobody's key 999999: not found for every signed-in user.
        row("POST", "/my-mfa/security-keys/{id}/remove", "/my-mfa/security-keys/999999/remove", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Always(NotFound), &[]),
        row("POST", "/mfa/recovery-codes/saved", "/mfa/recovery-codes/saved", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[("return_to", "/home")]),
        row("GET", "/my-account", "/my-account", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("POST", "/my-account/password", "/my-account/password", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[("current_password", "")]),
        // Only a session whose password is temporary chooses; others are
        // sent where their step says (the MFA pop-up, or home).
        row("GET", "/choose-password", "/choose-password", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("POST", "/choose-password", "/choose-password", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[("new_password", "")]),
        // Without mail configured (as here) the forgotten-password pages do not exist.
        row("GET", "/forgotten-password", "/forgotten-password", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("POST", "/forgotten-password", "/forgotten-password", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[("who", "x")]),
        row("GET", "/reset-password", "/reset-password?token=x", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[]),
        row("POST", "/reset-password", "/reset-password", &[Pathless], None, NotFound, NotFound, Rule::Always(NotFound), &[("token", "x")]),
        row("POST", "/mfa/register-now", "/mfa/register-now", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        row("POST", "/my-mfa", "/my-mfa", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Page(Role::ManageOwnMfa), &[("return_to", "/home"), ("reset", "0")]),
        row("POST", "/my-mfa/recovery-codes", "/my-mfa/recovery-codes", &[Pathless], Some(Role::ManageOwnMfa), Login, Mfa, Rule::Page(Role::ManageOwnMfa), &[("return_to", "/home")]),
        page_row("/recordings", Role::Recordings, Rule::Page(Role::Recordings)),
        page_row("/users", Role::ManageUsers, Rule::Page(Role::ManageUsers)),
        page_row("/teams", Role::ManageTeams, Rule::Page(Role::ManageTeams)),
        page_row("/reports", Role::AuditLog, Rule::Page(Role::AuditLog)),
        page_row("/reports/audit.csv", Role::AuditLog, Rule::Page(Role::AuditLog)),
        page_row("/reports/calls", Role::Recordings, Rule::Page(Role::Recordings)),
        page_row("/reports/calls.csv", Role::Recordings, Rule::Page(Role::Recordings)),
        page_row("/company-settings", Role::ManageUsers, Rule::RoleFrom(Role::ManageUsers, Level::Company)),
        page_row("/companies", Role::ManageUsers, Rule::RoleFrom(Role::ManageUsers, Level::Global)),
        row("POST", "/companies", "/companies", &[Pathless], Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Global), &[("name", "")]),
        row("POST", "/companies/{id}/rename", "/companies/{company}/rename", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Global), &[("name", "")]),
        row("POST", "/companies/{id}/status", "/companies/{company}/status", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Global), &[("enabled", "x")]),
        row("GET", "/company-settings", "/company-settings?company={company}", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[]),
        row("POST", "/company-settings", "/company-settings", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("time_zone", "")]),
        row("POST", "/company-settings/tags", "/company-settings/tags", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("name", "Matrix tag")]),
        row("POST", "/company-settings/capture", "/company-settings/capture", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("address", "192.0.2.77")]),
        row("POST", "/company-settings/numbers", "/company-settings/numbers", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("first", "777")]),
        row("POST", "/company-settings/sso", "/company-settings/sso", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("action", "off")]),
        row("POST", "/company-settings/transcription", "/company-settings/transcription", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}"), ("transcription", "on")]),
        row("POST", "/company-settings/cancel-retention", "/company-settings/cancel-retention", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}")]),
        row("POST", "/my-account/time-zone", "/my-account/time-zone", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[("time_zone", "")]),
        row("POST", "/my-account/sso-link", "/my-account/sso-link", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[]),
        page_row("/company-mfa", Role::ManageCompanyMfa, Rule::RoleFrom(Role::ManageCompanyMfa, Level::Company)),
        row("GET", "/company-mfa", "/company-mfa?company={company}", OBJECTS, Some(Role::ManageCompanyMfa), Login, Mfa, Rule::RoleFrom(Role::ManageCompanyMfa, Level::Company), &[]),
        row("POST", "/company-mfa", "/company-mfa", OBJECTS, Some(Role::ManageCompanyMfa), Login, Mfa, Rule::RoleFrom(Role::ManageCompanyMfa, Level::Company), &[("company", "{company}"), ("policy", "")]),
        row("POST", "/company-mfa/remind", "/company-mfa/remind", OBJECTS, Some(Role::ManageCompanyMfa), Login, Mfa, Rule::RoleFrom(Role::ManageCompanyMfa, Level::Company), &[("company", "{company}")]),
        row("POST", "/users", "/users", &[Pathless], Some(Role::ManageUsers), Login, Mfa, Rule::Page(Role::ManageUsers), &[]),
        row("GET", "/users", "/users?edit={user}", USER_OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::By(change_user), &[]),
        row("POST", "/users/{id}", "/users/{user}", USER_OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::By(change_user), &[]),
        row("GET", "/users", "/users?reset={user}", USER_OBJECTS, Some(Role::ManageCompanyMfa), Login, Mfa, Rule::By(open_reset_mfa), &[]),
        row("POST", "/users/{id}/reset-mfa", "/users/{user}/reset-mfa", USER_OBJECTS, Some(Role::ManageCompanyMfa), Login, Mfa, Rule::By(reset_mfa), &[]),
        row("POST", "/teams", "/teams", &[Pathless], Some(Role::ManageTeams), Login, Mfa, Rule::RoleFrom(Role::ManageTeams, Level::Company), &[("name", "")]),
        row("POST", "/teams/{id}/rename", "/teams/{team}/rename", OBJECTS, Some(Role::ManageTeams), Login, Mfa, Rule::By(change_team), &[("name", "")]),
        row("POST", "/teams/{id}/status", "/teams/{team}/status", OBJECTS, Some(Role::ManageTeams), Login, Mfa, Rule::By(change_team), &[]),
        row("GET", "/recordings/{id}", "/recordings/{rec}", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[]),
        row("GET", "/recordings/{id}/audio", "/recordings/{rec}/audio", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[]),
        row("GET", "/recordings/{id}/transcript", "/recordings/{rec}/transcript", OBJECTS, Some(Role::DownloadRecordings), Login, Mfa, Rule::By(download), &[]),
        row("POST", "/recordings/{id}/transcript", "/recordings/{rec}/transcript", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[]),
        row("POST", "/recordings/{id}/notes", "/recordings/{rec}/notes", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[("note", "A moment"), ("at", "0:01")]),
        row("POST", "/recordings/selected/hold", "/recordings/selected/hold", &[Pathless], Some(Role::LegalHold), Login, Mfa, Rule::Page(Role::LegalHold), &[("reason", "Case 1")]),
        row("POST", "/recordings/selected/delete", "/recordings/selected/delete", &[Pathless], Some(Role::DeleteRecordings), Login, Mfa, Rule::Page(Role::DeleteRecordings), &[]),
        row("POST", "/recordings/{id}/tags", "/recordings/{rec}/tags", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[]),
        row("POST", "/recordings/selected/tag", "/recordings/selected/tag", &[Pathless], Some(Role::Recordings), Login, Mfa, Rule::Page(Role::Recordings), &[("tag_id", "1")]),
        row("GET", "/recordings/{id}/waveform", "/recordings/{rec}/waveform", OBJECTS, Some(Role::Recordings), Login, Mfa, Rule::By(play), &[]),
        row("GET", "/recordings/{id}/download", "/recordings/{rec}/download", OBJECTS, Some(Role::DownloadRecordings), Login, Mfa, Rule::By(download), &[]),
        row("GET", "/recordings", "/recordings?delete={rec}", OBJECTS, Some(Role::DeleteRecordings), Login, Mfa, Rule::By(open_delete), &[]),
        row("POST", "/recordings/{id}/delete", "/recordings/{rec}/delete", OBJECTS, Some(Role::DeleteRecordings), Login, Mfa, Rule::By(delete), &[]),
        row("POST", "/recordings/{id}/hold", "/recordings/{rec}/hold", OBJECTS, Some(Role::LegalHold), Login, Mfa, Rule::By(hold), &[("reason", "Case 1")]),
        row("POST", "/recordings/{id}/release", "/recordings/{rec}/release", OBJECTS, Some(Role::LegalHold), Login, Mfa, Rule::By(hold), &[]),
        row("GET", "/recordings", "/recordings?hold=place", &[Pathless], Some(Role::LegalHold), Login, Mfa, Rule::Page(Role::LegalHold), &[]),
        row("POST", "/recordings/holds", "/recordings/holds", &[Pathless], Some(Role::LegalHold), Login, Mfa, Rule::Page(Role::LegalHold), &[("change", "release")]),
        // Download selected: the ticked recording must be in reach.
        row("POST", "/recordings/download", "/recordings/download", OBJECTS, Some(Role::DownloadRecordings), Login, Mfa, Rule::By(download), &[("id", "{rec}")]),
        page_row("/recordings/deleted", Role::DeleteRecordings, Rule::Page(Role::DeleteRecordings)),
        // The recording is not deleted: nothing to restore, for anyone.
        row("POST", "/recordings/deleted/{id}/restore", "/recordings/deleted/{rec}/restore", OBJECTS, Some(Role::DeleteRecordings), Login, Mfa, Rule::Always(NotFound), &[]),
    ]
}
