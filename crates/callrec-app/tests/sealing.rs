//! Data keys (issue 13) on SQLite and PostgreSQL: made once per company
//! even when two nodes ask at once, bound to their company, kept readable
//! across a master key rotation, and retired after a re-seal.

use callrec_app::audit::AuditContext;
use callrec_app::sealing::{open_audio, reseal_company, DataKeys, Opened};
use callrec_app::Keyring;
use callrec_domain::retention::Retention;
use callrec_domain::CompanyName;
use callrec_store::{backend_tests, BlobStore, Store};
use std::io::Read;
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

/// The command line acting at `now`.
fn at(now: i64) -> AuditContext {
    AuditContext {
        now,
        ..AuditContext::command_line()
    }
}

fn keys(current: u8, previous: &[u8]) -> DataKeys {
    let previous: Vec<[u8; 32]> = previous.iter().map(|n| [*n; 32]).collect();
    DataKeys::new(Arc::new(Keyring::new([current; 32], &previous)))
}

async fn read_all(store: &Store, blobs: &BlobStore, keys: &DataKeys, key: &str) -> Option<Vec<u8>> {
    match open_audio(store, blobs, keys, key).await.ok()? {
        Opened::Audio(mut reader) => {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).ok()?;
            Some(bytes)
        }
        _ => None,
    }
}

/// A recording whose audio is `stored`.
async fn recording_of(
    store: &Store,
    company: callrec_domain::CompanyId,
    stored: &callrec_store::StoredBlob,
) {
    use callrec_domain::audio::AudioFormat;
    use callrec_domain::recording::{Direction, RecordingId};
    let new = callrec_store::NewRecording {
        id: RecordingId::from_bytes([5; 16]),
        company_id: company,
        team_id: None,
        user_id: None,
        extension: None,
        direction: Direction::Inbound,
        calling_number: callrec_domain::PhoneNumber::from_stored("2001").unwrap(),
        called_number: callrec_domain::PhoneNumber::from_stored("2002").unwrap(),
        started_at_ms: NOW * 1000,
        duration_ms: 1000,
        format: AudioFormat::Wav,
        size_bytes: stored.size as i64,
        sha256: stored.sha256.clone(),
        storage_key: stored.key.clone(),
        external_id: None,
    };
    store.insert_recording(&new, NOW).await.unwrap();
}

backend_tests! {
    async fn data_keys_are_made_once_and_survive_a_master_key_rotation(db) {
        let acme = db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever).await).await.unwrap();
        let other = db.another_node().await;
        let (a, b) = (keys(1, &[]), keys(1, &[]));
        let (first, second) = tokio::join!(a.current(&db.store, acme.id, NOW), b.current(&other, acme.id, NOW));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!((first.0, second.0), (1, 1), "one key 1, made by one of the two");
        assert_eq!(db.store.all_data_keys().await.unwrap().len(), 1);

        // A file sealed with it; the master key rotates (1 → 2, 1 kept as
        // previous); data keys are rewrapped; the old master key can go.
        let blobs = BlobStore::new(db.data_dir());
        let stored = blobs.put(b"RIFF....WAVE plain audio", acme.id).await.unwrap();
        let path = blobs.path_of(&stored.key).unwrap();
        let mut plain = std::fs::File::open(&path).unwrap();
        callrec_app::sealing::seal_file(&mut plain, &path, &first.1, first.0).unwrap();
        assert_eq!(read_all(&db.store, &blobs, &keys(1, &[]), &stored.key).await.unwrap(), b"RIFF....WAVE plain audio");
        assert_eq!(keys(2, &[1]).rewrap_all(&db.store, &at(NOW)).await.unwrap(), 1);
        assert_eq!(read_all(&db.store, &blobs, &keys(2, &[]), &stored.key).await.unwrap(), b"RIFF....WAVE plain audio");
        assert!(read_all(&db.store, &blobs, &keys(1, &[]), &stored.key).await.is_none(), "the old master key no longer opens it");

        // A data key's row copied to another company does not open there.
        let globex = db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Globex").unwrap(), Retention::Forever).await).await.unwrap();
        let mut copied = db.store.data_key(acme.id, Some(1)).await.unwrap().unwrap();
        copied.company = globex.id;
        db.store.add_data_key(&copied, NOW).await.unwrap();
        assert!(keys(2, &[]).get(&db.store, globex.id, 1).await.is_err(), "bound to its company");

        // Re-sealing moves the file to key 2 (files a recording uses only);
        // key 1 goes only at a run ten minutes after key 2 was made (an
        // upload may still hold key 1).
        recording_of(&db.store, acme.id, &stored).await;
        // A note on it, sealed with key 1 as well (issue 26).
        let recording = db.store.recording_in_scope(&callrec_domain::recording::RecordingId::from_bytes([5; 16]), callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap();
        let text = callrec_domain::note::NoteText::parse("Refund agreed").unwrap();
        let author = callrec_store::NoteAuthor::Token("crm".into());
        callrec_app::notes::add_note(&db.store, &keys(2, &[]), &author, &recording, 500, &text, &at(NOW)).await.unwrap();
        assert_eq!(db.store.notes_of(acme.id, &recording.id).await.unwrap()[0].key_id, 1);
        // And its transcript (issue 28), sealed with key 1 as the worker seals one.
        let words = callrec_domain::transcript::Transcript::from_parties(vec![vec![("Refund".into(), 0, 400), ("agreed".into(), 400, 800)]]);
        let header = callrec_domain::sealed::Header { key_id: 1, prefix: [7; 16] };
        let sealed = callrec_domain::hex::hex(&callrec_domain::sealed::seal(&first.1, &header, words.to_text().as_bytes()));
        db.store.set_up(NOW, async |write| write.queue_transcription(&recording.id, acme.id).await).await.unwrap();
        db.store.claim_transcription("t", NOW, NOW + 60).await.unwrap().unwrap();
        let kept = callrec_store::NewTranscript { recording_id: &recording.id, company_id: acme.id, key_id: 1, sealed, word_count: 2, audio_ms: 800, redacted: 0, terms: &[] };
        assert!(db.store.save_transcript(&kept, "t", NOW).await.unwrap());
        let resealed = reseal_company(&db.store, &blobs, &keys(2, &[]), &acme, &at(NOW), |_, _| {}).await.unwrap();
        assert_eq!((resealed.key_id, resealed.sealed, resealed.skipped, resealed.retired, resealed.notes, resealed.transcripts), (2, 1, 0, false, 1, 1));
        assert_eq!(db.store.notes_of(acme.id, &recording.id).await.unwrap()[0].key_id, 2, "the note moved to key 2 too");
        assert_eq!(db.store.transcript(&recording.id).await.unwrap().unwrap().key_id, 2, "and the transcript");
        assert!(db.store.data_key(acme.id, Some(1)).await.unwrap().is_some(), "key 1 kept for now");
        let later = NOW + callrec_app::sealing::RETIRE_AFTER;
        let resealed = reseal_company(&db.store, &blobs, &keys(2, &[]), &acme, &at(later), |_, _| {}).await.unwrap();
        assert_eq!((resealed.key_id, resealed.sealed, resealed.skipped, resealed.retired), (2, 0, 1, true), "no key 3");
        assert_eq!(db.store.data_key(acme.id, Some(1)).await.unwrap(), None, "key 1 retired");
        assert_eq!(read_all(&db.store, &blobs, &keys(2, &[]), &stored.key).await.unwrap(), b"RIFF....WAVE plain audio");
        let notes = callrec_app::notes::notes_of(&db.store, &keys(2, &[]), &recording).await.unwrap();
        assert_eq!((notes[0].text.as_str(), notes[0].author.as_str()), ("Refund agreed", "token:crm"), "readable after key 1 is gone");
        let view = callrec_app::transcription::reading::transcript_of(&db.store, &keys(2, &[]), &recording, later).await.unwrap();
        assert_eq!(view.transcript.unwrap().words, words.words, "the transcript too");
        // `callrec verify` opens every transcript, and names one that does not open.
        let verify = async || callrec_app::integrity::verify_all(&db.store, &blobs, &keys(2, &[]), None, std::time::Duration::from_secs(60), |_, _| {}).await.unwrap();
        let report = verify().await;
        assert!(report.is_clean() && report.transcripts == 1, "{report:?}");
        db.execute("UPDATE recording_transcripts SET sealed = '00' || sealed").await.unwrap();
        let report = verify().await;
        assert_eq!(report.unreadable_transcripts, [recording.id.as_str().to_string()]);
        assert!(!report.is_clean());
    }
}
