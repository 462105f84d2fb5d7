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

/// One attribute's definition (RFC 7643 §7): its name, type, whether it
/// is required, its mutability, what it holds, and its sub-attributes
/// (a complex one; multi-valued when `multi`).
struct Attr {
    name: &'static str,
    kind: &'static str,
    required: bool,
    mutability: &'static str,
    description: &'static str,
    multi: bool,
    subs: &'static [Attr],
    /// "server" for a value unique in the portal or company.
    uniqueness: &'static str,
    /// What a reference points at.
    refers_to: &'static str,
}

const fn attr(
    name: &'static str,
    kind: &'static str,
    required: bool,
    mutability: &'static str,
    description: &'static str,
) -> Attr {
    Attr {
        name,
        kind,
        required,
        mutability,
        description,
        multi: false,
        subs: &[],
        uniqueness: "none",
        refers_to: "",
    }
}

/// `attribute`, unique (in the portal, or in its company).
const fn unique(attribute: Attr) -> Attr {
    Attr {
        uniqueness: "server",
        ..attribute
    }
}

/// A reference to a resource of type `to`.
const fn reference(name: &'static str, mutability: &'static str, to: &'static str) -> Attr {
    Attr {
        refers_to: to,
        ..attr(name, "reference", false, mutability, to)
    }
}

const fn complex(
    name: &'static str,
    multi: bool,
    mutability: &'static str,
    description: &'static str,
    subs: &'static [Attr],
) -> Attr {
    Attr {
        kind: "complex",
        multi,
        subs,
        ..attr(name, "complex", false, mutability, description)
    }
}

const USER_ATTRIBUTES: &[Attr] = &[
    unique(attr(
        "userName",
        "string",
        true,
        "readWrite",
        "The sign-in name: 3 to 64 letters, digits and . _ - @, unique in the portal",
    )),
    complex(
        "name",
        false,
        "readOnly",
        "The name shown (from displayName, else the given and family names)",
        &[attr(
            "formatted",
            "string",
            false,
            "readOnly",
            "The name shown",
        )],
    ),
    attr(
        "displayName",
        "string",
        true,
        "readWrite",
        "The name shown, at most 100 characters",
    ),
    complex(
        "emails",
        true,
        "readWrite",
        "One address is kept: the primary one, else the first",
        &[attr("value", "string", false, "readWrite", "The address")],
    ),
    attr(
        "active",
        "boolean",
        true,
        "readWrite",
        "false disables the user and ends their sessions",
    ),
    complex(
        "groups",
        true,
        "readOnly",
        "The user's team",
        &[
            attr("value", "string", false, "readOnly", "The team's id"),
            reference("$ref", "readOnly", "Group"),
            attr("display", "string", false, "readOnly", "The team's name"),
            attr("type", "string", false, "readOnly", "direct"),
        ],
    ),
];

const GROUP_ATTRIBUTES: &[Attr] = &[
    unique(attr("displayName", "string", true, "readWrite", "The team's name, unique in the company")),
    complex("members", true, "readWrite", "Team and Staff users; each belongs to one team, and those who leave go to the company's team for new people", &[
        attr("value", "string", false, "immutable", "The user's id"),
        reference("$ref", "immutable", "User"),
    ]),
];

fn definition(attribute: &Attr) -> Value {
    let mut value = json!({
        "name": attribute.name,
        "type": attribute.kind,
        "multiValued": attribute.multi,
        "description": attribute.description,
        "required": attribute.required,
        "caseExact": false,
        "mutability": attribute.mutability,
        "returned": "default",
        "uniqueness": attribute.uniqueness,
    });
    match attribute.kind {
        "complex" => value["subAttributes"] = attribute.subs.iter().map(definition).collect(),
        "reference" => value["referenceTypes"] = json!([attribute.refers_to]),
        _ => {}
    }
    value
}

fn schema(id: &str, base: &str) -> Option<Value> {
    let (name, attributes) = match id {
        USER_SCHEMA => ("User", USER_ATTRIBUTES),
        GROUP_SCHEMA => ("Group", GROUP_ATTRIBUTES),
        _ => return None,
    };
    let attributes: Vec<Value> = attributes.iter().map(definition).collect();
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
