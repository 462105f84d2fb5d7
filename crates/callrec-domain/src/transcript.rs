//! A call's transcript (issue 28): each party's words with when they were
//! said — a stereo call is heard one channel at a time, so every word
//! carries its speaker without guessing — and card numbers replaced.

use crate::audio::{pcm_wav_header, wav_layout};
use crate::redaction::{redactions, RedactionKind, REDACTED};

/// One word of one party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpokenWord {
    /// The channel it was said on (0: the calling party).
    pub party: u8,
    pub start_ms: u32,
    pub end_ms: u32,
    pub text: String,
}

/// A stretch of one party's audio whose words were redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedactedSpan {
    pub party: u8,
    pub start_ms: u32,
    pub end_ms: u32,
    pub kind: RedactionKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// In time order.
    pub words: Vec<SpokenWord>,
}

impl Transcript {
    /// The parties' words, one list per channel (each in time order), as
    /// one transcript in time order.
    pub fn from_parties(parties: Vec<Vec<(String, u32, u32)>>) -> Transcript {
        let mut words: Vec<SpokenWord> = parties
            .into_iter()
            .enumerate()
            .flat_map(|(party, words)| {
                words
                    .into_iter()
                    .map(move |(text, start_ms, end_ms)| SpokenWord {
                        party: party as u8,
                        start_ms,
                        end_ms,
                        text,
                    })
            })
            .collect();
        words.sort_by_key(|w| (w.start_ms, w.party));
        Transcript { words }
    }

    /// Replaces each party's card numbers and security codes with one
    /// [`REDACTED`] word spanning them (a number said by one party is
    /// read across the other's interjections); the spans replaced.
    pub fn redact(&mut self) -> Vec<RedactedSpan> {
        let parties: Vec<u8> = {
            let mut parties: Vec<u8> = self.words.iter().map(|w| w.party).collect();
            parties.sort_unstable();
            parties.dedup();
            parties
        };
        let mut spans = Vec::new();
        for party in parties {
            let indices: Vec<usize> = (0..self.words.len())
                .filter(|&i| self.words[i].party == party)
                .collect();
            let texts: Vec<&str> = indices
                .iter()
                .map(|&i| self.words[i].text.as_str())
                .collect();
            for found in redactions(&texts) {
                let (first, last) = (indices[found.first], indices[found.last]);
                spans.push(RedactedSpan {
                    party,
                    start_ms: self.words[first].start_ms,
                    end_ms: self.words[last].end_ms,
                    kind: found.kind,
                });
            }
        }
        for span in &spans {
            let mut first = true;
            self.words.retain_mut(|w| {
                let inside =
                    w.party == span.party && w.start_ms >= span.start_ms && w.end_ms <= span.end_ms;
                if inside && first {
                    first = false;
                    w.text = REDACTED.to_string();
                    w.start_ms = span.start_ms;
                    w.end_ms = span.end_ms;
                    return true;
                }
                !inside
            });
        }
        spans
    }
}

/// Why a call's audio cannot be split into its parties' channels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("the audio is not a WAV file that can be read")]
    NotWav,
    #[error("only 16-bit PCM WAV is split into channels (this is format {0}, {1} bits)")]
    Unsupported(u16, u16),
}

/// The channels of a 16-bit PCM WAV file, each as a mono WAV file, with
/// the `silenced` spans (ms; the phone system's pauses) set to silence,
/// so they are never sent to an engine.
pub fn channel_wavs(wav: &[u8], silenced: &[(i64, i64)]) -> Result<Vec<Vec<u8>>, ChannelError> {
    let layout = wav_layout(wav).map_err(|_| ChannelError::NotWav)?;
    if layout.format_tag != 1 || layout.bits_per_sample != 16 || layout.channels == 0 {
        return Err(ChannelError::Unsupported(
            layout.format_tag,
            layout.bits_per_sample,
        ));
    }
    let channels = usize::from(layout.channels);
    let rate = layout.byte_rate / (u32::from(layout.channels) * 2);
    let end = (layout.data_offset as u64 + layout.data_len).min(wav.len() as u64) as usize;
    let data = &wav[layout.data_offset.min(end)..end];
    let frames = data.len() / (channels * 2);
    let paused = |frame: usize| {
        let ms = (frame as u64 * 1000 / u64::from(rate.max(1))) as i64;
        silenced.iter().any(|(from, to)| (*from..*to).contains(&ms))
    };
    let mut out: Vec<Vec<u8>> = (0..channels)
        .map(|_| {
            let mut channel = pcm_wav_header((frames * 2) as u32, 1, rate);
            channel.reserve(frames * 2);
            channel
        })
        .collect();
    for frame in 0..frames {
        let quiet = paused(frame);
        for (channel, wav) in out.iter_mut().enumerate() {
            let at = (frame * channels + channel) * 2;
            let sample = if quiet {
                [0, 0]
            } else {
                [data[at], data[at + 1]]
            };
            wav.extend_from_slice(&sample);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::pcm_wav_channels;

    #[test]
    fn a_stereo_call_splits_into_its_parties_with_pauses_silenced() {
        // One second at 8 kHz: left 1000s, right -1000s.
        let samples: Vec<i16> = (0..8000).flat_map(|_| [1000i16, -1000]).collect();
        let wav = pcm_wav_channels(&samples, 2, 8000);
        let parts = channel_wavs(&wav, &[(500, 750)]).unwrap();
        assert_eq!(parts.len(), 2);
        let samples_of = |wav: &[u8]| -> Vec<i16> {
            wav[44..]
                .chunks_exact(2)
                .map(|p| i16::from_le_bytes([p[0], p[1]]))
                .collect()
        };
        let (left, right) = (samples_of(&parts[0]), samples_of(&parts[1]));
        assert_eq!((left.len(), right.len()), (8000, 8000));
        assert_eq!((left[0], right[0]), (1000, -1000));
        assert_eq!((left[4000], right[5999]), (0, 0), "paused: silence");
        assert_eq!(left[6000], 1000, "after the pause");
        assert_eq!(crate::audio::wav_info(&parts[0]).unwrap().duration_ms, 1000);
        assert!(matches!(
            channel_wavs(b"not a wav", &[]),
            Err(ChannelError::NotWav)
        ));
        let mut float = wav.clone();
        float[20] = 3;
        assert!(matches!(
            channel_wavs(&float, &[]),
            Err(ChannelError::Unsupported(3, 16))
        ));
    }

    #[test]
    fn words_keep_their_speaker_and_card_numbers_are_replaced_per_party() {
        let word = |text: &str, start: u32| (text.to_string(), start, start + 200);
        // The caller reads a card number; the agent says "mhm" in between.
        let caller = ["it's", "4111", "1111", "1111", "1111", "thanks"]
            .iter()
            .enumerate()
            .map(|(i, t)| word(t, 1000 + i as u32 * 300))
            .collect();
        let agent = vec![word("hello", 0), word("mhm", 1950), word("great", 3000)];
        let mut transcript = Transcript::from_parties(vec![caller, agent]);
        assert_eq!(transcript.words[0].text, "hello");
        assert_eq!(transcript.words[0].party, 1);
        let spans = transcript.redact();
        assert_eq!(
            spans,
            [RedactedSpan {
                party: 0,
                start_ms: 1300,
                end_ms: 2400,
                kind: RedactionKind::CardNumber
            }]
        );
        let said: Vec<(u8, &str)> = transcript
            .words
            .iter()
            .map(|w| (w.party, w.text.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (1, "hello"),
                (0, "it's"),
                (0, REDACTED),
                (1, "mhm"),
                (0, "thanks"),
                (1, "great")
            ]
        );
        assert!(!transcript.words.iter().any(|w| w.text.contains("1111")));
    }
}
