//! PATCH (RFC 7644 §3.5.2) applied to a resource as its JSON: the
//! operations change the resource the portal shows, and the result is read
//! again as a PUT would be, so one parser decides what is valid.
//! Paths: `attr`, `attr.sub`, and `attr[sub eq "v"]` (optionally `.sub`);
//! names case-insensitive; attributes the portal does not keep are
//! ignored, as a PUT ignores them.

use super::{ScimFailure, PATCH_SCHEMA};
use callrec_domain::scim::{parse_filter, FilterValue, PatchOp};
use serde_json::{Map, Value};

/// At most this many operations in one PATCH.
const MAX_OPERATIONS: usize = 100;

/// Applies the PatchOp message `message` to `resource`, whose attributes
/// are named by `attributes` (canonical case) and whose multi-valued ones
/// are `multi`.
pub(super) fn apply(
    resource: &mut Value,
    message: &Value,
    attributes: &[&str],
    multi: &[&str],
) -> Result<(), ScimFailure> {
    let schemas = message.get("schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|s| s == PATCH_SCHEMA)) {
        return Err(ScimFailure::syntax(format!(
            "A PATCH body names the schema {PATCH_SCHEMA}"
        )));
    }
    let operations = message
        .get("Operations")
        .or_else(|| message.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimFailure::syntax("A PATCH body has Operations"))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimFailure::syntax(format!(
            "At most {MAX_OPERATIONS} operations in one PATCH"
        )));
    }
    let object = resource
        .as_object_mut()
        .ok_or_else(|| ScimFailure::syntax("resource"))?;
    for operation in operations {
        let op = operation
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimFailure::syntax("Each operation has an op"))?;
        let op = PatchOp::parse(op)?;
        let value = operation.get("value").cloned();
        match operation.get("path").and_then(Value::as_str) {
            None | Some("") => {
                if op == PatchOp::Remove {
                    return Err(callrec_domain::scim::ScimError::new(
                        callrec_domain::scim::ScimErrorKind::NoTarget,
                        "A remove names its path",
                    )
                    .into());
                }
                let Some(Value::Object(values)) = value else {
                    return Err(ScimFailure::syntax(
                        "Without a path, the value is an object of attributes",
                    ));
                };
                for (name, value) in values {
                    // `name.formatted` style keys (Entra ID) are paths too.
                    set_path(object, &name, op, Some(value), attributes, multi)?;
                }
            }
            Some(path) => set_path(object, path, op, value, attributes, multi)?,
        }
    }
    Ok(())
}

fn canonical<'a>(name: &str, attributes: &[&'a str]) -> Option<&'a str> {
    let name = name
        .strip_prefix("urn:ietf:params:scim:schemas:core:2.0:User:")
        .or_else(|| name.strip_prefix("urn:ietf:params:scim:schemas:core:2.0:Group:"))
        .unwrap_or(name);
    attributes
        .iter()
        .find(|attribute| attribute.eq_ignore_ascii_case(name))
        .copied()
}

fn set_path(
    object: &mut Map<String, Value>,
    path: &str,
    op: PatchOp,
    value: Option<Value>,
    attributes: &[&str],
    multi: &[&str],
) -> Result<(), ScimFailure> {
    // attr[filter].sub, attr[filter], attr.sub, attr
    let (head, filter, sub) = match path.split_once('[') {
        Some((head, rest)) => {
            let (filter, after) = rest.split_once(']').ok_or_else(|| invalid_path(path))?;
            let sub = after.strip_prefix('.').filter(|s| !s.is_empty());
            (head, Some(filter), sub)
        }
        None => match path.split_once('.') {
            // The URN prefixes hold dots: split only a plain attribute.
            Some((head, sub)) if !path.starts_with("urn:") => (head, None, Some(sub)),
            _ => (path, None, None),
        },
    };
    let Some(name) = canonical(head, attributes) else {
        // An attribute the portal does not keep: ignored, as in a PUT.
        return Ok(());
    };
    let is_multi = multi.contains(&name);
    match (filter, sub) {
        (None, None) => match op {
            PatchOp::Remove => {
                object.remove(name);
            }
            PatchOp::Add if is_multi => {
                let items = as_items(value)?;
                let list = object
                    .entry(name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = list {
                    for item in items {
                        if !list.contains(&item) {
                            list.push(item);
                        }
                    }
                }
            }
            _ if is_multi => {
                object.insert(name.to_string(), Value::Array(as_items(value)?));
            }
            _ => {
                object.insert(name.to_string(), required(value)?);
            }
        },
        (None, Some(sub)) => {
            if is_multi {
                // `emails.value`: the sub-attribute of every item.
                if let Some(Value::Array(items)) = object.get_mut(name) {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        set_sub(item, sub, op, value.clone())?;
                    }
                } else if op != PatchOp::Remove {
                    let mut item = Map::new();
                    set_sub(&mut item, sub, op, value)?;
                    object.insert(name.to_string(), Value::Array(vec![Value::Object(item)]));
                }
            } else {
                let entry = object
                    .entry(name)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(inner) = entry {
                    set_sub(inner, sub, op, value)?;
                }
            }
        }
        (Some(filter), sub) => {
            if !is_multi {
                return Err(invalid_path(path));
            }
            let clauses = parse_filter(filter, &["value", "type", "display", "primary"])?;
            let matches = |item: &Value| {
                clauses.iter().all(|clause| {
                    let field = item
                        .as_object()
                        .and_then(|o| {
                            o.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(&clause.attribute))
                        })
                        .map(|(_, v)| v);
                    match (&clause.value, field) {
                        (FilterValue::Text(text), Some(Value::String(found))) => {
                            found.eq_ignore_ascii_case(text)
                        }
                        (FilterValue::Bool(on), Some(Value::Bool(found))) => on == found,
                        _ => false,
                    }
                })
            };
            let list = object
                .entry(name)
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = list else {
                return Err(invalid_path(path));
            };
            match (op, sub) {
                (PatchOp::Remove, None) => items.retain(|item| !matches(item)),
                (_, None) => {
                    let replacement = required(value)?;
                    items.retain(|item| !matches(item));
                    items.extend(match replacement {
                        Value::Array(new) => new,
                        one => vec![one],
                    });
                }
                (_, Some(sub)) => {
                    let mut found = false;
                    for item in items.iter_mut().filter(|item| matches(item)) {
                        found = true;
                        if let Some(item) = item.as_object_mut() {
                            set_sub(item, sub, op, value.clone())?;
                        }
                    }
                    if !found && op != PatchOp::Remove {
                        // `emails[type eq "work"].value` on a user with no
                        // work email: the item is made (Entra ID's way).
                        let mut item = Map::new();
                        for clause in &clauses {
                            if let FilterValue::Text(text) = &clause.value {
                                item.insert(clause.attribute.clone(), Value::String(text.clone()));
                            }
                        }
                        set_sub(&mut item, sub, op, value)?;
                        items.push(Value::Object(item));
                    }
                }
            }
        }
    }
    Ok(())
}

fn set_sub(
    item: &mut Map<String, Value>,
    sub: &str,
    op: PatchOp,
    value: Option<Value>,
) -> Result<(), ScimFailure> {
    let key = item
        .keys()
        .find(|k| k.eq_ignore_ascii_case(sub))
        .cloned()
        .unwrap_or_else(|| sub.to_string());
    if op == PatchOp::Remove {
        item.remove(&key);
    } else {
        item.insert(key, required(value)?);
    }
    Ok(())
}

fn as_items(value: Option<Value>) -> Result<Vec<Value>, ScimFailure> {
    match required(value)? {
        Value::Array(items) if items.len() > super::groups::MAX_MEMBERS => {
            Err(callrec_domain::scim::ScimError::new(
                callrec_domain::scim::ScimErrorKind::TooMany,
                format!(
                    "At most {} values in one operation",
                    super::groups::MAX_MEMBERS
                ),
            )
            .into())
        }
        Value::Array(items) => Ok(items),
        one => Ok(vec![one]),
    }
}

fn required(value: Option<Value>) -> Result<Value, ScimFailure> {
    value.ok_or_else(|| ScimFailure::syntax("An add or replace has a value"))
}

fn invalid_path(path: &str) -> ScimFailure {
    callrec_domain::scim::ScimError::new(
        callrec_domain::scim::ScimErrorKind::InvalidPath,
        format!("The path {path:?} cannot be read"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &[&str] = &[
        "userName",
        "displayName",
        "name",
        "emails",
        "active",
        "externalId",
    ];

    fn patch(resource: Value, operations: Value) -> Result<Value, ScimFailure> {
        let mut resource = resource;
        let message = json!({ "schemas": [PATCH_SCHEMA], "Operations": operations });
        apply(&mut resource, &message, USER, &["emails", "members"])?;
        Ok(resource)
    }

    #[test]
    fn entra_ids_patches_apply() {
        let user = json!({ "userName": "ann", "active": true, "emails": [{ "value": "a@x.com", "type": "work" }] });
        let done = patch(
            user.clone(),
            json!([{ "op": "Replace", "path": "active", "value": "False" }]),
        )
        .unwrap();
        assert_eq!(done["active"], json!("False"));
        let done = patch(user.clone(), json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com" }])).unwrap();
        assert_eq!(
            done["emails"],
            json!([{ "value": "b@x.com", "type": "work" }])
        );
        let done = patch(user.clone(), json!([{ "op": "add", "value": { "displayName": "Ann B", "name.formatted": "Ann B", "title": "ignored" } }])).unwrap();
        assert_eq!(done["displayName"], json!("Ann B"));
        assert_eq!(done["name"]["formatted"], json!("Ann B"));
        assert!(done.get("title").is_none());
        let done = patch(user, json!([{ "op": "remove", "path": "externalId" }, { "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "ann2" }])).unwrap();
        assert_eq!(done["userName"], json!("ann2"));
    }

    #[test]
    fn members_are_added_and_removed_by_filter() {
        let group = json!({ "displayName": "Sales", "members": [{ "value": "1" }] });
        let mut resource = group;
        let message = json!({ "schemas": [PATCH_SCHEMA], "Operations": [
            { "op": "add", "path": "members", "value": [{ "value": "2" }, { "value": "1" }] },
            { "op": "remove", "path": "members[value eq \"1\"]" },
        ]});
        apply(
            &mut resource,
            &message,
            &["displayName", "members"],
            &["members"],
        )
        .unwrap();
        assert_eq!(resource["members"], json!([{ "value": "2" }]));
    }

    #[test]
    fn malformed_patches_are_refused() {
        let user = json!({ "userName": "ann" });
        for operations in [
            json!([{ "op": "move", "path": "userName", "value": "x" }]),
            json!([{ "op": "remove" }]),
            json!([{ "op": "replace", "value": "x" }]),
            json!([{ "op": "replace", "path": "userName" }]),
            json!([{ "op": "replace", "path": "emails[type eq ]", "value": "x" }]),
        ] {
            assert!(
                patch(user.clone(), operations.clone()).is_err(),
                "{operations}"
            );
        }
        let mut resource = user;
        assert!(
            apply(&mut resource, &json!({ "Operations": [] }), USER, &[]).is_err(),
            "no schema"
        );
    }
}
