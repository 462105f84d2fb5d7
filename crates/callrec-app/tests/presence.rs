//! The use cases that make something outlasting the session ask for
//! presence themselves: a signed-in user who has not confirmed it just now
//! makes neither an API token nor an account, whatever page sent them.

use callrec_app::accounts::{create_user, CreateUser};
use callrec_app::audit::AuditContext;
use callrec_app::companies::create_company;
use callrec_app::{create_token, Argon2Settings, Caller, Error, Passwords, TokenRequest};
use callrec_domain::api_scope::ApiScopes;
use callrec_domain::retention::Retention;
use callrec_domain::{
    CompanyName, DisplayName, Level, NewPassword, PasswordLife, Role, RoleSet, TokenName, Username,
};
use callrec_store::backend_tests;

backend_tests! {
    async fn tokens_and_accounts_need_presence(db) {
        let store = &db.store;
        let audit = AuditContext::command_line();
        let acme = create_company(store, &CompanyName::parse("Acme").unwrap(), Retention::Forever, &audit).await.unwrap();
        let passwords = Passwords::new(&Argon2Settings { memory_kib: 1024, iterations: 1, parallelism: 1 }).unwrap();
        let admin = create_user(store, &passwords, Caller::Operator, CreateUser {
            company_id: acme.id,
            team_id: None,
            username: Username::parse("ann.admin").unwrap(),
            display_name: DisplayName::parse("Ann").unwrap(),
            email: None,
            extension: None,
            level: Level::Company,
            roles: [Role::ManageUsers, Role::Recordings].into_iter().collect(),
            password: NewPassword::parse("a long pass phrase 1", "ann.admin").unwrap(),
            password_life: PasswordLife::Permanent,
        }, &audit).await.unwrap();
        let actor = admin.actor();
        let request = TokenRequest {
            company: acme.id,
            name: TokenName::parse("pbx").unwrap(),
            scopes: ApiScopes::parse("ingest").unwrap(),
            lifetime_days: None,
        };
        let away = Caller::User { actor: &actor, present: false };
        assert!(matches!(create_token(store, away, &request, &audit).await, Err(Error::PresenceNeeded)));
        assert!(store.list_api_tokens(Some(acme.id)).await.unwrap().is_empty(), "no token made");
        let new_user = CreateUser {
            company_id: acme.id,
            team_id: None,
            username: Username::parse("bea.two").unwrap(),
            display_name: DisplayName::parse("Bea").unwrap(),
            email: None,
            extension: None,
            level: Level::Company,
            roles: RoleSet::default(),
            password: NewPassword::parse("a long pass phrase 2", "bea.two").unwrap(),
            password_life: PasswordLife::Permanent,
        };
        assert!(matches!(create_user(store, &passwords, away, new_user, &audit).await, Err(Error::PresenceNeeded)));
        assert!(store.user_by_username("bea.two").await.unwrap().is_none(), "no account made");

        let present = Caller::User { actor: &actor, present: true };
        create_token(store, present, &request, &audit).await.unwrap();
        assert_eq!(store.list_api_tokens(Some(acme.id)).await.unwrap().len(), 1);
    }
}
