//! What SCIM provisioning reads and writes (migration 0038): a company's
//! Team and Staff users and its teams, as its identity provider sees
//! them. Company and Global users are never in reach; users and teams the
//! provider deleted are kept (disabled, with their history) but gone from
//! its lists.

use crate::filter::Filter;
use crate::users::{select_with, user_from_row};
use crate::{Result, Store, StoreError, User, Write, DUPLICATE_USERNAME};
use callrec_domain::scim::{Clause, FilterValue};
use callrec_domain::{CompanyId, DisplayName, Email, TeamId, TeamName, UserId, Username};
use sqlx::Row;

/// A user as SCIM shows it.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub user: User,
    pub external_id: Option<String>,
    pub updated_at: i64,
}

/// A team as SCIM shows it (a Group), with its members: (id, name).
#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub id: TeamId,
    pub name: String,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub members: Vec<(UserId, String)>,
}

/// What a provider sets of a user.
#[derive(Debug, Clone)]
pub struct ScimUserFields {
    pub username: Username,
    pub display_name: DisplayName,
    pub email: Option<Email>,
    pub enabled: bool,
    pub external_id: Option<String>,
}

/// The users SCIM may see: the company's Team and Staff users it has not
/// deleted.
const USERS_IN_REACH: &str = "u.level IN ('team', 'staff') AND u.scim_deleted = 0";
/// The same, in an UPDATE of `users`.
const IN_REACH: &str = "level IN ('team', 'staff') AND scim_deleted = 0";

fn text(value: &FilterValue) -> Option<&str> {
    match value {
        FilterValue::Text(text) => Some(text),
        FilterValue::Bool(_) => None,
    }
}

/// `clauses` as SQL on `filter`; `columns` maps an attribute to its
/// column and whether it compares in lower case. A clause that cannot
/// match (an id that is no number) makes the whole filter match nothing.
fn apply(filter: &mut Filter, clauses: &[Clause], columns: &[(&str, &str, bool)]) {
    for clause in clauses {
        let Some((_, column, folded)) = columns.iter().find(|(a, _, _)| *a == clause.attribute)
        else {
            filter.and("1 = 0".to_string());
            continue;
        };
        match (&clause.value, *column) {
            (FilterValue::Bool(on), column) => {
                let mark = filter.bind(i64::from(*on));
                filter.and(format!("{column} = {mark}"));
            }
            (value, column) if column.ends_with(".id") => {
                match text(value).and_then(|t| t.parse::<i64>().ok()) {
                    Some(id) => {
                        let mark = filter.bind(id);
                        filter.and(format!("{column} = {mark}"));
                    }
                    None => filter.and("1 = 0".to_string()),
                }
            }
            (value, column) => {
                let value = text(value).unwrap_or_default();
                if *folded {
                    let mark = filter.bind(value.to_lowercase());
                    filter.and(format!("{column} = {mark}"));
                } else {
                    let mark = filter.bind(value.to_string());
                    filter.and(format!("{column} = {mark}"));
                }
            }
        }
    }
}

/// The user attributes a filter may name.
pub const USER_FILTERS: &[&str] = &[
    "username",
    "emails.value",
    "emails",
    "externalid",
    "id",
    "active",
    "displayname",
];

/// The group attributes a filter may name.
pub const GROUP_FILTERS: &[&str] = &["displayname", "externalid", "id"];

const USER_COLUMNS: &[(&str, &str, bool)] = &[
    ("username", "u.username_key", true),
    ("emails.value", "LOWER(u.email)", true),
    ("emails", "LOWER(u.email)", true),
    ("externalid", "u.scim_external_id", false),
    ("id", "u.id", false),
    ("active", "u.enabled", false),
    ("displayname", "u.display_name", false),
];

const GROUP_COLUMNS: &[(&str, &str, bool)] = &[
    ("displayname", "t.name_key", true),
    ("externalid", "t.scim_external_id", false),
    ("id", "t.id", false),
];

impl Store {
    /// A page of `company`'s users matching `clauses`, and how many match.
    pub async fn scim_users(
        &self,
        company: CompanyId,
        clauses: &[Clause],
        offset: u64,
        limit: u64,
    ) -> Result<(i64, Vec<ScimUser>)> {
        let mut filter = Filter::default();
        let mark = filter.bind(company.0);
        filter.and(format!("u.company_id = {mark} AND {USERS_IN_REACH}"));
        apply(&mut filter, clauses, USER_COLUMNS);
        let base = select_with(
            self,
            "u.scim_external_id AS scim_external_id, u.updated_at AS scim_updated_at, ",
            "",
        );
        let total: i64 = sqlx::query_with(
            &format!("SELECT COUNT(*) AS n FROM users u{}", filter.where_clause()),
            filter.args(),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let sql = format!(
            "{base}{} ORDER BY u.id LIMIT {limit} OFFSET {offset}",
            filter.where_clause()
        );
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?;
        let users = rows
            .iter()
            .map(|row| {
                Ok(ScimUser {
                    user: user_from_row(row)?,
                    external_id: row.try_get("scim_external_id")?,
                    updated_at: row.try_get("scim_updated_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((total, users))
    }

    /// User `id` of `company`, if SCIM may see it.
    pub async fn scim_user(&self, company: CompanyId, id: UserId) -> Result<Option<ScimUser>> {
        let clause = Clause {
            attribute: "id".into(),
            value: FilterValue::Text(id.0.to_string()),
        };
        Ok(self
            .scim_users(company, &[clause], 0, 1)
            .await?
            .1
            .into_iter()
            .next())
    }

    /// A page of `company`'s teams matching `clauses`, and how many match.
    pub async fn scim_groups(
        &self,
        company: CompanyId,
        clauses: &[Clause],
        offset: u64,
        limit: u64,
    ) -> Result<(i64, Vec<ScimGroup>)> {
        let mut filter = Filter::default();
        let mark = filter.bind(company.0);
        filter.and(format!("t.company_id = {mark} AND t.scim_deleted = 0"));
        apply(&mut filter, clauses, GROUP_COLUMNS);
        let total: i64 = sqlx::query_with(
            &format!("SELECT COUNT(*) AS n FROM teams t{}", filter.where_clause()),
            filter.args(),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let sql = format!(
            "SELECT t.id, t.name, t.scim_external_id, t.created_at FROM teams t{} \
             ORDER BY t.id LIMIT {limit} OFFSET {offset}",
            filter.where_clause()
        );
        let rows = sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in rows {
            let id = TeamId(row.try_get("id")?);
            let members = sqlx::query(&format!(
                "SELECT u.id, u.display_name FROM users u WHERE u.team_id = $1 \
                 AND u.company_id = $2 AND {USERS_IN_REACH} ORDER BY u.id"
            ))
            .bind(id.0)
            .bind(company.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|m| Ok((UserId(m.try_get("id")?), m.try_get("display_name")?)))
            .collect::<Result<Vec<_>>>()?;
            groups.push(ScimGroup {
                id,
                name: row.try_get("name")?,
                external_id: row.try_get("scim_external_id")?,
                created_at: row.try_get("created_at")?,
                members,
            });
        }
        Ok((total, groups))
    }

    /// Team `id` of `company`, if SCIM may see it.
    pub async fn scim_group(&self, company: CompanyId, id: TeamId) -> Result<Option<ScimGroup>> {
        let clause = Clause {
            attribute: "id".into(),
            value: FilterValue::Text(id.0.to_string()),
        };
        Ok(self
            .scim_groups(company, &[clause], 0, 1)
            .await?
            .1
            .into_iter()
            .next())
    }
}

impl Write<'_> {
    /// Sets what the provider owns of user `id` (of `company`, in reach):
    /// username, name, email, active, externalId. Level, team and roles
    /// stay the portal's.
    pub async fn set_scim_user(
        &mut self,
        company: CompanyId,
        id: UserId,
        fields: &ScimUserFields,
    ) -> Result<()> {
        let now = self.now;
        let done = sqlx::query(&format!(
            "UPDATE users SET username = $1, username_key = $2, display_name = $3, email = $4, \
             enabled = $5, scim_external_id = $6, updated_at = $7 \
             WHERE id = $8 AND company_id = $9 AND {}",
            IN_REACH
        ))
        .bind(fields.username.as_str())
        .bind(fields.username.key())
        .bind(fields.display_name.as_str())
        .bind(fields.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(i64::from(fields.enabled))
        .bind(fields.external_id.as_deref())
        .bind(now)
        .bind(id.0)
        .bind(company.0)
        .execute(self.conn())
        .await
        .map_err(StoreError::conflict_as(DUPLICATE_USERNAME))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !fields.enabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// The provider deleted user `id`: disabled, its sessions ended, gone
    /// from SCIM; its history stays. Whether there was such a user.
    pub async fn scim_delete_user(&mut self, company: CompanyId, id: UserId) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(&format!(
            "UPDATE users SET enabled = 0, scim_deleted = 1, updated_at = $1 \
             WHERE id = $2 AND company_id = $3 AND {}",
            IN_REACH
        ))
        .bind(now)
        .bind(id.0)
        .bind(company.0)
        .execute(self.conn())
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets team `id`'s name and externalId.
    pub async fn set_scim_group(
        &mut self,
        company: CompanyId,
        id: TeamId,
        name: &TeamName,
        external_id: Option<&str>,
    ) -> Result<()> {
        self.rename_team(company, id, name).await?;
        sqlx::query("UPDATE teams SET scim_external_id = $1 WHERE id = $2 AND company_id = $3")
            .bind(external_id)
            .bind(id.0)
            .bind(company.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Moves user `user` into team `team` (both of `company`, the user in
    /// reach); whether there was such a user.
    pub async fn move_to_team(
        &mut self,
        company: CompanyId,
        user: UserId,
        team: TeamId,
    ) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(&format!(
            "UPDATE users SET team_id = $1, updated_at = $2 WHERE id = $3 AND company_id = $4 AND {}",
            IN_REACH
        ))
        .bind(team.0)
        .bind(now)
        .bind(user.0)
        .bind(company.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The provider deleted team `id`: disabled and gone from SCIM (only
    /// when nobody is in it). Whether it was.
    pub async fn scim_delete_group(&mut self, company: CompanyId, id: TeamId) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE teams SET enabled = 0, scim_deleted = 1 WHERE id = $1 AND company_id = $2 \
             AND scim_deleted = 0 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.team_id = teams.id \
             AND u.scim_deleted = 0)",
        )
        .bind(id.0)
        .bind(company.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
