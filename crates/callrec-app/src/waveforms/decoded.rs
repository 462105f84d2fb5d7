//! MP3 and Ogg Vorbis decoded (symphonia) for their waveforms: their
//! samples exist only once decoded, and the length only at the end.

use callrec_domain::waveform::{DecodedPeaks, Peaks};
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as Decoding;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The most frames decoded per byte of the file: real speech is under
/// 100 (8 kHz MP3 at 8 kbit/s is 8), while a crafted Vorbis stream can
/// ask for 4,096 from two bytes; past this the file is not drawn.
const MAX_FRAMES_PER_BYTE: u64 = 1_000;

/// The peaks of compressed audio read from its start: `Ok(None)` when
/// it holds nothing symphonia decodes (an Opus stream, a damaged or
/// crafted file); `Err` only when the bytes could not be read (tried
/// again later).
pub fn peaks_of_decoded<R: Read + Seek + Send + 'static>(
    audio: R,
    len: u64,
) -> io::Result<Option<Peaks>> {
    let failed = Arc::new(AtomicBool::new(false));
    let source = Source {
        inner: Mutex::new(audio),
        len,
        failed: failed.clone(),
    };
    let peaks = decode(source, len, PeakSink(None));
    if failed.load(Ordering::Relaxed) {
        return Err(io::Error::other("the audio could not be read"));
    }
    Ok(peaks)
}

/// Compressed audio decoded to a 16-bit PCM WAV file with its channels
/// (what a speech engine is sent); `Ok(None)` as for the peaks.
pub fn pcm_wav_of_decoded<R: Read + Seek + Send + 'static>(
    audio: R,
    len: u64,
) -> io::Result<Option<Vec<u8>>> {
    let failed = Arc::new(AtomicBool::new(false));
    let source = Source {
        inner: Mutex::new(audio),
        len,
        failed: failed.clone(),
    };
    let wav = decode(source, len, PcmSink::default());
    if failed.load(Ordering::Relaxed) {
        return Err(io::Error::other("the audio could not be read"));
    }
    Ok(wav)
}

/// Where a decoded file's samples go.
trait Sink {
    type Output;
    /// The stream's channels and rate are known; false to give up.
    fn start(&mut self, channels: usize, rate: u32) -> bool;
    fn feed(&mut self, interleaved: &[f32]);
    fn finish(self) -> Option<Self::Output>;
}

/// The waveform's peaks.
struct PeakSink(Option<DecodedPeaks>);

impl Sink for PeakSink {
    type Output = Peaks;
    fn start(&mut self, channels: usize, _rate: u32) -> bool {
        self.0 = DecodedPeaks::new(channels);
        self.0.is_some()
    }
    fn feed(&mut self, interleaved: &[f32]) {
        if let Some(peaks) = &mut self.0 {
            peaks.feed(interleaved);
        }
    }
    fn finish(self) -> Option<Peaks> {
        self.0.and_then(DecodedPeaks::finish)
    }
}

/// The highest rate audio is decoded to for a speech engine (Whisper
/// hears 16 kHz): a 48 kHz file keeps one frame in three.
const MAX_PCM_RATE: u32 = 16_000;
/// The most samples decoded (2 hours of 16 kHz stereo, 460 MB): past it
/// the file is not decoded.
const MAX_PCM_SAMPLES: usize = 2 * 3600 * 16_000 * 2;

/// The samples as 16-bit PCM, at 16 kHz at most (every `step`-th frame).
#[derive(Default)]
struct PcmSink {
    samples: Vec<i16>,
    channels: u16,
    rate: u32,
    step: usize,
    /// Frames seen, for the stepping across packets.
    frames: usize,
    too_long: bool,
}

impl Sink for PcmSink {
    type Output = Vec<u8>;
    fn start(&mut self, channels: usize, rate: u32) -> bool {
        self.channels = u16::try_from(channels).unwrap_or(0);
        self.step = rate.div_ceil(MAX_PCM_RATE).max(1) as usize;
        self.rate = rate / self.step as u32;
        (1..=8).contains(&self.channels) && self.rate > 0
    }
    fn feed(&mut self, interleaved: &[f32]) {
        if self.too_long {
            return;
        }
        let channels = usize::from(self.channels);
        for frame in interleaved.chunks_exact(channels) {
            if self.frames.is_multiple_of(self.step) {
                self.samples.extend(
                    frame
                        .iter()
                        .map(|s| (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16),
                );
            }
            self.frames += 1;
        }
        if self.samples.len() > MAX_PCM_SAMPLES {
            self.too_long = true;
            self.samples = Vec::new();
        }
    }
    fn finish(self) -> Option<Vec<u8>> {
        (self.channels > 0 && !self.too_long).then(|| {
            callrec_domain::audio::pcm_wav_channels(&self.samples, self.channels, self.rate)
        })
    }
}

/// The peaks, or `None` for anything short of a whole decodable file
/// (symphonia reports a damaged stream as an I/O error too: the reader
/// tells a real read failure apart).
fn decode<R: Read + Seek + Send + 'static, S: Sink>(
    source: Source<R>,
    len: u64,
    mut sink: S,
) -> Option<S::Output> {
    let stream = MediaSourceStream::new(Box::new(source), Default::default());
    let probed = symphonia::default::get_probe().format(
        &Hint::new(),
        stream,
        &FormatOptions::default(),
        &MetadataOptions::default(),
    );
    let mut format = probed.ok()?.format;
    let track = format.default_track()?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .ok()?;
    let max_frames = len.saturating_mul(MAX_FRAMES_PER_BYTE);
    let mut frames: u64 = 0;
    let mut started = false;
    let mut samples: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(Decoding::IoError(err)) if err.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(_) => return None,
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged frame is skipped, as a player would.
            Err(Decoding::DecodeError(_)) => continue,
            Err(_) => return None,
        };
        let spec = *decoded.spec();
        frames += decoded.frames() as u64;
        // A day is the longest call (`MAX_DURATION_MS`).
        if frames > max_frames || frames > u64::from(spec.rate) * 86_400 {
            return None;
        }
        let channels = spec.channels.count();
        if !started {
            if !sink.start(channels, spec.rate) {
                return None;
            }
            started = true;
        }
        let buffer = match &mut samples {
            Some(buffer) if buffer.capacity() >= decoded.capacity() * channels => buffer,
            _ => samples.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buffer.copy_interleaved_ref(decoded);
        sink.feed(buffer.samples());
    }
    if !started {
        return None;
    }
    sink.finish()
}

/// The reader as symphonia takes it (`Sync`, through a lock only this
/// thread takes).
struct Source<R> {
    inner: Mutex<R>,
    len: u64,
    /// Set when the file itself could not be read.
    failed: Arc<AtomicBool>,
}

impl<R> Source<R> {
    fn noted<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self
            .inner
            .get_mut()
            .map_err(poisoned)
            .and_then(|r| r.read(buf));
        self.noted(result)
    }
}

impl<R: Seek> Seek for Source<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let result = self
            .inner
            .get_mut()
            .map_err(poisoned)
            .and_then(|r| r.seek(to));
        self.noted(result)
    }
}

impl<R: Read + Seek + Send> MediaSource for Source<R> {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

fn poisoned<T>(_: T) -> io::Error {
    io::Error::other("the audio reader was poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const OGG: &[u8] = include_bytes!("../../tests/fixtures/two-parties.ogg");
    const MP3: &[u8] = include_bytes!("../../tests/fixtures/two-parties.mp3");

    #[test]
    fn compressed_calls_decode_to_pcm_for_an_engine() {
        for file in [OGG, MP3] {
            let wav = pcm_wav_of_decoded(Cursor::new(file.to_vec()), file.len() as u64)
                .unwrap()
                .expect("decoded");
            let info = callrec_domain::audio::wav_info(&wav).unwrap();
            let layout = callrec_domain::audio::wav_layout(&wav).unwrap();
            assert_eq!((layout.channels, layout.bits_per_sample), (2, 16));
            assert!(
                (2_900..=3_200).contains(&info.duration_ms),
                "{}",
                info.duration_ms
            );
            let parts = callrec_domain::transcript::channel_wavs(&wav, &[]).unwrap();
            assert_eq!(parts.len(), 2, "a party a channel");
        }
        assert_eq!(
            pcm_wav_of_decoded(Cursor::new(b"not audio".to_vec()), 9).unwrap(),
            None
        );
    }

    #[test]
    fn damaged_files_are_not_drawn_and_never_an_error() {
        for file in [OGG, MP3] {
            assert!(
                peaks_of_decoded(Cursor::new(file.to_vec()), file.len() as u64)
                    .unwrap()
                    .is_some()
            );
            for cut in (0..file.len()).step_by(61) {
                let part = file[..cut].to_vec();
                assert!(
                    peaks_of_decoded(Cursor::new(part), cut as u64).is_ok(),
                    "cut at {cut}"
                );
            }
            for at in (0..file.len()).step_by(53) {
                let mut damaged = file.to_vec();
                damaged[at] ^= 0x5A;
                let len = damaged.len() as u64;
                assert!(
                    peaks_of_decoded(Cursor::new(damaged), len).is_ok(),
                    "byte {at}"
                );
            }
        }
    }

    /// A file whose reads fail part-way (a sealed chunk that does not open).
    struct Failing(Cursor<Vec<u8>>);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.position() > 2_000 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "chunk does not open",
                ));
            }
            self.0.read(buf)
        }
    }

    impl Seek for Failing {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.0.seek(to)
        }
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_error() {
        let result = peaks_of_decoded(Failing(Cursor::new(OGG.to_vec())), OGG.len() as u64);
        assert!(result.is_err(), "{result:?}");
    }
}
