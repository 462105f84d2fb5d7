//! SCIM 2.0 (RFC 7643/7644) as the portal reads it: the `filter` of a
//! list (an attribute, `eq`, a value; clauses joined by `and`), the
//! paging, and the operations of a PATCH — parsed once, refused with the
//! RFC's `scimType`.

use std::fmt;

/// Why a SCIM request is refused (RFC 7644 §3.12 `scimType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub kind: ScimErrorKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimErrorKind {
    InvalidFilter,
    InvalidSyntax,
    InvalidPath,
    InvalidValue,
    Mutability,
    Uniqueness,
    NoTarget,
    TooMany,
}

impl ScimErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ScimErrorKind::InvalidFilter => "invalidFilter",
            ScimErrorKind::InvalidSyntax => "invalidSyntax",
            ScimErrorKind::InvalidPath => "invalidPath",
            ScimErrorKind::InvalidValue => "invalidValue",
            ScimErrorKind::Mutability => "mutability",
            ScimErrorKind::Uniqueness => "uniqueness",
            ScimErrorKind::NoTarget => "noTarget",
            ScimErrorKind::TooMany => "tooMany",
        }
    }

    /// The HTTP status it is answered with.
    pub fn status(self) -> u16 {
        match self {
            ScimErrorKind::Uniqueness => 409,
            _ => 400,
        }
    }
}

impl ScimError {
    pub fn new(kind: ScimErrorKind, detail: impl Into<String>) -> ScimError {
        ScimError {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)
    }
}

/// A value compared to: a string, or a boolean (`active eq true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    Text(String),
    Bool(bool),
}

/// One `ATTR eq VALUE` clause; the attribute lower-cased, without the
/// core schema's URN prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub attribute: String,
    pub value: FilterValue,
}

/// The longest filter read: lists are for provisioning lookups.
pub const MAX_FILTER_CHARS: usize = 1000;

/// A filter as `ATTR eq VALUE [and ATTR eq VALUE …]`, the attributes
/// checked against `known` (lower case). Other operators and `or` are
/// refused as invalidFilter, saying what is supported.
pub fn parse_filter(input: &str, known: &[&str]) -> Result<Vec<Clause>, ScimError> {
    let refuse = |why: String| Err(ScimError::new(ScimErrorKind::InvalidFilter, why));
    if input.len() > MAX_FILTER_CHARS {
        return refuse(format!("Filters are at most {MAX_FILTER_CHARS} characters"));
    }
    let mut tokens = tokens(input)?.into_iter().peekable();
    let mut clauses = Vec::new();
    loop {
        let Some(Token::Word(attribute)) = tokens.next() else {
            return refuse("A filter is ATTRIBUTE eq VALUE".into());
        };
        let attribute = strip_urn(&attribute.to_ascii_lowercase());
        if !known.contains(&attribute.as_str()) {
            return refuse(format!(
                "Filtering by {attribute} is not supported; use one of {}",
                known.join(", ")
            ));
        }
        match tokens.next() {
            Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => {}
            Some(Token::Word(op)) => {
                return refuse(format!("Only the eq operator is supported, not {op}"))
            }
            _ => return refuse("A filter is ATTRIBUTE eq VALUE".into()),
        }
        let value = match tokens.next() {
            Some(Token::Text(text)) => FilterValue::Text(text),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("true") => FilterValue::Bool(true),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("false") => {
                FilterValue::Bool(false)
            }
            _ => return refuse("The value of a filter is a quoted string, true or false".into()),
        };
        clauses.push(Clause { attribute, value });
        match tokens.next() {
            None => return Ok(clauses),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("and") => {}
            Some(_) => return refuse("Clauses of a filter are joined by and".into()),
        }
    }
}

enum Token {
    Word(String),
    Text(String),
}

fn tokens(input: &str) -> Result<Vec<Token>, ScimError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(escaped) => text.push(escaped),
                        None => break,
                    },
                    Some(other) => text.push(other),
                    None => {
                        return Err(ScimError::new(
                            ScimErrorKind::InvalidFilter,
                            "A quoted value is not closed",
                        ))
                    }
                }
            }
            out.push(Token::Text(text));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                if c == '(' || c == ')' || c == '[' || c == ']' {
                    return Err(ScimError::new(
                        ScimErrorKind::InvalidFilter,
                        "Grouping and value filters ([ ], ( )) are not supported; use ATTRIBUTE eq VALUE",
                    ));
                }
                word.push(c);
                chars.next();
            }
            out.push(Token::Word(word));
        }
    }
    Ok(out)
}

/// `urn:ietf:params:scim:schemas:core:2.0:User:userName` → `username`.
fn strip_urn(attribute: &str) -> String {
    match attribute.strip_prefix("urn:ietf:params:scim:schemas:core:2.0:") {
        Some(rest) => rest
            .split_once(':')
            .map_or(rest, |(_, attribute)| attribute)
            .to_string(),
        None => attribute.to_string(),
    }
}

/// A page of a list: `startIndex` from 1, `count` at most [`MAX_COUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub start_index: u64,
    pub count: u64,
}

pub const DEFAULT_COUNT: u64 = 100;
pub const MAX_COUNT: u64 = 200;

impl Paging {
    /// As the query gives them; less than 1 reads as 1, a negative count
    /// as 0, and more than the maximum as the maximum (RFC 7644 §3.4.2.4).
    pub fn parse(start_index: &str, count: &str) -> Result<Paging, ScimError> {
        let number = |text: &str, default: i64| -> Result<i64, ScimError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(default);
            }
            text.parse::<i64>().map_err(|_| {
                ScimError::new(
                    ScimErrorKind::InvalidValue,
                    "startIndex and count are whole numbers",
                )
            })
        };
        let start = number(start_index, 1)?.max(1) as u64;
        let count = (number(count, DEFAULT_COUNT as i64)?.max(0) as u64).min(MAX_COUNT);
        Ok(Paging {
            start_index: start,
            count,
        })
    }

    /// The rows to skip.
    pub fn offset(self) -> u64 {
        self.start_index - 1
    }
}

/// A PATCH operation's verb (case-insensitive on the wire: Entra ID sends
/// `Replace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

impl PatchOp {
    pub fn parse(op: &str) -> Result<PatchOp, ScimError> {
        match op.to_ascii_lowercase().as_str() {
            "add" => Ok(PatchOp::Add),
            "replace" => Ok(PatchOp::Replace),
            "remove" => Ok(PatchOp::Remove),
            other => Err(ScimError::new(
                ScimErrorKind::InvalidSyntax,
                format!("A PATCH op is add, replace or remove, not {other}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &[&str] = &["username", "emails.value", "externalid", "id", "active"];

    #[test]
    fn filters_of_provisioning_lookups_are_read() {
        let clauses = parse_filter(r#"userName eq "Ann@Example.com""#, USER).unwrap();
        assert_eq!(
            clauses,
            vec![Clause {
                attribute: "username".into(),
                value: FilterValue::Text("Ann@Example.com".into())
            }]
        );
        let clauses = parse_filter(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:emails.value EQ "a\"b" and active eq TRUE"#,
            USER,
        )
        .unwrap();
        assert_eq!(clauses[0].attribute, "emails.value");
        assert_eq!(clauses[0].value, FilterValue::Text("a\"b".into()));
        assert_eq!(clauses[1].value, FilterValue::Bool(true));
        assert_eq!(
            parse_filter(r#"externalId eq "x""#, USER).unwrap()[0].attribute,
            "externalid"
        );
        for bad in [
            "",
            "userName",
            r#"userName co "a""#,
            r#"title eq "a""#,
            r#"userName eq "a" or id eq "b""#,
            r#"emails[value eq "a"]"#,
            r#"userName eq "open"#,
            "userName eq 42",
        ] {
            let err = parse_filter(bad, USER).unwrap_err();
            assert_eq!(err.kind, ScimErrorKind::InvalidFilter, "{bad}");
        }
        assert!(parse_filter(&"a".repeat(1001), USER).is_err());
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(
            Paging::parse("", "").unwrap(),
            Paging {
                start_index: 1,
                count: 100
            }
        );
        assert_eq!(
            Paging::parse("0", "-5").unwrap(),
            Paging {
                start_index: 1,
                count: 0
            }
        );
        assert_eq!(Paging::parse("11", "9999").unwrap().count, MAX_COUNT);
        assert_eq!(Paging::parse("11", "5").unwrap().offset(), 10);
        assert!(Paging::parse("x", "").is_err());
    }

    #[test]
    fn patch_verbs_as_providers_send_them() {
        assert_eq!(PatchOp::parse("Replace").unwrap(), PatchOp::Replace);
        assert!(PatchOp::parse("move").is_err());
    }
}
