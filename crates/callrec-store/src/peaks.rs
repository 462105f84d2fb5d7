//! Waveform peaks by audio file (`audio_peaks`, migration 0029): saved with
//! a new recording's row, filled in for older files by the waveform job,
//! removed with the file (`audio.rs`).

use crate::{Result, Store};
use callrec_domain::waveform::Peaks;
use sqlx::{Any, Row};

/// Saves `peaks` for `key` in `tx` (an empty value: none can be drawn),
/// keeping what is there: the same bytes have the same peaks.
pub(crate) async fn save_in(
    tx: &mut sqlx::Transaction<'static, Any>,
    key: &str,
    peaks: Option<&Peaks>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audio_peaks (storage_key, peaks) VALUES ($1, $2) \
         ON CONFLICT (storage_key) DO NOTHING",
    )
    .bind(key)
    .bind(peaks.map(Peaks::to_text).unwrap_or_default())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets the peaks of a file being removed.
pub(crate) async fn remove_in(tx: &mut sqlx::Transaction<'static, Any>, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM audio_peaks WHERE storage_key = $1")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Audio files of recordings (or deleted ones) that have no peaks yet.
const MISSING: &str = "FROM (SELECT storage_key FROM recordings \
     UNION SELECT storage_key FROM deleted_recordings) k \
     WHERE NOT EXISTS (SELECT 1 FROM audio_peaks p WHERE p.storage_key = k.storage_key)";

impl Store {
    /// The peaks of the file at `key`: `None` when none are saved (yet), or
    /// none can be drawn.
    pub async fn audio_peaks(&self, key: &str) -> Result<Option<Peaks>> {
        let row = sqlx::query("SELECT peaks FROM audio_peaks WHERE storage_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Peaks::from_text(&row.try_get::<String, _>("peaks")?),
            None => None,
        })
    }

    /// Saves the peaks the waveform job computed for an older file.
    pub async fn save_audio_peaks(&self, key: &str, peaks: Option<&Peaks>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        save_in(&mut tx, key, peaks).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` audio files without peaks, after `after` in key order.
    pub async fn audio_missing_peaks(&self, after: &str, limit: i64) -> Result<Vec<String>> {
        sqlx::query(&format!(
            "SELECT k.storage_key {MISSING} AND k.storage_key > $1 ORDER BY k.storage_key LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("storage_key")?))
        .collect()
    }

    /// How many audio files have no peaks yet.
    pub async fn count_audio_missing_peaks(&self) -> Result<i64> {
        let row = sqlx::query(&format!("SELECT count(*) AS n {MISSING}"))
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}
