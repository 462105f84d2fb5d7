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
