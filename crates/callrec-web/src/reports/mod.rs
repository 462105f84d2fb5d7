//! Reports: the audit log, newest first, within the actor's scope.

use crate::error::AppError;
use crate::form::QueryData;
use crate::layout::Chrome;
use crate::session::CurrentUser;
use crate::users::require;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use callrec_domain::permissions::DataScope;
use callrec_domain::{MenuItem, Role};
use callrec_store::{AuditAction, AuditQuery};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(reports_page))
}

const PER_PAGE: u32 = 50;

pub(crate) struct AuditRow {
    pub at: String,
    pub event: String,
    pub actor: String,
    pub target: String,
    pub client: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "reports/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    actions: Vec<(&'static str, &'static str)>,
    selected_action: String,
    older_link: Option<String>,
    is_first_page: bool,
    /// The zone times are shown in.
    zone: String,
    /// Mail given up on (Global users only): (when, to, subject, attempts, error).
    failed_mail: Vec<(String, String, String, i64, String)>,
}

async fn reports_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Html<String>, AppError> {
    require(&current, Role::AuditLog)?;
    let selected_action = AuditAction::from_code(query.get("action"))
        .map(|a| a.code().to_string())
        .unwrap_or_default();
    let before = query.optional_id("before")?;
    // Company users see their company's events; narrower levels their own.
    let (company, actor) = match current.actor.scope() {
        DataScope::Everything => (None, None),
        DataScope::Company(company) => (Some(company), None),
        DataScope::Team(..) | DataScope::OwnOnly(_) => (None, Some(current.user.id)),
    };
    let entries = state
        .store
        .audit_entries(&AuditQuery {
            company,
            actor,
            action: (!selected_action.is_empty()).then(|| selected_action.clone()),
            before,
            limit: PER_PAGE,
        })
        .await?;
    let older_link = (entries.len() == PER_PAGE as usize)
        .then(|| entries.last())
        .flatten()
        .map(|last| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            if !selected_action.is_empty() {
                query.append_pair("action", &selected_action);
            }
            query.append_pair("before", &last.id.to_string());
            format!("/reports?{}", query.finish())
        });
    let rows = entries
        .iter()
        .map(|entry| AuditRow {
            at: current.zone.format_seconds(entry.at),
            event: entry.action_label().to_string(),
            // Events without a signed-in actor came from the command line,
            // the ingest API or sign-in attempts.
            actor: entry.actor_name.clone().unwrap_or_else(|| "—".to_string()),
            target: entry.target.clone().unwrap_or_default(),
            client: entry.client_addr.clone().unwrap_or_default(),
            details: entry.details.clone(),
        })
        .collect();
    // Mail the portal could not send concerns the operator, who runs the
    // mail server: shown to Global users only.
    let failed_mail = match current.actor.scope() {
        DataScope::Everything => state
            .store
            .failed_mail(20)
            .await?
            .into_iter()
            .map(|m| {
                let when = current.zone.format_seconds(m.failed_at);
                (when, m.to, m.subject, m.attempts, m.last_error)
            })
            .collect(),
        _ => Vec::new(),
    };
    let page = ReportsPage {
        zone: current.zone.name().to_string(),
        failed_mail,
        chrome: Chrome::new(&current, "Reports", Some(MenuItem::Reports)),
        rows,
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.code(), a.label()))
            .collect(),
        selected_action,
        older_link,
        is_first_page: before.is_none(),
    };
    Ok(Html(page.render()?))
}
