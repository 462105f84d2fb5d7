//! The transcription queue's worker: claims a due job (any node; a lease
//! keeps the others off it), hears the call party by party, seals the
//! transcript with the company's data key, indexes its words as keyed
//! hashes, and keeps both only while it still holds the job. A failed try
//! is tried again with backoff, and given up after a day.

use super::engine::{Engine, EngineError};
use super::hearing::{hear_call, HearingError};
use super::index::word_key;
use crate::sealing::seal_file;
use crate::sealing::{open_audio, DataKeys, Opened};
use crate::{Clock, Error};
use callrec_domain::audio::AudioFormat;
use callrec_domain::audit::AuditAction;
use callrec_domain::marks::MarkKind;
use callrec_domain::permissions::DataScope;
use callrec_domain::transcript::{silenced_wav, RedactedSpan};
use callrec_domain::transcription::Redaction;
use callrec_domain::transcription::{gives_up, retry_after};
use callrec_domain::waveform::Peaks;
use callrec_domain::CompanyId;
use callrec_store::{
    BlobStore, ClaimedJob, NewAuditEntry, NewTranscript, PreparedBlob, RedactedAudio,
    RedactedSaved, Store,
};
use std::io::Read;

/// Who the audit log says redacted a call's audio.
const ACTOR: &str = "transcription";

/// The longest call transcribed: its audio is held in memory while the
/// engine hears it, about three times over (2 hours of 8 kHz stereo is
/// 115 MB; compressed audio is decoded at 16 kHz at most).
const MAX_TRANSCRIBED_MS: i64 = 2 * 3_600_000;

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
    /// How long a claimed job is this worker's alone at first: long enough
    /// to read the audio and for the engine to hear two channels at its
    /// slowest; renewed for the channels the call has once it is read.
    /// (Past it another node may take the job; whichever holds it when its
    /// transcript is ready keeps it, so a call is never kept twice.)
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
                "calls longer than 2 hours are not transcribed".into(),
            ));
        }
        let wav = self
            .pcm_wav(&recording.storage_key, recording.format)
            .await?;
        // Held as long as the engine may take for each channel.
        let channels = callrec_domain::audio::wav_layout(&wav)
            .map(|layout| i64::from(layout.channels))
            .unwrap_or(1);
        let timeout = self.engine.timeout().as_secs() as i64;
        let until = self.clock.now() + timeout * (channels + 1) + 60;
        if !self
            .store
            .renew_transcription(&recording.id, self.holder, until)
            .await
            .map_err(Error::from)?
        {
            return Ok(Worked::Lost);
        }
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
        let copy = if company.redaction == Redaction::TranscriptAndAudio && !redacted.is_empty() {
            Some(self.redacted_copy(&wav, &redacted, company.id, now).await?)
        } else {
            None
        };
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
        match copy {
            None => {
                if !self
                    .store
                    .save_transcript(&new, self.holder, now)
                    .await
                    .map_err(Error::from)?
                {
                    return Ok(Worked::Lost);
                }
            }
            Some((copy, peaks)) => {
                let (spans, copy_sha256) = (redacted.len(), copy.sha256.clone());
                let target = recording.id.as_str().to_string();
                let audio = RedactedAudio {
                    blobs: self.blobs,
                    heard_key: recording.storage_key.clone(),
                    copy,
                    peaks: peaks.as_ref(),
                    entry: Box::new(move |original: &str, held: bool| {
                        let fate = if held {
                            "kept while the call is on legal hold"
                        } else {
                            "destroyed"
                        };
                        let mut entry = NewAuditEntry::new(AuditAction::AudioRedacted)
                            .company(company.id)
                            .target(target)
                            .details(format!(
                                "{spans} card numbers silenced: the call's audio is now SHA-256 {copy_sha256}; the original, SHA-256 {original}, is {fate}"
                            ));
                        entry.actor_name = Some(ACTOR.into());
                        entry
                    }),
                };
                match self
                    .store
                    .save_redacted_transcript(&new, self.holder, now, audio)
                    .await
                    .map_err(Error::from)?
                {
                    RedactedSaved::Lost => return Ok(Worked::Lost),
                    RedactedSaved::Gone => {
                        return Err(Failure::ForGood(
                            "the recording was deleted or its audio changed while it was heard"
                                .into(),
                        ))
                    }
                    RedactedSaved::Kept { destroy: None } => {}
                    RedactedSaved::Kept {
                        destroy: Some(original),
                    } => {
                        // Queued for the purge job too: if this fails, it
                        // is destroyed on its next run.
                        match self
                            .store
                            .remove_audio_if_unused(&original, self.blobs)
                            .await
                        {
                            Ok(_) => self
                                .store
                                .forget_purged_audio(&original)
                                .await
                                .map_err(Error::from)?,
                            Err(err) => {
                                tracing::warn!(error = %err, "could not destroy a redacted call's original yet; the purge job will")
                            }
                        }
                    }
                }
            }
        }
        Ok(Worked::Transcribed {
            audio_ms,
            words: transcript.words.len(),
        })
    }

    /// The call's audio with `redacted` silenced, written and sealed with
    /// the company's data key (not yet under its key), with its peaks.
    async fn redacted_copy(
        &self,
        wav: &[u8],
        redacted: &[RedactedSpan],
        company: CompanyId,
        now: i64,
    ) -> Result<(PreparedBlob, Option<Peaks>), Failure> {
        let quiet = silenced_wav(wav, redacted).map_err(|err| Failure::ForGood(err.to_string()))?;
        let io = Error::io("the redacted copy of a call's audio");
        let mut writer = self.blobs.writer().await.map_err(&io)?;
        writer.write(&quiet).await.map_err(&io)?;
        let copy = self.blobs.finish(writer, company).await.map_err(&io)?;
        let (key_id, key) = self.keys.current(self.store, company, now).await?;
        let temp = copy.temp_path().to_path_buf();
        let peaks = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Peaks>> {
            seal_file(&mut std::io::Cursor::new(&quiet[..]), &temp, &key, key_id)?;
            crate::waveforms::peaks_of(std::io::Cursor::new(quiet))
        })
        .await
        .map_err(Error::from)?
        .map_err(&io)?;
        // Noted before it is placed: a node dying in between leaves a key
        // the orphan sweep knows to look at.
        self.store
            .note_pending_audio(&copy.key, now)
            .await
            .map_err(Error::from)?;
        Ok((copy, peaks))
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
