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
