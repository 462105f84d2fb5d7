//! What a call's metadata may hold, checked field by field.

use crate::marks::RecordingMark;
use crate::recording::Direction;
use crate::time::parse_rfc3339;
use crate::{PhoneNumber, ValidationError};

/// Metadata fields as received, before checking.
#[derive(Debug, Clone, Default)]
pub struct MetadataInput<'a> {
    pub started_at: Option<&'a str>,
    pub direction: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub duration_ms: Option<i64>,
    pub extension: Option<&'a str>,
    pub username: Option<&'a str>,
    pub team: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

/// Checked metadata of one recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub started_at_ms: i64,
    pub direction: Direction,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub duration_ms: Option<i64>,
    pub extension: Option<PhoneNumber>,
    pub username: Option<String>,
    pub team: Option<String>,
    pub external_id: Option<String>,
    /// Marks the phone system put on the timeline (captured calls only).
    pub marks: Vec<RecordingMark>,
}

/// The longest call the portal accepts: a day.
pub const MAX_DURATION_MS: i64 = 24 * 60 * 60 * 1000;

/// Checks every field and reports every problem at once.
pub fn validate_metadata(input: &MetadataInput<'_>) -> Result<Metadata, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let started_at_ms = match input.started_at {
        None => {
            errors.push(ValidationError::new("started_at", "is required"));
            None
        }
        Some(text) => {
            let parsed = parse_rfc3339(text);
            if parsed.is_none() {
                errors.push(ValidationError::new(
                    "started_at",
                    "must be an RFC 3339 time such as 2026-11-28T10:15:00Z",
                ));
            }
            parsed
        }
    };
    let direction = match input.direction.map(Direction::parse) {
        Some(Some(direction)) => Some(direction),
        _ => {
            errors.push(ValidationError::new(
                "direction",
                "must be inbound, outbound or internal",
            ));
            None
        }
    };
    let mut number = |field: &'static str, value: Option<&str>, required: bool| {
        let value = value.unwrap_or("");
        let parsed = if required {
            PhoneNumber::parse(field, value).map(Some)
        } else {
            PhoneNumber::parse_optional(field, value)
        };
        parsed.map_err(|e| errors.push(e)).ok().flatten()
    };
    let from = number("from", input.from, true);
    let to = number("to", input.to, true);
    let extension = number("extension", input.extension, false);
    if let Some(duration) = input.duration_ms {
        if !(0..=MAX_DURATION_MS).contains(&duration) {
            errors.push(ValidationError::new(
                "duration_ms",
                "must be between 0 and 86400000",
            ));
        }
    }
    let mut text = |field: &'static str, value: Option<&str>, max: usize| -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max || value.chars().any(char::is_control) {
            errors.push(ValidationError::new(
                field,
                format!("must be at most {max} printable characters"),
            ));
            return None;
        }
        Some(value.to_string())
    };
    let username = text("username", input.username, 64);
    let team = text("team", input.team, 100);
    let external_id = text("external_id", input.external_id, 128);
    match (started_at_ms, direction, from, to) {
        (Some(started_at_ms), Some(direction), Some(from), Some(to)) if errors.is_empty() => {
            Ok(Metadata {
                started_at_ms,
                direction,
                from,
                to,
                duration_ms: input.duration_ms,
                extension,
                username,
                team,
                external_id,
                marks: Vec::new(),
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_checked_field_by_field() {
        let good = MetadataInput {
            started_at: Some("2026-11-28T10:15:30Z"),
            direction: Some("inbound"),
            from: Some("+44 20 7946 0000"),
            to: Some("2001"),
            duration_ms: Some(61_000),
            external_id: Some("pbx-42"),
            ..MetadataInput::default()
        };
        let metadata = validate_metadata(&good).unwrap();
        assert_eq!(
            (metadata.from.as_str(), metadata.to.as_str()),
            ("+442079460000", "2001")
        );
        assert_eq!(metadata.external_id.as_deref(), Some("pbx-42"));
        let bad = MetadataInput {
            started_at: Some("yesterday"),
            direction: Some("sideways"),
            from: None,
            to: Some("x"),
            duration_ms: Some(-1),
            username: Some(&"u".repeat(65)),
            ..MetadataInput::default()
        };
        let fields: Vec<_> = validate_metadata(&bad)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "started_at",
                "direction",
                "from",
                "to",
                "duration_ms",
                "username"
            ]
        );
        let fields: Vec<_> = validate_metadata(&MetadataInput::default())
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["started_at", "direction", "from", "to"]);
    }
}
