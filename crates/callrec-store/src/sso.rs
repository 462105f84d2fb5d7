//! Single sign-on (migration 0037): each company's OpenID provider, the
//! email domains that lead to it, the sign-ins under way there, and the
//! provider's subject each user signed in as.

use crate::filter::Filter;
use crate::users::{select_with, user_from_row};
use crate::{flag, Result, Store, StoreError, User, Write};
use callrec_domain::sso::{EmailDomain, SsoMfa};
use callrec_domain::{CompanyId, Role, TeamId, UserId};
use sqlx::Row;

/// A company's provider as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    pub company_id: CompanyId,
    pub company_name: String,
    pub company_enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed with the master keyring.
    pub client_secret: String,
    pub mfa: SsoMfa,
    /// Unknown people of its domains are created as Staff (Agent preset).
    pub create_users: bool,
    /// Passwords refused but to local administrators.
    pub required: bool,
    /// The provider's emails taken without `email_verified`.
    pub trust_email: bool,
    /// The team people created at their first sign-in join.
    pub team_id: Option<TeamId>,
    pub domains: Vec<String>,
    pub updated_at: i64,
}

/// What is written for a company's provider.
#[derive(Debug, Clone, Copy)]
pub struct NewSsoConfig<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub mfa: SsoMfa,
    pub create_users: bool,
    pub required: bool,
    pub trust_email: bool,
    pub team_id: Option<TeamId>,
    pub domains: &'a [EmailDomain],
}

/// A sign-in under way at the provider, taken back once at the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLogin {
    pub browser_hash: String,
    pub company_id: CompanyId,
    pub nonce: String,
    pub verifier: String,
    /// A signed-in user linking their account, not a sign-in.
    pub link_user: Option<UserId>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT s.company_id, c.name AS company_name, c.enabled AS company_enabled, \
     s.issuer, s.client_id, s.client_secret, s.mfa, s.create_users, s.required, s.trust_email, s.team_id, s.updated_at \
     FROM company_sso s JOIN companies c ON c.id = s.company_id";

impl Store {
    /// Company `company`'s provider, if it has one.
    pub async fn company_sso(&self, company: CompanyId) -> Result<Option<SsoConfig>> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.company_id = $1"))
            .bind(company.0)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.config_from(&row).await?)),
            None => Ok(None),
        }
    }

    /// The provider whose company claims email domain `domain`.
    pub async fn sso_for_domain(&self, domain: &EmailDomain) -> Result<Option<SsoConfig>> {
        let row = sqlx::query(&format!(
            "{SELECT} JOIN company_sso_domains d ON d.company_id = s.company_id \
             WHERE d.domain = $1"
        ))
        .bind(domain.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.config_from(&row).await?)),
            None => Ok(None),
        }
    }

    /// Whether any enabled company signs in through a provider: the
    /// sign-in page offers single sign-on only then.
    pub async fn sso_offered(&self) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM company_sso s JOIN companies c ON c.id = s.company_id \
             WHERE c.enabled = 1 LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// Whether company `company` refuses passwords (but to local
    /// administrators).
    pub async fn sso_required(&self, company: CompanyId) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM company_sso WHERE company_id = $1 AND required = 1")
                .bind(company.0)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// The users of `company` the provider's person may be: the one bound
    /// to `subject`, and those whose email is `email` (any case).
    pub async fn sso_candidates(
        &self,
        company: CompanyId,
        subject: &str,
        email: Option<&str>,
    ) -> Result<Vec<(User, Option<String>)>> {
        let mut filter = Filter::default();
        let company_mark = filter.bind(company.0);
        let subject_mark = filter.bind(subject.to_string());
        let email_mark = filter.bind(email.map(str::to_lowercase).unwrap_or_default());
        let sql = format!(
            "{} WHERE u.company_id = {company_mark} \
             AND (u.sso_subject = {subject_mark} OR LOWER(u.email) = {email_mark}) ORDER BY u.id",
            select_with(self, "u.sso_subject AS bound_subject, ", "")
        );
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((user_from_row(row)?, row.try_get("bound_subject")?)))
            .collect()
    }

    /// The users of `company` among `ids` (those elsewhere are left out).
    pub async fn users_in_company(&self, company: CompanyId, ids: &[UserId]) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut filter = Filter::default();
        let company_mark = filter.bind(company.0);
        let marks: Vec<String> = ids.iter().map(|id| filter.bind(id.0)).collect();
        let sql = format!(
            "{} WHERE u.company_id = {company_mark} AND u.id IN ({}) ORDER BY u.username_key",
            select_with(self, "", ""),
            marks.join(", ")
        );
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The enabled users of `company` with Access to Manage Users: who may
    /// be its local administrators.
    pub async fn user_managers(&self, company: CompanyId) -> Result<Vec<User>> {
        let sql = format!(
            "{} WHERE u.company_id = $1 AND u.enabled = 1 AND EXISTS \
             (SELECT 1 FROM user_roles m WHERE m.user_id = u.id AND m.role = $2) \
             ORDER BY u.username_key",
            select_with(self, "", "")
        );
        let rows = sqlx::query(&sql)
            .bind(company.0)
            .bind(Role::ManageUsers.code())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn config_from(&self, row: &sqlx::any::AnyRow) -> Result<SsoConfig> {
        let company_id = CompanyId(row.try_get("company_id")?);
        let mfa: String = row.try_get("mfa")?;
        let domains = sqlx::query(
            "SELECT domain FROM company_sso_domains WHERE company_id = $1 ORDER BY domain",
        )
        .bind(company_id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get("domain"))
        .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(SsoConfig {
            company_id,
            company_name: row.try_get("company_name")?,
            company_enabled: flag(row, "company_enabled")?,
            issuer: row.try_get("issuer")?,
            client_id: row.try_get("client_id")?,
            client_secret: row.try_get("client_secret")?,
            mfa: SsoMfa::from_code(&mfa).ok_or(StoreError::Corrupt(mfa))?,
            create_users: flag(row, "create_users")?,
            required: flag(row, "required")?,
            trust_email: flag(row, "trust_email")?,
            team_id: row.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
            domains,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// Why a company's provider was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefused {
    /// Another company signs in with this email domain.
    DomainTaken(String),
}

impl Write<'_> {
    /// Sets company `company`'s provider and domains. A domain another
    /// company holds is refused; the caller then drops this write.
    pub async fn set_company_sso(
        &mut self,
        company: CompanyId,
        config: NewSsoConfig<'_>,
    ) -> Result<std::result::Result<(), SsoRefused>> {
        let now = self.now;
        // Subjects are the issuer's: another issuer's `sub` may name
        // anyone, so the links end with the issuer they were made at.
        let before: Option<String> =
            sqlx::query("SELECT issuer FROM company_sso WHERE company_id = $1")
                .bind(company.0)
                .fetch_optional(self.conn())
                .await?
                .map(|row| row.try_get("issuer"))
                .transpose()?;
        if before.as_deref() != Some(config.issuer) {
            self.unlink_company(company).await?;
        }
        sqlx::query(
            "INSERT INTO company_sso (company_id, issuer, client_id, client_secret, mfa, \
             create_users, required, trust_email, team_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (company_id) DO UPDATE SET issuer = excluded.issuer, \
             client_id = excluded.client_id, client_secret = excluded.client_secret, \
             mfa = excluded.mfa, create_users = excluded.create_users, \
             required = excluded.required, trust_email = excluded.trust_email, \
             team_id = excluded.team_id, \
             updated_at = excluded.updated_at",
        )
        .bind(company.0)
        .bind(config.issuer)
        .bind(config.client_id)
        .bind(config.client_secret)
        .bind(config.mfa.code())
        .bind(i64::from(config.create_users))
        .bind(i64::from(config.required))
        .bind(i64::from(config.trust_email))
        .bind(config.team_id.map(|team| team.0))
        .bind(now)
        .execute(self.conn())
        .await?;
        sqlx::query("DELETE FROM company_sso_domains WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        for domain in config.domains {
            // The primary key settles two companies claiming one domain at
            // once: the second insert finds the first's row.
            let taken = sqlx::query(
                "INSERT INTO company_sso_domains (domain, company_id) VALUES ($1, $2) \
                 ON CONFLICT (domain) DO NOTHING",
            )
            .bind(domain.as_str())
            .bind(company.0)
            .execute(self.conn())
            .await?
            .rows_affected()
                == 0;
            if taken {
                return Ok(Err(SsoRefused::DomainTaken(domain.to_string())));
            }
        }
        Ok(Ok(()))
    }

    /// Ends every link of `company`'s users to a provider's subject.
    async fn unlink_company(&mut self, company: CompanyId) -> Result<()> {
        sqlx::query("UPDATE users SET sso_subject = NULL WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Links user `user` to the provider's `subject` (My account → Link
    /// single sign-on); false if another user of the company has it.
    pub async fn link_sso_subject(&mut self, user: UserId, subject: &str) -> Result<bool> {
        let taken = sqlx::query(
            "SELECT 1 FROM users WHERE sso_subject = $1 AND id <> $2 \
             AND company_id = (SELECT company_id FROM users WHERE id = $2)",
        )
        .bind(subject)
        .bind(user.0)
        .fetch_optional(self.conn())
        .await?
        .is_some();
        if taken {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET sso_subject = $1 WHERE id = $2")
            .bind(subject)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(true)
    }

    /// Turns company `company`'s single sign-on off; whether it was on.
    pub async fn clear_company_sso(&mut self, company: CompanyId) -> Result<bool> {
        self.unlink_company(company).await?;
        sqlx::query("DELETE FROM company_sso_domains WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM sso_logins WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        let done = sqlx::query("DELETE FROM company_sso WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends the password sessions of `company`'s users whom single sign-on
    /// required refuses (all but local administrators and Global users);
    /// how many ended.
    pub async fn end_password_sessions(&mut self, company: CompanyId) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE method = 'password' AND user_id IN \
             (SELECT id FROM users WHERE company_id = $1 AND local_sign_in = 0 \
              AND level <> 'global')",
        )
        .bind(company.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    /// Makes exactly `users` company `company`'s local administrators.
    pub async fn set_local_sign_in(&mut self, company: CompanyId, users: &[UserId]) -> Result<()> {
        sqlx::query("UPDATE users SET local_sign_in = 0 WHERE company_id = $1")
            .bind(company.0)
            .execute(self.conn())
            .await?;
        for user in users {
            sqlx::query("UPDATE users SET local_sign_in = 1 WHERE id = $1 AND company_id = $2")
                .bind(user.0)
                .bind(company.0)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Keeps a sign-in under way (and forgets those older than `expired`).
    pub async fn insert_sso_login(
        &mut self,
        state_hash: &str,
        login: &SsoLogin,
        expired: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sso_logins WHERE created_at < $1")
            .bind(expired)
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO sso_logins (state_hash, browser_hash, company_id, nonce, verifier, \
             link_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state_hash)
        .bind(&login.browser_hash)
        .bind(login.company_id.0)
        .bind(&login.nonce)
        .bind(&login.verifier)
        .bind(login.link_user.map(|user| user.0))
        .bind(login.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Takes the sign-in of `state_hash` back, once: two callbacks racing
    /// with one state find one row between them (the delete decides).
    pub async fn take_sso_login(&mut self, state_hash: &str) -> Result<Option<SsoLogin>> {
        let row = sqlx::query(
            "DELETE FROM sso_logins WHERE state_hash = $1 \
             RETURNING browser_hash, company_id, nonce, verifier, link_user_id, created_at",
        )
        .bind(state_hash)
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(SsoLogin {
            browser_hash: row.try_get("browser_hash")?,
            company_id: CompanyId(row.try_get("company_id")?),
            nonce: row.try_get("nonce")?,
            verifier: row.try_get("verifier")?,
            link_user: row.try_get::<Option<i64>, _>("link_user_id")?.map(UserId),
            created_at: row.try_get("created_at")?,
        }))
    }

    /// Every company's sealed client secret, for a new master key.
    pub async fn sealed_sso_secrets(&mut self) -> Result<Vec<(CompanyId, String)>> {
        let rows =
            sqlx::query("SELECT company_id, client_secret FROM company_sso ORDER BY company_id")
                .fetch_all(self.conn())
                .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CompanyId(row.try_get("company_id")?),
                    row.try_get("client_secret")?,
                ))
            })
            .collect()
    }

    /// Replaces company `company`'s sealed secret if it is still `old`.
    pub async fn reseal_sso_secret(
        &mut self,
        company: CompanyId,
        old: &str,
        fresh: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE company_sso SET client_secret = $1 WHERE company_id = $2 AND client_secret = $3",
        )
        .bind(fresh)
        .bind(company.0)
        .bind(old)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Binds user `user` to the provider's `subject` unless bound already;
    /// whether it is bound to it now.
    pub async fn bind_sso_subject(&mut self, user: UserId, subject: &str) -> Result<bool> {
        sqlx::query("UPDATE users SET sso_subject = $1 WHERE id = $2 AND sso_subject IS NULL")
            .bind(subject)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        let bound: Option<String> = sqlx::query("SELECT sso_subject FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_one(self.conn())
            .await?
            .try_get("sso_subject")?;
        Ok(bound.as_deref() == Some(subject))
    }
}
