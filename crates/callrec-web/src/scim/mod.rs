//! SCIM 2.0 (RFC 7643/7644) at `/scim/v2`: a company's identity provider
//! keeps its Team and Staff users (`/Users`) and its teams (`/Groups`)
//! with an API token of scope `scim`. Answers are `application/scim+json`,
//! refusals SCIM's error messages. The token's rate limit is the API's.

mod discovery;
mod groups;
mod patch;
mod users;

use crate::api::{ApiCaller, ApiError};
use crate::error::AppError;
use crate::urls::Route;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::audit::AuditContext;
use callrec_app::scim::Provisioner;
use callrec_domain::api_scope::{ApiScope, TokenGrant};
use callrec_domain::scim::{ScimError, ScimErrorKind};
use serde_json::{json, Value};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            Route::ScimServiceProviderConfig.path(),
            get(discovery::service_provider_config),
        )
        .route(
            Route::ScimResourceTypes.path(),
            get(discovery::resource_types),
        )
        .route(
            Route::ScimResourceType.path(),
            get(discovery::resource_type_one),
        )
        .route(Route::ScimSchemas.path(), get(discovery::schemas))
        .route(Route::ScimSchema.path(), get(discovery::schema_one))
        .route(
            Route::ScimUsers.path(),
            get(users::list).post(users::create),
        )
        .route(
            Route::ScimUser.path(),
            get(users::read)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(Route::ScimSearch.path(), post(search_everything))
        .route(Route::ScimUsersSearch.path(), post(users::search))
        .route(Route::ScimGroupsSearch.path(), post(groups::search))
        .route(
            Route::ScimGroups.path(),
            get(groups::list).post(groups::create),
        )
        .route(
            Route::ScimGroup.path(),
            get(groups::read)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        // Anything else under /scim/v2 (`/.search`, a misspelt resource):
        // SCIM's own 404.
        .route(
            Route::ScimUnknown.path(),
            get(unknown)
                .post(unknown)
                .put(unknown)
                .patch(unknown)
                .delete(unknown),
        )
}

pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub(crate) const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The largest body read: a user or a team with its members.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// A SCIM answer: a status and a JSON body.
pub(crate) struct Scim(StatusCode, Value);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut response = (self.0, self.1.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        );
        response
    }
}

/// A refusal as SCIM's error message (RFC 7644 §3.12).
#[derive(Debug)]
pub(crate) struct ScimFailure {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimFailure {
    fn new(status: StatusCode, detail: impl Into<String>) -> ScimFailure {
        ScimFailure {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn not_found(what: &str) -> ScimFailure {
        ScimFailure::new(StatusCode::NOT_FOUND, format!("No such {what}"))
    }

    pub(crate) fn syntax(detail: impl Into<String>) -> ScimFailure {
        ScimError::new(ScimErrorKind::InvalidSyntax, detail).into()
    }

    pub(crate) fn value(detail: impl Into<String>) -> ScimFailure {
        ScimError::new(ScimErrorKind::InvalidValue, detail).into()
    }
}

impl From<ScimError> for ScimFailure {
    fn from(err: ScimError) -> ScimFailure {
        ScimFailure {
            status: StatusCode::from_u16(err.kind.status()).unwrap_or(StatusCode::BAD_REQUEST),
            scim_type: Some(err.kind.code()),
            detail: err.detail,
        }
    }
}

impl From<callrec_app::Error> for ScimFailure {
    fn from(err: callrec_app::Error) -> ScimFailure {
        match err {
            callrec_app::Error::Invalid(invalid) => ScimFailure::value(invalid.message),
            callrec_app::Error::Store(callrec_store::StoreError::NotFound) => {
                ScimFailure::not_found("resource")
            }
            callrec_app::Error::Store(callrec_store::StoreError::Conflict { what }) => {
                ScimError::new(
                    ScimErrorKind::Uniqueness,
                    format!("There is {what} already"),
                )
                .into()
            }
            callrec_app::Error::NotAllowed => ScimFailure::new(
                StatusCode::FORBIDDEN,
                "This token may not provision users: it needs the scope scim",
            ),
            other => ScimFailure::from(AppError::from(other)),
        }
    }
}

impl From<callrec_store::StoreError> for ScimFailure {
    fn from(err: callrec_store::StoreError) -> ScimFailure {
        ScimFailure::from(callrec_app::Error::from(err))
    }
}

impl From<AppError> for ScimFailure {
    fn from(err: AppError) -> ScimFailure {
        // Logged and answered as the portal answers a failure elsewhere,
        // without what went wrong inside.
        let status = err.into_response().status();
        ScimFailure::new(status, "The request could not be completed; try again")
    }
}

impl From<ApiError> for ScimFailure {
    fn from(err: ApiError) -> ScimFailure {
        let response = err.into_response();
        let status = response.status();
        let detail = match status {
            StatusCode::UNAUTHORIZED => {
                "Send a valid API token of scope scim as Authorization: Bearer <token>"
            }
            StatusCode::TOO_MANY_REQUESTS => "Too many requests with this token; slow down",
            _ => "The request could not be completed; try again",
        };
        let mut failure = ScimFailure::new(status, detail);
        if status == StatusCode::TOO_MANY_REQUESTS {
            failure.scim_type = None;
        }
        failure
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(kind) = self.scim_type {
            body["scimType"] = json!(kind);
        }
        let mut response = Scim(self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        response
    }
}

/// A request of a live token with scope `scim`: its company's provider.
pub(crate) struct ScimCaller {
    grant: TokenGrant,
    audit: AuditContext,
    /// Where resources live: `{CALLREC_PUBLIC_URL}/scim/v2`, else the path.
    base: String,
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimFailure> {
        let caller = ApiCaller::from_request_parts(parts, state).await?;
        let grant = caller.token.grant();
        if !grant.may(ApiScope::Scim) {
            return Err(ScimFailure::new(
                StatusCode::FORBIDDEN,
                "This token may not provision users: it needs the scope scim",
            ));
        }
        let base = format!(
            "{}/scim/v2",
            state
                .config
                .public_url
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('/')
        );
        Ok(ScimCaller {
            grant,
            audit: caller.audit(),
            base,
        })
    }
}

impl ScimCaller {
    pub(crate) fn provisioner<'a>(&self, state: &'a AppState) -> Provisioner<'a> {
        Provisioner {
            store: &state.store,
            grant: self.grant,
            audit: self.audit.clone(),
        }
    }
}

/// A search of every resource type at once (RFC 7644 §3.4.3) is not
/// offered: 501, as the RFC has it, saying where to search instead.
async fn search_everything(_caller: ScimCaller) -> ScimFailure {
    ScimFailure::new(
        StatusCode::NOT_IMPLEMENTED,
        "Search one resource type at a time: POST /Users/.search or /Groups/.search",
    )
}

async fn unknown() -> ScimFailure {
    ScimFailure::not_found("endpoint: the service offers /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas")
}

/// `attributes` and `excludedAttributes` of a query (RFC 7644 §3.9) on a
/// resource: `id`, `schemas` and `meta` always stay; `name.formatted`
/// style names reach one level down.
pub(crate) fn project(resource: &mut Value, query: &crate::form::FormData) {
    let names = |key: &str| -> Vec<String> {
        query
            .get(key)
            .split(',')
            .map(|name| {
                let name = name.trim();
                let name = name
                    .strip_prefix(USER_SCHEMA)
                    .or_else(|| name.strip_prefix(GROUP_SCHEMA))
                    .map_or(name, |rest| rest.trim_start_matches(':'));
                name.to_ascii_lowercase()
            })
            .filter(|name| !name.is_empty())
            .collect()
    };
    let (include, exclude) = (names("attributes"), names("excludedAttributes"));
    let Value::Object(map) = resource else {
        return;
    };
    let always = |key: &str| matches!(key, "id" | "schemas" | "meta");
    if !include.is_empty() {
        map.retain(|key, value| {
            let key = key.to_ascii_lowercase();
            if always(&key) || include.contains(&key) {
                return true;
            }
            let prefix = format!("{key}.");
            let subs: Vec<&str> = include
                .iter()
                .filter_map(|name| name.strip_prefix(&prefix))
                .collect();
            if let Value::Object(inner) = value {
                inner.retain(|sub, _| subs.contains(&sub.to_ascii_lowercase().as_str()));
            }
            !subs.is_empty()
        });
    }
    for name in &exclude {
        match name.split_once('.') {
            Some((head, sub)) => {
                if let Some(Value::Object(inner)) = map
                    .iter_mut()
                    .find(|(key, _)| key.eq_ignore_ascii_case(head))
                    .map(|(_, value)| value)
                {
                    inner.retain(|key, _| !key.eq_ignore_ascii_case(sub));
                }
            }
            None => map.retain(|key, _| always(key) || !key.eq_ignore_ascii_case(name)),
        }
    }
}

/// What a list's query asks: its filter's clauses (on `known`
/// attributes) and its page.
pub(crate) fn list_request(
    query: &crate::form::FormData,
    known: &[&str],
) -> Result<
    (
        Vec<callrec_domain::scim::Clause>,
        callrec_domain::scim::Paging,
    ),
    ScimFailure,
> {
    let clauses = match query.get("filter") {
        "" => Vec::new(),
        filter => callrec_domain::scim::parse_filter(filter, known)?,
    };
    let paging = callrec_domain::scim::Paging::parse(query.get("startIndex"), query.get("count"))?;
    Ok((clauses, paging))
}

/// `resource` as the query's `attributes` / `excludedAttributes` ask.
pub(crate) fn shown(mut resource: Value, query: &crate::form::FormData) -> Value {
    project(&mut resource, query);
    resource
}

/// 201 with the new resource and its `Location`.
pub(crate) fn created(resource: Value) -> Response {
    let location = resource["meta"]["location"].as_str().map(str::to_string);
    let mut response = Scim(StatusCode::CREATED, resource).into_response();
    if let Some(Ok(value)) = location.map(|l| l.parse()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Attribute `name` of a resource as sent, in any case.
pub(crate) fn attribute<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v)
}

/// A search request's body (RFC 7644 §3.4.3) as the query of a GET:
/// `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`.
pub(crate) fn search_query(bytes: &Bytes) -> Result<crate::form::FormData, ScimFailure> {
    let request = body(bytes)?;
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (key, value) in request.as_object().into_iter().flatten() {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            _ => continue,
        };
        pairs.append_pair(key, &text);
    }
    Ok(crate::form::FormData::parse(pairs.finish().as_bytes()))
}

/// A JSON body, read as SCIM's.
pub(crate) fn body(bytes: &Bytes) -> Result<Value, ScimFailure> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ScimError::new(
            ScimErrorKind::TooMany,
            format!("Bodies are at most {MAX_BODY_BYTES} bytes"),
        )
        .into());
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|err| ScimFailure::syntax(format!("The body is not JSON: {err}")))?;
    if !value.is_object() {
        return Err(ScimFailure::syntax("The body is a JSON object"));
    }
    Ok(value)
}

/// An id in a path: a whole number, else nothing is there.
pub(crate) fn id_of(text: &str, what: &str) -> Result<i64, ScimFailure> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ScimFailure::not_found(what))
}

/// A list answer (RFC 7644 §3.4.2).
pub(crate) fn list_of(total: i64, start_index: u64, resources: Vec<Value>) -> Scim {
    Scim(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// A boolean as providers send it: `true`, or Entra ID's `"True"`.
pub(crate) fn scim_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(on) => Some(*on),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An optional string attribute: absent or null is `None`.
pub(crate) fn optional_text(
    value: Option<&Value>,
    name: &str,
) -> Result<Option<String>, ScimFailure> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.chars().count() <= 255 => {
            Ok(Some(text.clone()).filter(|t| !t.is_empty()))
        }
        Some(_) => Err(ScimFailure::value(format!(
            "{name} is a string of at most 255 characters"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_providers_send_them() {
        assert_eq!(scim_bool(&json!("False")), Some(false));
        assert_eq!(scim_bool(&json!(true)), Some(true));
        assert_eq!(scim_bool(&json!(1)), None);
    }
}
