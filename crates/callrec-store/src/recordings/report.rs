//! The call detail report's totals: calls and call time for a search (the
//! Recordings filters, in the viewer's scope), by direction, user, team and
//! quarter of an hour (which the caller turns into days in the viewer's
//! zone: every zone's offset is a whole number of quarter hours).

use super::{matching, RecordingQuery};
use crate::{Result, Store, StoreError};
use callrec_domain::recording::Direction;
use sqlx::Row;

/// A quarter of an hour, in milliseconds.
pub const QUARTER_HOUR_MS: i64 = 900_000;

/// Calls and their total duration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub calls: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallTotals {
    pub all: Tally,
    pub by_direction: Vec<(Direction, Tally)>,
    /// By user's name (`None`: calls of no user), most calls first.
    pub by_user: Vec<(Option<String>, Tally)>,
    /// By team name (`None`: calls of no team), most calls first.
    pub by_team: Vec<(Option<String>, Tally)>,
    /// By quarter hour (its start, Unix ms), oldest first.
    pub by_quarter_hour: Vec<(i64, Tally)>,
    /// Whether `by_direction` has minutes too (totals from the counts
    /// keep calls per direction but one duration).
    pub direction_minutes: bool,
}

fn tally(row: &sqlx::any::AnyRow) -> Result<Tally> {
    Ok(Tally {
        calls: row.try_get("calls")?,
        duration_ms: row.try_get::<Option<i64>, _>("duration")?.unwrap_or(0),
    })
}

impl Store {
    pub async fn call_totals(&self, query: &RecordingQuery) -> Result<CallTotals> {
        let filter = matching(query);
        let where_clause = filter.where_clause();
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
        let sums = "COUNT(*) AS calls, CAST(SUM(r.duration_ms) AS BIGINT) AS duration";
        let grouped = |key: &str, joins: &str, group: &str, order: &str| {
            format!(
                "SELECT {key} AS k, {sums} FROM recordings r{joins}{where_clause} \
                 GROUP BY {group} ORDER BY {order}"
            )
        };
        let run = |sql: String| {
            let filter = &filter;
            async move {
                sqlx::query_with(&sql, filter.args())
                    .fetch_all(&self.pool)
                    .await
            }
        };
        let mut totals = CallTotals {
            direction_minutes: true,
            ..CallTotals::default()
        };
        for row in run(grouped("r.direction", "", "r.direction", "r.direction")).await? {
            let code: String = row.try_get("k")?;
            let direction = Direction::parse(&code).ok_or(StoreError::Corrupt(code))?;
            let part = tally(&row)?;
            totals.all.calls += part.calls;
            totals.all.duration_ms += part.duration_ms;
            totals.by_direction.push((direction, part));
        }
        for row in run(grouped(
            "u.display_name",
            " LEFT JOIN users u ON u.id = r.user_id",
            "r.user_id, u.display_name",
            "calls DESC, u.display_name",
        ))
        .await?
        {
            totals.by_user.push((row.try_get("k")?, tally(&row)?));
        }
        for row in run(grouped(
            "t.name",
            " LEFT JOIN teams t ON t.id = r.team_id",
            "r.team_id, t.name",
            "calls DESC, t.name",
        ))
        .await?
        {
            totals.by_team.push((row.try_get("k")?, tally(&row)?));
        }
        let bucket = format!("r.started_at / {QUARTER_HOUR_MS}");
        for row in run(grouped(&bucket, "", &bucket, &bucket)).await? {
            let quarter: i64 = row.try_get("k")?;
            totals
                .by_quarter_hour
                .push((quarter * QUARTER_HOUR_MS, tally(&row)?));
        }
        Ok(totals)
    }
}
