//! One SIP message read from the wire (RFC 3261 §7): the start line and
//! headers by the ezk parsers (compact names, folded lines), the body as
//! bytes. A request the recording server cannot act on is an error that
//! says which 4xx to answer.

use bytes::Bytes;
use ezk_sip_types::header::typed::{CSeq, CallID, ContentLength, Via};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use ezk_sip_types::print::AppendCtx;
use ezk_sip_types::{Headers, Method, Name};
use std::fmt::Write as _;

/// The largest message accepted, head and body (a SIPREC INVITE with
/// metadata for a conference is a few kilobytes; UDP carries at most 64).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SipError {
    #[error("message larger than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    #[error("the message head is not complete")]
    Incomplete,
    #[error("not a SIP message: {0}")]
    Malformed(&'static str),
    #[error("the {0} header is missing or unreadable")]
    Header(&'static str),
}

/// A request, with what the server needs of it parsed once.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub uri: String,
    pub call_id: String,
    pub cseq: u32,
    pub cseq_method: Method,
    /// The topmost Via's branch (transaction id, RFC 3261 §17.2.3).
    pub branch: String,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    pub content_type: Option<String>,
    /// Header values in order, as received (echoed in responses).
    pub headers: Headers,
    pub body: Bytes,
}

/// A response (to a BYE this server sent), by its status only.
#[derive(Debug, Clone)]
pub struct Response {
    pub code: u16,
    pub call_id: String,
}

#[derive(Debug, Clone)]
pub enum Message {
    Request(Box<Request>),
    Response(Response),
}

/// Where the head ends and how long the body is, for stream transports
/// (TCP, TLS): `None` until the whole head is in `buffer`.
pub fn frame_length(buffer: &[u8]) -> Result<Option<usize>, SipError> {
    let head_end = match find_head_end(buffer) {
        Some(end) => end,
        None if buffer.len() > MAX_MESSAGE_BYTES => return Err(SipError::TooLarge),
        None => return Ok(None),
    };
    let (_, headers) = head(&buffer[..head_end])?;
    // RFC 3261 §18.3: over a stream Content-Length is mandatory.
    let length = headers
        .get_named::<ContentLength>()
        .map_err(|_| SipError::Header("Content-Length"))?
        .0;
    let total = head_end.saturating_add(length);
    if total > MAX_MESSAGE_BYTES {
        return Err(SipError::TooLarge);
    }
    Ok(Some(total))
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
        .or_else(|| {
            buffer
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|at| at + 2)
        })
}

/// Reads one whole message (a datagram, or a frame of a stream).
pub fn parse(bytes: &[u8]) -> Result<Message, SipError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(SipError::TooLarge);
    }
    let head_end = find_head_end(bytes).ok_or(SipError::Incomplete)?;
    let (line, headers) = head(&bytes[..head_end])?;
    let rest = &bytes[head_end..];
    let body = match headers.get_named::<ContentLength>() {
        Ok(ContentLength(length)) if length <= rest.len() => &rest[..length],
        Ok(_) => {
            return Err(SipError::Malformed(
                "the body is shorter than Content-Length",
            ))
        }
        // Over UDP the datagram ends the body (RFC 3261 §18.3).
        Err(_) => rest,
    };
    let call_id = headers
        .get_named::<CallID>()
        .map_err(|_| SipError::Header("Call-ID"))?
        .0
        .to_string();
    let request = match line {
        MessageLine::Response(status) => {
            return Ok(Message::Response(Response {
                code: status.code.into_u16(),
                call_id,
            }))
        }
        MessageLine::Request(request) => request,
    };
    let cseq = headers
        .get_named::<CSeq>()
        .map_err(|_| SipError::Header("CSeq"))?;
    let via = headers
        .get_named::<Vec<Via>>()
        .ok()
        .and_then(|vias| vias.into_iter().next())
        .ok_or(SipError::Header("Via"))?;
    let branch = via
        .params
        .get_val("branch")
        .map(|b| b.to_string())
        .ok_or(SipError::Header("Via"))?;
    let tag_of = |name: Name| {
        headers
            .get_raw(&name)
            .next()
            .and_then(|value| header_param(value, "tag"))
    };
    let from_tag = tag_of(Name::FROM);
    if headers.get_raw(&Name::FROM).next().is_none() {
        return Err(SipError::Header("From"));
    }
    if headers.get_raw(&Name::TO).next().is_none() {
        return Err(SipError::Header("To"));
    }
    let to_tag = tag_of(Name::TO);
    let content_type = headers
        .get_raw(&Name::CONTENT_TYPE)
        .next()
        .map(|v| v.to_string());
    Ok(Message::Request(Box::new(Request {
        method: request.method,
        uri: request.uri.default_print_ctx().to_string(),
        call_id,
        cseq: cseq.cseq,
        cseq_method: cseq.method,
        branch,
        from_tag,
        to_tag,
        content_type,
        headers,
        body: Bytes::copy_from_slice(body),
    })))
}

/// The start line and headers, folded lines joined (RFC 3261 §7.3.1).
fn head(bytes: &[u8]) -> Result<(MessageLine, Headers), SipError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SipError::Malformed("not UTF-8"))?;
    let src = Bytes::copy_from_slice(text.as_bytes());
    let text = std::str::from_utf8(&src).map_err(|_| SipError::Malformed("not UTF-8"))?;
    let mut lines = PullParser::new(src.as_ref(), 0);
    let first = lines
        .next()
        .ok_or(SipError::Malformed("empty"))?
        .map_err(|_| SipError::Incomplete)?;
    let first = &text[offset(text, first)..offset(text, first) + first.len()];
    let (_, line) = MessageLine::parse(&src)(first.trim_end())
        .map_err(|_| SipError::Malformed("the start line is not a SIP request or status"))?;
    let mut headers = Headers::new();
    for raw in lines {
        let raw = raw.map_err(|_| SipError::Incomplete)?;
        let at = offset(text, raw);
        let raw = text[at..at + raw.len()].trim_end_matches('\r');
        // A folded header is parsed from its own unfolded copy.
        let unfolded;
        let (line_src, line) = if raw.contains('\n') {
            unfolded = Bytes::from(unfold(raw));
            let line =
                std::str::from_utf8(&unfolded).map_err(|_| SipError::Malformed("not UTF-8"))?;
            (&unfolded, line)
        } else {
            (&src, raw)
        };
        let (_, header) = Line::parse(line_src, line)
            .map_err(|_| SipError::Malformed("a header line has no name"))?;
        let value = header.value.trim().to_string();
        headers.insert(header.name, value);
    }
    Ok((line, headers))
}

fn offset(text: &str, part: &[u8]) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

fn unfold(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (i, piece) in line.split('\n').enumerate() {
        let piece = piece.trim_end_matches('\r');
        if i == 0 {
            out.push_str(piece);
        } else {
            out.push(' ');
            out.push_str(piece.trim_start());
        }
    }
    out
}

/// A `;name=value` parameter of a header value, outside its `<…>` URI.
pub fn header_param(value: &str, name: &str) -> Option<String> {
    let after_uri = match value.rfind('>') {
        Some(at) => &value[at + 1..],
        None => value,
    };
    after_uri.split(';').skip(1).find_map(|param| {
        let (key, val) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| val.trim().trim_matches('"').to_string())
    })
}

impl Request {
    /// The first value of header `name`, if any.
    pub fn header(&self, name: &Name) -> Option<&str> {
        self.headers.get_raw(name).next().map(|v| v.as_str())
    }

    /// Whether a comma-separated header (`Require`, `Supported`) lists `option`.
    pub fn lists(&self, name: &Name, option: &str) -> bool {
        self.headers
            .get_raw(name)
            .flat_map(|v| v.split(','))
            .any(|o| o.trim().eq_ignore_ascii_case(option))
    }

    /// A response to this request: its Via, From, To, Call-ID and CSeq,
    /// `to_tag` added to To when it has none (RFC 3261 §8.2.6.2).
    pub fn response(&self, code: u16, reason: &str, to_tag: Option<&str>) -> ResponseBuilder {
        let mut head = format!("SIP/2.0 {code} {reason}\r\n");
        for (name, label) in [(Name::VIA, "Via"), (Name::FROM, "From")] {
            for value in self.headers.get_raw(&name) {
                let _ = write!(head, "{label}: {value}\r\n");
            }
        }
        let to = self.header(&Name::TO).unwrap_or_default();
        match (&self.to_tag, to_tag) {
            (None, Some(tag)) if code > 100 => {
                let _ = write!(head, "To: {to};tag={tag}\r\n");
            }
            _ => {
                let _ = write!(head, "To: {to}\r\n");
            }
        }
        let _ = write!(
            head,
            "Call-ID: {}\r\nCSeq: {} {}\r\nServer: callrec\r\n",
            self.call_id, self.cseq, self.cseq_method
        );
        ResponseBuilder { head }
    }
}

/// A response being written: more headers, then a body (or none).
pub struct ResponseBuilder {
    head: String,
}

impl ResponseBuilder {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let _ = write!(self.head, "{name}: {value}\r\n");
        self
    }

    pub fn body(self, content_type: Option<&str>, body: &str) -> Vec<u8> {
        let mut out = self.head;
        if let Some(kind) = content_type {
            let _ = write!(out, "Content-Type: {kind}\r\n");
        }
        let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
        out.into_bytes()
    }

    pub fn done(self) -> Vec<u8> {
        self.body(None, "")
    }
}

/// Whether this method is one the server answers at all.
pub fn is_known(method: &Method) -> bool {
    [
        Method::INVITE,
        Method::ACK,
        Method::BYE,
        Method::CANCEL,
        Method::OPTIONS,
        Method::UPDATE,
        Method::INFO,
    ]
    .contains(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        match parse(text.as_bytes()).unwrap() {
            Message::Request(request) => *request,
            Message::Response(_) => panic!("a request"),
        }
    }

    const INVITE: &str = "INVITE sip:srs@192.0.2.1 SIP/2.0\r\n\
        v: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK74bf9\r\n\
        f: <sip:src@example.com>;tag=9fxced76sl\r\n\
        t: <sip:srs@example.com>\r\n\
        i: 3848276298220188511@src.example.com\r\n\
        CSeq: 2 INVITE\r\n\
        Max-Forwards: 70\r\n\
        Require: timer,\r\n  siprec\r\n\
        l: 4\r\n\r\nbodyEXTRA";

    #[test]
    fn compact_names_folded_lines_and_the_body_by_its_length() {
        let invite = request(INVITE);
        assert_eq!(invite.method, Method::INVITE);
        assert_eq!(invite.call_id, "3848276298220188511@src.example.com");
        assert_eq!(
            (invite.cseq, invite.cseq_method.clone()),
            (2, Method::INVITE)
        );
        assert_eq!(invite.branch, "z9hG4bK74bf9");
        assert_eq!(invite.from_tag.as_deref(), Some("9fxced76sl"));
        assert_eq!(invite.to_tag, None);
        assert!(invite.lists(&Name::REQUIRE, "siprec"), "folded Require");
        assert!(!invite.lists(&Name::SUPPORTED, "siprec"));
        assert_eq!(&invite.body[..], b"body");
        let without = request(&INVITE.replace("Require: timer,\r\n  siprec\r\n", ""));
        assert!(!without.lists(&Name::REQUIRE, "siprec"));
    }

    #[test]
    fn a_response_echoes_the_request_and_tags_to() {
        let invite = request(INVITE);
        let text = String::from_utf8(invite.response(200, "OK", Some("abc")).done()).unwrap();
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
        assert!(
            text.contains("Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK74bf9\r\n"),
            "{text}"
        );
        assert!(
            text.contains("To: <sip:srs@example.com>;tag=abc\r\n"),
            "{text}"
        );
        assert!(
            text.contains("CSeq: 2 INVITE\r\n") && text.ends_with("Content-Length: 0\r\n\r\n"),
            "{text}"
        );
    }

    #[test]
    fn broken_messages_are_errors_not_panics() {
        for bad in [
            "",
            "INVITE\r\n\r\n",
            "HELLO WORLD\r\n\r\n",
            "INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n",
            "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: one INVITE\r\n\r\n",
            "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\nshort",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse(&vec![b'a'; MAX_MESSAGE_BYTES + 1]).unwrap_err(),
            SipError::TooLarge
        );
    }

    #[test]
    fn streams_are_framed_by_content_length() {
        let message = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
        assert_eq!(frame_length(&message.as_bytes()[..20]), Ok(None));
        assert_eq!(frame_length(message.as_bytes()), Ok(Some(message.len())));
        assert_eq!(
            frame_length(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"),
            Err(SipError::Header("Content-Length"))
        );
    }
}
