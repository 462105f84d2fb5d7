//! `GET /api/v1/audit`: the company's audit log, newest first, as a
//! Company user with Access to Audit Log reads it on Reports.

use super::caller::ApiCaller;
use super::params::{self, Checked};
use super::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use callrec_domain::api_scope::ApiScope;
use callrec_domain::audit::AuditAction;
use callrec_domain::time::format_rfc3339_ms;
use callrec_store::{AuditEntry, AuditQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest actor: `token:` and a 64-character token name.
const MAX_ACTOR_CHARS: usize = 70;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditFilters {
    /// An event code, such as `recording.played` or `user.created`.
    // Listed in the description (`openapi::AuditActionCodes`).
    action: Option<String>,
    /// Entries by this actor: a username, `token:NAME` for an API token, or `cli`.
    #[param(min_length = 1, max_length = 70)]
    actor: Option<String>,
    /// Entries at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Entries before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    /// Entries a page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next` of the previous page.
    // A positive id that fits an i64 (schemathesis, `--checks all`).
    #[param(pattern = r"^[1-9][0-9]{0,17}$")]
    cursor: Option<String>,
}

/// One entry of the audit log.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditItem {
    id: i64,
    #[schema(format = DateTime)]
    at: String,
    /// Stable event code (`recording.played`).
    action: String,
    /// The event as Reports names it ("Recording played").
    event: String,
    /// A username, `token:NAME` for an API token, or `cli`.
    actor: Option<String>,
    target: Option<String>,
    client_addr: Option<String>,
    details: String,
}

impl From<&AuditEntry> for AuditItem {
    fn from(e: &AuditEntry) -> Self {
        AuditItem {
            id: e.id,
            at: format_rfc3339_ms(e.at * 1000),
            action: e.action.clone(),
            event: e.action_label().to_string(),
            actor: e.actor_name.clone(),
            target: e.target.clone(),
            client_addr: e.client_addr.clone(),
            details: e.details.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditList {
    items: Vec<AuditItem>,
    /// Pass as `cursor` for the next (older) page; null on the last.
    next: Option<String>,
}

/// The company's audit log, newest first, by pages (follow `next`).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "Audit",
    security(("token" = ["audit:read"])),
    params(AuditFilters),
    responses(
        (status = 200, description = "A page of entries", body = AuditList),
        (status = 400, description = "A parameter that does not parse (invalid_parameters)", body = ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "The token lacks audit:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn entries(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<AuditFilters>, QueryRejection>,
) -> Result<Json<AuditList>, ApiError> {
    let grant = caller
        .allow_read(&state, ApiScope::AuditRead, "GET /api/v1/audit")
        .await?;
    let Query(filters) = query.map_err(params::rejected)?;
    let mut check = Checked::default();
    let action = match filters.action.as_deref() {
        Some(code) if AuditAction::from_code(code).is_none() => {
            check.fail("action", "must be an event code, such as recording.played");
            None
        }
        other => other.map(str::to_string),
    };
    let actor = match filters.actor.as_deref() {
        Some(name) if name.is_empty() || name.chars().count() > MAX_ACTOR_CHARS => {
            check.fail("actor", "must be 1 to 70 characters");
            None
        }
        other => other.map(str::to_string),
    };
    let from = check
        .time("from", filters.from.as_deref())
        .map(|ms| ms.div_euclid(1000));
    let until = check
        .time("until", filters.until.as_deref())
        .map(|ms| ms.div_euclid(1000));
    let limit = check.limit(filters.limit);
    let before = match filters.cursor.as_deref() {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                check.fail("cursor", "must be the `next` of a previous page");
                None
            }
        },
    };
    check.finish()?;
    let mut items = state
        .store
        .audit_entries(&AuditQuery {
            company: Some(grant.company),
            actor: None,
            actor_name: actor,
            action,
            from,
            until,
            before,
            limit: limit + 1,
            ..AuditQuery::default()
        })
        .await?;
    let next = (items.len() > limit as usize).then(|| {
        items.truncate(limit as usize);
        items.last().map(|e| e.id.to_string())
    });
    Ok(Json(AuditList {
        items: items.iter().map(AuditItem::from).collect(),
        next: next.flatten(),
    }))
}
