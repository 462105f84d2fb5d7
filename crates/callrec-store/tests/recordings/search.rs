//! The Recordings search: scope, filters, number search, pages, names.

use super::*;

backend_tests! {
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
        // Either number: the called 5507 or the calling …4600….
        assert_eq!(run(RecordingQuery { number: Some("5507".into()), ..query(scope) }).await, 1);
        assert_eq!(run(RecordingQuery { number: Some("4600".into()), ..query(scope) }).await, 20);
        assert_eq!(run(RecordingQuery { number: Some("550".into()), ..query(scope) }).await, 10);
        assert_eq!(run(RecordingQuery { number: Some("442079460007".into()), ..query(scope) }).await, 1);
        assert_eq!(run(RecordingQuery { number: Some("4600".into()), called: Some("5507".into()), ..query(scope) }).await, 1);
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
            // The Phone number box: either number.
            let number = match case % 5 {
                0 => cut(source.called_number.as_str(), &mut next),
                1 => cut(source.calling_number.as_str(), &mut next),
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
                    .filter(|r| {
                        number.as_ref().is_none_or(|c| {
                            digits_of(r.calling_number.as_str()).contains(c.as_str()) || digits_of(r.called_number.as_str()).contains(c.as_str())
                        })
                    })
                    .collect();
                expected.sort_by(|a, b| (b.started_at_ms, b.id.as_str()).cmp(&(a.started_at_ms, a.id.as_str())));
                let expected: Vec<&str> = expected.iter().map(|r| r.id.as_str()).collect();
                let search = |from| RecordingQuery {
                    number: number.clone(),
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
            extension: None,
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
                extension: None,
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
}
