//! Which of the sources a peer's address matches a new call is admitted
//! for: those without credentials, and those whose SIP digest credentials
//! its INVITE proves. A source with credentials that no answer proves
//! gets a 401 challenge; nothing is kept for it but nothing at all (the
//! nonce carries its own time and peer).

use super::Core;
use crate::sip::digest::{challenges, DigestAnswer, NonceCheck, Nonces, NONCE_SECONDS};
use crate::sip::message::Request;
use callrec_domain::sip_credentials::SipCredentials;
use callrec_store::CaptureSource;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

/// Proofs remembered against replay, per source: each lives a nonce's
/// lifetime, and 50 calls a second for 300 s is 15,000. A source that
/// fills its share is refused until its proofs age out; no other source
/// is touched.
const MAX_REMEMBERED_PER_SOURCE: usize = 15_000;
/// The longest client nonce taken (SBCs send 8 to 64 characters).
const MAX_CNONCE_CHARS: usize = 128;
/// A proof met again with the same Call-ID is its INVITE retransmitted,
/// within Timer B (64·T1); later, it is a replay.
const RETRANSMISSION_SECONDS: i64 = 32;

/// A fixed-size fingerprint of untrusted text, for the replay memory.
fn fingerprint(parts: &[&str]) -> [u8; 16] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.finalize()[..16]);
    out
}

/// A source's proofs used: the fingerprint of each, with its Call-ID's
/// and when.
type Proofs = HashMap<[u8; 16], ([u8; 16], i64)>;

#[derive(Default)]
pub(super) struct Admission {
    nonces: Nonces,
    /// By source id, the sources that have credentials: opened, or
    /// `None` when they do not open (that source's calls are refused).
    credentials: RwLock<Arc<HashMap<i64, Option<SipCredentials>>>>,
    /// Per source, the proofs used, with the Call-ID they were used for
    /// and when: the same proof for another call is a replay.
    used: Mutex<HashMap<i64, Proofs>>,
}

impl Admission {
    /// The sources' credentials as read now; says once which do not open.
    pub(super) fn set_credentials(
        &self,
        sources: &[(callrec_domain::network::IpNet, CaptureSource)],
        keyring: &callrec_app::Keyring,
    ) {
        let opened: HashMap<i64, Option<SipCredentials>> = sources
            .iter()
            .filter(|(_, source)| source.credentials.is_some())
            .map(|(_, source)| {
                (
                    source.id,
                    callrec_app::capture::open_credentials(keyring, source),
                )
            })
            .collect();
        let mut held = self.credentials.write().unwrap_or_else(|e| e.into_inner());
        for (_, source) in sources {
            let newly_unopened = matches!(opened.get(&source.id), Some(None))
                && !matches!(held.get(&source.id), Some(None));
            if newly_unopened {
                tracing::error!(
                    "the SIP password of recording source {:?} does not open with the master key: its calls are refused until it is set again",
                    source.name
                );
            }
        }
        *held = Arc::new(opened);
    }

    /// Whether `answer`, proving `source`, is used for the first time (or
    /// again by the same call within [`RETRANSMISSION_SECONDS`]: its
    /// INVITE retransmitted); remembers it.
    fn first_use(&self, source: i64, answer: &DigestAnswer, call_id: &str, now: i64) -> bool {
        let key = match &answer.qop {
            Some((cnonce, nc)) => fingerprint(&[&answer.nonce, &nc.to_string(), cnonce]),
            None => fingerprint(&[&answer.nonce, &answer.response]),
        };
        let call = fingerprint(&[call_id]);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let proofs = used.entry(source).or_default();
        if proofs.len() >= MAX_REMEMBERED_PER_SOURCE {
            proofs.retain(|_, (_, at)| now - *at <= NONCE_SECONDS);
        }
        match proofs.get(&key) {
            Some((first, at)) => *first == call && now - *at <= RETRANSMISSION_SECONDS,
            // Full of live proofs: refuse rather than forget one.
            None if proofs.len() >= MAX_REMEMBERED_PER_SOURCE => false,
            None => {
                proofs.insert(key, (call, now));
                true
            }
        }
    }
}

impl Core {
    /// The sources among `sources` a new call from `peer` is admitted
    /// for, or the 401 that challenges it.
    pub(super) fn admit(
        &self,
        request: &Request,
        peer: IpAddr,
        sources: &[CaptureSource],
    ) -> Result<Vec<CaptureSource>, Vec<u8>> {
        let admission = &self.admission;
        let credentials = admission
            .credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (guarded, open): (Vec<_>, Vec<_>) = sources
            .iter()
            .cloned()
            .partition(|s| credentials.contains_key(&s.id));
        if guarded.is_empty() {
            return Ok(open);
        }
        let now = self.deps.clock.now();
        let answer = DigestAnswer::of(&request.headers);
        let nonce = answer
            .as_ref()
            .map(|a| admission.nonces.check(&a.nonce, now, peer));
        let method = request.method.to_string();
        let sane = |answer: &DigestAnswer| {
            answer
                .qop
                .as_ref()
                .is_none_or(|(cnonce, _)| cnonce.len() <= MAX_CNONCE_CHARS)
        };
        let proven: Vec<_> = match &answer {
            Some(answer) if nonce == Some(NonceCheck::Fresh) && sane(answer) => guarded
                .into_iter()
                .filter(|s| {
                    credentials
                        .get(&s.id)
                        .and_then(Option::as_ref)
                        .is_some_and(|c| answer.proves(c.username(), c.password(), &method))
                })
                .collect(),
            _ => Vec::new(),
        };
        let replayed = || match (&answer, proven.first()) {
            (Some(answer), Some(source)) => {
                !admission.first_use(source.id, answer, &request.call_id, now)
            }
            _ => false,
        };
        if proven.is_empty() || replayed() {
            metrics::counter!("callrec_capture_refused_total", "reason" => "unauthenticated")
                .increment(1);
            let mut refusal = request.response(401, "Unauthorized", None);
            for challenge in challenges(
                &admission.nonces.make(now, peer),
                nonce == Some(NonceCheck::Stale),
            ) {
                refusal = refusal.header("WWW-Authenticate", &challenge);
            }
            return Err(refusal.done());
        }
        Ok(open.into_iter().chain(proven).collect())
    }
}
