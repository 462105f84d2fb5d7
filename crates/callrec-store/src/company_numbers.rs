//! A company's numbers (migration 0034): ranges of E.164 numbers and of
//! extensions. No two companies hold one E.164 number, and no company
//! holds a number twice: checked and written under one lock.

use crate::filter::Filter;
use crate::{Result, Store, Write};
use callrec_domain::numbers::{NumberKind, NumberRange, MAX_RANGES};
use callrec_domain::CompanyId;
use sqlx::Row;

/// One range of a company's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyNumbers {
    pub id: i64,
    pub company_id: CompanyId,
    pub company_name: String,
    pub range: NumberRange,
    pub created_at: i64,
}

/// Why a range was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumbersRefused {
    /// It shares numbers with a range already held (by this company or,
    /// for E.164 numbers, another).
    Overlaps(CompanyNumbers),
    /// The company holds [`MAX_RANGES`] ranges already.
    TooMany,
}

const SELECT: &str = "SELECT n.id, n.company_id, c.name AS company_name, n.kind, \
     n.first_number, n.last_number, n.created_at \
     FROM company_numbers n JOIN companies c ON c.id = n.company_id";

fn rows_to_ranges(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<CompanyNumbers>> {
    let mut ranges = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let first: String = row.try_get("first_number")?;
        let last: String = row.try_get("last_number")?;
        // A damaged row is not a number anyone owns.
        let Some(range) = NumberRange::from_stored(&kind, &first, &last) else {
            continue;
        };
        ranges.push(CompanyNumbers {
            id: row.try_get("id")?,
            company_id: CompanyId(row.try_get("company_id")?),
            company_name: row.try_get("company_name")?,
            range,
            created_at: row.try_get("created_at")?,
        });
    }
    Ok(ranges)
}

impl Store {
    /// One company's numbers, or every company's (`None`), in number order.
    pub async fn company_numbers(&self, company: Option<CompanyId>) -> Result<Vec<CompanyNumbers>> {
        let mut filter = Filter::default();
        if let Some(company) = company {
            let mark = filter.bind(company.0);
            filter.and(format!("n.company_id = {mark}"));
        }
        let sql = format!(
            "{SELECT}{} ORDER BY c.name, n.kind, length(n.first_number), n.first_number",
            filter.where_clause()
        );
        rows_to_ranges(
            sqlx::query_with(&sql, filter.args())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The numbers of enabled companies: what the recording server routes
    /// and tells direction by.
    pub async fn active_company_numbers(&self) -> Result<Vec<CompanyNumbers>> {
        rows_to_ranges(
            sqlx::query(&format!("{SELECT} WHERE c.enabled = 1 ORDER BY n.id"))
                .fetch_all(&self.pool)
                .await?,
        )
    }
}

impl Write<'_> {
    /// Adds `range` to `company`'s numbers unless it overlaps a range the
    /// company holds, or an E.164 range any company holds.
    pub async fn add_company_numbers(
        &mut self,
        company: CompanyId,
        range: &NumberRange,
    ) -> Result<std::result::Result<i64, NumbersRefused>> {
        // Two nodes adding overlapping ranges at once: the second waits
        // here and then sees the first's.
        self.lock("company_numbers").await?;
        let kind = range.kind().code();
        let clash = sqlx::query(&format!(
            "{SELECT} WHERE n.kind = $1 AND (n.kind = 'e164' OR n.company_id = $2) \
             AND length(n.first_number) = length($3) \
             AND n.first_number <= $4 AND n.last_number >= $3 ORDER BY n.id LIMIT 1"
        ))
        .bind(kind)
        .bind(company.0)
        .bind(range.first())
        .bind(range.last())
        .fetch_all(self.conn())
        .await?;
        if let Some(clash) = rows_to_ranges(clash)?.into_iter().next() {
            return Ok(Err(NumbersRefused::Overlaps(clash)));
        }
        let held: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM company_numbers WHERE company_id = $1")
                .bind(company.0)
                .fetch_one(self.conn())
                .await?
                .try_get("n")?;
        if held >= MAX_RANGES as i64 {
            return Ok(Err(NumbersRefused::TooMany));
        }
        let now = self.now;
        let id: i64 = sqlx::query(
            "INSERT INTO company_numbers (company_id, kind, first_number, last_number, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(company.0)
        .bind(kind)
        .bind(range.first())
        .bind(range.last())
        .bind(now)
        .fetch_one(self.conn())
        .await?
        .try_get("id")?;
        Ok(Ok(id))
    }

    /// Removes range `id`, within `company` and of `kind` when given; the
    /// range removed, or `None` if there was none in scope.
    pub async fn remove_company_numbers(
        &mut self,
        id: i64,
        company: Option<CompanyId>,
        kind: Option<NumberKind>,
    ) -> Result<Option<CompanyNumbers>> {
        let mut filter = Filter::default();
        let mark = filter.bind(id);
        filter.and(format!("n.id = {mark}"));
        if let Some(company) = company {
            let mark = filter.bind(company.0);
            filter.and(format!("n.company_id = {mark}"));
        }
        if let Some(kind) = kind {
            let mark = filter.bind(kind.code().to_string());
            filter.and(format!("n.kind = {mark}"));
        }
        let sql = format!("{SELECT}{}", filter.where_clause());
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(self.conn())
            .await?;
        let Some(found) = rows_to_ranges(rows)?.into_iter().next() else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM company_numbers WHERE id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(Some(found))
    }
}
