//! Audio in S3-compatible object storage (s3s-fs, started by
//! `scripts/s3-server.sh`): the ingest API, download, Range playback and
//! the orphan sweep over HTTP, on SQLite and PostgreSQL.

use crate::harness::*;
use crate::recordings::{metadata, token_for, upload, wav};
use callrec_app::sealing::DataKeys;
use callrec_app::Keyring;
use callrec_domain::CompanyId;
use callrec_store::backend_tests;
use std::sync::Arc;
use std::time::Duration;

backend_tests! {
    /// An upload is an object in the bucket (sealed, under the company's
    /// prefix), nothing in the data directory; it downloads whole and by
    /// Range, and one large enough goes up in parts.
    async fn audio_in_a_bucket_is_stored_and_served(db) {
        let data_dir = db.data_dir().to_path_buf();
        let Some(app) = spawn_app_on_s3(db, "objects::audio_in_a_bucket_is_stored_and_served").await else { return };
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let small = wav(8000 * 2);
        let (status, body) = upload(&app, &token, metadata("acme.agent"), small.clone(), "call.wav").await;
        assert_eq!(status, 201, "{body}");
        let small_id = body["id"].as_str().unwrap().to_string();
        // 20 MB: more than two 8 MiB parts.
        let large = wav(10_000_000);
        let (status, body) = upload(&app, &token, metadata("acme.agent"), large.clone(), "long.wav").await;
        assert_eq!(status, 201, "{body}");
        let large_id = body["id"].as_str().unwrap().to_string();

        assert!(!data_dir.join("audio").join(format!("c{}", seed.acme.id.0)).exists(), "no audio in the data directory");
        let (keys, leftovers) = app.blobs.scan().await.unwrap();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(leftovers.is_empty(), "the spool is empty: {leftovers:?}");
        let key = keys.iter().find(|k| k.starts_with(&format!("c{}/", seed.acme.id.0))).unwrap();
        let mut object = app.blobs.open(key).await.unwrap().unwrap();
        let head = tokio::task::spawn_blocking(move || {
            let mut head = [0u8; 4];
            std::io::Read::read_exact(&mut object, &mut head).unwrap();
            head
        }).await.unwrap();
        assert_eq!(&head, b"CRA1", "sealed at rest");

        let admin = app.as_user("acme.admin").await;
        for (id, audio) in [(&small_id, &small), (&large_id, &large)] {
            let download = admin.get(&format!("/recordings/{id}/download")).await;
            assert_eq!(download.status(), 200);
            assert_eq!(download.bytes().await.unwrap().to_vec(), *audio, "the original bytes come back");
        }
        let ranged = admin.client
            .get(format!("{}/recordings/{large_id}/audio", admin.base))
            .header("Range", "bytes=9000000-9099999")
            .send().await.unwrap();
        assert_eq!(ranged.status(), 206);
        assert_eq!(ranged.bytes().await.unwrap().to_vec(), large[9_000_000..9_100_000].to_vec());

        // `callrec verify` reads the bucket too: all intact, nothing orphaned.
        let keys = DataKeys::new(Arc::new(Keyring::new(TEST_KEY, &[])));
        let report = callrec_app::integrity::verify_all(&app.store, &app.blobs, &keys, None, Duration::ZERO, |_, _| {}).await.unwrap();
        assert_eq!((report.checked, report.missing.len(), report.altered.len(), report.orphaned.len()), (2, 0, 0, 0), "{report:?}");
    }

    /// An object whose upload never inserted its row (its node died) is
    /// removed by the next node to start once its note is old enough.
    async fn an_object_left_by_a_crashed_upload_is_swept(db) {
        let Some(app) = spawn_app_on_s3(db, "objects::an_object_left_by_a_crashed_upload_is_swept").await else { return };
        let orphan = app.blobs.put(b"RIFF left by a crash", CompanyId(1)).await.unwrap();
        app.store.note_pending_audio(&orphan.key, app.clock.now() - 3600).await.unwrap();
        assert!(app.blobs.open(&orphan.key).await.unwrap().is_some());
        app.second_node().await;
        assert!(app.blobs.open(&orphan.key).await.unwrap().is_none(), "swept from the bucket");
    }
}
