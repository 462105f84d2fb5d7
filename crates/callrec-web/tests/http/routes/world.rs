//! The people, teams and recordings the route matrix runs against, and
//! how a row's route is filled in for one of them.

use super::table::*;
use crate::harness::*;
use callrec_domain::audio::AudioFormat;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::{Level, PhoneNumber, Role};
use callrec_store::{Company, NewRecording, Team, User};
use std::collections::BTreeMap;

/// A signed-in test user and their own objects.
pub(super) struct Person {
    pub(super) user: User,
    pub(super) browser: Browser,
    pub(super) recording: NewRecording,
}

pub(super) struct World {
    pub(super) acme: Company,
    pub(super) globex: Company,
    pub(super) operator: Company,
    pub(super) sales: Team,
    pub(super) support: Team,
    pub(super) front: Team,
    pub(super) same_user: User,
    pub(super) same_recording: NewRecording,
    pub(super) other_user: User,
    pub(super) other_recording: NewRecording,
    pub(super) peers: BTreeMap<Level, User>,
    /// By (level, the role they lack; None = every role).
    pub(super) people: BTreeMap<(Level, Option<Role>), Person>,
    pub(super) half: Browser,
}

pub(super) fn number(text: &str) -> PhoneNumber {
    PhoneNumber::from_stored(text).unwrap()
}

pub(super) async fn recording_of(
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

pub(super) async fn world(app: &TestApp) -> World {
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
pub(super) fn fill(
    text: &str,
    w: &World,
    person: Option<&Person>,
    level: Level,
    obj: Obj,
) -> String {
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
pub(super) async fn send(
    browser: &Browser,
    method: &str,
    path: &str,
    form: &[(String, String)],
) -> (Outcome, Vec<&'static str>) {
    let response = if method == "GET" {
        browser.get(path).await
    } else if method == "POST" {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        browser.post(path, &pairs).await
    } else {
        // PUT, PATCH and DELETE (SCIM's): sent as such, with the browser's cookies.
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        browser
            .client
            .request(method, format!("{}{path}", browser.base))
            .header("Content-Type", "application/scim+json")
            .body("{}")
            .send()
            .await
            .unwrap()
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
