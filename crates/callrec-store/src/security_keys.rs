//! Security keys (WebAuthn credentials as JSON, never a secret) and the
//! server half of a ceremony between its two requests.

use crate::{Result, Store, StoreError, Write};
use callrec_domain::security_key::Ceremony;
use callrec_domain::UserId;
use sqlx::Row;

/// One of a user's security keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: i64,
    pub name: String,
    /// webauthn-rs's `SecurityKey` as JSON.
    pub credential: String,
    pub counter: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A new key, once its registration checked out.
pub struct NewKey<'a> {
    pub user: UserId,
    pub name: &'a str,
    /// The credential id (base64url), unique across the portal.
    pub credential_id: &'a str,
    pub credential: &'a str,
    pub counter: i64,
}

impl Store {
    /// The user's keys, oldest first.
    pub async fn security_keys(&self, user: UserId) -> Result<Vec<StoredKey>> {
        sqlx::query(
            "SELECT id, name, credential, counter, created_at, last_used_at \
             FROM mfa_security_keys WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(StoredKey {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                credential: row.try_get("credential")?,
                counter: row.try_get("counter")?,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
            })
        })
        .collect()
    }

    /// How many security keys are registered in the whole portal.
    pub async fn count_security_keys(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM mfa_security_keys")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Keeps the server half of `kind` for the session, replacing an
    /// earlier one of the same kind.
    pub async fn put_ceremony(
        &self,
        session: &str,
        kind: Ceremony,
        state: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (session_hash, kind, state, created_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_hash, kind) DO UPDATE SET state = excluded.state, \
               created_at = excluded.created_at",
        )
        .bind(session)
        .bind(kind.code())
        .bind(state)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes the session's ceremony of `kind`: its state and when it
    /// started. Deleted as it is read, so of two requests answering one
    /// challenge only one gets it.
    pub async fn take_ceremony(
        &self,
        session: &str,
        kind: Ceremony,
    ) -> Result<Option<(String, i64)>> {
        let row = sqlx::query(
            "DELETE FROM webauthn_ceremonies WHERE session_hash = $1 AND kind = $2 \
             RETURNING state, created_at",
        )
        .bind(session)
        .bind(kind.code())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("state")?, row.try_get("created_at")?)))
            .transpose()
    }

    /// Forgets ceremonies started before `before` (never finished).
    pub async fn purge_ceremonies(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM webauthn_ceremonies WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

impl Write<'_> {
    /// Adds a key; `Conflict` when its credential is registered already
    /// (to this or any account).
    pub async fn add_security_key(&mut self, key: &NewKey<'_>) -> Result<i64> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO mfa_security_keys (user_id, name, credential_id, credential, counter, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(key.user.0)
        .bind(key.name)
        .bind(key.credential_id)
        .bind(key.credential)
        .bind(key.counter)
        .bind(now)
        .fetch_one(self.conn())
        .await
        .map_err(StoreError::conflict_as("that security key"))?;
        Ok(row.try_get("id")?)
    }

    /// Removes the user's key `id` (another user's is not found); its name
    /// if it was there. When it was their last factor, their recovery codes
    /// go with it, in the same transaction: codes must not wake up again
    /// with the next key.
    pub async fn remove_security_key(&mut self, user: UserId, id: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "DELETE FROM mfa_security_keys WHERE user_id = $1 AND id = $2 RETURNING name",
        )
        .bind(user.0)
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        sqlx::query(
            "DELETE FROM mfa_recovery_codes WHERE user_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM mfa_security_keys WHERE user_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM mfa_registrations WHERE user_id = $1 AND confirmed = 1)",
        )
        .bind(user.0)
        .execute(self.conn())
        .await?;
        Ok(row.map(|row| row.try_get("name")).transpose()?)
    }

    /// Records a use of key `id` that signed with `counter`. One conditional
    /// write: a count that did not rise above the stored one (a cloned key,
    /// or the same signature twice) changes nothing and returns false;
    /// keys that never count (0 and 0) always pass.
    pub async fn record_key_use(
        &mut self,
        id: i64,
        credential: &str,
        counter: i64,
    ) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(
            "UPDATE mfa_security_keys SET credential = $2, counter = $3, last_used_at = $4 \
             WHERE id = $1 AND (counter < $3 OR (counter = 0 AND $3 = 0))",
        )
        .bind(id)
        .bind(credential)
        .bind(counter)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
