//! Hearing calls (issue 26) over HTTP: waveform peaks computed when audio
//! arrives (a lane per channel, named by party), inside the viewer's
//! scope; the recording's page opens the player at `?t=`, goes back to
//! the search it came from and on to the calls before and after.

use crate::api::get;
use crate::harness::*;
use crate::recordings::{token_for, upload};
use callrec_domain::audio::pcm_wav_channels;
use callrec_store::backend_tests;
use serde_json::{json, Value};

/// A stereo call: the caller loud for the first half, the agent after.
fn stereo(seconds: usize) -> Vec<u8> {
    let frames = 8000 * seconds;
    let samples: Vec<i16> = (0..frames)
        .flat_map(|i| {
            if i < frames / 2 {
                [16_000, 0]
            } else {
                [0, -8_000]
            }
        })
        .collect();
    pcm_wav_channels(&samples, 2, 8000)
}

async fn call(app: &TestApp, token: &str, at: &str, audio: Vec<u8>) -> String {
    let metadata = json!({"started_at": at, "direction": "inbound", "from": "+447700900123", "to": "2001", "username": "acme.agent"});
    let (status, body) = upload(app, token, metadata, audio, "call.wav").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Calls of `seconds` on 20, 21 and 22 November, oldest first.
async fn three_days(app: &TestApp, token: &str, seconds: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            call(
                app,
                token,
                &format!("2026-11-2{n}T09:30:00Z"),
                stereo(seconds),
            )
            .await,
        );
    }
    ids
}

backend_tests! {
    async fn waveforms_are_computed_on_arrival_with_a_lane_per_party(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = call(&app, &token, "2026-11-20T09:30:00Z", stereo(4)).await;
        let admin = app.as_user("acme.admin").await;
        let response = admin.get(&format!("/recordings/{id}/waveform")).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["duration_ms"], 4000);
        let lanes = body["lanes"].as_array().unwrap();
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[0]["label"], "Caller · +447700900123");
        assert_eq!(lanes[1]["label"], "Agent · acme.agent (2001)");
        let peaks = |lane: usize| lanes[lane]["peaks"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect::<Vec<_>>();
        let (caller, agent) = (peaks(0), peaks(1));
        assert_eq!((caller.len(), agent.len()), (1000, 1000));
        assert_eq!((caller[10], caller[990], agent[10], agent[990]), (125, 0, 0, 62), "each party where it spoke");

        // Scope: another company's user, and an agent's colleague, find nothing.
        assert_eq!(app.as_user("globex.admin").await.get(&format!("/recordings/{id}/waveform")).await.status(), 404);
        assert_eq!(admin.get("/recordings/0123456789abcdef0123456789abcdef/waveform").await.status(), 404);
        // Not audited: the peaks say when someone spoke, not what.
        let plays = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.played".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert!(plays.is_empty(), "{plays:?}");

        // MP3 is decoded on arrival: the same two lanes (the fixture's
        // caller at half scale, then its agent at 0.9).
        let mp3 = include_bytes!("../../../callrec-app/tests/fixtures/two-parties.mp3").to_vec();
        let metadata = json!({"started_at": "2026-11-21T09:30:00Z", "direction": "inbound", "from": "+447700900123", "to": "2001", "username": "acme.agent", "duration_ms": 3000});
        let (status, body) = upload(&app, &token, metadata, mp3, "call.mp3").await;
        assert_eq!(status, 201, "{body}");
        let body: Value = admin.get(&format!("/recordings/{}/waveform", body["id"].as_str().unwrap())).await.json().await.unwrap();
        let lanes = body["lanes"].as_array().unwrap();
        assert_eq!(lanes.len(), 2, "{body}");
        let loudest = |lane: usize, from: usize, to: usize| lanes[lane]["peaks"].as_array().unwrap()[from..to].iter().map(|p| p.as_u64().unwrap()).max().unwrap();
        assert!(loudest(0, 50, 450) > 100 && loudest(0, 550, 950) < 20, "{body}");
        assert!(loudest(1, 50, 450) < 20 && loudest(1, 550, 950) > 200, "{body}");
    }

    async fn the_recording_page_opens_at_t_and_keeps_the_search(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let ids = three_days(&app, &token, 90).await;
        let admin = app.as_user("acme.admin").await;
        let (_, list) = admin.get_text("/recordings?number=07700+900123").await;
        assert!(list.contains(&format!("href=\"/recordings/{}?back=number%3D07700%2B900123\"", ids[1])), "rows keep the search");
        let (status, page) = admin.get_text(&format!("/recordings/{}?t=83&back=number%3D07700%2B900123", ids[1])).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("data-id=\"{}\" data-start=\"83\"", ids[1])), "the player opens at 1:23");
        assert!(page.contains("href=\"/recordings?number=07700+900123\">Back to Recordings</a>"), "{page}");
        assert!(page.contains(&format!("href=\"/recordings/{}?back=number%3D07700%2B900123\">Previous call</a>", ids[2])), "the newer call");
        assert!(page.contains(&format!("href=\"/recordings/{}?back=number%3D07700%2B900123\">Next call</a>", ids[0])), "the older call");
        // The player comes first, the fingerprint last.
        let (player, fingerprint) = (page.find("aria-label=\"Player\"").unwrap(), page.find("Fingerprint (SHA-256)").unwrap());
        assert!(player < page.find("The call</h2>").unwrap() && page.find("Retention and legal hold").unwrap() < fingerprint);
        // A moment past the end is the end; nonsense is the start.
        let (_, page) = admin.get_text(&format!("/recordings/{}?t=999", ids[0])).await;
        assert!(page.contains("data-start=\"90\"") && !page.contains("Next call</a>"));
        let (_, page) = admin.get_text(&format!("/recordings/{}?t=soon", ids[2])).await;
        assert!(page.contains("data-start=\"0\"") && !page.contains("Previous call</a>"));
    }
}

backend_tests! {
    async fn notes_are_sealed_audited_and_changed_by_their_author_for_a_day(db) {
        // 2026-11-21 10:00 UTC.
        let clock = callrec_app::Clock::manual(1_795_255_200);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = call(&app, &token, "2026-11-20T09:30:00Z", stereo(90)).await;
        let notes = format!("/recordings/{id}/notes");
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("No notes yet") && page.contains(">Add note</button>"));

        let response = admin.post(&notes, &[("note", "Customer asked for a refund"), ("at", "1:23"), ("back", "number=2001")]).await;
        assert_eq!(location(&response), format!("/recordings/{id}?done=note-added&t=83&back=number%3D2001#notes-title"));
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Customer asked for a refund") && page.contains("data-note-at=\"83\"") && page.contains("aria-label=\"Play from 1:23\""));
        assert!(page.contains("acme.admin · 2026-11-21 10:00") && page.contains(">Delete note</button>"));
        // Bad notes change nothing.
        for form in [[("note", " "), ("at", "0:10")], [("note", "x"), ("at", "1:x")]] {
            assert_eq!(admin.post(&notes, &form).await.status(), 422, "{form:?}");
        }
        // Sealed at rest; audited without its words.
        let dump = String::from_utf8_lossy(&app.database_bytes()).to_string();
        assert!(!dump.contains("asked for a refund"), "the note's text is sealed");
        let entries = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.note_added".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 1, "the refused ones left no entry");
        assert_eq!((entries[0].target.as_deref(), entries[0].details.as_str()), (Some(id.as_str()), "note at 1:23"));
        let note_id = app.store.notes_of(seed.acme.id, &callrec_domain::recording::RecordingId::parse(&id).unwrap()).await.unwrap()[0].id.to_string();

        // Its author edits it; someone else may read it, not change it.
        let response = admin.post(&notes, &[("change", "edit"), ("note_id", &note_id), ("note", "Refund agreed")]).await;
        assert!(location(&response).contains("done=note-changed"));
        let agent = app.as_user("acme.agent").await;
        let (_, page) = agent.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Refund agreed") && page.contains(" · edited") && !page.contains(">Delete note</button>"));
        let response = agent.post(&notes, &[("change", "delete"), ("note_id", &note_id)]).await;
        assert!(location(&response).contains("done=note-locked"));
        // Another company's user: the recording does not exist.
        assert_eq!(app.as_user("globex.admin").await.post(&notes, &[("note", "hi"), ("at", "0:01")]).await.status(), 404);

        // A note whose seal was changed is said as such; the page still works.
        callrec_store::testing::execute(&app.store, "UPDATE recording_notes SET sealed = '00' || sealed").await.unwrap();
        let (status, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(status == 200 && page.contains("This note cannot be opened"), "{status}");
        assert_eq!(page.matches("data-play=").count() + page.matches("aria-label=\"Player\"").count(), 1, "the player is there");
        callrec_store::testing::execute(&app.store, "UPDATE recording_notes SET sealed = substr(sealed, 3)").await.unwrap();

        // A day later the note stays as it is.
        clock.advance(24 * 3600);
        let admin = app.as_user("acme.admin").await;
        let response = admin.post(&notes, &[("change", "delete"), ("note_id", &note_id)]).await;
        assert!(location(&response).contains("done=note-locked"));
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Refund agreed") && !page.contains(">Delete note</button>"));

        // Who listened: plays and downloads, for those with Access to Audit Log.
        assert!(page.contains("No one has played or downloaded this recording yet."));
        assert_eq!(admin.get(&format!("/recordings/{id}/download")).await.status(), 200);
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains(">Who listened</h2>") && page.contains("<td data-label=\"Who\">acme.admin</td><td data-label=\"What\">Downloaded</td>"), "{page}");
        let (_, page) = agent.get_text(&format!("/recordings/{id}")).await;
        assert!(!page.contains("Who listened"), "not without Access to Audit Log");

        // Notes follow the recording into Deleted recordings, back, and away.
        admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        admin.post(&format!("/recordings/deleted/{id}/restore"), &[]).await;
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Refund agreed"), "restored with its note");
        admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        clock.advance(i64::from(app.config.records.deleted_days + 1) * 86_400);
        assert_eq!(crate::records::run_purge(&app).await.deleted, 1);
        let left = app.store.notes_of(seed.acme.id, &callrec_domain::recording::RecordingId::parse(&id).unwrap()).await.unwrap();
        assert!(left.is_empty(), "purged with its recording");
    }
}

/// `POST {path}` with a JSON body and a token.
async fn post_json(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &str,
    content_type: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

backend_tests! {
    async fn notes_through_the_api_need_their_scopes_and_stay_in_the_company(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = call(&app, &token, "2026-11-20T09:30:00Z", stereo(60)).await;
        let path = format!("/api/v1/recordings/{id}/notes");
        let writer = crate::recordings::token_with(&app, &seed.acme, "crm", "notes:write,notes:read").await;
        let reader = crate::recordings::token_with(&app, &seed.acme, "reader", "recordings:read").await;
        let globex = crate::recordings::token_with(&app, &seed.globex, "crm", "notes:write,notes:read").await;
        let json = "application/json";

        let (status, body) = post_json(&app, &writer, &path, r#"{"at_seconds": 42, "text": "Wants a callback"}"#, json).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!((body["at_seconds"].as_i64(), body["text"].as_str(), body["author"].as_str()), (Some(42), Some("Wants a callback"), Some("token:crm")));
        // Past the end of the call: its end.
        let (status, body) = post_json(&app, &writer, &path, r#"{"at_seconds": 600, "text": "End"}"#, json).await;
        assert_eq!((status, body["at_seconds"].as_i64()), (201, Some(60)));
        for (bad, status, code) in [
            (r#"{"at_seconds": 1, "text": "  "}"#, 422, "invalid_note"),
            (r#"{"at_seconds": -1, "text": "x"}"#, 422, "invalid_note"),
            (r#"{"at_seconds": 1, "text": "x", "extra": 1}"#, 422, "invalid_body"),
            (r#"{"at_seconds": "soon"}"#, 422, "invalid_body"),
            ("not json", 400, "invalid_body"),
        ] {
            let (got, body) = post_json(&app, &writer, &path, bad, json).await;
            assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{bad}: {body}");
        }
        let (got, _) = post_json(&app, &writer, &path, r#"{"at_seconds": 1, "text": "x"}"#, "text/plain").await;
        assert_eq!(got, 415);
        // Without the scope, or from another company: no such thing.
        for (who, body) in [(&reader, r#"{"at_seconds": 1, "text": "x"}"#), (&globex, r#"{"at_seconds": 1, "text": "x"}"#)] {
            let (got, answer) = post_json(&app, who, &path, body, json).await;
            assert_eq!((got, answer["error"]["code"].as_str()), (404, Some("not_found")));
        }
        let (status, body) = get(&app.address, &writer, &path).await;
        assert_eq!(status, 200);
        let texts: Vec<&str> = body["items"].as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["Wants a callback", "End"], "in the order of the call");
        assert_eq!(get(&app.address, &globex, &path).await.0, 404);
        // The page shows them too; the audit log names the token.
        let (_, page) = app.as_user("acme.admin").await.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Wants a callback") && page.contains("token:crm · "));
        let entries = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.note_added".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].actor_name.as_deref(), Some("token:crm"));
    }
}

backend_tests! {
    async fn the_bulk_bar_holds_and_deletes_the_ticked_rows(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let ids = three_days(&app, &token, 2).await;
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains(">Place on hold…</button>") && page.contains(">Delete…</button>") && page.contains("0 selected"));
        // Nothing ticked: said on the page, the search kept.
        let (status, page) = admin.post_text("/recordings/selected/hold", &[("reason", "Case 7"), ("number", "07700 900123")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Select the recordings to place on hold first") && page.contains(r#"value="07700 900123""#), "{page}");
        let response = admin.post("/recordings/selected/hold", &[("reason", "Case 7"), ("id", &ids[0]), ("id", &ids[1]), ("number", "2001")]).await;
        assert_eq!(location(&response), "/recordings?number=2001&done=selected-held");
        let held: Vec<bool> = {
            let mut held = Vec::new();
            for id in &ids {
                let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
                held.push(page.contains("Case 7"));
            }
            held
        };
        assert_eq!(held, [true, true, false]);
        // Delete: the held one stays; the other moves to Deleted recordings.
        let response = admin.post("/recordings/selected/delete", &[("id", &ids[1]), ("id", &ids[2])]).await;
        assert_eq!(location(&response), "/recordings?done=selected-deleted-held-kept");
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains(&ids[0]) && page.contains(&ids[1]) && !page.contains(&ids[2]));
        // A ticked row deleted meanwhile is passed over (the action can be
        // sent again); none left at all is not found.
        let response = admin.post("/recordings/selected/delete", &[("id", &ids[2]), ("id", &ids[1])]).await;
        assert_eq!(location(&response), "/recordings?done=selected-deleted-held-kept");
        assert_eq!(admin.post("/recordings/selected/delete", &[("id", &ids[2])]).await.status(), 404);
        // Another company's id, and no role: not found.
        let globex = app.as_user("globex.admin").await;
        assert_eq!(globex.post("/recordings/selected/delete", &[("id", &ids[0])]).await.status(), 404);
        assert_eq!(app.as_user("acme.agent").await.post("/recordings/selected/hold", &[("reason", "x"), ("id", &ids[0])]).await.status(), 404);
        let entries = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.deleted".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 1, "one entry per recording moved");
    }
}

backend_tests! {
    async fn tags_are_the_companys_own_set_on_calls_and_searched(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let ids = three_days(&app, &token, 2).await;
        let admin = app.as_user("acme.admin").await;
        // Company settings → Tags: added once per name, in any case.
        for name in ["Complaint", "Sale"] {
            let response = admin.post("/company-settings/tags", &[("change", "add"), ("name", name)]).await;
            assert_eq!(location(&response), "/company-settings?done=tag-added#tags-title");
        }
        assert_eq!(admin.post("/company-settings/tags", &[("change", "add"), ("name", " complaint ")]).await.status(), 422);
        assert_eq!(admin.post("/company-settings/tags", &[("change", "add"), ("name", "")]).await.status(), 422);
        let tags = app.store.company_tags(seed.acme.id).await.unwrap();
        assert_eq!(tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Complaint", "Sale"]);
        let (complaint, sale) = (tags[0].id.to_string(), tags[1].id.to_string());

        // On a recording's page, and on ticked rows.
        let response = admin.post(&format!("/recordings/{}/tags", ids[0]), &[("tag", &complaint), ("tag", &sale)]).await;
        assert!(location(&response).contains("done=tags-saved"));
        let response = admin.post("/recordings/selected/tag", &[("tag_id", &complaint), ("id", &ids[1]), ("id", &ids[0])]).await;
        assert_eq!(location(&response), "/recordings?done=selected-tagged");
        let (_, page) = admin.get_text(&format!("/recordings/{}", ids[0])).await;
        assert_eq!(page.matches("name=\"tag\" value=").count(), 2);
        assert_eq!(page.matches("\" checked> ").count(), 2, "both tags on the first call");
        // The Tag filter.
        let (_, page) = admin.get_text(&format!("/recordings?tag={complaint}")).await;
        assert_eq!(page.matches(" data-play=").count(), 2);
        let (_, page) = admin.get_text(&format!("/recordings?tag={sale}&number=07700+900123")).await;
        assert_eq!(page.matches(" data-play=").count(), 1, "with the number index too");
        // Another company: the tags are not its own.
        let globex = app.as_user("globex.admin").await;
        assert_eq!(globex.post(&format!("/recordings/{}/tags", ids[0]), &[("tag", &complaint)]).await.status(), 404);
        assert_eq!(globex.post("/company-settings/tags", &[("change", "remove"), ("tag_id", &complaint)]).await.status(), 404);
        let (_, page) = globex.get_text(&format!("/recordings?tag={complaint}")).await;
        assert_eq!(page.matches(" data-play=").count(), 0);
        // Removing a tag takes it off every call; each change is audited.
        let response = admin.post("/company-settings/tags", &[("change", "remove"), ("tag_id", &complaint)]).await;
        assert!(location(&response).contains("done=tag-removed"));
        let (_, page) = admin.get_text(&format!("/recordings?tag={complaint}")).await;
        assert_eq!(page.matches(" data-play=").count(), 0);
        let entries = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.tags_changed".into()), limit: 10, ..Default::default() }).await.unwrap();
        let details: Vec<&str> = entries.iter().map(|e| e.details.as_str()).collect();
        assert_eq!(details, ["+Complaint", "+Complaint +Sale"], "the second tag run added only what was new");
    }
}
