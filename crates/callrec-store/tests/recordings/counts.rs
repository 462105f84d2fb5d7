//! The counts kept beside the calls (dashboard, reports) and bulk holds.

use super::*;

backend_tests! {
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
}
