//! The whole route table, proven (security review, "prove the whole route
//! table"): every route the router serves is tried as anonymous, as a
//! half-signed-in session (password only, MFA due), and as Staff, Team,
//! Company and Global users with and without the route's role, on their own
//! object, on another user's object in the same company, on a peer's (for
//! user routes) and on another company's. The expected outcomes live in one
//! table, written out from the rules (not computed by the code under test);
//! a route in the router without a row fails the test.

use crate::harness::*;
use callrec_domain::Level;
use callrec_store::backend_tests;
use callrec_web::urls::Route;
use std::collections::{BTreeMap, BTreeSet};

mod table;
mod world;

use table::*;
use world::*;

/// Every `(method, route)` of the route table (`callrec_web::urls`).
/// `GET /metrics` is served on its own listener, never the portal's
/// (operations.rs tests both).
fn served_routes() -> BTreeSet<(String, String)> {
    Route::ALL
        .iter()
        .filter(|route| **route != Route::Metrics)
        .flat_map(|route| {
            route
                .methods()
                .iter()
                .map(|method| (method.to_string(), route.path().to_string()))
        })
        .collect()
}

/// The methods each router mounts on a route, read from the `.route(…)`
/// calls of the web crate's source: every call names its path through
/// the table, and mounts the table's methods.
fn mounted_routes() -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut mounted: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (start, _) in text.match_indices(".route(") {
            let rest = text[start + ".route(".len()..].trim_start();
            let rest = rest.strip_prefix("Route::").unwrap_or_else(|| {
                panic!(
                    "{}: a route path not from the table: {}",
                    path.display(),
                    &rest[..40.min(rest.len())]
                )
            });
            let (name, rest) = rest.split_once(".path()").unwrap();
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
            let entry = mounted.entry(name.to_string()).or_default();
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
                    entry.insert(method);
                }
            }
        }
    }
    mounted
}

#[test]
fn every_router_mounts_the_tables_methods() {
    let mounted = mounted_routes();
    for route in Route::ALL {
        let name = format!("{route:?}");
        let methods: BTreeSet<&str> = route.methods().iter().copied().collect();
        assert_eq!(
            mounted.get(&name),
            Some(&methods),
            "{name}: the router and the table differ"
        );
    }
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
