//! Waveform peaks: computed from a file's bytes when it arrives
//! (`ingest`), and for files stored before there were peaks by the
//! waveform job (`callrec migrate`, and every node in the background).
//! A WAV's samples are read as they are; MP3 and Ogg are decoded
//! (`decoded`).

mod decoded;

pub(crate) use decoded::pcm_wav_of_decoded;

use crate::lease::Lease;
use crate::sealing::{open_audio, DataKeys, Opened};
use crate::Error;
use callrec_domain::audio::{wav_layout, AudioFormat};
use callrec_domain::waveform::{PeakScanner, Peaks};
use callrec_store::{BlobStore, Job, Store};
use std::io::{self, Read, Seek, SeekFrom};

/// Bytes read at a time; the first read holds the header.
const PIECE: usize = 64 * 1024;

/// The peaks of an audio file read from its start; `None` for samples
/// that cannot be read (a damaged header, a compressed WAV, Ogg Opus).
pub fn peaks_of<R: Read + Seek + Send + 'static>(mut audio: R) -> io::Result<Option<Peaks>> {
    let mut piece = vec![0u8; PIECE];
    let mut filled = 0;
    while filled < PIECE {
        match audio.read(&mut piece[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    match AudioFormat::sniff(&piece[..filled]) {
        Some(AudioFormat::Wav) => wav_peaks(&mut audio, piece, filled),
        Some(AudioFormat::Mp3 | AudioFormat::Ogg) => {
            let len = audio.seek(SeekFrom::End(0))?;
            audio.seek(SeekFrom::Start(0))?;
            // The decoder reads what anyone uploaded: if it ever panics on
            // a crafted file, the call is stored without a waveform.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                decoded::peaks_of_decoded(audio, len)
            }))
            .unwrap_or_else(|_| {
                tracing::warn!("the audio decoder gave up on a file; it has no waveform");
                Ok(None)
            })
        }
        None => Ok(None),
    }
}

/// A WAV's peaks, from its first `filled` bytes in `piece` on.
fn wav_peaks(audio: &mut dyn Read, mut piece: Vec<u8>, filled: usize) -> io::Result<Option<Peaks>> {
    let Some(mut scanner) = wav_layout(&piece[..filled])
        .ok()
        .and_then(|layout| PeakScanner::new(&layout))
    else {
        return Ok(None);
    };
    scanner.feed(&piece[..filled]);
    loop {
        match audio.read(&mut piece)? {
            0 => return Ok(scanner.finish()),
            n => scanner.feed(&piece[..n]),
        }
    }
}

/// What a run of the waveform job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Filled {
    /// Files whose peaks were saved.
    pub drawn: u64,
    /// Files without readable samples (saved as such, not tried again).
    pub without: u64,
    /// Files that could not be read now (tried again by the next run).
    pub failed: u64,
}

/// Files looked at a batch.
const BATCH: i64 = 100;

/// Computes and saves the peaks of every audio file that has none, calling
/// `progress(done, total)` as it goes. One node at a time (a lease), so
/// two nodes never read the same files; `None` if another holds it.
pub async fn fill_missing(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    holder: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Option<Filled>, Error> {
    let Some(lease) = Lease::take(store, Job::Waveforms, holder, 600).await? else {
        return Ok(None);
    };
    let run = fill_under(store, blobs, keys, &lease, &mut progress).await;
    // Released whatever happened, so the next run need not wait it out.
    let released = lease.release().await;
    let filled = run?;
    released?;
    Ok(Some(filled))
}

/// Peaks of one file: `Ok(None)` when it has no samples to draw, `Err` when
/// it could not be read now (tried again by a later run).
async fn peaks_of_stored(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    key: &str,
) -> Result<Option<Peaks>, Error> {
    match open_audio(store, blobs, keys, key).await? {
        Opened::Audio(reader) => Ok(tokio::task::spawn_blocking(move || peaks_of(reader))
            .await?
            .map_err(Error::io(format!("audio {key}")))?),
        Opened::Missing | Opened::Malformed => Ok(None),
    }
}

async fn fill_under(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    lease: &Lease<'_>,
    progress: &mut impl FnMut(u64, u64),
) -> Result<Filled, Error> {
    let total = store.count_audio_missing_peaks().await?.max(0) as u64;
    let mut filled = Filled::default();
    let mut after = String::new();
    loop {
        let batch = store.audio_missing_peaks(&after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.clone();
        for key in batch {
            match peaks_of_stored(store, blobs, keys, &key).await {
                Ok(peaks) => {
                    store.save_audio_peaks(&key, peaks.as_ref()).await?;
                    if peaks.is_some() {
                        filled.drawn += 1;
                    } else {
                        filled.without += 1;
                    }
                }
                // One file that cannot be read now does not stop the rest.
                Err(err) => {
                    tracing::warn!(key, error = %err, "could not read audio to draw its waveform; trying again later");
                    filled.failed += 1;
                }
            }
            progress(filled.drawn + filled.without + filled.failed, total);
        }
        if !lease.renew().await? {
            break;
        }
    }
    Ok(filled)
}
