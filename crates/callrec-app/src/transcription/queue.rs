//! The transcription queue's worker: claims a due job (any node; a lease
//! keeps the others off it), hears the call party by party, seals the
//! transcript with the company's data key, indexes its words as keyed
//! hashes, and keeps both only while it still holds the job. A failed try
//! is tried again with backoff, and given up after a day.

use super::engine::{Engine, EngineError};
use super::hearing::{hear_call, HearingError};
use super::index::word_key;
use crate::sealing::{open_audio, DataKeys, Opened};
use crate::{Clock, Error};
use callrec_domain::audio::AudioFormat;
use callrec_domain::marks::MarkKind;
use callrec_domain::permissions::DataScope;
use callrec_domain::transcription::{gives_up, retry_after};
use callrec_store::{BlobStore, ClaimedJob, NewTranscript, Store};
use std::io::Read;

/// The longest call transcribed: its audio is held in memory while the
/// engine hears it (4 hours of 8 kHz stereo is 230 MB).
const MAX_TRANSCRIBED_MS: i64 = 4 * 3_600_000;

/// What one turn of the worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worked {
    /// Nothing was due.
    Idle,
    /// A transcript was kept: seconds of audio heard and words kept.
    Transcribed { audio_ms: i64, words: usize },
    /// The try failed; tried again later.
    Retrying { error: String },
    /// The try failed for good (or a day of tries did): shown as
    /// "Transcript failed".
    GaveUp { error: String },
    /// Another node took the job over meanwhile (this node's lease ran
    /// out): nothing of this try was kept.
    Lost,
}

/// Why a try failed: tried again, or not worth trying again.
enum Failure {
    Again(String),
    ForGood(String),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Again(err.to_string())
    }
}

impl From<HearingError> for Failure {
    fn from(err: HearingError) -> Failure {
        match err {
            HearingError::Audio(err) => Failure::ForGood(err.to_string()),
            HearingError::Engine(
                err @ EngineError::Refused {
                    status: 400..=499, ..
                },
            ) if !matches!(
                err,
                EngineError::Refused {
                    status: 408 | 429,
                    ..
                }
            ) =>
            {
                // The engine refuses this audio: asking again will not help
                // unless its operator changes it (Retry on the page).
                Failure::ForGood(err.to_string())
            }
            HearingError::Engine(err) => Failure::Again(err.to_string()),
        }
    }
}

/// One node's worker.
pub struct Transcriber<'a> {
    pub store: &'a Store,
    pub blobs: &'a BlobStore,
    pub keys: &'a DataKeys,
    pub engine: &'a Engine,
    pub clock: &'a Clock,
    /// This worker's name in the job's lease.
    pub holder: &'a str,
}

impl Transcriber<'_> {
    /// How long a claimed job is this worker's: long enough for the
    /// engine to hear two channels at its slowest, renewed per channel.
    fn lease_seconds(&self) -> i64 {
        self.engine.timeout().as_secs() as i64 * 3 + 60
    }

    /// Works the job due longest ago, if any.
    pub async fn work_one(&self) -> Result<Worked, Error> {
        let now = self.clock.now();
        let Some(job) = self
            .store
            .claim_transcription(self.holder, now, now + self.lease_seconds())
            .await?
        else {
            return Ok(Worked::Idle);
        };
        match self.transcribe(&job).await {
            Ok(worked) => Ok(worked),
            Err(failure) => {
                let now = self.clock.now();
                let (error, due_at) = match failure {
                    Failure::ForGood(error) => (error, None),
                    Failure::Again(error) if gives_up(job.queued_at, now) => (error, None),
                    Failure::Again(error) => (error, Some(now + retry_after(job.attempts + 1))),
                };
                tracing::warn!(recording = %job.recording_id, error, given_up = due_at.is_none(), "a transcription try failed");
                let kept = self
                    .store
                    .transcription_failed(&job.recording_id, self.holder, &error, due_at, now)
                    .await?;
                Ok(match (kept, due_at) {
                    (false, _) => Worked::Lost,
                    (true, Some(_)) => Worked::Retrying { error },
                    (true, None) => Worked::GaveUp { error },
                })
            }
        }
    }

    async fn transcribe(&self, job: &ClaimedJob) -> Result<Worked, Failure> {
        let scope = DataScope::Company(job.company_id);
        let recording = self
            .store
            .recording_in_scope(&job.recording_id, scope)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Failure::ForGood("the recording was deleted".into()))?;
        let company = self
            .store
            .company(job.company_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Failure::ForGood("the company is gone".into()))?;
        if recording.duration_ms > MAX_TRANSCRIBED_MS {
            return Err(Failure::ForGood(
                "calls longer than 4 hours are not transcribed".into(),
            ));
        }
        let wav = self
            .pcm_wav(&recording.storage_key, recording.format)
            .await?;
        let paused: Vec<(i64, i64)> = self
            .store
            .recording_marks(&recording.id)
            .await
            .map_err(Error::from)?
            .into_iter()
            .filter(|m| m.kind == MarkKind::Paused)
            .map(|m| (m.start_ms, m.end_ms))
            .collect();
        let (transcript, redacted) = hear_call(
            self.engine,
            &wav,
            &paused,
            company.redaction.of_transcript(),
        )
        .await?;
        let now = self.clock.now();
        let (key_id, sealed) =
            super::kept::sealed(self.store, self.keys, company.id, &transcript, now).await?;
        let word_key = word_key(self.store, self.keys.keyring(), company.id, now).await?;
        let terms = word_key.index(&transcript);
        let audio_ms = callrec_domain::audio::wav_info(&wav)
            .map(|info| info.duration_ms)
            .unwrap_or(recording.duration_ms);
        let new = NewTranscript {
            recording_id: &recording.id,
            company_id: company.id,
            key_id,
            sealed,
            word_count: transcript.words.len() as i64,
            audio_ms,
            redacted: redacted.len() as i64,
            terms: &terms,
        };
        if !self
            .store
            .save_transcript(&new, self.holder, now)
            .await
            .map_err(Error::from)?
        {
            return Ok(Worked::Lost);
        }
        Ok(Worked::Transcribed {
            audio_ms,
            words: transcript.words.len(),
        })
    }

    /// The call's audio as a 16-bit PCM WAV file (compressed audio is
    /// decoded first).
    async fn pcm_wav(&self, storage_key: &str, format: AudioFormat) -> Result<Vec<u8>, Failure> {
        let reader = match open_audio(self.store, self.blobs, self.keys, storage_key).await? {
            Opened::Audio(reader) => reader,
            Opened::Missing => return Err(Failure::Again("the audio file is missing".into())),
            Opened::Malformed => return Err(Failure::ForGood("the audio file is damaged".into())),
        };
        let len = reader.len();
        let wav = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
            match format {
                AudioFormat::Wav => {
                    let mut bytes = Vec::with_capacity(len as usize);
                    let mut reader = reader;
                    reader.read_to_end(&mut bytes)?;
                    Ok(Some(bytes))
                }
                _ => crate::waveforms::pcm_wav_of_decoded(reader, len),
            }
        })
        .await
        .map_err(Error::from)?
        .map_err(Error::io(format!("audio {storage_key}")))?;
        wav.ok_or_else(|| Failure::ForGood("the audio could not be decoded".into()))
    }
}
