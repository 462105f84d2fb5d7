//! How a transcript is kept: its text sealed with the company's data key
//! (like its audio and notes), opened to be read, and sealed again when
//! the company's data key rotates.

use crate::sealing::DataKeys;
use crate::Error;
use callrec_domain::hex::{from_hex, hex};
use callrec_domain::sealed::{open, seal, Header};
use callrec_domain::transcript::Transcript;
use callrec_domain::CompanyId;
use callrec_store::{Store, StoredTranscript};

/// `transcript` sealed with the company's newest data key: (key, hex).
pub(crate) async fn sealed(
    store: &Store,
    keys: &DataKeys,
    company: CompanyId,
    transcript: &Transcript,
    now: i64,
) -> Result<(u32, String), Error> {
    let (key_id, key) = keys.current(store, company, now).await?;
    let header = Header {
        key_id,
        prefix: rand::random(),
    };
    Ok((
        key_id,
        hex(&seal(&key, &header, transcript.to_text().as_bytes())),
    ))
}

/// The stored transcript opened; `None` if its seal does not open (or
/// its key is gone).
pub(crate) async fn opened(
    store: &Store,
    keys: &DataKeys,
    company: CompanyId,
    stored: &StoredTranscript,
) -> Option<Transcript> {
    let key = keys.get(store, company, stored.key_id).await.ok()?;
    let plain = from_hex(&stored.sealed).and_then(|bytes| open(&key, &bytes).ok())?;
    Transcript::from_text(&String::from_utf8(plain).ok()?)
}

/// The company's transcripts sealed with a key other than `key_id`, sealed
/// again with it (a data-key rotation): (recording id, sealed hex).
pub(crate) async fn sealed_again(
    store: &Store,
    keys: &DataKeys,
    company: CompanyId,
    key_id: u32,
    now: i64,
) -> Result<Vec<(String, String)>, Error> {
    let mut again = Vec::new();
    for stored in store.transcripts_sealed_before(company, key_id).await? {
        let transcript = opened(store, keys, company, &stored)
            .await
            .ok_or_else(|| Error::Io {
                what: format!("the transcript of recording {}", stored.recording_id),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    callrec_domain::sealed::Tampered,
                ),
            })?;
        let (sealed_with, sealed) = sealed(store, keys, company, &transcript, now).await?;
        if sealed_with != key_id {
            return Err(Error::Internal(
                "the data key changed during a re-seal".into(),
            ));
        }
        again.push((stored.recording_id, sealed));
    }
    Ok(again)
}

/// How many transcripts the company has, and the recordings whose
/// transcript does not open (`callrec verify`).
pub(crate) async fn check_transcripts(
    store: &Store,
    keys: &DataKeys,
    company: CompanyId,
) -> Result<(u64, Vec<String>), Error> {
    let stored = store.company_transcripts(company).await?;
    let mut unreadable = Vec::new();
    for transcript in &stored {
        if opened(store, keys, company, transcript).await.is_none() {
            unreadable.push(transcript.recording_id.clone());
        }
    }
    Ok((stored.len() as u64, unreadable))
}
