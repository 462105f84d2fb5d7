//! Reports: the audit log, newest first, within the actor's scope —
//! filtered by user, event and dates, paged, and exported as CSV.

use self::csv::csv_download;
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::Chrome;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use callrec_app::audit::{record_export, Export};
use callrec_domain::audit::AuditAction;
use callrec_domain::csv::csv_line;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_domain::zone::Zone;
use callrec_domain::{MenuItem, Role, ValidationError};
use callrec_store::{AuditEntry, AuditQuery};

mod calls;
mod csv;
pub(crate) mod slots;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Reports.path(), get(reports_page))
        .route(Route::AuditCsv.path(), get(export_csv))
        .route(Route::CallReport.path(), get(calls::calls_page))
        .route(Route::CallReportCsv.path(), get(calls::export_csv))
}

const PER_PAGE: u32 = 50;

pub(crate) struct AuditRow {
    pub at: String,
    pub event: String,
    pub actor: String,
    pub target: String,
    /// Where the target can be seen: a recording's page, or the user on
    /// Users (the page checks the viewer's reach as ever).
    pub target_link: Option<String>,
    pub client: String,
    pub details: String,
}

impl AuditRow {
    fn new(entry: &AuditEntry, zone: &Zone) -> AuditRow {
        AuditRow {
            at: zone.format_seconds(entry.at),
            event: entry.action_label().to_string(),
            // Events without a signed-in actor came from the command line,
            // the ingest API or sign-in attempts.
            actor: entry.actor_name.clone().unwrap_or_else(|| "—".to_string()),
            target: entry.target.clone().unwrap_or_default(),
            target_link: entry.target.as_deref().and_then(|target| {
                if RecordingId::parse(target).is_some() {
                    Some(format!("/recordings/{target}"))
                } else if entry.action.starts_with("user.") || entry.action.starts_with("mfa.") {
                    Some(format!(
                        "/users{}",
                        crate::form::query_string([("q", target)])
                    ))
                } else {
                    None
                }
            }),
            client: entry.client_addr.clone().unwrap_or_default(),
            details: entry.details.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "reports/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    /// Access to Recordings: the Call detail report too.
    can_call_report: bool,
    rows: Vec<AuditRow>,
    actions: Vec<(&'static str, &'static str)>,
    filters: AuditFilters,
    any_filter: bool,
    newest_link: String,
    export_link: String,
    older_link: Option<String>,
    is_first_page: bool,
    /// The zone times are shown in.
    zone: String,
    /// Mail given up on (Global users only): (when, to, subject, attempts, error).
    failed_mail: Vec<(String, String, String, i64, String)>,
}

/// The audit report's filters as typed: user, event and a date range (in
/// the viewer's zone, both days included).
#[derive(Debug, Clone, Default)]
struct AuditFilters {
    user: String,
    action: String,
    from: String,
    to: String,
}

impl AuditFilters {
    fn from_query(query: &FormData) -> AuditFilters {
        let field = |name: &str| query.get(name).trim().chars().take(64).collect::<String>();
        AuditFilters {
            user: field("user"),
            action: AuditAction::from_code(query.get("action"))
                .map(|a| a.code().to_string())
                .unwrap_or_default(),
            from: field("from"),
            to: field("to"),
        }
    }

    /// The query within the viewer's scope, or what is wrong with a date.
    fn query(&self, current: &CurrentUser) -> Result<AuditQuery, AppError> {
        // Company users see their company's events; narrower levels their own.
        let (company, actor) = match current.actor.scope() {
            DataScope::Everything => (None, None),
            DataScope::Company(company) => (Some(company), None),
            DataScope::Team(..) | DataScope::OwnOnly(_) => (None, Some(current.user.id)),
        };
        let day = |field: &'static str, text: &str| -> Result<Option<i64>, AppError> {
            if text.is_empty() {
                return Ok(None);
            }
            current
                .zone
                .parse_local(&format!("{text}T00:00"))
                .map(|ms| Some(ms / 1000))
                .ok_or_else(|| {
                    AppError::Invalid(ValidationError::new(field, "Enter a date as YYYY-MM-DD"))
                })
        };
        let from = day("from", &self.from)?;
        let until = day("to", &self.to)?.map(|start| current.zone.days_later(start, 1));
        Ok(AuditQuery {
            company,
            actor,
            actor_name: (!self.user.is_empty()).then(|| self.user.clone()),
            action: (!self.action.is_empty()).then(|| self.action.clone()),
            from,
            until,
            before: None,
            limit: PER_PAGE,
            ..AuditQuery::default()
        })
    }

    /// `user=…&action=…&from=…&to=…` plus `extra`, without empty filters.
    fn query_string(&self, extra: &[(&str, &str)]) -> String {
        let pairs = [
            ("user", self.user.as_str()),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ];
        crate::form::query_string(pairs.into_iter().chain(extra.iter().copied()))
    }

    fn any(&self) -> bool {
        !(self.user.is_empty()
            && self.action.is_empty()
            && self.from.is_empty()
            && self.to.is_empty())
    }
}

async fn reports_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Html<String>, AppError> {
    require(&current, Role::AuditLog)?;
    let filters = AuditFilters::from_query(&query);
    let before = query.optional_id("before")?;
    let mut audit_query = filters.query(&current)?;
    audit_query.before = before;
    let entries = state.store.audit_entries(&audit_query).await?;
    let older_link = (entries.len() == PER_PAGE as usize)
        .then(|| entries.last())
        .flatten()
        .map(|last| {
            format!(
                "/reports{}",
                filters.query_string(&[("before", &last.id.to_string())])
            )
        });
    let rows = entries
        .iter()
        .map(|entry| AuditRow::new(entry, &current.zone))
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
        can_call_report: current.actor.can(Role::Recordings),
        zone: current.zone.name().to_string(),
        failed_mail,
        chrome: Chrome::new(&current, "Reports", Some(MenuItem::Reports)),
        rows,
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.code(), a.label()))
            .collect(),
        newest_link: format!("/reports{}", filters.query_string(&[])),
        export_link: format!("/reports/audit.csv{}", filters.query_string(&[])),
        any_filter: filters.any(),
        filters,
        older_link,
        is_first_page: before.is_none(),
    };
    Ok(Html(page.render()?))
}

/// One entry as a CSV record.
fn csv_row(entry: &AuditEntry, zone: &Zone) -> String {
    let row = AuditRow::new(entry, zone);
    let id = entry.id.to_string();
    csv_line(&[
        &row.at,
        &row.event,
        &row.actor,
        &row.target,
        &row.client,
        &row.details,
        &id,
    ])
}

/// Entries fetched per query while exporting.
const EXPORT_BATCH: u32 = 1000;

/// `GET /reports/audit.csv`: every entry the filters select, within the
/// viewer's scope, as CSV (RFC 4180, times in the viewer's zone), streamed
/// a batch at a time; the export itself is audited first.
async fn export_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::AuditLog)?;
    let filters = AuditFilters::from_query(&query);
    let mut audit_query = filters.query(&current)?;
    audit_query.limit = EXPORT_BATCH;
    let chosen = filters.query_string(&[]);
    let audit = current.audit_context(&client);
    let company = current.actor.company_id;
    record_export(
        &state.store,
        &audit,
        Export::AuditReport,
        company,
        chosen.trim_start_matches('?'),
    )
    .await?;

    let header = [
        "Time",
        "Event",
        "By",
        "Target",
        "Client address",
        "Details",
        "Entry",
    ];
    let name = format!(
        "audit-{}.csv",
        current
            .zone
            .format_seconds(state.now())
            .get(..10)
            .unwrap_or("report")
    );
    let (store, zone) = (state.store.clone(), current.zone.clone());
    Ok(csv_download(
        &name,
        &header,
        audit_query,
        move |mut query| {
            let (store, zone) = (store.clone(), zone.clone());
            async move {
                let batch = store.audit_entries(&query).await?;
                let Some(last) = batch.last() else {
                    return Ok(None);
                };
                query.before = Some(last.id);
                let text: String = batch.iter().map(|entry| csv_row(entry, &zone)).collect();
                Ok::<_, callrec_store::StoreError>(Some((text, query)))
            }
        },
    ))
}
