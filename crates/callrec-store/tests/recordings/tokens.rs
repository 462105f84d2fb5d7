//! API tokens.

use super::*;

backend_tests! {
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
