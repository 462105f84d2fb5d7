//! The recording sessions (RFC 7866 §6): INVITE starts one, re-INVITE
//! and UPDATE change its media or metadata (a stream offered `inactive`
//! is paused), BYE ends it and the call lands; OPTIONS is answered for
//! the SRC's keep-alives, CANCEL after the answer changes nothing.

use super::call::{self, CallEvent};
use super::calls::{Call, CallState};
use super::landing;
use super::{respond, Core, Reply};
use crate::metadata::RecordingMetadata;
use crate::sdp::{self, Answered, Offer};
use crate::sip::body;
use crate::sip::message::Request;
use base64::Engine as _;
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

pub(super) async fn handle(
    core: &Arc<Core>,
    request: Request,
    peer: SocketAddr,
    reply: Reply,
    sources: Vec<CaptureSource>,
) {
    let method = request.method.clone();
    let companies = companies_of(&sources);
    // The call this request belongs to: same company, same dialog.
    let found = core.calls.find(&companies, &request.call_id);
    let call = found.clone().filter(|call| call.owns(&request));
    let gone = || Some(respond(&request, 481, "Call/Transaction Does Not Exist"));
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
        match (call, found) {
            (Some(call), _) => reinvite(core, &call, &request, &reply).await,
            // The Call-ID is another dialog's (RFC 3261 §8.2.2.2).
            (None, Some(_)) if request.to_tag.is_none() => {
                Some(respond(&request, 482, "Loop Detected"))
            }
            (None, _) if request.to_tag.is_some() => gone(),
            // The first INVITE of a call that has ended, again (late, or
            // replayed): never a new call.
            (None, _) if core.calls.ended_lately(&companies, &request) => gone(),
            (None, _) => invite(core, &request, peer, &reply, &sources, &companies).await,
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
            // Sent again after its 200 was lost: the same answer.
            None if core.calls.ended_lately(&companies, &request) => {
                Some(respond(&request, 200, "OK"))
            }
            None => gone(),
        }
    } else if method == Method::CANCEL {
        // The INVITE was answered at once: nothing is left to cancel (RFC
        // 3261 §9.2), and the SRC sends BYE.
        match call {
            Some(_) => Some(respond(&request, 200, "OK")),
            None => gone(),
        }
    } else if method == Method::UPDATE || method == Method::INFO {
        match call {
            Some(call) => Some(update(&call, &request).await),
            None => gone(),
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

/// The companies of `sources`, each once.
fn companies_of(sources: &[CaptureSource]) -> Vec<CompanyId> {
    let mut companies: Vec<CompanyId> = sources.iter().map(|s| s.company_id).collect();
    companies.sort_by_key(|c| c.0);
    companies.dedup();
    companies
}

pub(super) fn random_tag() -> String {
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

/// A `Warning` header value (RFC 3261 §20.43), code 399: miscellaneous;
/// one short line, nothing of the request echoed but what the message says.
fn warning(err: &dyn std::fmt::Display) -> String {
    let text: String = err
        .to_string()
        .chars()
        .map(|c| if c.is_control() || c == '"' { ' ' } else { c })
        .take(120)
        .collect();
    format!("399 callrec \"{text}\"")
}

async fn invite(
    core: &Arc<Core>,
    request: &Request,
    peer: SocketAddr,
    reply: &Reply,
    sources: &[CaptureSource],
    everyone: &[CompanyId],
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
    // New calls a second from this address (before any other work).
    let rate_key = sources.iter().map(|s| s.id).min();
    if !rate_key.is_some_and(|key| core.within_rate(key)) {
        metrics::counter!("callrec_capture_refused_total", "reason" => "rate").increment(1);
        return Some(
            request
                .response(503, "Service Unavailable", None)
                .header("Retry-After", "1")
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
    // Whose call: the source's company; on an address shared by
    // companies, theirs whose Numbers hold one of its parties (each of
    // them, for a call between two), decided over every company there.
    let shared = everyone.len() > 1;
    let owners = if shared {
        let numbers: Vec<String> = metadata
            .iter()
            .flat_map(|m| &m.participants)
            .filter_map(|p| p.aor.as_deref().and_then(landing::number_of))
            .collect();
        core.owners_of(everyone, &numbers)
    } else {
        everyone.to_vec()
    };
    if owners.is_empty() {
        metrics::counter!("callrec_capture_refused_total", "reason" => "no_company").increment(1);
        return Some(
            request
                .response(403, "Forbidden", None)
                .header(
                    "Warning",
                    &warning(&"no company served by this source has the call's numbers"),
                )
                .done(),
        );
    }
    // Then only those owners whose sources the INVITE satisfies (their
    // credentials proved, or none asked).
    let theirs: Vec<CaptureSource> = sources
        .iter()
        .filter(|s| owners.contains(&s.company_id))
        .cloned()
        .collect();
    let admitted = match core.admit(request, peer.ip(), &theirs) {
        Ok(admitted) => companies_of(&admitted),
        Err(challenge) => return Some(challenge),
    };
    let owners: Vec<CompanyId> = owners
        .into_iter()
        .filter(|c| admitted.contains(c))
        .collect();
    let Some((&company, also)) = owners.split_first() else {
        return Some(respond(request, 403, "Forbidden"));
    };
    // The same INVITE sent twice at once: the copy that comes second gets
    // the first one's answer, never a 503 for the call it started.
    if let Some(existing) = core.calls.find(&[company], &request.call_id) {
        return Some(if existing.owns(request) {
            existing.lock().answered.1.clone()
        } else {
            respond(request, 482, "Loop Detected")
        });
    }
    if core.calls.len() >= core.settings.max_calls {
        // (Checked again as the call is put in, under the lock.)
        metrics::counter!("callrec_capture_refused_total", "reason" => "busy").increment(1);
        return Some(
            request
                .response(503, "Service Unavailable", None)
                .header("Retry-After", "5")
                .done(),
        );
    }
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
    let call = Arc::new(Call {
        call_id: request.call_id.clone(),
        spool: spool.clone(),
        company,
        also: also.to_vec(),
        // A shared SBC's name is one company's label: the others' entries
        // do not carry it.
        source: match sources.iter().find(|s| s.company_id == company) {
            Some(_) if shared => "shared SBC".to_string(),
            Some(source) => source.name.clone(),
            None => String::new(),
        },
        peer,
        reply: reply.clone(),
        from_tag: request.from_tag.clone(),
        local_tag,
        started_ms: core.deps.clock.now_ms(),
        events: events.clone(),
        state: Mutex::new(CallState {
            ports: ports.clone(),
            receivers: HashMap::new(),
            setups: HashMap::new(),
            metadata: metadata.clone(),
            answered: (request.cseq, response.clone()),
            first_cseq: request.cseq,
            acked: false,
            ended: false,
            invite: request.clone(),
        }),
        landed: Mutex::new(None),
    });
    if let Err(existing) = core.calls.insert(call.clone(), core.settings.max_calls) {
        release(core, &ports);
        return Some(match existing {
            // The same INVITE raced itself (a retransmission): one call,
            // and the winner's answer.
            Some(existing) => existing.lock().answered.1.clone(),
            None => {
                metrics::counter!("callrec_capture_refused_total", "reason" => "busy").increment(1);
                request
                    .response(503, "Service Unavailable", None)
                    .header("Retry-After", "5")
                    .done()
            }
        });
    }
    core.count_calls();
    let _ = events
        .send(CallEvent::Layout(call::layout(
            &offer.streams,
            metadata.as_ref(),
        )))
        .await;
    let streams = ports.iter().enumerate().filter(|(_, port)| port.is_some());
    let sockets = streams.map(|(stream, _)| stream).zip(sockets).collect();
    read_streams(&call, &offer, sockets);
    landing::note_facts(&call, metadata.as_ref()).await;
    let task = tokio::spawn(landing::run(core.clone(), call.clone(), receiver));
    *call.landed.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    await_ack(core, &call, reply, request.cseq);
    Some(response)
}

/// Reads each stream's socket for the call, SRTP opened as it comes.
fn read_streams(call: &Call, offer: &Offer, sockets: Vec<(usize, Arc<tokio::net::UdpSocket>)>) {
    let mut state = call.lock();
    for (stream, socket) in sockets {
        let (setup, watched) = tokio::sync::watch::channel(setup_of(call, offer, stream));
        let task = tokio::spawn(call::receive(socket, stream, watched, call.events.clone()));
        state.receivers.insert(stream, task);
        state.setups.insert(stream, setup);
    }
}

/// A re-INVITE's streams kept from before: told where their media now
/// comes from and its key (unchanged, nothing happens).
fn update_streams(call: &Call, offer: &Offer) {
    let state = call.lock();
    for (stream, setup) in &state.setups {
        if *stream < offer.streams.len() {
            setup.send_if_modified(|current| {
                let next = setup_of(call, offer, *stream);
                let changed = *current != next;
                *current = next;
                changed
            });
        }
    }
}

/// Where stream `stream` of `offer` may come from (its own offered
/// address, or the SRC itself) and its key.
fn setup_of(call: &Call, offer: &Offer, stream: usize) -> call::StreamSetup {
    let offered = &offer.streams[stream];
    let mut allowed: Vec<_> = offered.address.into_iter().collect();
    allowed.push(call.peer.ip());
    call::StreamSetup {
        allowed,
        offered: (offered.address, offered.port),
        key: offered.key.clone(),
    }
}

/// Over UDP the answer goes again until the ACK comes.
fn await_ack(core: &Core, call: &Arc<Call>, reply: &Reply, cseq: u32) {
    if reply.is_udp() {
        tokio::spawn(retransmit(
            call.clone(),
            reply.clone(),
            cseq,
            core.settings.ack_wait,
        ));
    }
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

pub(super) fn release(core: &Core, ports: &[Option<u16>]) {
    for port in ports.iter().flatten() {
        core.ports.give_back(*port);
    }
}

/// A 2xx to INVITE is sent again over UDP until the ACK comes: T1 doubling
/// to T2, for 64·T1 (RFC 3261 §13.3.1.4). No ACK by then: the server
/// ends the call (with its BYE).
async fn retransmit(call: Arc<Call>, reply: Reply, cseq: u32, ack_wait: Duration) {
    let mut wait = Duration::from_millis(500).min(ack_wait);
    let give_up = Instant::now() + ack_wait;
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
    let unconfirmed = {
        let state = call.lock();
        !state.acked && !state.ended && state.answered.0 == cseq
    };
    if unconfirmed {
        metrics::counter!("callrec_capture_unacknowledged_total").increment(1);
        let _ = call.events.send(CallEvent::End).await;
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
    // A secure stream stays secure: plain RTP offered in its place would
    // be taken unauthenticated.
    let downgraded = {
        let state = call.lock();
        state.setups.iter().any(|(index, setup)| {
            setup.borrow().key.is_some()
                && offer
                    .streams
                    .get(*index)
                    .is_some_and(|s| s.audio && s.key.is_none())
        })
    };
    if downgraded {
        return Some(
            request
                .response(488, "Not Acceptable Here", None)
                .header(
                    "Warning",
                    &warning(&"an SRTP stream cannot become plain RTP"),
                )
                .done(),
        );
    }
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
                // Its reader goes first, closing the socket.
                let receiver = {
                    let mut state = call.lock();
                    state.setups.remove(&index);
                    state.receivers.remove(&index)
                };
                if let Some(receiver) = receiver {
                    receiver.abort();
                    let _ = receiver.await;
                }
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
    landing::note_facts(call, metadata.as_ref()).await;
    let _ = call
        .events
        .send(CallEvent::Layout(call::layout(
            &offer.streams,
            metadata.as_ref(),
        )))
        .await;
    update_streams(call, &offer);
    read_streams(call, &offer, new_sockets);
    await_ack(core, call, reply, request.cseq);
    Some(response)
}

/// UPDATE or INFO: new metadata (the participants changed) is kept.
async fn update(call: &Call, request: &Request) -> Vec<u8> {
    match read_body(request) {
        Ok((_, Some(metadata))) => {
            call.lock().metadata = Some(metadata.clone());
            landing::note_facts(call, Some(&metadata)).await;
            respond(request, 200, "OK")
        }
        Ok(_) => respond(request, 200, "OK"),
        Err(refusal) => refusal,
    }
}
