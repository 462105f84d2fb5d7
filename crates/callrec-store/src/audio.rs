//! Rows and their audio files together. Placing a file with its row and
//! removing a file no row uses both happen in one write transaction that
//! holds a lock on the file's key — SQLite's write lock, or a PostgreSQL
//! advisory lock on the key — so "is it still used?" and the removal can
//! never be split by an upload of the same bytes (security review, item 13).

use crate::blobs::{BlobStore, PreparedBlob, StoredBlob};
use crate::peaks;
use crate::recordings::Inserted;
use crate::{Backend, NewAuditEntry, NewRecording, Result, Store, StoreError};
use callrec_domain::marks::RecordingMark;
use callrec_domain::recording::RecordingId;
use callrec_domain::waveform::Peaks;
use sqlx::{Any, Row};

/// Locks `key` until the transaction ends (SQLite: `BEGIN IMMEDIATE`
/// already serialises every writer).
pub(crate) async fn lock_key(
    tx: &mut sqlx::Transaction<'static, Any>,
    backend: Backend,
    key: &str,
) -> Result<()> {
    if let Some(lock) = backend.key_lock() {
        sqlx::query(lock).bind(key).fetch_one(&mut **tx).await?;
    }
    Ok(())
}

/// Whether a recording, a deleted one that may yet be restored, or a
/// hold on a redacted one's original uses `key`.
pub(crate) async fn key_in_use(
    tx: &mut sqlx::Transaction<'static, Any>,
    key: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM recordings WHERE storage_key = $1 \
         UNION ALL SELECT 1 FROM deleted_recordings WHERE storage_key = $1 \
         UNION ALL SELECT 1 FROM redacted_originals WHERE storage_key = $1 LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// What a new recording's row is stored with: its waveform's peaks and
/// the marks on its timeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    pub peaks: Option<&'a Peaks>,
    pub marks: &'a [RecordingMark],
}

impl Store {
    /// Puts the audio under its key and inserts the row in one locked
    /// transaction. `new.storage_key` must be `audio.key`. With an
    /// external id the company used before, nothing is inserted (the
    /// existing recording is named) and a file nothing uses is removed.
    pub async fn insert_recording_with_audio(
        &self,
        new: &NewRecording,
        now: i64,
        blobs: &BlobStore,
        audio: PreparedBlob,
        extras: Extras<'_>,
        entry: impl FnOnce(&RecordingId, &StoredBlob) -> NewAuditEntry,
    ) -> Result<(Inserted, StoredBlob)> {
        debug_assert_eq!(new.storage_key, audio.key);
        let mut tx = self.begin_write().await?;
        lock_key(&mut tx, self.backend, &audio.key).await?;
        let stored = blobs.place(audio).await.map_err(StoreError::Audio)?;
        let inserted = self.insert_recording_in(&mut tx, new, now).await?;
        if matches!(inserted, Inserted::Existing(_)) && !key_in_use(&mut tx, &stored.key).await? {
            blobs.remove(&stored.key).await.map_err(StoreError::Audio)?;
        } else {
            peaks::save_in(&mut tx, &stored.key, extras.peaks).await?;
        }
        sqlx::query("DELETE FROM pending_audio WHERE storage_key = $1")
            .bind(&stored.key)
            .execute(&mut *tx)
            .await?;
        if let Inserted::Created(id) = &inserted {
            crate::marks::save_in(&mut tx, id, extras.marks).await?;
            self.audit_in(&mut tx, entry(id, &stored), now).await?;
        }
        tx.commit().await?;
        Ok((inserted, stored))
    }

    /// Notes that an upload is about to place `key` (see the migration
    /// `0026_nodes.sql`): committed before the file or object is placed.
    pub async fn note_pending_audio(&self, key: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO pending_audio (storage_key, noted_at) VALUES ($1, $2) \
             ON CONFLICT (storage_key) DO UPDATE SET noted_at = excluded.noted_at",
        )
        .bind(key)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Up to `limit` keys noted at or before `cutoff` whose upload never
    /// inserted its row (it failed, or its node crashed), oldest first.
    pub async fn stale_pending_audio(&self, cutoff: i64, limit: i64) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT storage_key FROM pending_audio WHERE noted_at <= $1 \
             ORDER BY noted_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("storage_key")?))
        .collect()
    }

    /// Forgets the note on `key` if it is still the one made at or before
    /// `cutoff` (a new upload of the same bytes renews it).
    pub async fn forget_pending_audio(&self, key: &str, cutoff: i64) -> Result<()> {
        sqlx::query("DELETE FROM pending_audio WHERE storage_key = $1 AND noted_at <= $2")
            .bind(key)
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts the spool file `temp` in place of the stored `key` (a re-sealed
    /// copy) if a recording still uses it; true if replaced. Under the
    /// key's lock, like a removal: a purge cannot take the file between the
    /// check and the replacement, so a re-seal never brings a purged
    /// file back (`temp` is removed either way).
    pub async fn replace_audio_if_used(
        &self,
        key: &str,
        temp: &std::path::Path,
        blobs: &BlobStore,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        lock_key(&mut tx, self.backend, key).await?;
        let replaced = if key_in_use(&mut tx, key).await? {
            blobs.replace(key, temp).await.map_err(StoreError::Audio)?
        } else {
            let _ = std::fs::remove_file(temp);
            false
        };
        tx.commit().await?;
        Ok(replaced)
    }

    /// Removes the file at `key` if no recording uses it; true if removed.
    /// The check and the removal hold the key's lock; the transaction
    /// writes nothing, so a failed commit leaves nothing half-done.
    pub async fn remove_audio_if_unused(&self, key: &str, blobs: &BlobStore) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        lock_key(&mut tx, self.backend, key).await?;
        let unused = !key_in_use(&mut tx, key).await?;
        if unused {
            peaks::remove_in(&mut tx, key).await?;
            blobs.remove(key).await.map_err(StoreError::Audio)?;
        }
        tx.commit().await?;
        Ok(unused)
    }
}
