//! Company settings: the company's own settings: its time zone and how
//! long it keeps its recordings (Retention).
//! Company users with Access to Manage Users change their company's;
//! Global users pick the company.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{zone_choices, Choice, Chrome};
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use callrec_app::records::retention::{due_under, set_retention};
use callrec_app::settings::set_company_time_zone;
use callrec_domain::permissions::DataScope;
use callrec_domain::retention::{self, Retention};
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, MenuItem};
use callrec_store::Company;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/company-settings", get(settings_page).post(save))
}

#[derive(Template)]
#[template(path = "company/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    /// For Global users without a company chosen.
    companies: Vec<(i64, String, String, String)>,
    company: Option<Company>,
    zones: Vec<crate::layout::Choice>,
    retentions: Vec<crate::layout::Choice>,
    /// The number in the days box.
    retention_days: String,
    error: Option<String>,
    /// A shorter period awaiting confirmation: the form's values and how
    /// many recordings the next run would delete.
    confirm: Option<PendingRetention>,
}

struct PendingRetention {
    zone: String,
    retention: String,
    days: String,
    label: String,
    due: i64,
}

/// The company the page is about: the chosen one for Global users (none
/// yet: the list), else the user's own; out of reach, none at all.
async fn target(
    state: &AppState,
    current: &CurrentUser,
    chosen: Option<i64>,
) -> Result<Option<Company>, AppError> {
    let id = match (current.actor.scope(), chosen) {
        (DataScope::Everything, None) => {
            if !current
                .actor
                .may_change_company_settings(current.actor.company_id)
            {
                return Err(AppError::NotFound);
            }
            return Ok(None);
        }
        (DataScope::Everything, Some(id)) => CompanyId(id),
        _ => current.actor.company_id,
    };
    if !current.actor.may_change_company_settings(id) {
        return Err(AppError::NotFound);
    }
    Ok(Some(
        state.store.company(id).await?.ok_or(AppError::NotFound)?,
    ))
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    company: Option<Company>,
    error: Option<String>,
    confirm: Option<PendingRetention>,
) -> Result<Response, AppError> {
    let default_zone = state.config.default_time_zone.name().to_string();
    let companies = match company {
        Some(_) => Vec::new(),
        None => state
            .store
            .list_companies()
            .await?
            .into_iter()
            .map(|c| {
                let zone = c.time_zone.clone().unwrap_or_else(|| default_zone.clone());
                (c.id.0, c.name, zone, c.retention.to_string())
            })
            .collect(),
    };
    let current_retention = company.as_ref().map_or(Retention::Forever, |c| c.retention);
    let mut retention_options: Vec<(String, String)> = retention::CHOICES
        .iter()
        .map(|(value, label)| (value.to_string(), label.to_string()))
        .collect();
    if !current_retention.is_listed() {
        // A period an operator set that the list lacks stays choosable.
        retention_options.insert(0, (current_retention.code(), current_retention.to_string()));
    }
    let retentions = Choice::list(retention_options, Some(&current_retention.choice()));
    let selected = company
        .as_ref()
        .and_then(|c| c.time_zone.clone())
        .unwrap_or_default();
    let zones = zone_choices(format!("Portal default ({default_zone})"), &selected);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SettingsPage {
        chrome: Chrome::new(current, "Company settings", Some(MenuItem::CompanySettings)),
        companies,
        company,
        zones,
        retentions,
        retention_days: current_retention
            .days()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        error,
        confirm,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn settings_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    let company = target(&state, &current, query.optional_id("company")?).await?;
    render(&state, &current, company, None, None).await
}

async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let Some(company) = target(&state, &current, form.optional_id("company")?).await? else {
        return Err(AppError::NotFound);
    };
    let zone = match form.get("time_zone") {
        "" => None,
        name => match Zone::parse(name) {
            Ok(zone) => Some(zone),
            Err(error) => {
                return render(&state, &current, Some(company), Some(error.message), None).await
            }
        },
    };
    // A form without the field (an older page, a script) leaves it as is.
    let retention = match form.get("retention") {
        "" => company.retention,
        choice => match Retention::from_form(choice, form.get("retention_days")) {
            Ok(retention) => retention,
            Err(error) => {
                return render(&state, &current, Some(company), Some(error.message), None).await
            }
        },
    };
    // Months count in the company's zone: the one being saved.
    let company_zone = zone
        .clone()
        .unwrap_or_else(|| state.config.default_time_zone.clone());
    if retention != company.retention && form.get("confirm") != "1" {
        let due = due_under(
            &state.store,
            &company,
            retention,
            &company_zone,
            state.clock.now_ms(),
        )
        .await?;
        if due > 0 {
            let confirm = PendingRetention {
                zone: form.get("time_zone").to_string(),
                retention: form.get("retention").to_string(),
                days: form.get("retention_days").to_string(),
                label: retention.to_string(),
                due,
            };
            return render(&state, &current, Some(company), None, Some(confirm)).await;
        }
    }
    let audit = current.audit_context(&client);
    set_company_time_zone(&state.store, &company, zone.as_ref(), &audit).await?;
    set_retention(&state.store, &company, retention, &company_zone, &audit).await?;
    let query = match current.actor.scope() {
        DataScope::Everything => format!("?company={}&done=settings-saved", company.id),
        _ => "?done=settings-saved".to_string(),
    };
    Ok(Redirect::to(&format!("/company-settings{query}")).into_response())
}
