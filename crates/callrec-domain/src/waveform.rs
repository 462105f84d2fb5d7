//! Waveform peaks: the loudest sample of each of a fixed number of slices
//! of a call, per channel, computed once when the audio arrives and drawn
//! by the player. A WAV's samples are read as they stream past
//! ([`PeakScanner::feed`]); MP3 and Ogg are decoded by the application
//! and their samples handed to [`DecodedPeaks`].

use crate::audio::WavLayout;
use crate::hex::{from_hex, hex};

/// Slices per channel: about one a pixel of a wide player.
pub const BUCKETS: usize = 1000;

/// Peaks per channel, 0–255 of full scale, [`BUCKETS`] each (fewer for a
/// call with fewer frames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peaks {
    channels: Vec<Vec<u8>>,
}

impl Peaks {
    pub fn channels(&self) -> &[Vec<u8>] {
        &self.channels
    }

    /// As stored: each channel's peaks in hex, channels joined by `.`.
    pub fn to_text(&self) -> String {
        self.channels
            .iter()
            .map(|c| hex(c))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// From [`Peaks::to_text`]; `None` for text that is not.
    pub fn from_text(text: &str) -> Option<Peaks> {
        let channels = text
            .split('.')
            .map(from_hex)
            .collect::<Option<Vec<Vec<u8>>>>()?;
        let same_length = channels.windows(2).all(|w| w[0].len() == w[1].len());
        let sized = channels.len() <= 8 && channels.iter().all(|c| !c.is_empty());
        (sized && same_length).then_some(Peaks { channels })
    }
}

/// How one sample is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Unsigned8,
    Signed16,
    Signed24,
    Signed32,
    Float32,
    ALaw,
    MuLaw,
}

impl Encoding {
    fn of(layout: &WavLayout) -> Option<Encoding> {
        match (layout.format_tag, layout.bits_per_sample) {
            (1, 8) => Some(Encoding::Unsigned8),
            (1, 16) => Some(Encoding::Signed16),
            (1, 24) => Some(Encoding::Signed24),
            (1, 32) => Some(Encoding::Signed32),
            (3, 32) => Some(Encoding::Float32),
            (6, 8) => Some(Encoding::ALaw),
            (7, 8) => Some(Encoding::MuLaw),
            _ => None,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Encoding::Unsigned8 | Encoding::ALaw | Encoding::MuLaw => 1,
            Encoding::Signed16 => 2,
            Encoding::Signed24 => 3,
            Encoding::Signed32 | Encoding::Float32 => 4,
        }
    }

    /// The sample's size as a share of full scale, 0–255.
    fn level(self, b: &[u8]) -> u8 {
        let fraction = match self {
            Encoding::Unsigned8 => (f32::from(b[0]) - 128.0) / 128.0,
            Encoding::Signed16 => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0,
            Encoding::Signed24 => {
                (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
            }
            Encoding::Signed32 => {
                i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
            }
            Encoding::Float32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Encoding::ALaw => f32::from(a_law(b[0])) / 32_768.0,
            Encoding::MuLaw => f32::from(mu_law(b[0])) / 32_768.0,
        };
        level_of(fraction)
    }
}

/// A sample's size as a share of full scale (±1.0), 0–255.
fn level_of(fraction: f32) -> u8 {
    (fraction.abs().min(1.0) * 255.0).round() as u8
}

/// G.711 A-law to linear.
fn a_law(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = (a >> 4) & 0x07;
    let mantissa = i16::from(a & 0x0F);
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        e => ((mantissa << 4) + 0x108) << (e - 1),
    };
    if a & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// G.711 µ-law to linear.
fn mu_law(byte: u8) -> i16 {
    let u = !byte;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i16::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Peaks of a WAV file read as it streams past: feed it the file's bytes
/// from the start, in pieces of any size.
pub struct PeakScanner {
    encoding: Encoding,
    channels: usize,
    frame: usize,
    data_offset: u64,
    /// Frames in the data chunk.
    frames: u64,
    /// Bytes of the file seen so far.
    seen: u64,
    /// A frame split between two pieces.
    partial: Vec<u8>,
    /// Frames read so far.
    frame_at: u64,
    peaks: Vec<Vec<u8>>,
}

impl PeakScanner {
    /// `None` for samples it cannot read (a compressed WAV, say).
    pub fn new(layout: &WavLayout) -> Option<PeakScanner> {
        let encoding = Encoding::of(layout)?;
        let channels = usize::from(layout.channels);
        let frame = encoding.bytes() * channels;
        if channels == 0 || channels > 8 || usize::from(layout.block_align) != frame {
            return None;
        }
        let frames = layout.data_len / frame as u64;
        let buckets = BUCKETS.min(frames as usize);
        Some(PeakScanner {
            encoding,
            channels,
            frame,
            data_offset: layout.data_offset as u64,
            frames,
            seen: 0,
            partial: Vec::with_capacity(frame),
            frame_at: 0,
            peaks: vec![vec![0; buckets]; channels],
        })
    }

    pub fn feed(&mut self, piece: &[u8]) {
        let start = self.seen;
        self.seen += piece.len() as u64;
        // Skip the header, and stop at the end of the data chunk.
        let skip = self
            .data_offset
            .saturating_sub(start)
            .min(piece.len() as u64) as usize;
        let mut rest = &piece[skip..];
        if !self.partial.is_empty() {
            let take = (self.frame - self.partial.len()).min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.partial.len() == self.frame {
                let frame = std::mem::take(&mut self.partial);
                self.frame_done(&frame);
                self.partial = frame;
                self.partial.clear();
            }
        }
        let mut frames = rest.chunks_exact(self.frame);
        for frame in frames.by_ref() {
            if self.frame_at >= self.frames {
                return;
            }
            self.frame_done(frame);
        }
        if self.frame_at < self.frames {
            self.partial.extend_from_slice(frames.remainder());
        }
    }

    fn frame_done(&mut self, frame: &[u8]) {
        let buckets = self.peaks[0].len() as u64;
        if buckets == 0 || self.frame_at >= self.frames {
            return;
        }
        let bucket = (self.frame_at * buckets / self.frames) as usize;
        let width = self.encoding.bytes();
        for (channel, sample) in frame.chunks_exact(width).enumerate().take(self.channels) {
            let level = self.encoding.level(sample);
            let peak = &mut self.peaks[channel][bucket];
            *peak = (*peak).max(level);
        }
        self.frame_at += 1;
    }

    /// The peaks; `None` for a call without a single frame.
    pub fn finish(self) -> Option<Peaks> {
        (!self.peaks[0].is_empty()).then_some(Peaks {
            channels: self.peaks,
        })
    }
}

/// Levels [`DecodedPeaks`] keeps per channel before it halves them.
const DECODED_LEVELS: usize = 1 << 16;

/// Peaks of decoded audio, whose length is known only at its end (MP3,
/// Ogg): the loudest level of every block of frames per channel, a block
/// one frame to start with and twice as long each time
/// [`DECODED_LEVELS`] blocks are full (so an hour at 48 kHz keeps 64 K
/// levels, not 173 M), folded into [`BUCKETS`] slices at the end.
pub struct DecodedPeaks {
    channels: usize,
    block_frames: u64,
    /// Frames in the last block so far.
    in_block: u64,
    levels: Vec<Vec<u8>>,
}

impl DecodedPeaks {
    /// `None` for no channels or more than eight.
    pub fn new(channels: usize) -> Option<DecodedPeaks> {
        (1..=8).contains(&channels).then(|| DecodedPeaks {
            channels,
            block_frames: 1,
            in_block: 0,
            levels: vec![Vec::new(); channels],
        })
    }

    /// Interleaved samples of whole frames, full scale ±1.0.
    pub fn feed(&mut self, samples: &[f32]) {
        for frame in samples.chunks_exact(self.channels) {
            if self.in_block == 0 {
                self.levels.iter_mut().for_each(|levels| levels.push(0));
            }
            for (levels, sample) in self.levels.iter_mut().zip(frame) {
                if let Some(last) = levels.last_mut() {
                    *last = (*last).max(level_of(*sample));
                }
            }
            self.in_block += 1;
            if self.in_block == self.block_frames {
                self.in_block = 0;
                if self.levels[0].len() == DECODED_LEVELS {
                    self.halve();
                }
            }
        }
    }

    /// Pairs of blocks become one block of twice the frames.
    fn halve(&mut self) {
        for levels in &mut self.levels {
            *levels = levels
                .chunks(2)
                .map(|pair| pair.iter().copied().max().unwrap_or(0))
                .collect();
        }
        self.block_frames *= 2;
    }

    /// The peaks; `None` for audio without a single frame.
    pub fn finish(self) -> Option<Peaks> {
        let blocks = self.levels[0].len();
        if blocks == 0 {
            return None;
        }
        let buckets = BUCKETS.min(blocks);
        let channels = self
            .levels
            .iter()
            .map(|levels| {
                (0..buckets)
                    .map(|b| {
                        let slice = &levels[b * blocks / buckets..(b + 1) * blocks / buckets];
                        slice.iter().copied().max().unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        Some(Peaks { channels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{pcm_wav, pcm_wav_channels, wav_layout};

    fn scan(file: &[u8], piece: usize) -> Peaks {
        let mut scanner = PeakScanner::new(&wav_layout(file).unwrap()).unwrap();
        for chunk in file.chunks(piece) {
            scanner.feed(chunk);
        }
        scanner.finish().unwrap()
    }

    /// Two seconds of stereo at 8 kHz: the caller at half scale in the
    /// first second, the agent at full scale in the second.
    fn two_parties() -> Vec<i16> {
        (0..16_000)
            .flat_map(|frame| {
                if frame < 8_000 {
                    [16_384, 0]
                } else {
                    [0, -32_768]
                }
            })
            .collect()
    }

    #[test]
    fn peaks_are_the_loudest_sample_of_each_slice_per_channel() {
        let samples = two_parties();
        let file = pcm_wav_channels(&samples, 2, 8_000);
        let whole = scan(&file, file.len());
        assert_eq!(whole.channels().len(), 2);
        let (caller, agent) = (&whole.channels()[0], &whole.channels()[1]);
        assert_eq!(caller.len(), BUCKETS);
        assert_eq!(
            (caller[0], caller[499], caller[500], caller[999]),
            (128, 128, 0, 0)
        );
        assert_eq!(
            (agent[0], agent[499], agent[500], agent[999]),
            (0, 0, 255, 255)
        );
        // Pieces of any size (odd ones split frames) give the same peaks.
        for piece in [1, 3, 7, 4096] {
            assert_eq!(scan(&file, piece), whole, "{piece}");
        }
        assert_eq!(Peaks::from_text(&whole.to_text()), Some(whole));
    }

    #[test]
    fn short_calls_compressed_wavs_and_bad_text() {
        let short = scan(&pcm_wav(&[0, 32_767, -100], 8_000), 2);
        assert_eq!(short.channels(), [vec![0, 255, 1]]);
        let mut odd = pcm_wav(&[0; 10], 8_000);
        odd[20] = 2; // ADPCM
        assert!(PeakScanner::new(&wav_layout(&odd).unwrap()).is_none());
        let empty = pcm_wav(&[], 8_000);
        assert_eq!(
            PeakScanner::new(&wav_layout(&empty).unwrap())
                .unwrap()
                .finish(),
            None
        );
        for bad in ["", "zz", "00.0000", "0g"] {
            assert_eq!(Peaks::from_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decoded_audio_of_any_length_gives_the_same_slices() {
        // The same samples as a decoder hands them over: the same peaks
        // as in a WAV.
        let samples = two_parties();
        let in_wav = scan(&pcm_wav_channels(&samples, 2, 8_000), 4096);
        let floats: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32_768.0).collect();
        let mut decoded = DecodedPeaks::new(2).unwrap();
        for packet in floats.chunks(2 * 1152) {
            decoded.feed(packet);
        }
        assert_eq!(decoded.finish().unwrap(), in_wav);

        // Long enough to halve the blocks many times: one loud frame late
        // in the call still shows, in its slice and no other.
        let mut long = DecodedPeaks::new(1).unwrap();
        let total = 3 * DECODED_LEVELS * 37;
        let loud = total * 9 / 10;
        let mut samples = vec![0.0f32; total];
        samples[loud] = 1.0;
        for packet in samples.chunks(4096) {
            long.feed(packet);
        }
        let long = long.finish().unwrap();
        let lane = &long.channels()[0];
        assert_eq!(lane.len(), BUCKETS);
        assert_eq!(lane.iter().filter(|&&p| p > 0).count(), 1);
        assert!((895..=905).contains(&lane.iter().position(|&p| p == 255).unwrap()));

        assert!(DecodedPeaks::new(0).is_none() && DecodedPeaks::new(9).is_none());
        assert_eq!(DecodedPeaks::new(1).unwrap().finish(), None);
        let mut short = DecodedPeaks::new(1).unwrap();
        short.feed(&[0.0, 1.0, -0.004]);
        assert_eq!(short.finish().unwrap().channels(), [vec![0, 255, 1]]);
    }

    #[test]
    fn g711_decodes_to_linear() {
        assert_eq!(mu_law(0xFF), 0);
        assert_eq!(mu_law(0x80), 32_124);
        assert_eq!(mu_law(0x00), -32_124);
        assert_eq!(a_law(0xD5), 8);
        assert_eq!(a_law(0xAA), 32_256);
        assert_eq!(a_law(0x2A), -32_256);
    }
}
