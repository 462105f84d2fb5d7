//! The transcription queue on SQLite and PostgreSQL (issue 28): two nodes
//! (two stores on one database) claiming at the same moment never take
//! one call twice; a node that dies holding a call (its lease never
//! renewed, as after kill -9) loses it when the lease runs out, and what
//! it would have kept afterwards is refused. Every new recording of a
//! company with transcription on is queued by the store itself.

use callrec_domain::audio::AudioFormat;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::retention::Retention;
use callrec_domain::transcription::{JobState, Redaction};
use callrec_domain::{CompanyName, PhoneNumber};
use callrec_store::{backend_tests, NewRecording, NewTranscript, Store};
use std::collections::HashSet;
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

fn recording(n: u8, company: callrec_domain::CompanyId) -> NewRecording {
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
        format: AudioFormat::Wav,
        size_bytes: 44,
        sha256: "00".repeat(32),
        storage_key: format!("{}/{n:02}.wav", company.0),
        external_id: None,
    }
}

/// A company with transcription on and `calls` recordings (all queued).
async fn queued_calls(store: &Store, calls: u8) -> (callrec_domain::CompanyId, Vec<RecordingId>) {
    let company = store
        .set_up(NOW, async |write| {
            let company = write
                .create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever)
                .await?;
            write
                .set_company_transcription(company.id, true, Redaction::Transcript)
                .await?;
            Ok(company)
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 1..=calls {
        store
            .insert_recording(&recording(n, company.id), NOW)
            .await
            .unwrap();
        ids.push(RecordingId::from_bytes([n; 16]));
    }
    (company.id, ids)
}

fn kept<'a>(
    id: &'a RecordingId,
    company: callrec_domain::CompanyId,
    terms: &'a [(String, i64)],
) -> NewTranscript<'a> {
    NewTranscript {
        recording_id: id,
        company_id: company,
        key_id: 1,
        sealed: "00".into(),
        word_count: 1,
        audio_ms: 1000,
        redacted: 0,
        terms,
    }
}

backend_tests! {
    /// Two nodes claim side by side, released together by a barrier each
    /// round, until the queue is empty: every call is claimed exactly
    /// once, and both nodes got some.
    async fn two_nodes_claiming_at_once_never_take_one_call_twice(db) {
        let (_, ids) = queued_calls(&db.store, 24).await;
        let other = db.another_node().await;
        let (mut first, mut second) = (Vec::new(), Vec::new());
        loop {
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let claim = |store: Store, holder: &'static str| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.claim_transcription(holder, NOW, NOW + 600).await.unwrap()
                })
            };
            let (a, b) = (claim(db.store.clone(), "node-a"), claim(other.clone(), "node-b"));
            let (a, b) = (a.await.unwrap(), b.await.unwrap());
            if a.is_none() && b.is_none() {
                break;
            }
            first.extend(a.map(|job| job.recording_id));
            second.extend(b.map(|job| job.recording_id));
        }
        let all: HashSet<&RecordingId> = first.iter().chain(&second).collect();
        assert_eq!(first.len() + second.len(), ids.len(), "each call claimed once: {first:?} {second:?}");
        assert_eq!(all.len(), ids.len());
        assert!(!first.is_empty() && !second.is_empty(), "both nodes worked: {} and {}", first.len(), second.len());
    }

    /// A node claims a call and dies (no renewal, no release). Until its
    /// lease runs out nobody else takes the call; then another node does,
    /// and the dead node's late words change nothing.
    async fn a_call_held_by_a_node_that_died_is_taken_over_when_its_lease_runs_out(db) {
        let (company, ids) = queued_calls(&db.store, 1).await;
        let other = db.another_node().await;
        let dead = db.store.claim_transcription("dead-node", NOW, NOW + 100).await.unwrap().unwrap();
        assert_eq!((dead.recording_id.clone(), dead.attempts), (ids[0].clone(), 0));
        assert!(other.claim_transcription("live-node", NOW + 50, NOW + 150).await.unwrap().is_none(), "leased");
        let job = other.claim_transcription("live-node", NOW + 101, NOW + 201).await.unwrap().expect("taken over");
        assert_eq!(job.recording_id, ids[0]);
        let terms = [("ab".repeat(16), 0)];
        // The dead node's late save and failure are both refused.
        assert!(!db.store.save_transcript(&kept(&ids[0], company, &terms), "dead-node", NOW + 102).await.unwrap());
        assert!(!db.store.transcription_failed(&ids[0], "dead-node", "late", Some(NOW + 200), NOW + 102).await.unwrap());
        assert!(db.store.transcript(&ids[0]).await.unwrap().is_none());
        // The live node keeps its transcript, once.
        assert!(other.save_transcript(&kept(&ids[0], company, &terms), "live-node", NOW + 103).await.unwrap());
        assert!(!other.save_transcript(&kept(&ids[0], company, &terms), "live-node", NOW + 104).await.unwrap(), "done: not kept twice");
        let job = db.store.transcription_job(&ids[0]).await.unwrap().unwrap();
        assert_eq!((job.state, job.lease_until), (JobState::Done, None));
        assert!(db.store.claim_transcription("any", NOW + 1000, NOW + 2000).await.unwrap().is_none());
        let first = db.store.first_said(&[ids[0].as_str().to_string()], &["ab".repeat(16)]).await.unwrap();
        assert_eq!(first.get(ids[0].as_str()), Some(&0));
    }

    /// Only a company with transcription on has its new calls queued; a
    /// failed try waits its turn, and given up it is not claimed again.
    async fn new_calls_queue_by_their_company_and_failures_wait_their_turn(db) {
        let (company, ids) = queued_calls(&db.store, 1).await;
        let off = db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Globex").unwrap(), Retention::Forever).await).await.unwrap();
        db.store.insert_recording(&recording(9, off.id), NOW).await.unwrap();
        assert!(db.store.transcription_job(&RecordingId::from_bytes([9; 16])).await.unwrap().is_none());
        let counts = db.store.transcription_queue(Some(company)).await.unwrap();
        assert_eq!((counts.queued, counts.done, counts.failed), (1, 0, 0));
        db.store.claim_transcription("n", NOW, NOW + 60).await.unwrap().unwrap();
        assert!(db.store.transcription_failed(&ids[0], "n", "engine down", Some(NOW + 30), NOW).await.unwrap());
        assert!(db.store.claim_transcription("n", NOW + 29, NOW + 90).await.unwrap().is_none(), "not due yet");
        let again = db.store.claim_transcription("n", NOW + 30, NOW + 90).await.unwrap().unwrap();
        assert_eq!(again.attempts, 1);
        assert!(db.store.transcription_failed(&ids[0], "n", "engine down", None, NOW + 31).await.unwrap());
        assert!(db.store.claim_transcription("n", NOW + 99_999, NOW + 100_000).await.unwrap().is_none(), "given up");
        let job = db.store.transcription_job(&ids[0]).await.unwrap().unwrap();
        assert_eq!((job.state, job.attempts, job.error.as_deref()), (JobState::Failed, 2, Some("engine down")));
        assert_eq!(db.store.transcription_queue(None).await.unwrap().failed, 1);
    }
}
