//! `/scim/v2/Groups`: a company's teams as SCIM's Group. A member is a
//! Team or Staff user of the company; each belongs to one team, so adding
//! a user to a group moves them there.

use super::{
    attribute, body, created, id_of, list_of, list_request, optional_text, patch, shown, Scim,
    ScimCaller, ScimFailure, GROUP_SCHEMA,
};
use crate::form::QueryData;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use callrec_app::scim::{change_group, create_group, delete_group, group, MemberChange};
use callrec_domain::time::format_rfc3339;
use callrec_domain::{TeamId, TeamName, UserId};
use callrec_store::{ScimGroup, GROUP_FILTERS};
use serde_json::{json, Value};

const ATTRIBUTES: &[&str] = &["displayName", "members", "externalId"];

/// At most this many members in one request: each is a write.
pub(super) const MAX_MEMBERS: usize = 1000;

pub(super) fn resource(group: &ScimGroup, base: &str) -> Value {
    let members: Vec<Value> = group
        .members
        .iter()
        // The member's name is not sent back: providers send none, and
        // compare a PATCH's answer with what they sent.
        .map(|(id, _)| {
            json!({
                "value": id.0.to_string(),
                "$ref": format!("{base}/Users/{}", id.0),
            })
        })
        .collect();
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.0.to_string(),
        "displayName": group.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": format_rfc3339(group.created_at),
            "lastModified": format_rfc3339(group.created_at),
            "location": format!("{base}/Groups/{}", group.id.0),
        },
    });
    if let Some(external) = &group.external_id {
        resource["externalId"] = json!(external);
    }
    resource
}

/// A Group as sent: its name, externalId and (when given) its members.
struct GroupFields {
    name: TeamName,
    external_id: Option<String>,
    members: Option<Vec<UserId>>,
}

fn fields(value: &Value) -> Result<GroupFields, ScimFailure> {
    let get = |name: &str| attribute(value, name);
    let name = get("displayName")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimFailure::value("displayName is required"))?;
    let name = TeamName::parse(name)
        .map_err(|err| ScimFailure::value(format!("displayName: {}", err.message)))?;
    let members = match get("members") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.len() > MAX_MEMBERS => {
            return Err(callrec_domain::scim::ScimError::new(
                callrec_domain::scim::ScimErrorKind::TooMany,
                format!("At most {MAX_MEMBERS} members in one request"),
            )
            .into())
        }
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| {
                    item.get("value")
                        .and_then(Value::as_str)
                        .and_then(|id| id.parse::<i64>().ok())
                        .map(UserId)
                        .ok_or_else(|| {
                            ScimFailure::value("Each member is {\"value\": \"<user id>\"}")
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(ScimFailure::value("members is a list")),
    };
    Ok(GroupFields {
        name,
        external_id: optional_text(get("externalId"), "externalId")?,
        members,
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    caller: ScimCaller,
    QueryData(query): QueryData,
) -> Result<Scim, ScimFailure> {
    list_groups(&state, &caller, &query).await
}

pub(super) async fn search(
    State(state): State<AppState>,
    caller: ScimCaller,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let query = super::search_query(&bytes)?;
    list_groups(&state, &caller, &query).await
}

async fn list_groups(
    state: &AppState,
    caller: &ScimCaller,
    query: &crate::form::FormData,
) -> Result<Scim, ScimFailure> {
    let (clauses, paging) = list_request(query, GROUP_FILTERS)?;
    let (total, groups) = state
        .store
        .scim_groups(
            caller.grant.company,
            &clauses,
            paging.offset(),
            paging.count,
        )
        .await?;
    let resources = groups
        .iter()
        .map(|g| shown(resource(g, &caller.base), query))
        .collect();
    Ok(list_of(total, paging.start_index, resources))
}

pub(super) async fn create(
    State(state): State<AppState>,
    caller: ScimCaller,
    bytes: Bytes,
) -> Result<Response, ScimFailure> {
    let fields = fields(&body(&bytes)?)?;
    let members = fields.members.unwrap_or_default();
    let made = create_group(
        &caller.provisioner(&state),
        &fields.name,
        fields.external_id.as_deref(),
        &members,
    )
    .await?;
    Ok(created(resource(&made, &caller.base)))
}

async fn current(
    state: &AppState,
    caller: &ScimCaller,
    id: &str,
) -> Result<ScimGroup, ScimFailure> {
    let id = TeamId(id_of(id, "group")?);
    Ok(group(&caller.provisioner(state), id).await?)
}

pub(super) async fn read(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    QueryData(query): QueryData,
) -> Result<Scim, ScimFailure> {
    let group = current(&state, &caller, &id).await?;
    Ok(Scim(
        StatusCode::OK,
        shown(resource(&group, &caller.base), &query),
    ))
}

/// Saves `fields` over `before`: members named are moved in, members no
/// longer named are asked out.
async fn save(
    state: &AppState,
    caller: &ScimCaller,
    before: &ScimGroup,
    fields: GroupFields,
) -> Result<Scim, ScimFailure> {
    let change = match fields.members {
        None => MemberChange::default(),
        Some(members) => MemberChange {
            remove: before
                .members
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| !members.contains(id))
                .collect(),
            add: members,
        },
    };
    let saved = change_group(
        &caller.provisioner(state),
        before.id,
        &fields.name,
        fields.external_id.as_deref(),
        &change,
    )
    .await?;
    Ok(Scim(StatusCode::OK, resource(&saved, &caller.base)))
}

pub(super) async fn replace(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let before = current(&state, &caller, &id).await?;
    let fields = fields(&body(&bytes)?)?;
    save(&state, &caller, &before, fields).await
}

pub(super) async fn patch(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Scim, ScimFailure> {
    let message = body(&bytes)?;
    let before = current(&state, &caller, &id).await?;
    let mut changed = resource(&before, &caller.base);
    patch::apply(&mut changed, &message, ATTRIBUTES, &["members"])?;
    let mut fields = fields(&changed)?;
    // A PATCH without members leaves them; `remove members` empties it.
    if changed.get("members").is_none() {
        fields.members = Some(Vec::new());
    }
    save(&state, &caller, &before, fields).await
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimFailure> {
    let group = current(&state, &caller, &id).await?;
    delete_group(&caller.provisioner(&state), group.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
