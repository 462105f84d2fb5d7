//! A consistent copy of a SQLite database while it serves (`callrec
//! backup`): `VACUUM INTO` reads the whole database in one read
//! transaction — one point in time, writers carry on beside it in WAL mode
//! — and writes a compact new file.

use crate::{Backend, Result, Store};

impl Store {
    /// Writes the SQLite database as it is now to `to` (which must not
    /// exist); `false` on PostgreSQL, whose copies `pg_dump` makes.
    pub async fn snapshot_into(&self, to: &str) -> Result<bool> {
        if self.backend != Backend::Sqlite {
            return Ok(false);
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }
}
