//! Recordings over HTTP: the ingest API, the page, Range playback, download,
//! delete, scope and the access audit — on SQLite and PostgreSQL.

use crate::harness::*;
use callrec_app::audit::AuditContext;
use callrec_app::{create_token, revoke_token, TokenRequest};
use callrec_domain::api_scope::ApiScopes;
use callrec_domain::Level;
use callrec_domain::TokenName;
use callrec_store::{backend_tests, AuditQuery, Company};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// An 8 kHz mono WAV of `samples` samples with a recognisable ramp.
pub fn wav(samples: usize) -> Vec<u8> {
    let ramp: Vec<i16> = (0..samples).map(|i| (i % 251) as i16 * 100).collect();
    callrec_domain::audio::pcm_wav(&ramp, 8000)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) async fn token_for(app: &TestApp, company: &Company, name: &str) -> String {
    token_with(app, company, name, "ingest").await
}

/// A token of `company` with `scopes` (`recordings:read,audit:read`).
pub(crate) async fn token_with(
    app: &TestApp,
    company: &Company,
    name: &str,
    scopes: &str,
) -> String {
    let request = TokenRequest {
        company: company.id,
        name: TokenName::parse(name).unwrap(),
        scopes: ApiScopes::parse(scopes).unwrap(),
        lifetime_days: None,
    };
    create_token(
        &app.store,
        callrec_app::Caller::Operator,
        &request,
        &AuditContext::command_line(),
    )
    .await
    .unwrap()
    .1
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    metadata: Value,
    audio: Vec<u8>,
    file_name: &str,
) -> (u16, Value) {
    let form = Form::new()
        .part("metadata", Part::text(metadata.to_string()))
        .part("audio", Part::bytes(audio).file_name(file_name.to_string()));
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/recordings", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) fn metadata(username: &str) -> Value {
    json!({
        "started_at": "2026-11-20T09:30:00Z",
        "direction": "inbound",
        "from": "+44 20 7946 0123",
        "to": "2001",
        "username": username,
    })
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map_or(Vec::new(), |f| {
        f.iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    })
}

backend_tests! {
    async fn ingest_stores_audio_and_answers_201(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(8000 * 2);
        let (status, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "call.wav").await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["sha256"], sha256_hex(&audio));
        assert_eq!(body["duration_ms"], 2000, "read from the WAV header");
        assert_eq!(body["format"], "wav");
        let id = body["id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        let path = app.blobs.path_of(&callrec_store::company_key(seed.acme.id, &sha256_hex(&audio))).unwrap();
        let stored = std::fs::read(path).unwrap();
        assert!(stored.starts_with(b"CRA1") && !stored.windows(64).any(|w| w == &audio[100..164]), "sealed at rest, content-addressed in the company's folder");
        let download = app.as_user("acme.admin").await.get(&format!("/recordings/{id}/download")).await;
        assert_eq!(download.bytes().await.unwrap().to_vec(), audio, "the original bytes come back");
        // The agent's team comes from the user.
        let agent = app.as_user("acme.agent").await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains("+442079460123") && page.contains(">Sales</td>") && page.contains("0:02"), "{page}");
        let ingested = app.store.audit_entries(&AuditQuery { action: Some("recording.ingested".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(ingested[0].target.as_deref(), Some(id));
        assert_eq!(ingested[0].actor_name.as_deref(), Some("token:pbx"), "the token is the actor");
    }

    async fn the_same_external_id_is_idempotent(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let mut meta = metadata("acme.agent");
        meta["external_id"] = json!("pbx-call-1");
        let (first, body1) = upload(&app, &token, meta.clone(), wav(800), "a.wav").await;
        let (second, body2) = upload(&app, &token, meta, wav(1600), "a.wav").await;
        assert_eq!((first, second), (201, 200));
        assert_eq!(body1["id"], body2["id"]);
        assert_eq!(body2["existing"], true);
        assert_eq!(app.store.count_recordings(Some(seed.acme.id)).await.unwrap(), 1);
    }

    async fn bad_uploads_get_clear_errors_and_store_nothing(db) {
        let mut config = test_config();
        config.max_upload_bytes = 50_000;
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let good = wav(800);
        let mut truncated = wav(8000);
        truncated.truncate(5000);
        let cases: Vec<(Value, Vec<u8>, &str, u16, &str)> = vec![
            (metadata("acme.agent"), b"this is plain text, not audio".to_vec(), "call.wav", 415, "unsupported_audio"),
            (metadata("acme.agent"), good[..20].to_vec(), "call.wav", 422, "damaged_audio"),
            (metadata("acme.agent"), truncated, "call.wav", 422, "truncated_audio"),
            (metadata("acme.agent"), Vec::new(), "call.wav", 422, "empty_audio"),
            (metadata("acme.agent"), wav(30_000), "call.wav", 413, "too_large"),
            (metadata("nobody.here"), good.clone(), "call.wav", 422, "invalid_metadata"),
            (metadata("globex.agent"), good.clone(), "call.wav", 422, "invalid_metadata"),
            (json!({"started_at": "yesterday", "direction": "up", "to": 5, "duration_ms": "long"}), good.clone(), "call.wav", 422, "invalid_metadata"),
            (json!(["not", "an", "object"]), good.clone(), "call.wav", 422, "invalid_metadata"),
            (json!({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "1", "to": "2", "team": "Nope"}), good.clone(), "call.wav", 422, "invalid_metadata"),
        ];
        for (meta, audio, name, status, code) in cases {
            let (got, body) = upload(&app, &token, meta.clone(), audio, name).await;
            assert_eq!(got, status, "{meta} → {body}");
            assert_eq!(body["error"]["code"], code, "{body}");
        }
        let (_, body) = upload(&app, &token, json!({"started_at": "yesterday", "direction": "up", "to": 5, "duration_ms": "long"}), wav(10), "x.wav").await;
        assert_eq!(fields(&body), ["to", "duration_ms", "started_at", "direction", "from"]);
        // A WAV with a lying extension is still a WAV.
        let (status, body) = upload(&app, &token, metadata("acme.agent"), good.clone(), "call.mp3").await;
        assert_eq!((status, body["format"].as_str()), (201, Some("wav")));
        // MP3 needs a duration.
        let mp3 = [b"ID3\x04\0\0\0\0\0\0".to_vec(), vec![0xFF, 0xFB, 0x90, 0x64], vec![0; 400]].concat();
        let (status, body) = upload(&app, &token, metadata("acme.agent"), mp3.clone(), "call.mp3").await;
        assert_eq!((status, fields(&body)), (422, vec!["duration_ms".to_string()]));
        let mut with_duration = metadata("acme.agent");
        with_duration["duration_ms"] = json!(61_000);
        assert_eq!(upload(&app, &token, with_duration, mp3, "call.bin").await.0, 201);
        assert_eq!(app.store.count_recordings(None).await.unwrap(), 2, "only the two good uploads");
        let (_, partials) = app.blobs.scan().await.unwrap();
        assert!(partials.is_empty(), "refused uploads leave no partial files");
    }

    async fn tokens_and_requests_are_checked(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        assert_eq!(upload(&app, "crt_wrong", metadata("acme.agent"), wav(80), "a.wav").await.0, 401);
        let pbx = app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap().remove(0);
        assert!(revoke_token(&app.store, &pbx, &AuditContext::command_line()).await.unwrap());
        let (status, body) = upload(&app, &token, metadata("acme.agent"), wav(80), "a.wav").await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
        let live = token_for(&app, &seed.acme, "pbx2").await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/recordings", app.address);
        let no_auth = client.post(&url).body("x").send().await.unwrap();
        assert_eq!(no_auth.status(), 401);
        assert!(no_auth.headers().get("www-authenticate").is_some());
        let not_multipart = client.post(&url).bearer_auth(&live).header("content-type", "application/json").body("{}").send().await.unwrap();
        assert_eq!(not_multipart.status(), 400);
        let only_metadata = Form::new().part("metadata", Part::text(metadata("acme.agent").to_string()));
        let response = client.post(&url).bearer_auth(&live).multipart(only_metadata).send().await.unwrap();
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!(fields(&body), ["audio"]);
        let extra = Form::new().part("surprise", Part::text("x"));
        assert_eq!(client.post(&url).bearer_auth(&live).multipart(extra).send().await.unwrap().status(), 400);
    }

    async fn range_requests(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(4000);
        let (_, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "a.wav").await;
        let id = body["id"].as_str().unwrap().to_string();
        let agent = app.as_user("acme.agent").await;
        let url = format!("{}/recordings/{id}/audio", app.address);
        let get = |range: Option<&'static str>| {
            let mut request = agent.client.get(&url);
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            request.send()
        };
        // The whole file is a download, which the agent may not make: not
        // through the player either (security review, wave 2, item 8).
        assert_eq!(get(None).await.unwrap().status(), 404);
        assert_eq!(get(Some("bytes=0-99999999")).await.unwrap().status(), 404);
        let admin = app.as_user("acme.admin").await;
        let full = admin.client.get(&url).send().await.unwrap();
        assert_eq!(full.status(), 200);
        assert_eq!(full.headers()["accept-ranges"], "bytes");
        assert_eq!(full.headers()["content-type"], "audio/wav");
        assert_eq!(full.bytes().await.unwrap(), audio);
        let size = audio.len();
        // A player's `bytes=0-` gets a window, one byte short of the whole.
        let cases: [(&str, usize, usize); 5] = [("bytes=0-99", 0, 99), ("bytes=-100", size - 100, size - 1), ("bytes=8000-", 8000, size - 1), ("bytes=10-99999999", 10, size - 1), ("bytes=0-", 0, size - 2)];
        for (range, start, end) in cases {
            let response = get(Some(range)).await.unwrap();
            assert_eq!(response.status(), 206, "{range}");
            assert_eq!(response.headers()["content-range"], format!("bytes {start}-{end}/{size}"));
            assert_eq!(response.bytes().await.unwrap(), &audio[start..=end], "{range}");
        }
        for bad in ["bytes=99999-", "bytes=50-10", "bytes=abc"] {
            let response = get(Some(bad)).await.unwrap();
            assert_eq!(response.status(), 416, "{bad}");
            assert_eq!(response.headers()["content-range"], format!("bytes */{size}"));
        }
        let played = app.store.audit_entries(&AuditQuery { action: Some("recording.played".into()), limit: 50, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(played.len(), 1, "a play is audited once, not per range");
        assert_eq!(played[0].actor_name.as_deref(), Some("acme.agent"));
    }

    /// Security review, item 7: whatever Range a session starts with —
    /// several ranges, `bytes=00-`, a long end, the browser's `bytes=0-` —
    /// serving audio is audited, once per session and recording per 10
    /// minutes (moved on the test's clock).
    async fn every_play_that_serves_audio_is_audited(db) {
        let clock = callrec_app::Clock::manual(1_900_000_000);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let (_, body) = upload(&app, &token, metadata("acme.agent"), wav(4000), "a.wav").await;
        let id = body["id"].as_str().unwrap().to_string();
        let played = || async {
            app.store.audit_entries(&AuditQuery { action: Some("recording.played".into()), limit: 50, ..AuditQuery::default() }).await.unwrap().len()
        };
        let ranges = ["bytes=00-", "bytes=0-", "bytes=100-200", "bytes=-50", "bytes=10-"];
        for (i, range) in ranges.iter().enumerate() {
            let session = app.as_user("acme.agent").await;
            let response = session.client.get(format!("{}/recordings/{id}/audio", app.address)).header("Range", *range).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 206, "{range}");
            assert!(!response.bytes().await.unwrap().is_empty());
            assert_eq!(played().await, i + 1, "{range} served audio without an entry");
        }
        let session = app.as_user("acme.agent").await;
        let url = format!("{}/recordings/{id}/audio", app.address);
        for _ in 0..3 {
            session.client.get(&url).header("Range", "bytes=0-").send().await.unwrap();
        }
        assert_eq!(played().await, ranges.len() + 1, "one entry per session and recording in 10 minutes");
        clock.advance(601);
        session.client.get(&url).header("Range", "bytes=0-").send().await.unwrap();
        assert_eq!(played().await, ranges.len() + 2, "and another after them");
        // The whole file, however asked for, is a download: refused without
        // Access to Download Recordings, audited every time with it.
        let downloaded = || async {
            app.store.audit_entries(&AuditQuery { action: Some("recording.downloaded".into()), limit: 50, ..AuditQuery::default() }).await.unwrap().len()
        };
        for whole in [None, Some("bytes=0-1,2-3"), Some("bytes=0-99999999")] {
            let mut request = session.client.get(&url);
            if let Some(range) = whole {
                request = request.header("Range", range);
            }
            assert_eq!(request.send().await.unwrap().status(), 404, "{whole:?}");
        }
        assert_eq!((played().await, downloaded().await), (ranges.len() + 2, 0));
        let admin = app.as_user("acme.admin").await;
        for (n, whole) in [None, Some("bytes=0-1,2-3"), Some("bytes=0-99999999")].into_iter().enumerate() {
            let mut request = admin.client.get(&url);
            if let Some(range) = whole {
                request = request.header("Range", range);
            }
            let response = request.send().await.unwrap();
            assert!([200, 206].contains(&response.status().as_u16()), "{whole:?}");
            assert_eq!(response.bytes().await.unwrap(), wav(4000), "{whole:?}");
            assert_eq!(downloaded().await, n + 1, "{whole:?} is a download");
        }
    }

    async fn downloads_keep_the_original_bytes_and_are_audited(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(1234);
        let (_, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "a.wav").await;
        let id = body["id"].as_str().unwrap().to_string();
        let admin = app.as_user("acme.admin").await;
        let response = admin.get(&format!("/recordings/{id}/download")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"2026-11-20_093000_inbound_+442079460123_to_2001.wav\"");
        assert_eq!(response.bytes().await.unwrap(), audio);
        let downloaded = app.store.audit_entries(&AuditQuery { action: Some("recording.downloaded".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(downloaded[0].actor_name.as_deref(), Some("acme.admin"));
        // Without Access to Download Recordings: no link, and 404.
        let agent_without = app.user(&seed.acme, Some(&seed.sales), "plain.agent", Level::Staff, &[callrec_domain::Role::Recordings]).await;
        let _ = agent_without;
        let plain = app.as_user("plain.agent").await;
        assert_eq!(plain.get(&format!("/recordings/{id}/download")).await.status(), 404);
    }

    async fn each_level_sees_exactly_its_scope(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let all = &callrec_domain::Role::ALL[..];
        app.user(&seed.acme, Some(&seed.sales), "sales.mate", Level::Staff, all).await;
        app.user(&seed.acme, Some(&seed.sales), "sales.lead", Level::Team, all).await;
        app.user(&seed.acme, None, "acme.boss", Level::Company, all).await;
        app.user(&seed.globex, None, "globex.boss", Level::Company, all).await;
        let acme_token = token_for(&app, &seed.acme, "pbx").await;
        let globex_token = token_for(&app, &seed.globex, "pbx").await;
        let mut ids = std::collections::HashMap::new();
        for (token, who) in [(&acme_token, "acme.agent"), (&acme_token, "sales.mate"), (&acme_token, "acme.support"), (&globex_token, "globex.agent")] {
            let (status, body) = upload(&app, token, metadata(who), wav(400), "a.wav").await;
            assert_eq!(status, 201, "{body}");
            ids.insert(who, body["id"].as_str().unwrap().to_string());
        }
        // Staff agent: own only. Team lead: the Sales team. Company: Acme. Global: all.
        app.store.set_up(0, async |write| write.update_user(seed.acme_agent.id, &callrec_store::UserUpdate {
            details: callrec_store::UserDetailsChange { display_name: callrec_domain::DisplayName::parse("Agent").unwrap(), email: None, extension: None, level: Level::Staff, team_id: Some(seed.sales.id), enabled: true },
            roles: all.iter().copied().collect(),
            password: None,
        }).await).await.unwrap();
        let matrix: [(&str, [bool; 4]); 4] = [
            ("acme.agent", [true, false, false, false]),
            ("sales.lead", [true, true, false, false]),
            ("acme.boss", [true, true, true, false]),
            ("root", [true, true, true, true]),
        ];
        let order = ["acme.agent", "sales.mate", "acme.support", "globex.agent"];
        for (viewer, expected) in matrix {
            let browser = app.as_user(viewer).await;
            let (_, page) = browser.get_text("/recordings").await;
            for (owner, visible) in order.iter().zip(expected) {
                let id = &ids[owner];
                let status = if visible { 200 } else { 404 };
                assert_eq!(page.contains(id.as_str()), visible, "{viewer} listing {owner}");
                assert_eq!(browser.get(&format!("/recordings/{id}/audio")).await.status().as_u16(), status, "{viewer} audio of {owner}");
                assert_eq!(browser.get(&format!("/recordings/{id}/download")).await.status().as_u16(), status, "{viewer} download of {owner}");
            }
        }
        // Unknown and malformed ids look the same as hidden ones.
        let root = app.as_user("root").await;
        for path in ["/recordings/0123456789abcdef0123456789abcdef/audio", "/recordings/not-an-id/download", "/recordings/..%2F..%2Fetc/audio"] {
            assert_eq!(root.get(path).await.status(), 404, "{path}");
        }
    }

    async fn the_page_filters_and_pages(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        for day in 1..=60 {
            let meta = json!({
                "started_at": format!("2026-09-{:02}T{:02}:00:00Z", (day - 1) / 2 + 1, if day % 2 == 0 { 10 } else { 15 }),
                "direction": if day % 3 == 0 { "outbound" } else { "inbound" },
                "from": format!("0770090{day:04}"),
                "to": "2001",
                "username": "acme.agent",
            });
            assert_eq!(upload(&app, &token, meta, wav(80 + day), "a.wav").await.0, 201);
        }
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/recordings").await;
        for label in ["Calling Number", "Called Number", "Start Date/Time", "End Date/Time", "Direction", "User", "Team"] {
            assert!(page.contains(&format!(">{label}</label>")), "{label}");
        }
        assert_eq!(page.matches(" data-play=").count(), 50, "50 a page");
        assert!(page.contains(">Next</a>") && !page.contains(">Previous</a>"));
        let next = page.split("href=\"").filter_map(|s| s.split('"').next()).find(|h| h.contains("after=")).unwrap().replace("&amp;", "&");
        let (_, second) = admin.get_text(&next).await;
        assert_eq!(second.matches(" data-play=").count(), 10);
        assert!(second.contains(">Previous</a>") && !second.contains(">Next</a>"));
        let (_, filtered) = admin.get_text("/recordings?calling_number=0900012").await;
        assert_eq!(filtered.matches(" data-play=").count(), 1);
        let (_, filtered) = admin.get_text("/recordings?start=2026-09-10T00%3A00&end=2026-09-10T23%3A59&direction=inbound").await;
        assert_eq!(filtered.matches(" data-play=").count(), 2, "{}", filtered.len());
        let (_, none) = admin.get_text("/recordings?called_number=999").await;
        assert!(none.contains("No recordings match these filters"));
        let (status, bad) = admin.get_text("/recordings?start=yesterday&after=garbage&user=x&direction=up").await;
        assert_eq!(status, 200);
        assert!(bad.contains("Start Date/Time must be a date and time"));
    }

    async fn delete_needs_the_role_and_moves_to_deleted_recordings(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(333);
        let (_, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "a.wav").await;
        let id = body["id"].as_str().unwrap().to_string();
        let path = app.blobs.path_of(&callrec_store::company_key(seed.acme.id, &sha256_hex(&audio))).unwrap();
        assert!(path.exists());
        let agent = app.as_user("acme.agent").await;
        assert_eq!(agent.post(&format!("/recordings/{id}/delete"), &[]).await.status(), 404, "no delete role");
        let other = app.as_user("globex.admin").await;
        assert_eq!(other.post(&format!("/recordings/{id}/delete"), &[]).await.status(), 404, "other company");
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text(&format!("/recordings?delete={id}")).await;
        assert!(page.contains("Delete this recording?"));
        let response = admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        assert_eq!(location(&response), "/recordings?done=recording-deleted");
        assert_eq!(app.store.count_recordings(None).await.unwrap(), 0);
        assert!(path.exists(), "kept in Deleted recordings, to restore");
        let (_, deleted) = admin.get_text("/recordings/deleted").await;
        assert!(deleted.contains(&id) && deleted.contains("by acme.admin"), "{deleted}");
        let deleted = app.store.audit_entries(&AuditQuery { action: Some("recording.deleted".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(deleted[0].target.as_deref(), Some(id.as_str()));
    }
}
