//! Recordings as records (issue 13) on SQLite and PostgreSQL: retention and
//! the purge job (batches, the lease across two nodes, a crash between a
//! batch and its files), legal hold (never deleted or purged, races with
//! Delete), Deleted recordings and Restore.

use callrec_app::audit::{AuditActor, AuditContext};
use callrec_app::records::purge::{Purge, PurgeReport};
use callrec_app::records::{bin, holds, RecordsSettings};
use callrec_app::Clock;
use callrec_domain::audio::AudioFormat;
use callrec_domain::audit::AuditAction;
use callrec_domain::hold::HoldReason;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyName, PhoneNumber};
use callrec_store::{
    backend_tests, AuditQuery, Binned, BlobStore, Company, HoldChange, Job, NewRecording,
    PurgeRule, RecordingQuery, Restored, Store,
};

/// 2027-01-15 12:00 UTC.
const NOW: i64 = 1_800_014_400;
const DAY_MS: i64 = 86_400_000;

fn audit() -> AuditContext {
    AuditContext {
        actor: AuditActor::CommandLine,
        client: "test".into(),
        now: NOW,
    }
}

async fn company(store: &Store, name: &str, retention: Retention) -> Company {
    store
        .set_up(NOW, async |w| {
            w.create_company(&CompanyName::parse(name).unwrap(), retention)
                .await
        })
        .await
        .unwrap()
}

/// A recording of `company` that started `days_ago` days before NOW, with
/// its own audio file.
async fn recording(
    store: &Store,
    blobs: &BlobStore,
    company: &Company,
    n: u32,
    days_ago: i64,
) -> RecordingId {
    let audio = format!("RIFF....WAVE {} {n}", company.name).into_bytes();
    let stored = blobs.put(&audio, company.id).await.unwrap();
    let id = RecordingId::from_bytes({
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        bytes[4..12].copy_from_slice(&company.id.0.to_be_bytes());
        bytes
    });
    let new = NewRecording {
        id: id.clone(),
        company_id: company.id,
        team_id: None,
        user_id: None,
        extension: None,
        direction: Direction::Inbound,
        calling_number: PhoneNumber::from_stored("+442071234567").unwrap(),
        called_number: PhoneNumber::from_stored("2001").unwrap(),
        started_at_ms: NOW * 1000 - days_ago * DAY_MS,
        duration_ms: 60_000,
        format: AudioFormat::Wav,
        size_bytes: stored.size as i64,
        sha256: stored.sha256.clone(),
        storage_key: stored.key.clone(),
        external_id: Some(format!("ext-{n}")),
    };
    store.insert_recording(&new, NOW).await.unwrap();
    id
}

fn purge<'a>(
    store: &'a Store,
    blobs: &'a BlobStore,
    clock: &'a Clock,
    zone: &'a Zone,
    holder: &'a str,
) -> Purge<'a> {
    Purge {
        store,
        blobs,
        settings: RecordsSettings::default(),
        default_zone: zone,
        clock,
        holder,
        batch: 7,
    }
}

async fn exists(store: &Store, id: &RecordingId) -> bool {
    store
        .recording_in_scope(id, DataScope::Everything)
        .await
        .unwrap()
        .is_some()
}

async fn actions(store: &Store, action: AuditAction) -> Vec<String> {
    let query = AuditQuery {
        action: Some(action.code().into()),
        limit: 500,
        ..AuditQuery::default()
    };
    store
        .audit_entries(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} | {}", e.target.unwrap_or_default(), e.details))
        .collect()
}

/// Every file nobody points at, and every row without its file.
async fn loose_ends(store: &Store, blobs: &BlobStore) -> (Vec<String>, Vec<String>) {
    let (keys, _) = blobs.scan().await.unwrap();
    let used = store.storage_keys().await.unwrap();
    let mut orphans: Vec<String> = keys.difference(&used).cloned().collect();
    let mut missing: Vec<String> = used.difference(&keys).cloned().collect();
    orphans.sort();
    missing.sort();
    (orphans, missing)
}

backend_tests! {
    /// 3 months in the company's zone: 20 recordings past it go (in
    /// batches of 7, each audited with its count), 5 within it and the
    /// held one stay; a Keep forever company keeps everything; files go
    /// with their rows.
    async fn retention_deletes_what_is_due_in_batches_and_never_a_held_one(db) {
        let blobs = BlobStore::new(db.data_dir());
        let acme = company(&db.store, "Acme", Retention::Months(3)).await;
        let globex = company(&db.store, "Globex", Retention::Forever).await;
        let mut old = Vec::new();
        for n in 0..20 {
            old.push(recording(&db.store, &blobs, &acme, n, 100 + i64::from(n)).await);
        }
        let mut young = Vec::new();
        for n in 20..25 {
            young.push(recording(&db.store, &blobs, &acme, n, 80).await);
        }
        let held = recording(&db.store, &blobs, &acme, 30, 400).await;
        let found = db.store.recording_in_scope(&held, DataScope::Everything).await.unwrap().unwrap();
        let reason = HoldReason::parse("Case 114").unwrap();
        assert!(holds::change_hold(&db.store, &found, DataScope::Everything, HoldChange::Place(&reason), &audit()).await.unwrap());
        let ancient = recording(&db.store, &blobs, &globex, 40, 5000).await;
        assert_eq!(db.store.count_due(acme.id, Retention::Months(3).cutoff(&Zone::utc(), NOW * 1000).unwrap()).await.unwrap(), 20, "the preview Company settings shows");

        let clock = Clock::manual(NOW);
        let zone = Zone::utc();
        let mut seen = Vec::new();
        let report = purge(&db.store, &blobs, &clock, &zone, "node-a").run(|r| seen.push(*r)).await.unwrap().unwrap();
        assert_eq!((report.expired, report.deleted, report.batches, report.files), (20, 0, 3, 20));
        assert_eq!(seen.len(), 3, "progress after each batch");
        for id in &old {
            assert!(!exists(&db.store, id).await);
        }
        for id in young.iter().chain([&held, &ancient]) {
            assert!(exists(&db.store, id).await);
        }
        let batches = actions(&db.store, AuditAction::RecordingsPurged).await;
        assert_eq!(batches.len(), 3);
        assert!(batches.iter().any(|b| b.starts_with("7 recordings | 7 past the retention period (3 months)")), "{batches:?}");
        assert_eq!(loose_ends(&db.store, &blobs).await, (vec![], vec![]));
        // Nothing more is due: a second run changes nothing.
        let again = purge(&db.store, &blobs, &clock, &zone, "node-a").run(|_| {}).await.unwrap().unwrap();
        assert_eq!(again, PurgeReport::default());
    }

    /// Delete moves a recording to Deleted recordings with its audio; it
    /// can be restored until CALLREC_DELETED_RETENTION_DAYS (30) have
    /// passed on the clock, and is purged after. A held one cannot be
    /// deleted at all.
    async fn deleted_recordings_restore_until_purged(db) {
        let blobs = BlobStore::new(db.data_dir());
        let acme = company(&db.store, "Acme", Retention::Forever).await;
        let a = recording(&db.store, &blobs, &acme, 1, 1).await;
        let b = recording(&db.store, &blobs, &acme, 2, 1).await;
        let held = recording(&db.store, &blobs, &acme, 3, 1).await;
        let scope = DataScope::Company(acme.id);
        let find = |id: RecordingId| { let store = db.store.clone(); async move { store.recording_in_scope(&id, DataScope::Everything).await.unwrap().unwrap() } };
        let reason = HoldReason::parse("Matter 7").unwrap();
        holds::change_hold(&db.store, &find(held.clone()).await, scope, HoldChange::Place(&reason), &audit()).await.unwrap();
        assert_eq!(bin::delete(&db.store, &find(held.clone()).await, scope, &audit()).await.unwrap(), Binned::Held);
        assert!(exists(&db.store, &held).await);
        for id in [&a, &b] {
            assert_eq!(bin::delete(&db.store, &find(id.clone()).await, scope, &audit()).await.unwrap(), Binned::Moved);
            assert!(!exists(&db.store, id).await);
        }
        let (listed, more) = db.store.deleted_recordings(scope, 0).await.unwrap();
        assert_eq!((listed.len(), more), (2, false));
        assert!(db.store.deleted_recordings(DataScope::Company(callrec_domain::CompanyId(acme.id.0 + 1)), 0).await.unwrap().0.is_empty(), "another company sees none");
        assert_eq!(loose_ends(&db.store, &blobs).await, (vec![], vec![]), "the audio of deleted recordings stays");
        assert_eq!(bin::restore(&db.store, &a, scope, &audit()).await.unwrap(), Restored::Restored);
        assert!(exists(&db.store, &a).await);
        assert_eq!(bin::restore(&db.store, &a, scope, &audit()).await.unwrap(), Restored::NotFound, "restored already");
        assert_eq!(actions(&db.store, AuditAction::RecordingRestored).await.len(), 1);

        // 29 days on, b is still there to restore; 31 days on it is gone.
        let clock = Clock::manual(NOW + 29 * 86_400);
        let zone = Zone::utc();
        let report = purge(&db.store, &blobs, &clock, &zone, "n").run(|_| {}).await.unwrap().unwrap();
        assert_eq!(report.deleted, 0);
        assert_eq!(db.store.deleted_recordings(scope, 0).await.unwrap().0.len(), 1);
        clock.advance(2 * 86_400);
        let report = purge(&db.store, &blobs, &clock, &zone, "n").run(|_| {}).await.unwrap().unwrap();
        assert_eq!((report.deleted, report.files), (1, 1));
        assert!(db.store.deleted_recordings(scope, 0).await.unwrap().0.is_empty());
        assert_eq!(bin::restore(&db.store, &b, scope, &audit()).await.unwrap(), Restored::NotFound);
        assert_eq!(loose_ends(&db.store, &blobs).await, (vec![], vec![]));
    }

    /// The phone system sent the same external id again after the delete:
    /// Restore refuses rather than make two recordings of one call.
    async fn restore_refuses_a_second_copy_of_a_call(db) {
        let blobs = BlobStore::new(db.data_dir());
        let acme = company(&db.store, "Acme", Retention::Forever).await;
        let a = recording(&db.store, &blobs, &acme, 1, 1).await;
        let found = db.store.recording_in_scope(&a, DataScope::Everything).await.unwrap().unwrap();
        bin::delete(&db.store, &found, DataScope::Everything, &audit()).await.unwrap();
        let again = NewRecording { id: RecordingId::from_bytes([9; 16]), ..db_new(&found) };
        db.store.insert_recording(&again, NOW).await.unwrap();
        assert_eq!(bin::restore(&db.store, &a, DataScope::Everything, &audit()).await.unwrap(), Restored::ExternalIdTaken);
        assert_eq!(db.store.deleted_recordings(DataScope::Everything, 0).await.unwrap().0.len(), 1, "still deleted");
    }

    /// Place on hold for every recording a search matches: counted, audited
    /// per company; held ones keep their first reason; Release hold frees
    /// exactly the matching ones.
    async fn holds_on_a_whole_search(db) {
        let blobs = BlobStore::new(db.data_dir());
        let acme = company(&db.store, "Acme", Retention::Forever).await;
        let globex = company(&db.store, "Globex", Retention::Forever).await;
        for n in 0..6 {
            recording(&db.store, &blobs, &acme, n, i64::from(n)).await;
        }
        let first = recording(&db.store, &blobs, &acme, 10, 50).await;
        recording(&db.store, &blobs, &globex, 20, 1).await;
        let found = db.store.recording_in_scope(&first, DataScope::Everything).await.unwrap().unwrap();
        let early = HoldReason::parse("Early matter").unwrap();
        holds::change_hold(&db.store, &found, DataScope::Everything, HoldChange::Place(&early), &audit()).await.unwrap();

        // One more, deleted last week: a hold on the search reaches it too.
        let deleted = recording(&db.store, &blobs, &acme, 11, 60).await;
        let found_deleted = db.store.recording_in_scope(&deleted, DataScope::Everything).await.unwrap().unwrap();
        bin::delete(&db.store, &found_deleted, DataScope::Everything, &audit()).await.unwrap();
        let mut query = RecordingQuery::first_page(DataScope::Company(acme.id), 50);
        assert_eq!(db.store.count_matching(&query).await.unwrap(), (7, 1));
        assert_eq!(db.store.count_deleted_matching(&query).await.unwrap(), 1);
        let reason = HoldReason::parse("Case 2027/3").unwrap();
        let placed = holds::change_holds_matching(&db.store, &query, "", HoldChange::Place(&reason), &audit()).await.unwrap();
        assert_eq!(placed, 7, "six in Recordings and one in Deleted recordings; the one already held is not counted again");
        // Held in Deleted recordings: the purge keeps it past its 30 days,
        // and Restore brings it back still held.
        let clock = Clock::manual(NOW + 40 * 86_400);
        let zone = Zone::utc();
        assert_eq!(purge(&db.store, &blobs, &clock, &zone, "p").run(|_| {}).await.unwrap().unwrap().deleted, 0);
        assert!(db.store.deleted_recordings(DataScope::Everything, 0).await.unwrap().0[0].held);
        assert_eq!(bin::restore(&db.store, &deleted, DataScope::Everything, &audit()).await.unwrap(), Restored::Restored);
        let restored = db.store.recording_in_scope(&deleted, DataScope::Everything).await.unwrap().unwrap();
        assert_eq!(restored.hold.as_ref().unwrap().reason, "Case 2027/3");
        bin::delete(&db.store, &restored, DataScope::Everything, &audit()).await.unwrap();
        let held = db.store.recording_in_scope(&first, DataScope::Everything).await.unwrap().unwrap().hold.unwrap();
        assert_eq!(held.reason, "Early matter");
        query.held_only = true;
        assert_eq!(db.store.search_recordings(&query).await.unwrap().items.len(), 8, "the On hold filter: the restored one stayed held (Delete refused it)");
        let everything = RecordingQuery { held_only: true, ..RecordingQuery::first_page(DataScope::Everything, 50) };
        assert_eq!(db.store.search_recordings(&everything).await.unwrap().items.len(), 8, "Globex's is not held");
        let entries = actions(&db.store, AuditAction::HoldPlaced).await;
        assert!(entries.iter().any(|e| e.starts_with("7 recordings | matching all recordings; reason: Case 2027/3")), "{entries:?}");

        query.start_ms = Some(NOW * 1000 - 3 * DAY_MS - 1000);
        let released = holds::change_holds_matching(&db.store, &query, "start=…", HoldChange::Release, &audit()).await.unwrap();
        assert_eq!(released, 4, "days 0 to 3");
        assert_eq!(db.store.count_matching(&RecordingQuery { held_only: true, ..RecordingQuery::first_page(DataScope::Company(acme.id), 50) }).await.unwrap(), (4, 4));
    }

    /// Two nodes race a hold against a Delete of the same recording, each
    /// on its own task released by one barrier, round after round: never
    /// both — a held recording is never in Deleted recordings — and each
    /// wins some rounds, so both orders really occur (a `join!` in one task
    /// always polled the hold first).
    async fn hold_and_delete_racing_never_both_win(db) {
        let blobs = BlobStore::new(db.data_dir());
        let other = db.another_node().await;
        let acme = company(&db.store, "Acme", Retention::Forever).await;
        let (mut holds_won, mut deletes_won, mut rounds) = (0, 0, 0);
        while rounds < 20 || ((holds_won == 0 || deletes_won == 0) && rounds < 200) {
            let n = rounds;
            rounds += 1;
            let id = recording(&db.store, &blobs, &acme, n, 1).await;
            let found = db.store.recording_in_scope(&id, DataScope::Everything).await.unwrap().unwrap();
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
            let hold = {
                let (store, found, barrier) = (db.store.clone(), found.clone(), barrier.clone());
                tokio::spawn(async move {
                    let reason = HoldReason::parse("Race").unwrap();
                    barrier.wait().await;
                    holds::change_hold(&store, &found, DataScope::Everything, HoldChange::Place(&reason), &audit()).await
                })
            };
            let delete = {
                let (store, found, barrier) = (other.clone(), found.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    bin::delete(&store, &found, DataScope::Everything, &audit()).await
                })
            };
            let (held, deleted) = (hold.await.unwrap(), delete.await.unwrap().unwrap());
            // A Delete that wins leaves nothing to hold: "not found", never
            // "placed" (security review, wave 2, item 8).
            let held = match held {
                Ok(held) => held,
                Err(callrec_app::Error::Store(callrec_store::StoreError::NotFound)) => false,
                Err(other) => panic!("{other}"),
            };
            assert!(held != (deleted == Binned::Moved), "round {n}: held {held}, deleted {deleted:?}");
            let in_bin = db.store.deleted_recordings(DataScope::Everything, 0).await.unwrap().0.iter().any(|d| d.id == id);
            assert_eq!(in_bin, !held);
            if held { holds_won += 1 } else { deletes_won += 1 }
        }
        assert!(holds_won > 0 && deletes_won > 0, "both orders in {rounds} rounds: holds {holds_won}, deletes {deletes_won}");
        eprintln!("hold vs delete: {holds_won} holds and {deletes_won} deletes won in {rounds} rounds");
    }

    /// The lease: eight takers on two nodes at once, one wins; the holder
    /// renews; another takes over only once it has expired.
    async fn one_node_at_a_time_holds_the_purge_lease(db) {
        let other = db.another_node().await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let node = if i % 2 == 0 { db.store.clone() } else { other.clone() };
            tasks.push(tokio::spawn(async move { node.take_lease(Job::Purge, &format!("node-{i}"), NOW, NOW + 120).await.unwrap() }));
        }
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap());
        }
        assert_eq!(winners, 1);
        assert!(!db.store.take_lease(Job::Purge, "late", NOW + 119, NOW + 239).await.unwrap(), "still running");
        assert!(db.store.take_lease(Job::Purge, "late", NOW + 120, NOW + 240).await.unwrap(), "expired: taken over");
        assert!(db.store.take_lease(Job::Purge, "late", NOW + 130, NOW + 250).await.unwrap(), "the holder renews");
        db.store.release_lease(Job::Purge, "late").await.unwrap();
        assert!(other.take_lease(Job::Purge, "next", NOW + 131, NOW + 251).await.unwrap(), "released");
        // A run while another node holds the lease does nothing.
        let blobs = BlobStore::new(db.data_dir());
        let clock = Clock::manual(NOW + 140);
        let zone = Zone::utc();
        assert_eq!(purge(&db.store, &blobs, &clock, &zone, "mine").run(|_| {}).await.unwrap(), None);
    }

    /// A crash after a batch committed but before its files went: the rows
    /// are gone, the files are queued; the next run removes them, and a
    /// file another recording still uses stays.
    async fn a_run_after_a_crash_finishes_the_files(db) {
        let blobs = BlobStore::new(db.data_dir());
        let acme = company(&db.store, "Acme", Retention::Days(30)).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(recording(&db.store, &blobs, &acme, n, 40).await);
        }
        let rule = PurgeRule { company: acme.id, expired_before: Some(NOW * 1000 - 30 * DAY_MS), deleted_before: NOW - 30 * 86_400 };
        let batch = db.store.purge_batch(rule, 3, NOW, |b| callrec_store::NewAuditEntry::new(AuditAction::RecordingsPurged).company(acme.id).target(format!("{} recordings", b.total()))).await.unwrap();
        assert_eq!(batch.expired, 3);
        // The "crash": nothing after the commit ran.
        let (orphans, missing) = loose_ends(&db.store, &blobs).await;
        assert_eq!((orphans.len(), missing.len()), (3, 0), "three files wait in the queue");
        assert_eq!(db.store.purged_audio(100).await.unwrap().len(), 3);
        let clock = Clock::manual(NOW);
        let zone = Zone::utc();
        let report = purge(&db.store, &blobs, &clock, &zone, "after").run(|_| {}).await.unwrap().unwrap();
        assert_eq!((report.expired, report.files), (2, 5));
        assert_eq!(loose_ends(&db.store, &blobs).await, (vec![], vec![]));
        assert!(db.store.purged_audio(100).await.unwrap().is_empty());
    }
}

fn db_new(found: &callrec_store::Recording) -> NewRecording {
    NewRecording {
        id: found.id.clone(),
        company_id: found.company_id,
        team_id: found.team_id,
        user_id: found.user_id,
        extension: found.extension.clone(),
        direction: found.direction,
        calling_number: found.calling_number.clone(),
        called_number: found.called_number.clone(),
        started_at_ms: found.started_at_ms,
        duration_ms: found.duration_ms,
        format: found.format,
        size_bytes: found.size_bytes,
        sha256: found.sha256.clone(),
        storage_key: found.storage_key.clone(),
        external_id: found.external_id.clone(),
    }
}
