//! Recordings: which way a call went, ids, the digits users filter numbers
//! by, and download names. Audio is `audio.rs`, metadata `metadata.rs`.

use crate::audio::AudioFormat;

/// Which way the call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Inbound, Direction::Outbound, Direction::Internal];

    pub fn code(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
            Direction::Internal => "Internal",
        }
    }

    pub fn parse(input: &str) -> Option<Direction> {
        let wanted = input.trim().to_ascii_lowercase();
        Direction::ALL.into_iter().find(|d| d.code() == wanted)
    }
}

/// A recording id: 128 random bits as 32 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordingId(String);

impl RecordingId {
    pub fn from_bytes(bytes: [u8; 16]) -> RecordingId {
        RecordingId(crate::hex::hex(&bytes))
    }

    pub fn parse(input: &str) -> Option<RecordingId> {
        (input.len() == 32
            && input
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| RecordingId(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RecordingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file name for a downloaded recording: date, time, direction, numbers.
pub fn download_name(
    started_at_ms: i64,
    direction: Direction,
    from: &str,
    to: &str,
    format: AudioFormat,
) -> String {
    format!(
        "{}_{}_{}_to_{}.{}",
        compact_time(started_at_ms),
        direction.code(),
        file_safe(from),
        file_safe(to),
        format.code()
    )
}

/// A file's name in a ZIP of recordings:
/// `<start>_<direction>_<from>_<to>_<id>.<ext>`, the start in UTC as in
/// [`download_name`]; the id keeps two calls of the same second apart.
pub fn bulk_name(
    started_at_ms: i64,
    direction: Direction,
    from: &str,
    to: &str,
    id: &RecordingId,
    format: AudioFormat,
) -> String {
    format!(
        "{}_{}_{}_{}_{id}.{}",
        compact_time(started_at_ms),
        direction.code(),
        file_safe(from),
        file_safe(to),
        format.code()
    )
}

/// "2026-11-28 10:15:00 UTC" → "2026-11-28_101500".
fn compact_time(started_at_ms: i64) -> String {
    let stamp = crate::time::format_utc(started_at_ms.div_euclid(1000));
    stamp[..19].replace(' ', "_").replace(':', "")
}

/// A number as a file name may hold it: digits, letters and `+`.
fn file_safe(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_directions_and_names() {
        let id = RecordingId::from_bytes([0xab; 16]);
        assert_eq!(id.as_str().len(), 32);
        assert_eq!(RecordingId::parse(id.as_str()), Some(id));
        assert_eq!(RecordingId::parse("ABABABABABABABABABABABABABABABAB"), None);
        assert_eq!(RecordingId::parse("../../etc/passwd"), None);
        assert_eq!(Direction::parse("Inbound"), Some(Direction::Inbound));
        assert_eq!(Direction::parse("sideways"), None);
        assert_eq!(
            download_name(
                1_795_860_930_000,
                Direction::Inbound,
                "+44 20",
                "100",
                AudioFormat::Wav
            ),
            "2026-11-28_101530_inbound_+4420_to_100.wav"
        );
        assert_eq!(
            bulk_name(
                1_795_860_930_000,
                Direction::Outbound,
                "+44 20",
                "*100#",
                &RecordingId::from_bytes([0xcd; 16]),
                AudioFormat::Mp3
            ),
            format!(
                "2026-11-28_101530_outbound_+4420_100_{}.mp3",
                "cd".repeat(16)
            )
        );
    }
}
