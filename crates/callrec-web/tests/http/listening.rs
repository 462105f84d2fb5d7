//! Hearing calls (issue 26) over HTTP: waveform peaks computed when audio
//! arrives (a lane per channel, named by party), inside the viewer's
//! scope; the recording's page opens the player at `?t=`, goes back to
//! the search it came from and on to the calls before and after.

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
    }

    async fn the_recording_page_opens_at_t_and_keeps_the_search(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(call(&app, &token, &format!("2026-11-2{n}T09:30:00Z"), stereo(90)).await);
        }
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
        assert!(page.contains("data-start=\"90\"") && page.contains("Next call</a>") == false);
        let (_, page) = admin.get_text(&format!("/recordings/{}?t=soon", ids[2])).await;
        assert!(page.contains("data-start=\"0\"") && !page.contains("Previous call</a>"));
    }
}
