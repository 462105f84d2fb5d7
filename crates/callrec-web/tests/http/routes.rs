//! The whole route table, proven (security review, "prove the whole route
//! table"): every route the router serves is tried as anonymous, as a
//! half-signed-in session (password only, MFA due), and as Staff, Team,
//! Company and Global users with and without the route's role, on their own
//! object, on another user's object in the same company, on a peer's (for
//! user routes) and on another company's. The expected outcomes live in one
//! table, written out from the rules (not computed by the code under test);
//! a route in the router without a row fails the test.

use crate::harness::*;
use callrec_domain::audio::AudioFormat;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::{Level, PhoneNumber, Role};
use callrec_store::{backend_tests, Company, NewRecording, Team, User};
use std::collections::{BTreeMap, BTreeSet};

/// What a request came to, as far as authorisation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
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

fn outcome(status: u16, location: &str) -> Outcome {
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
enum Obj {
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
enum Rule {
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
    fn expected(self, level: Level, lacking: Option<Role>, obj: Obj) -> Outcome {
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

struct Row {
    method: &'static str,
    /// The route as the router names it.
    route: &'static str,
    /// The request: `{user}`, `{rec}`, `{team}`, `{company}` are filled in.
    request: &'static str,
    objects: &'static [Obj],
    /// The role whose absence the row tries.
    role: Option<Role>,
    anonymous: Outcome,
    half_signed_in: Outcome,
    /// For a signed-in user of this level lacking this role (if any).
    signed_in: Rule,
    form: &'static [(&'static str, &'static str)],
}

use Obj::*;
use Outcome::*;

fn lacks(lacking: Option<Role>, role: Role) -> bool {
    lacking == Some(role)
}
/// Renaming or disabling a team: own team from Team level, the company's
/// teams from Company level, every team for Global.
fn change_team(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
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
fn reaches(level: Level, obj: Obj) -> bool {
    match obj {
        Own => true,
        Same | Peer => level >= Level::Team,
        Other => level == Level::Global,
        Pathless => true,
    }
}
/// Item 1: oneself, or someone strictly below without a role the actor
/// lacks; a peer in sight is forbidden, anyone out of scope not found.
fn change_user(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
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
fn open_reset_mfa(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::ManageUsers) {
        NotFound
    } else {
        reset_mfa(level, l, obj)
    }
}
fn reset_mfa(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::ManageCompanyMfa) || !reaches(level, obj) {
        NotFound
    } else if obj == Peer || obj == Own {
        Forbidden
    } else {
        Ok
    }
}
fn recording(role: Role, level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, role) || !reaches(level, obj) {
        NotFound
    } else {
        Ok
    }
}
fn play(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::Recordings, level, l, obj)
}
fn download(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::DownloadRecordings, level, l, obj)
}
fn delete(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::DeleteRecordings, level, l, obj)
}
fn hold(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    recording(Role::LegalHold, level, l, obj)
}
/// The delete pop-up: the Recordings page, and Delete Recordings.
fn open_delete(level: Level, l: Option<Role>, obj: Obj) -> Outcome {
    if lacks(l, Role::Recordings) {
        NotFound
    } else {
        delete(level, l, obj)
    }
}

const USER_OBJECTS: &[Obj] = &[Own, Same, Peer, Other];
const OBJECTS: &[Obj] = &[Own, Same, Other];

#[rustfmt::skip]
fn table() -> Vec<Row> {
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
        row("POST", "/logout", "/logout", &[Pathless], None, Login, Login, Rule::Always(Login), &[]),
        row("GET", "/healthz", "/healthz", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/readyz", "/readyz", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/assets/app.css", "/assets/app.css", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/assets/app.js", "/assets/app.js", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", &[Pathless], None, Ok, Ok, Rule::Always(Ok), &[]),
        // Cookies are no API credential: without a token, 401 for everyone.
        row("POST", "/api/v1/recordings", "/api/v1/recordings", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings", "/api/v1/recordings", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}", "/api/v1/recordings/{rec}", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/recordings/{id}/audio", "/api/v1/recordings/{rec}/audio", OBJECTS, None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
        row("GET", "/api/v1/users", "/api/v1/users", &[Pathless], None, Unauthorized, Unauthorized, Rule::Always(Unauthorized), &[]),
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
        row("POST", "/company-settings/cancel-retention", "/company-settings/cancel-retention", OBJECTS, Some(Role::ManageUsers), Login, Mfa, Rule::RoleFrom(Role::ManageUsers, Level::Company), &[("company", "{company}")]),
        row("POST", "/my-account/time-zone", "/my-account/time-zone", &[Pathless], None, Login, Mfa, Rule::Always(Ok), &[("time_zone", "")]),
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

/// Every `(method, route)` the router serves, read from the `.route(…)`
/// calls of the web crate's source: adding a route there without a row
/// here fails the test.
fn served_routes() -> BTreeSet<(String, String)> {
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut routes = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        // `GET /metrics` is served on its own listener, never the portal's
        // (operations.rs tests both).
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("metrics.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (start, _) in text.match_indices(".route(") {
            let rest = &text[start + ".route(".len()..];
            let rest = rest
                .trim_start()
                .strip_prefix('"')
                .expect("a route path literal");
            let (route, rest) = rest.split_once('"').unwrap();
            // The method router: up to the `.route(` call's closing bracket.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap();
            let methods = &rest[..end];
            for (method, word) in [
                ("GET", "get("),
                ("POST", "post("),
                ("PUT", "put("),
                ("DELETE", "delete("),
                ("PATCH", "patch("),
            ] {
                let used = methods.match_indices(word).any(|(i, _)| {
                    let before = methods[..i].chars().last();
                    before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                });
                if used {
                    routes.insert((method.to_string(), route.to_string()));
                }
            }
        }
    }
    routes
}

#[test]
fn every_served_route_has_a_row() {
    let served = served_routes();
    assert!(served.len() >= 25, "read the router's routes: {served:?}");
    let rows: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let missing: Vec<_> = served.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
    let stale: Vec<_> = rows.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "rows for routes the router does not serve: {stale:?}"
    );
}

/// A signed-in test user and their own objects.
struct Person {
    user: User,
    browser: Browser,
    recording: NewRecording,
}

struct World {
    acme: Company,
    globex: Company,
    operator: Company,
    sales: Team,
    support: Team,
    front: Team,
    same_user: User,
    same_recording: NewRecording,
    other_user: User,
    other_recording: NewRecording,
    peers: BTreeMap<Level, User>,
    /// By (level, the role they lack; None = every role).
    people: BTreeMap<(Level, Option<Role>), Person>,
    half: Browser,
}

fn number(text: &str) -> PhoneNumber {
    PhoneNumber::from_stored(text).unwrap()
}

async fn recording_of(
    app: &TestApp,
    n: u32,
    company: &Company,
    team: Option<&Team>,
    user: &User,
    key: &str,
) -> NewRecording {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id[15] = 0x5a;
    let new = NewRecording {
        id: RecordingId::from_bytes(id),
        company_id: company.id,
        team_id: team.map(|t| t.id),
        user_id: Some(user.id),
        extension: None,
        direction: Direction::Inbound,
        calling_number: number("2001"),
        called_number: number("2002"),
        started_at_ms: 1_900_000_000_000 + i64::from(n),
        duration_ms: 1000,
        format: AudioFormat::Wav,
        size_bytes: 10,
        sha256: key.rsplit('/').next().unwrap().to_string(),
        storage_key: key.to_string(),
        external_id: None,
    };
    app.store.insert_recording(&new, 0).await.unwrap();
    new
}

async fn world(app: &TestApp) -> World {
    let operator = app.company("Operator").await;
    // The table is about who reaches what, not about MFA: the Operator
    // company's first-start grace period (startup.rs tests it) is lifted.
    app.store
        .set_up(0, async |w| {
            w.set_mfa_policy(operator.id, callrec_domain::MfaPolicy::Available)
                .await
        })
        .await
        .unwrap();
    app.store
        .set_up(0, async |write| {
            write.set_mfa_deadline(operator.id, None).await
        })
        .await
        .unwrap();
    let acme = app.company("Acme").await;
    let globex = app.company("Globex").await;
    let sales = app.team(&acme, "Sales").await;
    let support = app.team(&acme, "Support").await;
    let front = app.team(&globex, "Front").await;
    let mut keys = BTreeMap::new();
    for company in [&operator, &acme, &globex] {
        let stored = app
            .blobs
            .put(&crate::recordings::wav(100), company.id)
            .await
            .unwrap();
        keys.insert(company.id, stored.key);
    }
    let same_user = app
        .user(&acme, Some(&sales), "acme.target", Level::Staff, &[])
        .await;
    let other_user = app
        .user(&globex, Some(&front), "globex.target", Level::Staff, &[])
        .await;
    let same_recording =
        recording_of(app, 1, &acme, Some(&sales), &same_user, &keys[&acme.id]).await;
    let other_recording = recording_of(
        app,
        2,
        &globex,
        Some(&front),
        &other_user,
        &keys[&globex.id],
    )
    .await;
    // A second user of Globex's audio, so deleting the first never takes the file.
    recording_of(
        app,
        3,
        &globex,
        Some(&front),
        &other_user,
        &keys[&globex.id],
    )
    .await;
    let home = |level: Level| match level {
        Level::Global => (&operator, Option::<&Team>::None),
        Level::Company => (&acme, None),
        _ => (&acme, Some(&sales)),
    };
    let mut peers = BTreeMap::new();
    for level in Level::ALL {
        let (company, team) = home(level);
        let name = format!("peer.{}", level.code());
        peers.insert(level, app.user(company, team, &name, level, &[]).await);
    }
    let mut people = BTreeMap::new();
    let mut n = 10;
    for level in Level::ALL {
        let (company, team) = home(level);
        for lacking in std::iter::once(Option::None).chain(Role::ALL.map(Some)) {
            let roles: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| Some(*r) != lacking)
                .collect();
            let name = format!("{}.{}", level.code(), lacking.map_or("all", Role::code));
            let user = app.user(company, team, &name, level, &roles).await;
            let recording = recording_of(app, n, company, team, &user, &keys[&company.id]).await;
            n += 1;
            let browser = app.as_user(&name).await;
            people.insert(
                (level, lacking),
                Person {
                    user,
                    browser,
                    recording,
                },
            );
        }
    }
    // Half signed in: password accepted, a code still due.
    let half_user = app
        .user(&acme, Some(&sales), "half.signed", Level::Staff, &Role::ALL)
        .await;
    app.store
        .set_up(0, async |w| {
            w.set_mfa_policy(acme.id, callrec_domain::MfaPolicy::Available)
                .await
        })
        .await
        .unwrap();
    app.store
        .set_up(0, async |write| {
            write.set_mfa_opt_in(half_user.id, true).await
        })
        .await
        .unwrap();
    app.store
        .set_up(0, async |w| {
            w.start_mfa_registration(half_user.id, "not-used", "s")
                .await
        })
        .await
        .unwrap();
    app.store
        .set_up(0, async |w| {
            w.confirm_mfa_registration(half_user.id, "s", 1).await
        })
        .await
        .unwrap();
    let half = app.browser();
    assert_eq!(location(&half.login("half.signed", PASSWORD).await), "/mfa");
    World {
        acme,
        globex,
        operator,
        sales,
        support,
        front,
        same_user,
        same_recording,
        other_user,
        other_recording,
        peers,
        people,
        half,
    }
}

/// The request path and form for `row` on `obj`, as `person` sees it.
fn fill(text: &str, w: &World, person: Option<&Person>, level: Level, obj: Obj) -> String {
    let own_company = match level {
        Level::Global => w.operator.id,
        _ => w.acme.id,
    };
    let (user, rec, team, company) = match (obj, person) {
        (Own, Some(p)) => (
            p.user.id.0,
            p.recording.id.clone(),
            w.sales.id.0,
            own_company.0,
        ),
        // Anonymous and half-signed-in requests name the same-company objects.
        (Own, Option::None) | (Same, _) | (Pathless, _) => (
            w.same_user.id.0,
            w.same_recording.id.clone(),
            w.support.id.0,
            w.acme.id.0,
        ),
        (Peer, _) => (
            w.peers[&level].id.0,
            w.same_recording.id.clone(),
            w.support.id.0,
            w.acme.id.0,
        ),
        (Other, _) => (
            w.other_user.id.0,
            w.other_recording.id.clone(),
            w.front.id.0,
            w.globex.id.0,
        ),
    };
    text.replace("{user}", &user.to_string())
        .replace("{rec}", rec.as_str())
        .replace("{team}", &team.to_string())
        .replace("{company}", &company.to_string())
}

/// The answer's outcome, and the security headers it lacks (every answer
/// of every route carries them; wave 2 checked three paths).
async fn send(
    browser: &Browser,
    method: &str,
    path: &str,
    form: &[(String, String)],
) -> (Outcome, Vec<&'static str>) {
    let response = if method == "GET" {
        browser.get(path).await
    } else {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        browser.post(path, &pairs).await
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let csp = header("content-security-policy");
    let mut lacking = Vec::new();
    if !csp.contains("frame-ancestors 'none'") || csp.contains("unsafe-inline") {
        lacking.push("content-security-policy");
    }
    if header("x-content-type-options") != "nosniff" {
        lacking.push("x-content-type-options");
    }
    if header("referrer-policy") != "same-origin" {
        lacking.push("referrer-policy");
    }
    let status = response.status().as_u16();
    (outcome(status, &location(&response)), lacking)
}

/// What a refused request must leave as it was: the recordings and their
/// holds, Deleted recordings, and every user's level, team, roles, status
/// and MFA registration.
async fn snapshot(app: &TestApp) -> String {
    use callrec_domain::permissions::DataScope;
    let everything = callrec_store::RecordingQuery::first_page(DataScope::Everything, 1);
    let (recordings, held) = app.store.count_matching(&everything).await.unwrap();
    let deleted = app.store.count_deleted_matching(&everything).await.unwrap();
    let users = app
        .store
        .list_users(&callrec_store::UserQuery {
            scope: DataScope::Everything,
            company: None,
            search: None,
            page: 0,
            per_page: 500,
        })
        .await
        .unwrap();
    let people: Vec<String> = users
        .items
        .iter()
        .map(|u| {
            let roles: Vec<&str> = u.roles.iter().map(|r| r.code()).collect();
            format!(
                "{}:{}:{:?}:{}:{}:{}",
                u.username,
                u.level.code(),
                u.team_id,
                u.enabled,
                roles.join(","),
                u.mfa_registered
            )
        })
        .collect();
    format!(
        "{recordings} recordings, {held} held, {deleted} deleted; {}",
        people.join(" ")
    )
}

backend_tests! {
    async fn every_route_answers_every_actor_as_the_table_says(db) {
        let app = spawn_app(db).await;
        let w = world(&app).await;
        let _ = (&w.globex, &w.front);
        let mut tried = 0;
        let mut wrong = Vec::new();
        for row in table() {
            for &obj in row.objects {
                let form = |person: Option<&Person>, level| -> Vec<(String, String)> {
                    row.form.iter().map(|(k, v)| (k.to_string(), fill(v, &w, person, level, obj))).collect()
                };
                // Anonymous and half-signed-in (signing out ends a session:
                // that row gets a fresh one).
                let fresh_half;
                let half = if row.route == "/logout" {
                    fresh_half = app.browser();
                    fresh_half.login("half.signed", PASSWORD).await;
                    &fresh_half
                } else {
                    &w.half
                };
                for (who, browser, expected) in [("anonymous", &app.browser(), row.anonymous), ("half-signed-in", half, row.half_signed_in)] {
                    if obj == Peer {
                        continue;
                    }
                    let path = fill(row.request, &w, Option::None, Level::Staff, obj);
                    let before = snapshot(&app).await;
                    let (got, lacking) = send(browser, row.method, &path, &form(Option::None, Level::Staff)).await;
                    tried += 1;
                    if got != expected {
                        wrong.push(format!("{} {path} as {who}: {got:?}, expected {expected:?}", row.method));
                    }
                    if !lacking.is_empty() {
                        wrong.push(format!("{} {path} as {who}: no {lacking:?}", row.method));
                    }
                    if got != Ok && snapshot(&app).await != before {
                        wrong.push(format!("{} {path} as {who}: refused ({got:?}) but changed something", row.method));
                    }
                }
                // Every level, with every role and without the row's role.
                for level in Level::ALL {
                    for lacking in [Option::None, row.role] {
                        let person = &w.people[&(level, lacking)];
                        let path = fill(row.request, &w, Some(person), level, obj);
                        let expected = row.signed_in.expected(level, lacking, obj);
                        let fresh;
                        let browser = if row.route == "/logout" {
                            fresh = Browser::signed_in(&app.address, &person.user.username).await;
                            &fresh
                        } else {
                            &person.browser
                        };
                        let before = snapshot(&app).await;
                        let (got, headers) = send(browser, row.method, &path, &form(Some(person), level)).await;
                        tried += 1;
                        if got != expected {
                            wrong.push(format!("{} {path} as {} lacking {lacking:?} on {obj:?}: {got:?}, expected {expected:?}", row.method, person.user.username));
                        }
                        if !headers.is_empty() {
                            wrong.push(format!("{} {path} as {}: no {headers:?}", row.method, person.user.username));
                        }
                        // A refusal changes nothing (a 404 that still deleted
                        // something would otherwise pass, put back below).
                        if got != Ok {
                            if snapshot(&app).await != before {
                                wrong.push(format!("{} {path} as {} lacking {lacking:?} on {obj:?}: refused ({got:?}) but changed something", row.method, person.user.username));
                            }
                            continue;
                        }
                        // Put back what an allowed request deleted.
                        for recording in [&person.recording, &w.same_recording, &w.other_recording] {
                            if app.store.recording_in_scope(&recording.id, callrec_domain::permissions::DataScope::Everything).await.unwrap().is_none() {
                                app.store.insert_recording(recording, 0).await.unwrap();
                                callrec_store::testing::execute(&app.store, "DELETE FROM deleted_recordings").await.unwrap();
                            }
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {tried} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));
        assert!(tried > 600, "{tried} requests tried");
        eprintln!("route matrix: {} rows, {tried} requests, 0 differences", table().len());
    }
}
