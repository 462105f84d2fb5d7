//! The recording sessions (RFC 7866 §6): INVITE starts one, re-INVITE
//! and UPDATE change its media or metadata (a stream offered `inactive`
//! is paused), BYE ends it and the call lands; OPTIONS is answered for
//! the SRC's keep-alives, CANCEL after the answer changes nothing.

use super::call::{self, CallEvent, Counts};
use super::{respond, Core, Reply};
use crate::metadata::RecordingMetadata;
use crate::sdp::{self, Answered, Offer};
use crate::sip::body;
use crate::sip::message::Request;
use crate::srtp::SrtpReceiver;
use base64::Engine as _;
use callrec_app::capture::{land_call, CapturedCall};
use callrec_domain::phone::PhoneNumber;
use callrec_domain::CompanyId;
use callrec_store::CaptureSource;
use ezk_sip_types::{Method, Name};
use rand::Rng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO";

/// The calls this node records, by Call-ID.
#[derive(Default)]
pub(super) struct Calls {
    map: Mutex<HashMap<String, Arc<Call>>>,
}

impl Calls {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Call>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    fn get(&self, call_id: &str) -> Option<Arc<Call>> {
        self.lock().get(call_id).cloned()
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
    call_id: String,
    /// Where its samples are written (its facts beside them).
    spool: std::path::PathBuf,
    company: CompanyId,
    source: String,
    peer: SocketAddr,
    local_tag: String,
    /// When the INVITE came (Unix ms).
    started_ms: i64,
    events: mpsc::Sender<CallEvent>,
    state: Mutex<CallState>,
    landed: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct CallState {
    /// Per offered m-line: its socket's port, if it is recorded.
    ports: Vec<Option<u16>>,
    /// The tasks reading the streams' sockets (each owns its socket).
    receivers: Vec<tokio::task::JoinHandle<()>>,
    metadata: Option<RecordingMetadata>,
    /// The last INVITE's CSeq and the answer sent, for retransmissions.
    answered: (u32, Vec<u8>),
    acked: bool,
    /// BYE came (or the server ended the call).
    ended: bool,
    /// What the server needs to send a BYE of its own.
    invite: Request,
}

impl Call {
    /// Keeps the call's facts beside its samples, for a restart to land
    /// them (`land_leftover_calls`).
    async fn note_facts(&self, metadata: Option<&RecordingMetadata>) {
        if let Err(err) = facts(self, &self.call_id, metadata, &self.spool)
            .note()
            .await
        {
            tracing::error!(
                "cannot keep the facts of call {:?} beside its audio: {err}",
                self.call_id
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CallState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) async fn handle(
    core: &Arc<Core>,
    request: Request,
    peer: SocketAddr,
    reply: Reply,
    sources: Vec<CaptureSource>,
) {
    let method = request.method.clone();
    let call = core.calls.get(&request.call_id);
    let answer = if method == Method::OPTIONS {
        Some(
            request
                .response(200, "OK", Some(&random_tag()))
                .header("Allow", ALLOW)
                .header(
                    "Accept",
                    "application/sdp, application/rs-metadata+xml, multipart/mixed",
                )
                .header("Supported", "siprec")
                .done(),
        )
    } else if method == Method::INVITE {
        match call {
            Some(call) => reinvite(core, &call, &request, &reply).await,
            None if request.to_tag.is_some() => {
                Some(respond(&request, 481, "Call/Transaction Does Not Exist"))
            }
            None => invite(core, &request, peer, &reply, &sources).await,
        }
    } else if method == Method::ACK {
        if let Some(call) = call {
            call.lock().acked = true;
        }
        None
    } else if method == Method::BYE {
        match call {
            Some(call) => {
                call.lock().ended = true;
                let _ = call.events.send(CallEvent::End).await;
                Some(respond(&request, 200, "OK"))
            }
            None => Some(respond(&request, 481, "Call/Transaction Does Not Exist")),
        }
    } else if method == Method::CANCEL {
        // The INVITE was answered at once: nothing is left to cancel (RFC
        // 3261 §9.2), and the SRC sends BYE.
        match call {
            Some(_) => Some(respond(&request, 200, "OK")),
            None => Some(respond(&request, 481, "Call/Transaction Does Not Exist")),
        }
    } else if method == Method::UPDATE || method == Method::INFO {
        match call {
            Some(call) => Some(update(&call, &request).await),
            None => Some(respond(&request, 481, "Call/Transaction Does Not Exist")),
        }
    } else {
        Some(
            request
                .response(405, "Method Not Allowed", None)
                .header("Allow", ALLOW)
                .done(),
        )
    };
    if let Some(answer) = answer {
        reply.send(answer).await;
    }
}

fn random_tag() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// The offer and metadata of a request's body, or the response refusing it.
fn read_body(request: &Request) -> Result<(Option<Offer>, Option<RecordingMetadata>), Vec<u8>> {
    let parts = body::parts(request.content_type.as_deref(), &request.body).map_err(|err| {
        request
            .response(415, "Unsupported Media Type", None)
            .header("Warning", &warning(&err))
            .done()
    })?;
    let offer = match &parts.sdp {
        Some(text) => Some(Offer::parse(text).map_err(|err| {
            request
                .response(488, "Not Acceptable Here", None)
                .header("Warning", &warning(&err))
                .done()
        })?),
        None => None,
    };
    let metadata = match &parts.metadata {
        Some(xml) => Some(RecordingMetadata::parse(xml).map_err(|err| {
            request
                .response(400, "Bad Request", None)
                .header("Warning", &warning(&err))
                .done()
        })?),
        None => None,
    };
    Ok((offer, metadata))
}

/// A `Warning` header value (RFC 3261 §20.43), code 399: miscellaneous.
fn warning(err: &dyn std::fmt::Display) -> String {
    format!("399 callrec \"{}\"", err.to_string().replace('"', "'"))
}

async fn invite(
    core: &Arc<Core>,
    request: &Request,
    peer: SocketAddr,
    reply: &Reply,
    sources: &[CaptureSource],
) -> Option<Vec<u8>> {
    // RFC 7866 §6.1.1: a recording session says `Require: siprec`.
    if !request.lists(&Name::REQUIRE, "siprec") {
        return Some(
            request
                .response(421, "Extension Required", None)
                .header("Require", "siprec")
                .done(),
        );
    }
    let mut companies: Vec<CompanyId> = sources.iter().map(|s| s.company_id).collect();
    companies.sort_by_key(|c| c.0);
    companies.dedup();
    let [company] = companies[..] else {
        // A source shared by companies needs their numbers to route by
        // (Company settings → Numbers), which this server does not read yet.
        return Some(
            request
                .response(403, "Forbidden", None)
                .header("Warning", &warning(&"this source serves several companies"))
                .done(),
        );
    };
    if !core.within_rate(peer.ip()) {
        metrics::counter!("callrec_capture_refused_total", "reason" => "rate").increment(1);
        return Some(
            request
                .response(503, "Service Unavailable", None)
                .header("Retry-After", "1")
                .done(),
        );
    }
    if core.calls.len() >= core.settings.max_calls {
        metrics::counter!("callrec_capture_refused_total", "reason" => "busy").increment(1);
        return Some(
            request
                .response(503, "Service Unavailable", None)
                .header("Retry-After", "5")
                .done(),
        );
    }
    let (offer, metadata) = match read_body(request) {
        Ok((Some(offer), metadata)) => (offer, metadata),
        Ok((None, _)) => {
            return Some(
                request
                    .response(488, "Not Acceptable Here", None)
                    .header("Warning", &warning(&"no SDP offer"))
                    .done(),
            )
        }
        Err(refusal) => return Some(refusal),
    };
    // Ports for the audio streams, all or none.
    let mut ports = Vec::new();
    let mut sockets = Vec::new();
    for stream in &offer.streams {
        if !stream.audio {
            ports.push(None);
            continue;
        }
        match core.ports.take().await {
            Some(socket) => {
                ports.push(socket.local_addr().ok().map(|a| a.port()));
                sockets.push(Arc::new(socket));
            }
            None => {
                release(core, &ports);
                metrics::counter!("callrec_capture_refused_total", "reason" => "ports")
                    .increment(1);
                return Some(
                    request
                        .response(503, "Service Unavailable", None)
                        .header("Retry-After", "5")
                        .done(),
                );
            }
        }
    }
    let spool = match core.deps.blobs.capture_path(".capture").await {
        Ok(path) => path,
        Err(err) => {
            release(core, &ports);
            tracing::error!("no spool file for a captured call: {err}");
            return Some(respond(request, 500, "Server Internal Error"));
        }
    };
    let local_tag = random_tag();
    let local = core.local_ip_toward(peer);
    let answered = answers(&offer, &ports);
    let session = rand::thread_rng().gen::<u32>() as u64;
    let sdp_answer = sdp::answer(&offer, &answered, local, session, 1);
    let listen_port = core.settings.listen.port();
    let response = request
        .response(200, "OK", Some(&local_tag))
        .header(
            "Contact",
            &format!("<sip:srs@{}>;+sip.srs", SocketAddr::new(local, listen_port)),
        )
        .header("Allow", ALLOW)
        .header("Supported", "siprec")
        .body(Some("application/sdp"), &sdp_answer);
    let (events, receiver) = mpsc::channel(1024);
    let allowed = {
        let mut allowed: Vec<_> = offer.streams.iter().filter_map(|s| s.address).collect();
        allowed.push(peer.ip());
        allowed
    };
    let call = Arc::new(Call {
        call_id: request.call_id.clone(),
        spool: spool.clone(),
        company,
        source: sources[0].name.clone(),
        peer,
        local_tag,
        started_ms: core.deps.clock.now_ms(),
        events: events.clone(),
        state: Mutex::new(CallState {
            ports: ports.clone(),
            receivers: Vec::new(),
            metadata: metadata.clone(),
            answered: (request.cseq, response.clone()),
            acked: false,
            ended: false,
            invite: request.clone(),
        }),
        landed: Mutex::new(None),
    });
    {
        let mut calls = core.calls.lock();
        if calls.contains_key(&request.call_id) {
            // The same INVITE raced itself (a retransmission): one call.
            drop(calls);
            release(core, &ports);
            return None;
        }
        calls.insert(request.call_id.clone(), call.clone());
    }
    metrics::gauge!("callrec_capture_calls_active").set(core.calls.len() as f64);
    let _ = events
        .send(CallEvent::Layout(call::layout(
            &offer.streams,
            metadata.as_ref(),
        )))
        .await;
    let streams = ports.iter().enumerate().filter(|(_, port)| port.is_some());
    let receivers: Vec<_> = streams
        .zip(sockets)
        .map(|((stream, _), socket)| {
            let srtp = srtp_of(&offer.streams[stream]);
            tokio::spawn(call::receive(
                socket,
                stream,
                allowed.clone(),
                srtp,
                events.clone(),
            ))
        })
        .collect();
    call.lock().receivers.extend(receivers);
    call.note_facts(metadata.as_ref()).await;
    let task = tokio::spawn(run(
        core.clone(),
        call.clone(),
        request.call_id.clone(),
        receiver,
        spool,
    ));
    *call.landed.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    if reply.is_udp() {
        tokio::spawn(retransmit(call.clone(), reply.clone(), request.cseq));
    }
    Some(response)
}

/// What each stream is answered: its port, and for SRTP a key of ours
/// (RFC 4568 wants one in the answer although the server never sends).
fn answers(offer: &Offer, ports: &[Option<u16>]) -> Vec<Answered> {
    offer
        .streams
        .iter()
        .zip(ports)
        .map(|(stream, port)| Answered {
            port: *port,
            key: stream.key.as_ref().map(|_| {
                let mut key = [0u8; 30];
                rand::thread_rng().fill(&mut key[..]);
                base64::engine::general_purpose::STANDARD.encode(key)
            }),
        })
        .collect()
}

/// The SRTP receiver of a secure stream (its key was checked with the offer).
fn srtp_of(stream: &crate::sdp::OfferedStream) -> Option<SrtpReceiver> {
    let key = stream.key.as_ref()?;
    SrtpReceiver::new(&key.inline, key.tag_len()).ok()
}

fn release(core: &Core, ports: &[Option<u16>]) {
    for port in ports.iter().flatten() {
        core.ports.give_back(*port);
    }
}

/// A 2xx to INVITE is sent again over UDP until the ACK comes: T1 doubling
/// to T2, for 64·T1 (RFC 3261 §13.3.1.4).
async fn retransmit(call: Arc<Call>, reply: Reply, cseq: u32) {
    let mut wait = Duration::from_millis(500);
    let give_up = Instant::now() + Duration::from_secs(32);
    while Instant::now() < give_up {
        tokio::time::sleep(wait).await;
        let again = {
            let state = call.lock();
            (!state.acked && !state.ended && state.answered.0 == cseq)
                .then(|| state.answered.1.clone())
        };
        match again {
            Some(bytes) => reply.send(bytes).await,
            None => return,
        }
        wait = (wait * 2).min(Duration::from_secs(4));
    }
}

async fn reinvite(
    core: &Arc<Core>,
    call: &Arc<Call>,
    request: &Request,
    reply: &Reply,
) -> Option<Vec<u8>> {
    {
        let state = call.lock();
        if request.cseq == state.answered.0 {
            // A retransmission of the INVITE being answered.
            return Some(state.answered.1.clone());
        }
        if request.cseq < state.answered.0 {
            return Some(respond(request, 500, "Server Internal Error"));
        }
    }
    let (offer, metadata) = match read_body(request) {
        Ok(read) => read,
        Err(refusal) => return Some(refusal),
    };
    let Some(offer) = offer else {
        return Some(request.response(488, "Not Acceptable Here", None).done());
    };
    // Streams keep their ports by position (RFC 3264 §8: m-lines never
    // move); a new one gets a port, one now refused gives its port back.
    let mut new_sockets = Vec::new();
    let ports = {
        let state = call.lock();
        state.ports.clone()
    };
    let mut next = Vec::new();
    for (index, stream) in offer.streams.iter().enumerate() {
        let kept = ports.get(index).copied().flatten();
        match (stream.audio, kept) {
            (true, Some(port)) => next.push(Some(port)),
            (true, None) => match core.ports.take().await {
                Some(socket) => {
                    next.push(socket.local_addr().ok().map(|a| a.port()));
                    new_sockets.push((index, Arc::new(socket)));
                }
                None => next.push(None),
            },
            (false, Some(port)) => {
                core.ports.give_back(port);
                next.push(None);
            }
            (false, None) => next.push(None),
        }
    }
    let local = core.local_ip_toward(call.peer);
    let answered = answers(&offer, &next);
    let sdp_answer = sdp::answer(&offer, &answered, local, 1, u64::from(request.cseq));
    let response = request
        .response(200, "OK", Some(&call.local_tag))
        .header(
            "Contact",
            &format!(
                "<sip:srs@{}>;+sip.srs",
                SocketAddr::new(local, core.settings.listen.port())
            ),
        )
        .body(Some("application/sdp"), &sdp_answer);
    let metadata = {
        let mut state = call.lock();
        state.ports = next;
        state.answered = (request.cseq, response.clone());
        state.acked = false;
        if metadata.is_some() {
            state.metadata = metadata;
        }
        state.metadata.clone()
    };
    call.note_facts(metadata.as_ref()).await;
    let _ = call
        .events
        .send(CallEvent::Layout(call::layout(
            &offer.streams,
            metadata.as_ref(),
        )))
        .await;
    let mut allowed: Vec<_> = offer.streams.iter().filter_map(|s| s.address).collect();
    allowed.push(call.peer.ip());
    let receivers: Vec<_> = new_sockets
        .into_iter()
        .map(|(index, socket)| {
            let srtp = srtp_of(&offer.streams[index]);
            tokio::spawn(call::receive(
                socket,
                index,
                allowed.clone(),
                srtp,
                call.events.clone(),
            ))
        })
        .collect();
    call.lock().receivers.extend(receivers);
    if reply.is_udp() {
        tokio::spawn(retransmit(call.clone(), reply.clone(), request.cseq));
    }
    Some(response)
}

/// UPDATE or INFO: new metadata (the participants changed) is kept.
async fn update(call: &Call, request: &Request) -> Vec<u8> {
    match read_body(request) {
        Ok((_, Some(metadata))) => {
            call.lock().metadata = Some(metadata.clone());
            call.note_facts(Some(&metadata)).await;
            respond(request, 200, "OK")
        }
        Ok(_) => respond(request, 200, "OK"),
        Err(refusal) => refusal,
    }
}

/// Records until the call ends, then lands it and frees its ports.
async fn run(
    core: Arc<Core>,
    call: Arc<Call>,
    call_id: String,
    events: mpsc::Receiver<CallEvent>,
    spool: std::path::PathBuf,
) {
    let started = Instant::now();
    let recorded = call::record(events, spool.clone(), started, core.settings.max_duration).await;
    let (ended_by_src, ports, metadata, invite) = {
        let mut state = call.lock();
        let ended = state.ended;
        state.ended = true;
        // Their sockets close with them, so the ports are free again.
        for receiver in state.receivers.drain(..) {
            receiver.abort();
        }
        (
            ended,
            state.ports.clone(),
            state.metadata.clone(),
            state.invite.clone(),
        )
    };
    if !ended_by_src {
        send_bye(&core, &call, &invite).await;
    }
    release(&core, &ports);
    match recorded {
        Ok(counts) => land(&core, &call, &call_id, metadata.as_ref(), spool, counts).await,
        Err(err) => tracing::error!("recording call {call_id:?} failed: {err}"),
    }
    core.calls.lock().remove(&call_id);
    metrics::gauge!("callrec_capture_calls_active").set(core.calls.len() as f64);
}

/// What is known of a call so far: its parties' numbers (the first
/// participant calls), its session and when it began.
fn facts(
    call: &Call,
    call_id: &str,
    metadata: Option<&RecordingMetadata>,
    spool: &std::path::Path,
) -> CapturedCall {
    let number = |index: usize| {
        metadata
            .and_then(|m| m.participants.get(index))
            .and_then(|p| p.aor.as_deref())
            .and_then(number_of)
            // A party whose number is withheld or not a number at all.
            .unwrap_or_else(|| "0".to_string())
    };
    let started_at = metadata
        .and_then(|m| m.start_time.as_deref())
        .filter(|t| callrec_domain::time::parse_rfc3339(t).is_some())
        .map(str::to_string)
        .unwrap_or_else(|| callrec_domain::time::format_rfc3339_ms(call.started_ms));
    CapturedCall {
        company: call.company,
        source: call.source.clone(),
        peer: call.peer.ip().to_string(),
        session_id: metadata
            .and_then(|m| m.session_id.clone())
            .unwrap_or_else(|| call_id.to_string()),
        started_at,
        calling: number(0),
        called: number(1),
        pcm: spool.to_path_buf(),
        channels: 2,
        rate: crate::mix::RATE as u32,
        marks: Vec::new(),
        incomplete: false,
    }
}

async fn land(
    core: &Core,
    call: &Call,
    call_id: &str,
    metadata: Option<&RecordingMetadata>,
    spool: std::path::PathBuf,
    counts: Counts,
) {
    let mut captured = facts(call, call_id, metadata, &spool);
    captured.marks = counts.marks.clone();
    let deps = &core.deps;
    match land_call(
        &deps.store,
        &deps.blobs,
        &deps.keys,
        &captured,
        deps.clock.now(),
    )
    .await
    {
        Ok(stored) => {
            metrics::counter!("callrec_capture_calls_total").increment(1);
            tracing::info!(
                "captured call {} from {:?}: {} packets ({} late, {} dropped), {} s{}",
                stored.recording.id.as_str(),
                call.source,
                counts.packets,
                counts.late,
                counts.dropped,
                counts.frames / crate::mix::RATE,
                if stored.created {
                    ""
                } else {
                    " (already stored: the same session)"
                }
            );
        }
        Err(err) => tracing::error!("storing captured call {call_id:?} failed: {err}"),
    }
    // Landed or not, the samples stay only while a retry could use them:
    // a failure to store is logged above and the file is kept for the
    // next start to land.
}

/// `2001` of `sip:2001@pbx`, `+15551234567` of `tel:+1-555-123-4567`.
fn number_of(aor: &str) -> Option<String> {
    let aor = aor.trim().trim_start_matches('<').trim_end_matches('>');
    let rest = aor
        .strip_prefix("sip:")
        .or_else(|| aor.strip_prefix("sips:"))
        .map(|r| r.split('@').next().unwrap_or_default())
        .or_else(|| aor.strip_prefix("tel:"))?;
    let user = rest.split(';').next().unwrap_or_default();
    PhoneNumber::parse("number", user)
        .ok()
        .map(|n| n.as_str().to_string())
}

/// The server ends a call itself (it reached the longest allowed).
async fn send_bye(core: &Core, call: &Call, invite: &Request) {
    let target = invite
        .header(&Name::CONTACT)
        .and_then(|c| c.split('<').nth(1).and_then(|c| c.split('>').next()))
        .unwrap_or(&invite.uri)
        .to_string();
    let from = invite.header(&Name::FROM).unwrap_or_default();
    let to = invite.header(&Name::TO).unwrap_or_default();
    let local = core.local_ip_toward(call.peer);
    let bye = format!(
        "BYE {target} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bK{}\r\nFrom: {to};tag={}\r\nTo: {from}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        SocketAddr::new(local, core.settings.listen.port()),
        random_tag(),
        call.local_tag,
        invite.call_id
    );
    let _ = core.udp.send_to(bye.as_bytes(), call.peer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_from_the_participants_addresses() {
        assert_eq!(
            number_of("sip:2001@pbx.example.com").as_deref(),
            Some("2001")
        );
        assert_eq!(
            number_of("tel:+1-555-123-4567").as_deref(),
            Some("+15551234567")
        );
        assert_eq!(
            number_of("<sips:+442079460000@sbc;user=phone>").as_deref(),
            Some("+442079460000")
        );
        assert_eq!(number_of("sip:anonymous@anonymous.invalid"), None);
        assert_eq!(number_of("mailto:x@y"), None);
    }
}
