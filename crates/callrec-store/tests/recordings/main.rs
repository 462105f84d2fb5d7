//! Recordings, API tokens and the blob store, on SQLite and PostgreSQL.

use callrec_domain::api_scope::ApiScopes;
use callrec_domain::audio::AudioFormat;
use callrec_domain::audit::AuditAction;
use callrec_domain::dashboard::QUARTER_MS;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::retention::Retention;
use callrec_domain::{CompanyId, TokenName};
use callrec_domain::{CompanyName, DisplayName, Level, PhoneNumber, RoleSet, TeamName, Username};
use callrec_store::number_index::{number_grams, NumberColumn, Slice};
use callrec_store::{
    backend_tests, AuditQuery, BlobStore, Company, Cursor, HoldChange, Inserted, NewApiToken,
    NewAuditEntry, NewRecording, NewUser, PageFrom, PurgeRule, Ranking, RecordingQuery, Store,
    StoreError, StoredBlob, Team, TokenState, User, HOLD_BATCH,
};

const NOW: i64 = 1_800_000_000;
const T0: i64 = 1_800_000_000_000;

/// Moves a recording to Deleted recordings (in `scope`); false if not there.
async fn bin(store: &Store, id: &RecordingId, scope: DataScope) -> bool {
    let entry = NewAuditEntry::new(AuditAction::RecordingDeleted);
    store
        .move_to_bin(id, scope, "test", NOW, entry)
        .await
        .unwrap()
        == callrec_store::Binned::Moved
}

/// Deletes a recording for good, as Delete and then the purge job do;
/// true when its audio file went too.
async fn delete_for_good(
    store: &Store,
    id: &RecordingId,
    company: CompanyId,
    blobs: &BlobStore,
) -> bool {
    bin(store, id, DataScope::Everything).await;
    let rule = PurgeRule {
        company,
        expired_before: None,
        deleted_before: i64::MAX,
    };
    store
        .purge_batch(rule, 500, NOW, |_| {
            NewAuditEntry::new(AuditAction::RecordingsPurged).company(company)
        })
        .await
        .unwrap();
    let mut removed = false;
    for key in store.purged_audio(500).await.unwrap() {
        removed |= store.remove_audio_if_unused(&key, blobs).await.unwrap();
        store.forget_purged_audio(&key).await.unwrap();
    }
    removed
}

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
    let acme = store
        .set_up(NOW, async |w| {
            w.create_company(&company("Acme"), Retention::Forever).await
        })
        .await
        .unwrap();
    let globex = store
        .set_up(NOW, async |w| {
            w.create_company(&company("Globex"), Retention::Forever)
                .await
        })
        .await
        .unwrap();
    let sales = store
        .set_up(NOW, async |w| {
            w.create_team(acme.id, &TeamName::parse("Sales").unwrap())
                .await
        })
        .await
        .unwrap();
    let support = store
        .set_up(NOW, async |w| {
            w.create_team(acme.id, &TeamName::parse("Support").unwrap())
                .await
        })
        .await
        .unwrap();
    let mut users = Vec::new();
    for (name, team) in [("agent", &sales), ("other", &support)] {
        let username = Username::parse(name).unwrap();
        users.push(
            store
                .set_up(NOW, async |w| {
                    w.create_user(&NewUser {
                        company_id: acme.id,
                        team_id: Some(team.id),
                        username: &username,
                        display_name: &DisplayName::parse(name).unwrap(),
                        email: None,
                        extension: None,
                        level: Level::Staff,
                        password: callrec_store::StoredPassword::permanent("x"),
                        roles: RoleSet::default(),
                    })
                    .await
                })
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

/// The ingest entry of a recording stored by these tests.
fn ingested(id: &RecordingId, _: &StoredBlob) -> NewAuditEntry {
    NewAuditEntry::new(AuditAction::RecordingIngested).target(id.as_str())
}

fn num(text: &str) -> PhoneNumber {
    PhoneNumber::from_stored(text).unwrap()
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
        extension: Some(num("2001")),
        direction: if n.is_multiple_of(2) {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        calling_number: num(&format!("+4420794600{n:02}")),
        called_number: num(&format!("55{n:02}")),
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
    RecordingQuery::first_page(scope, 50)
}

#[tokio::test]
async fn blobs_are_content_addressed_and_durable() {
    let dir = tempfile_dir();
    let blobs = BlobStore::new(dir.path());
    let company = callrec_domain::CompanyId(7);
    let first = blobs.put(b"RIFF....WAVEfake", company).await.unwrap();
    assert_eq!(first.key, format!("c7/{}", first.sha256));
    assert_eq!(first.size, 16);
    let path = blobs.path_of(&first.key).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"RIFF....WAVEfake");
    let again = blobs.put(b"RIFF....WAVEfake", company).await.unwrap();
    assert_eq!(again, first, "same bytes, same blob");
    let (keys, leftovers) = blobs.scan().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(leftovers.is_empty());
    // A writer dropped before commit leaves nothing behind.
    let mut writer = blobs.writer().await.unwrap();
    writer.write(b"partial").await.unwrap();
    drop(writer);
    assert!(blobs.scan().await.unwrap().1.is_empty());
    for bad in [
        "../../etc/passwd",
        "c7/../x",
        "x/abc",
        "c/abc",
        &format!("c7/{}/x", first.sha256),
    ] {
        assert!(blobs.path_of(bad).is_none(), "{bad}");
    }
    // The older shared layout is still read.
    assert!(blobs.path_of(&first.sha256).unwrap().ends_with(format!(
        "{}/{}/{}",
        &first.sha256[..2],
        &first.sha256[2..4],
        first.sha256
    )));
    blobs.remove(&first.key).await.unwrap();
    blobs.remove(&first.key).await.unwrap();
    assert!(!path.exists());
}

fn tempfile_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

mod audio;
mod counts;
mod search;
mod tokens;
