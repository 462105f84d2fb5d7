//! Recordings as evidence, integrity (issue 13), on SQLite and PostgreSQL:
//! a whole file is served only if it still hashes to the SHA-256 taken at
//! ingest, with that fingerprint in `Repr-Digest`; an altered or missing
//! file answers a clear page, is audited, and is never sent.

use crate::harness::*;
use crate::recordings::{metadata, token_for, upload, wav};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_store::{backend_tests, AuditQuery};
use sha2::{Digest, Sha256};

backend_tests! {
    async fn whole_files_are_checked_against_their_fingerprint(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(4321);
        let (_, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "a.wav").await;
        let id = body["id"].as_str().unwrap().to_string();
        let admin = app.as_user("acme.admin").await;

        let response = admin.get(&format!("/recordings/{id}/download")).await;
        assert_eq!(response.status(), 200);
        let fingerprint = STANDARD.encode(Sha256::digest(&audio));
        assert_eq!(response.headers()["repr-digest"], format!("sha-256=:{fingerprint}:").as_str());
        assert_eq!(response.headers()["digest"], format!("sha-256={fingerprint}").as_str());
        assert_eq!(response.bytes().await.unwrap(), audio);

        // The details page shows the fingerprint; another company's user
        // does not find the recording.
        let (status, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert_eq!(status, 200);
        let hex: String = Sha256::digest(&audio).iter().map(|b| format!("{b:02x}")).collect();
        assert!(page.contains(&format!(r#"<code class="fingerprint" aria-label="Fingerprint">{hex}</code>"#)), "{page}");
        assert!(page.contains("<dt>Calling Number</dt><dd>+442079460123</dd>") && page.contains("WAV, "), "{page}");
        let (_, list) = admin.get_text("/recordings").await;
        assert!(list.contains(&format!(r#"href="/recordings/{id}" aria-describedby="r-{id}">Details</a>"#)));
        let outsider = app.as_user("globex.admin").await;
        assert_eq!(outsider.get(&format!("/recordings/{id}")).await.status(), 404);

        // Someone changes the stored file: one byte of the samples.
        let recording = app.store.recording_in_scope(&callrec_domain::recording::RecordingId::parse(&id).unwrap(), callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        let path = app.blobs.path_of(&recording.storage_key).unwrap();
        let mut altered = audio.clone();
        let last = altered.len() - 1;
        altered[last] ^= 0x01;
        std::fs::write(&path, &altered).unwrap();

        let (status, page) = admin.get_text(&format!("/recordings/{id}/download")).await;
        assert_eq!(status, 409);
        assert!(page.contains("Recording unavailable") && page.contains("does not match"), "{page}");
        assert!(!page.contains("RIFF"), "no audio in the answer");
        let (status, _) = admin.get_text(&format!("/recordings/{id}/audio")).await;
        assert_eq!(status, 409, "a play of the whole file is checked too");
        let response = admin.client.get(format!("{}/recordings/{id}/audio", admin.base)).header("Range", "bytes=0-99999999").send().await.unwrap();
        assert_eq!(response.status(), 409, "a range of the whole file is a download, checked");
        let response = admin.client.get(format!("{}/recordings/{id}/audio", admin.base)).header("Range", "bytes=100-199").send().await.unwrap();
        assert_eq!(response.status(), 206, "a part is not checked (it cannot be)");
        assert!(response.headers().get("repr-digest").is_none());

        let failures = app.store.audit_entries(&AuditQuery { action: Some("recording.integrity_failed".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert_eq!(failures[0].target.as_deref(), Some(id.as_str()));
        assert!(failures[0].details.contains("altered"), "{}", failures[0].details);
        assert_eq!(failures[0].company_id, Some(seed.acme.id));

        // And when the file is gone (this was a bare 500).
        std::fs::remove_file(&path).unwrap();
        let (status, page) = admin.get_text(&format!("/recordings/{id}/download")).await;
        assert_eq!(status, 409);
        assert!(page.contains("missing from storage"), "{page}");
        let (status, _) = admin.get_text(&format!("/recordings/{id}/audio")).await;
        assert_eq!(status, 409);
        let failures = app.store.audit_entries(&AuditQuery { action: Some("recording.integrity_failed".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert!(failures[0].details.contains("missing"), "{}", failures[0].details);
    }
}
