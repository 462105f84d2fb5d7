//! What the Recordings page's User, Team and Company filters offer: only
//! what the viewer's scope holds, read in the same statement as the page.

use crate::filter::Filter;
use crate::{json, Backend, Result};
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, TeamId, UserId};
use sqlx::any::AnyRow;
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

/// The columns `users`, `teams` and `companies`, each a JSON array of the
/// choices inside `scope`, for a statement's select list.
pub(crate) fn choice_columns(backend: Backend, scope: DataScope, filter: &mut Filter) -> String {
    let (users_in_scope, teams_in_scope, companies_shown) = match scope {
        DataScope::Everything => ("1 = 1".into(), "1 = 1".into(), "1 = 1"),
        DataScope::Company(company) => {
            let p = filter.bind(company.0);
            (
                format!("u.company_id = {p}"),
                format!("t.company_id = {p}"),
                "1 = 0",
            )
        }
        DataScope::Team(_, team) => {
            let p = filter.bind(team.0);
            (format!("u.team_id = {p}"), format!("t.id = {p}"), "1 = 0")
        }
        DataScope::OwnOnly(user) => {
            let p = filter.bind(user.0);
            (
                format!("u.id = {p}"),
                format!("t.id = (SELECT team_id FROM users WHERE id = {p})"),
                "1 = 0",
            )
        }
    };
    let agg = |columns: &[&str]| backend.json_array_agg(columns);
    format!(
        "(SELECT {} FROM (SELECT u.id, u.username FROM users u WHERE {users_in_scope} \
           ORDER BY u.username_key LIMIT {MAX_USERS}) x) AS users, \
         (SELECT {} FROM (SELECT t.id, c.name AS company, t.name FROM teams t \
           JOIN companies c ON c.id = t.company_id WHERE {teams_in_scope} \
           ORDER BY c.name_key, t.name_key) x) AS teams, \
         (SELECT {} FROM (SELECT c.id, c.name FROM companies c WHERE {companies_shown} \
           ORDER BY c.name_key) x) AS companies",
        agg(&["x.id", "x.username"]),
        agg(&["x.id", "x.company", "x.name"]),
        agg(&["x.id", "x.name"]),
    )
}

/// A user or company choice as [`choice_columns`] sends it: `[id, name]`.
#[derive(serde::Deserialize)]
struct Named(#[serde(deserialize_with = "json::int")] i64, String);

/// A team choice: `[id, company name, team name]`.
#[derive(serde::Deserialize)]
struct TeamNamed(#[serde(deserialize_with = "json::int")] i64, String, String);

impl FilterChoices {
    /// The choices from a row holding the columns of [`choice_columns`].
    pub(crate) fn from_row(row: &AnyRow) -> Result<FilterChoices> {
        fn parse<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<Vec<T>> {
            json::parse(&row.try_get::<String, _>(column)?, column)
        }
        Ok(FilterChoices {
            users: parse(row, "users")?
                .into_iter()
                .map(|Named(id, name)| (UserId(id), name))
                .collect(),
            teams: parse(row, "teams")?
                .into_iter()
                .map(|TeamNamed(id, company, name)| (TeamId(id), company, name))
                .collect(),
            companies: parse(row, "companies")?
                .into_iter()
                .map(|Named(id, name)| (CompanyId(id), name))
                .collect(),
        })
    }
}
