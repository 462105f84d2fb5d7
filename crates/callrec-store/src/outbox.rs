//! The mail outbox: messages wait in the database until a node's sender
//! delivers them (migration 0012).

use crate::{Result, Store, StoreError};
use sqlx::Row;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: NewMail,
    /// Attempts before this one.
    pub attempts: i64,
}

/// A message given up on, for Global users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub attempts: i64,
    pub failed_at: i64,
    pub last_error: String,
}

impl Store {
    /// Queues `mail` unless `limit` messages already wait: then the queue
    /// is full and `StoreError::Busy` says so (the caller logs it; a flood
    /// of reset requests must not grow the table without bound).
    pub async fn queue_mail(&self, mail: &NewMail, limit: i64, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO outbox (to_address, subject, text_body, html_body, next_attempt_at, created_at) \
             SELECT $1, $2, $3, $4, $5, $5 \
             WHERE (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL) < $6 \
             RETURNING id",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text_body)
        .bind(&mail.html_body)
        .bind(now)
        .bind(limit)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(row.try_get("id")?),
            None => Err(StoreError::Busy),
        }
    }

    /// The oldest due message, claimed for `lease` seconds: its next
    /// attempt moves forward in one conditional write, so another node
    /// polling at the same moment claims a different one (or none).
    pub async fn claim_mail(&self, now: i64, lease: i64) -> Result<Option<QueuedMail>> {
        for _ in 0..3 {
            let Some(row) = sqlx::query(
                "SELECT id, to_address, subject, text_body, html_body, attempts, next_attempt_at \
                 FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, id LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get("id")?;
            let due: i64 = row.try_get("next_attempt_at")?;
            let claimed = sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 \
                 AND sent_at IS NULL AND failed_at IS NULL",
            )
            .bind(now + lease)
            .bind(id)
            .bind(due)
            .execute(&self.pool)
            .await?;
            if claimed.rows_affected() == 1 {
                return Ok(Some(QueuedMail {
                    id,
                    mail: NewMail {
                        to: row.try_get("to_address")?,
                        subject: row.try_get("subject")?,
                        text_body: row.try_get("text_body")?,
                        html_body: row.try_get("html_body")?,
                    },
                    attempts: row.try_get("attempts")?,
                }));
            }
        }
        Ok(None)
    }

    /// A delivered message; its bodies (which may hold a password link)
    /// are emptied, only the record stays.
    pub async fn mail_sent(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, text_body = '', html_body = '' \
             WHERE id = $2",
        )
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A failed attempt: try again at `retry_at`, or give up (`None`).
    pub async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), \
             failed_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END, \
             text_body = CASE WHEN $2 IS NULL THEN '' ELSE text_body END, \
             html_body = CASE WHEN $2 IS NULL THEN '' ELSE html_body END WHERE id = $4",
        )
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sent and given-up messages older than `before`, and spent or
    /// expired password links; returns how many rows went.
    pub async fn purge_mail(&self, before: i64, now: i64) -> Result<u64> {
        let mail = sqlx::query(
            "DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < $1) \
             OR (failed_at IS NOT NULL AND failed_at < $1)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let links = sqlx::query(
            "DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(mail + links)
    }

    /// Messages given up on, newest first.
    pub async fn failed_mail(&self, limit: i64) -> Result<Vec<FailedMail>> {
        let rows = sqlx::query(
            "SELECT id, to_address, subject, attempts, failed_at, last_error FROM outbox \
             WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FailedMail {
                    id: row.try_get("id")?,
                    to: row.try_get("to_address")?,
                    subject: row.try_get("subject")?,
                    attempts: row.try_get("attempts")?,
                    failed_at: row.try_get("failed_at")?,
                    last_error: row
                        .try_get::<Option<String>, _>("last_error")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }
}
