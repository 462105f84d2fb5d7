use crate::{Result, Store, StoreError, Write};
use callrec_domain::country::Country;
use callrec_domain::names::lookup_key;
use callrec_domain::retention::{PendingRetention, Retention, RetentionRule};
use callrec_domain::transcription::Redaction;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, CompanyName, MfaPolicy, SearchTerm};
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
    /// A disabled company's users cannot sign in; its tokens do not work.
    pub enabled: bool,
    /// Users who can manage users or MFA must use MFA under MFA Available.
    pub mfa_for_admins: bool,
    /// MFA Enabled with days to register: the end of the grace period.
    pub mfa_deadline: Option<i64>,
    /// How long its recordings are kept (Company settings → Retention).
    pub retention: Retention,
    /// A shorter period waiting out its notice period.
    pub retention_pending: Option<PendingRetention>,
    /// Company settings: the country national numbers are typed in
    /// (`None`: the portal's default).
    pub phone_country: Option<String>,
    /// Company settings → Transcription: its calls are transcribed.
    pub transcription: bool,
    /// Company settings → Redaction.
    pub redaction: Redaction,
}

impl Company {
    /// The zone its users see times in (and months count in): its own, else
    /// the portal's `default`.
    pub fn zone(&self, default: &Zone) -> Zone {
        Zone::first_of([self.time_zone.as_deref()]).unwrap_or_else(|| default.clone())
    }

    /// The country its users type national numbers in: its own, else the
    /// portal's `default`.
    pub fn country(&self, default: Country) -> Country {
        country_or(self.phone_country.as_deref(), default)
    }

    /// Its retention as a rule: the period in force and one waiting.
    pub fn retention_rule(&self) -> RetentionRule {
        RetentionRule {
            current: self.retention,
            pending: self.retention_pending,
        }
    }
}

/// A company with its number of users, for the Companies page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRow {
    pub company: Company,
    pub users: i64,
}

/// A stored country code, else `default` (a code no longer known reads as
/// the default rather than failing every search).
pub(crate) fn country_or(stored: Option<&str>, default: Country) -> Country {
    stored
        .and_then(|code| Country::parse("country", code).ok())
        .unwrap_or(default)
}

const COLUMNS: &str = "id, name, mfa_policy, created_at, time_zone, enabled, mfa_for_admins, \
     mfa_deadline, retention, retention_pending, retention_pending_at, phone_country, \
     transcription, redaction";

fn company_from_row(row: &AnyRow) -> Result<Company> {
    let policy: String = row.try_get("mfa_policy")?;
    let retention: String = row.try_get("retention")?;
    let redaction: String = row.try_get("redaction")?;
    let pending: Option<String> = row.try_get("retention_pending")?;
    let retention_pending = match (
        pending,
        row.try_get::<Option<i64>, _>("retention_pending_at")?,
    ) {
        (Some(code), Some(from)) => Some(PendingRetention {
            period: Retention::from_code(&code).ok_or(StoreError::Corrupt(code))?,
            from,
        }),
        _ => None,
    };
    Ok(Company {
        id: CompanyId(row.try_get("id")?),
        name: row.try_get("name")?,
        mfa_policy: MfaPolicy::parse(&policy).map_err(|_| StoreError::Corrupt(policy))?,
        created_at: row.try_get("created_at")?,
        time_zone: row.try_get("time_zone")?,
        enabled: crate::flag(row, "enabled")?,
        mfa_for_admins: crate::flag(row, "mfa_for_admins")?,
        mfa_deadline: row.try_get("mfa_deadline")?,
        retention: Retention::from_code(&retention).ok_or(StoreError::Corrupt(retention))?,
        retention_pending,
        phone_country: row.try_get("phone_country")?,
        transcription: crate::flag(row, "transcription")?,
        redaction: Redaction::parse(&redaction).ok_or(StoreError::Corrupt(redaction))?,
    })
}

impl Store {
    /// Companies whose name contains `search` (all without one), by name,
    /// with their number of users.
    pub async fn company_rows(&self, search: Option<&SearchTerm>) -> Result<Vec<CompanyRow>> {
        let pattern = search.map_or_else(|| "%".to_string(), SearchTerm::like_pattern);
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM users u WHERE u.company_id = companies.id) AS users \
             FROM companies WHERE name_key LIKE $1 ESCAPE '\\' ORDER BY name_key"
        ))
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CompanyRow {
                    company: company_from_row(row)?,
                    users: row.try_get("users")?,
                })
            })
            .collect()
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

impl Write<'_> {
    pub async fn rename_company(&mut self, id: CompanyId, name: &CompanyName) -> Result<()> {
        let done = sqlx::query("UPDATE companies SET name = $1, name_key = $2 WHERE id = $3")
            .bind(name.as_str())
            .bind(lookup_key(name.as_str()))
            .bind(id.0)
            .execute(self.conn())
            .await
            .map_err(StoreError::conflict_as("a company with that name"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Enables or disables a company; disabling ends its users' sessions
    /// in the same transaction.
    pub async fn set_company_enabled(&mut self, id: CompanyId, enabled: bool) -> Result<u64> {
        sqlx::query("UPDATE companies SET enabled = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        let ended = if enabled {
            0
        } else {
            sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE company_id = $1)")
                .bind(id.0)
                .execute(self.conn())
                .await?
                .rows_affected()
        };
        Ok(ended)
    }

    /// The end of the grace period to register (`None`: none).
    pub async fn set_mfa_deadline(&mut self, id: CompanyId, deadline: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE companies SET mfa_deadline = $1 WHERE id = $2")
            .bind(deadline)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Company MFA: whether users who can manage users or MFA must use it.
    pub async fn set_mfa_for_admins(&mut self, id: CompanyId, on: bool) -> Result<()> {
        sqlx::query("UPDATE companies SET mfa_for_admins = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Company settings: the company's time zone (`None`: the default).
    pub async fn set_company_time_zone(&mut self, id: CompanyId, zone: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE companies SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Company settings: the country for phone numbers (`None`: the default).
    pub async fn set_company_phone_country(
        &mut self,
        id: CompanyId,
        country: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE companies SET phone_country = $1 WHERE id = $2")
            .bind(country)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A new company keeping its recordings for `retention`.
    pub async fn create_company(
        &mut self,
        name: &CompanyName,
        retention: Retention,
    ) -> Result<Company> {
        let now = self.now;
        let row = sqlx::query(&format!(
            "INSERT INTO companies (name, name_key, created_at, retention) VALUES ($1, $2, $3, $4) \
             RETURNING {COLUMNS}"
        ))
        .bind(name.as_str())
        .bind(name.key())
        .bind(now)
        .bind(retention.code())
        .fetch_one(self.conn())
        .await
        .map_err(StoreError::conflict_as("a company with that name"))?;
        company_from_row(&row)
    }

    /// Company settings → Retention: the period in force and the one
    /// waiting (`None`: none).
    pub async fn set_company_retention(
        &mut self,
        id: CompanyId,
        rule: RetentionRule,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE companies SET retention = $1, retention_pending = $2, retention_pending_at = $3 \
             WHERE id = $4",
        )
        .bind(rule.current.code())
        .bind(rule.pending.map(|p| p.period.code()))
        .bind(rule.pending.map(|p| p.from))
        .bind(id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
