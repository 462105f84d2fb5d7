//! A unit of work: the changes of one use case and their audit entries in
//! one write transaction, so a change no chain shows cannot exist. Nothing
//! is kept unless [`Write::commit`] is called; a `Write` dropped on an
//! error rolls back.
//!
//! The store's methods that change something the audit log records live
//! on `Write` (beside their reads, in each topic's module); the
//! application opens one per use case:
//!
//! ```text
//! let mut write = store.write(now).await?;
//! write.rename_team(company, team, &name).await?;
//! write.audit(entry).await?;
//! write.commit().await?;
//! ```

use crate::{NewAuditEntry, Result, Store};
use sqlx::AnyConnection;

pub struct Write<'s> {
    pub(crate) store: &'s Store,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// When the change happens (Unix seconds): its entries' time.
    pub(crate) now: i64,
}

impl Store {
    /// Starts a change made at `now`, holding the write lock from its first
    /// statement (SQLite) so two writers never deadlock.
    pub async fn write(&self, now: i64) -> Result<Write<'_>> {
        Ok(Write {
            store: self,
            tx: self.begin_write().await?,
            now,
        })
    }
}

impl Write<'_> {
    /// Appends `entry` to its chain inside this change: it stands or falls
    /// with what it records.
    pub async fn audit(&mut self, entry: NewAuditEntry) -> Result<()> {
        let now = self.now;
        self.store.audit_in(&mut self.tx, entry, now).await
    }

    /// [`Write::audit`] and [`Write::commit`]: a change of one entry.
    pub async fn commit_with(mut self, entry: NewAuditEntry) -> Result<()> {
        self.audit(entry).await?;
        self.commit().await
    }

    /// Keeps every change and entry made, or none of them.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// The connection the change runs on, for the topic modules' SQL.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Holds `key` until this change ends, so a check and the write it
    /// allows are never split by another node's (PostgreSQL's advisory
    /// lock; SQLite's write transaction already holds the database).
    pub(crate) async fn lock(&mut self, key: &str) -> Result<()> {
        crate::audio::lock_key(&mut self.tx, self.store.backend, key).await
    }
}
