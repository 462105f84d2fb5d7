//! Audio recognised by its content, and WAV headers.

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

/// How a WAV file's samples are written: its `fmt ` chunk and where its
/// `data` chunk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavLayout {
    /// 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law (WAVE_FORMAT_EXTENSIBLE is
    /// read through to its sub-format).
    pub format_tag: u16,
    pub channels: u16,
    pub byte_rate: u32,
    /// Bytes of one frame (a sample of every channel).
    pub block_align: u16,
    pub bits_per_sample: u16,
    /// Where the samples start, and how many bytes the header says they are.
    pub data_offset: usize,
    pub data_len: u64,
    /// The RIFF size field.
    riff_size: u64,
}

/// Reads the RIFF chunks at the start of a WAV file (`head` should hold at
/// least the first few kilobytes) up to its `data` chunk.
pub fn wav_layout(head: &[u8]) -> Result<WavLayout, WavError> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(WavError::Damaged);
    }
    let word = |at: usize| u16::from_le_bytes([head[at], head[at + 1]]);
    let long = |at: usize| u32::from_le_bytes(head[at..at + 4].try_into().expect("4 bytes"));
    let riff_size = u64::from(long(4));
    if riff_size < 4 {
        // The RIFF size counts at least "WAVE" itself.
        return Err(WavError::Damaged);
    }
    let mut offset = 12;
    let mut fmt = None;
    while offset + 8 <= head.len() {
        let id = &head[offset..offset + 4];
        let size = long(offset + 4);
        let body = offset + 8;
        if id == b"fmt " {
            // The fields of PCM's 16 bytes; an extensible one names its
            // sub-format in the first two bytes of its GUID.
            if body + 16 > head.len() || size < 16 {
                return Err(WavError::Damaged);
            }
            let mut format_tag = word(body);
            if format_tag == 0xFFFE && size >= 40 && body + 26 <= head.len() {
                format_tag = word(body + 24);
            }
            fmt = Some((
                format_tag,
                word(body + 2),
                long(body + 8),
                word(body + 12),
                word(body + 14),
            ));
        } else if id == b"data" {
            let (format_tag, channels, byte_rate, block_align, bits_per_sample) =
                fmt.filter(|f| f.2 > 0).ok_or(WavError::Damaged)?;
            return Ok(WavLayout {
                format_tag,
                channels,
                byte_rate,
                block_align,
                bits_per_sample,
                data_offset: body,
                data_len: u64::from(size),
                riff_size,
            });
        }
        // Chunks are padded to an even length.
        offset = body + size as usize + (size as usize & 1);
    }
    Err(WavError::NoData)
}

/// Reads the RIFF chunks at the start of a WAV file (`head` should hold at
/// least the first few kilobytes).
pub fn wav_info(head: &[u8]) -> Result<WavInfo, WavError> {
    let layout = wav_layout(head)?;
    Ok(WavInfo {
        duration_ms: (layout.data_len * 1000 / u64::from(layout.byte_rate)) as i64,
        expected_len: layout.riff_size + 8,
    })
}

/// A 16-bit mono PCM WAV file of `samples` at `rate` samples a second.
pub fn pcm_wav(samples: &[i16], rate: u32) -> Vec<u8> {
    pcm_wav_channels(samples, 1, rate)
}

/// A 16-bit PCM WAV file of interleaved `samples` (one per channel a
/// frame) at `rate` frames a second.
pub fn pcm_wav_channels(samples: &[i16], channels: u16, rate: u32) -> Vec<u8> {
    let mut out = pcm_wav_header((samples.len() * 2) as u32, channels, rate);
    out.reserve(samples.len() * 2);
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// The 44-byte header of a 16-bit PCM WAV file whose samples, `data_len`
/// bytes of them, follow.
pub fn pcm_wav_header(data_len: u32, channels: u16, rate: u32) -> Vec<u8> {
    let frame = 2 * channels;
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(frame)).to_le_bytes()); // bytes a second
    out.extend_from_slice(&frame.to_le_bytes()); // bytes a frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits a sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
