//! The home dashboard's reads: calls per quarter hour from `call_counts`
//! (kept by triggers as recordings come and go, migration 27), the busiest
//! teams and users, and MFA adoption by day.

use crate::{Result, Store};
use callrec_domain::dashboard::QuarterCount;
use callrec_domain::permissions::DataScope;
use callrec_domain::CompanyId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A team or user with its calls in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    pub id: i64,
    pub name: String,
    pub calls: i64,
}

/// A company's MFA adoption on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionDay {
    pub day: String,
    pub users: i64,
    pub registered: i64,
}

/// Rows of `id`, `name` and `calls`, busiest first.
fn top_entries(rows: &[AnyRow]) -> Result<Vec<TopEntry>> {
    rows.iter()
        .map(|row| {
            Ok(TopEntry {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                calls: row.try_get("calls")?,
            })
        })
        .collect()
}

/// The `call_counts` rows of a scope: (slice, owner), or every company.
fn slice_of(scope: DataScope) -> (i64, Option<i64>) {
    match scope {
        DataScope::Everything => (1, None),
        DataScope::Company(company) => (1, Some(company.0)),
        DataScope::Team(_, team) => (2, Some(team.0)),
        DataScope::OwnOnly(user) => (3, Some(user.0)),
    }
}

impl Store {
    /// Calls per quarter hour in `scope`, quarters `from..to` (inclusive).
    pub async fn call_counts(
        &self,
        scope: DataScope,
        from: i64,
        to: i64,
    ) -> Result<Vec<QuarterCount>> {
        let (slice, owner) = slice_of(scope);
        let owner_clause = if owner.is_some() {
            "AND owner = $4"
        } else {
            "AND $4 IS NULL"
        };
        let rows = sqlx::query(&format!(
            "SELECT quarter, CAST(SUM(inbound) AS BIGINT) AS inbound, \
             CAST(SUM(outbound) AS BIGINT) AS outbound, CAST(SUM(internal) AS BIGINT) AS internal, \
             CAST(SUM(duration_ms) AS BIGINT) AS duration_ms FROM call_counts \
             WHERE slice = $1 AND quarter BETWEEN $2 AND $3 {owner_clause} GROUP BY quarter"
        ))
        .bind(slice)
        .bind(from)
        .bind(to)
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QuarterCount {
                    quarter: row.try_get("quarter")?,
                    inbound: row.try_get("inbound")?,
                    outbound: row.try_get("outbound")?,
                    internal: row.try_get("internal")?,
                    duration_ms: row.try_get("duration_ms")?,
                })
            })
            .collect()
    }

    /// The teams with most calls in quarters `from..to` inside a company
    /// (or everywhere), busiest first.
    pub async fn top_teams(
        &self,
        company: Option<CompanyId>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<TopEntry>> {
        self.top(
            "JOIN teams t ON t.id = k.owner JOIN companies c ON c.id = t.company_id",
            2,
            "t.company_id",
            "CASE WHEN $4 IS NULL THEN c.name || ' · ' || t.name ELSE t.name END",
            company.map(|c| c.0),
            from,
            to,
            limit,
        )
        .await
    }

    /// The users with most calls in quarters `from..to` inside a company
    /// (or everywhere), busiest first.
    pub async fn top_users(
        &self,
        company: Option<CompanyId>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<TopEntry>> {
        self.top(
            "JOIN users u ON u.id = k.owner",
            3,
            "u.company_id",
            "u.username",
            company.map(|c| c.0),
            from,
            to,
            limit,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn top(
        &self,
        joins: &str,
        slice: i64,
        company_column: &str,
        name: &str,
        company: Option<i64>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<TopEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT k.owner AS id, {name} AS name, \
             CAST(SUM(k.inbound + k.outbound + k.internal) AS BIGINT) AS calls \
             FROM call_counts k {joins} \
             WHERE k.slice = {slice} AND k.quarter BETWEEN $1 AND $2 \
             AND ($4 IS NULL OR {company_column} = $4) \
             GROUP BY k.owner, {name} ORDER BY calls DESC, name LIMIT $3"
        ))
        .bind(from)
        .bind(to)
        .bind(limit)
        .bind(company)
        .fetch_all(&self.pool)
        .await?;
        top_entries(&rows)
    }

    /// The users with most calls of one team, from the recordings
    /// themselves: a user's own counts would include calls of other teams.
    pub async fn top_users_of_team(
        &self,
        team: i64,
        from_ms: i64,
        to_ms: i64,
        limit: i64,
    ) -> Result<Vec<TopEntry>> {
        let rows = sqlx::query(
            "SELECT r.user_id AS id, u.username AS name, COUNT(*) AS calls FROM recordings r \
             JOIN users u ON u.id = r.user_id \
             WHERE r.team_id = $1 AND r.started_at >= $2 AND r.started_at < $3 \
             GROUP BY r.user_id, u.username ORDER BY calls DESC, name LIMIT $4",
        )
        .bind(team)
        .bind(from_ms)
        .bind(to_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        top_entries(&rows)
    }

    /// Notes every company's MFA adoption for `day` (UTC date), replacing
    /// what an earlier run of the same day noted.
    pub async fn note_mfa_adoption(&self, day: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO mfa_adoption (company_id, day, users, registered) \
             SELECT c.id, $1, \
               (SELECT COUNT(*) FROM users u WHERE u.company_id = c.id AND u.enabled = 1), \
               (SELECT COUNT(*) FROM users u WHERE u.company_id = c.id AND u.enabled = 1 AND ( \
                  EXISTS (SELECT 1 FROM mfa_registrations m WHERE m.user_id = u.id AND m.confirmed = 1) \
                  OR EXISTS (SELECT 1 FROM mfa_security_keys k WHERE k.user_id = u.id))) \
             FROM companies c WHERE c.id > 0 \
             ON CONFLICT (company_id, day) DO UPDATE SET users = excluded.users, registered = excluded.registered",
        )
        .bind(day)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A company's MFA adoption (or every company's, summed) from
    /// `from_day` on, oldest first.
    pub async fn mfa_adoption(
        &self,
        company: Option<CompanyId>,
        from_day: &str,
    ) -> Result<Vec<AdoptionDay>> {
        let rows = sqlx::query(
            "SELECT day, CAST(SUM(users) AS BIGINT) AS users, \
             CAST(SUM(registered) AS BIGINT) AS registered FROM mfa_adoption \
             WHERE ($1 IS NULL OR company_id = $1) AND day >= $2 GROUP BY day ORDER BY day",
        )
        .bind(company.map(|c| c.0))
        .bind(from_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AdoptionDay {
                    day: row.try_get("day")?,
                    users: row.try_get("users")?,
                    registered: row.try_get("registered")?,
                })
            })
            .collect()
    }
}
