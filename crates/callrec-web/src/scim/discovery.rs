//! What the SCIM service offers (RFC 7644 §4): `/ServiceProviderConfig`,
//! `/ResourceTypes` and `/Schemas`, describing exactly the attributes the
//! portal keeps.

use super::{list_of, Scim, ScimCaller, ScimFailure, GROUP_SCHEMA, USER_SCHEMA};
use axum::extract::Path;
use axum::http::StatusCode;
use callrec_domain::scim::MAX_COUNT;
use serde_json::{json, Value};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub(super) async fn service_provider_config(caller: ScimCaller) -> Scim {
    Scim(
        StatusCode::OK,
        json!({
            "schemas": [CONFIG_SCHEMA],
            "documentationUri": "https://github.com/callrec/callrec/blob/main/docs/SSO.md",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": MAX_COUNT },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "API token",
                "description": "An API token of scope scim, made on the API tokens page, as Authorization: Bearer <token>",
                "primary": true,
            }],
            "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", caller.base) },
        }),
    )
}

fn resource_type(name: &str, base: &str) -> Option<Value> {
    let (endpoint, schema, description) = match name {
        "User" => ("/Users", USER_SCHEMA, "A Team or Staff user of the company"),
        "Group" => ("/Groups", GROUP_SCHEMA, "A team of the company"),
        _ => return None,
    };
    Some(json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "description": description,
        "endpoint": endpoint,
        "schema": schema,
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}") },
    }))
}

pub(super) async fn resource_types(caller: ScimCaller) -> Scim {
    let types = ["User", "Group"]
        .iter()
        .filter_map(|name| resource_type(name, &caller.base))
        .collect();
    list_of(2, 1, types)
}

pub(super) async fn resource_type_one(
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Scim, ScimFailure> {
    resource_type(&id, &caller.base)
        .map(|found| Scim(StatusCode::OK, found))
        .ok_or_else(|| ScimFailure::not_found("resource type"))
}

/// One attribute's definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, required: bool, mutability: &str, extra: Value) -> Value {
    let mut attribute = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Value::Object(attribute), Value::Object(extra)) = (&mut attribute, extra) {
        attribute.extend(extra);
    }
    attribute
}

fn schema(id: &str, base: &str) -> Option<Value> {
    let (name, attributes) = match id {
        USER_SCHEMA => (
            "User",
            vec![
                attribute(
                    "userName",
                    "string",
                    true,
                    "readWrite",
                    json!({ "uniqueness": "server", "description": "The sign-in name: 3 to 64 letters, digits and . _ - @, unique in the portal" }),
                ),
                attribute(
                    "name",
                    "complex",
                    false,
                    "readWrite",
                    json!({ "subAttributes": [
                    attribute("formatted", "string", false, "readWrite", json!({ "description": "The name shown" })),
                ] }),
                ),
                attribute(
                    "displayName",
                    "string",
                    false,
                    "readWrite",
                    json!({ "description": "The name shown, at most 100 characters" }),
                ),
                attribute(
                    "emails",
                    "complex",
                    false,
                    "readWrite",
                    json!({ "multiValued": true, "description": "The first (or primary) address is kept", "subAttributes": [
                    attribute("value", "string", false, "readWrite", json!({})),
                    attribute("type", "string", false, "readWrite", json!({ "canonicalValues": ["work"] })),
                    attribute("primary", "boolean", false, "readWrite", json!({})),
                ] }),
                ),
                attribute(
                    "active",
                    "boolean",
                    false,
                    "readWrite",
                    json!({ "description": "false disables the user and ends their sessions" }),
                ),
                attribute(
                    "groups",
                    "complex",
                    false,
                    "readOnly",
                    json!({ "multiValued": true, "description": "The user's team", "subAttributes": [
                    attribute("value", "string", false, "readOnly", json!({})),
                    attribute("$ref", "reference", false, "readOnly", json!({ "referenceTypes": ["Group"] })),
                    attribute("display", "string", false, "readOnly", json!({})),
                    attribute("type", "string", false, "readOnly", json!({ "canonicalValues": ["direct"] })),
                ] }),
                ),
            ],
        ),
        GROUP_SCHEMA => (
            "Group",
            vec![
                attribute(
                    "displayName",
                    "string",
                    true,
                    "readWrite",
                    json!({ "uniqueness": "server", "description": "The team's name, unique in the company" }),
                ),
                attribute(
                    "members",
                    "complex",
                    false,
                    "readWrite",
                    json!({ "multiValued": true, "description": "Team and Staff users; each belongs to one team", "subAttributes": [
                    attribute("value", "string", false, "immutable", json!({})),
                    attribute("$ref", "reference", false, "immutable", json!({ "referenceTypes": ["User"] })),
                    attribute("display", "string", false, "readOnly", json!({})),
                    attribute("type", "string", false, "immutable", json!({ "canonicalValues": ["User"] })),
                ] }),
                ),
            ],
        ),
        _ => return None,
    };
    Some(json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": format!("{name} as callrec keeps it"),
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    }))
}

pub(super) async fn schemas(caller: ScimCaller) -> Scim {
    let all = [USER_SCHEMA, GROUP_SCHEMA]
        .iter()
        .filter_map(|id| schema(id, &caller.base))
        .collect();
    list_of(2, 1, all)
}

pub(super) async fn schema_one(
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Scim, ScimFailure> {
    schema(&id, &caller.base)
        .map(|found| Scim(StatusCode::OK, found))
        .ok_or_else(|| ScimFailure::not_found("schema"))
}
