//! MP3 and Ogg Vorbis decoded (symphonia) for their waveforms: their
//! samples exist only once decoded, and the length only at the end.

use callrec_domain::waveform::{DecodedPeaks, Peaks};
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Mutex;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as Decoding;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The peaks of compressed audio read from its start: `Ok(None)` when
/// it holds nothing symphonia decodes (an Opus stream, a damaged file);
/// `Err` when the bytes could not be read (tried again later).
pub fn peaks_of_decoded<R: Read + Seek + Send + 'static>(
    audio: R,
    len: u64,
) -> io::Result<Option<Peaks>> {
    let source = Source {
        inner: Mutex::new(audio),
        len,
    };
    let stream = MediaSourceStream::new(Box::new(source), Default::default());
    let probed = symphonia::default::get_probe().format(
        &Hint::new(),
        stream,
        &FormatOptions::default(),
        &MetadataOptions::default(),
    );
    let mut format = match probed {
        Ok(probed) => probed.format,
        Err(err) => return undecodable(err),
    };
    let Some(track) = format.default_track() else {
        return Ok(None);
    };
    let track_id = track.id;
    let mut decoder = match symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
    {
        Ok(decoder) => decoder,
        Err(err) => return undecodable(err),
    };
    let mut peaks: Option<DecodedPeaks> = None;
    let mut samples: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(Decoding::IoError(err)) if err.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(err) => return undecodable(err),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged frame is skipped, as a player would.
            Err(Decoding::DecodeError(_)) => continue,
            Err(err) => return undecodable(err),
        };
        let spec = *decoded.spec();
        let channels = spec.channels.count();
        let collector = match &mut peaks {
            Some(collector) => collector,
            None => match DecodedPeaks::new(channels) {
                Some(collector) => peaks.insert(collector),
                None => return Ok(None),
            },
        };
        let buffer = match &mut samples {
            Some(buffer) if buffer.capacity() >= decoded.capacity() * channels => buffer,
            _ => samples.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buffer.copy_interleaved_ref(decoded);
        collector.feed(buffer.samples());
    }
    Ok(peaks.and_then(DecodedPeaks::finish))
}

/// A failure to decode: an unreadable file is `Err` (tried again later),
/// anything else means the file holds nothing to draw.
fn undecodable(err: Decoding) -> io::Result<Option<Peaks>> {
    match err {
        Decoding::IoError(err) if err.kind() != io::ErrorKind::UnexpectedEof => Err(err),
        _ => Ok(None),
    }
}

/// The reader as symphonia takes it (`Sync`, through a lock only this
/// thread takes).
struct Source<R> {
    inner: Mutex<R>,
    len: u64,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_mut().map_err(poisoned)?.read(buf)
    }
}

impl<R: Seek> Seek for Source<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.get_mut().map_err(poisoned)?.seek(to)
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
