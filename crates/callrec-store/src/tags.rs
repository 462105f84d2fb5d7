//! Tags (migration 0029): a company's own list, and which recordings carry
//! which, by recording id.

use crate::filter::Filter;
use crate::{Result, Store, Write};
use callrec_domain::recording::RecordingId;
use callrec_domain::{CompanyId, TagName};
use sqlx::Row;
use std::collections::HashMap;

/// One of a company's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: i64,
    pub name: String,
}

fn tags(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Tag>> {
    rows.iter()
        .map(|row| {
            Ok(Tag {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
            })
        })
        .collect()
}

impl Store {
    /// A company's tags, by name.
    pub async fn company_tags(&self, company: CompanyId) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT id, name FROM company_tags WHERE company_id = $1 ORDER BY name_key",
        )
        .bind(company.0)
        .fetch_all(&self.pool)
        .await?;
        tags(rows)
    }

    /// Every company's tags, named "Company · Tag", by company and name (an
    /// operator's Tag filter).
    pub async fn all_tags(&self) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT t.id, c.name || ' · ' || t.name AS name FROM company_tags t \
             JOIN companies c ON c.id = t.company_id ORDER BY c.name, t.name_key",
        )
        .fetch_all(&self.pool)
        .await?;
        tags(rows)
    }

    /// The tag names each of `ids` carries, joined by "; " (CSV exports
    /// and the ZIP manifest), for those that carry any.
    pub async fn tag_names_of(&self, ids: &[&str]) -> Result<HashMap<String, String>> {
        let mut names: HashMap<String, String> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut filter = Filter::default();
            let marks: Vec<String> = chunk.iter().map(|id| filter.bind(id.to_string())).collect();
            filter.and(format!("rt.recording_id IN ({})", marks.join(", ")));
            let sql = format!(
                "SELECT rt.recording_id, t.name FROM recording_tags rt \
                 JOIN company_tags t ON t.id = rt.tag_id{} ORDER BY rt.recording_id, t.name_key",
                filter.where_clause()
            );
            for row in sqlx::query_with(&sql, filter.args())
                .fetch_all(&self.pool)
                .await?
            {
                let id: String = row.try_get("recording_id")?;
                let name: String = row.try_get("name")?;
                names
                    .entry(id)
                    .and_modify(|all| {
                        all.push_str("; ");
                        all.push_str(&name);
                    })
                    .or_insert(name);
            }
        }
        Ok(names)
    }

    /// The tags a recording carries, by name.
    pub async fn recording_tags(&self, recording: &RecordingId) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT t.id, t.name FROM recording_tags rt JOIN company_tags t ON t.id = rt.tag_id \
             WHERE rt.recording_id = $1 ORDER BY t.name_key",
        )
        .bind(recording.as_str())
        .fetch_all(&self.pool)
        .await?;
        tags(rows)
    }
}

impl Write<'_> {
    /// Adds a tag to the company's list; `None` if it has one of that name.
    pub async fn add_tag(&mut self, company: CompanyId, name: &TagName) -> Result<Option<Tag>> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO company_tags (company_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (company_id, name_key) DO NOTHING RETURNING id",
        )
        .bind(company.0)
        .bind(name.as_str())
        .bind(name.key())
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        Ok(match row {
            Some(row) => Some(Tag {
                id: row.try_get("id")?,
                name: name.as_str().to_string(),
            }),
            None => None,
        })
    }

    /// Removes a tag of the company from its list and from every
    /// recording; false if it was not there.
    pub async fn remove_tag(&mut self, company: CompanyId, id: i64) -> Result<bool> {
        sqlx::query(
            "DELETE FROM recording_tags WHERE tag_id IN \
             (SELECT id FROM company_tags WHERE id = $1 AND company_id = $2)",
        )
        .bind(id)
        .bind(company.0)
        .execute(self.conn())
        .await?;
        let done = sqlx::query("DELETE FROM company_tags WHERE id = $1 AND company_id = $2")
            .bind(id)
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts tag `tag` on a recording (once); true if it was not there yet.
    pub async fn tag_recording(&mut self, recording: &RecordingId, tag: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO recording_tags (recording_id, tag_id) VALUES ($1, $2) \
             ON CONFLICT (recording_id, tag_id) DO NOTHING",
        )
        .bind(recording.as_str())
        .bind(tag)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes tag `tag` off a recording; true if it was there.
    pub async fn untag_recording(&mut self, recording: &RecordingId, tag: i64) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM recording_tags WHERE recording_id = $1 AND tag_id = $2")
                .bind(recording.as_str())
                .bind(tag)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
