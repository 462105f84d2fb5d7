//! Call capture: the recording sources a company allows (Company settings
//! → Call capture, `callrec capture`), and a captured call landing as a
//! recording exactly as ingest stores one, under `recording.captured`.

use crate::audit::AuditContext;
use crate::ingest::{store_recording, IngestError, Ingested, Source};
use crate::keyring::Keyring;
use crate::sealing::DataKeys;
use crate::{Caller, Error};
use callrec_domain::audio::pcm_wav_header;
use callrec_domain::audit::AuditAction;
use callrec_domain::country::Country;
use callrec_domain::marks::{MarkKind, RecordingMark};
use callrec_domain::metadata::{validate_metadata, MetadataInput};
use callrec_domain::network::IpNet;
use callrec_domain::numbers::{direction_of, NumberPlan};
use callrec_domain::phone::PhoneNumber;
use callrec_domain::sip_credentials::SipCredentials;
use callrec_domain::{CompanyId, ValidationError};
use callrec_store::{BlobStore, CaptureSource, Company, Store, StoreError};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the recording server of this node says of itself, for `/readyz`:
/// shared by the server (which fills it) and the web (which reads it).
#[derive(Debug, Default)]
pub struct CaptureStatus {
    address: std::sync::OnceLock<String>,
    active: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl CaptureStatus {
    /// The server listens on `address` and takes `max` calls.
    pub fn started(&self, address: String, max: usize) {
        let _ = self.address.set(address);
        self.max.store(max, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn set_active(&self, calls: usize) {
        self.active
            .store(calls, std::sync::atomic::Ordering::Relaxed);
    }

    /// `recording server sip:…: 3 of 500 calls`, or `None` when it is off.
    pub fn describe(&self) -> Option<String> {
        let address = self.address.get()?;
        let active = self.active.load(std::sync::atomic::Ordering::Relaxed);
        let max = self.max.load(std::sync::atomic::Ordering::Relaxed);
        let full = if active >= max {
            " (full: new calls get 503)"
        } else {
            ""
        };
        Some(format!(
            "recording server sip:{address}: {active} of {max} calls{full}"
        ))
    }
}

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

/// Whether a source may overlap another company's: only an operator
/// shares an SBC between companies (a hosted platform); a company's own
/// administrator cannot claim addresses another company uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    OwnOnly,
    MayShare,
}

/// Adds a recording source to `company`, with the digest credentials its
/// requests must carry if given (sealed with `credentials`' keyring, in
/// the same change). The name defaults to the address.
pub async fn add_source(
    store: &Store,
    company: &Company,
    name: Option<&str>,
    address: &str,
    sharing: Sharing,
    credentials: Option<(&SipCredentials, &Keyring)>,
    audit: &AuditContext,
) -> Result<CaptureSource, Error> {
    let net = parse_source_address(address)?;
    if sharing == Sharing::OwnOnly {
        let others = store.capture_sources(None).await?;
        if let Some(other) = others
            .iter()
            .filter(|s| s.company_id != company.id)
            .find(|s| IpNet::parse(&s.address).is_some_and(|theirs| theirs.overlaps(&net)))
        {
            return Err(ValidationError::new(
                "address",
                format!(
                    "{net} overlaps {} used by another company: an SBC shared by companies is set up by the portal's operator",
                    other.address
                ),
            )
            .into());
        }
    }
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
    let sealed = credentials.map(|(credentials, keyring)| seal(keyring, id, credentials));
    if let Some((username, sealed)) = &sealed {
        write
            .set_capture_credentials(id, Some((username, sealed)))
            .await?;
    }
    let entry = audit
        .entry(AuditAction::CaptureSourceAdded)
        .company(company.id)
        .target(&company.name)
        .details(format!(
            "\"{name}\" at {net}{}",
            describe_credentials(credentials.map(|c| c.0))
        ));
    write.commit_with(entry).await?;
    Ok(CaptureSource {
        id,
        company_id: company.id,
        company_name: company.name.clone(),
        name,
        address: net.to_string(),
        created_at: audit.now,
        credentials: sealed,
    })
}

/// What binds a source's sealed password to it.
fn binding(source: i64) -> String {
    format!("callrec-sip-secret:{source}")
}

/// The username and the password sealed for source `id`.
fn seal(keyring: &Keyring, id: i64, credentials: &SipCredentials) -> (String, String) {
    (
        credentials.username().to_string(),
        keyring.seal(&binding(id), credentials.password().as_bytes()),
    )
}

/// `; digest user "sbc"` (never the password), or nothing.
fn describe_credentials(credentials: Option<&SipCredentials>) -> String {
    credentials
        .map(|c| format!("; digest user \"{}\"", c.username()))
        .unwrap_or_default()
}

/// Source `source`'s credentials opened with `keyring`; `None` when it
/// has none or they do not open (a key missing from the keyring).
pub fn open_credentials(keyring: &Keyring, source: &CaptureSource) -> Option<SipCredentials> {
    let (username, sealed) = source.credentials.as_ref()?;
    keyring
        .unseal(&binding(source.id), sealed)
        .ok()
        .and_then(|plain| String::from_utf8(plain).ok())
        .and_then(|password| SipCredentials::parse(username, &password).ok())
}

/// Seals every source's SIP password again with `keyring`'s current key
/// (`callrec keys rotate`), in one change with its entry: how many, and
/// the ids of sources whose password no configured key opens (left as
/// they are: the caller says so, before an old key is dropped).
pub async fn reseal_credentials(
    store: &Store,
    keyring: &Keyring,
    audit: &AuditContext,
) -> Result<(usize, Vec<i64>), Error> {
    let mut write = store.write(audit.now).await?;
    let mut done = 0;
    let mut unreadable = Vec::new();
    for (id, sealed) in write.sealed_capture_credentials().await? {
        if !keyring.needs_rotation(&sealed) {
            continue;
        }
        let Ok(plain) = keyring.unseal(&binding(id), &sealed) else {
            unreadable.push(id);
            continue;
        };
        let fresh = keyring.seal(&binding(id), &plain);
        if write
            .reseal_capture_credentials(id, &sealed, &fresh)
            .await?
        {
            done += 1;
        }
    }
    if done > 0 {
        let entry = audit
            .entry(AuditAction::SecretsReencrypted)
            .details(format!(
                "{done} recording sources' SIP passwords sealed with key {}",
                keyring.current_key_id()
            ));
        write.audit(entry).await?;
    }
    write.commit().await?;
    Ok((done, unreadable))
}

/// Sets (or with `None` clears) the digest credentials of source `id`
/// (of `company` only, when given); `None` if there is no such source.
pub async fn set_source_credentials(
    store: &Store,
    keyring: &Keyring,
    id: i64,
    company: Option<CompanyId>,
    credentials: Option<&SipCredentials>,
    audit: &AuditContext,
) -> Result<Option<CaptureSource>, Error> {
    let Some(source) = store
        .capture_sources(company)
        .await?
        .into_iter()
        .find(|s| s.id == id)
    else {
        return Ok(None);
    };
    let sealed = credentials.map(|c| seal(keyring, id, c));
    let mut write = store.write(audit.now).await?;
    let pair = sealed.as_ref().map(|(u, s)| (u.as_str(), s.as_str()));
    if !write.set_capture_credentials(id, pair).await? {
        return Ok(None);
    }
    let entry = audit
        .entry(AuditAction::CaptureCredentialsChanged)
        .company(source.company_id)
        .target(&source.company_name)
        .details(match credentials {
            Some(c) => format!(
                "\"{}\" at {}{}",
                source.name,
                source.address,
                describe_credentials(Some(c))
            ),
            None => format!(
                "\"{}\" at {}; credentials removed: its address alone admits it",
                source.name, source.address
            ),
        });
    write.commit_with(entry).await?;
    Ok(Some(CaptureSource {
        credentials: sealed,
        ..source
    }))
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
    /// Whose call it is: the source's company, or on an SBC shared by
    /// companies, each company whose numbers it holds (a call between two
    /// of them lands for both).
    pub companies: Vec<CompanyId>,
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
    /// Pauses and key presses (kept in memory: a stopped node loses them).
    pub marks: Vec<RecordingMark>,
    /// The node stopped during the call: what was captured is kept,
    /// marked Incomplete.
    pub incomplete: bool,
}

/// The facts kept beside a call's samples while it is recorded, so a node
/// that stops mid-call lands it when it starts again.
fn sidecar_of(pcm: &Path) -> PathBuf {
    let mut name = pcm.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Version 2 names the companies (1: one company).
const SIDECAR_VERSION: i64 = 2;

impl CapturedCall {
    /// Writes (or rewrites) the call's facts beside its samples, atomically.
    pub async fn note(&self) -> std::io::Result<()> {
        let facts = serde_json::json!({
            "version": SIDECAR_VERSION,
            "companies": self.companies.iter().map(|c| c.0).collect::<Vec<_>>(),
            "source": self.source,
            "peer": self.peer,
            "session_id": self.session_id,
            "started_at": self.started_at,
            "calling": self.calling,
            "called": self.called,
            "channels": self.channels,
            "rate": self.rate,
        });
        let sidecar = sidecar_of(&self.pcm);
        let mut temp = sidecar.as_os_str().to_owned();
        temp.push(".part");
        let mut file = tokio::fs::OpenOptions::from(callrec_store::private::file_options())
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .await?;
        file.write_all(facts.to_string().as_bytes()).await?;
        file.sync_all().await?;
        tokio::fs::rename(&temp, &sidecar).await
    }

    /// The call whose samples are at `pcm`, from its sidecar; `None` when
    /// there is none or it cannot be read.
    async fn noted(pcm: &Path) -> Option<CapturedCall> {
        let text = tokio::fs::read_to_string(sidecar_of(pcm)).await.ok()?;
        let facts: serde_json::Value = serde_json::from_str(&text).ok()?;
        let text = |name: &str| facts.get(name)?.as_str().map(str::to_string);
        let companies = match facts.get("version")?.as_i64()? {
            1 => vec![CompanyId(facts.get("company")?.as_i64()?)],
            SIDECAR_VERSION => facts
                .get("companies")?
                .as_array()?
                .iter()
                .map(|c| c.as_i64().map(CompanyId))
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        if companies.is_empty() {
            return None;
        }
        Some(CapturedCall {
            companies,
            source: text("source")?,
            peer: text("peer")?,
            session_id: text("session_id")?,
            started_at: text("started_at")?,
            calling: text("calling")?,
            called: text("called")?,
            pcm: pcm.to_path_buf(),
            channels: u16::try_from(facts.get("channels")?.as_u64()?).ok()?,
            rate: u32::try_from(facts.get("rate")?.as_u64()?).ok()?,
            marks: Vec::new(),
            incomplete: true,
        })
    }
}

/// Forgets a call that brought no media: its empty samples and its facts.
pub async fn discard_call(pcm: &Path) {
    tokio::fs::remove_file(pcm).await.ok();
    tokio::fs::remove_file(sidecar_of(pcm)).await.ok();
}

/// Lands the calls a stopped node was capturing, marked Incomplete; a
/// file without its facts (the node stopped before the answer) is
/// removed. Returns the calls stored.
pub async fn land_leftover_calls(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    default_country: Country,
    now: i64,
) -> Result<Vec<Ingested>, IngestError> {
    let mut landed = Vec::new();
    for path in blobs.capture_leftovers().await? {
        if path.extension().is_some_and(|e| e != "capture") {
            continue;
        }
        match CapturedCall::noted(&path).await {
            Some(call) => match land_call(store, blobs, keys, &call, default_country, now).await {
                Ok(stored) => landed.extend(stored),
                // One call that cannot be stored does not hold up the
                // others: it is set aside (`.failed`, beside its facts)
                // for the operator, and not tried at every start.
                Err(err) => {
                    tracing::error!(
                        "a call left by a stopped node cannot be stored ({err}); kept as {}.failed",
                        path.display()
                    );
                    let mut failed = path.as_os_str().to_owned();
                    failed.push(".failed");
                    tokio::fs::rename(&path, &failed).await.ok();
                }
            },
            None => {
                tracing::warn!(
                    "removing {}: a captured call's samples without its facts",
                    path.display()
                );
                tokio::fs::remove_file(&path).await.ok();
                tokio::fs::remove_file(sidecar_of(&path)).await.ok();
            }
        }
    }
    Ok(landed)
}

/// The recording's external id for a SIPREC session id: `siprec:ID`, or
/// for an id too long or with odd characters (any SRC may send one),
/// `siprec:sha256:HEX` of it, so every session lands.
pub fn external_id_of(session_id: &str) -> String {
    let plain = !session_id.is_empty()
        && session_id.len() <= 100
        && session_id.chars().all(|c| c.is_ascii_graphic());
    if plain {
        format!("siprec:{session_id}")
    } else {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(session_id.as_bytes());
        format!("siprec:sha256:{}", callrec_domain::hex::hex(&digest))
    }
}

/// Stores a captured call for each of its companies, then forgets its
/// samples: a company stored already (a retry after a failure) keeps its
/// recording, by the session's external id.
pub async fn land_call(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    call: &CapturedCall,
    default_country: Country,
    now: i64,
) -> Result<Vec<Ingested>, IngestError> {
    let mut landed = Vec::with_capacity(call.companies.len());
    for &company in &call.companies {
        landed.push(land_for(store, blobs, keys, call, company, default_country, now).await?);
    }
    tokio::fs::remove_file(&call.pcm).await.ok();
    tokio::fs::remove_file(sidecar_of(&call.pcm)).await.ok();
    Ok(landed)
}

/// Stores a captured call as `company`'s recording: the direction from
/// its Numbers and its users' extensions (from one of its own parties
/// outbound, to one inbound, between two internal), its user by
/// extension, then the same path as every upload.
async fn land_for(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    call: &CapturedCall,
    company: CompanyId,
    default_country: Country,
    now: i64,
) -> Result<Ingested, IngestError> {
    let extension_of = |number: &str| {
        let number = PhoneNumber::from_stored(number);
        async move {
            Ok::<_, StoreError>(match number {
                Some(number) => store
                    .user_by_extension(company, &number)
                    .await?
                    .filter(|u| u.enabled),
                None => None,
            })
        }
    };
    let from_user = extension_of(&call.calling).await?;
    let to_user = extension_of(&call.called).await?;
    let plan = NumberPlan {
        ranges: store
            .company_numbers(Some(company))
            .await?
            .into_iter()
            .map(|n| n.range)
            .collect(),
        country: match store.company(company).await? {
            Some(found) => found.country(default_country),
            None => default_country,
        },
    };
    let direction = direction_of(
        from_user.is_some() || plan.owns(&call.calling),
        to_user.is_some() || plan.owns(&call.called),
    );
    // The agent: the calling party's user, else the called party's.
    let extension = match (&from_user, &to_user) {
        (Some(_), _) => Some(call.calling.as_str()),
        (None, Some(_)) => Some(call.called.as_str()),
        (None, None) => None,
    };
    let external_id = external_id_of(&call.session_id);
    let metadata = validate_metadata(&MetadataInput {
        started_at: Some(&call.started_at),
        direction: Some(direction.code()),
        from: Some(&call.calling),
        to: Some(&call.called),
        duration_ms: None,
        extension,
        username: None,
        team: None,
        external_id: Some(&external_id),
    })
    .map_err(IngestError::Invalid)?;
    let mut metadata = metadata;
    metadata.marks = call.marks.clone();
    let mut audio = blobs.writer().await?;
    let mut pcm = tokio::fs::File::open(&call.pcm).await?;
    let data_len = pcm.metadata().await?.len();
    // Whole frames only (a node stopped mid-write leaves a partial one).
    let frame = u64::from(call.channels) * 2;
    let data_len = data_len - data_len % frame;
    if call.incomplete {
        let ms = (data_len / frame * 1000 / u64::from(call.rate)) as i64;
        metadata.marks.push(RecordingMark {
            kind: MarkKind::Incomplete,
            start_ms: ms,
            end_ms: ms,
        });
    }
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 64);
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
        company,
        audit: AuditContext {
            client: call.peer.clone(),
            now,
            ..AuditContext::command_line()
        },
        description: format!(
            "SIPREC from \"{}\"{}",
            call.source,
            if call.incomplete {
                "; incomplete: the node stopped during the call"
            } else {
                ""
            }
        ),
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
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_id_becomes_an_external_id_whatever_it_holds() {
        assert_eq!(
            external_id_of("hVpd7YQgRW2nD22h7q60JQ=="),
            "siprec:hVpd7YQgRW2nD22h7q60JQ=="
        );
        for odd in ["", "with space", "tab\there", &"x".repeat(101), "ünïcode"] {
            let id = external_id_of(odd);
            assert!(
                id.starts_with("siprec:sha256:") && id.len() == 14 + 64,
                "{odd:?}: {id}"
            );
        }
        assert_ne!(external_id_of("a b"), external_id_of("a  b"));
    }

    #[test]
    fn the_status_says_how_full_the_server_is() {
        let status = CaptureStatus::default();
        assert_eq!(status.describe(), None, "off");
        status.started("0.0.0.0:5060".into(), 2);
        status.set_active(1);
        assert_eq!(
            status.describe().unwrap(),
            "recording server sip:0.0.0.0:5060: 1 of 2 calls"
        );
        status.set_active(2);
        assert!(status
            .describe()
            .unwrap()
            .ends_with("2 of 2 calls (full: new calls get 503)"));
    }

    #[test]
    fn sources_are_narrow_enough() {
        assert_eq!(
            parse_source_address(" 192.0.2.7 ").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert!(parse_source_address("10.0.0.0/8").is_ok());
        for wide in ["10.0.0.0/7", "0.0.0.0/0", "2001:db8::/31", "::/0"] {
            assert!(
                parse_source_address(wide)
                    .unwrap_err()
                    .message
                    .contains("too wide"),
                "{wide}"
            );
        }
    }
}
