//! Recording sources (migration 0032): the SIP peers whose calls a
//! company's recording server accepts, by address or CIDR range.

use crate::filter::Filter;
use crate::{Result, Store, Write};
use callrec_domain::network::IpNet;
use callrec_domain::CompanyId;
use sqlx::Row;

/// One of a company's recording sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSource {
    pub id: i64,
    pub company_id: CompanyId,
    pub company_name: String,
    pub name: String,
    /// The address or range, in its network form (`10.0.0.0/8`).
    pub address: String,
    pub created_at: i64,
    /// SIP digest credentials its requests must carry: the username and
    /// the sealed password (see migration 0035).
    pub credentials: Option<(String, String)>,
}

const SELECT: &str = "SELECT s.id, s.company_id, c.name AS company_name, s.name, s.address, \
     s.created_at, s.sip_username, s.sip_secret \
     FROM capture_sources s JOIN companies c ON c.id = s.company_id";

fn sources(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<CaptureSource>> {
    rows.iter()
        .map(|row| {
            Ok(CaptureSource {
                id: row.try_get("id")?,
                company_id: CompanyId(row.try_get("company_id")?),
                company_name: row.try_get("company_name")?,
                name: row.try_get("name")?,
                address: row.try_get("address")?,
                created_at: row.try_get("created_at")?,
                // Half a pair (a damaged row) still guards the source: it
                // opens to nothing, so its calls are refused.
                credentials: match (
                    row.try_get::<Option<String>, _>("sip_username")?,
                    row.try_get::<Option<String>, _>("sip_secret")?,
                ) {
                    (None, None) => None,
                    (username, sealed) => {
                        Some((username.unwrap_or_default(), sealed.unwrap_or_default()))
                    }
                },
            })
        })
        .collect()
}

impl Store {
    /// Every company's sources (`None`) or one company's, by company and
    /// name. The recording server keeps this list and matches peers in
    /// memory: a few rows per company, read again when it changes.
    pub async fn capture_sources(&self, company: Option<CompanyId>) -> Result<Vec<CaptureSource>> {
        let mut filter = Filter::default();
        if let Some(company) = company {
            let mark = filter.bind(company.0);
            filter.and(format!("s.company_id = {mark}"));
        }
        let sql = format!(
            "{SELECT}{} ORDER BY c.name, s.name, s.id",
            filter.where_clause()
        );
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?;
        sources(rows)
    }
}

impl Store {
    /// The sources of enabled companies: those the recording server
    /// takes calls from (a disabled company's calls are refused).
    pub async fn active_capture_sources(&self) -> Result<Vec<CaptureSource>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE c.enabled = 1 ORDER BY s.id"))
            .fetch_all(&self.pool)
            .await?;
        sources(rows)
    }
}

impl Write<'_> {
    /// Adds a source to a company; `None` if it has that address already.
    pub async fn add_capture_source(
        &mut self,
        company: CompanyId,
        name: &str,
        address: &IpNet,
    ) -> Result<Option<i64>> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO capture_sources (company_id, name, address, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, address) DO NOTHING RETURNING id",
        )
        .bind(company.0)
        .bind(name)
        .bind(address.to_string())
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("id")?),
            None => None,
        })
    }

    /// Removes source `id`, within `company` when one is given (a
    /// company's administrator) or any (an operator); the removed source,
    /// or `None` if there was none in scope.
    pub async fn remove_capture_source(
        &mut self,
        id: i64,
        company: Option<CompanyId>,
    ) -> Result<Option<CaptureSource>> {
        let mut filter = Filter::default();
        let mark = filter.bind(id);
        filter.and(format!("s.id = {mark}"));
        if let Some(company) = company {
            let mark = filter.bind(company.0);
            filter.and(format!("s.company_id = {mark}"));
        }
        let sql = format!("{SELECT}{}", filter.where_clause());
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(self.conn())
            .await?;
        let Some(source) = sources(rows)?.into_iter().next() else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM capture_sources WHERE id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(Some(source))
    }
}

impl Write<'_> {
    /// Sets (or with `None` clears) source `id`'s digest credentials: the
    /// username and the sealed password. Whether there was such a source.
    pub async fn set_capture_credentials(
        &mut self,
        id: i64,
        credentials: Option<(&str, &str)>,
    ) -> Result<bool> {
        let (username, sealed) = credentials.unzip();
        let done = sqlx::query(
            "UPDATE capture_sources SET sip_username = $1, sip_secret = $2 WHERE id = $3",
        )
        .bind(username)
        .bind(sealed)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every source with credentials: (id, sealed password), for a new
    /// master key to seal them again.
    pub async fn sealed_capture_credentials(&mut self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, sip_secret FROM capture_sources WHERE sip_secret IS NOT NULL ORDER BY id",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("sip_secret")?)))
            .collect()
    }

    /// Replaces source `id`'s sealed password if it is still `old`.
    pub async fn reseal_capture_credentials(
        &mut self,
        id: i64,
        old: &str,
        fresh: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE capture_sources SET sip_secret = $1 WHERE id = $2 AND sip_secret = $3",
        )
        .bind(fresh)
        .bind(id)
        .bind(old)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
