//! The API's OpenAPI description, made by utoipa from the handlers'
//! `#[utoipa::path]` and the types they return, so it cannot drift from
//! them. Served at `/api/v1/openapi.json` and rendered at `/api/docs`.

use super::{
    audit, directory, ingest, notes, params, recordings, transcripts, ErrorBody, FieldError,
};
use crate::urls::Route;
use axum::http::header;
use axum::response::IntoResponse;
use callrec_domain::api_scope::ApiScope;
use callrec_domain::audit::AuditAction;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "callrec API",
        version = "1",
        description = "Read and send a company's recorded calls, users, teams and audit log. \
            Authenticate with an API token (the API tokens page, or `callrec token create`) as \
            `Authorization: Bearer <token>`. A token acts for its company with exactly its \
            scopes: ingest, recordings:read, recordings:download, directory:read, audit:read, \
            notes:read, notes:write, transcripts:read. \
            What is outside them answers 404, as another company's ids do. \
            Errors are JSON with a stable `code`. Times are RFC 3339 in UTC."
    ),
    paths(
        ingest::ingest,
        recordings::list,
        recordings::one,
        recordings::audio,
        notes::list,
        notes::add,
        transcripts::one,
        directory::users,
        directory::teams,
        audit::entries,
    ),
    components(schemas(ErrorBody, FieldError, params::DirectionParam)),
    modifiers(&TokenScheme, &AuditActionCodes),
    tags(
        (name = "Ingest", description = "Send recordings (scope ingest)"),
        (name = "Recordings", description = "Search and read recordings (recordings:read) and their audio (recordings:download)"),
        (name = "Notes", description = "Notes at a moment of a call: read (notes:read) and add (notes:write)"),
        (name = "Transcripts", description = "What was said in a call, by speaker and time (transcripts:read)"),
        (name = "Directory", description = "Users and teams (directory:read)"),
        (name = "Audit", description = "The audit log (audit:read)"),
    )
)]
pub(crate) struct ApiDoc;

/// The bearer scheme every operation names.
struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scopes: Vec<&str> = ApiScope::ALL.iter().map(|s| s.code()).collect();
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(format!(
                "An API token; its scopes are some of: {}",
                scopes.join(", ")
            )))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// The audit log's `action` filter takes the catalogue's event codes:
/// listed in the description, so a client (and schemathesis) knows which.
struct AuditActionCodes;

impl Modify for AuditActionCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.code()).collect();
        let listed = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(codes))
            .build();
        let parameters = openapi
            .paths
            .paths
            .get_mut(Route::ApiAudit.path())
            .and_then(|item| item.get.as_mut())
            .and_then(|get| get.parameters.as_mut());
        for parameter in parameters.into_iter().flatten() {
            if parameter.name == "action" {
                parameter.schema = Some(listed.clone().into());
            }
        }
    }
}

/// The description, made once.
pub(crate) static SPEC: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::to_value(ApiDoc::openapi()).expect("the description serialises"));

/// The description as JSON text, made once.
static DESCRIPTION: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string_pretty(&*SPEC).expect("the description serialises"));

/// `GET /api/v1/openapi.json`: public, like any API's reference.
pub(crate) async fn description() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DESCRIPTION.as_str(),
    )
}
