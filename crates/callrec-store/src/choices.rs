//! What the Recordings page's User, Team and Company filters offer: only
//! what the viewer's scope holds, fetched in one statement.

use crate::{Result, Store, StoreError};
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, TeamId, UserId};
use sqlx::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterChoices {
    /// Users by username.
    pub users: Vec<(UserId, String)>,
    /// Teams with their company's name, by company then team.
    pub teams: Vec<(TeamId, String, String)>,
    /// Companies, for viewers who see every company; otherwise empty.
    pub companies: Vec<(CompanyId, String)>,
}

/// More users than this are not offered as choices (the page stays small).
const MAX_USERS: i64 = 1000;

impl Store {
    pub async fn filter_choices(&self, scope: DataScope) -> Result<FilterChoices> {
        let (users_in_scope, teams_in_scope, companies_shown, id) = match scope {
            DataScope::Everything => ("1 = 1", "1 = 1", "1 = 1", 0),
            DataScope::Company(company) => {
                ("u.company_id = $1", "t.company_id = $1", "1 = 0", company.0)
            }
            DataScope::Team(_, team) => ("u.team_id = $1", "t.id = $1", "1 = 0", team.0),
            DataScope::OwnOnly(user) => (
                "u.id = $1",
                "t.id = (SELECT team_id FROM users WHERE id = $1)",
                "1 = 0",
                user.0,
            ),
        };
        let agg = |columns: &str| self.backend.json_array_agg(columns);
        let sql = format!(
            "SELECT \
             (SELECT {} FROM (SELECT u.id, u.username FROM users u WHERE {users_in_scope} \
               ORDER BY u.username_key LIMIT {MAX_USERS}) x) AS users, \
             (SELECT {} FROM (SELECT t.id, c.name AS company, t.name FROM teams t \
               JOIN companies c ON c.id = t.company_id WHERE {teams_in_scope} \
               ORDER BY c.name_key, t.name_key) x) AS teams, \
             (SELECT {} FROM (SELECT c.id, c.name FROM companies c WHERE {companies_shown} \
               ORDER BY c.name_key) x) AS companies",
            agg("x.id, x.username"),
            agg("x.id, x.company, x.name"),
            agg("x.id, x.name"),
        );
        // Every scope but Everything names $1; binding it there too would
        // leave a parameter no statement uses, which PostgreSQL refuses.
        let mut query = sqlx::query(&sql);
        if scope != DataScope::Everything {
            query = query.bind(id);
        }
        let row = query.fetch_one(&self.pool).await?;
        let rows = |column: &str| -> Result<Vec<Vec<serde_json::Value>>> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("{column} choices: {e}")))
        };
        let corrupt = || StoreError::Corrupt("filter choices".into());
        let int = |v: &serde_json::Value| v.as_i64().ok_or_else(corrupt);
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string).ok_or_else(corrupt);
        Ok(FilterChoices {
            users: rows("users")?
                .iter()
                .map(|v| Ok((UserId(int(&v[0])?), text(&v[1])?)))
                .collect::<Result<_>>()?,
            teams: rows("teams")?
                .iter()
                .map(|v| Ok((TeamId(int(&v[0])?), text(&v[1])?, text(&v[2])?)))
                .collect::<Result<_>>()?,
            companies: rows("companies")?
                .iter()
                .map(|v| Ok((CompanyId(int(&v[0])?), text(&v[1])?)))
                .collect::<Result<_>>()?,
        })
    }
}
