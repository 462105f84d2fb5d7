//! `/api/docs`: the OpenAPI description as a readable page, rendered on
//! the server from the same description (no script, no CDN).

use super::openapi::SPEC;
use crate::error::AppError;
use askama::Template;
use axum::response::Html;
use serde_json::Value;
use std::sync::LazyLock;

pub(crate) struct Param {
    name: String,
    place: String,
    required: bool,
    kind: String,
    description: String,
}

pub(crate) struct Answer {
    status: String,
    description: String,
    body: String,
}

pub(crate) struct Operation {
    method: String,
    path: String,
    anchor: String,
    summary: String,
    description: String,
    scopes: String,
    params: Vec<Param>,
    body: String,
    answers: Vec<Answer>,
}

pub(crate) struct Field {
    name: String,
    kind: String,
    required: bool,
    description: String,
}

pub(crate) struct Schema {
    name: String,
    description: String,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage {
    title: String,
    description: String,
    operations: Vec<Operation>,
    schemas: Vec<Schema>,
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A schema in a few words: `string (date-time)`, `RecordingItem`,
/// `array of UserItem`, `one of inbound, outbound, internal`.
fn kind_of(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    if let Some(choices) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let kinds: Vec<String> = choices.iter().map(kind_of).collect();
        return kinds.join(" or ");
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        return format!("one of {}", names.join(", "));
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_string(),
    };
    let base = match schema.get("items") {
        Some(items) => base.replace("array", &format!("array of {}", kind_of(items))),
        None => base,
    };
    let mut notes = Vec::new();
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        notes.push(format.to_string());
    }
    for (key, word) in [("minimum", "≥"), ("maximum", "≤")] {
        if let Some(n) = schema.get(key) {
            notes.push(format!("{word} {n}"));
        }
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        notes.push(format!("matches {pattern}"));
    }
    if notes.is_empty() {
        base
    } else {
        format!("{base} ({})", notes.join(", "))
    }
}

fn body_of(content: Option<&Value>) -> String {
    let Some(Value::Object(types)) = content else {
        return String::new();
    };
    types
        .iter()
        .map(|(media, item)| match item.get("schema") {
            Some(schema) => format!("{media}: {}", kind_of(schema)),
            None => media.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    let Some(Value::Object(paths)) = spec.get("paths") else {
        return found;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let scopes = op
                .get("security")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("token").and_then(Value::as_array))
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: text(p, "name"),
                    place: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    kind: p.get("schema").map(kind_of).unwrap_or_default(),
                    description: text(p, "description"),
                })
                .collect();
            let answers = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, answer)| Answer {
                    status: status.clone(),
                    description: text(answer, "description"),
                    body: body_of(answer.get("content")),
                })
                .collect();
            found.push(Operation {
                method: method.to_uppercase(),
                anchor: format!("{method}{}", path.replace(['/', '{', '}'], "-")),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                scopes,
                params,
                body: body_of(op.get("requestBody").and_then(|b| b.get("content"))),
                answers,
            });
        }
    }
    found
}

fn schemas(spec: &Value) -> Vec<Schema> {
    let Some(Value::Object(schemas)) = spec.pointer("/components/schemas") else {
        return Vec::new();
    };
    schemas
        .iter()
        .map(|(name, schema)| {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields = schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(field, property)| Field {
                    name: field.clone(),
                    kind: kind_of(property),
                    required: required.contains(&field.as_str()),
                    description: text(property, "description"),
                })
                .collect();
            Schema {
                name: name.clone(),
                description: text(schema, "description"),
                fields,
            }
        })
        .collect()
}

/// The page, rendered once: the description does not change while the
/// portal runs.
static PAGE: LazyLock<Result<String, String>> = LazyLock::new(|| {
    DocsPage {
        title: text(&SPEC["info"], "title"),
        description: text(&SPEC["info"], "description"),
        operations: operations(&SPEC),
        schemas: schemas(&SPEC),
    }
    .render()
    .map_err(|e| e.to_string())
});

/// `GET /api/docs`.
pub(crate) async fn page() -> Result<Html<&'static str>, AppError> {
    PAGE.as_deref()
        .map(Html)
        .map_err(|e| AppError::Internal(e.clone()))
}
