//! The API tokens page: Company users with Access to Manage Users make,
//! list and revoke their company's tokens (Global users pick the company).
//! A new token is shown once, on the answer to Create, never in a URL.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{company_choices, Choice, Chrome};
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::tokens::check_scopes;
use callrec_app::{announce_token, create_token, revoke_token, TokenRequest};
use callrec_domain::api_scope::{token_lifetime_days, ApiScope, ApiScopes, MAX_TOKEN_DAYS};
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, MenuItem, TokenName, ValidationError};
use callrec_store::ApiToken;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::ApiTokens.path(), get(tokens_page).post(create))
        .route(Route::ApiTokenRevoke.path(), post(revoke))
}

pub(crate) struct TokenRow {
    id: i64,
    name: String,
    company: String,
    scopes: String,
    created: String,
    expires: String,
    last_use: String,
    state: &'static str,
    active: bool,
}

/// A scope's checkbox in the Create token pop-up.
#[derive(Clone)]
pub(crate) struct ScopeBox {
    code: &'static str,
    label: &'static str,
    /// The role a person needs for the same reads.
    like: String,
    checked: bool,
    /// The creator holds that role: a token never gets more than its maker.
    allowed: bool,
}

/// The Create token pop-up, as typed.
pub(crate) struct CreateForm {
    open: bool,
    name: String,
    days: String,
    scopes: Vec<ScopeBox>,
    companies: Vec<Choice>,
    errors: Vec<ValidationError>,
}

impl CreateForm {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// The token just made, shown once.
pub(crate) struct Created {
    name: String,
    token: String,
}

#[derive(Template)]
#[template(path = "tokens/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    rows: Vec<TokenRow>,
    show_company: bool,
    companies: Vec<Choice>,
    selected_company: Option<i64>,
    form: CreateForm,
    created: Option<Created>,
    revoke_target: Option<(i64, String)>,
    max_days: u32,
}

/// Company users with Access to Manage Users, and Global ones.
fn may_manage(current: &CurrentUser) -> Result<(), AppError> {
    if current.actor.menu().contains(&MenuItem::ApiTokens) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

fn scope_boxes(current: &CurrentUser, chosen: &[&str]) -> Vec<ScopeBox> {
    ApiScope::ALL
        .into_iter()
        .map(|s| ScopeBox {
            allowed: current.caller().may_grant(s),
            code: s.code(),
            label: s.label(),
            like: s.role().map_or_else(
                || "the phone system's own intake".to_string(),
                |role| format!("as {}", role.name()),
            ),
            checked: chosen.contains(&s.code()),
        })
        .collect()
}

/// The company a Global user chose, or the user's own.
fn company_of(current: &CurrentUser, chosen: Option<i64>) -> Option<CompanyId> {
    match current.actor.scope() {
        DataScope::Everything => chosen.map(CompanyId),
        _ => Some(current.actor.company_id),
    }
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    selected_company: Option<i64>,
    mut form: CreateForm,
    created: Option<Created>,
    revoke_target: Option<(i64, String)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let global = current.actor.scope() == DataScope::Everything;
    let listed = company_of(current, selected_company);
    let tokens = state.store.list_api_tokens(listed).await?;
    let zone = &current.zone;
    let now = current.now;
    let rows = tokens
        .iter()
        .map(|t: &ApiToken| TokenRow {
            id: t.id,
            name: t.name.clone(),
            company: t.company_name.clone(),
            scopes: t
                .scopes
                .iter()
                .map(ApiScope::code)
                .collect::<Vec<_>>()
                .join(", "),
            created: format!(
                "{} by {}",
                zone.format_seconds(t.created_at),
                t.created_by.as_deref().unwrap_or("cli")
            ),
            expires: t
                .expires_at
                .map_or_else(|| "Never".to_string(), |at| zone.format_seconds(at)),
            last_use: match (t.last_used_at, &t.last_used_addr) {
                (Some(at), Some(addr)) => format!("{} from {addr}", zone.format_seconds(at)),
                _ => "Never used".to_string(),
            },
            state: t.state(now).label(),
            active: t.revoked_at.is_none(),
        })
        .collect();
    let companies = company_choices(state, global, selected_company).await?;
    form.companies = companies.clone();
    let page = TokensPage {
        chrome: Chrome::new(current, "API tokens", Some(MenuItem::ApiTokens)),
        rows,
        show_company: global,
        companies,
        selected_company,
        form,
        created,
        revoke_target,
        max_days: MAX_TOKEN_DAYS,
    };
    // The answer to Create holds a secret: never cached.
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

fn blank_form(current: &CurrentUser, open: bool) -> CreateForm {
    CreateForm {
        open,
        name: String::new(),
        days: String::new(),
        scopes: scope_boxes(current, &[]),
        companies: Vec::new(),
        errors: Vec::new(),
    }
}

async fn tokens_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    may_manage(&current)?;
    let selected = query.optional_id("company")?;
    let revoke_target = match query.get("revoke") {
        "" => None,
        id => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            let token = reachable_token(&state, &current, id).await?;
            Some((token.id, token.name))
        }
    };
    let form = blank_form(&current, query.get("new") == "1");
    render(
        &state,
        &current,
        selected,
        form,
        None,
        revoke_target,
        StatusCode::OK,
    )
    .await
}

/// A token of a company in the actor's reach, or 404.
async fn reachable_token(
    state: &AppState,
    current: &CurrentUser,
    id: i64,
) -> Result<ApiToken, AppError> {
    let company = match current.actor.scope() {
        DataScope::Everything => None,
        _ => Some(current.actor.company_id),
    };
    state
        .store
        .api_token_by_id(id, company)
        .await?
        .ok_or(AppError::NotFound)
}

async fn create(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    may_manage(&current)?;
    let selected = form.optional_id("company")?;
    let chosen: Vec<&str> = form.all("scope").collect();
    let mut errors = Vec::new();
    let name = TokenName::parse(form.get("name"))
        .map_err(|e| errors.push(e))
        .ok();
    let scopes = ApiScopes::parse(&chosen.join(","))
        .map_err(|e| errors.push(e))
        .ok()
        .filter(|scopes| match check_scopes(current.caller(), *scopes) {
            Err(beyond) => {
                errors.push(beyond);
                false
            }
            Ok(()) => true,
        });
    let days = token_lifetime_days(form.get("expires_in_days"))
        .map_err(|e| errors.push(e))
        .ok();
    let company = company_of(&current, selected).filter(|c| current.actor.reaches_company(*c));
    if company.is_none() {
        errors.push(ValidationError::new(
            "company",
            "Choose the company the token is for",
        ));
    }
    let boxes = scope_boxes(&current, &chosen);
    let retry = |errors: Vec<ValidationError>| CreateForm {
        open: true,
        name: form.get("name").to_string(),
        days: form.get("expires_in_days").to_string(),
        scopes: boxes.clone(),
        companies: Vec::new(),
        errors,
    };
    let (Some(name), Some(scopes), Some(lifetime_days), Some(company), true) =
        (name, scopes, days, company, errors.is_empty())
    else {
        return render(
            &state,
            &current,
            selected,
            retry(errors),
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if state.store.company(company).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let audit = current.audit_context(&client);
    // A token outlives the session that made it: a stolen session must not
    // be able to make one (security review, wave 2, item 3).
    let prove = ProvePresence {
        heading: "API tokens",
        action: Route::ApiTokens.path().to_string(),
        hidden: form.resent(),
        what: "You are making an API token: it works without a password or MFA until it expires or is revoked.",
        return_to: Route::ApiTokens.path().to_string(),
        form: &form,
        recent_counts: true,
    };
    if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
        return Ok(ask);
    }
    let request = TokenRequest {
        company,
        name,
        scopes,
        lifetime_days,
    };
    match create_token(&state.store, current.caller(), &request, &audit).await {
        Ok((stored, token)) => {
            if state.config.mail.is_some() {
                announce_token(&state.store, &stored, Some(&current.user), &audit).await?;
            }
            let created = Created {
                name: stored.name,
                token,
            };
            render(
                &state,
                &current,
                selected,
                blank_form(&current, false),
                Some(created),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(callrec_app::Error::Invalid(refused)) => {
            render(
                &state,
                &current,
                selected,
                retry(vec![refused]),
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    may_manage(&current)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let token = reachable_token(&state, &current, id).await?;
    // Revoked already (by someone else meanwhile): the same outcome.
    revoke_token(&state.store, &token, &current.audit_context(&client)).await?;
    let company = form
        .optional_id("company")?
        .map_or(String::new(), |c| format!("company={c}&"));
    Ok(Redirect::to(&format!("/api-tokens?{company}done=token-revoked")).into_response())
}
