//! A SIPREC request's body (RFC 7866 §9.1): the SDP offer and the
//! recording metadata, as two parts of `multipart/mixed`, or SDP alone
//! (a re-INVITE that changes only media), or metadata alone (an UPDATE).

use super::message::header_param;

/// The parts a recording server reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    pub sdp: Option<String>,
    pub metadata: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("the body is not UTF-8 text")]
    NotText,
    #[error("multipart/mixed without a boundary")]
    NoBoundary,
    #[error("a multipart part has no blank line after its headers")]
    BadPart,
    #[error("unsupported body type {0:?}")]
    Unsupported(String),
}

const SDP: &str = "application/sdp";
const METADATA: &str = "application/rs-metadata+xml";

/// Splits `body` by its Content-Type.
pub fn parts(content_type: Option<&str>, body: &[u8]) -> Result<Parts, BodyError> {
    let Some(content_type) = content_type else {
        return Ok(Parts::default());
    };
    if body.is_empty() {
        return Ok(Parts::default());
    }
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotText)?;
    let kind = media_type(content_type);
    let mut parts = Parts::default();
    match kind.as_str() {
        SDP => parts.sdp = Some(text.to_string()),
        METADATA => parts.metadata = Some(text.to_string()),
        "multipart/mixed" => {
            let boundary = header_param(&format!(">{content_type}"), "boundary")
                .filter(|b| !b.is_empty() && b.len() <= 70)
                .ok_or(BodyError::NoBoundary)?;
            for part in split(text, &boundary) {
                let (head, content) = part
                    .split_once("\r\n\r\n")
                    .or_else(|| part.split_once("\n\n"))
                    .ok_or(BodyError::BadPart)?;
                let part_type = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        let name = name.trim();
                        (name.eq_ignore_ascii_case("content-type") || name == "c")
                            .then(|| media_type(value))
                    })
                    .unwrap_or_default();
                match part_type.as_str() {
                    SDP if parts.sdp.is_none() => parts.sdp = Some(content.to_string()),
                    METADATA if parts.metadata.is_none() => {
                        parts.metadata = Some(content.to_string())
                    }
                    _ => {}
                }
            }
        }
        other => return Err(BodyError::Unsupported(other.to_string())),
    }
    Ok(parts)
}

/// `multipart/mixed` of `Multipart/Mixed ; boundary=x`.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The parts between `--boundary` lines (RFC 2046 §5.1.1), each without
/// the line break that belongs to the delimiter.
fn split<'t>(text: &'t str, boundary: &str) -> Vec<&'t str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pieces = text.split(delimiter.as_str());
    // Before the first delimiter: the preamble.
    pieces.next();
    for piece in pieces {
        if piece.starts_with("--") {
            break;
        }
        let piece = piece
            .strip_prefix("\r\n")
            .or_else(|| piece.strip_prefix('\n'))
            .unwrap_or(piece);
        let piece = piece
            .strip_suffix("\r\n")
            .or_else(|| piece.strip_suffix('\n'))
            .unwrap_or(piece);
        parts.push(piece);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdp_and_metadata_come_apart() {
        let body = "--foobar\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=x\r\n\r\n--foobar\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n<recording/>\r\n--foobar--\r\n";
        let parts = parts(Some("multipart/mixed;boundary=foobar"), body.as_bytes()).unwrap();
        assert_eq!(parts.sdp.as_deref(), Some("v=0\r\no=x\r\n"));
        assert_eq!(parts.metadata.as_deref(), Some("<recording/>"));
        let quoted = parts_of("Multipart/Mixed; boundary=\"foobar\"", body);
        assert_eq!(quoted.metadata.as_deref(), Some("<recording/>"));
    }

    fn parts_of(kind: &str, body: &str) -> Parts {
        parts(Some(kind), body.as_bytes()).unwrap()
    }

    #[test]
    fn bad_bodies_are_refused() {
        assert_eq!(
            parts(Some("multipart/mixed"), b"x"),
            Err(BodyError::NoBoundary)
        );
        assert_eq!(
            parts(
                Some("multipart/mixed;boundary=b"),
                b"--b\r\nno blank line--b--"
            ),
            Err(BodyError::BadPart)
        );
        assert!(matches!(
            parts(Some("text/plain"), b"x"),
            Err(BodyError::Unsupported(_))
        ));
        assert_eq!(parts(Some(SDP), &[0xff]), Err(BodyError::NotText));
        assert_eq!(parts_of(SDP, "v=0").sdp.as_deref(), Some("v=0"));
    }
}
