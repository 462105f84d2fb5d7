use crate::{Result, Store, StoreError};
use callrec_domain::names::lookup_key;
use callrec_domain::{CompanyId, CompanyName, MfaPolicy};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub mfa_policy: MfaPolicy,
    pub created_at: i64,
    /// Company settings: the time zone its users see times in, unless
    /// they choose their own (`None`: the portal's default).
    pub time_zone: Option<String>,
}

const COLUMNS: &str = "id, name, mfa_policy, created_at, time_zone";

fn company_from_row(row: &AnyRow) -> Result<Company> {
    let policy: String = row.try_get("mfa_policy")?;
    Ok(Company {
        id: CompanyId(row.try_get("id")?),
        name: row.try_get("name")?,
        mfa_policy: MfaPolicy::parse(&policy).map_err(|_| StoreError::Corrupt(policy))?,
        created_at: row.try_get("created_at")?,
        time_zone: row.try_get("time_zone")?,
    })
}

impl Store {
    /// Company settings: the company's time zone (`None`: the default).
    pub async fn set_company_time_zone(&self, id: CompanyId, zone: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE companies SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_company(&self, name: &CompanyName, now: i64) -> Result<Company> {
        let row = sqlx::query(&format!(
            "INSERT INTO companies (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        ))
        .bind(name.as_str())
        .bind(name.key())
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::conflict_as("a company with that name"))?;
        company_from_row(&row)
    }

    pub async fn list_companies(&self) -> Result<Vec<Company>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM companies ORDER BY name_key"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(company_from_row)
        .collect()
    }

    /// Case-insensitive lookup by name.
    pub async fn company_by_name(&self, name: &str) -> Result<Option<Company>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM companies WHERE name_key = $1"
        ))
        .bind(lookup_key(name))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(company_from_row)
        .transpose()
    }

    pub async fn company(&self, id: CompanyId) -> Result<Option<Company>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM companies WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(company_from_row)
            .transpose()
    }

    pub async fn count_companies(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM companies")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}
