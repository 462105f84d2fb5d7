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

/// A stretch of one party's speech: the transcript's lines (on the
/// recording's page, in the API, text and WebVTT downloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'t> {
    pub party: u8,
    pub start_ms: u32,
    pub end_ms: u32,
    pub words: &'t [SpokenWord],
}

/// A silence this long (ms) within one party's speech starts a new line.
const SEGMENT_GAP_MS: u32 = 1_500;
/// The longest line (ms): subtitles stay readable.
const SEGMENT_MAX_MS: u32 = 12_000;

impl Transcript {
    /// The words as kept (sealed): a line per word, `party start end
    /// text` separated by tabs (a tab or line break in a word is a space).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.words.len() * 24);
        for w in &self.words {
            let text: String = w
                .text
                .chars()
                .map(|c| {
                    if c == '\t' || c == '\n' || c == '\r' {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                w.party, w.start_ms, w.end_ms, text
            ));
        }
        out
    }

    /// What [`Transcript::to_text`] wrote; `None` if it is not that.
    pub fn from_text(text: &str) -> Option<Transcript> {
        let words = text
            .lines()
            .map(|line| {
                let mut parts = line.splitn(4, '\t');
                Some(SpokenWord {
                    party: parts.next()?.parse().ok()?,
                    start_ms: parts.next()?.parse().ok()?,
                    end_ms: parts.next()?.parse().ok()?,
                    text: parts.next()?.to_string(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Transcript { words })
    }

    /// The words as lines: a party's words until the other speaks, they
    /// pause for 1.5 s, or the line is 12 s long.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        let mut segments: Vec<Segment<'_>> = Vec::new();
        let mut first = 0;
        for i in 0..self.words.len() {
            let next = self.words.get(i + 1);
            let ends = next.is_none_or(|next| {
                let here = &self.words[i];
                next.party != here.party
                    || next.start_ms.saturating_sub(here.end_ms) > SEGMENT_GAP_MS
                    || next.end_ms.saturating_sub(self.words[first].start_ms) > SEGMENT_MAX_MS
            });
            if ends {
                let words = &self.words[first..=i];
                segments.push(Segment {
                    party: words[0].party,
                    start_ms: words[0].start_ms,
                    end_ms: words.iter().map(|w| w.end_ms).max().unwrap_or(0),
                    words,
                });
                first = i + 1;
            }
        }
        segments
    }

    /// The transcript as plain text: a line per segment, `[m:ss] Speaker:
    /// words`, with `speaker(party)` naming each party.
    pub fn plain_text(&self, speaker: impl Fn(u8) -> String) -> String {
        self.segments()
            .iter()
            .map(|s| {
                format!(
                    "[{}] {}: {}\n",
                    clock(s.start_ms, false),
                    speaker(s.party),
                    s.line()
                )
            })
            .collect()
    }

    /// The transcript as WebVTT subtitles, each cue voiced by its speaker.
    pub fn webvtt(&self, speaker: impl Fn(u8) -> String) -> String {
        let mut out = String::from("WEBVTT\n");
        for (i, s) in self.segments().iter().enumerate() {
            let voice: String = speaker(s.party)
                .chars()
                .filter(|c| !matches!(c, '<' | '>' | '&'))
                .collect();
            let text = s
                .line()
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace("-->", "--&gt;");
            out.push_str(&format!(
                "\n{}\n{} --> {}\n<v {voice}>{text}\n",
                i + 1,
                clock(s.start_ms, true),
                clock(s.end_ms.max(s.start_ms + 1), true)
            ));
        }
        out
    }
}

impl Segment<'_> {
    /// Its words as one line.
    pub fn line(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `ms` as `m:ss` (text), or `hh:mm:ss.mmm` (WebVTT).
fn clock(ms: u32, cue: bool) -> String {
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    if cue {
        format!("{h:02}:{m:02}:{s:02}.{:03}", ms % 1000)
    } else if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{}:{s:02}", ms / 60_000)
    }
}

/// The most channels (parties) of a call sent to an engine.
pub const MAX_CHANNELS: u16 = 8;

/// Why a call's audio cannot be split into its parties' channels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("the audio is not a WAV file that can be read")]
    NotWav,
    #[error("only 16-bit PCM WAV is split into channels (this is format {0}, {1} bits)")]
    Unsupported(u16, u16),
    #[error("a call has at most {MAX_CHANNELS} channels to hear (this has {0})")]
    TooManyChannels(u16),
}

/// The channels of a 16-bit PCM WAV file, each as a mono WAV file, with
/// the `silenced` spans (ms; the phone system's pauses) set to silence,
/// so they are never sent to an engine.
pub fn channel_wavs(wav: &[u8], silenced: &[(i64, i64)]) -> Result<Vec<Vec<u8>>, ChannelError> {
    let layout = wav_layout(wav).map_err(|_| ChannelError::NotWav)?;
    if layout.channels > MAX_CHANNELS {
        return Err(ChannelError::TooManyChannels(layout.channels));
    }
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

/// How far before and after a redacted span the audio is silenced too
/// (ms): engines place words' edges a little off.
pub const SILENCE_MARGIN_MS: u32 = 250;

/// A 16-bit PCM WAV file with every channel silenced during `spans` (and
/// [`SILENCE_MARGIN_MS`] around each): the redacted copy of a call's
/// audio. Every channel, not only the speaker's: the other party's line
/// may carry an echo of the digits.
pub fn silenced_wav(wav: &[u8], spans: &[RedactedSpan]) -> Result<Vec<u8>, ChannelError> {
    let layout = wav_layout(wav).map_err(|_| ChannelError::NotWav)?;
    if layout.format_tag != 1 || layout.bits_per_sample != 16 || layout.channels == 0 {
        return Err(ChannelError::Unsupported(
            layout.format_tag,
            layout.bits_per_sample,
        ));
    }
    let channels = u64::from(layout.channels);
    let rate = u64::from(layout.byte_rate) / (channels * 2);
    let end = (layout.data_offset as u64 + layout.data_len).min(wav.len() as u64) as usize;
    let data = &wav[layout.data_offset.min(end)..end];
    let frame_bytes = (channels * 2) as usize;
    let frames = data.len() / frame_bytes;
    let mut out = pcm_wav_header((frames * frame_bytes) as u32, layout.channels, rate as u32);
    out.extend_from_slice(&data[..frames * frame_bytes]);
    let header = out.len() - frames * frame_bytes;
    for span in spans {
        let frame_at = |ms: u32| ((u64::from(ms) * rate / 1000) as usize).min(frames);
        let from = frame_at(span.start_ms.saturating_sub(SILENCE_MARGIN_MS));
        let to = frame_at(span.end_ms.saturating_add(SILENCE_MARGIN_MS));
        out[header + from * frame_bytes..header + to * frame_bytes].fill(0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::pcm_wav_channels;

    #[test]
    fn a_redacted_span_is_silenced_on_every_channel_with_a_margin() {
        let samples: Vec<i16> = (0..8000).flat_map(|_| [1000i16, -1000]).collect();
        let wav = pcm_wav_channels(&samples, 2, 8000);
        let span = RedactedSpan {
            party: 0,
            start_ms: 400,
            end_ms: 500,
            kind: RedactionKind::CardNumber,
        };
        let quiet = silenced_wav(&wav, &[span]).unwrap();
        assert_eq!(quiet.len(), wav.len());
        let at = |frame: usize, channel: usize| {
            let i = 44 + (frame * 2 + channel) * 2;
            i16::from_le_bytes([quiet[i], quiet[i + 1]])
        };
        // 150 ms to 750 ms: frames 1200 to 6000.
        assert_eq!((at(1199, 0), at(1199, 1)), (1000, -1000));
        assert_eq!(
            (at(1200, 0), at(1200, 1), at(5999, 0), at(5999, 1)),
            (0, 0, 0, 0)
        );
        assert_eq!((at(6000, 0), at(6000, 1)), (1000, -1000));
        // A span at the very start or past the end stays inside the file.
        let edges = [
            RedactedSpan {
                start_ms: 0,
                end_ms: 10,
                ..span
            },
            RedactedSpan {
                start_ms: 900,
                end_ms: 99_000,
                ..span
            },
        ];
        let quiet = silenced_wav(&wav, &edges).unwrap();
        assert_eq!(quiet.len(), wav.len());
        assert!(matches!(
            silenced_wav(b"nope", &edges),
            Err(ChannelError::NotWav)
        ));
    }

    fn said(party: u8, start_ms: u32, text: &str) -> SpokenWord {
        SpokenWord {
            party,
            start_ms,
            end_ms: start_ms + 300,
            text: text.into(),
        }
    }

    #[test]
    fn a_transcript_is_kept_as_text_and_read_back() {
        let transcript = Transcript {
            words: vec![
                said(0, 0, "Hello,"),
                said(1, 500, "tab\there"),
                said(0, 900, ""),
            ],
        };
        let text = transcript.to_text();
        assert_eq!(text.lines().count(), 3);
        let back = Transcript::from_text(&text).unwrap();
        assert_eq!(back.words[0], transcript.words[0]);
        assert_eq!(back.words[1].text, "tab here");
        assert_eq!(back.words[2].text, "");
        assert_eq!(Transcript::from_text("").unwrap().words.len(), 0);
        for broken in ["0\t1\n", "x\t1\t2\thi\n", "0\t-1\t2\thi\n"] {
            assert!(Transcript::from_text(broken).is_none(), "{broken:?}");
        }
    }

    #[test]
    fn segments_break_at_the_other_speaker_a_pause_or_twelve_seconds() {
        let mut words = vec![
            said(0, 0, "Hello"),
            said(0, 400, "there."),
            said(1, 800, "Hi"),
            said(1, 4000, "again."),
        ];
        words.extend((0..50).map(|i| said(0, 6000 + i * 400, "word")));
        let transcript = Transcript { words };
        let segments = transcript.segments();
        let shape: Vec<(u8, u32, usize)> = segments
            .iter()
            .map(|s| (s.party, s.start_ms, s.words.len()))
            .collect();
        assert_eq!(shape[..3], [(0, 0, 2), (1, 800, 1), (1, 4000, 1)]);
        assert!(segments[3..]
            .iter()
            .all(|s| s.end_ms - s.start_ms <= 12_000));
        assert_eq!(
            segments[3..].iter().map(|s| s.words.len()).sum::<usize>(),
            50
        );
        let names = |p: u8| ["Caller", "Agent <a>"][p as usize].to_string();
        let text = transcript.plain_text(names);
        assert!(
            text.starts_with(
                "[0:00] Caller: Hello there.\n[0:00] Agent <a>: Hi\n[0:04] Agent <a>: again.\n"
            ),
            "{text}"
        );
        let vtt = Transcript {
            words: vec![said(0, 61_250, "a<b>&c"), said(1, 3_600_000, "-->")],
        }
        .webvtt(names);
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:01:01.250 --> 00:01:01.550\n<v Caller>a&lt;b&gt;&amp;c\n\n2\n01:00:00.000 --> 01:00:00.300\n<v Agent a>--&gt;\n"
        );
    }

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
