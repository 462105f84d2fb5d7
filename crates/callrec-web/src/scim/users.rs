//! `/scim/v2/Users`: a company's Team and Staff users as SCIM's User.

use super::{
    attribute, body, created, id_of, list_of, list_request, optional_text, patch, scim_bool, shown,
    Scim, ScimCaller, ScimFailure, USER_SCHEMA,
};
use crate::form::QueryData;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use callrec_app::scim::{create_user, delete_user, replace_user};
use callrec_domain::time::format_rfc3339;
use callrec_domain::{DisplayName, Email, UserId, Username};
use callrec_store::{ScimUser, ScimUserFields, USER_FILTERS};
use serde_json::{json, Value};

/// The attributes a User has here, in their canonical case.
const ATTRIBUTES: &[&str] = &[
    "userName",
    "displayName",
    "name",
    "emails",
    "active",
    "externalId",
];

/// The user as SCIM shows it.
pub(super) fn resource(user: &ScimUser, base: &str) -> Value {
    let u = &user.user;
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id.0.to_string(),
        "userName": u.username,
        "displayName": u.display_name,
        "name": { "formatted": u.display_name },
        "active": u.enabled,
        "meta": {
            "resourceType": "User",
            "created": format_rfc3339(u.created_at),
            "lastModified": format_rfc3339(user.updated_at),
            "location": format!("{base}/Users/{}", u.id.0),
        },
    });
    if let Some(email) = &u.email {
        resource["emails"] = json!([{ "value": email }]);
    }
    if let Some(external) = &user.external_id {
        resource["externalId"] = json!(external);
    }
    if let (Some(team), Some(name)) = (u.team_id, &u.team_name) {
        resource["groups"] = json!([{
            "value": team.0.to_string(),
            "display": name,
            "$ref": format!("{base}/Groups/{}", team.0),
            "type": "direct",
        }]);
    }
    resource
}

/// A User as sent (POST, PUT, or after a PATCH): what the portal keeps of
/// it, checked.
fn fields(value: &Value) -> Result<ScimUserFields, ScimFailure> {
    let get = |name: &str| attribute(value, name);
    let username = get("userName")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimFailure::value("userName is required"))?;
    let username = Username::parse(username)
        .map_err(|err| ScimFailure::value(format!("userName: {}", err.message)))?;
    let name = get("name");
    let composed = name.and_then(|name| {
        let part = |key: &str| {
            name.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let joined = format!("{} {}", part("givenName"), part("familyName"));
        Some(joined.trim().to_string()).filter(|j| !j.is_empty())
    });
    let shown = get("displayName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            name.and_then(|n| n.get("formatted"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or(composed)
        .unwrap_or_else(|| username.as_str().to_string());
    let display_name = DisplayName::parse(&shown)
        .map_err(|err| ScimFailure::value(format!("displayName: {}", err.message)))?;
    let email = match get("emails") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let primary = items
                .iter()
                .find(|item| item.get("primary").and_then(scim_bool) == Some(true))
                .or_else(|| items.first());
            match primary
                .and_then(|item| item.get("value"))
                .and_then(Value::as_str)
            {
                Some(address) => Email::parse_optional(address)
                    .map_err(|err| ScimFailure::value(format!("emails: {}", err.message)))?,
                None => None,
            }
        }
        Some(_) => return Err(ScimFailure::value("emails is a list")),
    };
    let enabled = match get("active") {
        None | Some(Value::Null) => true,
        Some(value) => {
            scim_bool(value).ok_or_else(|| ScimFailure::value("active is true or false"))?
        }
    };
    Ok(ScimUserFields {
        username,
        display_name,
        email,
        enabled,
        external_id: optional_text(get("externalId"), "externalId")?,
    })
}

pub(super) async fn list_users(
    state: &AppState,
    caller: &ScimCaller,
    query: &crate::form::FormData,
) -> Result<Scim, ScimFailure> {
    let (clauses, paging) = list_request(query, USER_FILTERS)?;
    let (total, users) = state
        .store
        .scim_users(
            caller.grant.company,
            &clauses,
            paging.offset(),
            paging.count,
        )
        .await?;
    let resources = users
        .iter()
        .map(|u| shown(resource(u, &caller.base), query))
        .collect();
    Ok(list_of(total, paging.start_index, resources))
}

pub(super) async fn list(
    State(state): State<AppState>,
    caller: ScimCaller,
    QueryData(query): QueryData,
) -> Result<Scim, ScimFailure> {
    list_users(&state, &caller, &query).await
}

pub(super) async fn search(
    State(state): State<AppState>,
    caller: ScimCaller,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let query = super::search_query(&bytes)?;
    list_users(&state, &caller, &query).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    caller: ScimCaller,
    bytes: Bytes,
) -> Result<Response, ScimFailure> {
    let fields = fields(&body(&bytes)?)?;
    let user = create_user(&caller.provisioner(&state), &state.passwords, fields).await?;
    Ok(created(resource(&user, &caller.base)))
}

async fn current(state: &AppState, caller: &ScimCaller, id: &str) -> Result<ScimUser, ScimFailure> {
    let id = UserId(id_of(id, "user")?);
    state
        .store
        .scim_user(caller.grant.company, id)
        .await?
        .ok_or_else(|| ScimFailure::not_found("user"))
}

pub(super) async fn read(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    QueryData(query): QueryData,
) -> Result<Scim, ScimFailure> {
    let user = current(&state, &caller, &id).await?;
    Ok(Scim(
        StatusCode::OK,
        shown(resource(&user, &caller.base), &query),
    ))
}

pub(super) async fn replace(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let user = current(&state, &caller, &id).await?;
    let fields = fields(&body(&bytes)?)?;
    let user = replace_user(&caller.provisioner(&state), user.user.id, fields).await?;
    Ok(Scim(StatusCode::OK, resource(&user, &caller.base)))
}

pub(super) async fn patch(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let message = body(&bytes)?;
    let user = current(&state, &caller, &id).await?;
    let mut changed = resource(&user, &caller.base);
    // The kept address is the work one, for `emails[type eq "work"]`.
    if let Some(Value::Array(emails)) = changed.get_mut("emails") {
        for email in emails.iter_mut() {
            email["type"] = json!("work");
        }
    }
    patch::apply(&mut changed, &message, ATTRIBUTES, &["emails"])?;
    // A name changed only as name.formatted is the name shown.
    let formatted = changed["name"]["formatted"].as_str().map(str::to_string);
    if changed["displayName"] == json!(user.user.display_name) {
        if let Some(formatted) = formatted.filter(|f| *f != user.user.display_name) {
            changed["displayName"] = json!(formatted);
        }
    }
    let fields = fields(&changed)?;
    let user = replace_user(&caller.provisioner(&state), user.user.id, fields).await?;
    Ok(Scim(StatusCode::OK, resource(&user, &caller.base)))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimFailure> {
    let user = current(&state, &caller, &id).await?;
    delete_user(&caller.provisioner(&state), user.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
