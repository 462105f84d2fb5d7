//! Transcripts (issue 28) over HTTP, with a real speech engine
//! (faster-whisper, Whisper tiny.en, `scripts/asr-server.sh`) hearing
//! espeak-ng speech: a company turns transcription on, a call sent
//! through the API is heard party by party by the node's worker, sealed,
//! found by the words said and read in reach only; the settings' queue,
//! retries and give-up; redaction asks "Confirm it's you" to weaken.

use crate::api::get;
use crate::harness::*;
use crate::recordings::{token_for, token_with, upload};
use callrec_app::transcription::engine::EngineSettings;
use callrec_app::transcription::TranscriptionSettings;
use callrec_domain::audio::pcm_wav_channels;
use callrec_domain::recording::RecordingId;
use callrec_domain::transcription::JobState;
use callrec_store::testing::{spoken, two_parties};
use callrec_store::{backend_tests, AuditQuery};
use serde_json::{json, Value};
use std::time::Duration;

/// The test config with a speech engine at `url`.
fn with_engine(url: String) -> callrec_web::WebConfig {
    callrec_web::WebConfig {
        transcription: Some(TranscriptionSettings {
            engine: EngineSettings {
                base_url: url,
                model: "whisper-1".into(),
                api_key: None,
                language: "en".into(),
                timeout: Duration::from_secs(120),
            },
            concurrency: 1,
        }),
        ..test_config()
    }
}

/// Sends a call of Acme's from `from` to agent 2001 (`acme.agent`).
async fn send(app: &TestApp, token: &str, at: &str, wav: Vec<u8>) -> String {
    let metadata = json!({"started_at": at, "direction": "inbound", "from": "+447700900123", "to": "2001", "username": "acme.agent"});
    let (status, body) = upload(app, token, metadata, wav, "call.wav").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// The caller asks about a kettle; the agent answers on the other channel.
fn kettle_call() -> Vec<u8> {
    let caller = spoken("Hello. I would like a refund for my broken kettle.");
    let agent = spoken("Thank you for calling the returns department.");
    pcm_wav_channels(&two_parties(&caller, &agent, 4000), 2, 8000)
}

/// Turns Acme's transcription on as its administrator.
async fn turn_on(app: &TestApp, admin: &Browser, company: i64, days: &str) -> String {
    let response = admin
        .post(
            "/company-settings/transcription",
            &[
                ("company", &company.to_string()),
                ("transcription", "on"),
                ("backfill_days", days),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let _ = app;
    location(&response)
}

/// The transcript through the API, once the node's worker has made it.
async fn transcript_when_ready(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = get(
            &app.address,
            token,
            &format!("/api/v1/recordings/{id}/transcript"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        match body["status"].as_str() {
            Some("ready") => return body,
            Some("queued" | "working") => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("the transcript is {other:?}: {body}"),
        }
    }
    panic!("no transcript after 60 s")
}

/// The words of `party` in an API transcript, folded.
fn words_of(body: &Value, party: u64) -> Vec<String> {
    body["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["party"].as_u64() == Some(party))
        .flat_map(|s| s["words"].as_array().unwrap().iter())
        .map(|w| {
            w["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
        .collect()
}

backend_tests! {
    async fn a_call_is_transcribed_found_by_its_words_and_read_only_in_reach(db) {
        let Some(url) = callrec_store::testing::test_transcribe_url("a_call_is_transcribed_found_by_its_words_and_read_only_in_reach") else { return };
        let app = spawn_app_with(db, with_engine(url)).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        assert_eq!(turn_on(&app, &admin, seed.acme.id.0, "").await, format!("/company-settings?done=transcription-saved#transcription-title"));
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = send(&app, &token, "2026-11-20T09:30:00Z", kettle_call()).await;

        let reader = token_with(&app, &seed.acme, "crm", "transcripts:read,recordings:read").await;
        let body = transcript_when_ready(&app, &reader, &id).await;
        let (caller, agent) = (words_of(&body, 0), words_of(&body, 1));
        assert!(caller.contains(&"kettle".to_string()) && caller.contains(&"refund".to_string()), "caller: {caller:?}");
        assert!(agent.contains(&"department".to_string()) && !agent.contains(&"kettle".to_string()), "agent: {agent:?}");
        assert_eq!(body["speakers"], json!([{"party": 0, "name": "+447700900123"}, {"party": 1, "name": "acme.agent"}]));
        let first = &body["segments"][0]["words"][0];
        assert!(first["start_seconds"].as_f64().unwrap() < first["end_seconds"].as_f64().unwrap(), "{first}");

        // Found by its words (folded and stemmed), within reach only, and
        // opened where the first word was said.
        let (_, list) = admin.get_text("/recordings?said=Refunds+KETTLE").await;
        assert!(list.contains(&format!("/recordings/{id}?back=said%3DRefunds%2BKETTLE&#38;t=")), "found, with where it was said: {list}");
        let (_, list) = admin.get_text("/recordings?said=kettle+giraffe").await;
        assert!(!list.contains(&format!("/recordings/{id}")), "every word must have been said");
        let (_, list) = app.as_user("globex.admin").await.get_text("/recordings?said=kettle").await;
        assert!(!list.contains(&format!("/recordings/{id}")), "not another company's");
        let (_, list) = app.as_user("root").await.get_text("/recordings?said=kettle").await;
        assert!(list.contains(&format!("/recordings/{id}")), "the operator searches every company's");
        let (status, page) = admin.get_text("/recordings?said=%21%21").await;
        assert!(status == 200 && page.contains("Words said needs a word of letters or digits."), "{status}");
        let (status, found) = get(&app.address, &reader, "/api/v1/recordings?said=kettle").await;
        assert_eq!((status, found["items"].as_array().unwrap().len()), (200, 1), "{found}");
        let search_only = token_with(&app, &seed.acme, "search", "recordings:read").await;
        assert_eq!(get(&app.address, &search_only, "/api/v1/recordings?said=kettle").await.0, 404, "what was said needs transcripts:read");
        let (status, body) = get(&app.address, &reader, "/api/v1/recordings?said=a+b+c+d+e+f+g+h+i").await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("said")), "{body}");
        let (_, page) = admin.get_text("/recordings?said=a+b+c+d+e+f+g+h+i").await;
        assert!(page.contains("at most 8 different words"));
        let globex = token_with(&app, &seed.globex, "crm", "transcripts:read,recordings:read").await;
        let (_, found) = get(&app.address, &globex, "/api/v1/recordings?said=kettle").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 0);
        assert_eq!(get(&app.address, &reader, "/api/v1/recordings?said=%01").await.0, 400);

        // Refused across companies and without the scope.
        let path = format!("/api/v1/recordings/{id}/transcript");
        assert_eq!(get(&app.address, &globex, &path).await.0, 404);
        let without = token_with(&app, &seed.acme, "plain", "recordings:read").await;
        assert_eq!(get(&app.address, &without, &path).await.0, 404);

        // The page: by speaker and time, each word a place to play from.
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("id=\"transcript-title\">Transcript</h2>") && page.contains("data-transcript") && page.contains("<span class=\"speaker\">acme.agent</span>"));
        assert!(page.contains("class=\"word\" data-seek=") && page.contains(">Download transcript</a>") && page.contains(">Download WebVTT</a>"));
        let (_, _) = admin.get_text(&format!("/recordings/{id}")).await;
        let response = admin.get(&format!("/recordings/{id}/transcript?format=text")).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-disposition"].to_str().unwrap().ends_with("_transcript.txt\""));
        let text = response.text().await.unwrap();
        assert!(text.starts_with("[0:0") && text.contains("+447700900123: ") && text.to_lowercase().contains("kettle"), "{text}");
        let vtt = admin.get(&format!("/recordings/{id}/transcript?format=vtt")).await.text().await.unwrap();
        assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:0") && vtt.contains("<v acme.agent>"), "{vtt}");
        assert_eq!(app.as_user("globex.admin").await.get(&format!("/recordings/{id}/transcript?format=text")).await.status(), 404);

        // Read: once per session and recording in ten minutes (twice on
        // the page, once by the token); downloads every time.
        let reads = |action: &'static str| AuditQuery { action: Some(action.into()), limit: 50, ..Default::default() };
        let read = app.store.audit_entries(&reads("recording.transcript_read")).await.unwrap();
        assert_eq!(read.len(), 2, "{read:?}");
        assert_eq!(app.store.audit_entries(&reads("recording.transcript_downloaded")).await.unwrap().len(), 2);

        // No word of it in clear in the database (SQLite's files, or a pg_dump).
        let dump = String::from_utf8_lossy(&app.database_bytes()).to_lowercase();
        for word in ["kettle", "department", "broken"] {
            assert!(!dump.contains(word), "{word:?} is in the database in clear");
        }
    }
}

backend_tests! {
    /// Without an engine on the node the queue still fills and empties as
    /// the settings say; its state shows on the settings and the call.
    async fn turning_transcription_on_queues_the_days_asked_and_off_takes_waiting_calls_away(db) {
        // 2026-11-22 12:00 UTC.
        let clock = callrec_app::Clock::manual(1_795_348_800);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let silence = pcm_wav_channels(&[0i16; 16_000], 2, 8000);
        let mut ids = Vec::new();
        for day in ["2026-11-19T09:00:00Z", "2026-11-21T09:00:00Z", "2026-11-22T09:00:00Z"] {
            ids.push(send(&app, &token, day, silence.clone()).await);
        }
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text(&format!("/recordings/{}", ids[2])).await;
        assert!(page.contains("Transcription is off for this company"), "recorded with it off: no job");
        assert!(app.store.transcription_job(&RecordingId::parse(&ids[2]).unwrap()).await.unwrap().is_none());

        let company = seed.acme.id.0.to_string();
        for bad in ["-1", "3651", "two"] {
            let response = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "on"), ("backfill_days", bad)]).await;
            assert_eq!(response.status(), 422, "{bad}");
            assert!(response.text().await.unwrap().contains("Enter the days to go back"));
        }
        let refused = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "off"), ("backfill_days", "3")]).await;
        assert_eq!(refused.status(), 422);
        assert!(!app.store.company(seed.acme.id).await.unwrap().unwrap().transcription, "nothing half-saved");

        // Two days back from noon: the calls of the 21st and 22nd.
        assert_eq!(turn_on(&app, &admin, seed.acme.id.0, "2").await, "/company-settings?done=transcription-queued#transcription-title");
        let (_, settings) = admin.get_text("/company-settings").await;
        assert!(settings.contains("Transcripts: <strong>0</strong> made, <strong>2</strong> waiting, <strong>0</strong> failed."), "{settings}");
        let (_, page) = admin.get_text(&format!("/recordings/{}", ids[1])).await;
        assert!(page.contains("Transcript queued"));
        let (_, page) = admin.get_text(&format!("/recordings/{}", ids[0])).await;
        assert!(page.contains("recorded before transcription was turned on") && page.contains(">Transcribe this call</button>"));
        let response = admin.post(&format!("/recordings/{}/transcript", ids[0]), &[]).await;
        assert_eq!(location(&response), format!("/recordings/{}?done=transcript-queued#transcript-title", ids[0]));
        // New calls queue by themselves.
        let fresh = send(&app, &token, "2026-11-22T11:00:00Z", silence.clone()).await;
        let job = app.store.transcription_job(&RecordingId::parse(&fresh).unwrap()).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(app.store.transcription_queue(Some(seed.acme.id)).await.unwrap().queued, 4);
        // Another company's user cannot queue Acme's call.
        assert_eq!(app.as_user("globex.admin").await.post(&format!("/recordings/{}/transcript", ids[0]), &[]).await.status(), 404);

        let response = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "off")]).await;
        assert_eq!(location(&response), "/company-settings?done=transcription-saved#transcription-title");
        assert_eq!(app.store.transcription_queue(Some(seed.acme.id)).await.unwrap().queued, 0, "waiting calls are taken off");
        let entries = app.store.audit_entries(&AuditQuery { action: Some("company.transcription_changed".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].details, "transcription Off → On; redaction Transcript only → Transcript only; 2 recordings of the last 2 days queued");
        assert!(entries[0].details.starts_with("transcription On → Off;") && entries[0].details.ends_with("4 waiting recordings taken off the queue"), "{}", entries[0].details);

        // Audio redaction destroys originals: an administrator without
        // Access to Delete Recordings cannot turn it on, or transcribe a
        // call under it.
        app.user(&seed.acme, None, "acme.settings", callrec_domain::Level::Company, &[callrec_domain::Role::ManageUsers, callrec_domain::Role::Recordings]).await;
        let settings_only = app.as_user("acme.settings").await;
        let response = settings_only.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "audio")]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains("it needs Access to Delete Recordings"));
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().redaction, callrec_domain::transcription::Redaction::Transcript);
        // Redaction: stronger at once (audio after "Confirm it's you" too);
        // weaker only after "Confirm it's you".
        let response = app.as_unconfirmed_user("acme.admin").await.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "audio")]).await;
        assert!(response.text().await.unwrap().contains("their original audio destroyed"));
        let admin = app.as_user("acme.admin").await;
        let response = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "audio")]).await;
        assert_eq!(location(&response), "/company-settings?done=redaction-saved#redaction-title");
        admin.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "on")]).await;
        let response = settings_only.post(&format!("/recordings/{}/transcript", ids[0]), &[]).await;
        assert_eq!(response.status(), 400, "Transcribe this call would destroy its original");
        admin.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "off")]).await;
        let unconfirmed = app.as_unconfirmed_user("acme.admin").await;
        let response = unconfirmed.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "off")]).await;
        let page = response.text().await.unwrap();
        assert!(page.contains("Confirm it") && page.contains("You are keeping card numbers"), "{page}");
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().redaction, callrec_domain::transcription::Redaction::TranscriptAndAudio);
        let admin = app.as_user("acme.admin").await;
        let response = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "sometimes")]).await;
        assert_eq!(response.status(), 422);
        // Another company's administrator: Acme's settings do not exist.
        assert_eq!(app.as_user("globex.admin").await.post("/company-settings/transcription", &[("company", company.as_str()), ("transcription", "on")]).await.status(), 303, "their own company's instead");
        assert!(!app.store.company(seed.acme.id).await.unwrap().unwrap().transcription);
    }
}

backend_tests! {
    /// An engine that is down: the try is retried with backoff, never a
    /// broken page; after a day it is given up and shown as failed, and
    /// Retry queues it again.
    async fn a_call_the_engine_cannot_hear_is_retried_then_given_up_and_retried_by_hand(db) {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", closed.local_addr().unwrap());
        drop(closed);
        let clock = callrec_app::Clock::manual(1_795_348_800);
        let app = spawn_app_on(db, with_engine(url), clock.clone()).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        turn_on(&app, &admin, seed.acme.id.0, "").await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = send(&app, &token, "2026-11-22T09:00:00Z", pcm_wav_channels(&[0i16; 16_000], 2, 8000)).await;
        let recording = RecordingId::parse(&id).unwrap();
        let job = async || app.store.transcription_job(&recording).await.unwrap().unwrap();
        let wait_for = async |attempts: u32| {
            for _ in 0..200 {
                if job().await.attempts >= attempts { return; }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the worker made no try {attempts}: {:?}", job().await);
        };
        wait_for(1).await;
        let tried = job().await;
        assert_eq!((tried.state, tried.due_at - clock.now()), (JobState::Queued, 30), "tried again in 30 s: {tried:?}");
        assert!(tried.error.as_deref().unwrap().contains("cannot be reached"), "{tried:?}");
        let (status, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(status == 200 && page.contains("Transcript queued"));
        clock.advance(30);
        wait_for(2).await;
        assert_eq!(job().await.due_at - clock.now(), 60, "then in a minute");
        // A day after it was queued the next failure gives it up.
        clock.advance(86_400);
        wait_for(3).await;
        assert_eq!(job().await.state, JobState::Failed);
        // (A day on, the session has ended: signed in again.)
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("Transcript failed — retry") && page.contains(">Retry</button>"));
        let (_, body) = get(&app.address, &token_with(&app, &seed.acme, "crm", "transcripts:read").await, &format!("/api/v1/recordings/{id}/transcript")).await;
        assert_eq!((body["status"].as_str(), body["segments"].as_array().map(Vec::len)), (Some("failed"), Some(0)));
        let response = admin.post(&format!("/recordings/{id}/transcript"), &[]).await;
        assert!(location(&response).contains("done=transcript-queued"));
        let again = job().await;
        assert_eq!((again.state, again.attempts, again.queued_at), (JobState::Queued, 0, clock.now()));
        let entries = app.store.audit_entries(&AuditQuery { action: Some("recording.transcription_queued".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 1);
    }
}

/// The 16-bit samples of a WAV file.
fn samples_of(wav: &[u8]) -> Vec<i16> {
    wav[44..]
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

backend_tests! {
    /// Company settings → Redaction: Transcript and audio. The card number
    /// the caller reads is replaced in the transcript and silenced in a
    /// redacted copy that becomes the call's audio (its own fingerprint,
    /// the original's in the audit entry); the original is destroyed — or,
    /// for a call on hold, kept until the hold is released.
    async fn audio_redaction_silences_the_card_number_and_destroys_the_original_unless_held(db) {
        let Some(url) = callrec_store::testing::test_transcribe_url("audio_redaction_silences_the_card_number_and_destroys_the_original_unless_held") else { return };
        let app = spawn_app_with(db, with_engine(url)).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let company = seed.acme.id.0.to_string();
        let response = admin.post("/company-settings/transcription", &[("company", company.as_str()), ("redaction", "audio")]).await;
        assert_eq!(location(&response), "/company-settings?done=redaction-saved#redaction-title");
        let token = token_for(&app, &seed.acme, "pbx").await;
        let caller = spoken("Hello. My card number is five one three six, seven nine one three, five six seven nine, one three one nine.");
        let agent = spoken("Thank you.");
        let wav = pcm_wav_channels(&two_parties(&caller, &agent, 4000), 2, 8000);
        // Two calls before transcription is on (of other lengths: one file
        // each), one of them goes on hold.
        let longer = pcm_wav_channels(&two_parties(&caller, &agent, 8000), 2, 8000);
        let (free, held) = (send(&app, &token, "2026-11-20T09:30:00Z", wav.clone()).await, send(&app, &token, "2026-11-20T10:30:00Z", longer).await);
        let hold = admin.post(&format!("/recordings/{held}/hold"), &[("reason", "Case 7")]).await;
        assert_eq!(hold.status(), 303);
        let id_of = |id: &str| RecordingId::parse(id).unwrap();
        let before = app.store.recording_in_scope(&id_of(&free), callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        turn_on(&app, &admin, seed.acme.id.0, "1000").await;
        let reader = token_with(&app, &seed.acme, "crm", "transcripts:read,recordings:download").await;
        for id in [&free, &held] {
            let body = transcript_when_ready(&app, &reader, id).await;
            let said = words_of(&body, 0);
            assert!(said.iter().any(|w| w == "card number") && !said.iter().any(|w| w.chars().any(|c| c.is_ascii_digit())), "{said:?}");
            assert_eq!(body["redacted"], 1, "{body}");
        }
        // The served audio is the redacted copy: silent where the number was.
        let body = transcript_when_ready(&app, &reader, &free).await;
        let span = body["segments"].as_array().unwrap().iter().flat_map(|s| s["words"].as_array().unwrap().iter()).find(|w| w["text"] == "[card number]").unwrap().clone();
        let (from, to) = (span["start_seconds"].as_f64().unwrap(), span["end_seconds"].as_f64().unwrap());
        assert!(to - from > 2.0, "the whole number: {span}");
        let response = reqwest::Client::new().get(format!("{}/api/v1/recordings/{free}/audio", app.address)).bearer_auth(&reader).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let served = response.bytes().await.unwrap().to_vec();
        let (now, was) = (samples_of(&served), samples_of(&wav));
        assert_eq!(now.len(), was.len());
        let frames = |a: f64, b: f64| ((a * 8000.0) as usize * 2)..((b * 8000.0) as usize * 2);
        assert!(now[frames(from, to)].iter().all(|s| *s == 0), "silenced on both channels");
        assert!(was[frames(from, to)].iter().any(|s| *s != 0), "where there was speech");
        assert_eq!(now[frames(0.0, from - 0.3)], was[frames(0.0, from - 0.3)], "the rest is the call as it was");
        let after = app.store.recording_in_scope(&id_of(&free), callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        assert_ne!(after.sha256, before.sha256, "its own fingerprint");
        assert!(app.blobs.open(&before.storage_key).await.unwrap().is_none(), "the original is destroyed");
        let entries = app.store.audit_entries(&AuditQuery { action: Some("recording.audio_redacted".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries.len(), 2);
        let entry = entries.iter().find(|e| e.target.as_deref() == Some(free.as_str())).unwrap();
        assert_eq!(entry.details, format!("1 card numbers silenced: the call's audio is now SHA-256 {}; the original, SHA-256 {}, is destroyed", after.sha256, before.sha256));

        // The held call's original is kept (sealed, in use) until the hold goes.
        let original = app.store.redacted_original(&id_of(&held)).await.unwrap().expect("kept for the hold");
        assert!(app.blobs.open(&original.0).await.unwrap().is_some());
        assert!(entries.iter().any(|e| e.target.as_deref() == Some(held.as_str()) && e.details.ends_with("is kept while the call is on legal hold")));
        assert_eq!(crate::records::run_purge(&app).await.files, 0, "not while held");
        assert!(app.blobs.open(&original.0).await.unwrap().is_some());
        assert_eq!(admin.post(&format!("/recordings/{held}/release"), &[]).await.status(), 303);
        crate::records::run_purge(&app).await;
        assert!(app.blobs.open(&original.0).await.unwrap().is_none(), "destroyed once released");
        assert!(app.store.redacted_original(&id_of(&held)).await.unwrap().is_none());
        let report = callrec_app::integrity::verify_all(&app.store, &app.blobs, &callrec_app::sealing::DataKeys::new(std::sync::Arc::new(callrec_app::Keyring::new(TEST_KEY, &[]))), None, Duration::from_secs(0), |_, _| {}).await.unwrap();
        assert!(report.is_clean() && report.transcripts == 2, "{report:?}");
    }
}

backend_tests! {
    /// A transcript follows its recording: into Deleted recordings (out of
    /// Words said and the API), back on Restore, and away with its index
    /// and job when the purge removes the recording.
    async fn a_transcript_follows_its_recording_into_deleted_recordings_and_away(db) {
        let clock = callrec_app::Clock::manual(1_795_348_800);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        turn_on(&app, &admin, seed.acme.id.0, "").await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = send(&app, &token, "2026-11-22T09:00:00Z", pcm_wav_channels(&[0i16; 16_000], 2, 8000)).await;
        let recording = RecordingId::parse(&id).unwrap();
        // Kept as the worker keeps one (its words sealed; one term indexed).
        let key = callrec_app::transcription::index::word_key(&app.store, &callrec_app::Keyring::new(TEST_KEY, &[]), seed.acme.id, clock.now()).await.unwrap();
        let terms = [(key.hash("kettl"), 1200)];
        app.store.claim_transcription("test", clock.now(), clock.now() + 60).await.unwrap().unwrap();
        let kept = callrec_store::NewTranscript { recording_id: &recording, company_id: seed.acme.id, key_id: 1, sealed: "00".into(), word_count: 1, audio_ms: 2000, redacted: 0, terms: &terms };
        assert!(app.store.save_transcript(&kept, "test", clock.now()).await.unwrap());
        let reader = token_with(&app, &seed.acme, "crm", "transcripts:read,recordings:read").await;
        let found = async || get(&app.address, &reader, "/api/v1/recordings?said=kettles").await.1["items"].as_array().unwrap().len();
        assert_eq!(found().await, 1, "stemmed: kettles is kettl");

        admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        assert_eq!(found().await, 0, "a deleted call is not found");
        assert_eq!(get(&app.address, &reader, &format!("/api/v1/recordings/{id}/transcript")).await.0, 404);
        assert!(app.store.transcript(&recording).await.unwrap().is_some(), "kept in Deleted recordings");
        admin.post(&format!("/recordings/deleted/{id}/restore"), &[]).await;
        assert_eq!(found().await, 1, "restored with its transcript");
        admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        clock.advance(i64::from(app.config.records.deleted_days + 1) * 86_400);
        assert_eq!(crate::records::run_purge(&app).await.deleted, 1);
        assert!(app.store.transcript(&recording).await.unwrap().is_none(), "purged with its recording");
        assert!(app.store.transcription_job(&recording).await.unwrap().is_none());
        assert!(app.store.first_said(std::slice::from_ref(&id), &[key.hash("kettl")]).await.unwrap().is_empty(), "and its index");
    }
}
