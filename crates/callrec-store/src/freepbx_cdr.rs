//! FreePBX's call detail records (`asteriskcdrdb.cdr` in MariaDB or
//! MySQL), read only, for `callrec import --layout asterisk --cdr URL`:
//! the row of a recorded call by its Asterisk uniqueid.

use crate::{Result, StoreError};
use callrec_domain::freepbx::CdrRow;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::Row;

/// A connection to FreePBX's CDR database.
pub struct CdrDatabase {
    pool: MySqlPool,
}

impl CdrDatabase {
    /// Connects to `url` (`mysql://user:password@host/asteriskcdrdb`).
    pub async fn connect(url: &str) -> Result<CdrDatabase> {
        if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
            return Err(StoreError::UnsupportedCdrUrl);
        }
        let url = url.replacen("mariadb://", "mysql://", 1);
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .map_err(StoreError::CdrConnect)?;
        // The table and its columns are there (a wrong database says so
        // now, not at the first call).
        sqlx::query("SELECT uniqueid, src, dst, did, dcontext, billsec FROM cdr LIMIT 0")
            .execute(&pool)
            .await
            .map_err(StoreError::CdrConnect)?;
        Ok(CdrDatabase { pool })
    }

    /// The call's row: of several (a transfer writes more than one), the
    /// one answered longest.
    pub async fn call(&self, uniqueid: &str) -> Result<Option<CdrRow>> {
        let row = sqlx::query(
            "SELECT CAST(src AS CHAR) AS src, CAST(dst AS CHAR) AS dst, \
             CAST(did AS CHAR) AS did, CAST(dcontext AS CHAR) AS dcontext, \
             CAST(billsec AS SIGNED) AS billsec \
             FROM cdr WHERE uniqueid = ? ORDER BY billsec DESC LIMIT 1",
        )
        .bind(uniqueid)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let text = |name: &str| -> Result<String> {
                Ok(row.try_get::<Option<String>, _>(name)?.unwrap_or_default())
            };
            Ok(CdrRow {
                src: text("src")?,
                dst: text("dst")?,
                did: text("did")?,
                dcontext: text("dcontext")?,
                billsec: row.try_get::<Option<i64>, _>("billsec")?.unwrap_or(0),
            })
        })
        .transpose()
    }
}
