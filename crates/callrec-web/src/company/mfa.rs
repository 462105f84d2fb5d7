//! The Company MFA page: the company's policy dropdown, with a typed
//! confirmation before MFA is switched off.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{Choice, Chrome};
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_app::mfa;
use callrec_domain::mfa::{disable_confirmed, parse_days_to_register, DISABLE_PHRASE};
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, MenuItem, MfaPolicy, Role, SearchTerm};
use callrec_store::{Company, MfaSummary};

/// One company in a Global user's list.
pub(crate) struct CompanyRow {
    pub id: i64,
    pub name: String,
    pub policy: &'static str,
    pub registered: i64,
    pub users: i64,
}

#[derive(Template)]
#[template(path = "mfa/company.html")]
struct CompanyMfaPage {
    chrome: Chrome,
    /// For Global users without a company chosen.
    companies: Vec<CompanyRow>,
    company: Option<Company>,
    choose_company: bool,
    policies: Vec<Choice>,
    summary: MfaSummary,
    confirm_open: bool,
    confirm_error: Option<String>,
    phrase: &'static str,
    /// The end of a running grace period, in the viewer's zone.
    deadline: Option<String>,
    /// The roll-out list: users who would be asked to register now.
    rollout: Option<Rollout>,
    /// Mail is on: Remind is offered.
    can_remind: bool,
}

/// One user in the roll-out view.
pub(crate) struct RolloutRow {
    pub username: String,
    pub name: String,
    pub registered: String,
    pub last_code: String,
    pub recovery_codes_left: String,
    pub security_keys: i64,
    pub last_sign_in: String,
}

/// Who has not registered yet (or everyone), searchable and paged.
pub(crate) struct Rollout {
    pub rows: Vec<RolloutRow>,
    pub search: String,
    /// Every user, not only those without a registration.
    pub all: bool,
    /// The page's own links for "Not registered" and "All users".
    pub unregistered_link: String,
    pub all_link: String,
    pub total: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// Registered share of the company's users, in percent.
    pub registered_percent: i64,
}

/// The company the page is about: the chosen one for Global users (none
/// yet means "show the list"), else the user's own.
async fn target_company(
    state: &AppState,
    current: &CurrentUser,
    chosen: Option<i64>,
) -> Result<Option<Company>, AppError> {
    let id = match (current.actor.scope(), chosen) {
        (DataScope::Everything, None) => return Ok(None),
        (DataScope::Everything, Some(id)) => CompanyId(id),
        _ => current.actor.company_id,
    };
    if !current.actor.may_manage_company_mfa(id) {
        return Err(AppError::NotFound);
    }
    state
        .store
        .company(id)
        .await?
        .map(Some)
        .ok_or(AppError::NotFound)
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    company: Option<Company>,
    selected: Option<MfaPolicy>,
    confirm: (bool, Option<String>),
    query: &FormData,
) -> Result<Response, AppError> {
    let mut companies = Vec::new();
    if company.is_none() {
        for company in state.store.list_companies().await? {
            let summary = state.store.mfa_summary(company.id).await?;
            companies.push(CompanyRow {
                id: company.id.0,
                name: company.name,
                policy: company.mfa_policy.label(),
                registered: summary.registered,
                users: summary.users,
            });
        }
    }
    let summary = match &company {
        Some(company) => state.store.mfa_summary(company.id).await?,
        None => MfaSummary {
            users: 0,
            registered: 0,
        },
    };
    let shown = selected.or(company.as_ref().map(|c| c.mfa_policy));
    let policies = Choice::list(
        MfaPolicy::ALL.map(|p| (p.code(), p.label().to_string())),
        shown.map(|p| p.code()).as_ref(),
    );
    let status = if confirm.1.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let deadline = company
        .as_ref()
        .and_then(|c| c.mfa_deadline.filter(|d| *d > current.now))
        .map(|d| current.zone.format_minutes(d));
    let rollout = match &company {
        Some(company) => Some(rollout(state, current, company, &summary, query).await?),
        None => None,
    };
    let page = CompanyMfaPage {
        deadline,
        rollout,
        can_remind: state.config.mail.is_some(),
        chrome: Chrome::new(current, "Company MFA", Some(MenuItem::CompanyMfa)),
        choose_company: company.is_none(),
        companies,
        company,
        policies,
        summary,
        confirm_open: confirm.0,
        confirm_error: confirm.1,
        phrase: DISABLE_PHRASE,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn company_mfa_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageCompanyMfa)?;
    let company = target_company(&state, &current, query.optional_id("company")?).await?;
    if company.is_none() && current.actor.scope() != DataScope::Everything {
        return Err(AppError::NotFound);
    }
    render(&state, &current, company, None, (false, None), &query).await
}

/// The roll-out list for `company`: page `page` of its users without a
/// registration whose name contains `q`.
async fn rollout(
    state: &AppState,
    current: &CurrentUser,
    company: &Company,
    summary: &MfaSummary,
    query: &FormData,
) -> Result<Rollout, AppError> {
    let search = query.get("q").trim().to_string();
    let all = query.get("show") == "all";
    let page = query.optional_id("page")?.unwrap_or(0).clamp(0, 100_000) as u32;
    let found = state
        .store
        .rollout_users(
            company.id,
            SearchTerm::parse(&search).as_ref(),
            !all,
            page,
            25,
        )
        .await?;
    let link = |page: u32, all: bool| {
        let mut pairs = vec![
            ("company", company.id.to_string()),
            ("page", page.to_string()),
        ];
        if all {
            pairs.push(("show", "all".to_string()));
        }
        if !search.is_empty() {
            pairs.push(("q", search.clone()));
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("/company-mfa?{query}#rollout")
    };
    let when = |at: Option<i64>, none: &str| {
        at.map_or_else(|| none.to_string(), |at| current.zone.format_minutes(at))
    };
    let rows = found
        .items
        .iter()
        .map(|user| RolloutRow {
            username: user.username.clone(),
            name: user.display_name.clone(),
            registered: when(user.registered_at, "not registered"),
            last_code: when(user.last_code_at, "—"),
            recovery_codes_left: match user.registered_at {
                Some(_) => user.recovery_codes_left.to_string(),
                None => "—".to_string(),
            },
            security_keys: user.security_keys,
            last_sign_in: when(user.last_sign_in_at, "never"),
        })
        .collect();
    Ok(Rollout {
        rows,
        all,
        unregistered_link: link(0, false),
        all_link: link(0, true),
        total: found.total,
        previous: found.has_previous().then(|| link(page - 1, all)),
        next: found.has_next().then(|| link(page + 1, all)),
        registered_percent: if summary.users == 0 {
            0
        } else {
            summary.registered * 100 / summary.users
        },
        search,
    })
}

/// The company a Company MFA form was posted for, if the actor may manage
/// its MFA; otherwise it does not exist.
async fn posted_company(
    state: &AppState,
    current: &CurrentUser,
    form: &FormData,
) -> Result<Company, AppError> {
    require(current, Role::ManageCompanyMfa)?;
    target_company(state, current, form.optional_id("company")?)
        .await?
        .ok_or(AppError::NotFound)
}

/// Back to Company MFA for `company`, saying `done`.
fn back_to(current: &CurrentUser, company: &Company, done: &str) -> Response {
    let query = match current.actor.scope() {
        DataScope::Everything => format!("?company={}&done={done}", company.id),
        _ => format!("?done={done}"),
    };
    Redirect::to(&format!("/company-mfa{query}")).into_response()
}

/// Remind: mails the users who have not registered yet.
pub(super) async fn remind(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted_company(&state, &current, &form).await?;
    let mail = state.config.mail.is_some();
    mfa::remind_unregistered(
        &state.store,
        mail,
        &company,
        &current.audit_context(&client),
    )
    .await?;
    Ok(back_to(&current, &company, "reminders-sent"))
}

pub(super) async fn save_policy(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted_company(&state, &current, &form).await?;
    let policy = MfaPolicy::parse(form.get("policy"))?;
    if policy == MfaPolicy::Disabled && company.mfa_policy != MfaPolicy::Disabled {
        // Switching MFA off takes the typed phrase, checked here as well as
        // in the pop-up.
        let typed = form.get("confirm_phrase");
        if !disable_confirmed(typed) {
            let error =
                (!typed.is_empty()).then(|| format!("Type {DISABLE_PHRASE} exactly to confirm."));
            let query = FormData::default();
            return render(
                &state,
                &current,
                Some(company),
                Some(policy),
                (true, error),
                &query,
            )
            .await;
        }
    }
    let days = parse_days_to_register(form.get("days"))?;
    // Days count in the company's zone (the portal's default without one).
    let zone = company.zone(&state.config.default_time_zone);
    mfa::set_company_policy(
        &state.store,
        &company,
        policy,
        form.checked("mfa_for_admins"),
        days,
        &zone,
        &current.audit_context(&client),
    )
    .await?;
    Ok(back_to(&current, &company, "mfa-saved"))
}
