//! MFA state: company policy, per-user opt-in, and registrations. Secrets
//! arrive here already encrypted; this module never sees one in clear.

use crate::{flag, Page, Result, Store, Write};
use callrec_domain::{CompanyId, MfaPolicy, SearchTerm, UserId};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRegistration {
    pub user_id: UserId,
    pub secret_ciphertext: String,
    pub confirmed: bool,
    pub last_step: Option<i64>,
    /// The session (hash) a pending registration belongs to.
    pub pending_session: Option<String>,
}

/// A user in the roll-out view, with their registration if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub last_sign_in_at: Option<i64>,
    /// When their authenticator was registered (Unix seconds).
    pub registered_at: Option<i64>,
    /// When the code they last used was current (Unix seconds).
    pub last_code_at: Option<i64>,
    /// Their unused recovery codes.
    pub recovery_codes_left: i64,
    /// Their security keys.
    pub security_keys: i64,
}

impl MfaRegistration {
    /// Whether `session` may see and confirm this pending registration.
    pub fn pending_for(&self, session: &str) -> bool {
        !self.confirmed && self.pending_session.as_deref() == Some(session)
    }
}

/// Counts shown on the Company MFA page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaSummary {
    /// Enabled users of the company.
    pub users: i64,
    /// Of those, how many have a confirmed registration.
    pub registered: i64,
}

impl MfaSummary {
    /// Users who would be asked to register if MFA were Enabled.
    pub fn to_register(&self) -> i64 {
        self.users - self.registered
    }
}

impl Store {
    /// Company MFA → Remind: claims today's reminder for `user`, true at
    /// most once in 24 hours however often Remind is pressed or on how
    /// many nodes (one conditional write; security review, wave 2, item 8).
    pub async fn claim_mfa_reminder(&self, user: UserId, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET mfa_reminded_at = $1 WHERE id = $2 \
             AND (mfa_reminded_at IS NULL OR mfa_reminded_at <= $3 OR mfa_reminded_at > $1)",
        )
        .bind(now)
        .bind(user.0)
        .bind(now - 86_400)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mfa_summary(&self, company: CompanyId) -> Result<MfaSummary> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS users, \
             COALESCE(SUM(CASE WHEN m.user_id IS NULL AND NOT EXISTS \
               (SELECT 1 FROM mfa_security_keys k WHERE k.user_id = u.id) THEN 0 ELSE 1 END), 0) \
               AS registered FROM users u \
             LEFT JOIN mfa_registrations m ON m.user_id = u.id AND m.confirmed = 1 \
             WHERE u.company_id = $1 AND u.enabled = 1",
        )
        .bind(company.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(MfaSummary {
            users: row.try_get("users")?,
            registered: row.try_get("registered")?,
        })
    }

    /// The company's enabled users without a confirmed registration — who
    /// would be asked to register if MFA Enabled were saved now — by
    /// username, whose name, username or email contains `search`.
    pub async fn unregistered_users(
        &self,
        company: CompanyId,
        search: Option<&SearchTerm>,
        page: u32,
        per_page: u32,
    ) -> Result<Page<RolloutUser>> {
        self.rollout_users(company, search, true, page, per_page)
            .await
    }

    /// The company's enabled users with their registration (the roll-out
    /// view), all or only those without one.
    pub async fn rollout_users(
        &self,
        company: CompanyId,
        search: Option<&SearchTerm>,
        only_unregistered: bool,
        page: u32,
        per_page: u32,
    ) -> Result<Page<RolloutUser>> {
        let pattern = search.map_or_else(|| "%".to_string(), SearchTerm::like_pattern);
        let unregistered = if only_unregistered {
            " AND m.user_id IS NULL AND NOT EXISTS \
              (SELECT 1 FROM mfa_security_keys k WHERE k.user_id = u.id)"
        } else {
            ""
        };
        let from = format!(
            "FROM users u LEFT JOIN mfa_registrations m ON m.user_id = u.id AND m.confirmed = 1 \
             WHERE u.company_id = $1 AND u.enabled = 1{unregistered} \
             AND (u.username_key LIKE $2 ESCAPE '\\' OR lower(u.display_name) LIKE $2 ESCAPE '\\' \
             OR lower(COALESCE(u.email, '')) LIKE $2 ESCAPE '\\')"
        );
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {from}"))
            .bind(company.0)
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT u.id, u.username, u.display_name, u.email, u.last_sign_in_at, \
             COALESCE(m.confirmed_at, (SELECT MIN(k.created_at) FROM mfa_security_keys k \
               WHERE k.user_id = u.id)) AS confirmed_at, m.last_step, \
             (SELECT COUNT(*) FROM mfa_recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL) \
               AS recovery_codes_left, \
             (SELECT COUNT(*) FROM mfa_security_keys k WHERE k.user_id = u.id) AS security_keys \
             {from} ORDER BY u.username_key LIMIT $3 OFFSET $4"
        ))
        .bind(company.0)
        .bind(&pattern)
        .bind(i64::from(per_page))
        .bind(i64::from(page) * i64::from(per_page))
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(RolloutUser {
                    id: UserId(row.try_get("id")?),
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    email: row.try_get("email")?,
                    last_sign_in_at: row.try_get("last_sign_in_at")?,
                    registered_at: row.try_get("confirmed_at")?,
                    last_code_at: row
                        .try_get::<Option<i64>, _>("last_step")?
                        .map(|step| step * 30),
                    recovery_codes_left: row.try_get("recovery_codes_left")?,
                    security_keys: row.try_get("security_keys")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    pub async fn mfa_registration(&self, user: UserId) -> Result<Option<MfaRegistration>> {
        let row = sqlx::query(
            "SELECT user_id, secret_ciphertext, confirmed, last_step, pending_session \
             FROM mfa_registrations WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(MfaRegistration {
                user_id: UserId(row.try_get("user_id")?),
                secret_ciphertext: row.try_get("secret_ciphertext")?,
                confirmed: flag(&row, "confirmed")?,
                last_step: row.try_get("last_step")?,
                pending_session: row.try_get("pending_session")?,
            })
        })
        .transpose()
    }

    /// Notes the step offset of an accepted code; returns the last three,
    /// oldest first.
    pub async fn record_code_offset(&self, user: UserId, offset: i64) -> Result<Vec<i64>> {
        let row = sqlx::query("SELECT recent_offsets FROM mfa_registrations WHERE user_id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let mut offsets = parse_offsets(&row.try_get::<String, _>("recent_offsets")?);
        offsets.push(offset);
        let keep = offsets.len().saturating_sub(3);
        offsets.drain(..keep);
        let text: Vec<String> = offsets.iter().map(i64::to_string).collect();
        sqlx::query("UPDATE mfa_registrations SET recent_offsets = $1 WHERE user_id = $2")
            .bind(text.join(","))
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(offsets)
    }

    /// Every stored secret, for key rotation.
    pub async fn mfa_ciphertexts(&self) -> Result<Vec<(UserId, String)>> {
        sqlx::query("SELECT user_id, secret_ciphertext FROM mfa_registrations ORDER BY user_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    UserId(row.try_get("user_id")?),
                    row.try_get("secret_ciphertext")?,
                ))
            })
            .collect()
    }
}

/// "1,1,-1" as numbers; anything else is skipped.
pub(crate) fn parse_offsets(text: &str) -> Vec<i64> {
    text.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

impl Write<'_> {
    pub async fn set_mfa_policy(&mut self, company: CompanyId, policy: MfaPolicy) -> Result<()> {
        sqlx::query("UPDATE companies SET mfa_policy = $1 WHERE id = $2")
            .bind(policy.code())
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_mfa_opt_in(&mut self, user: UserId, opted_in: bool) -> Result<()> {
        sqlx::query("UPDATE users SET mfa_opt_in = $1 WHERE id = $2")
            .bind(i64::from(opted_in))
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores a new pending secret for the session `session` (its hash),
    /// replacing an earlier pending one, whichever session started it: that
    /// one can then neither see nor confirm a key. Returns false, changing
    /// nothing, when the user already has a confirmed registration.
    pub async fn start_mfa_registration(
        &mut self,
        user: UserId,
        ciphertext: &str,
        session: &str,
    ) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(
            "INSERT INTO mfa_registrations \
               (user_id, secret_ciphertext, confirmed, created_at, pending_session) \
             VALUES ($1, $2, 0, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = excluded.secret_ciphertext, \
               created_at = excluded.created_at, last_step = NULL, \
               pending_session = excluded.pending_session \
             WHERE mfa_registrations.confirmed = 0",
        )
        .bind(user.0)
        .bind(ciphertext)
        .bind(now)
        .bind(session)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Confirms the registration `session` started, with the step of its
    /// first code. False when nothing of that session's is pending (another
    /// session started a new one, or it was confirmed meanwhile).
    pub async fn confirm_mfa_registration(
        &mut self,
        user: UserId,
        session: &str,
        step: i64,
    ) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(
            "UPDATE mfa_registrations SET confirmed = 1, confirmed_at = $3, last_step = $2, \
               pending_session = NULL \
             WHERE user_id = $1 AND confirmed = 0 AND pending_session = $4",
        )
        .bind(user.0)
        .bind(step)
        .bind(now)
        .bind(session)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every second factor of the user — the authenticator
    /// registration, recovery codes and security keys — in one
    /// transaction; true if there was any.
    pub async fn delete_mfa_registration(&mut self, user: UserId) -> Result<bool> {
        let mut removed = 0;
        for table in [
            "mfa_security_keys",
            "mfa_recovery_codes",
            "mfa_registrations",
        ] {
            let done = sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(user.0)
                .execute(self.conn())
                .await?;
            if table != "mfa_recovery_codes" {
                removed += done.rows_affected();
            }
        }
        Ok(removed > 0)
    }

    /// Replaces a ciphertext if it is still `old` (a registration started
    /// meanwhile is left alone).
    pub async fn replace_mfa_ciphertext(
        &mut self,
        user: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_registrations SET secret_ciphertext = $3 \
             WHERE user_id = $1 AND secret_ciphertext = $2",
        )
        .bind(user.0)
        .bind(old)
        .bind(new)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records `step` as used if it is newer than the last one. A single
    /// conditional write: of two requests with the same code, one wins.
    pub async fn accept_mfa_step(&mut self, user: UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_registrations SET last_step = $2 \
             WHERE user_id = $1 AND confirmed = 1 AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user.0)
        .bind(step)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
