//! Recordings: what a call's metadata may hold, audio recognised by its
//! content, and the values users filter by.

use crate::{PhoneNumber, ValidationError};

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

/// Audio formats the portal stores and plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    Wav,
    Mp3,
    Ogg,
}

impl AudioFormat {
    pub fn code(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Ogg => "ogg",
        }
    }

    pub fn from_code(code: &str) -> Option<AudioFormat> {
        [AudioFormat::Wav, AudioFormat::Mp3, AudioFormat::Ogg]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Ogg => "audio/ogg",
        }
    }

    /// Recognises audio by its first bytes, whatever the file is called.
    /// Needs at least 12 bytes.
    pub fn sniff(head: &[u8]) -> Option<AudioFormat> {
        if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
            Some(AudioFormat::Wav)
        } else if head.starts_with(b"OggS") {
            Some(AudioFormat::Ogg)
        } else if head.starts_with(b"ID3")
            // An MPEG audio frame header: 11 sync bits, layer III.
            || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 == 0x02)
        {
            Some(AudioFormat::Mp3)
        } else {
            None
        }
    }
}

/// What a WAV file's header says about its audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    pub duration_ms: i64,
    /// Bytes the header promises: RIFF header plus every chunk.
    pub expected_len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    #[error("the WAV header is damaged")]
    Damaged,
    #[error("the WAV file has no audio data chunk")]
    NoData,
}

/// Reads the RIFF chunks at the start of a WAV file (`head` should hold at
/// least the first few kilobytes).
pub fn wav_info(head: &[u8]) -> Result<WavInfo, WavError> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(WavError::Damaged);
    }
    let riff_size = u64::from(u32::from_le_bytes(head[4..8].try_into().expect("4 bytes")));
    if riff_size < 4 {
        // The RIFF size counts at least "WAVE" itself.
        return Err(WavError::Damaged);
    }
    let mut offset = 12;
    let mut byte_rate = None;
    while offset + 8 <= head.len() {
        let id = &head[offset..offset + 4];
        let size = u32::from_le_bytes(head[offset + 4..offset + 8].try_into().expect("4 bytes"));
        if id == b"fmt " {
            // The byte rate is bytes 8..12 of the chunk's body.
            if offset + 20 > head.len() || size < 16 {
                return Err(WavError::Damaged);
            }
            let rate =
                u32::from_le_bytes(head[offset + 16..offset + 20].try_into().expect("4 bytes"));
            byte_rate = Some(rate);
        } else if id == b"data" {
            let rate = byte_rate.filter(|r| *r > 0).ok_or(WavError::Damaged)?;
            return Ok(WavInfo {
                duration_ms: (u64::from(size) * 1000 / u64::from(rate)) as i64,
                expected_len: riff_size + 8,
            });
        }
        // Chunks are padded to an even length.
        offset += 8 + size as usize + (size as usize & 1);
    }
    Err(WavError::NoData)
}

/// A 16-bit mono PCM WAV file of `samples` at `rate` samples a second.
pub fn pcm_wav(samples: &[i16], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes()); // bytes a second
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes a frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits a sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A recording id: 128 random bits as 32 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordingId(String);

impl RecordingId {
    pub fn from_bytes(bytes: [u8; 16]) -> RecordingId {
        RecordingId(bytes.iter().map(|b| format!("{b:02x}")).collect())
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

/// Parses an RFC 3339 time (`2026-11-28T10:15:00Z`, with optional fraction
/// and offset) into Unix milliseconds.
pub fn parse_rfc3339(input: &str) -> Option<i64> {
    let s = input.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut index = 19;
    let mut millis = 0;
    if s.get(index) == Some(&b'.') {
        let start = index + 1;
        index = start;
        while s.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
        if index == start {
            return None;
        }
        let digits = std::str::from_utf8(&s[start..index.min(start + 3)]).ok()?;
        millis = digits.parse::<i64>().ok()? * 10_i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match s.get(index)? {
        b'Z' | b'z' if index + 1 == s.len() => 0,
        sign @ (b'+' | b'-') if index + 6 == s.len() && s[index + 3] == b':' => {
            let (h, m) = (num(index + 1..index + 3)?, num(index + 4..index + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The digits a user typed into a number filter; matches any part of a
/// recorded number.
pub fn number_filter(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(char::is_ascii_digit)
        .take(32)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// Which number a filter or an index entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberColumn {
    Calling,
    Called,
}

impl NumberColumn {
    /// The letter that starts this column's index keys.
    pub fn key_prefix(self) -> char {
        match self {
            NumberColumn::Calling => 'f',
            NumberColumn::Called => 't',
        }
    }
}

/// Index keys pad numbers shorter than a window with this character.
pub const GRAM_PAD: char = '_';
/// Digits in one index key.
pub const GRAM_LENGTH: usize = 4;

/// The index keys of a recorded number: its column's letter and each window
/// of four digits, plus the last three digits padded (so three-digit filters
/// find numbers that end with them), or the whole number padded when it is
/// shorter. `+ * #` are not digits and are left out.
///
/// The SQL triggers of migration `number_grams` compute the same keys; the
/// store's tests compare the two.
pub fn number_grams(column: NumberColumn, number: &str) -> std::collections::BTreeSet<String> {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last_start = digits.len().saturating_sub(GRAM_LENGTH - 2).max(1);
    (0..last_start)
        .map(|start| {
            let mut key = String::with_capacity(GRAM_LENGTH + 1);
            key.push(column.key_prefix());
            key.extend(
                digits
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(GRAM_PAD))
                    .skip(start)
                    .take(GRAM_LENGTH),
            );
            key
        })
        .collect()
}

/// Index keys that answer a number filter: a recording matches when the
/// index holds any of `keys` for it. When `exact` is false the keys hold
/// only part of the digits, and each hit must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLookup {
    pub column: NumberColumn,
    pub keys: Vec<String>,
    pub exact: bool,
}

/// The index keys that answer "the `column` number contains `digits`", or
/// `None` for one or two digits: they match most numbers, so reading
/// recordings newest first fills a page quickly without the index.
///
/// Three digits are the start of a four-digit window, or the padded end of
/// a number: eleven keys. Four digits are one key. Longer filters use their
/// last four digits (the end of a phone number varies most) and check the
/// rest on each hit.
pub fn number_lookup(column: NumberColumn, digits: &str) -> Option<IndexLookup> {
    let digits: Vec<char> = digits.chars().filter(char::is_ascii_digit).collect();
    let key = |window: &[char], last: Option<char>| -> String {
        std::iter::once(column.key_prefix())
            .chain(window.iter().copied())
            .chain(last)
            .collect()
    };
    let (keys, exact) = match digits.len() {
        0..=2 => return None,
        3 => (
            ('0'..='9')
                .chain(std::iter::once(GRAM_PAD))
                .map(|last| key(&digits, Some(last)))
                .collect(),
            true,
        ),
        n => (
            vec![key(&digits[n - GRAM_LENGTH..], None)],
            n == GRAM_LENGTH,
        ),
    };
    Some(IndexLookup {
        column,
        keys,
        exact,
    })
}

/// Of the number filters given, the lookup that reads the fewest index
/// entries for a page: exact ones first, then fewer keys. The other
/// filters are checked on each hit.
pub fn cheapest_lookup(filters: &[(NumberColumn, &str)]) -> Option<IndexLookup> {
    filters
        .iter()
        .filter_map(|(column, digits)| number_lookup(*column, digits))
        .min_by_key(|lookup| (!lookup.exact, lookup.keys.len()))
}

/// A file name for a downloaded recording: date, time, direction, numbers.
pub fn download_name(
    started_at_ms: i64,
    direction: Direction,
    from: &str,
    to: &str,
    format: AudioFormat,
) -> String {
    let stamp = crate::time::format_utc(started_at_ms.div_euclid(1000));
    // "2026-11-28 10:15:00 UTC" → "2026-11-28_101500"
    let compact: String = stamp[..19].replace(' ', "_").replace(':', "");
    let clean = |n: &str| -> String {
        n.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
            .collect()
    };
    format!(
        "{compact}_{}_{}_to_{}.{}",
        direction.code(),
        clean(from),
        clean(to),
        format.code()
    )
}

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

    fn wav(samples: usize) -> Vec<u8> {
        pcm_wav(&vec![0; samples], 8000)
    }

    /// Found by `scripts/fuzz.sh` (target audio): a `fmt ` chunk cut off
    /// before its byte rate read past the end of the header (a panic, so a
    /// 500 for a 29-byte upload).
    #[test]
    fn a_cut_off_fmt_chunk_is_damaged_not_a_panic() {
        let crash = [
            82, 73, 70, 70, 79, 82, 255, 22, 87, 65, 86, 69, 102, 109, 116, 32, 226, 93, 96, 1, 0,
            0, 0, 0, 0, 0, 157, 96, 96,
        ];
        assert_eq!(wav_info(&crash), Err(WavError::Damaged));
        // And a RIFF size too small to hold "WAVE" (found the same way).
        let mut zero = wav(10);
        zero[4..8].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(wav_info(&zero), Err(WavError::Damaged));
        for len in 12..44 {
            let _ = wav_info(&wav(10)[..len]);
        }
    }

    #[test]
    fn sniffing_goes_by_content() {
        assert_eq!(AudioFormat::sniff(&wav(10)), Some(AudioFormat::Wav));
        assert_eq!(
            AudioFormat::sniff(b"OggS\0\x02rest of page"),
            Some(AudioFormat::Ogg)
        );
        assert_eq!(
            AudioFormat::sniff(b"ID3\x04\0\0\0\0\0\0\0\0"),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(
            AudioFormat::sniff(&[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0]),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(AudioFormat::sniff(b"this is not audio at all"), None);
        assert_eq!(
            AudioFormat::sniff(b"RIFF\0\0\0\0AVI LIST"),
            None,
            "RIFF but not WAVE"
        );
        assert_eq!(AudioFormat::sniff(b""), None);
    }

    #[test]
    fn wav_duration_and_length() {
        let file = wav(8000 * 3);
        let info = wav_info(&file).unwrap();
        assert_eq!(info.duration_ms, 3000);
        assert_eq!(info.expected_len, file.len() as u64);
        assert_eq!(wav_info(&file[..20]), Err(WavError::Damaged));
        assert_eq!(wav_info(b"RIFF\x04\0\0\0WAVE"), Err(WavError::NoData));
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-28T10:15:30Z"),
            Some(1_795_860_930_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T10:15:30.25Z"),
            Some(1_795_860_930_250)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T11:15:30+01:00"),
            Some(1_795_860_930_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T05:15:30-05:00"),
            Some(1_795_860_930_000)
        );
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
        for bad in [
            "",
            "2026-11-28",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T10:15:30",
            "2026-11-28T10:15:30+0100",
            "yesterday",
            "2026-11-28T10:15:30.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn number_filters() {
        assert_eq!(number_filter(" 079-46 "), Some("07946".into()));
        assert_eq!(number_filter("abc"), None);
    }

    #[test]
    fn number_grams_are_windows_of_four_digits_and_a_padded_tail() {
        let grams = |n: &str| {
            number_grams(NumberColumn::Calling, n)
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            grams("+44123456"),
            ["f1234", "f2345", "f3456", "f4412", "f4123", "f456_"]
                .iter()
                .map(|s| s.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(grams("2150"), ["f150_", "f2150"]);
        assert_eq!(grams("215"), ["f215_"]);
        assert_eq!(grams("21"), ["f21__"]);
        assert_eq!(grams("*#"), ["f____"]);
        // A repeated window is one key.
        assert_eq!(
            grams("12121"),
            ["f1212", "f2121", "f121_"]
                .iter()
                .map(|s| s.to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            number_grams(NumberColumn::Called, "2150")
                .first()
                .map(String::as_str),
            Some("t150_")
        );
    }

    /// Every substring of three digits or more is found through one of its
    /// lookup keys: the rule that makes the index answer "any part".
    #[test]
    fn every_part_of_a_number_is_found_by_its_lookup_keys() {
        for number in ["+441234567890", "2150", "215", "9999", "#12*345", "7946"] {
            let grams = number_grams(NumberColumn::Called, number);
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            for start in 0..digits.len() {
                for end in start + 3..=digits.len() {
                    let part = &digits[start..end];
                    let keys = number_lookup(NumberColumn::Called, part)
                        .expect("three digits or more use the index")
                        .keys;
                    assert!(
                        keys.iter().any(|k| grams.contains(k)),
                        "{part} of {number} not found by {keys:?} in {grams:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn number_lookups() {
        assert_eq!(number_lookup(NumberColumn::Calling, "21"), None);
        let three = number_lookup(NumberColumn::Calling, "215").unwrap();
        assert_eq!((three.keys.len(), three.exact), (11, true));
        assert!(
            three.keys.contains(&"f2150".to_string()) && three.keys.contains(&"f215_".to_string())
        );
        assert_eq!(
            number_lookup(NumberColumn::Called, "2150"),
            Some(IndexLookup {
                column: NumberColumn::Called,
                keys: vec!["t2150".into()],
                exact: true
            })
        );
        assert_eq!(
            number_lookup(NumberColumn::Called, "442079460000"),
            Some(IndexLookup {
                column: NumberColumn::Called,
                keys: vec!["t0000".into()],
                exact: false
            })
        );
        // The exact four-digit filter drives; the longer one is checked.
        let driving = cheapest_lookup(&[
            (NumberColumn::Calling, "442079460000"),
            (NumberColumn::Called, "2150"),
        ])
        .unwrap();
        assert_eq!(driving.column, NumberColumn::Called);
        // One exact key beats eleven.
        let driving = cheapest_lookup(&[
            (NumberColumn::Calling, "215"),
            (NumberColumn::Called, "7946"),
        ])
        .unwrap();
        assert_eq!(driving.keys, ["t7946"]);
        assert_eq!(cheapest_lookup(&[(NumberColumn::Calling, "44")]), None);
    }

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
    }
}
