//! FreePBX's call recordings (Asterisk MixMonitor): what a file's name
//! says about its call, and what a row of FreePBX's CDR table adds.
//!
//! FreePBX names each file `KIND-A-B-YYYYMMDD-HHMMSS-UNIQUEID.EXT` in the
//! PBX's local time, where A and B depend on the kind (its dialplan,
//! `sub-record-check`):
//!
//! | kind | A | B | the call |
//! |---|---|---|---|
//! | `in` | the DID or extension dialled | the caller's number | inbound |
//! | `out` | the number dialled | the extension calling | outbound |
//! | `internal` | the extension dialled | the extension calling | internal |
//! | `q` | the queue | the caller's number | inbound, through a queue |
//! | `exten` | the extension dialled | the caller's number | to an extension: internal when the caller is one |

use crate::recording::Direction;

/// The kinds of FreePBX recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingKind {
    In,
    Out,
    Internal,
    Queue,
    Exten,
}

impl RecordingKind {
    fn parse(text: &str) -> Option<RecordingKind> {
        match text {
            "in" => Some(RecordingKind::In),
            "out" => Some(RecordingKind::Out),
            "internal" => Some(RecordingKind::Internal),
            "q" => Some(RecordingKind::Queue),
            "exten" => Some(RecordingKind::Exten),
            _ => None,
        }
    }
}

/// The longest number FreePBX uses for an extension here: longer
/// numbers are outside ones.
pub const EXTENSION_DIGITS: usize = 6;

fn is_extension(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= EXTENSION_DIGITS
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// What a FreePBX recording's file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingName {
    pub kind: RecordingKind,
    /// The call, as the portal records it.
    pub direction: Direction,
    /// The calling and the called number, as FreePBX wrote them (a caller
    /// who withheld their number is empty or a word such as `anonymous`).
    pub from: String,
    pub to: String,
    /// The extension of the portal user on the call, when one is.
    pub extension: Option<String>,
    /// The start in the PBX's local time, `YYYY-MM-DDTHH:MM:SS`.
    pub local_start: String,
    /// Asterisk's id of the call's channel (`1701090000.42`).
    pub uniqueid: String,
}

/// Why a name is not a FreePBX recording's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is not KIND-A-B-YYYYMMDD-HHMMSS-UNIQUEID.wav (FreePBX's)")]
    Shape,
    #[error("{0:?} is not a FreePBX recording kind (in, out, internal, q or exten)")]
    Kind(String),
    #[error("{0:?} is not a date and time (YYYYMMDD-HHMMSS)")]
    Time(String),
    #[error("{0:?} is not an Asterisk uniqueid (digits.digits)")]
    Uniqueid(String),
}

impl RecordingName {
    /// Reads a file name such as `in-2125551234-07700900123-20261120-093000-1763631000.17.wav`.
    pub fn parse(file_name: &str) -> Result<RecordingName, NameError> {
        let stem = file_name
            .rsplit_once('.')
            .filter(|(_, ext)| ext.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map_or(file_name, |(stem, _)| stem);
        // The uniqueid holds a dot: the extension was the last one only.
        let (kind, rest) = stem.split_once('-').ok_or(NameError::Shape)?;
        let kind = RecordingKind::parse(kind).ok_or_else(|| NameError::Kind(kind.to_string()))?;
        let mut tail = rest.rsplitn(4, '-');
        let (Some(uniqueid), Some(time), Some(date), Some(parties)) =
            (tail.next(), tail.next(), tail.next(), tail.next())
        else {
            return Err(NameError::Shape);
        };
        let (a, b) = parties.split_once('-').ok_or(NameError::Shape)?;
        let local_start =
            local_start(date, time).ok_or_else(|| NameError::Time(format!("{date}-{time}")))?;
        let id_ok = uniqueid.split_once('.').is_some_and(|(s, n)| {
            !s.is_empty()
                && !n.is_empty()
                && (s.bytes().chain(n.bytes())).all(|c| c.is_ascii_digit())
        });
        if !id_ok {
            return Err(NameError::Uniqueid(uniqueid.to_string()));
        }
        let (direction, from, to, extension) = match kind {
            RecordingKind::In | RecordingKind::Queue => (Direction::Inbound, b, a, None),
            RecordingKind::Out => (Direction::Outbound, b, a, Some(b)),
            RecordingKind::Internal => (Direction::Internal, b, a, Some(a)),
            RecordingKind::Exten if is_extension(b) => (Direction::Internal, b, a, Some(a)),
            RecordingKind::Exten => (Direction::Inbound, b, a, Some(a)),
        };
        Ok(RecordingName {
            kind,
            direction,
            from: from.to_string(),
            to: to.to_string(),
            extension: extension.filter(|e| is_extension(e)).map(str::to_string),
            local_start,
            uniqueid: uniqueid.to_string(),
        })
    }
}

fn local_start(date: &str, time: &str) -> Option<String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(date, 8) || !digits(time, 6) {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}",
        &date[..4],
        &date[4..6],
        &date[6..],
        &time[..2],
        &time[2..4],
        &time[4..]
    );
    // A real calendar time (no 31 February, no 25:00).
    text.parse::<jiff::civil::DateTime>().ok().map(|_| text)
}

/// The CDR columns the import reads (FreePBX's `asteriskcdrdb.cdr`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdrRow {
    pub src: String,
    pub dst: String,
    pub did: String,
    pub dcontext: String,
    /// Seconds from answer to hang-up.
    pub billsec: i64,
}

/// Dialplan contexts where calls from outside arrive.
const INBOUND_CONTEXTS: [&str; 4] = ["from-trunk", "from-pstn", "ext-did", "from-did-direct"];

impl RecordingName {
    /// The name's facts with the CDR's where it has them: its numbers (the
    /// DID rather than the extension it rang for inbound calls) and its
    /// direction by dialplan context.
    pub fn with_cdr(mut self, cdr: &CdrRow) -> RecordingName {
        let inbound = INBOUND_CONTEXTS.iter().any(|c| cdr.dcontext.starts_with(c));
        if inbound {
            self.direction = Direction::Inbound;
        } else if cdr.dcontext.starts_with("from-internal") {
            self.direction = if is_extension(&cdr.dst) {
                Direction::Internal
            } else {
                Direction::Outbound
            };
        }
        if !cdr.src.is_empty() {
            self.from = cdr.src.clone();
        }
        let to = if inbound && !cdr.did.is_empty() {
            &cdr.did
        } else {
            &cdr.dst
        };
        if !to.is_empty() {
            self.to = to.clone();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_name_gives_its_call() {
        let name =
            RecordingName::parse("in-2125551234-07700900123-20261120-093000-1763631000.17.wav")
                .unwrap();
        assert_eq!(
            name,
            RecordingName {
                kind: RecordingKind::In,
                direction: Direction::Inbound,
                from: "07700900123".into(),
                to: "2125551234".into(),
                extension: None,
                local_start: "2026-11-20T09:30:00".into(),
                uniqueid: "1763631000.17".into(),
            }
        );
        let out =
            RecordingName::parse("out-02079460000-2001-20261120-101500-1763633700.20.WAV").unwrap();
        assert_eq!(
            (
                out.direction,
                out.from.as_str(),
                out.to.as_str(),
                out.extension.as_deref()
            ),
            (Direction::Outbound, "2001", "02079460000", Some("2001"))
        );
        let internal = RecordingName::parse("internal-2002-2001-20261120-101500-1.2.wav").unwrap();
        assert_eq!(
            (
                internal.direction,
                internal.from.as_str(),
                internal.to.as_str(),
                internal.extension.as_deref()
            ),
            (Direction::Internal, "2001", "2002", Some("2002"))
        );
        let queue = RecordingName::parse("q-400-07700900123-20261120-101500-1.2.wav").unwrap();
        assert_eq!(
            (queue.direction, queue.to.as_str(), queue.extension),
            (Direction::Inbound, "400", None)
        );
        let from_outside =
            RecordingName::parse("exten-2001-07700900123-20261120-101500-1.2.wav").unwrap();
        assert_eq!(
            (from_outside.direction, from_outside.extension.as_deref()),
            (Direction::Inbound, Some("2001"))
        );
        let from_inside = RecordingName::parse("exten-2001-2002-20261120-101500-1.2.wav").unwrap();
        assert_eq!(from_inside.direction, Direction::Internal);
        // A withheld caller: the name has an empty part.
        let withheld = RecordingName::parse("in-2125551234--20261120-093000-1.2.wav").unwrap();
        assert_eq!(withheld.from, "");
    }

    #[test]
    fn other_names_say_what_is_wrong() {
        for (name, error) in [
            ("meeting.wav", NameError::Shape),
            (
                "rg-600-2001-20261120-093000-1.2.wav",
                NameError::Kind("rg".into()),
            ),
            (
                "in-1-2-20261131-093000-1.2.wav",
                NameError::Time("20261131-093000".into()),
            ),
            (
                "in-1-2-20261120-256000-1.2.wav",
                NameError::Time("20261120-256000".into()),
            ),
            (
                "in-1-2-20261120-093000-abc.wav",
                NameError::Uniqueid("abc".into()),
            ),
            (
                "in-1-2-20261120-093000-17.wav",
                NameError::Uniqueid("17".into()),
            ),
            ("in-20261120-093000-1.2.wav", NameError::Shape),
        ] {
            assert_eq!(RecordingName::parse(name), Err(error), "{name}");
        }
    }

    #[test]
    fn the_cdr_names_the_did_and_decides_the_direction() {
        let name = RecordingName::parse("exten-2001-07700900123-20261120-093000-1.2.wav").unwrap();
        let cdr = CdrRow {
            src: "+447700900123".into(),
            dst: "2001".into(),
            did: "+442079460000".into(),
            dcontext: "from-trunk".into(),
            billsec: 61,
        };
        let with = name.clone().with_cdr(&cdr);
        assert_eq!(
            (
                with.direction,
                with.from.as_str(),
                with.to.as_str(),
                with.extension.as_deref()
            ),
            (
                Direction::Inbound,
                "+447700900123",
                "+442079460000",
                Some("2001")
            )
        );
        let dialled_out = CdrRow {
            src: "2001".into(),
            dst: "02079460000".into(),
            dcontext: "from-internal".into(),
            ..CdrRow::default()
        };
        assert_eq!(
            name.clone().with_cdr(&dialled_out).direction,
            Direction::Outbound
        );
        let colleague = CdrRow {
            src: "2002".into(),
            dst: "2001".into(),
            dcontext: "from-internal".into(),
            ..CdrRow::default()
        };
        assert_eq!(
            name.clone().with_cdr(&colleague).direction,
            Direction::Internal
        );
        // An empty row changes nothing.
        assert_eq!(name.clone().with_cdr(&CdrRow::default()), name);
    }
}
