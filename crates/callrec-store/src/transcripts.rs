//! Transcripts (`transcription_jobs`, `recording_transcripts`,
//! `transcript_words`, `word_index_keys`, migration 0036): the queue any
//! node works, the sealed transcripts, and the keyed word index.
//!
//! A job is claimed by one conditional write (due, not leased by a live
//! holder); its transcript is saved only while its holder still holds it,
//! so two nodes never keep two transcripts of one call.

use crate::{BlobStore, NewAuditEntry, PreparedBlob, Result, Store, StoreError, Write};
use callrec_domain::recording::RecordingId;
use callrec_domain::transcription::{JobState, Redaction};
use callrec_domain::waveform::Peaks;
use callrec_domain::CompanyId;
use sqlx::Row;
use std::collections::HashMap;

/// A recording's place in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionJob {
    pub state: JobState,
    pub attempts: u32,
    /// When it is tried (again).
    pub due_at: i64,
    /// A node is working on it until then.
    pub lease_until: Option<i64>,
    /// Why the last try failed.
    pub error: Option<String>,
    pub queued_at: i64,
}

/// A job a node has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub recording_id: RecordingId,
    pub company_id: CompanyId,
    pub attempts: u32,
    pub queued_at: i64,
}

/// A transcript as kept: sealed with the company's data key `key_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTranscript {
    pub recording_id: String,
    pub key_id: u32,
    /// The sealed text, in hex.
    pub sealed: String,
    pub word_count: i64,
    pub audio_ms: i64,
    /// Card numbers and security codes replaced.
    pub redacted: i64,
    pub created_at: i64,
}

/// A transcript to keep, with its index terms (keyed hashes and when each
/// was first said).
#[derive(Debug, Clone)]
pub struct NewTranscript<'a> {
    pub recording_id: &'a RecordingId,
    pub company_id: CompanyId,
    pub key_id: u32,
    pub sealed: String,
    pub word_count: i64,
    pub audio_ms: i64,
    pub redacted: i64,
    pub terms: &'a [(String, i64)],
}

/// The queue at a glance (metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queued: i64,
    pub failed: i64,
    pub done: i64,
}

fn job_from(row: &sqlx::any::AnyRow) -> Result<TranscriptionJob> {
    let state: String = row.try_get("state")?;
    Ok(TranscriptionJob {
        state: JobState::parse(&state).ok_or(StoreError::Corrupt(state))?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        due_at: row.try_get("due_at")?,
        lease_until: row.try_get("lease_until")?,
        error: row.try_get("error")?,
        queued_at: row.try_get("queued_at")?,
    })
}

fn transcript_from(row: &sqlx::any::AnyRow) -> Result<StoredTranscript> {
    Ok(StoredTranscript {
        recording_id: row.try_get("recording_id")?,
        key_id: row.try_get::<i64, _>("key_id")? as u32,
        sealed: row.try_get("sealed")?,
        word_count: row.try_get("word_count")?,
        audio_ms: row.try_get("audio_ms")?,
        redacted: row.try_get("redacted")?,
        created_at: row.try_get("created_at")?,
    })
}

const TRANSCRIPT_COLUMNS: &str =
    "recording_id, key_id, sealed, word_count, audio_ms, redacted, created_at";

/// Queues recording `id` of `company` in `tx` if the company has
/// transcription on (every writer of recordings comes through here).
pub(crate) async fn queue_new_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &RecordingId,
    company: CompanyId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO transcription_jobs (recording_id, company_id, state, due_at, queued_at) \
         SELECT $1, id, 'queued', $2, $2 FROM companies WHERE id = $3 AND transcription = 1 \
         ON CONFLICT (recording_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(now)
    .bind(company.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tables that hold a recording's transcript: a purged recording's rows
/// go from each.
pub(crate) const TRANSCRIPT_TABLES: [&str; 3] = [
    "recording_transcripts",
    "transcript_words",
    "transcription_jobs",
];

impl Store {
    pub async fn transcription_job(&self, id: &RecordingId) -> Result<Option<TranscriptionJob>> {
        sqlx::query(
            "SELECT state, attempts, due_at, lease_until, error, queued_at \
             FROM transcription_jobs WHERE recording_id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(job_from)
        .transpose()
    }

    pub async fn transcript(&self, id: &RecordingId) -> Result<Option<StoredTranscript>> {
        sqlx::query(&format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM recording_transcripts WHERE recording_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(transcript_from)
        .transpose()
    }

    /// Claims the job due longest ago that no live holder leases, for
    /// `holder` until `until`. Settled by one conditional write per
    /// candidate: two nodes reading the same candidate both try, one wins.
    pub async fn claim_transcription(
        &self,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<ClaimedJob>> {
        let candidates = sqlx::query(
            "SELECT recording_id, company_id, attempts, queued_at FROM transcription_jobs \
             WHERE state = 'queued' AND due_at <= $1 AND (lease_until IS NULL OR lease_until < $1) \
             ORDER BY due_at, recording_id LIMIT 8",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for row in candidates {
            let id: String = row.try_get("recording_id")?;
            let mut tx = self.begin_write().await?;
            let won = sqlx::query(
                "UPDATE transcription_jobs SET holder = $1, lease_until = $2 \
                 WHERE recording_id = $3 AND state = 'queued' AND due_at <= $4 \
                 AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(holder)
            .bind(until)
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            tx.commit().await?;
            if won {
                return Ok(Some(ClaimedJob {
                    recording_id: RecordingId::parse(&id).ok_or(StoreError::Corrupt(id))?,
                    company_id: CompanyId(row.try_get("company_id")?),
                    attempts: row.try_get::<i64, _>("attempts")? as u32,
                    queued_at: row.try_get("queued_at")?,
                }));
            }
        }
        Ok(None)
    }

    /// Extends `holder`'s lease on the job; false if it lost it.
    pub async fn renew_transcription(
        &self,
        id: &RecordingId,
        holder: &str,
        until: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let kept = sqlx::query(
            "UPDATE transcription_jobs SET lease_until = $1 \
             WHERE recording_id = $2 AND holder = $3 AND state = 'queued'",
        )
        .bind(until)
        .bind(id.as_str())
        .bind(holder)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(kept)
    }

    /// A try failed: tried again from `due_at`, or given up (`None`).
    /// Only its holder's word counts.
    pub async fn transcription_failed(
        &self,
        id: &RecordingId,
        holder: &str,
        error: &str,
        due_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let state = if due_at.is_some() {
            JobState::Queued
        } else {
            JobState::Failed
        };
        let done = sqlx::query(
            "UPDATE transcription_jobs SET state = $1, attempts = attempts + 1, due_at = $2, \
             error = $3, holder = NULL, lease_until = NULL, finished_at = $4 \
             WHERE recording_id = $5 AND holder = $6 AND state = 'queued'",
        )
        .bind(state.code())
        .bind(due_at.unwrap_or(now))
        .bind(error)
        .bind(due_at.map_or(Some(now), |_| None))
        .bind(id.as_str())
        .bind(holder)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    /// Keeps a transcript and its index terms, and marks its job done —
    /// only while `holder` still holds the job (none of it otherwise).
    pub async fn save_transcript(
        &self,
        new: &NewTranscript<'_>,
        holder: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let kept = save_in(&mut tx, new, holder, now).await?;
        if kept {
            tx.commit().await?;
        }
        Ok(kept)
    }

    /// [`Store::save_transcript`] with the recording's audio replaced by
    /// its redacted copy, in one locked transaction (the copy placed under
    /// its key, the row pointed at it, its peaks, the audit entry). The
    /// original is kept for a hold on the call (`redacted_originals`),
    /// else queued for destruction and named in the answer, for the
    /// caller to remove at once.
    pub async fn save_redacted_transcript(
        &self,
        new: &NewTranscript<'_>,
        holder: &str,
        now: i64,
        audio: RedactedAudio<'_>,
    ) -> Result<RedactedSaved> {
        let mut tx = self.begin_write().await?;
        if !save_in(&mut tx, new, holder, now).await? {
            return Ok(RedactedSaved::Lost);
        }
        // Locked (PostgreSQL): a hold or a deletion waits for this change,
        // and one that came first is seen.
        let row = sqlx::query(&format!(
            "SELECT storage_key, sha256, held_at FROM recordings WHERE id = $1{}",
            self.backend.for_update()
        ))
        .bind(new.recording_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let (old_key, old_sha256): (String, String) = match &row {
            Some(row) => (row.try_get("storage_key")?, row.try_get("sha256")?),
            None => (String::new(), String::new()),
        };
        // Deleted meanwhile (nothing is kept: its job fails, and Retry
        // after a restore hears it again), or its audio changed since it
        // was heard (another redaction): nothing is kept either.
        let Some(row) = row.filter(|_| old_key == audio.heard_key) else {
            return Ok(RedactedSaved::Gone);
        };
        let held = row.try_get::<Option<i64>, _>("held_at")?.is_some();
        let copy_key = audio.copy.key.clone();
        crate::audio::lock_key(&mut tx, self.backend, &copy_key).await?;
        crate::audio::lock_key(&mut tx, self.backend, &old_key).await?;
        let stored = audio
            .blobs
            .place(audio.copy)
            .await
            .map_err(StoreError::Audio)?;
        let moved = sqlx::query(
            "UPDATE recordings SET storage_key = $1, sha256 = $2, size_bytes = $3, format = 'wav' \
             WHERE id = $4 AND storage_key = $5",
        )
        .bind(&stored.key)
        .bind(&stored.sha256)
        .bind(stored.size as i64)
        .bind(new.recording_id.as_str())
        .bind(&old_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Err(StoreError::Corrupt(format!(
                "recording {} changed under its lock",
                new.recording_id.as_str()
            )));
        }
        crate::peaks::save_in(&mut tx, &stored.key, audio.peaks).await?;
        sqlx::query("DELETE FROM pending_audio WHERE storage_key = $1")
            .bind(&stored.key)
            .execute(&mut *tx)
            .await?;
        let destroy = if held {
            sqlx::query(
                "INSERT INTO redacted_originals (recording_id, company_id, storage_key, sha256, redacted_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recording_id) DO NOTHING",
            )
            .bind(new.recording_id.as_str())
            .bind(new.company_id.0)
            .bind(&old_key)
            .bind(&old_sha256)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            None
        } else {
            // Queued as well, so a node stopping right after the commit
            // still has the purge job destroy it.
            sqlx::query(
                "INSERT INTO purged_audio (storage_key, queued_at) VALUES ($1, $2) \
                 ON CONFLICT (storage_key) DO NOTHING",
            )
            .bind(&old_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Some(old_key)
        };
        self.audit_in(&mut tx, (audio.entry)(&old_sha256, held), now)
            .await?;
        tx.commit().await?;
        Ok(RedactedSaved::Kept { destroy })
    }

    /// Originals kept for holds that no longer hold their call (released,
    /// or the call purged): queued for destruction; how many.
    pub async fn release_redacted_originals(&self, now: i64) -> Result<u64> {
        const FREE: &str = "NOT EXISTS (SELECT 1 FROM recordings r WHERE r.id = o.recording_id \
             AND r.held_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM deleted_recordings d \
             WHERE d.id = o.recording_id AND d.held_at IS NOT NULL)";
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO purged_audio (storage_key, queued_at) SELECT o.storage_key, $1 \
             FROM redacted_originals o WHERE {FREE} ON CONFLICT (storage_key) DO NOTHING"
        ))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let released = sqlx::query(&format!(
            "DELETE FROM redacted_originals WHERE recording_id IN \
             (SELECT o.recording_id FROM redacted_originals o WHERE {FREE})"
        ))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(released)
    }

    /// The original of a redacted recording kept for its hold, if any:
    /// (storage key, SHA-256).
    pub async fn redacted_original(&self, id: &RecordingId) -> Result<Option<(String, String)>> {
        sqlx::query("SELECT storage_key, sha256 FROM redacted_originals WHERE recording_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok((row.try_get("storage_key")?, row.try_get("sha256")?)))
            .transpose()
    }
}

/// Writes the audit entry of an audio redaction, given the original's
/// SHA-256 and whether it is kept for a hold.
pub type RedactionEntry<'a> = Box<dyn FnOnce(&str, bool) -> NewAuditEntry + Send + 'a>;

/// A recording's audio with its card numbers silenced, to serve instead.
pub struct RedactedAudio<'a> {
    pub blobs: &'a BlobStore,
    /// The storage key of the audio that was heard (and redacted).
    pub heard_key: String,
    /// The copy, written and sealed, not yet under its key.
    pub copy: PreparedBlob,
    pub peaks: Option<&'a Peaks>,
    pub entry: RedactionEntry<'a>,
}

/// What [`Store::save_redacted_transcript`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedactedSaved {
    /// Another node holds the job now: nothing was kept.
    Lost,
    /// The recording was deleted, or its audio changed, since it was
    /// heard: nothing was kept.
    Gone,
    /// Kept; `destroy` is the original's key to remove now (none when a
    /// hold keeps it, or the call was deleted meanwhile).
    Kept { destroy: Option<String> },
}

/// The transcript, its terms and its job's end, in `tx`; false (nothing
/// written) unless `holder` still holds the job.
async fn save_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    new: &NewTranscript<'_>,
    holder: &str,
    now: i64,
) -> Result<bool> {
    let held = sqlx::query(
        "UPDATE transcription_jobs SET state = 'done', holder = NULL, lease_until = NULL, \
         error = NULL, finished_at = $1 WHERE recording_id = $2 AND holder = $3 AND state = 'queued'",
    )
    .bind(now)
    .bind(new.recording_id.as_str())
    .bind(holder)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !held {
        return Ok(false);
    }
    for table in ["recording_transcripts", "transcript_words"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE recording_id = $1"))
            .bind(new.recording_id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO recording_transcripts (recording_id, company_id, key_id, sealed, \
         word_count, audio_ms, redacted, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.recording_id.as_str())
    .bind(new.company_id.0)
    .bind(i64::from(new.key_id))
    .bind(&new.sealed)
    .bind(new.word_count)
    .bind(new.audio_ms)
    .bind(new.redacted)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for (hash, first_ms) in new.terms {
        sqlx::query(
            "INSERT INTO transcript_words (recording_id, word_hash, first_ms) VALUES ($1, $2, $3)",
        )
        .bind(new.recording_id.as_str())
        .bind(hash)
        .bind(first_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

impl Store {
    /// The queue's jobs by state: the company's, or everyone's.
    pub async fn transcription_queue(&self, company: Option<CompanyId>) -> Result<QueueCounts> {
        let rows = sqlx::query(
            "SELECT state, count(*) AS n FROM transcription_jobs \
             WHERE $1 IS NULL OR company_id = $1 GROUP BY state",
        )
        .bind(company.map(|c| c.0))
        .fetch_all(&self.pool)
        .await?;
        let mut counts = QueueCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match JobState::parse(&row.try_get::<String, _>("state")?) {
                Some(JobState::Queued) => counts.queued = n,
                Some(JobState::Failed) => counts.failed = n,
                Some(JobState::Done) => counts.done = n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// When each of `ids` first said one of `hashes` (the moment a search
    /// result opens at).
    pub async fn first_said(
        &self,
        ids: &[String],
        hashes: &[String],
    ) -> Result<HashMap<String, i64>> {
        if ids.is_empty() || hashes.is_empty() {
            return Ok(HashMap::new());
        }
        let mut filter = crate::filter::Filter::default();
        let ids: Vec<String> = ids.iter().map(|id| filter.bind(id.clone())).collect();
        let hashes: Vec<String> = hashes.iter().map(|h| filter.bind(h.clone())).collect();
        let sql = format!(
            "SELECT recording_id, min(first_ms) AS at FROM transcript_words \
             WHERE recording_id IN ({}) AND word_hash IN ({}) GROUP BY recording_id",
            ids.join(", "),
            hashes.join(", ")
        );
        sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("recording_id")?, row.try_get("at")?)))
            .collect()
    }

    /// The company's word key as sealed, if it has one.
    pub async fn word_key(&self, company: CompanyId) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT wrapped FROM word_index_keys WHERE company_id = $1")
                .bind(company.0)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get("wrapped"))
                .transpose()?,
        )
    }

    /// Adds the company's word key unless it has one (two nodes making it
    /// at once: one wins, both then read it).
    pub async fn add_word_key(&self, company: CompanyId, wrapped: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO word_index_keys (company_id, wrapped, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id) DO NOTHING",
        )
        .bind(company.0)
        .bind(wrapped)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Companies with a word key (those whose calls have index terms).
    pub async fn word_key_companies(&self) -> Result<Vec<CompanyId>> {
        sqlx::query("SELECT company_id FROM word_index_keys ORDER BY company_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(CompanyId(row.try_get("company_id")?)))
            .collect()
    }

    /// The company's transcripts sealed with a data key other than
    /// `key_id` (a data-key rotation seals them again).
    pub async fn transcripts_sealed_before(
        &self,
        company: CompanyId,
        key_id: u32,
    ) -> Result<Vec<StoredTranscript>> {
        sqlx::query(&format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM recording_transcripts \
             WHERE company_id = $1 AND key_id <> $2 ORDER BY recording_id"
        ))
        .bind(company.0)
        .bind(i64::from(key_id))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(transcript_from)
        .collect()
    }

    /// Every transcript of the company (`callrec verify`), by recording.
    pub async fn company_transcripts(&self, company: CompanyId) -> Result<Vec<StoredTranscript>> {
        sqlx::query(&format!(
            "SELECT {TRANSCRIPT_COLUMNS} FROM recording_transcripts \
             WHERE company_id = $1 ORDER BY recording_id"
        ))
        .bind(company.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(transcript_from)
        .collect()
    }
}

impl Write<'_> {
    /// Company settings → Transcription and → Redaction.
    pub async fn set_company_transcription(
        &mut self,
        company: CompanyId,
        on: bool,
        redaction: Redaction,
    ) -> Result<()> {
        sqlx::query("UPDATE companies SET transcription = $1, redaction = $2 WHERE id = $3")
            .bind(i64::from(on))
            .bind(redaction.code())
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Takes the company's waiting jobs off the queue (transcription
    /// turned off); how many. A job a node is working on finishes.
    pub async fn drop_queued_transcriptions(&mut self, company: CompanyId) -> Result<u64> {
        let now = self.now;
        Ok(sqlx::query(
            "DELETE FROM transcription_jobs WHERE company_id = $1 AND state = 'queued' \
             AND (lease_until IS NULL OR lease_until < $2)",
        )
        .bind(company.0)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected())
    }

    /// Queues the company's recordings started at or after `since_ms` that
    /// have no job yet; how many.
    pub async fn queue_transcriptions_since(
        &mut self,
        company: CompanyId,
        since_ms: i64,
    ) -> Result<u64> {
        let now = self.now;
        Ok(sqlx::query(
            "INSERT INTO transcription_jobs (recording_id, company_id, state, due_at, queued_at) \
             SELECT id, company_id, 'queued', $1, $1 FROM recordings \
             WHERE company_id = $2 AND started_at >= $3 \
             ON CONFLICT (recording_id) DO NOTHING",
        )
        .bind(now)
        .bind(company.0)
        .bind(since_ms)
        .execute(self.conn())
        .await?
        .rows_affected())
    }

    /// Queues recording `id` again (Retry on a failed transcript, or a
    /// first try for one without a job); false if it is already queued or
    /// done.
    pub async fn queue_transcription(
        &mut self,
        id: &RecordingId,
        company: CompanyId,
    ) -> Result<bool> {
        let now = self.now;
        let again = sqlx::query(
            "UPDATE transcription_jobs SET state = 'queued', attempts = 0, due_at = $1, \
             queued_at = $1, error = NULL, holder = NULL, lease_until = NULL, finished_at = NULL \
             WHERE recording_id = $2 AND state = 'failed'",
        )
        .bind(now)
        .bind(id.as_str())
        .execute(self.conn())
        .await?
        .rows_affected();
        if again == 1 {
            return Ok(true);
        }
        Ok(sqlx::query(
            "INSERT INTO transcription_jobs (recording_id, company_id, state, due_at, queued_at) \
             VALUES ($1, $2, 'queued', $3, $3) ON CONFLICT (recording_id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(company.0)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected()
            == 1)
    }

    /// Seals a transcript again with `key_id` (`sealed`: the new hex).
    pub async fn reseal_transcript(
        &mut self,
        recording_id: &str,
        key_id: u32,
        sealed: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE recording_transcripts SET key_id = $1, sealed = $2 WHERE recording_id = $3",
        )
        .bind(i64::from(key_id))
        .bind(sealed)
        .bind(recording_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Every company's word key as sealed (`callrec keys rotate`).
    pub async fn sealed_word_keys(&mut self) -> Result<Vec<(CompanyId, String)>> {
        sqlx::query("SELECT company_id, wrapped FROM word_index_keys ORDER BY company_id")
            .fetch_all(self.conn())
            .await?
            .iter()
            .map(|row| {
                Ok((
                    CompanyId(row.try_get("company_id")?),
                    row.try_get("wrapped")?,
                ))
            })
            .collect()
    }

    pub async fn reseal_word_key(&mut self, company: CompanyId, wrapped: &str) -> Result<()> {
        sqlx::query("UPDATE word_index_keys SET wrapped = $1 WHERE company_id = $2")
            .bind(wrapped)
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
