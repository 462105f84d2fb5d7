//! Storing a recording: shared by the ingest API and `callrec import`.
//!
//! Audio is streamed into a [`BlobWriter`] (a temporary file), checked by
//! content, then fsynced and renamed into the content-addressed store; only
//! then is the row committed, so an acknowledged recording survives a crash.

use crate::audit::AuditContext;
use crate::sealing::{seal_file, DataKeys};
use crate::waveforms::peaks_of;
use crate::Caller;
use callrec_domain::audio::{wav_info, AudioFormat};
use callrec_domain::audit::AuditAction;
use callrec_domain::metadata::{validate_metadata, Metadata, MetadataInput};
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_domain::waveform::Peaks;
use callrec_domain::{CompanyId, ValidationError};
use callrec_store::{
    BlobStore, BlobWriter, Extras, Inserted, NewRecording, Recording, Store, StoreError, StoredBlob,
};
use rand::RngCore;
use serde_json::{Map, Value};
use std::io::Seek;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the metadata has errors")]
    Invalid(Vec<ValidationError>),
    #[error("the audio part is empty")]
    EmptyAudio,
    #[error("the audio is not WAV, MP3 or Ogg (checked by its content, not its name)")]
    UnsupportedAudio,
    #[error("the WAV file is cut off: {got} of {expected} bytes")]
    TruncatedAudio { got: u64, expected: u64 },
    #[error("{0}")]
    DamagedAudio(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("storing the audio failed: {0}")]
    Io(#[from] std::io::Error),
    /// The caller may not send this company recordings.
    #[error("not allowed to send this company recordings")]
    NotAllowed,
}

impl IngestError {
    fn field(field: &'static str, message: impl Into<String>) -> IngestError {
        IngestError::Invalid(vec![ValidationError::new(field, message)])
    }
}

/// What was stored (or found already stored).
#[derive(Debug, Clone)]
pub struct Ingested {
    pub recording: Recording,
    /// False when the external id was ingested before (idempotent retry).
    pub created: bool,
}

/// Parses JSON metadata, noting fields of the wrong JSON type as well as
/// the domain's checks.
pub fn parse_metadata(text: &str) -> Result<Metadata, IngestError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|err| IngestError::field("metadata", format!("is not valid JSON: {err}")))?;
    let Value::Object(object) = value else {
        return Err(IngestError::field("metadata", "must be a JSON object"));
    };
    let mut errors = Vec::new();
    let input = metadata_fields(&object, &mut errors);
    match validate_metadata(&input) {
        Ok(metadata) if errors.is_empty() => Ok(metadata),
        Ok(_) => Err(IngestError::Invalid(errors)),
        Err(more) => {
            // A field of the wrong type is reported once, not again as missing.
            let reported: Vec<&str> = errors.iter().map(|e| e.field).collect();
            let more: Vec<_> = more
                .into_iter()
                .filter(|e| !reported.contains(&e.field))
                .collect();
            errors.extend(more);
            Err(IngestError::Invalid(errors))
        }
    }
}

fn metadata_fields<'a>(
    object: &'a Map<String, Value>,
    errors: &mut Vec<ValidationError>,
) -> MetadataInput<'a> {
    let mut text = |name: &'static str| match object.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push(ValidationError::new(name, "must be a string"));
            None
        }
    };
    let mut input = MetadataInput {
        started_at: text("started_at"),
        direction: text("direction"),
        from: text("from"),
        to: text("to"),
        extension: text("extension"),
        username: text("username"),
        team: text("team"),
        external_id: text("external_id"),
        duration_ms: None,
    };
    match object.get("duration_ms") {
        None | Some(Value::Null) => {}
        Some(value) => match value.as_i64() {
            Some(ms) => input.duration_ms = Some(ms),
            None => errors.push(ValidationError::new(
                "duration_ms",
                "must be a whole number of milliseconds",
            )),
        },
    }
    input
}

/// Audio must be WAV, MP3 or Ogg by its bytes, and a WAV must be whole.
pub fn check_audio(audio: &BlobWriter) -> Result<AudioFormat, IngestError> {
    if audio.size() == 0 {
        return Err(IngestError::EmptyAudio);
    }
    let format = AudioFormat::sniff(audio.head()).ok_or(IngestError::UnsupportedAudio)?;
    if format == AudioFormat::Wav {
        let info =
            wav_info(audio.head()).map_err(|err| IngestError::DamagedAudio(err.to_string()))?;
        if info.expected_len > audio.size() {
            return Err(IngestError::TruncatedAudio {
                got: audio.size(),
                expected: info.expected_len,
            });
        }
    }
    Ok(format)
}

/// Where a recording comes from, for the audit log.
pub struct Source {
    pub company: CompanyId,
    /// Who sends it, from where and when: the API token or the command
    /// line, as the audit log names them.
    pub audit: AuditContext,
    /// How it came (`API token "pbx"`, `callrec import`), for the entry.
    pub description: String,
    /// The entry's action: received (sent as a file) or captured (the
    /// recording server took it off the network).
    pub action: AuditAction,
}

/// Checks the audio and the metadata's user and team, then stores both.
pub async fn store_recording(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    caller: Caller<'_>,
    source: &Source,
    metadata: &Metadata,
    audio: BlobWriter,
) -> Result<Ingested, IngestError> {
    if !caller.may_ingest(source.company) {
        return Err(IngestError::NotAllowed);
    }
    let format = check_audio(&audio)?;
    let duration_ms = match (metadata.duration_ms, format) {
        (Some(ms), _) => ms,
        (None, AudioFormat::Wav) => wav_info(audio.head()).map(|i| i.duration_ms).unwrap_or(0),
        (None, _) => {
            return Err(IngestError::field(
                "duration_ms",
                "is required for MP3 and Ogg audio",
            ))
        }
    };
    let mut errors = Vec::new();
    let user = match &metadata.username {
        Some(name) => match store.user_by_username(name).await? {
            Some(user) if user.company_id == source.company => Some(user),
            _ => {
                errors.push(ValidationError::new(
                    "username",
                    "is not a user of this company",
                ));
                None
            }
        },
        // No username: the user whose extension the call was on, if any
        // (not a disabled one: the call stays with the company).
        None => match &metadata.extension {
            Some(extension) => store
                .user_by_extension(source.company, extension)
                .await?
                .filter(|user| user.enabled),
            None => None,
        },
    };
    let team_id = match &metadata.team {
        Some(name) => match store.team_by_name(source.company, name).await? {
            Some(team) => Some(team.id),
            None => {
                errors.push(ValidationError::new(
                    "team",
                    "is not a team of this company",
                ));
                None
            }
        },
        None => user.as_ref().and_then(|u| u.team_id),
    };
    if !errors.is_empty() {
        return Err(IngestError::Invalid(errors));
    }
    if let Some(external_id) = &metadata.external_id {
        if let Some(recording) = store
            .recording_by_external_id(source.company, external_id)
            .await?
        {
            return Ok(Ingested {
                recording,
                created: false,
            });
        }
    }
    let audio = blobs.finish(audio, source.company).await?;
    // Sealed with the company's current data key before it is placed: no
    // plain copy is ever under the company's folder.
    let (key_id, key) = keys
        .current(store, source.company, source.audit.now)
        .await
        .map_err(std::io::Error::other)?;
    let temp = audio.temp_path().to_path_buf();
    // The waveform is read from the plain bytes just before they are
    // sealed (one more read of a file the page cache holds: see
    // docs/BENCHMARKS.md for its cost per hour of audio).
    let peaks = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Peaks>> {
        let mut plain = std::fs::File::open(&temp)?;
        let peaks = peaks_of(plain.try_clone()?)?;
        plain.seek(std::io::SeekFrom::Start(0))?;
        seal_file(&mut plain, &temp, &key, key_id)?;
        Ok(peaks)
    })
    .await
    .map_err(std::io::Error::other)??;
    let mut id_bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id_bytes);
    let new = NewRecording {
        id: RecordingId::from_bytes(id_bytes),
        company_id: source.company,
        team_id,
        user_id: user.as_ref().map(|u| u.id),
        extension: metadata.extension.clone(),
        direction: metadata.direction,
        calling_number: metadata.from.clone(),
        called_number: metadata.to.clone(),
        started_at_ms: metadata.started_at_ms,
        duration_ms,
        format,
        size_bytes: audio.size as i64,
        sha256: audio.sha256.clone(),
        storage_key: audio.key.clone(),
        external_id: metadata.external_id.clone(),
    };
    // Noted before the audio is placed: if this node dies before the row
    // is in, the orphan sweep knows which key to look at.
    store
        .note_pending_audio(&audio.key, source.audit.now)
        .await?;
    // The row and its entry commit together (or neither does).
    let entry = |id: &RecordingId, stored: &StoredBlob| {
        source
            .audit
            .entry(source.action)
            .company(source.company)
            .target(id.as_str())
            .details(format!("{}; {} bytes", source.description, stored.size))
    };
    let (inserted, _) = store
        .insert_recording_with_audio(
            &new,
            source.audit.now,
            blobs,
            audio,
            Extras {
                peaks: peaks.as_ref(),
                marks: &metadata.marks,
            },
            entry,
        )
        .await?;
    let (id, created) = match inserted {
        Inserted::Created(id) => (id, true),
        // Another request with the same external id won the race.
        Inserted::Existing(id) => (id, false),
    };
    let recording = store
        .recording_in_scope(&id, DataScope::Company(source.company))
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Ingested { recording, created })
}

/// Many recordings whose audio is already stored, at once (the demo
/// data): the rows and, for each company among them, an entry saying how
/// many it received, in one change. `what` says where they came from.
pub async fn add_in_bulk(
    store: &Store,
    rows: &[NewRecording],
    what: &str,
    audit: &AuditContext,
) -> Result<(), crate::Error> {
    let mut per_company: std::collections::BTreeMap<CompanyId, usize> = Default::default();
    for row in rows {
        *per_company.entry(row.company_id).or_default() += 1;
    }
    let mut write = store.write(audit.now).await?;
    write.insert_recordings_bulk(rows).await?;
    for (company, count) in per_company {
        let entry = audit
            .entry(AuditAction::RecordingIngested)
            .company(company)
            .details(format!("{count} recordings added in bulk ({what})"));
        write.audit(entry).await?;
    }
    Ok(write.commit().await?)
}
