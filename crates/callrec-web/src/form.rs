//! Form bodies and query strings as name/value lists. Repeated names (the
//! Assigned roles listbox) are kept, which serde's urlencoded forms cannot do.

use crate::AppError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};

#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(input: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(input).into_owned().collect())
    }

    /// The first value for `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every field as typed, for a pop-up that sends the same form again
    /// ("Confirm it's you"), less the proof of an earlier try.
    pub fn resent(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(key, _)| key != "proof" && key != "confirming")
            .cloned()
            .collect()
    }

    /// A checkbox: present means on.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }

    /// A `0` or `1` field (a status toggle); anything else is a forged
    /// request.
    pub fn flag(&self, name: &str) -> Result<bool, AppError> {
        match self.get(name) {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(AppError::BadRequest(format!(
                "The field {name} must be 0 or 1."
            ))),
        }
    }

    /// An optional id-like number; empty means `None`, garbage is refused.
    pub fn optional_id(&self, name: &str) -> Result<Option<i64>, AppError> {
        let value = self.get(name).trim();
        if value.is_empty() {
            return Ok(None);
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("The field {name} must be a number.")))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::BadRequest(
                "Send this form as application/x-www-form-urlencoded.".into(),
            ));
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("The form is too large or was cut off.".into()))?;
        Ok(FormData::parse(&body))
    }
}

/// `?a=1&b=2` from pairs, leaving out empty values; "" when nothing is left.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.into_iter().filter(|(_, value)| !value.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}

/// The query string, parsed the same way.
#[derive(Debug, Default, Clone)]
pub struct QueryData(pub FormData);

impl<S: Send + Sync> FromRequestParts<S> for QueryData {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryData(FormData::parse(
            parts.uri.query().unwrap_or("").as_bytes(),
        )))
    }
}

impl std::ops::Deref for QueryData {
    type Target = FormData;
    fn deref(&self) -> &FormData {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_and_checkboxes() {
        let form = FormData::parse(b"roles=a&roles=b+c&name=%C3%A9&enabled=on&team=&n=x");
        assert_eq!(form.all("roles").collect::<Vec<_>>(), ["a", "b c"]);
        assert_eq!(form.get("name"), "é");
        assert_eq!(form.get("missing"), "");
        assert!(form.checked("enabled"));
        assert!(!form.checked("disabled"));
        assert_eq!(form.optional_id("team").unwrap(), None);
        assert!(form.optional_id("n").is_err());
    }
}
