use crate::filter::Filter;
use crate::{flag, Result, SessionRecord, SessionTimeouts, Store, StoreError, Write};
use callrec_domain::country::Country;
use callrec_domain::mfa::{counts_as_opted_in, in_grace, policy_now, sign_in_step};
use callrec_domain::permissions::DataScope;
use callrec_domain::sso::SignInMethod;
use callrec_domain::zone::Zone;
use callrec_domain::{
    Actor, CompanyId, DisplayName, Email, Level, MfaPolicy, PasswordLife, PhoneNumber, Role,
    RoleSet, SearchTerm, SessionFacts, SignInStep, Subject, TeamId, UserId, Username,
};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub company_id: CompanyId,
    pub company_name: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Their extension on the company's phone system.
    pub extension: Option<PhoneNumber>,
    pub level: Level,
    pub enabled: bool,
    pub mfa_opt_in: bool,
    /// The MFA policy of the user's company.
    pub company_mfa_policy: MfaPolicy,
    /// Whether the user has a second factor: a confirmed authenticator
    /// registration or a security key.
    pub mfa_registered: bool,
    /// Whether they have a confirmed authenticator (TOTP) registration.
    pub totp_registered: bool,
    /// How many security keys they have.
    pub security_keys: i64,
    pub roles: RoleSet,
    pub created_at: i64,
    /// Temporary (set by someone else) or the user's own.
    pub password_life: PasswordLife,
    /// The user's own time zone (My account), if they chose one.
    pub time_zone: Option<String>,
    /// Their company's (Company settings), if it chose one.
    pub company_time_zone: Option<String>,
    /// Their company's country for phone numbers, if it chose one.
    pub company_phone_country: Option<String>,
    /// A disabled company's users cannot sign in.
    pub company_enabled: bool,
    /// Their company requires MFA of users who can manage users or MFA.
    pub company_mfa_for_admins: bool,
    /// Their company's grace period to register ends then.
    pub company_mfa_deadline: Option<i64>,
    /// When they last signed in (Unix seconds), if ever.
    pub last_sign_in_at: Option<i64>,
    /// Step offsets of their last accepted codes, oldest first.
    pub recent_code_offsets: Vec<i64>,
    /// Their unused recovery codes.
    pub recovery_codes_left: i64,
    /// A local administrator: may use a password where their company
    /// requires single sign-on.
    pub local_sign_in: bool,
    /// Bound to their company's provider's subject.
    pub sso_linked: bool,
}

/// A password as stored: its hash, and whether it is temporary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPassword {
    pub hash: String,
    pub life: PasswordLife,
}

impl StoredPassword {
    /// The user's own password (or one automation chose).
    pub fn permanent(hash: impl Into<String>) -> StoredPassword {
        StoredPassword {
            hash: hash.into(),
            life: PasswordLife::Permanent,
        }
    }
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            company_id: self.company_id,
            team_id: self.team_id,
            level: self.level,
            roles: self.roles.clone(),
        }
    }

    /// What this user must still do at `now` in a session that has (or has
    /// not) passed MFA. In the grace period a user who has not chosen to
    /// register yet carries on.
    pub fn sign_in_step(&self, session: SessionFacts, now: i64) -> SignInStep {
        let policy = if session.mfa_demanded {
            MfaPolicy::Enabled
        } else {
            policy_now(self.company_mfa_policy, self.in_grace(now), self.mfa_opt_in)
        };
        sign_in_step(
            policy,
            self.counts_as_opted_in(),
            self.mfa_registered,
            session.mfa_passed,
            self.password_life.is_temporary() && session.method == SignInMethod::Password,
        )
    }

    /// The country they type national numbers in: their company's, else
    /// the portal's `default`.
    pub fn country(&self, default: Country) -> Country {
        crate::companies::country_or(self.company_phone_country.as_deref(), default)
    }

    /// The zone they see times in, when they or their company chose one.
    pub fn zone(&self) -> Option<Zone> {
        Zone::first_of([self.time_zone.as_deref(), self.company_time_zone.as_deref()])
    }

    /// In their company's grace period to register (`mfa::in_grace`).
    pub fn in_grace(&self, now: i64) -> bool {
        in_grace(
            self.company_mfa_policy,
            self.company_mfa_deadline,
            self.mfa_registered,
            now,
        )
    }

    /// MFA is on for them because they manage users or MFA, not because
    /// they chose it: My MFA's box is locked on.
    pub fn mfa_forced_on(&self) -> bool {
        self.counts_as_opted_in() && !self.mfa_opt_in
    }

    /// Opted in, or required to be (`mfa::counts_as_opted_in`).
    pub fn counts_as_opted_in(&self) -> bool {
        counts_as_opted_in(self.mfa_opt_in, self.company_mfa_for_admins, &self.roles)
    }

    pub fn subject(&self) -> Subject {
        Subject {
            user_id: Some(self.id),
            company_id: self.company_id,
            team_id: self.team_id,
            level: self.level,
            roles: self.roles.clone(),
        }
    }
}

pub struct NewUser<'a> {
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub email: Option<&'a Email>,
    pub extension: Option<&'a PhoneNumber>,
    pub level: Level,
    pub password: StoredPassword,
    pub roles: RoleSet,
}

/// Everything the Modify pop-up saves.
pub struct UserUpdate {
    pub details: UserDetailsChange,
    pub roles: RoleSet,
    /// A new password, when one was set.
    pub password: Option<StoredPassword>,
}

/// The Details tab of a user.
pub struct UserDetailsChange {
    pub display_name: DisplayName,
    pub email: Option<Email>,
    pub extension: Option<PhoneNumber>,
    pub level: Level,
    pub team_id: Option<TeamId>,
    pub enabled: bool,
}

/// A page of the Users list.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub scope: DataScope,
    pub company: Option<CompanyId>,
    pub search: Option<SearchTerm>,
    /// Zero-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn has_previous(&self) -> bool {
        self.page > 0
    }

    pub fn has_next(&self) -> bool {
        (i64::from(self.page) + 1) * i64::from(self.per_page) < self.total
    }

    /// One-based range of the rows shown, for "21–40 of 57".
    pub fn first_row(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            i64::from(self.page) * i64::from(self.per_page) + 1
        }
    }

    pub fn last_row(&self) -> i64 {
        i64::from(self.page) * i64::from(self.per_page) + self.items.len() as i64
    }
}

fn select(store: &Store) -> String {
    select_with(store, "", "")
}

/// The user columns plus `extra_columns`, from users and `extra_joins`.
pub(crate) fn select_with(store: &Store, extra_columns: &str, extra_joins: &str) -> String {
    format!(
        "SELECT {extra_columns}u.id, u.company_id, c.name AS company_name, u.team_id, t.name AS team_name, \
         u.username, u.display_name, u.email, u.extension, u.level, u.enabled, u.mfa_opt_in, u.created_at, u.local_sign_in, \
         CASE WHEN u.sso_subject IS NULL THEN 0 ELSE 1 END AS sso_linked, \
         u.password_hash, u.password_expires_at, u.last_sign_in_at, u.time_zone, c.time_zone AS company_time_zone, \
         c.phone_country AS company_phone_country, \
         c.mfa_policy AS company_mfa_policy, c.enabled AS company_enabled, \
         c.mfa_for_admins AS company_mfa_for_admins, c.mfa_deadline AS company_mfa_deadline, \
         COALESCE(m.confirmed, 0) AS totp_registered, m.recent_offsets, \
         (SELECT COUNT(*) FROM mfa_security_keys k WHERE k.user_id = u.id) AS security_keys, \
         (SELECT {} FROM user_roles r WHERE r.user_id = u.id) AS roles, \
         (SELECT COUNT(*) FROM mfa_recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL) \
           AS recovery_codes_left \
         FROM users u JOIN companies c ON c.id = u.company_id \
         LEFT JOIN teams t ON t.id = u.team_id \
         LEFT JOIN mfa_registrations m ON m.user_id = u.id{extra_joins}",
        store.backend.string_agg("r.role")
    )
}

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    let level: String = row.try_get("level")?;
    let policy: String = row.try_get("company_mfa_policy")?;
    let roles: Option<String> = row.try_get("roles")?;
    let totp_registered = flag(row, "totp_registered")?;
    let security_keys: i64 = row.try_get("security_keys")?;
    let roles = roles
        .unwrap_or_default()
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| Role::from_code(code).ok_or_else(|| StoreError::Corrupt(code.to_string())))
        .collect::<Result<RoleSet>>()?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        team_id: row.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        team_name: row.try_get("team_name")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        extension: row
            .try_get::<Option<String>, _>("extension")?
            .map(|text| PhoneNumber::from_stored(&text).ok_or(StoreError::Corrupt(text)))
            .transpose()?,
        level: Level::parse(&level).map_err(|_| StoreError::Corrupt(level))?,
        enabled: flag(row, "enabled")?,
        mfa_opt_in: flag(row, "mfa_opt_in")?,
        company_mfa_policy: MfaPolicy::parse(&policy).map_err(|_| StoreError::Corrupt(policy))?,
        mfa_registered: totp_registered || security_keys > 0,
        totp_registered,
        security_keys,
        roles,
        created_at: row.try_get("created_at")?,
        password_life: PasswordLife::from_expiry(row.try_get("password_expires_at")?),
        time_zone: row.try_get("time_zone")?,
        company_time_zone: row.try_get("company_time_zone")?,
        company_phone_country: row.try_get("company_phone_country")?,
        company_enabled: flag(row, "company_enabled")?,
        company_mfa_for_admins: flag(row, "company_mfa_for_admins")?,
        company_mfa_deadline: row.try_get("company_mfa_deadline")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        recent_code_offsets: crate::mfa::parse_offsets(
            &row.try_get::<Option<String>, _>("recent_offsets")?
                .unwrap_or_default(),
        ),
        recovery_codes_left: row.try_get("recovery_codes_left")?,
        local_sign_in: flag(row, "local_sign_in")?,
        sso_linked: flag(row, "sso_linked")?,
    })
}

pub const DUPLICATE_USERNAME: &str = "a user with that username";
pub const DUPLICATE_EXTENSION: &str = "a user with that extension";

/// A unique violation on users: the extension's index, else the
/// username's.
fn user_conflict(err: sqlx::Error) -> StoreError {
    let extension = matches!(&err, sqlx::Error::Database(db)
        if db.message().contains("extension") || db.constraint().is_some_and(|c| c.contains("extension")));
    StoreError::conflict_as(if extension {
        DUPLICATE_EXTENSION
    } else {
        DUPLICATE_USERNAME
    })(err)
}

impl Store {
    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.user_in_scope(id, DataScope::Everything).await
    }

    /// A user only if inside `scope`: the scope is part of the query, so a
    /// user outside it is indistinguishable from one that does not exist.
    pub async fn user_in_scope(&self, id: UserId, scope: DataScope) -> Result<Option<User>> {
        let mut filter = Filter::default();
        let p = filter.bind(id.0);
        filter.and(format!("u.id = {p}"));
        filter.scope(scope, "u.company_id", "u.team_id", "u.id");
        sqlx::query_with(
            &format!("{}{}", select(self), filter.where_clause()),
            filter.args(),
        )
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// A live session and its user in one query: every request needs both.
    /// Expired sessions are deleted on sight; stale ones are touched.
    pub async fn session_user(
        &self,
        id_hash: &str,
        now: i64,
        timeouts: SessionTimeouts,
    ) -> Result<Option<(SessionRecord, User)>> {
        let sql = format!(
            "{} WHERE s.id_hash = $1",
            select_with(
                self,
                "s.id_hash AS s_id_hash, s.created_at AS s_created_at, \
                 s.last_seen_at AS s_last_seen_at, s.mfa_passed AS s_mfa_passed, \
                 s.confirmed_at AS s_confirmed_at, s.method AS s_method, \
                 s.mfa_demanded AS s_mfa_demanded, ",
                " JOIN sessions s ON s.user_id = u.id"
            )
        );
        let mut filter = Filter::default();
        filter.bind(id_hash.to_string());
        let Some(row) = self.reads.fetch_optional(&sql, &filter).await? else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let record = SessionRecord {
            id_hash: row.try_get("s_id_hash")?,
            user_id: user.id,
            created_at: row.try_get("s_created_at")?,
            last_seen_at: row.try_get("s_last_seen_at")?,
            facts: SessionFacts {
                mfa_passed: flag(&row, "s_mfa_passed")?,
                mfa_demanded: flag(&row, "s_mfa_demanded")?,
                method: SignInMethod::from_code(&row.try_get::<String, _>("s_method")?),
            },
            confirmed_at: row.try_get("s_confirmed_at")?,
        };
        if !self.keep_alive(&record, now, timeouts).await? {
            return Ok(None);
        }
        Ok(Some((record, user)))
    }

    /// The user and their password hash, by username in any case.
    pub async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!("{} WHERE u.username_key = $1", select(self)))
            .bind(callrec_domain::names::lookup_key(username))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        Ok(self.credentials(username).await?.map(|(user, _)| user))
    }

    /// The user of `company` whose extension is `extension`.
    pub async fn user_by_extension(
        &self,
        company: CompanyId,
        extension: &PhoneNumber,
    ) -> Result<Option<User>> {
        let sql = format!(
            "{} WHERE u.company_id = $1 AND u.extension = $2",
            select(self)
        );
        sqlx::query(&sql)
            .bind(company.0)
            .bind(extension.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
    }

    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<User>> {
        let mut filter = Filter::default();
        filter.scope(query.scope, "u.company_id", "u.team_id", "u.id");
        if let Some(company) = query.company {
            let p = filter.bind(company.0);
            filter.and(format!("u.company_id = {p}"));
        }
        if let Some(term) = &query.search {
            let p = filter.bind(term.like_pattern());
            filter.and(format!(
                "(u.username_key LIKE {p} ESCAPE '\\' OR lower(u.display_name) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(u.email, '')) LIKE {p} ESCAPE '\\')"
            ));
        }
        let where_clause = filter.where_clause();
        let total: i64 = sqlx::query_with(
            &format!("SELECT COUNT(*) AS n FROM users u{where_clause}"),
            filter.args(),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let per_page = query.per_page.clamp(1, 500);
        let limit = filter.bind(i64::from(per_page));
        let offset = filter.bind(i64::from(query.page) * i64::from(per_page));
        let sql = format!(
            "{}{where_clause} ORDER BY u.username_key LIMIT {limit} OFFSET {offset}",
            select(self)
        );
        let items = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page: query.page,
            per_page,
        })
    }

    /// Replaces a password hash made with old settings, only if it is still
    /// the stored one (a password changed meanwhile is left alone).
    pub async fn replace_password_hash(&self, id: UserId, old: &str, new: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
                .bind(new)
                .bind(id.0)
                .bind(old)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Enabled users with an email whose username or email is `who` (any
    /// case): whom a forgotten-password request may reach.
    pub async fn users_for_reset(&self, who: &str) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "{} WHERE (u.username_key = $1 OR lower(u.email) = $1) AND u.enabled = 1 \
             AND c.enabled = 1 AND u.email IS NOT NULL ORDER BY u.id",
            select(self)
        ))
        .bind(callrec_domain::names::lookup_key(who))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

mod writes;
