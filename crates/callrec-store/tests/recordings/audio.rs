//! Recordings and their audio files: ingest, deletion, sealing, per-company folders.

use super::*;

backend_tests! {
    /// A re-seal replaces a file only while a recording uses its key, under
    /// the key's lock: a file purged (or never used) meanwhile is not
    /// brought back or overwritten (security review of issue 14, item 1).
    async fn a_reseal_never_brings_back_a_purged_file(db) {
        let blobs = BlobStore::new(db.data_dir());
        let purged = blobs.put(b"RIFF audio of a purged recording", CompanyId(1)).await.unwrap();
        blobs.remove(&purged.key).await.unwrap();
        let temp = blobs.spool_path(".sealing").await.unwrap();
        std::fs::write(&temp, b"sealed again").unwrap();
        assert!(!db.store.replace_audio_if_used(&purged.key, &temp, &blobs).await.unwrap());
        assert!(blobs.open(&purged.key).await.unwrap().is_none(), "not brought back");
        assert!(!temp.exists());
        let unused = blobs.put(b"RIFF audio no recording uses", CompanyId(1)).await.unwrap();
        let temp = blobs.spool_path(".sealing").await.unwrap();
        std::fs::write(&temp, b"sealed again").unwrap();
        assert!(!db.store.replace_audio_if_used(&unused.key, &temp, &blobs).await.unwrap());
        let path = blobs.path_of(&unused.key).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"RIFF audio no recording uses");
    }

    async fn external_ids_make_ingest_idempotent(db) {
        let w = world(&db.store).await;
        let mut first = recording(1, &w.acme, Some(&w.sales), Some(&w.agent), T0);
        first.external_id = Some("pbx-1".into());
        assert_eq!(db.store.insert_recording(&first, NOW).await.unwrap(), Inserted::Created(id(1)));
        let mut retry = recording(2, &w.acme, Some(&w.sales), Some(&w.agent), T0);
        retry.external_id = Some("pbx-1".into());
        assert_eq!(db.store.insert_recording(&retry, NOW).await.unwrap(), Inserted::Existing(id(1)));
        // Another company may use the same external id.
        let mut elsewhere = recording(3, &w.globex, None, None, T0);
        elsewhere.external_id = Some("pbx-1".into());
        assert_eq!(db.store.insert_recording(&elsewhere, NOW).await.unwrap(), Inserted::Created(id(3)));
        // Without external ids, nothing is deduplicated.
        db.store.insert_recording(&recording(4, &w.acme, None, None, T0), NOW).await.unwrap();
        db.store.insert_recording(&recording(5, &w.acme, None, None, T0), NOW).await.unwrap();
        assert_eq!(db.store.count_recordings(Some(w.acme.id)).await.unwrap(), 3);
        let err = db.store.insert_recording(&recording(4, &w.acme, None, None, T0), NOW).await;
        assert!(err.is_err(), "the same id twice is refused");
    }

    async fn delete_removes_audio_only_when_unused(db) {
        let w = world(&db.store).await;
        let blobs = BlobStore::new(db.data_dir());
        let stored = blobs.put(b"RIFF....WAVEshared", w.acme.id).await.unwrap();
        let rows = [1, 2].map(|n| NewRecording { storage_key: stored.key.clone(), ..recording(n, &w.acme, None, None, T0) });
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        let path = blobs.path_of(&stored.key).unwrap();
        assert!(!bin(&db.store, &id(1), DataScope::Company(w.globex.id)).await, "outside the scope");
        assert!(bin(&db.store, &id(1), DataScope::Company(w.acme.id)).await);
        assert!(!db.store.remove_audio_if_unused(&stored.key, &blobs).await.unwrap(), "a deleted recording may be restored: its audio stays");
        assert!(!delete_for_good(&db.store, &id(1), w.acme.id, &blobs).await, "recording 2 shares the audio");
        assert!(path.exists());
        assert!(!bin(&db.store, &id(1), DataScope::Everything).await, "already gone");
        assert!(delete_for_good(&db.store, &id(2), w.acme.id, &blobs).await);
        assert!(!path.exists());
        assert!(db.store.storage_keys().await.unwrap().is_empty());
    }

    /// Security review, item 13: a delete of the last recording using some
    /// audio, racing an upload of the same bytes on another node, must never
    /// remove the file the upload was acknowledged with.
    async fn removing_audio_never_takes_a_file_an_upload_just_placed(db) {
        let w = world(&db.store).await;
        let blobs = BlobStore::new(db.data_dir());
        let other = db.another_node().await;
        for round in 0..25u8 {
            let bytes = format!("RIFF....WAVE round {round}").into_bytes();
            let stored = blobs.put(&bytes, w.acme.id).await.unwrap();
            let old = NewRecording { storage_key: stored.key.clone(), ..recording(round, &w.acme, None, None, T0) };
            db.store.insert_recording(&old, NOW).await.unwrap();
            let mut writer = blobs.writer().await.unwrap();
            writer.write(&bytes).await.unwrap();
            let prepared = blobs.finish(writer, w.acme.id).await.unwrap();
            assert_eq!(prepared.key, stored.key, "same bytes, same company, same key");
            let new = NewRecording { storage_key: prepared.key.clone(), ..recording(100 + round, &w.acme, None, None, T0) };
            // Each on its own task, released together: a `join!` in one
            // task always polled the delete first.
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let deleting = {
                let (store, id, company, blobs, barrier) = (db.store.clone(), old.id.clone(), w.acme.id, blobs.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    delete_for_good(&store, &id, company, &blobs).await;
                })
            };
            let inserting = {
                let (store, new, blobs, barrier) = (other.clone(), new.clone(), blobs.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.insert_recording_with_audio(&new, NOW, &blobs, prepared, callrec_store::Extras::default(), ingested).await
                })
            };
            deleting.await.unwrap();
            inserting.await.unwrap().unwrap();
            assert!(blobs.path_of(&new.storage_key).unwrap().exists(), "round {round}: an acknowledged upload lost its audio");
        }
    }

    /// The same bytes in two companies are two files: a company's delete
    /// never touches another's audio.
    async fn audio_is_stored_per_company(db) {
        let w = world(&db.store).await;
        let blobs = BlobStore::new(db.data_dir());
        let acme = blobs.put(b"RIFF....WAVEsame", w.acme.id).await.unwrap();
        let globex = blobs.put(b"RIFF....WAVEsame", w.globex.id).await.unwrap();
        assert_eq!(acme.sha256, globex.sha256);
        assert_ne!(acme.key, globex.key);
        assert_ne!(blobs.path_of(&acme.key), blobs.path_of(&globex.key));
        let (keys, _) = blobs.scan().await.unwrap();
        assert!(keys.contains(&acme.key) && keys.contains(&globex.key), "{keys:?}");
        assert!(db.store.remove_audio_if_unused(&acme.key, &blobs).await.unwrap());
        assert!(blobs.path_of(&globex.key).unwrap().exists());
    }
}
