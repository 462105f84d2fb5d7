//! Writing recordings: one (with its audio, see `audio.rs`) and many (demo
//! data). Deleting is `bin.rs` and the purge job.

use super::{Inserted, NewRecording, INSERT_COLUMNS};
use crate::backend::numbered_row;
use crate::{Result, Store, StoreError, Write};
use callrec_domain::recording::RecordingId;
use sqlx::Row;

fn bind_new<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    new: &NewRecording,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(new.id.as_str().to_string())
        .bind(new.company_id.0)
        .bind(new.team_id.map(|t| t.0))
        .bind(new.user_id.map(|u| u.0))
        .bind(new.extension.as_ref().map(|n| n.as_str().to_string()))
        .bind(new.direction.code())
        .bind(new.calling_number.as_str().to_string())
        .bind(new.called_number.as_str().to_string())
        .bind(new.started_at_ms)
        .bind(new.duration_ms)
        .bind(new.format.code())
        .bind(new.size_bytes)
        .bind(new.sha256.clone())
        .bind(new.storage_key.clone())
        .bind(new.external_id.clone())
        .bind(now)
}

impl Store {
    /// Inserts a recording; with an external id already used by the company,
    /// inserts nothing and names the existing recording.
    pub async fn insert_recording(&self, new: &NewRecording, now: i64) -> Result<Inserted> {
        let mut tx = self.begin_write().await?;
        let inserted = self.insert_recording_in(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    pub(crate) async fn insert_recording_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        new: &NewRecording,
        now: i64,
    ) -> Result<Inserted> {
        let sql = format!(
            "INSERT INTO recordings ({INSERT_COLUMNS}) VALUES {} ON CONFLICT (company_id, external_id) DO NOTHING",
            numbered_row(0, 16)
        );
        let done = bind_new(sqlx::query(&sql), new, now)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            crate::transcripts::queue_new_in(tx, &new.id, new.company_id, now).await?;
            return Ok(Inserted::Created(new.id.clone()));
        }
        let existing: String =
            sqlx::query("SELECT id FROM recordings WHERE company_id = $1 AND external_id = $2")
                .bind(new.company_id.0)
                .bind(new.external_id.clone())
                .fetch_one(&mut **tx)
                .await?
                .try_get("id")?;
        Ok(Inserted::Existing(
            RecordingId::parse(&existing).ok_or(StoreError::Corrupt(existing))?,
        ))
    }
}

impl Write<'_> {
    /// Many recordings in one transaction (demo data), in statements of
    /// `Backend::bulk_rows_per_statement` rows.
    pub async fn insert_recordings_bulk(&mut self, rows: &[NewRecording]) -> Result<()> {
        let (backend, now) = (self.store.backend, self.now);
        let settings = backend.bulk_load_settings();
        if let Some((during, _)) = &settings {
            sqlx::query(during).execute(self.conn()).await?;
        }
        for chunk in rows.chunks(backend.bulk_rows_per_statement()) {
            let values: Vec<String> = (0..chunk.len()).map(|i| backend.bulk_row(i, 16)).collect();
            let sql = format!(
                "INSERT INTO recordings ({INSERT_COLUMNS}) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for new in chunk {
                query = bind_new(query, new, now);
            }
            query.execute(self.conn()).await?;
        }
        if let Some((_, after)) = &settings {
            sqlx::query(after).execute(self.conn()).await?;
        }
        Ok(())
    }
}
