//! The calls this node records, by company and Call-ID, and which
//! requests belong to them: a request in a call's dialog carries the
//! From-tag of its INVITE and the To-tag the server chose (RFC 3261
//! §12.2.2), from the same company's source. Anything else is not the
//! call's (481), so no other source, and no one guessing a Call-ID,
//! can end, change or feed another's call.

use super::call::CallEvent;
use super::Reply;
use crate::metadata::RecordingMetadata;
use crate::sip::message::Request;
use callrec_domain::CompanyId;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

type Key = (CompanyId, String);

/// How long an ended call's dialog is remembered, so a retransmitted BYE
/// is answered 200 again rather than 481 (RFC 3261 §17.2.2, Timer J:
/// 64·T1).
const ENDED_KEPT: std::time::Duration = std::time::Duration::from_secs(32);

/// An ended call's From-tag and the server's To-tag, and when it ended.
type EndedDialog = (Option<String>, String, std::time::Instant);

#[derive(Default)]
pub(super) struct Calls {
    map: Mutex<HashMap<Key, Arc<Call>>>,
    /// Calls ended lately: their dialog's tags, and when.
    ended: Mutex<HashMap<Key, EndedDialog>>,
}

impl Calls {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Call>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The call of one of `companies` with this Call-ID, if any.
    pub(super) fn find(&self, companies: &[CompanyId], call_id: &str) -> Option<Arc<Call>> {
        let calls = self.lock();
        companies
            .iter()
            .find_map(|company| calls.get(&(*company, call_id.to_string())).cloned())
    }

    /// Puts `call` in, unless a call of its company has its Call-ID
    /// already (then that one is returned) or `max` calls are recorded.
    pub(super) fn insert(&self, call: Arc<Call>, max: usize) -> Result<(), Option<Arc<Call>>> {
        let mut calls = self.lock();
        let key = (call.company, call.call_id.clone());
        if let Some(existing) = calls.get(&key) {
            return Err(Some(existing.clone()));
        }
        // Checked under the lock: racing INVITEs never pass the limit.
        if calls.len() >= max {
            return Err(None);
        }
        calls.insert(key, call);
        Ok(())
    }

    /// Takes an ended call out, remembering its dialog for [`ENDED_KEPT`].
    pub(super) fn remove(&self, call: &Call) {
        let key = (call.company, call.call_id.clone());
        self.lock().remove(&key);
        let now = std::time::Instant::now();
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.retain(|_, (_, _, at)| now.duration_since(*at) < ENDED_KEPT);
        ended.insert(key, (call.from_tag.clone(), call.local_tag.clone(), now));
    }

    /// Whether `request` is in the dialog of a call of one of `companies`
    /// that ended within [`ENDED_KEPT`]: a BYE sent again (its 200 was
    /// lost), or the call's first INVITE again (no To-tag yet), which must
    /// not start the call anew.
    pub(super) fn ended_lately(&self, companies: &[CompanyId], request: &Request) -> bool {
        let ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        companies.iter().any(|company| {
            ended.get(&(*company, request.call_id.clone())).is_some_and(
                |(from_tag, local_tag, at)| {
                    at.elapsed() < ENDED_KEPT
                        && *from_tag == request.from_tag
                        && request.to_tag.as_deref().is_none_or(|tag| tag == local_tag)
                },
            )
        })
    }

    /// Ends every call and waits until each has landed.
    pub(super) async fn end_all(&self) {
        let calls: Vec<Arc<Call>> = self.lock().values().cloned().collect();
        for call in &calls {
            let _ = call.events.send(CallEvent::End).await;
        }
        for call in calls {
            let landed = call.landed.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(landed) = landed {
                let _ = landed.await;
            }
        }
    }
}

/// One recording session.
pub(super) struct Call {
    pub(super) call_id: String,
    /// Where its samples are written (its facts beside them).
    pub(super) spool: std::path::PathBuf,
    pub(super) company: CompanyId,
    /// Other companies whose numbers the call holds (a shared SBC's call
    /// between two of them): the recording lands for each.
    pub(super) also: Vec<CompanyId>,
    pub(super) source: String,
    pub(super) peer: SocketAddr,
    /// How the SRC reached the server (a BYE of the server's goes back so).
    pub(super) reply: Reply,
    /// The SRC's tag (From of the INVITE) and the server's (To).
    pub(super) from_tag: Option<String>,
    pub(super) local_tag: String,
    /// When the INVITE came (Unix ms).
    pub(super) started_ms: i64,
    pub(super) events: mpsc::Sender<CallEvent>,
    pub(super) state: Mutex<CallState>,
    pub(super) landed: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

pub(super) struct CallState {
    /// Per offered m-line: its socket's port, if it is recorded.
    pub(super) ports: Vec<Option<u16>>,
    /// The tasks reading the streams' sockets, by m-line (each owns its
    /// socket: aborting it frees the port), and where each is told of a
    /// re-INVITE's new address or key.
    pub(super) receivers: HashMap<usize, tokio::task::JoinHandle<()>>,
    pub(super) setups: HashMap<usize, tokio::sync::watch::Sender<super::call::StreamSetup>>,
    pub(super) metadata: Option<RecordingMetadata>,
    /// The last INVITE's CSeq and the answer sent, for retransmissions.
    pub(super) answered: (u32, Vec<u8>),
    /// The first INVITE's CSeq (its retransmissions carry it and no To-tag).
    pub(super) first_cseq: u32,
    pub(super) acked: bool,
    /// BYE came (or the server ended the call).
    pub(super) ended: bool,
    /// What the server needs to send a BYE of its own.
    pub(super) invite: Request,
}

impl Call {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, CallState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `request` is in this call's dialog: the INVITE's From-tag,
    /// and the server's To-tag (none only on a retransmitted first
    /// INVITE or its CANCEL).
    pub(super) fn owns(&self, request: &Request) -> bool {
        if request.from_tag != self.from_tag {
            return false;
        }
        match &request.to_tag {
            Some(tag) => *tag == self.local_tag,
            None => {
                let first = self.lock().first_cseq;
                request.cseq == first
                    && (request.method == ezk_sip_types::Method::INVITE
                        || request.method == ezk_sip_types::Method::CANCEL)
            }
        }
    }
}
