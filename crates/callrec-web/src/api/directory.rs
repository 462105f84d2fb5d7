//! `GET /api/v1/users` and `/teams`: the company's directory, as a Company
//! user with Access to Manage Users sees it on Users and Teams.

use super::caller::ApiCaller;
use super::params::{self, Checked};
use super::recordings::{team_ref, TeamRef};
use super::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use callrec_domain::api_scope::ApiScope;
use callrec_domain::time::format_rfc3339_ms;
use callrec_domain::SearchTerm;
use callrec_store::{User, UserQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UserFilters {
    /// Part of a username, name or email, as the Users page's search.
    #[param(min_length = 1, max_length = 100)]
    search: Option<String>,
    /// Users a page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 100000)]
    page: Option<i64>,
}

/// A user of the company.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserItem {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    /// Their extension on the company's phone system.
    extension: Option<String>,
    /// Global, Company, Team or Staff.
    level: String,
    team: Option<TeamRef>,
    enabled: bool,
    /// Role codes (`recordings`, `download_recordings`, …).
    roles: Vec<String>,
    /// A phone or security key is registered for MFA.
    mfa_registered: bool,
    #[schema(format = DateTime)]
    last_sign_in_at: Option<String>,
}

impl From<&User> for UserItem {
    fn from(u: &User) -> Self {
        UserItem {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            extension: u.extension.as_ref().map(ToString::to_string),
            level: u.level.label().to_string(),
            team: team_ref(u.team_id, u.team_name.as_ref()),
            enabled: u.enabled,
            roles: u.roles.iter().map(|r| r.code().to_string()).collect(),
            mfa_registered: u.mfa_registered,
            last_sign_in_at: u.last_sign_in_at.map(|at| format_rfc3339_ms(at * 1000)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserList {
    items: Vec<UserItem>,
    /// Users matching, over all pages.
    total: i64,
    /// The next page's number; null on the last.
    next_page: Option<i64>,
}

/// The company's users, by username.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "Directory",
    security(("token" = ["directory:read"])),
    params(UserFilters),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "A parameter that does not parse (invalid_parameters)", body = ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "The token lacks directory:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<UserFilters>, QueryRejection>,
) -> Result<Json<UserList>, ApiError> {
    let grant = caller
        .allow_read(&state, ApiScope::DirectoryRead, "GET /api/v1/users")
        .await?;
    let Query(filters) = query.map_err(params::rejected)?;
    let mut check = Checked::default();
    let limit = check.limit(filters.limit);
    let page = match filters.page {
        None => 0,
        Some(n) if (1..=100_000).contains(&n) => (n - 1) as u32,
        Some(_) => {
            check.fail("page", "must be from 1 to 100000");
            0
        }
    };
    let search = match filters.search.as_deref() {
        Some(text) if text.is_empty() || text.chars().count() > SearchTerm::MAX_CHARS => {
            check.fail("search", "must be 1 to 100 characters");
            None
        }
        Some(text) => SearchTerm::parse(text),
        None => None,
    };
    check.finish()?;
    let found = state
        .store
        .list_users(&UserQuery {
            scope: grant.scope(),
            company: None,
            search,
            page,
            per_page: limit,
        })
        .await?;
    Ok(Json(UserList {
        items: found.items.iter().map(UserItem::from).collect(),
        total: found.total,
        next_page: found.has_next().then_some(i64::from(found.page) + 2),
    }))
}

/// A team of the company.
#[derive(Serialize, ToSchema)]
pub(crate) struct TeamItem {
    id: i64,
    name: String,
    enabled: bool,
    /// Users in the team.
    members: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TeamList {
    items: Vec<TeamItem>,
}

/// The company's teams, by name.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    tag = "Directory",
    security(("token" = ["directory:read"])),
    responses(
        (status = 200, description = "Every team", body = TeamList),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "The token lacks directory:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn teams(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<TeamList>, ApiError> {
    let grant = caller
        .allow_read(&state, ApiScope::DirectoryRead, "GET /api/v1/teams")
        .await?;
    let teams = state.store.list_teams(Some(grant.company)).await?;
    Ok(Json(TeamList {
        items: teams
            .into_iter()
            .map(|t| TeamItem {
                id: t.id.0,
                name: t.name,
                enabled: t.enabled,
                members: t.member_count,
            })
            .collect(),
    }))
}
