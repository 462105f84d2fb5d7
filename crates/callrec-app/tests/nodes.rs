//! Several nodes on one database (issue 14), on SQLite and PostgreSQL:
//! the master key check settles two first starts at once, and a node with
//! another key is refused.

use callrec_app::keyring::{check_secret_key, KeyCheck};
use callrec_app::Keyring;
use callrec_store::backend_tests;
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

backend_tests! {
    /// Two first starts with different keys, each on its own task released
    /// by one barrier, round after round (the check removed between them):
    /// one key wins every time, the other node is refused, and each node
    /// wins some rounds, so both orders really occur.
    async fn two_first_starts_at_once_record_one_key(db) {
        let other = db.another_node().await;
        let (one, two) = (Keyring::new([1; 32], &[]), Keyring::new([2; 32], &[]));
        let (mut first_won, mut second_won, mut rounds) = (0, 0, 0);
        while rounds < 10 || ((first_won == 0 || second_won == 0) && rounds < 200) {
            rounds += 1;
            callrec_store::testing::execute(&db.store, "DELETE FROM secret_key_check").await.unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let start = |store: callrec_store::Store, key: [u8; 32]| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    let key = Keyring::new(key, &[]);
                    barrier.wait().await;
                    check_secret_key(&store, &key, NOW).await.is_ok()
                })
            };
            let a = start(db.store.clone(), [1; 32]);
            let b = start(other.clone(), [2; 32]);
            let outcomes = [a.await.unwrap(), b.await.unwrap()];
            assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "round {rounds}: one key wins, the other node is refused");
            let (winner, loser) = if outcomes[0] { (&one, &two) } else { (&two, &one) };
            assert_eq!(check_secret_key(&other, winner, NOW).await.unwrap(), KeyCheck::Matches);
            assert!(check_secret_key(&db.store, loser, NOW).await.is_err());
            if outcomes[0] { first_won += 1 } else { second_won += 1 }
        }
        assert!(first_won > 0 && second_won > 0, "both orders in {rounds} rounds: {first_won} and {second_won}");
    }

    async fn the_same_key_on_two_nodes_matches(db) {
        let other = db.another_node().await;
        let key = Keyring::new([3; 32], &[]);
        let (a, b) = tokio::join!(check_secret_key(&db.store, &key, NOW), check_secret_key(&other, &key, NOW));
        let mut got = [a.unwrap(), b.unwrap()];
        got.sort_by_key(|check| *check == KeyCheck::Matches);
        assert_eq!(got, [KeyCheck::Recorded, KeyCheck::Matches]);
        // Rotated: the new key with the old as previous moves the check on.
        let rotated = Keyring::new([4; 32], &[[3; 32]]);
        assert_eq!(check_secret_key(&other, &rotated, NOW).await.unwrap(), KeyCheck::Rotated);
        assert_eq!(check_secret_key(&db.store, &rotated, NOW).await.unwrap(), KeyCheck::Matches);
        assert!(check_secret_key(&db.store, &key, NOW).await.is_err(), "the old key alone no longer starts");
    }
}

backend_tests! {
    /// Two companies' administrators on two nodes add overlapping E.164
    /// ranges at the same moment, round after round: exactly one range
    /// stands each time, and each side wins some rounds.
    async fn overlapping_numbers_added_on_two_nodes_at_once_are_kept_once(db) {
        use callrec_app::audit::AuditContext;
        use callrec_domain::country::Country;
        use callrec_domain::retention::Retention;
        use callrec_domain::CompanyName;
        let other = db.another_node().await;
        let company = async |name: &str| db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse(name).unwrap(), Retention::Forever).await).await.unwrap();
        let (acme, globex) = (company("Acme").await, company("Globex").await);
        let gb = Country::parse("country", "GB").unwrap();
        let (mut acme_won, mut globex_won) = (0, 0);
        for round in 0..30u32 {
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let first = format!("+4420794{:02}000", round);
            let add = |store: callrec_store::Store, company: callrec_store::Company, first: String, last: String| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    callrec_app::numbers::add_numbers(&store, &company, &first, &last, gb, callrec_app::numbers::NumbersBy::Operator, &AuditContext::command_line()).await
                })
            };
            // Acme's block and Globex's single number inside it.
            let a = add(db.store.clone(), acme.clone(), first.clone(), format!("+4420794{:02}999", round));
            let b = add(other.clone(), globex.clone(), format!("+4420794{:02}500", round), String::new());
            let (a, b) = (a.await.unwrap(), b.await.unwrap());
            assert!(a.is_ok() != b.is_ok(), "round {round}: one of them stands: {a:?} {b:?}");
            let refused = a.as_ref().err().or(b.as_ref().err()).unwrap().to_string();
            assert!(refused.contains("another company has"), "{refused}");
            if a.is_ok() { acme_won += 1 } else { globex_won += 1 }
        }
        let held = db.store.company_numbers(None).await.unwrap();
        assert_eq!(held.len(), 30, "one range a round");
        assert_eq!(held.iter().filter(|n| n.company_id == acme.id).count(), acme_won);
        assert!(acme_won > 0 && globex_won > 0, "both orders: {acme_won} and {globex_won}");
    }
}
