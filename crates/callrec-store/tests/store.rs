//! The store's behaviour, run on SQLite and (when configured) PostgreSQL.

use callrec_domain::audit::AuditAction;
use callrec_domain::permissions::DataScope;
use callrec_domain::retention::Retention;
use callrec_domain::{
    CompanyName, DisplayName, Email, Level, MfaPolicy, Role, RoleSet, SearchTerm, SessionFacts,
    TeamName, Username,
};
use callrec_store::testing::TestDb;
use callrec_store::{
    backend_tests, AuditQuery, Company, NewAuditEntry, NewUser, Reservation, Reservations,
    SessionTimeouts, Store, StoreError, Team, ThrottleWindow, User, UserDetailsChange, UserQuery,
    UserUpdate,
};

const NOW: i64 = 1_800_000_000;

async fn company(store: &Store, name: &str) -> Company {
    store
        .set_up(NOW, async |w| {
            w.create_company(&CompanyName::parse(name).unwrap(), Retention::Forever)
                .await
        })
        .await
        .unwrap()
}

async fn team(store: &Store, company: &Company, name: &str) -> Team {
    store
        .set_up(NOW, async |w| {
            w.create_team(company.id, &TeamName::parse(name).unwrap())
                .await
        })
        .await
        .unwrap()
}

async fn user(
    store: &Store,
    company: &Company,
    team: Option<&Team>,
    name: &str,
    level: Level,
) -> User {
    try_user(store, company, team, name, level).await.unwrap()
}

async fn try_user(
    store: &Store,
    company: &Company,
    team: Option<&Team>,
    name: &str,
    level: Level,
) -> Result<User, StoreError> {
    let username = Username::parse(name).unwrap();
    let display = DisplayName::parse(&format!("{name} Person")).unwrap();
    let email = Email::parse_optional(&format!("{name}@example.com")).unwrap();
    store
        .set_up(NOW, async |w| {
            w.create_user(&NewUser {
                company_id: company.id,
                team_id: team.map(|t| t.id),
                username: &username,
                display_name: &display,
                email: email.as_ref(),
                extension: None,
                level,
                password: callrec_store::StoredPassword::permanent("hash"),
                roles: [Role::Recordings].into_iter().collect(),
            })
            .await
        })
        .await
}

fn query(scope: DataScope, search: &str, page: u32, per_page: u32) -> UserQuery {
    UserQuery {
        scope,
        company: None,
        search: SearchTerm::parse(search),
        page,
        per_page,
    }
}

backend_tests! {
    async fn migrations_are_idempotent(db) {
        assert_eq!(db.store.migrate().await.unwrap(), 0, "second run applies nothing");
        db.store.ping().await.unwrap();
    }

    async fn company_names_are_unique_in_any_case(db) {
        let acme = company(&db.store, "Acme").await;
        let err = db.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("ACME").unwrap(), Retention::Forever).await).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        assert_eq!(db.store.company_by_name("acme").await.unwrap(), Some(acme.clone()));
        assert_eq!(db.store.company(acme.id).await.unwrap().unwrap().name, "Acme");
        assert_eq!(db.store.count_companies().await.unwrap(), 1);
    }

    async fn team_names_are_unique_per_company(db) {
        let acme = company(&db.store, "Acme").await;
        let globex = company(&db.store, "Globex").await;
        let sales = team(&db.store, &acme, "Sales").await;
        team(&db.store, &globex, "Sales").await;
        let err = db.store.set_up(NOW, async |write| write.create_team(acme.id, &TeamName::parse("sales").unwrap()).await).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }));
        // A team id of another company is simply not there.
        assert!(db.store.team(globex.id, sales.id).await.unwrap().is_none());
        db.store.set_up(0, async |write| write.rename_team(acme.id, sales.id, &TeamName::parse("Inside Sales").unwrap()).await).await.unwrap();
        db.store.set_up(0, async |write| write.set_team_enabled(acme.id, sales.id, false).await).await.unwrap();
        let renamed = db.store.team(acme.id, sales.id).await.unwrap().unwrap();
        assert_eq!((renamed.name.as_str(), renamed.enabled), ("Inside Sales", false));
        assert!(matches!(
            db.store.set_up(0, async |write| write.rename_team(globex.id, sales.id, &TeamName::parse("X").unwrap()).await).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(db.store.list_teams(Some(acme.id)).await.unwrap().len(), 1);
        assert_eq!(db.store.list_teams(None).await.unwrap().len(), 2);
    }

    async fn usernames_are_unique_in_any_case(db) {
        let acme = company(&db.store, "Acme").await;
        let alice = user(&db.store, &acme, None, "Alice", Level::Company).await;
        assert_eq!(alice.roles, [Role::Recordings].into_iter().collect::<RoleSet>());
        let err = try_user(&db.store, &acme, None, "aLiCe", Level::Staff).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }));
        let (found, hash) = db.store.credentials("ALICE").await.unwrap().unwrap();
        assert_eq!((found.id, hash.as_str()), (alice.id, "hash"));
        assert_eq!(db.store.count_users().await.unwrap(), 1);
    }

    async fn a_user_cannot_join_another_companys_team(db) {
        let acme = company(&db.store, "Acme").await;
        let globex = company(&db.store, "Globex").await;
        let globex_team = team(&db.store, &globex, "Support").await;
        let result = try_user(&db.store, &acme, Some(&globex_team), "mallory", Level::Staff).await;
        assert!(result.is_err(), "the foreign key must refuse it");
        assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing half-written");
    }

    async fn user_lists_are_scoped_searched_and_paged(db) {
        let acme = company(&db.store, "Acme").await;
        let globex = company(&db.store, "Globex").await;
        let sales = team(&db.store, &acme, "Sales").await;
        let support = team(&db.store, &acme, "Support").await;
        let boss = user(&db.store, &acme, None, "boss", Level::Company).await;
        for i in 0..12 {
            user(&db.store, &acme, Some(&sales), &format!("sales{i:02}"), Level::Staff).await;
        }
        user(&db.store, &acme, Some(&support), "helper", Level::Staff).await;
        user(&db.store, &globex, None, "outsider", Level::Company).await;
        user(&db.store, &acme, None, "under_score", Level::Staff).await;

        let all = db.store.list_users(&query(DataScope::Everything, "", 0, 100)).await.unwrap();
        assert_eq!(all.total, 16);
        let acme_only = db.store.list_users(&query(DataScope::Company(acme.id), "", 0, 100)).await.unwrap();
        assert_eq!(acme_only.total, 15);
        assert!(acme_only.items.iter().all(|u| u.company_id == acme.id));
        let team_only = db.store.list_users(&query(DataScope::Team(acme.id, sales.id), "", 0, 100)).await.unwrap();
        assert_eq!(team_only.total, 12);
        let own = db.store.list_users(&query(DataScope::OwnOnly(boss.id), "", 0, 100)).await.unwrap();
        assert_eq!(own.items.iter().map(|u| u.id).collect::<Vec<_>>(), vec![boss.id]);

        // Search covers username, name and e-mail, any case; LIKE wildcards are literal.
        let found = db.store.list_users(&query(DataScope::Everything, "HELPER@EXAMPLE", 0, 100)).await.unwrap();
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].username, "helper");
        let underscore = db.store.list_users(&query(DataScope::Everything, "_", 0, 100)).await.unwrap();
        assert_eq!(underscore.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["under_score"]);
        let scoped_search = db.store.list_users(&query(DataScope::Company(globex.id), "helper", 0, 100)).await.unwrap();
        assert_eq!(scoped_search.total, 0, "search never escapes the scope");

        // Pages of 5 over 12 sales users: 5, 5, 2.
        let page = |n| query(DataScope::Team(acme.id, sales.id), "", n, 5);
        let first = db.store.list_users(&page(0)).await.unwrap();
        let last = db.store.list_users(&page(2)).await.unwrap();
        assert_eq!((first.items.len(), first.has_previous(), first.has_next()), (5, false, true));
        assert_eq!((last.items.len(), last.has_next(), last.first_row(), last.last_row()), (2, false, 11, 12));
        assert_eq!(first.items[0].username, "sales00");
        assert_eq!(last.items[1].username, "sales11");
    }

    async fn user_in_scope_hides_users_outside_it(db) {
        let acme = company(&db.store, "Acme").await;
        let globex = company(&db.store, "Globex").await;
        let outsider = user(&db.store, &globex, None, "outsider", Level::Staff).await;
        assert!(db.store.user_in_scope(outsider.id, DataScope::Company(acme.id)).await.unwrap().is_none());
        assert!(db.store.user_in_scope(outsider.id, DataScope::Company(globex.id)).await.unwrap().is_some());
        assert!(db.store.user_in_scope(outsider.id, DataScope::Everything).await.unwrap().is_some());
    }

    async fn details_roles_and_password_change(db) {
        let acme = company(&db.store, "Acme").await;
        let sales = team(&db.store, &acme, "Sales").await;
        let bob = user(&db.store, &acme, None, "bob", Level::Company).await;
        let change = UserDetailsChange {
            display_name: DisplayName::parse("Robert").unwrap(),
            email: None,
            extension: None,
            level: Level::Team,
            team_id: Some(sales.id),
            enabled: false,
        };
        let roles: RoleSet = [Role::ManageOwnMfa, Role::AuditLog].into_iter().collect();
        let update = UserUpdate { details: change, roles: roles.clone(), password: Some(callrec_store::StoredPassword::permanent("new-hash")) };
        db.store.set_up(NOW + 1, async |write| write.update_user(bob.id, &update).await).await.unwrap();
        let (bob, hash) = db.store.credentials("bob").await.unwrap().unwrap();
        assert_eq!(bob.display_name, "Robert");
        assert_eq!(bob.email, None);
        assert_eq!((bob.level, bob.team_id, bob.team_name.as_deref()), (Level::Team, Some(sales.id), Some("Sales")));
        assert!(!bob.enabled);
        assert_eq!(bob.roles, roles);
        assert_eq!(hash, "new-hash");
        let update = UserUpdate { roles: RoleSet::default(), password: None, ..update };
        db.store.set_up(NOW + 2, async |write| write.update_user(bob.id, &update).await).await.unwrap();
        assert!(db.store.user(bob.id).await.unwrap().unwrap().roles.is_empty());
        assert_eq!(db.store.credentials("bob").await.unwrap().unwrap().1, "new-hash", "no new password: hash kept");
        db.store.set_up(NOW + 3, async |write| write.set_password(bob.id, &callrec_store::StoredPassword::permanent("cli-hash")).await).await.unwrap();
        assert_eq!(db.store.credentials("bob").await.unwrap().unwrap().1, "cli-hash");
        let missing = db.store.set_up(NOW, async |write| write.update_user(callrec_domain::UserId(999_999), &update).await).await;
        assert!(matches!(missing, Err(StoreError::NotFound)));
    }

    async fn sessions_expire_and_end_per_user(db) {
        let acme = company(&db.store, "Acme").await;
        let bob = user(&db.store, &acme, None, "bob", Level::Company).await;
        let timeouts = SessionTimeouts { idle: 1800, absolute: 43_200 };
        for id in ["a", "b", "c"] {
            db.store.set_up(NOW, async |write| write.create_session(id, bob.id, "127.0.0.1", SessionFacts::default()).await).await.unwrap();
        }
        assert!(db.store.session_user("a", NOW + 1799, timeouts).await.unwrap().is_some());
        // Touched at NOW+1799, so still alive 1799 s later.
        assert!(db.store.session_user("a", NOW + 3598, timeouts).await.unwrap().is_some());
        // "b" was never touched: idle past the limit, and deleted on sight.
        assert!(db.store.session_user("b", NOW + 1800, timeouts).await.unwrap().is_none());
        assert!(db.store.session_user("b", NOW, timeouts).await.unwrap().is_none());
        // The absolute limit holds however busy the session is.
        assert!(db.store.session_user("a", NOW + 43_200, timeouts).await.unwrap().is_none());
        assert!(db.store.session_user("unknown", NOW, timeouts).await.unwrap().is_none());

        for id in ["d", "e"] {
            db.store.set_up(NOW, async |write| write.create_session(id, bob.id, "127.0.0.1", SessionFacts::default()).await).await.unwrap();
        }
        assert_eq!(db.store.set_up(0, async |write| write.delete_user_sessions(bob.id, Some("d")).await).await.unwrap(), 2);
        assert_eq!(db.store.count_user_sessions(bob.id).await.unwrap(), 1);
        db.store.set_up(0, async |write| write.delete_session("d").await).await.unwrap();
        assert_eq!(db.store.count_user_sessions(bob.id).await.unwrap(), 0);
        db.store.set_up(NOW, async |write| write.create_session("f", bob.id, "127.0.0.1", SessionFacts::default()).await).await.unwrap();
        assert_eq!(db.store.purge_expired_sessions(NOW + 1800, timeouts).await.unwrap(), 1);
    }

    async fn mfa_registration_lifecycle(db) {
        let acme = company(&db.store, "Acme").await;
        let bob = user(&db.store, &acme, None, "bob", Level::Company).await;
        assert!(!bob.mfa_registered);
        assert_eq!(bob.company_mfa_policy, MfaPolicy::Disabled);
        assert!(db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher-1", "s1").await).await.unwrap());
        // Starting again replaces the pending secret.
        assert!(db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher-2", "s1").await).await.unwrap());
        let pending = db.store.mfa_registration(bob.id).await.unwrap().unwrap();
        assert_eq!((pending.secret_ciphertext.as_str(), pending.confirmed), ("cipher-2", false));
        assert!(!db.store.set_up(0, async |write| write.accept_mfa_step(bob.id, 10).await).await.unwrap(), "nothing confirmed to accept");
        assert!(pending.pending_for("s1") && !pending.pending_for("s2"));
        // Another session starting takes the registration over: the first
        // session can no longer confirm (security review, item 5).
        assert!(db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher-2", "s2").await).await.unwrap());
        assert!(!db.store.set_up(NOW, async |write| write.confirm_mfa_registration(bob.id, "s1", 100).await).await.unwrap());
        assert!(db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher-2", "s1").await).await.unwrap());
        assert!(db.store.set_up(NOW, async |write| write.confirm_mfa_registration(bob.id, "s1", 100).await).await.unwrap());
        assert!(!db.store.set_up(NOW, async |write| write.confirm_mfa_registration(bob.id, "s1", 101).await).await.unwrap(), "only once");
        assert!(!db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher-3", "s1").await).await.unwrap(), "a confirmed secret is kept");
        assert!(db.store.user(bob.id).await.unwrap().unwrap().mfa_registered);
        assert!(!db.store.set_up(0, async |write| write.accept_mfa_step(bob.id, 100).await).await.unwrap(), "the confirming step is used");
        assert!(!db.store.set_up(0, async |write| write.accept_mfa_step(bob.id, 99).await).await.unwrap(), "older steps too");
        assert!(db.store.set_up(0, async |write| write.accept_mfa_step(bob.id, 101).await).await.unwrap());
        assert!(db.store.set_up(0, async |write| write.replace_mfa_ciphertext(bob.id, "cipher-2", "cipher-9").await).await.unwrap());
        assert!(!db.store.set_up(0, async |write| write.replace_mfa_ciphertext(bob.id, "cipher-2", "cipher-10").await).await.unwrap());
        assert_eq!(db.store.mfa_ciphertexts().await.unwrap(), vec![(bob.id, "cipher-9".to_string())]);
        assert!(db.store.set_up(0, async |write| write.delete_mfa_registration(bob.id).await).await.unwrap());
        assert!(!db.store.set_up(0, async |write| write.delete_mfa_registration(bob.id).await).await.unwrap());
        assert!(db.store.mfa_registration(bob.id).await.unwrap().is_none());
    }

    async fn one_of_many_parallel_codes_wins(db) {
        let acme = company(&db.store, "Acme").await;
        let bob = user(&db.store, &acme, None, "bob", Level::Company).await;
        db.store.set_up(NOW, async |write| write.start_mfa_registration(bob.id, "cipher", "s1").await).await.unwrap();
        db.store.set_up(NOW, async |write| write.confirm_mfa_registration(bob.id, "s1", 1).await).await.unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = db.store.clone();
                tokio::spawn(async move { store.set_up(0, async |write| write.accept_mfa_step(bob.id, 2).await).await.unwrap() })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            accepted += usize::from(task.await.unwrap());
        }
        assert_eq!(accepted, 1);
    }

    async fn policy_opt_in_and_summary(db) {
        let acme = company(&db.store, "Acme").await;
        let a = user(&db.store, &acme, None, "a.user", Level::Company).await;
        user(&db.store, &acme, None, "b.user", Level::Company).await;
        user(&db.store, &acme, None, "c.user", Level::Company).await;
        db.store.set_up(NOW, async |write| write.start_mfa_registration(a.id, "x", "s1").await).await.unwrap();
        let summary = db.store.mfa_summary(acme.id).await.unwrap();
        assert_eq!((summary.users, summary.registered, summary.to_register()), (3, 0, 3), "pending does not count");
        db.store.set_up(NOW, async |write| write.confirm_mfa_registration(a.id, "s1", 1).await).await.unwrap();
        let summary = db.store.mfa_summary(acme.id).await.unwrap();
        assert_eq!((summary.registered, summary.to_register()), (1, 2));
        db.store.set_up(0, async |write| write.set_mfa_policy(acme.id, MfaPolicy::Available).await).await.unwrap();
        db.store.set_up(0, async |write| write.set_mfa_opt_in(a.id, true).await).await.unwrap();
        let a = db.store.user(a.id).await.unwrap().unwrap();
        assert_eq!((a.company_mfa_policy, a.mfa_opt_in, a.mfa_registered), (MfaPolicy::Available, true, true));
        assert_eq!(a.sign_in_step(SessionFacts::password(false), NOW), callrec_domain::SignInStep::EnterCode);
        assert_eq!(a.sign_in_step(SessionFacts::password(true), NOW), callrec_domain::SignInStep::SignedIn);
        db.store.set_up(NOW, async |write| write.create_session("s", a.id, "127.0.0.1", SessionFacts::default()).await).await.unwrap();
        db.store.set_up(0, async |write| write.set_session_mfa_passed("s", true).await).await.unwrap();
        let timeouts = SessionTimeouts { idle: 1800, absolute: 43_200 };
        assert!(db.store.session_user("s", NOW, timeouts).await.unwrap().unwrap().0.facts.mfa_passed);
    }

    async fn several_windows_are_reserved_all_or_none(db) {
        use callrec_domain::throttle::ThrottleScope::{SignInAccount as Account, SignInClient as Client};
        let roomy = ThrottleWindow { seconds: 900, limit: 5 };
        let full = ThrottleWindow { seconds: 900, limit: 1 };
        assert_eq!(db.store.reserve_attempt(Client, "10.0.0.1", NOW, full).await.unwrap(), Reservation::Reserved(1));
        let both = [(Account, "bob", roomy), (Client, "10.0.0.1", full)];
        assert_eq!(db.store.reserve_attempts(&both, NOW + 100).await.unwrap(), Reservations::Refused { wait: 800 });
        // The refusal counted nothing in the account's window either.
        assert_eq!(db.store.reserve_attempt(Account, "bob", NOW + 100, roomy).await.unwrap(), Reservation::Reserved(1));
        let other = [(Account, "bob", roomy), (Client, "10.0.0.2", full)];
        assert_eq!(db.store.reserve_attempts(&other, NOW + 100).await.unwrap(), Reservations::Reserved(vec![2, 1]));
    }

    async fn throttle_counts_within_a_window(db) {
        use callrec_domain::throttle::ThrottleScope::SignInAccount as Account;
        let window = ThrottleWindow { seconds: 900, limit: 3 };
        for expected in 1..=3 {
            assert_eq!(db.store.reserve_attempt(Account, "bob", NOW, window).await.unwrap(), Reservation::Reserved(expected));
        }
        assert_eq!(db.store.reserve_attempt(Account, "bob", NOW + 100, window).await.unwrap(), Reservation::Refused { wait: 800 });
        assert_eq!(db.store.throttled_for(Account, "bob", NOW + 100, window).await.unwrap(), Some(800));
        assert_eq!(db.store.throttled_for(Account, "alice", NOW, window).await.unwrap(), None);
        assert_eq!(db.store.throttled_for(Account, "bob", NOW + 900, window).await.unwrap(), None);
        // An attempt after the window starts a new one.
        assert_eq!(db.store.reserve_attempt(Account, "bob", NOW + 900, window).await.unwrap(), Reservation::Reserved(1));
        // A released place can be taken again; the count never goes below zero.
        db.store.release_attempt(Account, "bob").await.unwrap();
        db.store.release_attempt(Account, "bob").await.unwrap();
        assert_eq!(db.store.reserve_attempt(Account, "bob", NOW + 901, window).await.unwrap(), Reservation::Reserved(1));
        // A hold keeps the window full until the given time.
        db.store.set_up(0, async |write| write.hold_until(Account, "bob", NOW + 2000, window).await).await.unwrap();
        assert_eq!(db.store.throttled_for(Account, "bob", NOW + 1999, window).await.unwrap(), Some(1));
        // Places given back by attempts still in flight do not open a hold.
        for _ in 0..5 {
            db.store.release_attempt(Account, "bob").await.unwrap();
        }
        assert!(matches!(db.store.reserve_attempt(Account, "bob", NOW + 1000, window).await.unwrap(), Reservation::Refused { .. }));
        assert_eq!(db.store.reserve_attempt(Account, "bob", NOW + 2000, window).await.unwrap(), Reservation::Reserved(1));
        assert_eq!(db.store.throttled_for(Account, "bob", NOW + 2001, window).await.unwrap(), None);
        // Counters long past their window are purged; fresh ones stay.
        db.store.reserve_attempt(Account, "carol", NOW, window).await.unwrap();
        db.store.reserve_attempt(Account, "dave", NOW + 1700, window).await.unwrap();
        assert_eq!(db.store.purge_stale_counters(NOW + 1801, 900).await.unwrap(), 1);
        assert_eq!(db.store.reserve_attempt(Account, "dave", NOW + 1801, window).await.unwrap(), Reservation::Reserved(2));
    }

    /// Security review, items 2 and 3: parallel attempts on two nodes (two
    /// stores, two pools, one database) reserve exactly the limit.
    async fn parallel_reservations_on_two_nodes_stop_at_the_limit(db) {
        use callrec_domain::throttle::ThrottleScope::SignInClient as Client;
        let window = ThrottleWindow { seconds: 900, limit: 10 };
        let other = db.another_node().await;
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = if i % 2 == 0 { db.store.clone() } else { other.clone() };
                tokio::spawn(async move { store.reserve_attempt(Client, "10.0.0.1", NOW, window).await })
            })
            .collect();
        let mut reserved = Vec::new();
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap().unwrap() {
                Reservation::Reserved(n) => reserved.push(n),
                Reservation::Refused { wait } => {
                    assert_eq!(wait, 900);
                    refused += 1;
                }
            }
        }
        reserved.sort_unstable();
        assert_eq!(reserved, (1..=10).collect::<Vec<_>>(), "each place taken once");
        assert_eq!(refused, 30);
    }

    async fn audit_log_appends_and_filters(db) {
        let acme = company(&db.store, "Acme").await;
        let bob = user(&db.store, &acme, None, "bob", Level::Company).await;
        db.store.audit(NewAuditEntry::new(AuditAction::SignInFailed).target("bob").client("10.1.1.1"), NOW).await.unwrap();
        db.store
            .audit(
                NewAuditEntry::new(AuditAction::SignInSucceeded)
                    .actor(bob.id, "bob")
                    .company(acme.id)
                    .target("bob")
                    .client("10.1.1.1")
                    .details("first sign-in"),
                NOW + 1,
            )
            .await
            .unwrap();
        let all = db.store.audit_entries(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].action_label(), "Signed in");
        assert_eq!(all[0].details, "first sign-in");
        assert_eq!(all[0].actor_user_id, Some(bob.id));
        let acme_only = db.store.audit_entries(&AuditQuery { company: Some(acme.id), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(acme_only.len(), 1);
        let older = db.store.audit_entries(&AuditQuery { before: Some(all[0].id), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(older.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["sign_in.failed"]);
    }
}

#[tokio::test]
async fn bad_database_urls_are_refused_clearly() {
    let dir = tempfile_dir();
    let err = Store::connect(Some("mysql://localhost/x"), &dir)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("postgres://"), "{err}");
}

#[tokio::test]
async fn sqlite_file_lives_in_the_data_dir() {
    let db = TestDb::sqlite().await;
    assert!(db.data_dir().join(callrec_store::SQLITE_FILE).exists());
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir()
}

backend_tests! {
    /// A recovery code is spent once; a new set replaces the old whole.
    async fn recovery_codes_are_spent_once_and_replaced_whole(db) {
        let store = &db.store;
        let acme = company(store, "Acme").await;
        let jo = user(store, &acme, None, "jo.user", Level::Company).await;
        let hashes: Vec<String> = (0..10).map(|i| format!("hash-{i}")).collect();
        store.set_up(NOW, async |write| write.replace_recovery_codes(jo.id, &hashes).await).await.unwrap();
        assert_eq!(store.recovery_codes_left(jo.id).await.unwrap(), 10);
        let candidates = ["other-key-hash".to_string(), "hash-3".to_string()];
        assert!(store.set_up(NOW, async |write| write.spend_recovery_code(jo.id, &candidates).await).await.unwrap(), "found under an older key's hash");
        assert!(!store.set_up(NOW, async |write| write.spend_recovery_code(jo.id, &candidates).await).await.unwrap(), "once");
        assert_eq!(store.recovery_codes_left(jo.id).await.unwrap(), 9);
        let sam = user(store, &acme, None, "sam", Level::Company).await;
        assert!(!store.set_up(NOW, async |write| write.spend_recovery_code(sam.id, &["hash-4".to_string()]).await).await.unwrap(), "another user's code");
        store.set_up(NOW, async |write| write.replace_recovery_codes(jo.id, &["new-0".to_string()]).await).await.unwrap();
        assert!(!store.set_up(NOW, async |write| write.spend_recovery_code(jo.id, &["hash-4".to_string()]).await).await.unwrap(), "the old set is gone");
        assert_eq!(store.user(jo.id).await.unwrap().unwrap().recovery_codes_left, 1);
    }

    /// A key's use is recorded only when its counter rises (or never
    /// counts); keys are unique portal-wide and removed only by their owner;
    /// a ceremony is taken once.
    async fn security_key_counters_and_ceremonies(db) {
        use callrec_domain::security_key::Ceremony;
        use callrec_store::NewKey;
        let store = &db.store;
        let acme = company(store, "Acme").await;
        let jo = user(store, &acme, None, "jo.user", Level::Company).await;
        let sam = user(store, &acme, None, "sam", Level::Company).await;
        let new = |user, credential_id| NewKey { user, name: "Key", credential_id, credential: "{}", counter: 0 };
        let counting = store.set_up(NOW, async |write| write.add_security_key(&new(jo.id, "cred-a")).await).await.unwrap();
        let zero = store.set_up(NOW, async |write| write.add_security_key(&new(jo.id, "cred-b")).await).await.unwrap();
        assert!(matches!(store.set_up(NOW, async |write| write.add_security_key(&new(sam.id, "cred-a")).await).await, Err(StoreError::Conflict { .. })), "one key, one account");
        assert!(store.set_up(NOW, async |write| write.record_key_use(counting, "{}", 5).await).await.unwrap());
        assert!(!store.set_up(NOW, async |write| write.record_key_use(counting, "{}", 5).await).await.unwrap(), "the same count again");
        assert!(!store.set_up(NOW, async |write| write.record_key_use(counting, "{}", 3).await).await.unwrap(), "a count behind");
        assert!(store.set_up(NOW + 1, async |write| write.record_key_use(counting, "{}", 6).await).await.unwrap());
        assert!(store.set_up(NOW, async |write| write.record_key_use(zero, "{}", 0).await).await.unwrap());
        assert!(store.set_up(NOW, async |write| write.record_key_use(zero, "{}", 0).await).await.unwrap(), "keys that never count");
        let keys = store.security_keys(jo.id).await.unwrap();
        assert_eq!((keys[0].counter, keys[0].last_used_at), (6, Some(NOW + 1)));
        assert_eq!(store.set_up(0, async |write| write.remove_security_key(sam.id, counting).await).await.unwrap(), None, "not another user's");
        assert_eq!(store.set_up(0, async |write| write.remove_security_key(jo.id, counting).await).await.unwrap().as_deref(), Some("Key"));
        assert_eq!(store.user(jo.id).await.unwrap().unwrap().security_keys, 1);
        // Recovery codes go with the last factor, not before.
        store.set_up(NOW, async |write| write.replace_recovery_codes(jo.id, &["code-hash".to_string()]).await).await.unwrap();
        store.set_up(NOW, async |write| write.replace_recovery_codes(sam.id, &["code-hash".to_string()]).await).await.unwrap();
        let sams = store.set_up(NOW, async |write| write.add_security_key(&new(sam.id, "cred-c")).await).await.unwrap();
        store.set_up(NOW, async |write| write.start_mfa_registration(sam.id, "ciphertext", "s").await).await.unwrap();
        store.set_up(NOW, async |write| write.confirm_mfa_registration(sam.id, "s", 1).await).await.unwrap();
        store.set_up(0, async |write| write.remove_security_key(sam.id, sams).await).await.unwrap();
        assert_eq!(store.recovery_codes_left(sam.id).await.unwrap(), 1, "the authenticator remains");
        store.set_up(0, async |write| write.remove_security_key(jo.id, zero).await).await.unwrap();
        assert_eq!(store.recovery_codes_left(jo.id).await.unwrap(), 0, "no factor left: the codes go");

        store.put_ceremony("session", Ceremony::SignIn, "state-1", NOW).await.unwrap();
        store.put_ceremony("session", Ceremony::SignIn, "state-2", NOW + 5).await.unwrap();
        assert_eq!(store.take_ceremony("session", Ceremony::Add).await.unwrap(), None, "kinds apart");
        assert_eq!(store.take_ceremony("session", Ceremony::SignIn).await.unwrap(), Some(("state-2".to_string(), NOW + 5)));
        assert_eq!(store.take_ceremony("session", Ceremony::SignIn).await.unwrap(), None, "taken once");
        store.put_ceremony("old", Ceremony::Add, "s", NOW).await.unwrap();
        assert_eq!(store.purge_ceremonies(NOW + 1).await.unwrap(), 1);
    }
}

backend_tests! {
    /// Two companies claiming one email domain at once, on two nodes:
    /// exactly one gets it; the other's write is refused whole.
    async fn one_sso_domain_per_company_even_in_a_race(db) {
        use callrec_domain::sso::{EmailDomain, SsoMfa};
        use callrec_store::{NewSsoConfig, SsoRefused};
        let other = db.another_node().await;
        let acme = company(&db.store, "Acme").await;
        let globex = company(&db.store, "Globex").await;
        let claim = |store: Store, company: Company| async move {
            let domains = [EmailDomain::parse("example.com").unwrap()];
            let config = NewSsoConfig {
                issuer: "https://idp.example.com",
                client_id: "portal",
                client_secret: "v1.sealed",
                mfa: SsoMfa::Portal,
                create_users: false,
                required: false,
                trust_email: false,
                team_id: None,
                domains: &domains,
            };
            let mut write = store.write(NOW).await.unwrap();
            let outcome = write.set_company_sso(company.id, config).await.unwrap();
            if outcome.is_ok() {
                write.commit().await.unwrap();
            }
            outcome
        };
        let (a, b) = tokio::join!(
            tokio::spawn(claim(db.store.clone(), acme.clone())),
            tokio::spawn(claim(other.clone(), globex.clone()))
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
        assert!(outcomes.contains(&Err(SsoRefused::DomainTaken("example.com".into()))));
        let domain = EmailDomain::parse("example.com").unwrap();
        let holder = db.store.sso_for_domain(&domain).await.unwrap().unwrap();
        let loser = if holder.company_id == acme.id { &globex } else { &acme };
        assert!(db.store.company_sso(loser.id).await.unwrap().is_none(), "nothing half-written");
    }

    /// A sign-in's state taken back by two callbacks at once, on two
    /// nodes: one finds it.
    async fn an_sso_state_is_taken_once(db) {
        use callrec_store::SsoLogin;
        let acme = company(&db.store, "Acme").await;
        let login = SsoLogin {
            browser_hash: "b".into(),
            company_id: acme.id,
            nonce: "n".into(),
            verifier: "v".into(),
            link_user: None,
            created_at: NOW,
        };
        db.store.set_up(NOW, async |w| w.insert_sso_login("state", &login, NOW - 600).await).await.unwrap();
        let other = db.another_node().await;
        let take = |store: Store| async move {
            let mut write = store.write(NOW).await.unwrap();
            let taken = write.take_sso_login("state").await.unwrap();
            write.commit().await.unwrap();
            taken
        };
        let (a, b) = tokio::join!(tokio::spawn(take(db.store.clone())), tokio::spawn(take(other)));
        let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(taken, vec![login]);
        // Old ones are forgotten when a new one is kept.
        let old = SsoLogin { created_at: NOW - 601, ..taken[0].clone() };
        db.store.set_up(NOW, async |w| w.insert_sso_login("old", &old, NOW - 600).await).await.unwrap();
        db.store.set_up(NOW, async |w| w.insert_sso_login("new", &old, NOW - 600).await).await.unwrap();
        let mut write = db.store.write(NOW).await.unwrap();
        assert!(write.take_sso_login("old").await.unwrap().is_none());
        write.commit().await.unwrap();
    }
}
