//! A load generator for the recording server (bench/capture.sh): CALLS
//! two-party SIPREC calls held for SECONDS, each with two PCMU streams of
//! 50 packets a second, then ended with BYE. Prints what it sent as one
//! JSON line.
//!
//!     cargo run --release --example capture_load -- 127.0.0.1:5060 500 30

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

struct Call {
    id: String,
    ports: Vec<u16>,
    seq: u16,
    ts: u32,
}

fn request(
    method: &str,
    call: &str,
    cseq: u32,
    to_tag: Option<&str>,
    local: SocketAddr,
    server: SocketAddr,
    body: &str,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let kind = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: multipart/mixed;boundary=B\r\n".into()
    };
    format!(
        "{method} sip:srs@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{call}{cseq}{method}\r\n\
         From: <sip:load@example.com>;tag=load\r\nTo: <sip:srs@example.com>{to_tag}\r\nCall-ID: {call}\r\n\
         CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nRequire: siprec\r\nContact: <sip:load@{local}>;+sip.src\r\n\
         {kind}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn offer(n: usize) -> String {
    let sdp = "v=0\r\no=load 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 30000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\nm=audio 30002 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n";
    let metadata = format!(
        "<recording xmlns=\"urn:ietf:params:xml:ns:recording:1\"><session session_id=\"bG9hZA{n}\"/>\
         <participant participant_id=\"a\"><nameID aor=\"tel:+1555{n:07}\"/></participant>\
         <participant participant_id=\"b\"><nameID aor=\"sip:2001@pbx\"/></participant>\
         <stream stream_id=\"s1\"><label>1</label></stream><stream stream_id=\"s2\"><label>2</label></stream>\
         <participantstreamassoc participant_id=\"a\"><send>s1</send></participantstreamassoc>\
         <participantstreamassoc participant_id=\"b\"><send>s2</send></participantstreamassoc></recording>"
    );
    format!(
        "--B\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--B\r\nContent-Type: application/rs-metadata+xml\r\n\r\n{metadata}\r\n--B--\r\n"
    )
}

fn header<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let server: SocketAddr = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: capture_load SERVER CALLS SECONDS");
    let calls: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(30);
    let sip = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sip.local_addr().unwrap();
    let rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // Calls set up 50 at a time.
    let mut active: Vec<Call> = Vec::new();
    let mut to_tags: HashMap<String, String> = HashMap::new();
    let mut refused = 0;
    let mut buffer = vec![0u8; 65536];
    for batch in (0..calls).collect::<Vec<_>>().chunks(50) {
        for n in batch {
            let id = format!("load-{n}");
            sip.send_to(
                request("INVITE", &id, 1, None, local, server, &offer(*n)).as_bytes(),
                server,
            )
            .await
            .unwrap();
        }
        let mut pending = batch.len();
        let deadline = Instant::now() + Duration::from_secs(10);
        while pending > 0 && Instant::now() < deadline {
            let Ok(Ok((length, _))) =
                tokio::time::timeout(Duration::from_secs(2), sip.recv_from(&mut buffer)).await
            else {
                break;
            };
            let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
            if message.starts_with("SIP/2.0 1") {
                continue;
            }
            let Some(id) = header(&message, "Call-ID").map(str::to_string) else {
                continue;
            };
            if !message.starts_with("SIP/2.0 200") || to_tags.contains_key(&id) {
                if !message.starts_with("SIP/2.0 200") {
                    refused += 1;
                    pending -= 1;
                }
                continue;
            }
            let tag = header(&message, "To")
                .and_then(|to| to.split(";tag=").nth(1))
                .unwrap_or_default()
                .to_string();
            let ports: Vec<u16> = message
                .lines()
                .filter_map(|l| l.strip_prefix("m=audio "))
                .filter_map(|l| l.split(' ').next()?.parse().ok())
                .collect();
            sip.send_to(
                request("ACK", &id, 1, Some(&tag), local, server, "").as_bytes(),
                server,
            )
            .await
            .unwrap();
            to_tags.insert(id.clone(), tag);
            active.push(Call {
                id,
                ports,
                seq: 0,
                ts: 0,
            });
            pending -= 1;
        }
    }
    // Media: every 20 ms, a packet on every stream of every call.
    let payload = [0x7fu8; 160];
    let mut sent: u64 = 0;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut late_ticks = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        let at = tick.tick().await;
        if at.elapsed() > Duration::from_millis(10) {
            late_ticks += 1;
        }
        for call in &mut active {
            for (stream, port) in call.ports.iter().enumerate() {
                let mut packet = Vec::with_capacity(172);
                packet.extend_from_slice(&[0x80, 0]);
                packet.extend_from_slice(&call.seq.to_be_bytes());
                packet.extend_from_slice(&call.ts.to_be_bytes());
                packet.extend_from_slice(&(stream as u32 + 1).to_be_bytes());
                packet.extend_from_slice(&payload);
                if rtp.send_to(&packet, ("127.0.0.1", *port)).await.is_ok() {
                    sent += 1;
                }
            }
            call.seq = call.seq.wrapping_add(1);
            call.ts = call.ts.wrapping_add(160);
        }
    }
    let held = started.elapsed().as_secs_f64();
    for call in &active {
        let tag = to_tags.get(&call.id).map(String::as_str);
        sip.send_to(
            request("BYE", &call.id, 2, tag, local, server, "").as_bytes(),
            server,
        )
        .await
        .unwrap();
    }
    let mut ended = 0;
    while ended < active.len() {
        let Ok(Ok((length, _))) =
            tokio::time::timeout(Duration::from_secs(20), sip.recv_from(&mut buffer)).await
        else {
            break;
        };
        let message = String::from_utf8_lossy(&buffer[..length]);
        if message.starts_with("SIP/2.0 200") && message.contains("BYE") {
            ended += 1;
        }
    }
    println!(
        "{{\"calls\": {}, \"refused\": {refused}, \"held_seconds\": {held:.1}, \"packets_sent\": {sent}, \"late_ticks\": {late_ticks}, \"ended\": {ended}}}",
        active.len()
    );
}
