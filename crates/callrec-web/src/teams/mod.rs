//! The Teams page: list, add, rename, disable and enable teams.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{company_choices, Choice, Chrome, NameDialog};
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::teams;
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, MenuItem, Role, TeamId, TeamName};
use callrec_store::Team;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Teams.path(), get(teams_page).post(add_team))
        .route(Route::TeamRename.path(), post(rename_team))
        .route(Route::TeamStatus.path(), post(set_status))
}

pub(crate) struct TeamRow {
    pub id: i64,
    pub name: String,
    pub company: String,
    pub members: i64,
    pub enabled: bool,
    pub can_change: bool,
}

#[derive(Template)]
#[template(path = "teams/teams.html")]
struct TeamsPage {
    chrome: Chrome,
    rows: Vec<TeamRow>,
    show_company: bool,
    companies: Vec<Choice>,
    selected_company: Option<i64>,
    can_add: bool,
    add: NameDialog,
    rename: Option<NameDialog>,
}

fn add_dialog(name: &str, error: Option<String>) -> NameDialog {
    NameDialog {
        prefix: "add-team",
        title: "Add team".into(),
        label: "Team name",
        company: None,
        action: Route::Teams.path().into(),
        name: name.into(),
        open: error.is_some(),
        error,
    }
}

fn rename_dialog(team: &Team, name: &str, error: Option<String>) -> NameDialog {
    NameDialog {
        prefix: "rename-team",
        title: format!("Rename {}", team.name),
        label: "Team name",
        company: None,
        action: format!("/teams/{}/rename", team.id),
        name: name.into(),
        error,
        open: true,
    }
}

/// The team, if the actor may change it; otherwise it does not exist.
async fn changeable_team(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> Result<Team, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state
        .store
        .team_by_id(TeamId(id))
        .await?
        .filter(|team| current.actor.may_change_team(team.company_id, team.id))
        .ok_or(AppError::NotFound)
}

/// The company new teams go to: the chosen one for Global users, else their own.
fn target_company(current: &CurrentUser, chosen: Option<i64>) -> CompanyId {
    match (current.actor.scope(), chosen) {
        (DataScope::Everything, Some(id)) => CompanyId(id),
        _ => current.actor.company_id,
    }
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    query: &FormData,
    mut add: NameDialog,
    mut rename: Option<NameDialog>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let actor = &current.actor;
    let global = actor.scope() == DataScope::Everything;
    let selected_company = if global {
        query.optional_id("company")?
    } else {
        None
    };
    add.company = selected_company;
    if let Some(rename) = rename.as_mut() {
        rename.company = selected_company;
    }
    let teams = match actor.scope() {
        DataScope::Everything => {
            state
                .store
                .list_teams(selected_company.map(CompanyId))
                .await?
        }
        DataScope::Company(company) => state.store.list_teams(Some(company)).await?,
        DataScope::Team(company, team) => {
            state.store.team(company, team).await?.into_iter().collect()
        }
        DataScope::OwnOnly(_) => Vec::new(),
    };
    let companies = company_choices(state, global, selected_company).await?;
    let rows = teams
        .into_iter()
        .map(|team| TeamRow {
            can_change: actor.may_change_team(team.company_id, team.id),
            id: team.id.0,
            name: team.name,
            company: team.company_name,
            members: team.member_count,
            enabled: team.enabled,
        })
        .collect();
    let chrome = Chrome::new(current, "Teams", Some(MenuItem::Teams));
    let page = TeamsPage {
        chrome,
        rows,
        show_company: global,
        can_add: actor.may_add_team(target_company(current, selected_company)),
        companies,
        selected_company,
        add,
        rename,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn teams_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageTeams)?;
    let rename = match query.get("rename") {
        "" => None,
        id => {
            let team = changeable_team(&state, &current, id).await?;
            Some(rename_dialog(&team, &team.name, None))
        }
    };
    render(
        &state,
        &current,
        &query,
        add_dialog("", None),
        rename,
        StatusCode::OK,
    )
    .await
}

fn back_to_teams(company: Option<i64>) -> Response {
    let query = company.map_or(String::new(), |c| format!("company={c}&"));
    Redirect::to(&format!("/teams?{query}done=team-saved")).into_response()
}

async fn add_team(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageTeams)?;
    let chosen = form.optional_id("company")?;
    let company = target_company(&current, chosen);
    if !current.actor.may_add_team(company) || state.store.company(company).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let audit = current.audit_context(&client);
    let result = match TeamName::parse(form.get("name")) {
        Ok(name) => teams::create_team(&state.store, company, &name, &audit)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(_) => Ok(back_to_teams(chosen)),
        Err(err) => {
            let dialog = add_dialog(form.get("name"), None).refused(err)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &current, &form, dialog, None, status).await
        }
    }
}

async fn rename_team(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageTeams)?;
    let team = changeable_team(&state, &current, &id).await?;
    let audit = current.audit_context(&client);
    let result = match TeamName::parse(form.get("name")) {
        Ok(name) => teams::rename_team(&state.store, &team, &name, &audit)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => Ok(back_to_teams(form.optional_id("company")?)),
        Err(err) => {
            let dialog = rename_dialog(&team, form.get("name"), None).refused(err)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(
                &state,
                &current,
                &form,
                add_dialog("", None),
                Some(dialog),
                status,
            )
            .await
        }
    }
}

async fn set_status(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageTeams)?;
    let team = changeable_team(&state, &current, &id).await?;
    let enabled = form.flag("enabled")?;
    teams::set_team_enabled(
        &state.store,
        &team,
        enabled,
        &current.audit_context(&client),
    )
    .await?;
    Ok(back_to_teams(form.optional_id("company")?))
}
