//! Query parameters of the read API, checked to exactly what the
//! description says: anything else is a 400 naming the parameter.

use super::ApiError;
use axum::extract::rejection::QueryRejection;
use callrec_domain::country::Country;
use callrec_domain::phone::search_digits;
use callrec_domain::recording::Direction;
use callrec_domain::time::parse_rfc3339;
use callrec_domain::ValidationError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which way a call went.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DirectionParam {
    Inbound,
    Outbound,
    Internal,
}

impl From<DirectionParam> for Direction {
    fn from(d: DirectionParam) -> Direction {
        match d {
            DirectionParam::Inbound => Direction::Inbound,
            DirectionParam::Outbound => Direction::Outbound,
            DirectionParam::Internal => Direction::Internal,
        }
    }
}

impl From<Direction> for DirectionParam {
    fn from(d: Direction) -> DirectionParam {
        match d {
            Direction::Inbound => DirectionParam::Inbound,
            Direction::Outbound => DirectionParam::Outbound,
            Direction::Internal => DirectionParam::Internal,
        }
    }
}

/// A query string that did not fit the parameters' types.
pub(crate) fn rejected(rejection: QueryRejection) -> ApiError {
    ApiError::bad_parameters(vec![ValidationError::new("query", rejection.body_text())])
}

/// Page size of lists when none is asked for.
pub(crate) const DEFAULT_LIMIT: u32 = 50;
pub(crate) const MAX_LIMIT: i64 = 200;

/// Collects every parameter's problem, so one answer names them all.
#[derive(Default)]
pub(crate) struct Checked {
    errors: Vec<ValidationError>,
}

impl Checked {
    pub fn fail(&mut self, field: &'static str, message: &str) {
        self.errors.push(ValidationError::new(field, message));
    }

    /// Words said: at most 200 characters without control characters,
    /// with a letter or digit among them — exactly the described pattern
    /// `^[^\x00-\x1F\x7F]*[0-9A-Za-z\u00C0-\u024F][^\x00-\x1F\x7F]*$`.
    pub fn said<'a>(&mut self, field: &'static str, value: Option<&'a str>) -> Option<&'a str> {
        let value = value?;
        let described = value.chars().count() <= 200
            && !value.chars().any(|c| c <= '\u{1F}' || c == '\u{7F}')
            && value
                .chars()
                .any(|c| c.is_ascii_alphanumeric() || ('\u{C0}'..='\u{24F}').contains(&c));
        if !described {
            self.fail(
                field,
                "must be words (up to 200 characters, a letter or digit among them)",
            );
            return None;
        }
        Some(value)
    }

    /// 1 to 32 digits.
    pub fn digits<'a>(&mut self, field: &'static str, value: Option<&'a str>) -> Option<&'a str> {
        let value = value?;
        if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
            self.fail(field, "must be 1 to 32 digits");
            return None;
        }
        Some(value)
    }

    /// A phone number as people type it, or part of one: the digits to
    /// look for (`search_digits`), national numbers read in `country`.
    pub fn number(
        &mut self,
        field: &'static str,
        value: Option<&str>,
        country: Country,
    ) -> Option<String> {
        let value = value?;
        // Exactly the described pattern, `^\+?[0-9][0-9 ().-]{0,30}$`.
        let rest = value.strip_prefix('+').unwrap_or(value);
        let described = rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().count() <= 31
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '.' | '-'));
        if !described {
            self.fail(
                field,
                "must be a phone number or part of one: digits, spaces, dashes, dots and brackets, with an optional leading +",
            );
            return None;
        }
        self.normalised(field, Some(value), country)
    }

    /// Digits already checked, read as a number of `country` (`07700…`
    /// finds `+447700…`).
    pub fn normalised(
        &mut self,
        field: &'static str,
        value: Option<&str>,
        country: Country,
    ) -> Option<String> {
        search_digits(field, value?, country).unwrap_or_else(|error| {
            self.fail(field, &error.message);
            None
        })
    }

    /// An RFC 3339 time, as Unix milliseconds.
    pub fn time(&mut self, field: &'static str, value: Option<&str>) -> Option<i64> {
        let value = value?;
        let parsed = parse_rfc3339(value);
        if parsed.is_none() {
            self.fail(
                field,
                "must be an RFC 3339 time such as 2026-11-28T09:30:00Z",
            );
        }
        parsed
    }

    /// A positive id.
    pub fn id(&mut self, field: &'static str, value: Option<i64>) -> Option<i64> {
        let value = value?;
        if value < 1 {
            self.fail(field, "must be a positive id");
            return None;
        }
        Some(value)
    }

    /// 1 to MAX_LIMIT, DEFAULT_LIMIT when not given.
    pub fn limit(&mut self, value: Option<i64>) -> u32 {
        match value {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n as u32,
            Some(_) => {
                self.fail("limit", "must be from 1 to 200");
                DEFAULT_LIMIT
            }
        }
    }

    /// Err with every problem found, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_parameters(self.errors))
        }
    }
}
