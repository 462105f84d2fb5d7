//! Applies the SQL files of `migrations/<backend>/` in order, each in its own
//! transaction, recording what ran in `schema_migrations`.

use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

// The same version has the same name on both engines (what it is for),
// by construction: one list, a folder per engine; the SQL differs where
// the engines do.
macro_rules! migrations {
    ($($version:literal => $file:literal),* $(,)?) => {
        const SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../migrations/sqlite/", $file)),
        }),*];
        const POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../migrations/postgres/", $file)),
        }),*];
    };
}

migrations!(
    1 => "0001_foundation.sql",
    2 => "0002_mfa.sql",
    3 => "0003_recordings.sql",
    4 => "0004_number_search.sql",
    5 => "0005_number_index.sql",
    6 => "0006_directory_version.sql",
    7 => "0007_registration_session.sql",
    8 => "0008_recording_integrity.sql",
    9 => "0009_number_index_slices.sql",
    10 => "0010_directory_per_company.sql",
    11 => "0011_temporary_passwords.sql",
    12 => "0012_mail.sql",
    13 => "0013_time_zones.sql",
    14 => "0014_company_status.sql",
    15 => "0015_last_sign_in.sql",
    16 => "0016_code_offsets.sql",
    17 => "0017_mfa_for_admins.sql",
    18 => "0018_mfa_deadline.sql",
    19 => "0019_recovery_codes.sql",
    20 => "0020_security_keys.sql",
    21 => "0021_audit_chain.sql",
    22 => "0022_audit_chain_start.sql",
    23 => "0023_records.sql",
    24 => "0024_data_keys.sql",
    25 => "0025_purge_by_key.sql",
    26 => "0026_nodes.sql",
    27 => "0027_api_and_dashboard.sql",
    28 => "0028_security_third_pass.sql",
    29 => "0029_listening.sql",
    30 => "0030_decoded_waveforms.sql",
    31 => "0031_user_extensions.sql",
    32 => "0032_capture_sources.sql",
    33 => "0033_recording_marks.sql",
    34 => "0034_company_numbers.sql",
    35 => "0035_capture_credentials.sql",
    36 => "0036_transcripts.sql",
    37 => "0037_single_sign_on.sql",
    38 => "0038_scim.sql",
);

impl Store {
    /// Brings the schema up to date; returns how many migrations ran.
    pub async fn migrate(&self) -> Result<usize> {
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        };
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;

        let mut applied = 0;
        for migration in migrations {
            let mut tx = self.begin_write().await?;
            // Checked inside the write transaction, so two nodes starting at
            // once cannot both apply the same migration.
            if let Some(lock) = self.backend.migration_lock() {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let done = sqlx::query("SELECT 1 FROM schema_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if done {
                continue;
            }
            sqlx::raw_sql(migration.sql)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: migration.version,
                    source,
                })?;
            // Stamped by the database's clock: the store reads none of its own.
            sqlx::query(&format!(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, {})",
                self.backend.unix_now()
            ))
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applied migration"
            );
            applied += 1;
        }

        let newest: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                .fetch_one(&self.pool)
                .await?
                .try_get("v")?;
        let known = migrations.last().map_or(0, |m| m.version);
        if newest > known {
            return Err(StoreError::UnknownMigration(newest));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_have_the_same_migrations_by_version_and_name() {
        let list = |migrations: &[Migration]| -> Vec<(i64, &str)> {
            migrations.iter().map(|m| (m.version, m.name)).collect()
        };
        assert_eq!(list(SQLITE), list(POSTGRES));
        assert!(SQLITE.windows(2).all(|w| w[0].version + 1 == w[1].version));
    }
}
