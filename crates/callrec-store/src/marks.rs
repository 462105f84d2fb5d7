//! Marks on a recording's timeline (`recording_marks`, migration 0033):
//! saved with a captured call's row, read for its page.

use crate::{Result, Store};
use callrec_domain::marks::{MarkKind, RecordingMark};
use callrec_domain::recording::RecordingId;
use sqlx::{Any, Row};

/// Saves `marks` of recording `id` in `tx`.
pub(crate) async fn save_in(
    tx: &mut sqlx::Transaction<'static, Any>,
    id: &RecordingId,
    marks: &[RecordingMark],
) -> Result<()> {
    for mark in marks {
        sqlx::query(
            "INSERT INTO recording_marks (recording_id, kind, start_ms, end_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(mark.kind.code())
        .bind(mark.start_ms)
        .bind(mark.end_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// A recording's marks, in time order (a kind this version does not
    /// know is left out).
    pub async fn recording_marks(&self, id: &RecordingId) -> Result<Vec<RecordingMark>> {
        let rows = sqlx::query(
            "SELECT kind, start_ms, end_ms FROM recording_marks WHERE recording_id = $1 \
             ORDER BY start_ms, end_ms",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut marks = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(kind) = MarkKind::from_code(&row.try_get::<String, _>("kind")?) {
                marks.push(RecordingMark {
                    kind,
                    start_ms: row.try_get("start_ms")?,
                    end_ms: row.try_get("end_ms")?,
                });
            }
        }
        Ok(marks)
    }
}
