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
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

/// The most proofs remembered against replay (each lives a nonce's
/// lifetime; 50 calls a second for 300 s is 15,000).
const MAX_REMEMBERED: usize = 50_000;

#[derive(Default)]
pub(super) struct Admission {
    nonces: Nonces,
    /// By source id, the sources that have credentials: opened, or
    /// `None` when they do not open (that source's calls are refused).
    credentials: RwLock<Arc<HashMap<i64, Option<SipCredentials>>>>,
    /// Proofs used, with the Call-ID they were used for and when: the
    /// same proof for another call is a replay.
    used: Mutex<HashMap<String, (String, i64)>>,
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

    /// Whether `answer` is used for the first time (or again by the same
    /// call: a retransmitted INVITE); remembers it.
    fn first_use(&self, answer: &DigestAnswer, call_id: &str, now: i64) -> bool {
        let key = match &answer.qop {
            Some((cnonce, nc)) => format!("{}:{nc}:{cnonce}", answer.nonce),
            None => format!("{}:{}", answer.nonce, answer.response),
        };
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() >= MAX_REMEMBERED {
            used.retain(|_, (_, at)| now - *at <= NONCE_SECONDS);
        }
        match used.get(&key) {
            Some((first, _)) => first == call_id,
            // Full of live proofs: refuse rather than forget one.
            None if used.len() >= MAX_REMEMBERED => false,
            None => {
                used.insert(key, (call_id.to_string(), now));
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
        let proven: Vec<_> = match &answer {
            Some(answer) if nonce == Some(NonceCheck::Fresh) => guarded
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
        let replayed = || {
            answer
                .as_ref()
                .is_some_and(|a| !admission.first_use(a, &request.call_id, now))
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
