//! The start-up every node runs (`Application::build`), seen from outside:
//! the first administrator, the audio tidy-up and the purge of expired
//! sessions happen in tests as in `callrec serve`.

use crate::harness::*;
use callrec_app::bootstrap::BootstrapAdmin;
use callrec_app::{Clock, Keyring};
use callrec_domain::{CompanyId, NewPassword, PasswordLife};
use callrec_store::{backend_tests, AuditQuery, BlobStore};
use callrec_web::server::ConnectionTimeouts;
use callrec_web::startup::{Application, Startup};
use std::time::Duration;

const T: i64 = 1_800_000_000;

/// Waits for something a background task does, for at most ten seconds.
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

backend_tests! {
    /// A fresh database starts with the Operator company and its Global
    /// administrator, audited as made by the command line; a second node
    /// on the same database makes no second one.
    async fn the_first_start_makes_the_administrator_once(db) {
        let app = spawn_app(db).await;
        assert_eq!(app.store.count_users().await.unwrap(), 1);
        let made = app.store.user_by_username(BOOTSTRAP_ADMIN).await.unwrap().unwrap();
        assert_eq!(made.password_life, PasswordLife::Permanent, "given by CALLREC_BOOTSTRAP_ADMIN_PASSWORD");
        let admin = app.browser();
        let response = admin.login(BOOTSTRAP_ADMIN, PASSWORD).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/home", "a Global administrator with every role");
        // The Operator company requires MFA after a week of grace.
        let operator = app.store.company_by_name("Operator").await.unwrap().unwrap();
        assert_eq!(operator.mfa_policy, callrec_domain::MfaPolicy::Enabled);
        let week = operator.mfa_deadline.unwrap() - app.clock.now();
        assert!((7 * 86_400 - 60..=7 * 86_400).contains(&week), "{week}");
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("Your company requires MFA from"));
        let entries = app.store.audit_entries(&AuditQuery {
            action: Some("user.created".into()),
            limit: 10,
            ..AuditQuery::default()
        }).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].target.as_deref(), Some(BOOTSTRAP_ADMIN));
        assert_eq!(entries[0].actor_name.as_deref(), Some("cli"));

        app.second_node().await;
        assert_eq!(app.store.count_users().await.unwrap(), 1, "one administrator, not two");
    }

    /// The printed random password is temporary (good for
    /// CALLREC_TEMPORARY_PASSWORD_HOURS); one automation gave is not.
    async fn a_printed_first_password_is_temporary(db) {
        let store = db.store.clone();
        let mut config = test_config();
        config.temporary_password_hours = 5;
        let app = Application::build(Startup {
            store: store.clone(),
            config,
            keyring: Keyring::new(TEST_KEY, &[]),
            blobs: BlobStore::new(db.data_dir()),
            clock: Clock::manual(T),
            timeouts: ConnectionTimeouts::default(),
            orphan_grace: Duration::from_secs(60),
            admin: BootstrapAdmin::default(),
            listen: "127.0.0.1:0".parse().unwrap(),
            metrics_listen: None,
        })
        .await
        .unwrap();
        let made = app.bootstrapped.as_ref().expect("an administrator");
        let printed = made.generated_password.as_deref().expect("a printed password");
        assert!(NewPassword::parse(printed, "admin").is_ok());
        let admin = store.user_by_username("admin").await.unwrap().unwrap();
        assert_eq!(admin.password_life, PasswordLife::Temporary { expires_at: T + 5 * 3600 });
    }

    /// Audio an upload placed but whose row never arrived (its node died
    /// between the two) is removed when a node starts, once its note is
    /// older than the grace period; a newer one is left for the upload that
    /// may be finishing it, and a file with no note is not looked for (no
    /// listing of the whole store at start).
    async fn a_starting_node_removes_old_orphaned_audio(db) {
        let app = spawn_app(db).await;
        let old = app.blobs.put(b"RIFF old orphan", CompanyId(1)).await.unwrap();
        let new = app.blobs.put(b"RIFF new orphan", CompanyId(1)).await.unwrap();
        let unnoted = app.blobs.put(b"RIFF no note", CompanyId(1)).await.unwrap();
        let now = app.clock.now();
        app.store.note_pending_audio(&old.key, now - 3600).await.unwrap();
        app.store.note_pending_audio(&new.key, now).await.unwrap();
        app.second_node().await;
        assert!(app.blobs.open(&old.key).await.unwrap().is_none(), "the old orphan is gone");
        assert!(app.blobs.open(&new.key).await.unwrap().is_some(), "the new one stays");
        assert!(app.blobs.open(&unnoted.key).await.unwrap().is_some(), "no listing at start");
        assert_eq!(
            app.store.stale_pending_audio(now + 1, 10).await.unwrap(),
            vec![new.key.clone()],
            "the old note is forgotten, the new one kept"
        );
    }

    /// Sessions past their absolute timeout are purged by the node's own
    /// clock, without anyone using them.
    async fn expired_sessions_are_purged_by_the_node(db) {
        let clock = Clock::manual(T);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        app.as_user("acme.admin").await;
        assert_eq!(app.store.count_user_sessions(seed.acme_admin.id).await.unwrap(), 1);
        clock.advance(app.config.session.absolute + 1);
        // A node starting now purges at once (and then every ten minutes).
        app.second_node().await;
        let store = app.store.clone();
        let id = seed.acme_admin.id;
        assert!(
            eventually(|| {
                let store = store.clone();
                async move { store.count_user_sessions(id).await.unwrap() == 0 }
            })
            .await,
            "the expired session is purged"
        );
    }
}

backend_tests! {
    /// A node whose clock is far from the PostgreSQL server's says so on
    /// /readyz (and still answers ready); SQLite runs in the node itself.
    async fn readyz_tells_of_a_clock_apart_from_the_database(db) {
        let postgres = db.store.backend() == callrec_store::Backend::Postgres;
        let behind = Clock::manual(callrec_app::system_now() - 60);
        let app = spawn_app_on(db, test_config(), behind).await;
        let (status, body) = app.browser().get_text("/readyz").await;
        assert_eq!(status, 200);
        if postgres {
            assert!(body.starts_with("ready; this node's clock is 6"), "{body}");
            assert!(body.contains("s behind the database server's"), "{body}");
        } else {
            assert_eq!(body, "ready");
        }
        let on_time = serve_with(app.store.clone(), test_config(), app.blobs.clone(), Clock::system()).await;
        let (_, body) = Browser::new(&on_time).get_text("/readyz").await;
        assert_eq!(body, "ready", "a node on the system clock agrees with the server");
    }
}
