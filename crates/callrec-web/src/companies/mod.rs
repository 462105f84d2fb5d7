//! The Companies page (Global users with Access to Manage Users): list and
//! search, add, rename, disable and enable companies.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{Chrome, NameDialog};
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::companies;
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, CompanyName, MenuItem, SearchTerm};
use callrec_store::{Company, CompanyRow, UserQuery};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            Route::Companies.path(),
            get(companies_page).post(add_company),
        )
        .route(Route::CompanyRename.path(), post(rename_company))
        .route(Route::CompanyStatus.path(), post(set_status))
}

#[derive(Template)]
#[template(path = "companies/companies.html")]
struct CompaniesPage {
    chrome: Chrome,
    rows: Vec<CompanyRow>,
    search: String,
    own_company: CompanyId,
    add: NameDialog,
    rename: Option<NameDialog>,
    disable: Option<DisableDialog>,
}

/// Disable a company: it signs out every user and stops every token, so
/// the pop-up names them and asks for the company's name typed (wave 2,
/// acceptance check).
pub(crate) struct DisableDialog {
    company: Company,
    users: Vec<String>,
    /// Users beyond those named.
    more_users: i64,
    tokens: Vec<String>,
    error: Option<&'static str>,
}

/// Users named in the pop-up; the rest are counted.
const NAMED_USERS: u32 = 20;

async fn disable_dialog(
    state: &AppState,
    company: Company,
    error: Option<&'static str>,
) -> Result<DisableDialog, AppError> {
    let users = state
        .store
        .list_users(&UserQuery {
            scope: DataScope::Company(company.id),
            company: Some(company.id),
            search: None,
            page: 0,
            per_page: NAMED_USERS,
        })
        .await?;
    let tokens = state
        .store
        .list_api_tokens(Some(company.id))
        .await?
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| t.name)
        .collect();
    Ok(DisableDialog {
        more_users: users.total - users.items.len() as i64,
        users: users.items.into_iter().map(|u| u.username).collect(),
        tokens,
        company,
        error,
    })
}

fn allowed(current: &CurrentUser) -> Result<(), AppError> {
    if current.actor.may_manage_companies() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

fn add_dialog(name: &str, error: Option<String>) -> NameDialog {
    NameDialog {
        prefix: "add-company",
        title: "Add company".into(),
        label: "Company name",
        action: Route::Companies.path().into(),
        name: name.into(),
        open: error.is_some(),
        error,
        company: None,
    }
}

fn rename_dialog(company: &Company, name: &str, error: Option<String>) -> NameDialog {
    NameDialog {
        prefix: "rename-company",
        title: format!("Rename {}", company.name),
        label: "Company name",
        action: format!("/companies/{}/rename", company.id),
        name: name.into(),
        error,
        open: true,
        company: None,
    }
}

async fn company(state: &AppState, id: &str) -> Result<Company, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state
        .store
        .company(CompanyId(id))
        .await?
        .ok_or(AppError::NotFound)
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    search: &str,
    add: NameDialog,
    rename: Option<NameDialog>,
    disable: Option<DisableDialog>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rows = state
        .store
        .company_rows(SearchTerm::parse(search).as_ref())
        .await?;
    let page = CompaniesPage {
        chrome: Chrome::new(current, "Companies", Some(MenuItem::Companies)),
        rows,
        search: search.to_string(),
        own_company: current.actor.company_id,
        add,
        rename,
        disable,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn companies_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    allowed(&current)?;
    let rename = match query.get("rename") {
        "" => None,
        id => {
            let company = company(&state, id).await?;
            Some(rename_dialog(&company, &company.name, None))
        }
    };
    let disable = match query.get("disable") {
        "" => None,
        id => Some(disable_dialog(&state, company(&state, id).await?, None).await?),
    };
    let add = add_dialog("", None);
    render(
        &state,
        &current,
        query.get("q"),
        add,
        rename,
        disable,
        StatusCode::OK,
    )
    .await
}

fn back() -> Response {
    Redirect::to("/companies?done=company-saved").into_response()
}

async fn add_company(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    allowed(&current)?;
    let audit = current.audit_context(&client);
    let result = match CompanyName::parse(form.get("name")) {
        Ok(name) => companies::create_company(
            &state.store,
            &name,
            state.config.records.default_retention,
            &audit,
        )
        .await
        .map(|_| ())
        .map_err(AppError::from),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => Ok(back()),
        Err(err) => {
            let add = add_dialog(form.get("name"), None).refused(err)?;
            render(
                &state,
                &current,
                "",
                add,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn rename_company(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    allowed(&current)?;
    let company = company(&state, &id).await?;
    let audit = current.audit_context(&client);
    let result = match CompanyName::parse(form.get("name")) {
        Ok(name) => companies::rename_company(&state.store, &company, &name, &audit)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => Ok(back()),
        Err(err) => {
            let rename = rename_dialog(&company, form.get("name"), None).refused(err)?;
            let add = add_dialog("", None);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &current, "", add, Some(rename), None, status).await
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
    allowed(&current)?;
    let company = company(&state, &id).await?;
    let enabled = form.flag("enabled")?;
    if !enabled && form.get("confirm_name").trim() != company.name {
        let error = Some("Type the company's name exactly as shown to disable it.");
        let dialog = disable_dialog(&state, company, error).await?;
        let add = add_dialog("", None);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &current, "", add, None, Some(dialog), status).await;
    }
    companies::set_company_enabled(
        &state.store,
        current.caller(),
        &company,
        enabled,
        &current.audit_context(&client),
    )
    .await?;
    Ok(back())
}
