//! The home dashboard's reads: calls per quarter hour from `call_counts`
//! (kept by triggers as recordings come and go, migration 27), the busiest
//! teams and users, and MFA adoption by day.

use crate::{packed, Result, Store};
use callrec_domain::dashboard::QuarterCount;
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, TeamId, UserId};
use sqlx::Row;

/// A team or user with its calls in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    pub id: i64,
    pub name: String,
    pub calls: i64,
    pub duration_ms: i64,
}

/// A company's MFA adoption on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionDay {
    pub day: String,
    pub users: i64,
    pub registered: i64,
}

/// Whose busiest list to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Teams of one company, or of every company (named with it).
    Teams(Option<CompanyId>),
    /// Users of one company, or of every company.
    Users(Option<CompanyId>),
    /// Users by their calls in one team.
    TeamMembers(TeamId),
    /// One team alone (a Team user's report).
    Team(TeamId),
    /// One user alone (a Staff user's report).
    User(UserId),
    /// The teams of one user's calls (a Staff user's report).
    TeamsOf(UserId),
}

impl Ranking {
    /// The rows to sum (`k`, the buckets, with `$1..$2` the quarters), the
    /// name shown, what is ranked (the bucket's owner, or for a user's
    /// calls by team, the team), and the id bound as `$4`, if any. Each
    /// reads an index of its own: the owner's key, the team's, or the
    /// period's.
    fn plan(self) -> (&'static str, &'static str, &'static str, Option<i64>) {
        let (rows, name, id) = match self {
            Ranking::Teams(Some(company)) => (
                "teams t JOIN call_counts k ON k.slice = 2 AND k.owner = t.id \
                 AND k.quarter BETWEEN $1 AND $2 WHERE t.company_id = $4",
                "t.name",
                Some(company.0),
            ),
            Ranking::Teams(None) => (
                "call_counts k JOIN teams t ON t.id = k.owner JOIN companies c ON c.id = t.company_id \
                 WHERE k.slice = 2 AND k.quarter BETWEEN $1 AND $2",
                "c.name || ' · ' || t.name",
                None,
            ),
            Ranking::Users(Some(company)) => (
                "users u JOIN call_counts k ON k.slice = 3 AND k.owner = u.id \
                 AND k.quarter BETWEEN $1 AND $2 WHERE u.company_id = $4",
                "u.display_name",
                Some(company.0),
            ),
            Ranking::Users(None) => (
                "call_counts k JOIN users u ON u.id = k.owner \
                 WHERE k.slice = 3 AND k.quarter BETWEEN $1 AND $2",
                "u.display_name",
                None,
            ),
            Ranking::TeamMembers(team) => (
                "call_counts k JOIN users u ON u.id = k.owner \
                 WHERE k.slice = 3 AND k.team = $4 AND k.quarter BETWEEN $1 AND $2",
                "u.display_name",
                Some(team.0),
            ),
            Ranking::Team(team) => (
                "teams t JOIN call_counts k ON k.slice = 2 AND k.owner = t.id \
                 AND k.quarter BETWEEN $1 AND $2 WHERE t.id = $4",
                "t.name",
                Some(team.0),
            ),
            Ranking::User(user) => (
                "users u JOIN call_counts k ON k.slice = 3 AND k.owner = u.id \
                 AND k.quarter BETWEEN $1 AND $2 WHERE u.id = $4",
                "u.display_name",
                Some(user.0),
            ),
            Ranking::TeamsOf(user) => {
                return (
                    "call_counts k JOIN teams t ON t.id = k.team \
                     WHERE k.slice = 3 AND k.owner = $4 AND k.quarter BETWEEN $1 AND $2",
                    "t.name",
                    "k.team",
                    Some(user.0),
                )
            }
        };
        (rows, name, "k.owner", id)
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
        let (slice, owner) = match scope {
            DataScope::Everything => (1, None),
            DataScope::Company(company) => (1, Some(company.0)),
            DataScope::Team(_, team) => (2, Some(team.0)),
            DataScope::OwnOnly(user) => (3, Some(user.0)),
        };
        let owner_clause = if owner.is_some() {
            " AND owner = $4"
        } else {
            ""
        };
        // One packed string, not a row per bucket: decoding 2,880 rows
        // through sqlx's Any driver is slow (a Staff user's page at
        // 1,000,000 recordings: 16 ms, then 10 ms with the same SQL).
        let sql =
            format!(
            "SELECT {} AS buckets FROM (SELECT quarter, CAST(SUM(inbound) AS BIGINT) AS inbound, \
             CAST(SUM(outbound) AS BIGINT) AS outbound, CAST(SUM(internal) AS BIGINT) AS internal, \
             CAST(SUM(duration_ms) AS BIGINT) AS duration_ms FROM call_counts \
             WHERE slice = $1 AND quarter BETWEEN $2 AND $3{owner_clause} GROUP BY quarter) b",
            self.backend
                .packed_rows(&["quarter", "inbound", "outbound", "internal", "duration_ms"])
        );
        let mut query = sqlx::query(&sql).bind(slice).bind(from).bind(to);
        if let Some(owner) = owner {
            query = query.bind(owner);
        }
        let text: String = query.fetch_one(&self.pool).await?.try_get("buckets")?;
        const WHAT: &str = "call counts";
        packed::rows::<5>(&text, WHAT)?
            .into_iter()
            .map(|[quarter, inbound, outbound, internal, duration_ms]| {
                Ok(QuarterCount {
                    quarter: packed::int(quarter, WHAT)?,
                    inbound: packed::int(inbound, WHAT)?,
                    outbound: packed::int(outbound, WHAT)?,
                    internal: packed::int(internal, WHAT)?,
                    duration_ms: packed::int(duration_ms, WHAT)?,
                })
            })
            .collect()
    }

    /// The busiest teams or users in quarters `from..to`, busiest first.
    pub async fn busiest(
        &self,
        ranking: Ranking,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<TopEntry>> {
        let (rows, name, ranked, id) = ranking.plan();
        let sql = format!(
            "SELECT {ranked} AS id, {name} AS name, \
             CAST(SUM(k.inbound + k.outbound + k.internal) AS BIGINT) AS calls, \
             CAST(SUM(k.duration_ms) AS BIGINT) AS duration \
             FROM {rows} GROUP BY {ranked}, {name} ORDER BY calls DESC, name LIMIT $3"
        );
        let mut query = sqlx::query(&sql).bind(from).bind(to).bind(limit);
        if let Some(id) = id {
            query = query.bind(id);
        }
        let found = query.fetch_all(&self.pool).await?;
        found
            .iter()
            .map(|row| {
                Ok(TopEntry {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    calls: row.try_get("calls")?,
                    duration_ms: row.try_get("duration")?,
                })
            })
            .collect()
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
