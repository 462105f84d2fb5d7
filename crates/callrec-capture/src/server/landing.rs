//! The end of a call: its task records until BYE (or the server ends it:
//! too long, no ACK, no media), then the call lands as a recording —
//! unless no media ever came — and its ports are free again.

use super::call::{self, CallEvent, Counts};
use super::calls::Call;
use super::dialog::{random_tag, release};
use super::Core;
use crate::metadata::RecordingMetadata;
use crate::sip::message::Request;
use callrec_app::capture::{land_call, CapturedCall};
use callrec_domain::phone::PhoneNumber;
use ezk_sip_types::Name;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Records until the call ends, then lands it and frees its ports.
pub(super) async fn run(core: Arc<Core>, call: Arc<Call>, events: mpsc::Receiver<CallEvent>) {
    let call_id = &call.call_id;
    let started = Instant::now();
    let recorded = call::record(
        events,
        call.spool.clone(),
        started,
        core.settings.max_duration,
        core.settings.silence_limit,
    )
    .await;
    let (ended_by_src, ports, metadata, invite) = {
        let mut state = call.lock();
        let ended = state.ended;
        state.ended = true;
        // Their sockets close with them, so the ports are free again.
        for (_, receiver) in state.receivers.drain() {
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
        // A session that never brought media (an INVITE never ACKed, a
        // source that sent nothing) leaves no recording.
        Ok(counts) if counts.packets == 0 => {
            metrics::counter!("callrec_capture_calls_empty_total").increment(1);
            tracing::info!(
                "call {call_id:?} from {:?} ended without media: not stored",
                call.source
            );
            callrec_app::capture::discard_call(&call.spool).await;
        }
        Ok(counts) => land(&core, &call, metadata.as_ref(), counts).await,
        Err(err) => tracing::error!("recording call {call_id:?} failed: {err}"),
    }
    core.calls.remove(&call);
    core.count_calls();
}

/// Keeps the call's facts beside its samples, for a restart to land them
/// (`land_leftover_calls`).
pub(super) async fn note_facts(call: &Call, metadata: Option<&RecordingMetadata>) {
    if let Err(err) = facts(call, metadata).note().await {
        tracing::error!(
            "cannot keep the facts of call {:?} beside its audio: {err}",
            call.call_id
        );
    }
}

/// What is known of a call so far: its parties' numbers (the first
/// participant calls), its session and when it began.
fn facts(call: &Call, metadata: Option<&RecordingMetadata>) -> CapturedCall {
    let number = |index: usize| {
        metadata
            .and_then(|m| m.participants.get(index))
            .and_then(|p| p.aor.as_deref())
            .and_then(number_of)
            // A party whose number is withheld or not a number at all.
            .unwrap_or_else(|| PhoneNumber::WITHHELD.to_string())
    };
    let started_at = metadata
        .and_then(|m| m.start_time.as_deref())
        .filter(|t| callrec_domain::time::parse_rfc3339(t).is_some())
        .map(str::to_string)
        .unwrap_or_else(|| callrec_domain::time::format_rfc3339_ms(call.started_ms));
    CapturedCall {
        companies: std::iter::once(call.company)
            .chain(call.also.iter().copied())
            .collect(),
        source: call.source.clone(),
        peer: call.peer.ip().to_string(),
        session_id: metadata
            .and_then(|m| m.session_id.clone())
            .unwrap_or_else(|| call.call_id.clone()),
        started_at,
        calling: number(0),
        called: number(1),
        pcm: call.spool.clone(),
        channels: 2,
        rate: crate::mix::RATE as u32,
        marks: Vec::new(),
        incomplete: false,
    }
}

async fn land(core: &Core, call: &Call, metadata: Option<&RecordingMetadata>, counts: Counts) {
    let call_id = &call.call_id;
    let mut captured = facts(call, metadata);
    captured.marks = counts.marks.clone();
    let deps = &core.deps;
    match land_call(
        &deps.store,
        &deps.blobs,
        &deps.keys,
        &captured,
        core.settings.country,
        deps.clock.now(),
    )
    .await
    {
        Ok(stored) => {
            metrics::counter!("callrec_capture_calls_total").increment(1);
            for stored in stored {
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
        }
        Err(err) => tracing::error!("storing captured call {call_id:?} failed: {err}"),
    }
    // Landed or not, the samples stay only while a retry could use them:
    // a failure to store is logged above and the file is kept for the
    // next start to land.
}

/// `2001` of `sip:2001@pbx`, `+15551234567` of `tel:+1-555-123-4567`.
pub(super) fn number_of(aor: &str) -> Option<String> {
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
        "BYE {target} SIP/2.0\r\nVia: SIP/2.0/{} {};branch=z9hG4bK{}\r\nFrom: {to};tag={}\r\nTo: {from}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        call.reply.transport(),
        SocketAddr::new(local, core.settings.listen.port()),
        random_tag(),
        call.local_tag,
        invite.call_id
    );
    // Back the way the call came: its UDP peer, or its connection.
    call.reply.send(bye.into_bytes()).await;
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
