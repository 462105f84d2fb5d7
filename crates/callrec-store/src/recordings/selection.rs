//! Recordings picked for bulk work (Download selected, Download all
//! matching): by id or by search, always inside the viewer's scope.

use super::{matching, recording_from_row, Recording, RecordingQuery, COLUMNS, JOINS};
use crate::filter::Filter;
use crate::{Result, Store};
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;

impl Store {
    /// The recordings of `ids` that are inside `scope`, newest first; ids
    /// outside it are left out as if they did not exist.
    pub async fn recordings_with_ids(
        &self,
        ids: &[RecordingId],
        scope: DataScope,
    ) -> Result<Vec<Recording>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut filter = Filter::default();
        let marks: Vec<String> = ids
            .iter()
            .map(|id| filter.bind(id.as_str().to_string()))
            .collect();
        filter.and(format!("r.id IN ({})", marks.join(", ")));
        filter.scope(scope, "r.company_id", "r.team_id", "r.user_id");
        self.selected(filter, None).await
    }

    /// Up to `limit` recordings matching `query` (scope and filters),
    /// newest first.
    pub async fn recordings_matching(
        &self,
        query: &RecordingQuery,
        limit: i64,
    ) -> Result<Vec<Recording>> {
        self.selected(matching(query), Some(limit)).await
    }

    async fn selected(&self, mut filter: Filter, limit: Option<i64>) -> Result<Vec<Recording>> {
        let limit = match limit {
            Some(n) => format!(" LIMIT {}", filter.bind(n)),
            None => String::new(),
        };
        sqlx::query_with(
            &format!(
                "{COLUMNS} {JOINS}{} ORDER BY r.started_at DESC, r.id DESC{limit}",
                filter.where_clause()
            ),
            filter.args(),
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(recording_from_row)
        .collect()
    }
}
