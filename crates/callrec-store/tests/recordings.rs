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

    /// The session and page reads run on connections of their own: a
    /// request cancelled mid-statement must not hand its half-read
    /// connection to the next one, and connections the server dropped (a
    /// restart) are replaced without failing the request.
    async fn page_reads_survive_cancelled_and_lost_connections(db) {
        let w = world(&db.store).await;
        let rows: Vec<_> = (0..60).map(|n| recording(n, &w.acme, Some(&w.sales), None, T0 + i64::from(n))).collect();
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        let scope = DataScope::Company(w.acme.id);
        let newest = |page: &callrec_store::RecordingPage| page.items.first().map(|r| r.id.clone());
        let postgres = db.store.backend() == callrec_store::Backend::Postgres;
        let first_page = query(scope);
        let mut cancelled = 0;
        for _ in 0..20 {
            let mut search = std::pin::pin!(db.store.search_recordings(&first_page));
            // Polled exactly once (the statement is under way), then
            // dropped. SQLite's worker thread sometimes answers within it.
            let polled = std::future::poll_fn(|cx| std::task::Poll::Ready(std::future::Future::poll(search.as_mut(), cx))).await;
            cancelled += usize::from(polled.is_pending());
        }
        assert!(cancelled == 20 || !postgres, "{cancelled} of 20 cancelled");
        // A reused half-read connection can wait forever: fail instead.
        let checks = async {
            for limit in [1, 50, 7] {
                let page = db.store.search_recordings(&RecordingQuery { limit, ..query(scope) }).await.unwrap();
                assert_eq!((page.items.len(), newest(&page)), (limit as usize, Some(id(59))));
            }
            let ended = db.end_read_connections().await.unwrap();
            assert!(ended >= 1 || !postgres, "the searches left idle read connections");
            for _ in 0..3 {
                let page = db.store.search_recordings(&query(scope)).await.unwrap();
                assert_eq!((page.items.len(), newest(&page)), (50, Some(id(59))));
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), checks)
            .await
            .expect("reads after cancelled searches hung");
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

    async fn scope_decides_what_exists(db) {
        let w = world(&db.store).await;
        let rows = [
            recording(1, &w.acme, Some(&w.sales), Some(&w.agent), T0),
            recording(2, &w.acme, Some(&w.sales), Some(&w.other), T0 + 1),
            recording(3, &w.acme, Some(&w.support), Some(&w.other), T0 + 2),
            recording(4, &w.globex, None, None, T0 + 3),
        ];
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
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
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
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

    /// The number index answers exactly what a plain "contains" over every
    /// row answers: random numbers, shared start times, every scope, pages
    /// of 7 walked to the end, after deletes too.
    async fn number_search_agrees_with_a_full_scan(db) {
        let w = world(&db.store).await;
        let mut seed = 0x2545_f491_u64;
        let mut next = move |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        let owners = [
            (&w.acme, Some(&w.sales), Some(&w.agent)),
            (&w.acme, Some(&w.support), Some(&w.other)),
            (&w.acme, None, None),
            (&w.globex, None, None),
            // A user whose calls belong to two teams.
            (&w.acme, Some(&w.sales), Some(&w.other)),
        ];
        let mut rows = Vec::new();
        for n in 0..160u8 {
            let (company, team, user) = owners[next(owners.len() as u64) as usize];
            let mut row = recording(n, company, team, user, T0 + next(40) as i64);
            // Short extensions, repeated digits and full numbers with + * #.
            let digits = |len: u64, next: &mut dyn FnMut(u64) -> u64| -> String {
                (0..len).map(|_| char::from(b'0' + [1, 2, 2, 5, 0, 9][next(6) as usize])).collect()
            };
            row.calling_number = num(&match next(3) {
                0 => digits(1 + next(4), &mut next),
                1 => format!("+44{}", digits(10, &mut next)),
                _ => format!("*{}#", digits(6, &mut next)),
            });
            row.called_number = num(&digits(2 + next(10), &mut next));
            rows.push(row);
        }
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows[..100]).await).await.unwrap();
        for row in &rows[100..] {
            db.store.insert_recording(row, NOW).await.unwrap();
        }
        for row in rows.iter().step_by(17) {
            let keys = db.number_index_keys(row.id.as_str()).await;
            let mut grams = number_grams(NumberColumn::Calling, row.calling_number.as_str());
            grams.extend(number_grams(NumberColumn::Called, row.called_number.as_str()));
            let expected: std::collections::BTreeMap<_, _> = Slice::of_recording(row.company_id, row.team_id, row.user_id)
                .into_iter()
                .map(|slice| ((slice.code(), slice.owner()), grams.clone()))
                .collect();
            assert_eq!(keys, expected, "index keys of {} / {}", row.calling_number, row.called_number);
        }
        let mut deleted = Vec::new();
        for row in rows.iter().step_by(9) {
            assert!(bin(&db.store, &row.id, DataScope::Everything).await);
            deleted.push(row.id.clone());
            assert!(db.number_index_keys(row.id.as_str()).await.is_empty(), "a deleted recording leaves no keys");
        }
        let digits_of = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
        let scopes = [
            DataScope::Everything,
            DataScope::Company(w.acme.id),
            DataScope::Team(w.acme.id, w.sales.id),
            DataScope::OwnOnly(w.other.id),
        ];
        let in_scope = |row: &NewRecording, scope: DataScope| match scope {
            DataScope::Everything => true,
            DataScope::Company(c) => row.company_id == c,
            DataScope::Team(c, t) => row.company_id == c && row.team_id == Some(t),
            DataScope::OwnOnly(u) => row.user_id == Some(u),
        };
        let mut checked = 0;
        for case in 0..120usize {
            // Filters cut from real numbers (so they match) or made up.
            let source = &rows[next(rows.len() as u64) as usize];
            let cut = |number: &str, next: &mut dyn FnMut(u64) -> u64| -> Option<String> {
                let d = digits_of(number);
                let len = 1 + next(6.min(d.len() as u64).max(1)) as usize;
                let start = next((d.len().saturating_sub(len) + 1) as u64) as usize;
                d.get(start..start + len).map(str::to_string)
            };
            let calling = match case % 4 {
                0 | 1 => cut(source.calling_number.as_str(), &mut next),
                2 => Some(format!("{}", 100 + next(900))),
                _ => None,
            };
            let called = match case % 3 {
                0 => cut(source.called_number.as_str(), &mut next),
                _ => None,
            };
            // Team and user filters too, alone and together.
            let team = [None, Some(w.sales.id), None, Some(w.support.id)][(case / 4) % 4];
            let user = [None, None, Some(w.other.id), Some(w.other.id), Some(w.agent.id)][(case / 3) % 5];
            for scope in scopes {
                let mut expected: Vec<&NewRecording> = rows
                    .iter()
                    .filter(|r| !deleted.contains(&r.id) && in_scope(r, scope))
                    .filter(|r| team.is_none_or(|t| r.team_id == Some(t)))
                    .filter(|r| user.is_none_or(|u| r.user_id == Some(u)))
                    .filter(|r| calling.as_ref().is_none_or(|c| digits_of(r.calling_number.as_str()).contains(c.as_str())))
                    .filter(|r| called.as_ref().is_none_or(|c| digits_of(r.called_number.as_str()).contains(c.as_str())))
                    .collect();
                expected.sort_by(|a, b| (b.started_at_ms, b.id.as_str()).cmp(&(a.started_at_ms, a.id.as_str())));
                let expected: Vec<&str> = expected.iter().map(|r| r.id.as_str()).collect();
                let search = |from| RecordingQuery {
                    calling: calling.clone(),
                    called: called.clone(),
                    team,
                    user,
                    from,
                    limit: 7,
                    ..query(scope)
                };
                let mut found: Vec<String> = Vec::new();
                let mut from = PageFrom::Start;
                let last_page;
                loop {
                    let page = db.store.search_recordings(&search(from)).await.unwrap();
                    found.extend(page.items.iter().map(|r| r.id.as_str().to_string()));
                    match page.next {
                        Some(cursor) => from = PageFrom::After(cursor),
                        None => {
                            last_page = (page.items.len(), page.previous);
                            break;
                        }
                    }
                }
                let case = format!("calling {calling:?} called {called:?} team {team:?} user {user:?} in {scope:?}");
                assert_eq!(found, expected, "{case}");
                // And back from the last page to the first.
                let mut back: Vec<String> = Vec::new();
                let mut previous = last_page.1;
                while let Some(cursor) = previous {
                    let page = db.store.search_recordings(&search(PageFrom::Before(cursor))).await.unwrap();
                    let mut ids: Vec<String> = page.items.iter().map(|r| r.id.as_str().to_string()).collect();
                    ids.extend(back);
                    back = ids;
                    previous = page.previous;
                }
                assert_eq!(back, expected[..expected.len() - last_page.0], "backwards: {case}");
                checked += expected.len();
            }
        }
        assert!(checked > 300, "the cases should find plenty of rows, found {checked}");
    }

    async fn filter_choices_stay_inside_the_scope(db) {
        let w = world(&db.store).await;
        let names = |scope| {
            let store = db.store.clone();
            async move {
                let c = store.search_recordings(&query(scope)).await.unwrap().filter_choices;
                (
                    c.users.into_iter().map(|(_, n)| n).collect::<Vec<_>>(),
                    c.teams.into_iter().map(|(_, company, team)| format!("{company}/{team}")).collect::<Vec<_>>(),
                    c.companies.into_iter().map(|(_, n)| n).collect::<Vec<_>>(),
                )
            }
        };
        assert_eq!(names(DataScope::Everything).await, (vec!["agent".into(), "other".into()], vec!["Acme/Sales".into(), "Acme/Support".into()], vec!["Acme".into(), "Globex".into()]));
        assert_eq!(names(DataScope::Company(w.acme.id)).await, (vec!["agent".into(), "other".into()], vec!["Acme/Sales".into(), "Acme/Support".into()], vec![]));
        assert_eq!(names(DataScope::Company(w.globex.id)).await, (vec![], vec![], vec![]));
        assert_eq!(names(DataScope::Team(w.acme.id, w.support.id)).await, (vec!["other".into()], vec!["Acme/Support".into()], vec![]));
        assert_eq!(names(DataScope::OwnOnly(w.agent.id)).await, (vec!["agent".into()], vec!["Acme/Sales".into()], vec![]));
    }

    /// The page names rows and offers choices from each node's copy of the
    /// directory; each kind of change made through another node shows on
    /// the next page (each is checked alone, so each trigger is needed).
    async fn names_follow_changes_made_on_another_node(db) {
        let w = world(&db.store).await;
        db.store.insert_recording(&recording(1, &w.acme, Some(&w.sales), Some(&w.agent), T0), NOW).await.unwrap();
        let store = &db.store;
        let shown = |scope| async move {
            let page = store.search_recordings(&query(scope)).await.unwrap();
            let first = page.items.first().map(|r| r.team_name.clone().unwrap_or_default());
            let names = |list: Vec<String>| list.join(",");
            (
                first.unwrap_or_default(),
                names(page.filter_choices.users.into_iter().map(|u| u.1).collect()),
                names(page.filter_choices.teams.into_iter().map(|t| t.2).collect()),
                names(page.filter_choices.companies.into_iter().map(|c| c.1).collect()),
            )
        };
        let acme = DataScope::Company(w.acme.id);
        let s = |text: &str| text.to_string();
        assert_eq!(shown(acme).await, (s("Sales"), s("agent,other"), s("Sales,Support"), s("")));
        // Each change below touches one company, and the copy reads that
        // company's teams and users again, not everyone's (issue 15, item 4).
        let parts = || db.store.directory_parts_read();
        let mut read = parts();
        let mut one_more_part = || {
            let now = parts();
            assert_eq!(now, read + 1, "one company's part read again");
            read = now;
        };

        let other_node = db.another_node().await;
        other_node.set_up(0, async |write| write.rename_team(w.acme.id, w.sales.id, &TeamName::parse("Inside Sales").unwrap()).await).await.unwrap();
        assert_eq!(shown(acme).await.0, "Inside Sales");
        one_more_part();

        let zed = Username::parse("zed").unwrap();
        let new_user = NewUser {
            company_id: w.acme.id,
            team_id: None,
            username: &zed,
            display_name: &DisplayName::parse("Zed").unwrap(),
            email: None,
            level: Level::Staff,
            password: callrec_store::StoredPassword::permanent("x"),
            roles: RoleSet::default(),
        };
        other_node.set_up(NOW, async |write| write.create_user(&new_user).await).await.unwrap();
        assert_eq!(shown(acme).await.1, "agent,other,zed");
        one_more_part();

        other_node.set_up(NOW, async |write| write.create_team(w.acme.id, &TeamName::parse("Night").unwrap()).await).await.unwrap();
        assert_eq!(shown(acme).await.2, "Inside Sales,Night,Support");
        one_more_part();

        let support = DataScope::Team(w.acme.id, w.support.id);
        assert_eq!(shown(support).await.1, "other");
        let moved = callrec_store::UserUpdate {
            details: callrec_store::UserDetailsChange {
                display_name: DisplayName::parse("agent").unwrap(),
                email: None,
                level: Level::Staff,
                team_id: Some(w.support.id),
                enabled: true,
            },
            roles: RoleSet::default(),
            password: None,
        };
        other_node.set_up(NOW, async |write| write.update_user(w.agent.id, &moved).await).await.unwrap();
        assert_eq!(shown(support).await.1, "agent,other");
        one_more_part();

        other_node.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Initech").unwrap(), Retention::Forever).await).await.unwrap();
        assert_eq!(shown(DataScope::Everything).await.3, "Acme,Globex,Initech");
        one_more_part();
        // (No screen renames a company yet; by hand, as an operator would.)
        db.execute(&format!("UPDATE companies SET name = 'Globex Corp', name_key = 'globex corp' WHERE id = {}", w.globex.id.0)).await.unwrap();
        assert_eq!(shown(DataScope::Everything).await.3, "Acme,Globex Corp,Initech");
        one_more_part();

        // A copy that claims to be current but lacks a row's team (a
        // change whose count went missing) is read again, not trusted.
        db.execute("UPDATE directory_version SET version = 100").await.unwrap();
        assert_eq!(shown(acme).await.0, "Inside Sales");
        let late = other_node.set_up(NOW, async |write| write.create_team(w.acme.id, &TeamName::parse("Late").unwrap()).await).await.unwrap();
        db.execute("UPDATE directory_version SET version = 100").await.unwrap();
        other_node.insert_recording(&recording(2, &w.acme, Some(&late), None, T0 + 1), NOW).await.unwrap();
        assert_eq!(shown(acme).await.0, "Late");
        other_node.close().await;
    }

    async fn a_recordings_call_facts_cannot_change(db) {
        let w = world(&db.store).await;
        db.store.insert_recording(&recording(1, &w.acme, None, None, T0), NOW).await.unwrap();
        for change in ["calling_number = '1'", "called_number = '1'", "started_at = 5", "company_id = company_id"] {
            let sql = format!("UPDATE recordings SET {change}");
            assert!(db.execute(&sql).await.is_err(), "{change} is refused");
        }
        // The row key the number index points at is fixed too.
        let new_seq = match db.store.backend() {
            callrec_store::Backend::Postgres => "seq = DEFAULT",
            callrec_store::Backend::Sqlite => "seq = seq + 1000",
        };
        assert!(db.execute(&format!("UPDATE recordings SET {new_seq}")).await.is_err(), "seq is refused");
        // Direction and length too: the dashboard's counts rely on them.
        for change in ["duration_ms = 5", "direction = 'internal'"] {
            assert!(db.execute(&format!("UPDATE recordings SET {change}")).await.is_err(), "{change} is refused");
        }
        db.execute("UPDATE recordings SET external_id = 'x-1'").await.unwrap();
    }

    /// Security review, item 14: the packed page is safe only while numbers
    /// cannot hold its separators; the schema refuses anything but digits
    /// and + * # (1 to 32), on both engines.
    async fn the_schema_refuses_numbers_that_are_not_numbers(db) {
        let w = world(&db.store).await;
        let insert = |n: u8, calling: &str, called: &str, extension: &str| {
            format!(
                "INSERT INTO recordings (id, company_id, direction, calling_number, called_number, extension, \
                 started_at, duration_ms, format, size_bytes, sha256, storage_key, created_at) \
                 VALUES ('{}', {}, 'inbound', '{calling}', '{called}', {extension}, 1, 1, 'wav', 1, 'x', 'x', 1)",
                id(n).as_str(), w.acme.id.0
            )
        };
        for bad in ["", "12\u{1f}34", "12\u{1e}34", "12a4", "1 2", &"1".repeat(33)] {
            for sql in [insert(9, bad, "123", "NULL"), insert(9, "123", bad, "NULL"), insert(9, "123", "123", &format!("'{bad}'"))] {
                assert!(db.execute(&sql).await.is_err(), "{bad:?} accepted: {sql}");
            }
        }
        db.execute(&insert(9, "+*#0123456789", "2001", "NULL")).await.unwrap();
        db.execute(&insert(10, "1", "2", "'2001'")).await.unwrap();
    }

    /// Found reading the store: on SQLite the number index pointed at the
    /// rowid, which VACUUM may and a dump and restore does renumber when the
    /// primary key is TEXT. With gaps from deletes, a VACUUM and a dump and
    /// restore between load and search, a number filter must still find
    /// exactly the right recordings.
    async fn number_filters_survive_vacuum_and_a_dump_and_restore(db) {
        let w = world(&db.store).await;
        let mut rows = Vec::new();
        for n in 1..=30u8 {
            let mut row = recording(n, &w.acme, None, None, T0 + i64::from(n));
            row.calling_number = num(&format!("77{n:02}{n:02}"));
            rows.push(row);
        }
        for row in &rows {
            db.store.insert_recording(row, NOW).await.unwrap();
        }
        for row in rows.iter().step_by(3) {
            delete_for_good(&db.store, &row.id, w.acme.id, &BlobStore::new(db.data_dir())).await;
        }
        let restored = tempfile::tempdir().unwrap();
        let store = match db.store.backend() {
            callrec_store::Backend::Sqlite => {
                db.execute("VACUUM").await.unwrap();
                // A dump and restore gives rows without an INTEGER PRIMARY
                // KEY new rowids: the old schema's index then pointed at
                // other recordings.
                let file = db.data_dir().join(callrec_store::SQLITE_FILE);
                let copy = restored.path().join(callrec_store::SQLITE_FILE);
                let status = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(format!("sqlite3 '{}' .dump | sqlite3 '{}'", file.display(), copy.display()))
                    .status()
                    .expect("sqlite3 (scripts/test.sh installs it)");
                assert!(status.success());
                Store::connect(None, restored.path()).await.unwrap()
            }
            callrec_store::Backend::Postgres => {
                db.execute("VACUUM FULL recordings").await.unwrap();
                db.store.clone()
            }
        };
        for (i, row) in rows.iter().enumerate() {
            let mut q = query(DataScope::Everything);
            q.calling = Some(row.calling_number.as_str()[2..].to_string());
            let page = store.search_recordings(&q).await.unwrap();
            let found: Vec<String> = page.items.iter().map(|r| r.id.as_str().to_string()).collect();
            let expected: Vec<String> = if i % 3 == 0 { vec![] } else { vec![row.id.as_str().to_string()] };
            assert_eq!(found, expected, "{}", row.calling_number);
        }
    }

    async fn keyset_pages_walk_both_ways(db) {
        let w = world(&db.store).await;
        // 12 rows, two sharing each start time, so the id breaks ties.
        let rows: Vec<_> = (0..12).map(|n| recording(n, &w.acme, None, None, T0 + i64::from(n / 2))).collect();
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
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
                    store.insert_recording_with_audio(&new, NOW, &blobs, prepared, ingested).await
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

    async fn the_dashboard_counts_stay_exact_through_delete_restore_and_purges(db) {
        let w = world(&db.store).await;
        // 40 calls over ten hours, in bulk and one at a time, some without a team or user.
        let rows: Vec<NewRecording> = (0..30u8)
            .map(|n| recording(n, &w.acme, (n % 3 != 0).then_some(&w.sales), (n % 2 == 0).then_some(&w.agent), T0 + i64::from(n) * 1_200_000))
            .collect();
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        for n in 30..40u8 {
            db.store.insert_recording(&recording(n, &w.acme, Some(&w.support), None, T0 + i64::from(n) * 1_200_000), NOW).await.unwrap();
        }
        db.store.insert_recording(&recording(40, &w.globex, None, Some(&w.other), T0), NOW).await.unwrap();
        let (from, to) = (T0 / QUARTER_MS - 1, T0 / QUARTER_MS + 100);
        // What the buckets say against what the recordings table says.
        let check = |label: &'static str| {
            let store = db.store.clone();
            let (acme, sales, agent) = (w.acme.id, w.sales.id, w.agent.id);
            async move {
                for scope in [DataScope::Company(acme), DataScope::Team(acme, sales), DataScope::OwnOnly(agent), DataScope::Everything] {
                    let counts = store.call_counts(scope, from, to).await.unwrap();
                    let calls: i64 = counts.iter().map(|c| c.calls()).sum();
                    let inbound: i64 = counts.iter().map(|c| c.inbound).sum();
                    let minutes: i64 = counts.iter().map(|c| c.duration_ms).sum();
                    let expected = store.count_matching(&query(scope)).await.unwrap().0;
                    let inbound_query = RecordingQuery { direction: Some(Direction::Inbound), ..query(scope) };
                    let expected_inbound = store.count_matching(&inbound_query).await.unwrap().0;
                    assert_eq!((calls, inbound, minutes), (expected, expected_inbound, expected * 1000), "{label}: {scope:?}");
                    assert!(expected > 0, "{label}: {scope:?} has calls");
                }
            }
        };
        check("after ingest").await;
        assert!(bin(&db.store, &id(4), DataScope::Everything).await);
        assert!(bin(&db.store, &id(33), DataScope::Everything).await);
        check("after Delete").await;
        let restored = db.store.restore_recording(&id(4), DataScope::Everything, NOW, |c| NewAuditEntry::new(AuditAction::RecordingRestored).company(c)).await.unwrap();
        assert!(matches!(restored, callrec_store::Restored::Restored), "{restored:?}");
        check("after Restore").await;
        // Retention: everything that started in the first five hours goes.
        let rule = PurgeRule { company: w.acme.id, expired_before: Some(T0 + 5 * 3_600_000), deleted_before: i64::MAX };
        db.store.purge_batch(rule, 500, NOW, |_| NewAuditEntry::new(AuditAction::RecordingsPurged).company(w.acme.id)).await.unwrap();
        check("after the purge").await;
        let left = db.store.call_counts(DataScope::Company(w.acme.id), from, to).await.unwrap();
        assert!(left.iter().all(|c| c.calls() > 0), "emptied buckets are removed");
        assert!(left.iter().all(|c| c.quarter * QUARTER_MS >= T0 + 5 * 3_600_000 - QUARTER_MS), "{left:?}");
    }

    /// The call detail report's totals read from the counts (security
    /// review, wave 2, item 2) are the totals counted from the calls.
    async fn the_report_from_counts_is_the_report_from_calls(db) {
        let w = world(&db.store).await;
        let rows: Vec<NewRecording> = (0..40u8)
            .map(|n| {
                let company = if n % 7 == 0 { &w.globex } else { &w.acme };
                let team = (company.id == w.acme.id && n % 3 != 0).then_some(if n % 2 == 0 { &w.sales } else { &w.support });
                let user = (company.id == w.acme.id && n % 4 != 0).then_some(if n % 5 == 0 { &w.other } else { &w.agent });
                recording(n, company, team, user, T0 + i64::from(n) * 1_100_000)
            })
            .collect();
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        let (from, to) = (T0 / QUARTER_MS, T0 / QUARTER_MS + 40);
        let sorted = |mut list: Vec<(Option<String>, callrec_store::Tally)>| {
            list.sort_by(|a, b| a.0.cmp(&b.0));
            list
        };
        let directions = |totals: &callrec_store::CallTotals| totals.by_direction.iter().map(|(d, t)| (*d, t.calls)).collect::<Vec<_>>();
        for scope in [DataScope::Company(w.acme.id), DataScope::Everything, DataScope::Team(w.acme.id, w.sales.id), DataScope::OwnOnly(w.agent.id)] {
            let counted = db.store.call_totals_from_counts(scope, from, to).await.unwrap();
            let search = RecordingQuery { start_ms: Some(from * QUARTER_MS), end_ms: Some((to + 1) * QUARTER_MS - 1), ..query(scope) };
            let scanned = db.store.call_totals(&search).await.unwrap();
            assert!(scanned.all.calls > 0);
            assert_eq!(counted.all, scanned.all, "{scope:?}");
            assert_eq!(directions(&counted), directions(&scanned), "{scope:?}");
            assert_eq!(counted.by_quarter_hour, scanned.by_quarter_hour, "{scope:?}");
            assert_eq!(sorted(counted.by_user.clone()), sorted(scanned.by_user.clone()), "{scope:?}");
            if scope != DataScope::Everything {
                // (Every company's teams are named with their company.)
                assert_eq!(sorted(counted.by_team.clone()), sorted(scanned.by_team.clone()), "{scope:?}");
            }
            assert!(!counted.direction_minutes && scanned.direction_minutes);
        }
    }

    /// "Place hold on all matching" works in batches (security review,
    /// wave 2, item 6): more than two batches' worth, some deleted, another
    /// company's untouched, one entry per company with the whole count.
    async fn a_bulk_hold_reaches_every_match_batch_by_batch(db) {
        let w = world(&db.store).await;
        let n = 2 * HOLD_BATCH as usize + 5;
        let rows: Vec<NewRecording> = (0..n)
            .map(|i| NewRecording { id: RecordingId::from_bytes((i as u128 + 1_000).to_be_bytes()), ..recording(1, &w.acme, None, None, T0 + i as i64) })
            .collect();
        db.store.set_up(NOW, async |write| write.insert_recordings_bulk(&rows).await).await.unwrap();
        db.store.insert_recording(&recording(250, &w.globex, None, None, T0), NOW).await.unwrap();
        assert!(bin(&db.store, &rows[7].id, DataScope::Everything).await, "one of them in Deleted recordings");
        let reason = callrec_domain::hold::HoldReason::parse("Case 7").unwrap();
        let entry = |company: CompanyId, count: u64| NewAuditEntry::new(AuditAction::HoldPlaced).company(company).target(format!("{count} recordings"));
        let acme = query(DataScope::Company(w.acme.id));
        let placed = db.store.change_holds_matching(&acme, HoldChange::Place(&reason), "test", NOW, entry).await.unwrap();
        assert_eq!(placed, n as u64, "every match, Deleted recordings too");
        assert_eq!(db.store.count_matching(&acme).await.unwrap(), (n as i64 - 1, n as i64 - 1));
        let globex = query(DataScope::Company(w.globex.id));
        assert_eq!(db.store.count_matching(&globex).await.unwrap(), (1, 0), "another company untouched");
        let entries = db.store.audit_entries(&callrec_store::AuditQuery { action: Some("recording.hold_placed".into()), limit: 5, ..callrec_store::AuditQuery::default() }).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].target.as_deref(), Some(format!("{n} recordings").as_str()));
        let again = db.store.change_holds_matching(&acme, HoldChange::Place(&reason), "test", NOW, entry).await.unwrap();
        assert_eq!(again, 0, "held already: nothing changes");
        let released = db.store.change_holds_matching(&acme, HoldChange::Release, "test", NOW, entry).await.unwrap();
        assert_eq!(released, n as u64);
    }

    async fn the_busiest_lists_count_each_scope_only(db) {
        let w = world(&db.store).await;
        // The agent made 3 calls in Sales and 2 in Support (they moved); the
        // other user 1 in Support; Globex 1 of nobody's.
        for (n, team) in [(1u8, &w.sales), (2, &w.sales), (3, &w.sales), (4, &w.support), (5, &w.support)] {
            db.store.insert_recording(&recording(n, &w.acme, Some(team), Some(&w.agent), T0 + i64::from(n) * 60_000), NOW).await.unwrap();
        }
        db.store.insert_recording(&recording(6, &w.acme, Some(&w.support), Some(&w.other), T0), NOW).await.unwrap();
        db.store.insert_recording(&recording(7, &w.globex, None, None, T0), NOW).await.unwrap();
        let (from, to) = (T0 / QUARTER_MS, T0 / QUARTER_MS + 4);
        let busiest = |ranking| {
            let store = db.store.clone();
            async move {
                store.busiest(ranking, from, to, 5).await.unwrap().into_iter().map(|e| (e.name, e.calls)).collect::<Vec<_>>()
            }
        };
        let agent = w.agent.username.clone();
        assert_eq!(busiest(Ranking::TeamMembers(w.sales.id)).await, [(agent.clone(), 3)], "only the team's calls");
        let other = w.other.username.clone();
        assert_eq!(busiest(Ranking::TeamMembers(w.support.id)).await, [(agent.clone(), 2), (other.clone(), 1)]);
        assert_eq!(busiest(Ranking::Users(Some(w.acme.id))).await, [(agent.clone(), 5), (other.clone(), 1)]);
        assert!(busiest(Ranking::Users(Some(w.globex.id))).await.is_empty(), "Globex's call has no user");
        assert_eq!(busiest(Ranking::Users(None)).await, [(agent, 5), (other, 1)]);
        assert_eq!(busiest(Ranking::Teams(Some(w.acme.id))).await, [(w.sales.name.clone(), 3), (w.support.name.clone(), 3)]);
        let everywhere = busiest(Ranking::Teams(None)).await;
        assert_eq!(everywhere[0], (format!("{} · {}", w.acme.name, w.sales.name), 3), "named with the company");
        let later = db.store.busiest(Ranking::Users(None), to + 1, to + 100, 5).await.unwrap();
        assert!(later.is_empty(), "outside the period");
    }

    async fn api_tokens_are_found_by_hash_until_revoked_or_expired(db) {
        let w = world(&db.store).await;
        let name = TokenName::parse("pbx").unwrap();
        let scopes = ApiScopes::parse("recordings:read,audit:read").unwrap();
        let new = |hash: &'static str, expires_at| NewApiToken {
            company: w.acme.id,
            name: &name,
            scopes,
            token_hash: hash,
            expires_at,
            created_by: "root",
        };
        let entry = || NewAuditEntry::new(AuditAction::TokenCreated).company(w.acme.id);
        let made = db.store.create_api_token(&new("hash-1", Some(NOW + 100)), entry(), NOW).await.unwrap();
        assert_eq!((made.scopes, made.created_by.as_deref(), made.expires_at), (scopes, Some("root"), Some(NOW + 100)));
        let audited = || async {
            db.store.audit_entries(&AuditQuery { action: Some("token.created".into()), limit: 10, ..AuditQuery::default() }).await.unwrap().len()
        };
        assert_eq!(audited().await, 1);
        let err = db.store.create_api_token(&new("hash-2", None), entry(), NOW).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }));
        assert_eq!(audited().await, 1, "a refused token leaves no audit entry");

        let token = db.store.api_token("hash-1", NOW).await.unwrap().unwrap();
        assert_eq!((token.company_id, token.name.as_str(), token.scopes), (w.acme.id, "pbx", scopes));
        assert!(db.store.api_token("hash-x", NOW).await.unwrap().is_none());
        assert_eq!(token.state(NOW + 99), TokenState::Active);
        assert!(db.store.api_token("hash-1", NOW + 99).await.unwrap().is_some());
        assert!(db.store.api_token("hash-1", NOW + 100).await.unwrap().is_none(), "expired at its time");
        assert_eq!(token.state(NOW + 100), TokenState::Expired);

        db.store.note_api_token_use(&token, "198.51.100.7", NOW + 5).await.unwrap();
        let used = db.store.api_token("hash-1", NOW + 6).await.unwrap().unwrap();
        assert_eq!((used.last_used_at, used.last_used_addr.as_deref()), (Some(NOW + 5), Some("198.51.100.7")));
        db.store.note_api_token_use(&token, "198.51.100.8", NOW + 4).await.unwrap();
        let kept = db.store.api_token("hash-1", NOW + 6).await.unwrap().unwrap();
        assert_eq!(kept.last_used_at, Some(NOW + 5), "an older use never overwrites a newer one");

        let revoke = || NewAuditEntry::new(AuditAction::TokenRevoked).company(w.acme.id);
        assert!(!db.store.revoke_api_token(w.globex.id, token.id, revoke(), NOW).await.unwrap(), "another company's token");
        assert!(db.store.revoke_api_token(w.acme.id, token.id, revoke(), NOW).await.unwrap());
        assert!(!db.store.revoke_api_token(w.acme.id, token.id, revoke(), NOW).await.unwrap());
        assert!(db.store.api_token("hash-1", NOW).await.unwrap().is_none());
        let listed = &db.store.list_api_tokens(Some(w.acme.id)).await.unwrap()[0];
        assert_eq!(listed.state(NOW), TokenState::Revoked);
        let revocations = db.store.audit_entries(&AuditQuery { action: Some("token.revoked".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(revocations.len(), 1, "one entry for the one revocation");
    }
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
