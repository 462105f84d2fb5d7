//! The read API over HTTP, on SQLite and PostgreSQL: every endpoint with
//! and without its scope, another company's ids, revoked and expired
//! tokens, the rate limit under parallel load on two nodes, paging,
//! filters, and the audit of audio reads.

use crate::harness::*;
use crate::recordings::{token_with, upload, wav};
use callrec_app::audit::AuditContext;
use callrec_app::{create_token, revoke_token, Clock, TokenRequest};
use callrec_domain::api_scope::{ApiScope, ApiScopes};
use callrec_domain::TokenName;
use callrec_store::{backend_tests, AuditQuery, Company, ThrottleWindow};
use serde_json::{json, Value};

const ALL: &str =
    "ingest,recordings:read,recordings:download,directory:read,audit:read,notes:read,notes:write";

/// `GET {path}` with a token: the status and the JSON answer.
pub(crate) async fn get(app_address: &str, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{app_address}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Sends a call of `username` at `started_at` going `direction`; its id.
async fn call(
    app: &TestApp,
    token: &str,
    username: &str,
    started_at: &str,
    direction: &str,
    from: &str,
) -> String {
    let metadata = json!({"started_at": started_at, "direction": direction, "from": from, "to": "2001", "username": username});
    let (status, body) = upload(app, token, metadata, wav(800), "call.wav").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// The read paths, with the scope each needs.
fn reads(id: &str) -> Vec<(String, ApiScope)> {
    vec![
        ("/api/v1/recordings".to_string(), ApiScope::RecordingsRead),
        (format!("/api/v1/recordings/{id}"), ApiScope::RecordingsRead),
        (
            format!("/api/v1/recordings/{id}/audio"),
            ApiScope::RecordingsDownload,
        ),
        ("/api/v1/users".to_string(), ApiScope::DirectoryRead),
        ("/api/v1/teams".to_string(), ApiScope::DirectoryRead),
        ("/api/v1/audit".to_string(), ApiScope::AuditRead),
        (
            format!("/api/v1/recordings/{id}/notes"),
            ApiScope::NotesRead,
        ),
    ]
}

fn test_limit(limit: i64) -> callrec_web::WebConfig {
    callrec_web::WebConfig {
        api_per_token: ThrottleWindow { seconds: 60, limit },
        ..test_config()
    }
}

async fn token_at(
    app: &TestApp,
    company: &Company,
    name: &str,
    scopes: &str,
    days: Option<u32>,
) -> String {
    let request = TokenRequest {
        company: company.id,
        name: TokenName::parse(name).unwrap(),
        scopes: ApiScopes::parse(scopes).unwrap(),
        lifetime_days: days,
    };
    let audit = AuditContext {
        now: app.clock.now(),
        ..AuditContext::command_line()
    };
    create_token(&app.store, callrec_app::Caller::Operator, &request, &audit)
        .await
        .unwrap()
        .1
}

backend_tests! {
    async fn each_read_answers_its_scope_and_404_without_it(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let ingest = token_with(&app, &seed.acme, "pbx", "ingest").await;
        let id = call(&app, &ingest, "acme.agent", "2026-11-20T09:30:00Z", "inbound", "+44 20 7946 0123").await;
        for scope in ApiScope::ALL {
            let token = token_with(&app, &seed.acme, scope.code().replace(':', "-").as_str(), scope.code()).await;
            for (path, needs) in reads(&id) {
                let (status, body) = get(&app.address, &token, &path).await;
                if needs == scope {
                    assert!(status == 200, "{} on {path}: {status} {body}", scope.code());
                } else {
                    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{} on {path}", scope.code());
                }
            }
        }
        // Ingest needs its own scope too.
        let reader = token_with(&app, &seed.acme, "reader", "recordings:read").await;
        let metadata = json!({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "1", "to": "2"});
        assert_eq!(upload(&app, &reader, metadata, wav(800), "a.wav").await.0, 404);
        // Unknown API addresses answer JSON.
        let (status, body) = get(&app.address, &reader, "/api/v1/nothing/here").await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    }

    async fn a_token_never_sees_another_companys_data(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let acme = token_with(&app, &seed.acme, "acme-all", ALL).await;
        let globex = token_with(&app, &seed.globex, "globex-all", ALL).await;
        let acme_call = call(&app, &acme, "acme.agent", "2026-11-20T09:30:00Z", "inbound", "111").await;
        let globex_call = call(&app, &globex, "globex.agent", "2026-11-20T09:31:00Z", "outbound", "222").await;
        for path in [format!("/api/v1/recordings/{acme_call}"), format!("/api/v1/recordings/{acme_call}/audio")] {
            let (status, body) = get(&app.address, &globex, &path).await;
            assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{path}");
        }
        let (_, list) = get(&app.address, &globex, "/api/v1/recordings").await;
        let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [globex_call.as_str()]);
        let (_, filtered) = get(&app.address, &globex, &format!("/api/v1/recordings?user={}", seed.acme_agent.id.0)).await;
        assert_eq!(filtered["items"].as_array().unwrap().len(), 0, "another company's user matches nothing");
        let (_, users) = get(&app.address, &globex, "/api/v1/users").await;
        let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert!(!names.is_empty() && names.iter().all(|n| n.starts_with("globex.")), "{names:?}");
        assert_eq!(users["total"].as_i64(), Some(names.len() as i64));
        let (_, teams) = get(&app.address, &globex, "/api/v1/teams").await;
        let teams: Vec<&str> = teams["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(teams, [seed.front.name.as_str()]);
        let (_, audit) = get(&app.address, &globex, "/api/v1/audit?limit=200").await;
        let targets: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["target"].as_str()).collect();
        assert!(targets.contains(&globex_call.as_str()) && !targets.contains(&acme_call.as_str()), "{targets:?}");
    }

    async fn revoked_and_expired_tokens_are_refused(db) {
        let app = spawn_app_on(db, test_config(), Clock::manual(1_800_000_000)).await;
        let seed = app.seed().await;
        let day = token_at(&app, &seed.acme, "for-a-day", "recordings:read", Some(1)).await;
        let kept = token_at(&app, &seed.acme, "kept", "recordings:read", None).await;
        assert_eq!(get(&app.address, &day, "/api/v1/recordings").await.0, 200);
        app.clock.advance(86_399);
        assert_eq!(get(&app.address, &day, "/api/v1/recordings").await.0, 200, "a second before expiry");
        app.clock.advance(1);
        let (status, body) = get(&app.address, &day, "/api/v1/recordings").await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")), "expired");
        assert_eq!(get(&app.address, &kept, "/api/v1/recordings").await.0, 200);
        let stored = app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap();
        let kept_row = stored.iter().find(|t| t.name == "kept").unwrap();
        assert_eq!(kept_row.last_used_addr.as_deref(), Some("127.0.0.1"), "last use noted");
        assert_eq!(kept_row.last_used_at, Some(app.clock.now()));
        assert!(revoke_token(&app.store, kept_row, &AuditContext::command_line()).await.unwrap());
        assert_eq!(get(&app.address, &kept, "/api/v1/recordings").await.0, 401, "revoked");
        assert_eq!(get(&app.address, "crt_not-a-token", "/api/v1/recordings").await.0, 401);
        let bare = reqwest::get(format!("{}/api/v1/recordings", app.address)).await.unwrap();
        assert_eq!(bare.status(), 401);
        assert_eq!(bare.headers()["www-authenticate"], "Bearer");
    }

    async fn the_rate_limit_is_exact_across_two_nodes_and_says_when_to_retry(db) {
        let app = spawn_app_on(db, test_limit(10), Clock::manual(1_800_000_000)).await;
        let seed = app.seed().await;
        let token = token_with(&app, &seed.acme, "busy", "directory:read").await;
        let other = token_with(&app, &seed.acme, "quiet", "directory:read").await;
        let second = app.second_node().await;
        let requests = (0..30).map(|i| {
            let node = if i % 2 == 0 { app.address.clone() } else { second.clone() };
            let token = token.clone();
            tokio::spawn(async move {
                let response = reqwest::Client::new().get(format!("{node}/api/v1/teams")).bearer_auth(token).send().await.unwrap();
                let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
                (response.status().as_u16(), retry)
            })
        });
        let answers: Vec<(u16, Option<i64>)> = futures_util::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 10, "{answers:?}");
        let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 429).collect();
        assert_eq!(refused.len(), 20, "{answers:?}");
        assert!(refused.iter().all(|(_, retry)| matches!(retry, Some(1..=60))), "{refused:?}");
        let (status, body) = get(&app.address, &token, "/api/v1/teams").await;
        assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")));
        assert_eq!(get(&app.address, &other, "/api/v1/teams").await.0, 200, "per token");
        app.clock.advance(60);
        assert_eq!(get(&second, &token, "/api/v1/teams").await.0, 200, "a new minute");
    }

    async fn recordings_filter_and_page_as_the_page_does(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_with(&app, &seed.acme, "all", ALL).await;
        let mut ids = Vec::new();
        for (i, direction) in ["inbound", "outbound", "internal", "inbound", "outbound"].into_iter().enumerate() {
            let user = if i % 2 == 0 { "acme.agent" } else { "acme.support" };
            ids.push(call(&app, &token, user, &format!("2026-11-2{i}T09:30:00Z"), direction, &format!("+4420{i}{i}{i}")).await);
        }
        ids.reverse(); // newest first
        let mut seen = Vec::new();
        let mut path = "/api/v1/recordings?limit=2".to_string();
        loop {
            let (status, page) = get(&app.address, &token, &path).await;
            assert_eq!(status, 200, "{page}");
            seen.extend(page["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
            match page["next"].as_str() {
                Some(next) => path = format!("/api/v1/recordings?limit=2&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen, ids, "three pages by cursor, newest first, none twice");
        let count = |query: &'static str| {
            let (address, token) = (app.address.clone(), token.clone());
            async move {
                let (status, body) = get(&address, &token, &format!("/api/v1/recordings?{query}")).await;
                assert_eq!(status, 200, "{query}: {body}");
                body["items"].as_array().unwrap().len()
            }
        };
        assert_eq!(count("direction=inbound").await, 2);
        assert_eq!(count("calling_number=4420333").await, 1);
        assert_eq!(count("start=2026-11-21T00:00:00Z&end=2026-11-22T23:59:59Z").await, 2);
        assert_eq!(count(Box::leak(format!("user={}", seed.acme_support.id.0).into_boxed_str())).await, 2);
        assert_eq!(count("held=true").await, 0);
        let (_, first) = get(&app.address, &token, "/api/v1/recordings?limit=1").await;
        let item = &first["items"][0];
        assert_eq!((item["direction"].as_str(), item["started_at"].as_str()), (Some("outbound"), Some("2026-11-24T09:30:00.000Z")));
        assert_eq!(item["user"]["username"], "acme.agent");
        let (_, detail) = get(&app.address, &token, &format!("/api/v1/recordings/{}", ids[0])).await;
        assert_eq!(detail["audio_url"], format!("/api/v1/recordings/{}/audio", ids[0]));
        assert_eq!(detail["format"], "wav");
        let (status, bad) = get(&app.address, &token, "/api/v1/recordings?limit=0&start=yesterday&direction=sideways&cursor=x").await;
        assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_parameters")), "{bad}");
        let (status, bad) = get(&app.address, &token, "/api/v1/recordings?limit=0&start=yesterday&cursor=x&user=0").await;
        let fields: Vec<&str> = bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!((status, fields), (400, vec!["start", "user", "limit", "cursor"]));
        assert_eq!(get(&app.address, &token, "/api/v1/recordings/not-an-id").await.0, 404);
    }

    async fn audio_reads_are_audited_with_the_tokens_name(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let ingest = token_with(&app, &seed.acme, "pbx", "ingest").await;
        let id = call(&app, &ingest, "acme.agent", "2026-11-20T09:30:00Z", "inbound", "111").await;
        let token = token_with(&app, &seed.acme, "CRM sync", "recordings:download").await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/recordings/{id}/audio", app.address);
        let whole = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.headers()["content-type"], "audio/wav");
        assert!(whole.headers().contains_key("repr-digest"));
        assert_eq!(whole.bytes().await.unwrap().to_vec(), wav(800));
        for range in ["bytes=0-99", "bytes=100-199"] {
            let part = client.get(&url).bearer_auth(&token).header("range", range).send().await.unwrap();
            assert_eq!(part.status(), 206);
            assert_eq!(part.bytes().await.unwrap().len(), 100);
        }
        let beyond = client.get(&url).bearer_auth(&token).header("range", "bytes=99999-").send().await.unwrap();
        assert_eq!(beyond.status(), 416);
        // The whole file asked for by range is a download, audited as one.
        let whole_range = client.get(&url).bearer_auth(&token).header("range", "bytes=0-").send().await.unwrap();
        assert_eq!(whole_range.status(), 206);
        let entries = |action: &'static str| {
            let store = app.store.clone();
            async move { store.audit_entries(&AuditQuery { action: Some(action.into()), limit: 10, ..AuditQuery::default() }).await.unwrap() }
        };
        let downloads = entries("recording.downloaded").await;
        assert_eq!(downloads.len(), 2, "the plain GET and bytes=0-");
        assert_eq!((downloads[0].actor_name.as_deref(), downloads[0].target.as_deref()), (Some("token:CRM sync"), Some(id.as_str())));
        assert_eq!(downloads[0].actor_user_id, None);
        assert_eq!(entries("recording.played").await.len(), 1, "ranges are one play per token and recording");
    }

    async fn the_audit_log_filters_and_pages(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_with(&app, &seed.acme, "auditor", "audit:read,ingest").await;
        for i in 0..3 {
            call(&app, &token, "acme.agent", &format!("2026-11-2{i}T09:30:00Z"), "inbound", "111").await;
        }
        let (status, page) = get(&app.address, &token, "/api/v1/audit?action=recording.ingested&limit=2").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert_eq!(page["items"][0]["event"], "Recording received");
        let next = page["next"].as_str().unwrap();
        let (_, rest) = get(&app.address, &token, &format!("/api/v1/audit?action=recording.ingested&limit=2&cursor={next}")).await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next"].is_null());
        let (_, by_token) = get(&app.address, &token, "/api/v1/audit?actor=token:auditor").await;
        let mut actions: Vec<&str> = by_token["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        actions.sort();
        assert_eq!(actions, ["api.read", "recording.ingested", "recording.ingested", "recording.ingested"], "its sending, and its reads of the log once per scope and ten minutes");
        let (_, none) = get(&app.address, &token, "/api/v1/audit?from=2100-01-01T00:00:00Z").await;
        assert!(none["items"].as_array().unwrap().is_empty());
        let (status, bad) = get(&app.address, &token, "/api/v1/audit?action=no.such&cursor=-1").await;
        assert_eq!((status, bad["error"]["fields"].as_array().unwrap().len()), (400, 2));
    }
}

#[tokio::test]
async fn the_api_is_described_from_the_code_and_rendered() {
    let app = spawn_app(callrec_store::testing::TestDb::sqlite().await).await;
    let response = app.browser().get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/api/v1/recordings",
        "/api/v1/recordings/{id}",
        "/api/v1/recordings/{id}/audio",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/audit",
    ] {
        assert!(paths.iter().any(|p| *p == path), "{path} in {paths:?}");
    }
    assert_eq!(
        spec["paths"]["/api/v1/recordings"]["get"]["security"][0]["token"][0],
        "recordings:read"
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    let required = &spec["components"]["schemas"]["Metadata"]["required"];
    for field in ["started_at", "direction", "from", "to"] {
        assert!(
            required.as_array().unwrap().iter().any(|f| f == field),
            "{field} required: {required}"
        );
    }
    let (status, page) = app.browser().get_text("/api/docs").await;
    assert_eq!(status, 200);
    for text in [
        "GET /api/v1/recordings/{id}/audio",
        "recordings:download",
        "RecordingDetail",
        "Retry-After",
    ] {
        assert!(page.contains(&askama_escape(text)), "{text} on the page");
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from elsewhere"
    );
}

fn askama_escape(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
