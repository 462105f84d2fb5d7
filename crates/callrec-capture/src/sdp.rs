//! The SRC's SDP offer (parsed by ezk-sdp-types) as the streams to
//! record, and the server's answer: every offered stream answered in
//! order (RFC 3264 §6), audio `recvonly` on a port of ours with its
//! `a=label` echoed (RFC 7866 §8.1.1), anything else refused with port 0.

use bytesstr::BytesStr;
use ezk_sdp_types::{
    Direction, MediaType, SessionDescription, SrtpSuite, TaggedAddress, TransportProtocol,
};
use std::fmt::Write as _;
use std::net::IpAddr;

/// More m-lines than this in one offer is refused (a two-party call has
/// two; a small conference recorded stream by stream a few more), so one
/// call never takes more than this many of the node's RTP ports.
pub const MAX_STREAMS: usize = 8;

/// Codecs the server decodes; the RTP payload type says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
    /// Decoded to its lower band at 8 kHz (`g722`).
    G722,
    /// RFC 4733 events (DTMF): kept as a masked mark, never as digits.
    TelephoneEvent,
}

impl Codec {
    fn of(encoding: &str, clock_rate: u32) -> Option<Codec> {
        match (encoding.to_ascii_uppercase().as_str(), clock_rate) {
            ("PCMU", 8000) => Some(Codec::Pcmu),
            ("PCMA", 8000) => Some(Codec::Pcma),
            // G.722's RTP clock is 8000 although it samples at 16 kHz (RFC 3551 §4.5.2).
            ("G722", 8000) => Some(Codec::G722),
            ("TELEPHONE-EVENT", 8000) => Some(Codec::TelephoneEvent),
            _ => None,
        }
    }

    fn static_payload(payload: u8) -> Option<Codec> {
        match payload {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            9 => Some(Codec::G722),
            _ => None,
        }
    }

    fn rtpmap(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU/8000",
            Codec::Pcma => "PCMA/8000",
            Codec::G722 => "G722/8000",
            Codec::TelephoneEvent => "telephone-event/8000",
        }
    }
}

/// An SDES key (RFC 4568) for AES_CM_128_HMAC_SHA1_80 or _32.
#[derive(Clone, PartialEq, Eq)]
pub struct SdesKey {
    pub tag: u32,
    pub suite: SrtpSuite,
    /// Base64 of the 16-byte master key and 14-byte salt.
    pub inline: String,
}

impl SdesKey {
    /// Bytes of the authentication tag the suite appends.
    pub fn tag_len(&self) -> usize {
        match self.suite {
            SrtpSuite::AES_CM_128_HMAC_SHA1_32 => 4,
            _ => 10,
        }
    }
}

impl std::fmt::Debug for SdesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are never logged.
        write!(
            f,
            "SdesKey {{ tag: {}, suite: {:?} }}",
            self.tag, self.suite
        )
    }
}

/// Whether the SRC is sending on a stream now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Sending,
    /// `a=inactive` or `a=recvonly` from the SRC: recording is paused.
    Paused,
}

/// One m-line of the offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedStream {
    pub label: Option<String>,
    /// Audio the server can take (RTP/AVP or RTP/SAVP with a codec it
    /// knows, and a key if secure); others are answered with port 0.
    pub audio: bool,
    /// `audio`, `video`…, for a refused line's answer.
    pub media: String,
    pub proto: String,
    /// The first offered format, for a refused line's answer.
    pub first_format: u8,
    /// Payload type → codec, for those the server knows.
    pub codecs: Vec<(u8, Codec)>,
    pub address: Option<IpAddr>,
    pub port: u16,
    pub flow: Flow,
    pub key: Option<SdesKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub streams: Vec<OfferedStream>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("the SDP offer cannot be read: {0}")]
    Unreadable(String),
    #[error("the SDP offer has more than {MAX_STREAMS} media lines")]
    TooManyStreams,
    #[error("the SDP offer has no audio stream callrec can record")]
    NoAudio,
}

impl Offer {
    pub fn parse(text: &str) -> Result<Offer, SdpError> {
        // Some SBCs (BroadWorks among them) leave out `t=`, which SDP
        // requires and the parser insists on: the missing line means 0 0.
        let mut text = text.to_string();
        // Lines end with CRLF, LF or a lone CR, as the parser reads them.
        let lines = || text.split(['\r', '\n']);
        if !lines().any(|line| line.starts_with("t=")) {
            if !text.ends_with('\n') {
                text.push_str("\r\n");
            }
            text.push_str("t=0 0\r\n");
        }
        if text
            .split(['\r', '\n'])
            .filter(|l| l.starts_with("m="))
            .count()
            > MAX_STREAMS
        {
            return Err(SdpError::TooManyStreams);
        }
        let parsed = SessionDescription::parse(&BytesStr::from(text.as_str()))
            .map_err(|err| SdpError::Unreadable(first_line(&err.to_string())))?;
        if parsed.media_descriptions.len() > MAX_STREAMS {
            return Err(SdpError::TooManyStreams);
        }
        let session_address = parsed.connection.as_ref().and_then(|c| ip(&c.address));
        let streams: Vec<OfferedStream> = parsed
            .media_descriptions
            .iter()
            .map(|media| {
                let mut codecs: Vec<(u8, Codec)> = Vec::new();
                for &format in &media.media.fmts {
                    let mapped = media.rtpmap.iter().find(|m| m.payload == format);
                    let codec = match mapped {
                        Some(map) => Codec::of(&map.encoding, map.clock_rate),
                        None => Codec::static_payload(format),
                    };
                    if let Some(codec) = codec {
                        codecs.push((format, codec));
                    }
                }
                let secure = media.media.proto == TransportProtocol::RtpSavp;
                let key = media.crypto.iter().find_map(|crypto| {
                    let supported = matches!(
                        crypto.suite,
                        SrtpSuite::AES_CM_128_HMAC_SHA1_80 | SrtpSuite::AES_CM_128_HMAC_SHA1_32
                    );
                    let key = crypto.keys.first()?;
                    // One key, no MKI, and key material that reads as a
                    // 16-byte key and a 14-byte salt.
                    let usable = supported
                        && crypto.keys.len() == 1
                        && key.mki.is_none()
                        && crate::srtp::SrtpReceiver::new(&key.key_and_salt, 10).is_ok();
                    usable.then(|| SdesKey {
                        tag: crypto.tag,
                        suite: crypto.suite.clone(),
                        inline: key.key_and_salt.to_string(),
                    })
                });
                let plain = media.media.proto == TransportProtocol::RtpAvp;
                let audio = media.media.media_type == MediaType::Audio
                    && media.media.port != 0
                    && (plain || (secure && key.is_some()))
                    && codecs.iter().any(|(_, c)| *c != Codec::TelephoneEvent);
                OfferedStream {
                    label: media
                        .attributes
                        .iter()
                        .find(|a| a.name.as_str() == "label")
                        .and_then(|a| a.value.as_ref())
                        .map(|v| v.trim().to_string()),
                    audio,
                    media: media.media.media_type.to_string(),
                    proto: media.media.proto.to_string(),
                    first_format: media.media.fmts.first().copied().unwrap_or(0),
                    codecs,
                    address: media
                        .connection
                        .as_ref()
                        .and_then(|c| ip(&c.address))
                        .or(session_address),
                    port: media.media.port,
                    flow: match media.direction {
                        Direction::SendOnly | Direction::SendRecv => Flow::Sending,
                        Direction::RecvOnly | Direction::Inactive => Flow::Paused,
                    },
                    key: if secure { key } else { None },
                }
            })
            .collect();
        if !streams.iter().any(|s| s.audio) {
            return Err(SdpError::NoAudio);
        }
        Ok(Offer { streams })
    }
}

/// The parser's message without the input it quotes (it would echo the
/// SRC's SDP, keys and all, into a response).
fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect()
}

fn ip(address: &TaggedAddress) -> Option<IpAddr> {
    match address {
        TaggedAddress::IP4(ip) => Some(IpAddr::V4(*ip)),
        TaggedAddress::IP6(ip) => Some(IpAddr::V6(*ip)),
        TaggedAddress::IP4FQDN(_) | TaggedAddress::IP6FQDN(_) => None,
    }
}

/// What the server answers for one offered stream.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The local port, or `None` to refuse the stream.
    pub port: Option<u16>,
    /// Our own SDES key for a secure stream (RFC 4568 needs one in the
    /// answer even though the server never sends).
    pub key: Option<String>,
}

/// The answer to `offer`, one m-line per offered one in order.
pub fn answer(
    offer: &Offer,
    answered: &[Answered],
    local: IpAddr,
    session: u64,
    version: u64,
) -> String {
    let family = if local.is_ipv4() { "IP4" } else { "IP6" };
    let mut sdp = format!(
        "v=0\r\no=callrec {session} {version} IN {family} {local}\r\ns=callrec\r\nc=IN {family} {local}\r\nt=0 0\r\n"
    );
    for (stream, answer) in offer.streams.iter().zip(answered) {
        match answer.port {
            Some(port) if stream.audio => {
                let formats: Vec<String> =
                    stream.codecs.iter().map(|(pt, _)| pt.to_string()).collect();
                let _ = write!(
                    sdp,
                    "m=audio {port} {} {}\r\n",
                    stream.proto,
                    formats.join(" ")
                );
                for (pt, codec) in &stream.codecs {
                    let _ = write!(sdp, "a=rtpmap:{pt} {}\r\n", codec.rtpmap());
                }
                if let (Some(offered), Some(ours)) = (&stream.key, &answer.key) {
                    let _ = write!(
                        sdp,
                        "a=crypto:{} {} inline:{ours}\r\n",
                        offered.tag,
                        suite_name(&offered.suite)
                    );
                }
                if let Some(label) = &stream.label {
                    let _ = write!(sdp, "a=label:{label}\r\n");
                }
                sdp.push_str(match stream.flow {
                    Flow::Sending => "a=recvonly\r\n",
                    Flow::Paused => "a=inactive\r\n",
                });
            }
            _ => {
                let _ = write!(
                    sdp,
                    "m={} 0 {} {}\r\n",
                    stream.media, stream.proto, stream.first_format
                );
            }
        }
    }
    sdp
}

fn suite_name(suite: &SrtpSuite) -> &'static str {
    match suite {
        SrtpSuite::AES_CM_128_HMAC_SHA1_32 => "AES_CM_128_HMAC_SHA1_32",
        _ => "AES_CM_128_HMAC_SHA1_80",
    }
}
