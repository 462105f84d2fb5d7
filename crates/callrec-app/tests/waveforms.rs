//! The waveform job (issue 26) on SQLite and PostgreSQL: files stored
//! before there were peaks get them, once, from their sealed bytes; one
//! node at a time; files whose samples cannot be read are marked and not
//! tried again; the peaks go with the file.

use callrec_app::sealing::{seal_plain_files, DataKeys};
use callrec_app::waveforms::{fill_missing, peaks_of, Filled};
use callrec_app::Keyring;
use callrec_domain::audio::{pcm_wav_channels, AudioFormat};
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::retention::Retention;
use callrec_domain::{CompanyName, PhoneNumber};
use callrec_store::{backend_tests, BlobStore, NewRecording, StoredBlob};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

fn recording(
    n: u8,
    company: callrec_domain::CompanyId,
    stored: &StoredBlob,
    format: AudioFormat,
) -> NewRecording {
    NewRecording {
        id: RecordingId::from_bytes([n; 16]),
        company_id: company,
        team_id: None,
        user_id: None,
        extension: None,
        direction: Direction::Inbound,
        calling_number: PhoneNumber::from_stored("2001").unwrap(),
        called_number: PhoneNumber::from_stored("2002").unwrap(),
        started_at_ms: NOW * 1000 + i64::from(n),
        duration_ms: 1000,
        format,
        size_bytes: stored.size as i64,
        sha256: stored.sha256.clone(),
        storage_key: stored.key.clone(),
        external_id: None,
    }
}

backend_tests! {
    async fn older_files_get_their_peaks_once(db) {
        let acme = db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever).await).await.unwrap();
        let blobs = BlobStore::new(db.data_dir());
        let keys = DataKeys::new(Arc::new(Keyring::new([3; 32], &[])));
        let stereo: Vec<i16> = (0..8000).flat_map(|i| [if i < 4000 { 30_000 } else { 0 }, 1_000]).collect();
        let wav = pcm_wav_channels(&stereo, 2, 8000);
        let expected = peaks_of(&mut wav.as_slice()).unwrap().unwrap();
        let good = blobs.put(&wav, acme.id).await.unwrap();
        let mut adpcm = pcm_wav_channels(&[0; 100], 1, 8000);
        adpcm[20] = 2;
        let odd = blobs.put(&adpcm, acme.id).await.unwrap();
        let mp3 = blobs.put(b"ID3\x04\0\0\0\0\0\0\0\0 not really", acme.id).await.unwrap();
        // Two recordings share the good file; one uses the MP3.
        let rows = [
            recording(1, acme.id, &good, AudioFormat::Wav),
            recording(2, acme.id, &good, AudioFormat::Wav),
            recording(3, acme.id, &odd, AudioFormat::Wav),
            recording(4, acme.id, &mp3, AudioFormat::Mp3),
        ];
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        // Read through the seal, as files are at rest.
        seal_plain_files(&db.store, &blobs, &keys, NOW, |_, _| {}).await.unwrap();
        assert_eq!(db.store.count_audio_missing_peaks().await.unwrap(), 2, "two WAV files, the MP3 not counted");

        // Another holder at work: this run leaves it to them.
        let other = db.another_node().await;
        let held = callrec_app::lease::Lease::take(&other, callrec_store::Job::Waveforms, "other", 600).await.unwrap().unwrap();
        assert_eq!(fill_missing(&db.store, &blobs, &keys, "me", |_, _| {}).await.unwrap(), None);
        held.release().await.unwrap();

        let mut seen = Vec::new();
        let filled = fill_missing(&db.store, &blobs, &keys, "me", |done, total| seen.push((done, total))).await.unwrap();
        assert_eq!(filled, Some(Filled { drawn: 1, without: 1, failed: 0 }));
        assert_eq!(seen, [(1, 2), (2, 2)], "progress as it goes");
        assert_eq!(db.store.audio_peaks(&good.key).await.unwrap().as_ref(), Some(&expected));
        assert_eq!(db.store.audio_peaks(&odd.key).await.unwrap(), None, "no samples to draw");
        assert_eq!(db.store.count_audio_missing_peaks().await.unwrap(), 0, "neither is tried again");
        assert_eq!(fill_missing(&db.store, &blobs, &keys, "me", |_, _| {}).await.unwrap(), Some(Filled::default()));

        // The peaks go with a file no recording uses; a used one keeps both.
        let spare = blobs.put(&pcm_wav_channels(&[9; 80], 1, 8000), acme.id).await.unwrap();
        db.store.save_audio_peaks(&spare.key, Some(&expected)).await.unwrap();
        assert!(db.store.audio_peaks(&spare.key).await.unwrap().is_some());
        assert!(db.store.remove_audio_if_unused(&spare.key, &blobs).await.unwrap());
        assert_eq!(db.store.audio_peaks(&spare.key).await.unwrap(), None);
        assert!(!db.store.remove_audio_if_unused(&good.key, &blobs).await.unwrap());
        assert!(db.store.audio_peaks(&good.key).await.unwrap().is_some());
    }
}
