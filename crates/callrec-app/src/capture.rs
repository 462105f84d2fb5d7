//! Call capture: the recording sources a company allows (Company settings
//! → Call capture, `callrec capture`), and a captured call landing as a
//! recording exactly as ingest stores one, under `recording.captured`.

use crate::audit::AuditContext;
use crate::ingest::{store_recording, IngestError, Ingested, Source};
use crate::sealing::DataKeys;
use crate::{Caller, Error};
use callrec_domain::audio::pcm_wav_header;
use callrec_domain::audit::AuditAction;
use callrec_domain::metadata::{validate_metadata, MetadataInput};
use callrec_domain::network::IpNet;
use callrec_domain::phone::PhoneNumber;
use callrec_domain::{CompanyId, ValidationError};
use callrec_store::{BlobStore, CaptureSource, Company, Store, StoreError};
use std::path::PathBuf;
use tokio::io::AsyncReadExt;

/// The longest name a source may have.
pub const MAX_SOURCE_NAME_CHARS: usize = 100;

/// A source's address as typed: one address or a CIDR range no wider
/// than a /8 (IPv4) or /32 (IPv6), so no one allows the whole Internet
/// by a slip.
pub fn parse_source_address(text: &str) -> Result<IpNet, ValidationError> {
    let net = IpNet::parse(text).ok_or_else(|| {
        ValidationError::new(
            "address",
            format!(
                "{:?} is not an IP address or a CIDR range like 192.0.2.0/24",
                text.trim()
            ),
        )
    })?;
    let shown = net.to_string();
    let (addr, prefix) = shown.split_once('/').unwrap_or((&shown, "0"));
    let narrowest = if addr.contains(':') { 32 } else { 8 };
    if prefix.parse::<u8>().unwrap_or(0) < narrowest {
        return Err(ValidationError::new(
            "address",
            format!("{shown} is too wide: give the SBC's own addresses (at most a /{narrowest})"),
        ));
    }
    Ok(net)
}

/// Adds a recording source to `company`. The name defaults to the address.
pub async fn add_source(
    store: &Store,
    company: &Company,
    name: Option<&str>,
    address: &str,
    audit: &AuditContext,
) -> Result<CaptureSource, Error> {
    let net = parse_source_address(address)?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name)
            if name.chars().count() > MAX_SOURCE_NAME_CHARS
                || name.chars().any(char::is_control) =>
        {
            return Err(ValidationError::new(
                "name",
                format!("must be at most {MAX_SOURCE_NAME_CHARS} characters on one line"),
            )
            .into())
        }
        Some(name) => name.to_string(),
        None => net.to_string(),
    };
    let mut write = store.write(audit.now).await?;
    let Some(id) = write.add_capture_source(company.id, &name, &net).await? else {
        return Err(ValidationError::new(
            "address",
            format!("{} has {net} as a recording source already.", company.name),
        )
        .into());
    };
    let entry = audit
        .entry(AuditAction::CaptureSourceAdded)
        .company(company.id)
        .target(&company.name)
        .details(format!("\"{name}\" at {net}"));
    write.commit_with(entry).await?;
    Ok(CaptureSource {
        id,
        company_id: company.id,
        company_name: company.name.clone(),
        name,
        address: net.to_string(),
        created_at: audit.now,
    })
}

/// Removes source `id` (of `company` only, when given); `None` if there
/// is no such source in scope.
pub async fn remove_source(
    store: &Store,
    id: i64,
    company: Option<CompanyId>,
    audit: &AuditContext,
) -> Result<Option<CaptureSource>, Error> {
    let mut write = store.write(audit.now).await?;
    let Some(source) = write.remove_capture_source(id, company).await? else {
        return Ok(None);
    };
    let entry = audit
        .entry(AuditAction::CaptureSourceRemoved)
        .company(source.company_id)
        .target(&source.company_name)
        .details(format!("\"{}\" at {}", source.name, source.address));
    write.commit_with(entry).await?;
    Ok(Some(source))
}

/// A call the recording server has finished writing.
#[derive(Debug, Clone)]
pub struct CapturedCall {
    pub company: CompanyId,
    /// The source's name and the peer's address, for the entry.
    pub source: String,
    pub peer: String,
    /// The recording session's id: a call sent twice is stored once.
    pub session_id: String,
    /// When the call began (RFC 3339).
    pub started_at: String,
    pub calling: String,
    pub called: String,
    /// Interleaved 16-bit little-endian samples, deleted once stored.
    pub pcm: PathBuf,
    pub channels: u16,
    pub rate: u32,
}

/// Stores a captured call: the direction from the company's extensions
/// (a call from one is outbound, to one inbound, between two internal),
/// its user by extension, then the same path as every upload.
pub async fn land_call(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    call: &CapturedCall,
    now: i64,
) -> Result<Ingested, IngestError> {
    let extension_of = |number: &str| {
        let number = PhoneNumber::from_stored(number);
        async move {
            Ok::<_, StoreError>(match number {
                Some(number) => store
                    .user_by_extension(call.company, &number)
                    .await?
                    .filter(|u| u.enabled),
                None => None,
            })
        }
    };
    let from_user = extension_of(&call.calling).await?;
    let to_user = extension_of(&call.called).await?;
    let (direction, extension) = match (&from_user, &to_user) {
        (Some(_), Some(_)) => ("internal", Some(call.calling.as_str())),
        (Some(_), None) => ("outbound", Some(call.calling.as_str())),
        (None, Some(_)) => ("inbound", Some(call.called.as_str())),
        (None, None) => ("inbound", None),
    };
    let external_id = format!("siprec:{}", call.session_id);
    let metadata = validate_metadata(&MetadataInput {
        started_at: Some(&call.started_at),
        direction: Some(direction),
        from: Some(&call.calling),
        to: Some(&call.called),
        duration_ms: None,
        extension,
        username: None,
        team: None,
        external_id: Some(&external_id),
    })
    .map_err(IngestError::Invalid)?;
    let mut audio = blobs.writer().await?;
    let mut pcm = tokio::fs::File::open(&call.pcm).await?;
    let data_len = pcm.metadata().await?.len();
    let data_len = u32::try_from(data_len - data_len % 2).unwrap_or(u32::MAX - 64);
    audio
        .write(&pcm_wav_header(data_len, call.channels, call.rate))
        .await?;
    let mut left = u64::from(data_len);
    let mut buffer = vec![0u8; 1 << 20];
    while left > 0 {
        let want = buffer.len().min(left as usize);
        let read = pcm.read(&mut buffer[..want]).await?;
        if read == 0 {
            break;
        }
        audio.write(&buffer[..read]).await?;
        left -= read as u64;
    }
    let source = Source {
        company: call.company,
        audit: AuditContext {
            client: call.peer.clone(),
            now,
            ..AuditContext::command_line()
        },
        description: format!("SIPREC from \"{}\"", call.source),
        action: AuditAction::RecordingCaptured,
    };
    let stored = store_recording(
        store,
        blobs,
        keys,
        Caller::Operator,
        &source,
        &metadata,
        audio,
    )
    .await?;
    tokio::fs::remove_file(&call.pcm).await.ok();
    Ok(stored)
}
