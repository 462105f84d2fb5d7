//! A change and its audit entry commit together or not at all: with the
//! entry made to fail after the change (a trigger on `audit_log`), every
//! use case leaves nothing behind, on both engines.

use callrec_app::accounts::{create_user, reset_mfa, set_password, CreateUser};
use callrec_app::audit::AuditContext;
use callrec_app::companies::{create_company, rename_company, set_company_enabled};
use callrec_app::mfa::{register_now, set_company_policy};
use callrec_app::sessions::{sign_out, start_session};
use callrec_app::settings::{set_company_place, CompanyPlace};
use callrec_app::teams::{create_team, rename_team, set_team_enabled};
use callrec_app::{Argon2Settings, Caller, Passwords};
use callrec_domain::country::Country;
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_domain::{
    CompanyName, DisplayName, Level, MfaPolicy, NewPassword, PasswordLife, RoleSet, SessionFacts,
    TeamName, Username,
};
use callrec_store::{backend_tests, AuditQuery, Store};

async fn entries(store: &Store) -> usize {
    let query = AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    };
    store.audit_entries(&query).await.unwrap().len()
}

backend_tests! {
    async fn a_change_whose_entry_fails_leaves_nothing(db) {
        let store = &db.store;
        let audit = AuditContext::command_line();
        let passwords = Passwords::new(&Argon2Settings { memory_kib: 1024, iterations: 1, parallelism: 1 }).unwrap();
        let acme = create_company(store, &CompanyName::parse("Acme").unwrap(), Retention::Forever, &audit).await.unwrap();
        let sales = create_team(store, acme.id, &TeamName::parse("Sales").unwrap(), &audit).await.unwrap();
        let new_user = |name: &str| CreateUser {
            company_id: acme.id,
            team_id: None,
            username: Username::parse(name).unwrap(),
            display_name: DisplayName::parse(name).unwrap(),
            email: None,
            extension: None,
            level: Level::Company,
            roles: RoleSet::default(),
            password: NewPassword::parse("a long pass phrase 1", name).unwrap(),
            password_life: PasswordLife::Permanent,
        };
        let ann = create_user(store, &passwords, Caller::Operator, new_user("ann.one"), &audit).await.unwrap();
        let (_, hash_before) = store.credentials("ann.one").await.unwrap().unwrap();
        let session = start_session(store, &ann, None, SessionFacts::default(), &audit).await.unwrap();
        let session_hash = callrec_app::sessions::hash_session_id(&session);
        let logged = entries(store).await;
        assert!(logged >= 3, "the set-up was audited: {logged}");

        db.fail_audit_writes().await;
        let renamed = TeamName::parse("Inside Sales").unwrap();
        assert!(rename_team(store, &sales, &renamed, &audit).await.is_err());
        assert!(set_team_enabled(store, &sales, false, &audit).await.is_err());
        let team = store.team(acme.id, sales.id).await.unwrap().unwrap();
        assert_eq!((team.name.as_str(), team.enabled), ("Sales", true));

        assert!(create_team(store, acme.id, &TeamName::parse("Night").unwrap(), &audit).await.is_err());
        assert!(store.team_by_name(acme.id, "Night").await.unwrap().is_none());

        let globex = CompanyName::parse("Globex").unwrap();
        assert!(create_company(store, &globex, Retention::Forever, &audit).await.is_err());
        assert!(store.company_by_name("Globex").await.unwrap().is_none());
        assert!(rename_company(store, &acme, &globex, &audit).await.is_err());
        assert!(set_company_enabled(store, Caller::Operator, &acme, false, &audit).await.is_err());
        let zone = Zone::parse("Europe/Paris").unwrap();
        let place = CompanyPlace { zone: Some(&zone), country: Some(Country::parse("country", "US").unwrap()) };
        assert!(set_company_place(store, &acme, place, &audit).await.is_err());
        assert!(set_company_policy(store, &acme, MfaPolicy::Enabled, true, 3, &zone, &audit).await.is_err());
        let company = store.company(acme.id).await.unwrap().unwrap();
        assert_eq!(company.name, "Acme");
        assert!(company.enabled);
        assert_eq!((company.time_zone, company.phone_country), (None, None));
        assert_eq!((company.mfa_policy, company.mfa_for_admins, company.mfa_deadline), (acme.mfa_policy, false, None));

        assert!(create_user(store, &passwords, Caller::Operator, new_user("bea.two"), &audit).await.is_err());
        assert!(store.user_by_username("bea.two").await.unwrap().is_none());
        let password = NewPassword::parse("another pass phrase 2", "ann.one").unwrap();
        assert!(set_password(store, &passwords, &ann, &password, PasswordLife::Permanent, &audit).await.is_err());
        assert_eq!(store.credentials("ann.one").await.unwrap().unwrap().1, hash_before);
        assert!(register_now(store, &ann, &audit).await.is_err());
        assert!(reset_mfa(store, false, &ann, &audit).await.is_err());
        assert!(sign_out(store, &ann, &session_hash, &audit).await.is_err());
        assert!(!store.user(ann.id).await.unwrap().unwrap().mfa_opt_in);
        assert_eq!(store.count_user_sessions(ann.id).await.unwrap(), 1, "no session ended");
        assert_eq!(entries(store).await, logged);

        // The control: the trigger stops entries, not changes, so a change
        // written apart from its entry would have stayed.
        store.set_up(0, async |write| write.rename_team(acme.id, sales.id, &renamed).await).await.unwrap();
        assert_eq!(store.team(acme.id, sales.id).await.unwrap().unwrap().name, "Inside Sales");
    }
}
