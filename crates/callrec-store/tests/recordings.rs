//! Recordings, API tokens and the blob store, on SQLite and PostgreSQL.

use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{AudioFormat, Direction, RecordingId};
use callrec_domain::{CompanyName, DisplayName, Level, RoleSet, TeamName, Username};
use callrec_store::{
    backend_tests, BlobStore, Company, Cursor, Inserted, NewRecording, NewUser, PageFrom,
    RecordingQuery, Store, StoreError, Team, User,
};

const NOW: i64 = 1_800_000_000;
const T0: i64 = 1_800_000_000_000;

struct World {
    acme: Company,
    globex: Company,
    sales: Team,
    support: Team,
    agent: User,
    other: User,
}

async fn world(store: &Store) -> World {
    let company = |n: &str| CompanyName::parse(n).unwrap();
    let acme = store.create_company(&company("Acme"), NOW).await.unwrap();
    let globex = store.create_company(&company("Globex"), NOW).await.unwrap();
    let sales = store
        .create_team(acme.id, &TeamName::parse("Sales").unwrap(), NOW)
        .await
        .unwrap();
    let support = store
        .create_team(acme.id, &TeamName::parse("Support").unwrap(), NOW)
        .await
        .unwrap();
    let mut users = Vec::new();
    for (name, team) in [("agent", &sales), ("other", &support)] {
        let username = Username::parse(name).unwrap();
        users.push(
            store
                .create_user(
                    &NewUser {
                        company_id: acme.id,
                        team_id: Some(team.id),
                        username: &username,
                        display_name: &DisplayName::parse(name).unwrap(),
                        email: None,
                        level: Level::Staff,
                        password_hash: "x".into(),
                        roles: RoleSet::default(),
                    },
                    NOW,
                )
                .await
                .unwrap(),
        );
    }
    let other = users.pop().unwrap();
    let agent = users.pop().unwrap();
    World {
        acme,
        globex,
        sales,
        support,
        agent,
        other,
    }
}

fn id(n: u8) -> RecordingId {
    RecordingId::from_bytes([n; 16])
}

fn recording(
    n: u8,
    company: &Company,
    team: Option<&Team>,
    user: Option<&User>,
    started: i64,
) -> NewRecording {
    NewRecording {
        id: id(n),
        company_id: company.id,
        team_id: team.map(|t| t.id),
        user_id: user.map(|u| u.id),
        extension: Some("2001".into()),
        direction: if n.is_multiple_of(2) {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        calling_number: format!("+4420794600{n:02}"),
        called_number: format!("55{n:02}"),
        started_at_ms: started,
        duration_ms: 1000,
        format: AudioFormat::Wav,
        size_bytes: 10,
        sha256: "a".repeat(64),
        storage_key: "a".repeat(64),
        external_id: None,
    }
}

fn query(scope: DataScope) -> RecordingQuery {
    RecordingQuery {
        scope,
        company: None,
        calling: None,
        called: None,
        start_ms: None,
        end_ms: None,
        direction: None,
        user: None,
        team: None,
        from: PageFrom::Start,
        limit: 50,
    }
}

backend_tests! {
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

    async fn scope_decides_what_exists(db) {
        let w = world(&db.store).await;
        let rows = [
            recording(1, &w.acme, Some(&w.sales), Some(&w.agent), T0),
            recording(2, &w.acme, Some(&w.sales), Some(&w.other), T0 + 1),
            recording(3, &w.acme, Some(&w.support), Some(&w.other), T0 + 2),
            recording(4, &w.globex, None, None, T0 + 3),
        ];
        db.store.insert_recordings_bulk(&rows, NOW).await.unwrap();
        let visible = |scope| {
            let store = db.store.clone();
            async move {
                let page = store.search_recordings(&query(scope)).await.unwrap();
                page.items.iter().map(|r| r.id.as_str()[..2].to_string()).collect::<Vec<_>>()
            }
        };
        assert_eq!(visible(DataScope::Everything).await, ["04", "03", "02", "01"]);
        assert_eq!(visible(DataScope::Company(w.acme.id)).await, ["03", "02", "01"]);
        assert_eq!(visible(DataScope::Team(w.acme.id, w.sales.id)).await, ["02", "01"]);
        assert_eq!(visible(DataScope::OwnOnly(w.agent.id)).await, ["01"]);
        assert!(db.store.recording_in_scope(&id(4), DataScope::Company(w.acme.id)).await.unwrap().is_none());
        let found = db.store.recording_in_scope(&id(1), DataScope::OwnOnly(w.agent.id)).await.unwrap().unwrap();
        assert_eq!((found.username.as_deref(), found.team_name.as_deref(), found.company_name.as_str()), (Some("agent"), Some("Sales"), "Acme"));
    }

    async fn filters_combine(db) {
        let w = world(&db.store).await;
        let rows: Vec<_> = (0..20).map(|n| recording(n, &w.acme, Some(&w.sales), Some(&w.agent), T0 + i64::from(n) * 1000)).collect();
        db.store.insert_recordings_bulk(&rows, NOW).await.unwrap();
        let scope = DataScope::Company(w.acme.id);
        let run = |q: RecordingQuery| {
            let store = db.store.clone();
            async move { store.search_recordings(&q).await.unwrap().items.len() }
        };
        assert_eq!(run(RecordingQuery { calling: Some("0794600".into()), ..query(scope) }).await, 20, "any part of the digits");
        assert_eq!(run(RecordingQuery { calling: Some("4600".into()), called: Some("5507".into()), ..query(scope) }).await, 1);
        assert_eq!(run(RecordingQuery { called: Some("99".into()), ..query(scope) }).await, 0);
        assert_eq!(run(RecordingQuery { direction: Some(Direction::Inbound), ..query(scope) }).await, 10);
        assert_eq!(run(RecordingQuery { start_ms: Some(T0 + 5000), end_ms: Some(T0 + 9000), ..query(scope) }).await, 5);
        assert_eq!(run(RecordingQuery { user: Some(w.other.id), ..query(scope) }).await, 0);
        assert_eq!(run(RecordingQuery { team: Some(w.sales.id), ..query(scope) }).await, 20);
        assert_eq!(run(RecordingQuery { team: Some(w.support.id), ..query(scope) }).await, 0);
    }

    async fn keyset_pages_walk_both_ways(db) {
        let w = world(&db.store).await;
        // 12 rows, two sharing each start time, so the id breaks ties.
        let rows: Vec<_> = (0..12).map(|n| recording(n, &w.acme, None, None, T0 + i64::from(n / 2))).collect();
        db.store.insert_recordings_bulk(&rows, NOW).await.unwrap();
        let page = |from| {
            let store = db.store.clone();
            let scope = DataScope::Company(w.acme.id);
            async move { store.search_recordings(&RecordingQuery { from, limit: 5, ..query(scope) }).await.unwrap() }
        };
        let ids = |p: &callrec_store::RecordingPage| p.items.iter().map(|r| r.id.as_str()[..2].to_string()).collect::<Vec<_>>();
        let first = page(PageFrom::Start).await;
        assert_eq!(ids(&first), ["0b", "0a", "09", "08", "07"]);
        assert!(first.previous.is_none());
        let second = page(PageFrom::After(first.next.clone().unwrap())).await;
        assert_eq!(ids(&second), ["06", "05", "04", "03", "02"]);
        let third = page(PageFrom::After(second.next.clone().unwrap())).await;
        assert_eq!(ids(&third), ["01", "00"]);
        assert!(third.next.is_none());
        let back = page(PageFrom::Before(third.previous.clone().unwrap())).await;
        assert_eq!(ids(&back), ids(&second));
        let back = page(PageFrom::Before(back.previous.clone().unwrap())).await;
        assert_eq!(ids(&back), ids(&first));
        assert!(back.previous.is_none(), "nothing newer than the newest");
        let cursor = first.next.unwrap();
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::parse("12_notanid"), None);
    }

    async fn delete_reports_whether_audio_is_still_used(db) {
        let w = world(&db.store).await;
        let rows = [recording(1, &w.acme, None, None, T0), recording(2, &w.acme, None, None, T0)];
        db.store.insert_recordings_bulk(&rows, NOW).await.unwrap();
        assert!(db.store.delete_recording(&id(1), DataScope::Company(w.globex.id)).await.unwrap().is_none(), "outside the scope");
        let (key, used) = db.store.delete_recording(&id(1), DataScope::Company(w.acme.id)).await.unwrap().unwrap();
        assert!(used, "recording 2 shares the audio");
        let (_, used) = db.store.delete_recording(&id(2), DataScope::Everything).await.unwrap().unwrap();
        assert!(!used);
        assert!(!db.store.storage_key_in_use(&key).await.unwrap());
        assert!(db.store.storage_keys().await.unwrap().is_empty());
    }

    async fn api_tokens_are_found_by_hash_until_revoked(db) {
        let w = world(&db.store).await;
        db.store.create_api_token(w.acme.id, "pbx", "hash-1", NOW).await.unwrap();
        let err = db.store.create_api_token(w.acme.id, "pbx", "hash-2", NOW).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }));
        let token = db.store.api_token("hash-1").await.unwrap().unwrap();
        assert_eq!((token.company_id, token.name.as_str()), (w.acme.id, "pbx"));
        assert!(db.store.api_token("hash-x").await.unwrap().is_none());
        assert!(db.store.revoke_api_token(w.acme.id, "pbx", NOW).await.unwrap());
        assert!(!db.store.revoke_api_token(w.acme.id, "pbx", NOW).await.unwrap());
        assert!(db.store.api_token("hash-1").await.unwrap().is_none());
        assert!(db.store.list_api_tokens(Some(w.acme.id)).await.unwrap()[0].revoked);
    }
}

#[tokio::test]
async fn blobs_are_content_addressed_and_durable() {
    let dir = tempfile_dir();
    let blobs = BlobStore::new(dir.path());
    let first = blobs.put(b"RIFF....WAVEfake").await.unwrap();
    assert_eq!(first.key.len(), 64);
    assert_eq!(first.size, 16);
    let path = blobs.path_of(&first.key).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"RIFF....WAVEfake");
    let again = blobs.put(b"RIFF....WAVEfake").await.unwrap();
    assert_eq!(again, first, "same bytes, same blob");
    let (keys, leftovers) = blobs.scan().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(leftovers.is_empty());
    // A writer dropped before commit leaves nothing behind.
    let mut writer = blobs.writer().await.unwrap();
    writer.write(b"partial").await.unwrap();
    drop(writer);
    assert!(blobs.scan().await.unwrap().1.is_empty());
    assert!(blobs.path_of("../../etc/passwd").is_none());
    blobs.remove(&first.key).await.unwrap();
    blobs.remove(&first.key).await.unwrap();
    assert!(!path.exists());
}

fn tempfile_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
