//! Recording metadata (RFC 7865, `application/rs-metadata+xml`): who took
//! part in the call and which media stream carries whose voice.
//!
//! Read with quick-xml by local names, so namespace prefixes do not
//! matter, and in both dialects SBCs send: the RFC's (`participant_id`,
//! `nameID aor`, `participantstreamassoc`) and the draft one older Acme
//! Packet and Avaya SBCs still speak (`id`, `<aor>`, `<send>` inside
//! `<participant>`). No DTD, no entities beyond XML's five.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// The most participants or streams one call's metadata may name (a
/// conference of that size is recorded as its first 64).
pub const MAX_ITEMS: usize = 64;
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingMetadata {
    /// The recording session's id (base64 of a UUID): the same call sent
    /// again by a failed-over SRC carries the same one.
    pub session_id: Option<String>,
    /// `start-time` (or the first `associate-time`), as written (RFC 3339).
    pub start_time: Option<String>,
    pub participants: Vec<Participant>,
    /// Streams by id and SDP label.
    pub streams: Vec<Stream>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participant {
    pub id: String,
    /// `sip:2001@pbx.example.com`, `tel:+15551234567`.
    pub aor: Option<String>,
    pub name: Option<String>,
    /// Ids of the streams carrying this participant's voice.
    pub sends: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    pub id: String,
    pub label: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("the recording metadata is not well-formed XML: {0}")]
    Xml(String),
    #[error("the recording metadata has no <recording> element")]
    NotRecording,
    #[error("the recording metadata is nested too deeply or names too many items")]
    TooLarge,
    #[error("the recording metadata declares a DTD, which is not accepted")]
    Dtd,
}

enum Text {
    None,
    Aor,
    Name,
    Label,
    Send,
    StartTime,
}

/// Where the reader is: the open elements and what text it expects.
struct Parser {
    metadata: RecordingMetadata,
    stack: Vec<String>,
    seen_recording: bool,
    /// The participant a `participantstreamassoc`'s `<send>` belongs to.
    assoc_participant: Option<String>,
    text: Text,
    /// The element's text so far (text and references come as pieces).
    buffer: String,
}

impl Parser {
    fn open(&mut self, start: &BytesStart<'_>) -> Result<String, MetadataError> {
        let name = local(start);
        if self.stack.len() >= MAX_DEPTH {
            return Err(MetadataError::TooLarge);
        }
        self.flush();
        let metadata = &mut self.metadata;
        let parent = self.stack.last().map(String::as_str);
        match name.as_str() {
            "recording" => self.seen_recording = true,
            "participant" => {
                if metadata.participants.len() >= MAX_ITEMS {
                    return Err(MetadataError::TooLarge);
                }
                metadata.participants.push(Participant {
                    id: attribute(start, &["participant_id", "id"])?.unwrap_or_default(),
                    ..Participant::default()
                });
            }
            "nameID" => {
                if let (Some(p), Some(aor)) = (
                    metadata.participants.last_mut(),
                    attribute(start, &["aor"])?,
                ) {
                    p.aor.get_or_insert(aor);
                }
            }
            "stream" => {
                if metadata.streams.len() >= MAX_ITEMS {
                    return Err(MetadataError::TooLarge);
                }
                metadata.streams.push(Stream {
                    id: attribute(start, &["stream_id", "id"])?.unwrap_or_default(),
                    label: String::new(),
                });
            }
            "session" if metadata.session_id.is_none() => {
                metadata.session_id = attribute(start, &["session_id", "id"])?;
            }
            "participantstreamassoc" => {
                self.assoc_participant = attribute(start, &["participant_id", "id"])?;
            }
            "aor" if parent == Some("participant") => self.text = Text::Aor,
            "name" if parent == Some("nameID") => self.text = Text::Name,
            "label" if parent == Some("stream") => self.text = Text::Label,
            "send" => self.text = Text::Send,
            "start-time" | "associate-time" if metadata.start_time.is_none() => {
                self.text = Text::StartTime
            }
            _ => {}
        }
        Ok(name)
    }

    fn close(&mut self) {
        self.flush();
        if self.stack.pop().as_deref() == Some("participantstreamassoc") {
            self.assoc_participant = None;
        }
        self.text = Text::None;
    }

    /// Gives the text gathered to what the open element expects.
    fn flush(&mut self) {
        let value = std::mem::take(&mut self.buffer).trim().to_string();
        let expecting = std::mem::replace(&mut self.text, Text::None);
        if value.is_empty() {
            return;
        }
        let metadata = &mut self.metadata;
        match expecting {
            Text::Aor => {
                if let Some(p) = metadata.participants.last_mut() {
                    p.aor.get_or_insert(value);
                }
            }
            Text::Name => {
                if let Some(p) = metadata.participants.last_mut() {
                    p.name.get_or_insert(value);
                }
            }
            Text::Label => {
                if let Some(s) = metadata.streams.last_mut() {
                    s.label = value;
                }
            }
            Text::Send => {
                let owner = match &self.assoc_participant {
                    Some(id) => metadata.participants.iter_mut().find(|p| &p.id == id),
                    // The draft dialect: <send> inside <participant>.
                    None if self.stack.iter().any(|e| e == "participant") => {
                        metadata.participants.last_mut()
                    }
                    None => None,
                };
                if let Some(p) = owner {
                    if p.sends.len() < MAX_ITEMS {
                        p.sends.push(value);
                    }
                }
            }
            Text::StartTime => metadata.start_time = Some(value),
            Text::None => {}
        }
    }
}

impl RecordingMetadata {
    pub fn parse(xml: &str) -> Result<RecordingMetadata, MetadataError> {
        let xml_error = |err: &dyn std::fmt::Display| MetadataError::Xml(err.to_string());
        // Text comes whole (not trimmed piece by piece): `Alice &amp; co`.
        let mut reader = Reader::from_str(xml);
        let mut parser = Parser {
            metadata: RecordingMetadata::default(),
            stack: Vec::new(),
            seen_recording: false,
            assoc_participant: None,
            text: Text::None,
            buffer: String::new(),
        };
        loop {
            match reader.read_event().map_err(|e| xml_error(&e))? {
                Event::Start(start) => {
                    let name = parser.open(&start)?;
                    parser.stack.push(name);
                }
                // An empty element has no text and no end.
                Event::Empty(start) => {
                    parser.open(&start)?;
                    parser.text = Text::None;
                }
                Event::End(_) => parser.close(),
                Event::Text(value) => {
                    let value = value.decode().map_err(|e| xml_error(&e))?;
                    parser.buffer.push_str(&value);
                }
                Event::CData(value) => {
                    let value = value.decode().map_err(|e| xml_error(&e))?;
                    parser.buffer.push_str(&value);
                }
                // `&amp;` and `&#38;`: XML's own, nothing else (no DTD).
                Event::GeneralRef(reference) => {
                    let name = reference.decode().map_err(|e| xml_error(&e))?;
                    let character = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => quick_xml::escape::resolve_predefined_entity(&name)
                            .and_then(|s| s.chars().next()),
                        Err(e) => return Err(xml_error(&e)),
                    };
                    let character = character
                        .ok_or_else(|| MetadataError::Xml(format!("unknown entity &{name};")))?;
                    parser.buffer.push(character);
                }
                Event::DocType(_) => return Err(MetadataError::Dtd),
                Event::Eof => break,
                _ => {}
            }
        }
        if !parser.seen_recording {
            return Err(MetadataError::NotRecording);
        }
        Ok(parser.metadata)
    }

    /// The participant whose voice the stream labelled `label` carries.
    pub fn speaker_of(&self, label: &str) -> Option<&Participant> {
        let stream = self.streams.iter().find(|s| s.label == label)?;
        self.participants
            .iter()
            .find(|p| p.sends.iter().any(|id| id == &stream.id))
    }
}

fn local(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn attribute(start: &BytesStart<'_>, names: &[&str]) -> Result<Option<String>, MetadataError> {
    for attr in start.attributes() {
        let attr = attr.map_err(|err| MetadataError::Xml(err.to_string()))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        if names.contains(&key.as_str()) {
            let value = attr
                .unescape_value()
                .map_err(|err| MetadataError::Xml(err.to_string()))?;
            return Ok(Some(value.trim().to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7865 §11's example, trimmed to what the server reads.
    const RFC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>complete</datamode>
  <group group_id="7+OTCyoxTmqmqyA/1weDAg==">
    <associate-time>2010-12-16T23:41:07Z</associate-time>
  </group>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <group-ref>7+OTCyoxTmqmqyA/1weDAg==</group-ref>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="sip:bob@biloxi.com"><name xml:lang="it">Bob</name></nameID>
  </participant>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="sip:alice@atlanta.com"><name xml:lang="it">Alice &amp; co</name></nameID>
  </participant>
  <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>96</label>
  </stream>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>97</label>
  </stream>
  <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <send>i1Pz3to5hGk8fuXl+PbwCw==</send>
    <recv>UAAMm5GRQKSCMVvLyl4rFw==</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>UAAMm5GRQKSCMVvLyl4rFw==</send>
    <recv>i1Pz3to5hGk8fuXl+PbwCw==</recv>
  </participantstreamassoc>
</recording>"#;

    #[test]
    fn the_rfc_example_names_who_speaks_on_which_label() {
        let m = RecordingMetadata::parse(RFC).unwrap();
        assert_eq!(m.session_id.as_deref(), Some("hVpd7YQgRW2nD22h7q60JQ=="));
        assert_eq!(m.start_time.as_deref(), Some("2010-12-16T23:41:07Z"));
        assert_eq!(m.participants.len(), 2);
        assert_eq!(m.participants[1].name.as_deref(), Some("Alice & co"));
        assert_eq!(
            m.speaker_of("97").unwrap().aor.as_deref(),
            Some("sip:bob@biloxi.com")
        );
        assert_eq!(
            m.speaker_of("96").unwrap().aor.as_deref(),
            Some("sip:alice@atlanta.com")
        );
        assert!(m.speaker_of("98").is_none());
    }

    #[test]
    fn the_draft_dialect_of_older_sbcs_reads_the_same() {
        let draft = r#"<recording xmlns="urn:ietf:params:xml:ns:recording">
  <session id="U2Vzc2lvbg=="><start-time>2026-12-07T10:00:00Z</start-time></session>
  <participant id="p1" session="U2Vzc2lvbg=="><aor>tel:+15551230001</aor><send>st1</send></participant>
  <participant id="p2" session="U2Vzc2lvbg=="><aor>sip:2001@pbx</aor><send>st2</send></participant>
  <stream id="st1" session="U2Vzc2lvbg=="><label>1</label></stream>
  <stream id="st2" session="U2Vzc2lvbg=="><label>2</label></stream>
</recording>"#;
        let m = RecordingMetadata::parse(draft).unwrap();
        assert_eq!(m.session_id.as_deref(), Some("U2Vzc2lvbg=="));
        assert_eq!(
            m.speaker_of("1").unwrap().aor.as_deref(),
            Some("tel:+15551230001")
        );
        assert_eq!(m.speaker_of("2").unwrap().id, "p2");
    }

    #[test]
    fn bad_metadata_is_refused() {
        for (xml, expected) in [
            ("<recording><participant></recording>", "Xml"),
            ("<other/>", "NotRecording"),
            (
                "<!DOCTYPE r [<!ENTITY x \"y\">]><recording>&x;</recording>",
                "Dtd",
            ),
            (
                "<recording><stream><label>&unknown;</label></stream></recording>",
                "Xml",
            ),
            (
                &format!(
                    "<recording>{}</recording>",
                    "<a>".repeat(20) + &"</a>".repeat(20)
                ),
                "TooLarge",
            ),
            (
                &format!(
                    "<recording>{}</recording>",
                    "<stream/>".repeat(MAX_ITEMS + 1)
                ),
                "TooLarge",
            ),
        ] {
            let err = RecordingMetadata::parse(xml).unwrap_err();
            assert!(format!("{err:?}").starts_with(expected), "{xml}: {err:?}");
        }
    }
}
