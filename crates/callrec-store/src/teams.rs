use crate::{flag, Result, Store, StoreError, Write};
use callrec_domain::names::lookup_key;
use callrec_domain::{CompanyId, TeamId, TeamName};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub company_id: CompanyId,
    pub company_name: String,
    pub name: String,
    pub enabled: bool,
    pub member_count: i64,
}

const SELECT: &str = "SELECT t.id, t.company_id, c.name AS company_name, t.name, t.enabled, \
     (SELECT COUNT(*) FROM users u WHERE u.team_id = t.id) AS member_count \
     FROM teams t JOIN companies c ON c.id = t.company_id";

fn team_from_row(row: &AnyRow) -> Result<Team> {
    Ok(Team {
        id: TeamId(row.try_get("id")?),
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        name: row.try_get("name")?,
        enabled: flag(row, "enabled")?,
        member_count: row.try_get("member_count")?,
    })
}

const DUPLICATE_TEAM: &str = "a team with that name in this company";

impl Store {
    /// A team, looked up inside its company so a foreign id is simply absent.
    pub async fn team(&self, company: CompanyId, id: TeamId) -> Result<Option<Team>> {
        sqlx::query(&format!("{SELECT} WHERE t.company_id = $1 AND t.id = $2"))
            .bind(company.0)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    /// Any team by id, for callers that check scope themselves.
    pub async fn team_by_id(&self, id: TeamId) -> Result<Option<Team>> {
        sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    pub async fn team_by_name(&self, company: CompanyId, name: &str) -> Result<Option<Team>> {
        sqlx::query(&format!(
            "{SELECT} WHERE t.company_id = $1 AND t.name_key = $2"
        ))
        .bind(company.0)
        .bind(lookup_key(name))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(team_from_row)
        .transpose()
    }

    /// Teams of one company, or of every company when `company` is `None`.
    pub async fn list_teams(&self, company: Option<CompanyId>) -> Result<Vec<Team>> {
        let rows = match company {
            Some(company) => {
                sqlx::query(&format!(
                    "{SELECT} WHERE t.company_id = $1 ORDER BY t.name_key"
                ))
                .bind(company.0)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("{SELECT} ORDER BY c.name_key, t.name_key"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(team_from_row).collect()
    }
}

impl Write<'_> {
    pub async fn create_team(&mut self, company: CompanyId, name: &TeamName) -> Result<Team> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO teams (company_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(company.0)
        .bind(name.as_str())
        .bind(name.key())
        .bind(now)
        .fetch_one(self.conn())
        .await
        .map_err(StoreError::conflict_as(DUPLICATE_TEAM))?;
        let id = TeamId(row.try_get("id")?);
        let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        team_from_row(&row)
    }

    pub async fn rename_team(
        &mut self,
        company: CompanyId,
        id: TeamId,
        name: &TeamName,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE teams SET name = $1, name_key = $2 WHERE company_id = $3 AND id = $4",
        )
        .bind(name.as_str())
        .bind(name.key())
        .bind(company.0)
        .bind(id.0)
        .execute(self.conn())
        .await
        .map_err(StoreError::conflict_as(DUPLICATE_TEAM))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_team_enabled(
        &mut self,
        company: CompanyId,
        id: TeamId,
        enabled: bool,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE teams SET enabled = $1 WHERE company_id = $2 AND id = $3")
            .bind(i64::from(enabled))
            .bind(company.0)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
