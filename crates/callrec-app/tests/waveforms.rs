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

/// Three seconds of stereo at 8 kHz (`lame -m s -b 16`, `oggenc -q 0`):
/// the caller at half scale for the first half, the agent at 0.9 for the
/// second.
const TWO_PARTIES_MP3: &[u8] = include_bytes!("fixtures/two-parties.mp3");
const TWO_PARTIES_OGG: &[u8] = include_bytes!("fixtures/two-parties.ogg");

fn assert_two_parties(peaks: &callrec_domain::waveform::Peaks, name: &str) {
    let [caller, agent] = peaks.channels() else {
        panic!("{name}: two lanes, {}", peaks.channels().len())
    };
    let loudest = |lane: &[u8], from: usize, to: usize| {
        lane[lane.len() * from / 100..lane.len() * to / 100]
            .iter()
            .copied()
            .max()
            .unwrap()
    };
    let (c1, c2, a1, a2) = (
        loudest(caller, 5, 45),
        loudest(caller, 55, 95),
        loudest(agent, 5, 45),
        loudest(agent, 55, 95),
    );
    assert!(
        (110..=150).contains(&c1) && c2 < 20,
        "{name} caller: {c1} then {c2}"
    );
    assert!(
        a1 < 20 && (200..=255).contains(&a2),
        "{name} agent: {a1} then {a2}"
    );
}

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
        let expected = peaks_of(std::io::Cursor::new(wav.clone())).unwrap().unwrap();
        let good = blobs.put(&wav, acme.id).await.unwrap();
        let mut adpcm = pcm_wav_channels(&[0; 100], 1, 8000);
        adpcm[20] = 2;
        let odd = blobs.put(&adpcm, acme.id).await.unwrap();
        let fake = blobs.put(b"ID3\x04\0\0\0\0\0\0\0\0 not really", acme.id).await.unwrap();
        let mp3 = blobs.put(TWO_PARTIES_MP3, acme.id).await.unwrap();
        let ogg = blobs.put(TWO_PARTIES_OGG, acme.id).await.unwrap();
        // Two recordings share the good file.
        let rows = [
            recording(1, acme.id, &good, AudioFormat::Wav),
            recording(2, acme.id, &good, AudioFormat::Wav),
            recording(3, acme.id, &odd, AudioFormat::Wav),
            recording(4, acme.id, &fake, AudioFormat::Mp3),
            recording(5, acme.id, &mp3, AudioFormat::Mp3),
            recording(6, acme.id, &ogg, AudioFormat::Ogg),
        ];
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        // Read through the seal, as files are at rest.
        seal_plain_files(&db.store, &blobs, &keys, NOW, |_, _| {}).await.unwrap();
        assert_eq!(db.store.count_audio_missing_peaks().await.unwrap(), 5, "three WAV files, two MP3 and an Ogg, one file shared");

        // Another holder at work: this run leaves it to them.
        let other = db.another_node().await;
        let held = callrec_app::lease::Lease::take(&other, callrec_store::Job::Waveforms, "other", 600).await.unwrap().unwrap();
        assert_eq!(fill_missing(&db.store, &blobs, &keys, "me", |_, _| {}).await.unwrap(), None);
        held.release().await.unwrap();

        let mut seen = Vec::new();
        let filled = fill_missing(&db.store, &blobs, &keys, "me", |done, total| seen.push((done, total))).await.unwrap();
        assert_eq!(filled, Some(Filled { drawn: 3, without: 2, failed: 0 }));
        assert_eq!(seen, [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)], "progress as it goes");
        assert_eq!(db.store.audio_peaks(&good.key).await.unwrap().as_ref(), Some(&expected));
        assert_eq!(db.store.audio_peaks(&odd.key).await.unwrap(), None, "no samples to draw");
        assert_eq!(db.store.audio_peaks(&fake.key).await.unwrap(), None, "not MP3 after all");
        // Decoded: the caller loud in the first half, the agent in the second.
        for (file, name) in [(&mp3, "MP3"), (&ogg, "Ogg")] {
            let peaks = db.store.audio_peaks(&file.key).await.unwrap().unwrap_or_else(|| panic!("{name} drawn"));
            assert_two_parties(&peaks, name);
        }
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
