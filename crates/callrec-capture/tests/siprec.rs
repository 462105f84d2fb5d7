//! The recording server against an SRC written here (two streams, which
//! SIPp cannot send), on SQLite and PostgreSQL: a call lands as one
//! stereo recording with each party on its own channel; strangers,
//! malformed offers, too many calls and retransmissions are answered as
//! RFC 3261/7866 say, and no state is kept for what is refused.

use callrec_app::audit::AuditContext;
use callrec_app::playback::{open_reading, Playback, Source};
use callrec_app::sealing::DataKeys;
use callrec_app::{Clock, Keyring};
use callrec_capture::{CaptureDeps, CaptureServer, CaptureSettings, PortRange};
use callrec_domain::marks::{MarkKind, RecordingMark};
use callrec_domain::range::Reading;
use callrec_domain::retention::Retention;
use callrec_domain::{CompanyId, CompanyName};
use callrec_store::{backend_tests, BlobStore, Recording, Store};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

const NOW: i64 = 1_800_000_000;

struct Rig {
    server: CaptureServer,
    store: Store,
    blobs: BlobStore,
    keys: DataKeys,
    company: CompanyId,
}

/// Free RTP ports for each test: tests run in parallel in one process.
fn rtp_ports() -> PortRange {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let slot = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let first = 41_000 + (std::process::id() as u16 % 50) * 200 + slot * 20;
    PortRange {
        first,
        last: first + 19,
    }
}

/// A server on a free port of 127.0.0.1, with ports of its own.
fn settings() -> CaptureSettings {
    CaptureSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        rtp_ports: rtp_ports(),
        max_calls: 4,
        max_duration: Duration::from_secs(3600),
        invites_per_second: 50,
        tls: None,
        country: callrec_domain::country::Country::parse("country", "GB").unwrap(),
        ack_wait: CaptureSettings::ACK_WAIT,
        silence_limit: CaptureSettings::SILENCE_LIMIT,
    }
}

async fn rig(db: &callrec_store::testing::TestDb, tune: impl FnOnce(&mut CaptureSettings)) -> Rig {
    let acme = db
        .store
        .set_up(NOW, async |write| {
            write
                .create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever)
                .await
        })
        .await
        .unwrap();
    rig_for(db, acme.id, tune).await
}

/// A recording server for company `company`, with 127.0.0.1 its source.
async fn rig_for(
    db: &callrec_store::testing::TestDb,
    company: CompanyId,
    tune: impl FnOnce(&mut CaptureSettings),
) -> Rig {
    let store = db.store.clone();
    let acme = store.company(company).await.unwrap().unwrap();
    callrec_app::capture::add_source(
        &store,
        &acme,
        Some("Lab SBC"),
        "127.0.0.1",
        callrec_app::capture::Sharing::MayShare,
        None,
        &AuditContext::command_line(),
    )
    .await
    .unwrap();
    let blobs = BlobStore::new(db.data_dir());
    let keys = DataKeys::new(Arc::new(Keyring::new([5; 32], &[])));
    let mut settings = settings();
    tune(&mut settings);
    let deps = CaptureDeps {
        store: store.clone(),
        blobs: blobs.clone(),
        keys: keys.clone(),
        clock: Clock::system(),
        status: Arc::default(),
    };
    let server = CaptureServer::start(settings, deps).await.unwrap();
    Rig {
        server,
        store,
        blobs,
        keys,
        company: acme.id,
    }
}

/// The SRC's side of one recording session.
struct Src {
    socket: UdpSocket,
    /// Where the SRC's media comes from (the server latches onto it).
    rtp: UdpSocket,
    server: SocketAddr,
    call_id: String,
    to_tag: Option<String>,
}

const METADATA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="SESSION">
    <start-time>2026-12-07T10:00:00Z</start-time>
  </session>
  <participant participant_id="caller">
    <nameID aor="sip:+15551230001@carrier.example.com"><name>Customer</name></nameID>
  </participant>
  <participant participant_id="agent">
    <nameID aor="sip:2001@pbx.example.com"/>
  </participant>
  <stream stream_id="s-agent" session_id="SESSION"><label>11</label></stream>
  <stream stream_id="s-caller" session_id="SESSION"><label>10</label></stream>
  <participantstreamassoc participant_id="caller"><send>s-caller</send><recv>s-agent</recv></participantstreamassoc>
  <participantstreamassoc participant_id="agent"><send>s-agent</send><recv>s-caller</recv></participantstreamassoc>
</recording>"#;

/// Two streams offered agent first, so the channels can only be right if
/// the metadata decides them.
fn offer(direction: &str) -> String {
    format!(
        "v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=label:11\r\na={direction}\r\n\
         m=audio 30002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=label:10\r\na={direction}\r\n"
    )
}

fn multipart(sdp: &str, session: &str) -> String {
    format!(
        "--BOUNDARY\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--BOUNDARY\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n{}\r\n--BOUNDARY--\r\n",
        METADATA.replace("SESSION", session)
    )
}

impl Src {
    async fn new(server: SocketAddr) -> Src {
        Src {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            rtp: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            server,
            call_id: format!("call-{}@src", rand_hex()),
            to_tag: None,
        }
    }

    fn request(
        &self,
        method: &str,
        cseq: u32,
        headers: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> String {
        let to_tag = self
            .to_tag
            .as_ref()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        let kind = content_type
            .map(|k| format!("Content-Type: {k}\r\n"))
            .unwrap_or_default();
        format!(
            "{method} sip:srs@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{method}{cseq}\r\n\
             From: <sip:src@example.com>;tag=src1\r\nTo: <sip:srs@example.com>{to_tag}\r\nCall-ID: {call}\r\n\
             CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContact: <sip:src@{local}>;+sip.src\r\n{headers}{kind}Content-Length: {length}\r\n\r\n{body}",
            server = self.server,
            local = self.socket.local_addr().unwrap(),
            call = self.call_id,
            length = body.len(),
        )
    }

    async fn send(&self, text: &str) {
        self.socket
            .send_to(text.as_bytes(), self.server)
            .await
            .unwrap();
    }

    /// The next final response (1xx skipped), as text.
    async fn final_response(&self) -> String {
        loop {
            let text = self.receive().await;
            if !text.starts_with("SIP/2.0 1") {
                return text;
            }
        }
    }

    async fn receive(&self) -> String {
        let mut buffer = vec![0u8; 65536];
        let (length, _) =
            tokio::time::timeout(Duration::from_secs(10), self.socket.recv_from(&mut buffer))
                .await
                .expect("an answer within 10 s")
                .unwrap();
        String::from_utf8_lossy(&buffer[..length]).into_owned()
    }

    async fn invite(&mut self, body: &str, content_type: &str) -> String {
        let invite = self.request("INVITE", 1, "Require: siprec\r\n", Some(content_type), body);
        self.send(&invite).await;
        let answer = self.final_response().await;
        self.to_tag = header_param(&answer, "To", "tag");
        answer
    }
}

fn rand_hex() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn header_param(message: &str, header: &str, name: &str) -> Option<String> {
    let line = message.lines().find(|l| {
        l.to_ascii_lowercase()
            .starts_with(&format!("{}:", header.to_ascii_lowercase()))
    })?;
    line.split(';').find_map(|p| {
        p.trim()
            .strip_prefix(&format!("{name}="))
            .map(str::to_string)
    })
}

/// The ports of the answer's m-lines, in order.
fn answered_ports(answer: &str) -> Vec<u16> {
    answer
        .lines()
        .filter_map(|l| l.strip_prefix("m=audio "))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

fn status(response: &str) -> u16 {
    response[8..11].parse().unwrap()
}

/// μ-law of a linear sample (G.711's encoder, for the SRC's audio).
fn ulaw(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let sign = if value < 0 { 0x80 } else { 0 };
    if value < 0 {
        value = -value;
    }
    value = (value + 0x84).min(0x7fff);
    let exponent = (7 - (value.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (value >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// A-law of a linear sample.
fn alaw(sample: i16) -> u8 {
    let mut value = i32::from(sample) >> 3;
    let sign = if value >= 0 { 0x80 } else { 0 };
    if value < 0 {
        value = -value - 1;
    }
    let (exponent, mantissa) = if value < 32 {
        (0, value >> 1)
    } else {
        let exponent = (31 - value.leading_zeros() as i32) - 4;
        (exponent, (value >> exponent) & 0x0f)
    };
    (sign | ((exponent.min(7) as u8) << 4) | mantissa as u8) ^ 0x55
}

/// Sends `seconds` of a tone on each answered port, 20 ms a packet, in
/// real time: 440 Hz as the agent (μ-law), 1 kHz as the caller (A-law).
async fn send_tones(src: &Src, ports: &[u16], seconds: u32) {
    let rtp = &src.rtp;
    let started = Instant::now();
    for packet in 0..(seconds * 50) {
        for (stream, port) in ports.iter().enumerate() {
            let (frequency, payload_type, ssrc) = if stream == 0 {
                (440.0, 0u8, 0x1111)
            } else {
                (1000.0, 8u8, 0x2222)
            };
            let mut bytes = vec![0x80, payload_type];
            bytes.extend_from_slice(&(packet as u16).to_be_bytes());
            bytes.extend_from_slice(&(packet * 160).to_be_bytes());
            bytes.extend_from_slice(&(ssrc as u32).to_be_bytes());
            for n in 0..160 {
                let t = f64::from(packet * 160 + n) / 8000.0;
                let sample = (8000.0 * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16;
                bytes.push(if payload_type == 0 {
                    ulaw(sample)
                } else {
                    alaw(sample)
                });
            }
            rtp.send_to(&bytes, ("127.0.0.1", *port)).await.unwrap();
        }
        let due = started + Duration::from_millis(u64::from(packet + 1) * 20);
        tokio::time::sleep_until(due.into()).await;
    }
}

async fn landed(rig: &Rig, external_id: &str) -> Recording {
    landed_for(&rig.store, rig.company, external_id).await
}

async fn landed_for(store: &Store, company: CompanyId, external_id: &str) -> Recording {
    for _ in 0..100 {
        if let Some(recording) = store
            .recording_by_external_id(company, external_id)
            .await
            .unwrap()
        {
            return recording;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no recording {external_id} after 10 s");
}

/// The stored audio's samples, per channel.
async fn channels(rig: &Rig, recording: &Recording) -> (u16, u32, Vec<Vec<f64>>) {
    let source = Source {
        store: &rig.store,
        blobs: &rig.blobs,
        keys: &rig.keys,
        checked: |_| {},
    };
    let Playback::Ready(ready) = open_reading(
        &source,
        recording,
        Reading::Download,
        "test",
        &AuditContext::command_line(),
    )
    .await
    .unwrap() else {
        panic!("the audio is not available");
    };
    let size = ready.size();
    let mut bytes = Vec::new();
    let mut stream = Box::pin(ready.stream(0, size));
    while let Some(piece) = stream.next().await {
        bytes.extend_from_slice(&piece.unwrap());
    }
    assert_eq!(&bytes[..4], b"RIFF");
    let count = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let mut lanes = vec![Vec::new(); usize::from(count)];
    for (i, pair) in bytes[44..].chunks_exact(2).enumerate() {
        lanes[i % usize::from(count)].push(f64::from(i16::from_le_bytes([pair[0], pair[1]])));
    }
    (count, rate, lanes)
}

/// Goertzel: the strength of `frequency` in `samples`.
fn strength(samples: &[f64], frequency: f64, rate: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for sample in samples {
        let s0 = sample + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coefficient * s1 * s2).sqrt()
}

backend_tests! {
    async fn a_two_party_call_lands_as_one_stereo_recording_with_a_party_a_channel(db) {
        let rig = rig(&db, |_| {}).await;
        let mut src = Src::new(rig.server.udp_address).await;
        let answer = src.invite(&multipart(&offer("sendonly"), "c2Vzc2lvbi0x"), "multipart/mixed;boundary=BOUNDARY").await;
        assert_eq!(status(&answer), 200, "{answer}");
        assert!(answer.contains("+sip.srs"), "{answer}");
        assert!(answer.contains("a=label:11") && answer.contains("a=label:10"), "labels echoed: {answer}");
        assert_eq!(answer.matches("a=recvonly").count(), 2, "{answer}");
        let ports = answered_ports(&answer);
        assert_eq!(ports.len(), 2);
        assert!(ports.iter().all(|p| *p != 0 && p % 2 == 0), "{ports:?}");
        src.send(&src.request("ACK", 1, "", None, "")).await;
        assert_eq!(rig.server.active_calls(), 1);
        send_tones(&src, &ports, 2).await;
        src.send(&src.request("BYE", 2, "", None, "")).await;
        let bye = src.final_response().await;
        assert_eq!(status(&bye), 200, "{bye}");

        let recording = landed(&rig, "siprec:c2Vzc2lvbi0x").await;
        assert_eq!(recording.calling_number.as_str(), "+15551230001");
        assert_eq!(recording.called_number.as_str(), "2001");
        assert!((1700..=2600).contains(&recording.duration_ms), "{} ms", recording.duration_ms);
        let (count, rate, lanes) = channels(&rig, &recording).await;
        assert_eq!((count, rate), (2, 8000));
        // Left is the caller (1 kHz, sent on the second m-line), right the agent (440 Hz).
        let (left, right) = (&lanes[0], &lanes[1]);
        let ratio = |lane: &[f64], want: f64, other: f64| strength(lane, want, 8000.0) / strength(lane, other, 8000.0).max(1.0);
        assert!(ratio(left, 1000.0, 440.0) > 20.0, "left: {}", ratio(left, 1000.0, 440.0));
        assert!(ratio(right, 440.0, 1000.0) > 20.0, "right: {}", ratio(right, 440.0, 1000.0));
        // The call's entry says it was captured, and from where.
        let query = callrec_store::AuditQuery { action: Some("recording.captured".into()), limit: 10, ..Default::default() };
        let entries = rig.store.audit_entries(&query).await.unwrap();
        let [captured] = &entries[..] else { panic!("one recording.captured entry: {entries:?}") };
        assert!(captured.details.contains("Lab SBC") && captured.client_addr.as_deref() == Some("127.0.0.1"), "{captured:?}");
        // The ports went back: nothing is left of the call.
        for _ in 0..50 {
            if rig.server.active_calls() == 0 { break }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(rig.server.active_calls(), 0);
        // The BYE again (its 200 lost): 200 again, not 481; another dialog's: 481.
        src.send(&src.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 200, "a retransmitted BYE");
        src.to_tag = Some("other".into());
        src.send(&src.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 481);
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn what_is_refused_leaves_nothing_behind(db) {
        let rig = rig(&db, |settings| settings.max_calls = 1).await;
        let sdp = offer("sendonly");
        let body = multipart(&sdp, "cmVmdXNhbHM=");
        let kind = "multipart/mixed;boundary=BOUNDARY";

        // OPTIONS, the SRC's keep-alive, from a source.
        let src = Src::new(rig.server.udp_address).await;
        src.send(&src.request("OPTIONS", 1, "", None, "")).await;
        let options = src.final_response().await;
        assert_eq!(status(&options), 200, "{options}");
        assert!(options.contains("Supported: siprec"), "{options}");

        // Without the siprec option tag: 421 naming it.
        let plain = Src::new(rig.server.udp_address).await;
        plain.send(&plain.request("INVITE", 1, "", Some(kind), &body)).await;
        let refused = plain.final_response().await;
        assert_eq!(status(&refused), 421, "{refused}");
        assert!(refused.contains("Require: siprec"), "{refused}");

        // An offer that is not SDP, and metadata that is not XML.
        let mut bad = Src::new(rig.server.udp_address).await;
        let garbled = bad.invite(&multipart("v=0\r\nm=audio x\r\n", "YmFk"), kind).await;
        assert_eq!(status(&garbled), 488, "{garbled}");
        let mut bad = Src::new(rig.server.udp_address).await;
        let broken = format!("--B\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--B\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<recording><participant></recording>\r\n--B--\r\n");
        let bad_xml = bad.invite(&broken, "multipart/mixed;boundary=B").await;
        assert_eq!(status(&bad_xml), 400, "{bad_xml}");
        let mut bad = Src::new(rig.server.udp_address).await;
        let doctype = broken.replace("<recording><participant></recording>", "<!DOCTYPE r [<!ENTITY x \"y\">]><recording/>");
        let entity = bad.invite(&doctype, "multipart/mixed;boundary=B").await;
        assert_eq!(status(&entity), 400, "{entity}");
        assert_eq!(rig.server.active_calls(), 0, "refused calls keep no state");

        // One call allowed: its INVITE sent twice (a retransmission) is one
        // call with one answer; a second call gets 503.
        let mut first = Src::new(rig.server.udp_address).await;
        let invite = first.request("INVITE", 1, "Require: siprec\r\n", Some(kind), &body);
        first.send(&invite).await;
        first.send(&invite).await;
        let one = first.final_response().await;
        let again = first.final_response().await;
        assert_eq!((status(&one), status(&again)), (200, 200), "{one}\n{again}");
        assert_eq!(header_param(&one, "To", "tag"), header_param(&again, "To", "tag"));
        assert_eq!(answered_ports(&one), answered_ports(&again));
        first.to_tag = header_param(&one, "To", "tag");
        assert_eq!(rig.server.active_calls(), 1);
        let mut second = Src::new(rig.server.udp_address).await;
        let busy = second.invite(&multipart(&sdp, "c2Vjb25k"), kind).await;
        assert_eq!(status(&busy), 503, "{busy}");
        assert!(busy.contains("Retry-After"), "{busy}");

        // CANCEL after the answer changes nothing; BYE ends the call; a
        // BYE for a call that is not there is 481.
        first.send(&first.request("CANCEL", 1, "", None, "")).await;
        assert_eq!(status(&first.final_response().await), 200);
        assert_eq!(rig.server.active_calls(), 1);
        first.send(&first.request("ACK", 1, "", None, "")).await;
        first.send(&first.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&first.final_response().await), 200);
        first.send(&first.request("BYE", 3, "", None, "")).await;
        let gone = first.final_response().await;
        assert!([200, 481].contains(&status(&gone)), "{gone}");
        // A method the server does not know.
        src.send(&src.request("SUBSCRIBE", 2, "", None, "")).await;
        let unknown = src.final_response().await;
        assert_eq!(status(&unknown), 405, "{unknown}");
        assert!(unknown.contains("Allow: INVITE"), "{unknown}");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn a_stranger_gets_403_and_nothing_is_kept(db) {
        let rig = rig(&db, |_| {}).await;
        // The rig's source is 127.0.0.1; 127.0.0.2 is another host.
        let stranger = UdpSocket::bind("127.0.0.2:0").await.unwrap();
        let mut src = Src::new(rig.server.udp_address).await;
        src.socket = stranger;
        let answer = src.invite(&multipart(&offer("sendonly"), "c3RyYW5nZXI="), "multipart/mixed;boundary=BOUNDARY").await;
        assert_eq!(status(&answer), 403, "{answer}");
        assert!(!answer.contains("m=audio"), "{answer}");
        assert_eq!(rig.server.active_calls(), 0);
        // Once the source is removed, its calls are refused too (within
        // the two seconds the server trusts its list).
        let sources = rig.store.capture_sources(Some(rig.company)).await.unwrap();
        callrec_app::capture::remove_source(&rig.store, sources[0].id, Some(rig.company), &AuditContext::command_line())
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let mut src = Src::new(rig.server.udp_address).await;
        let answer = src.invite(&multipart(&offer("sendonly"), "cmVtb3ZlZA=="), "multipart/mixed;boundary=BOUNDARY").await;
        assert_eq!(status(&answer), 403, "{answer}");
        rig.server.stop().await;
    }
}

/// Sends RFC 4733 events (a key held for three packets) on `port`.
async fn send_key_press(rtp: &UdpSocket, port: u16, timestamp: u32) {
    for (n, end) in [(0u16, false), (1, false), (2, true)] {
        let mut bytes = vec![0x80, if n == 0 { 0x80 | 101 } else { 101 }];
        bytes.extend_from_slice(&(9000 + n).to_be_bytes());
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&0x1111u32.to_be_bytes());
        // Event 5 ("5"), volume 10, duration growing.
        bytes.extend_from_slice(&[5, if end { 0x80 | 10 } else { 10 }]);
        bytes.extend_from_slice(&(160 * (n + 1)).to_be_bytes());
        rtp.send_to(&bytes, ("127.0.0.1", port)).await.unwrap();
    }
}

backend_tests! {
    async fn a_pause_and_a_key_press_are_marked_never_the_digit(db) {
        let rig = rig(&db, |_| {}).await;
        let mut src = Src::new(rig.server.udp_address).await;
        let kind = "multipart/mixed;boundary=BOUNDARY";
        let answer = src.invite(&multipart(&offer("sendonly"), "cGF1c2Vk"), kind).await;
        let ports = answered_ports(&answer);
        src.send(&src.request("ACK", 1, "", None, "")).await;
        send_tones(&src, &ports, 1).await;
        send_key_press(&src.rtp, ports[0], 8000).await;
        // Pause: the same streams offered inactive; then resumed.
        let pause = src.request("INVITE", 2, "Require: siprec\r\n", Some("application/sdp"), &offer("inactive"));
        src.send(&pause).await;
        let paused = src.final_response().await;
        assert_eq!(status(&paused), 200, "{paused}");
        assert_eq!(answered_ports(&paused), ports, "streams keep their ports");
        assert_eq!(paused.matches("a=inactive").count(), 2, "{paused}");
        src.send(&src.request("ACK", 2, "", None, "")).await;
        // Audio sent while paused is not recorded.
        send_tones(&src, &ports, 1).await;
        let resume = src.request("INVITE", 3, "Require: siprec\r\n", Some("application/sdp"), &offer("sendonly"));
        src.send(&resume).await;
        assert_eq!(status(&src.final_response().await), 200);
        src.send(&src.request("ACK", 3, "", None, "")).await;
        send_tones(&src, &ports, 1).await;
        src.send(&src.request("BYE", 4, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 200);

        let recording = landed(&rig, "siprec:cGF1c2Vk").await;
        let marks = rig.store.recording_marks(&recording.id).await.unwrap();
        let kinds: Vec<MarkKind> = marks.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, [MarkKind::KeyPress, MarkKind::Paused], "{marks:?}");
        let pause = marks[1];
        assert!((800..=1400).contains(&pause.start_ms) && (1700..=2600).contains(&pause.end_ms), "{pause:?}");
        // The paused second is silent on both channels; either side of it is not.
        let (_, _, lanes) = channels(&rig, &recording).await;
        let loudest = |lane: &[f64], from_ms: i64, to_ms: i64| {
            lane[(from_ms * 8) as usize..(to_ms * 8) as usize].iter().fold(0f64, |a, b| a.max(b.abs()))
        };
        for lane in &lanes {
            assert!(loudest(lane, pause.start_ms + 100, pause.end_ms - 100) < 1.0, "silent while paused");
            assert!(loudest(lane, 100, pause.start_ms - 200) > 1000.0, "heard before");
            assert!(loudest(lane, pause.end_ms + 200, recording.duration_ms - 300) > 1000.0, "heard after");
        }
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn a_call_a_stopped_node_left_lands_marked_incomplete(db) {
        // What a node killed mid-call leaves: the call's facts and the
        // samples written so far (a frame cut in half at the end).
        let blobs = BlobStore::new(db.data_dir());
        let store = db.store.clone();
        let acme = store
            .set_up(NOW, async |write| write.create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever).await)
            .await
            .unwrap();
        let pcm = blobs.capture_path(".capture").await.unwrap();
        let call = callrec_app::capture::CapturedCall {
            companies: vec![acme.id],
            source: "Lab SBC".into(),
            peer: "127.0.0.1".into(),
            session_id: "a2lsbGVk".into(),
            started_at: "2026-12-07T10:00:00Z".into(),
            calling: "+15551230001".into(),
            called: "2001".into(),
            pcm: pcm.clone(),
            channels: 2,
            rate: 8000,
            marks: Vec::new(),
            incomplete: false,
        };
        call.note().await.unwrap();
        let mut samples = Vec::new();
        for n in 0..8000 * 3 / 2 {
            samples.extend_from_slice(&((n % 100) as i16 * 100).to_le_bytes());
            samples.extend_from_slice(&0i16.to_le_bytes());
        }
        samples.push(7);
        std::fs::write(&pcm, &samples).unwrap();

        // The next start lands it before taking calls.
        let rig = rig_for(&db, acme.id, |_| {}).await;
        let recording = rig.store.recording_by_external_id(acme.id, "siprec:a2lsbGVk").await.unwrap().expect("landed at start");
        assert_eq!(recording.duration_ms, 1500);
        let marks = rig.store.recording_marks(&recording.id).await.unwrap();
        assert_eq!(marks, [RecordingMark { kind: MarkKind::Incomplete, start_ms: 1500, end_ms: 1500 }]);
        let query = callrec_store::AuditQuery { action: Some("recording.captured".into()), limit: 10, ..Default::default() };
        let entries = rig.store.audit_entries(&query).await.unwrap();
        assert!(entries[0].details.contains("incomplete"), "{:?}", entries[0]);
        assert!(!pcm.exists(), "the samples are gone once stored");
        assert!(blobs.capture_leftovers().await.unwrap().is_empty(), "and the facts beside them");
        rig.server.stop().await;
    }
}

/// The SRC's side of SRTP (AES_CM_128_HMAC_SHA1_80) for one stream, kept
/// apart from the server's receiver; key derivation as RFC 3711 §4.3.
struct SrtpSender {
    key: [u8; 16],
    salt: [u8; 14],
    auth: [u8; 20],
}

impl SrtpSender {
    fn new(master: &[u8; 30]) -> SrtpSender {
        use aes::cipher::{KeyIvInit, StreamCipher};
        let derive = |label: u8, out: &mut [u8]| {
            let mut iv = [0u8; 16];
            iv[..14].copy_from_slice(&master[16..]);
            iv[7] ^= label;
            let mut cipher = ctr::Ctr128BE::<aes::Aes128>::new(master[..16].into(), &iv.into());
            cipher.apply_keystream(out);
        };
        let mut sender = SrtpSender {
            key: [0; 16],
            salt: [0; 14],
            auth: [0; 20],
        };
        derive(0, &mut sender.key);
        derive(1, &mut sender.auth);
        derive(2, &mut sender.salt);
        sender
    }

    fn protect(&self, packet: &[u8]) -> Vec<u8> {
        use aes::cipher::{KeyIvInit, StreamCipher};
        use hmac::Mac;
        let mut out = packet.to_vec();
        let mut iv = [0u8; 16];
        iv[..14].copy_from_slice(&self.salt);
        for i in 0..4 {
            iv[4 + i] ^= packet[8 + i];
        }
        // Rollover counter 0: the index is the sequence number.
        iv[12] ^= packet[2];
        iv[13] ^= packet[3];
        let mut cipher = ctr::Ctr128BE::<aes::Aes128>::new(&self.key.into(), &iv.into());
        cipher.apply_keystream(&mut out[12..]);
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&self.auth).unwrap();
        mac.update(&out);
        mac.update(&0u32.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes()[..10]);
        out
    }
}

backend_tests! {
    async fn an_srtp_call_is_decrypted_and_a_forged_packet_is_not_heard(db) {
        use base64::Engine as _;
        let rig = rig(&db, |_| {}).await;
        let master = [0x5a_u8; 30];
        let inline = base64::engine::general_purpose::STANDARD.encode(master);
        let sdp = format!(
            "v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio 30000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{inline}\r\na=label:10\r\na=sendonly\r\n"
        );
        let mut src = Src::new(rig.server.udp_address).await;
        let answer = src.invite(&multipart(&sdp, "c3J0cA=="), "multipart/mixed;boundary=BOUNDARY").await;
        assert_eq!(status(&answer), 200, "{answer}");
        assert!(answer.contains("m=audio ") && answer.contains(" RTP/SAVP 0"), "{answer}");
        let crypto = answer.lines().find(|l| l.starts_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")).expect("our own key in the answer");
        assert!(!crypto.contains(&inline), "not the SRC's key echoed");
        let port = answered_ports(&answer)[0];
        src.send(&src.request("ACK", 1, "", None, "")).await;
        let sender = SrtpSender::new(&master);
        let forger = SrtpSender::new(&[0x77; 30]);
        let rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let started = Instant::now();
        for packet in 0..50u32 {
            let bytes = tone_packet(packet, 1000.0);
            rtp.send_to(&sender.protect(&bytes), ("127.0.0.1", port)).await.unwrap();
            // A packet for the same moment under another key, with a 440 Hz
            // tone: heard, it would add to the call's tone.
            let mut forged = tone_packet(packet, 440.0);
            forged[2..4].copy_from_slice(&(packet as u16 + 20_000).to_be_bytes());
            rtp.send_to(&forger.protect(&forged), ("127.0.0.1", port)).await.unwrap();
            tokio::time::sleep_until((started + Duration::from_millis(u64::from(packet + 1) * 20)).into()).await;
        }
        src.send(&src.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 200);
        let recording = landed(&rig, "siprec:c3J0cA==").await;
        let (_, _, lanes) = channels(&rig, &recording).await;
        let left = &lanes[0];
        // Only the tone: nothing at 440 Hz (the forged tone) nor 2.5 kHz
        // (what a packet opened with the wrong key would add: noise).
        let tone = strength(left, 1000.0, 8000.0);
        let (forged, noise) = (strength(left, 440.0, 8000.0), strength(left, 2500.0, 8000.0));
        assert!(tone > 1000.0 * forged.max(1.0) && tone > 1000.0 * noise.max(1.0), "tone {tone}, 440 Hz {forged}, 2.5 kHz {noise}");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn a_g722_stream_is_decoded(db) {
        let rig = rig(&db, |_| {}).await;
        let sdp = "v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 30000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=label:10\r\na=sendonly\r\n";
        let mut src = Src::new(rig.server.udp_address).await;
        let answer = src.invite(&multipart(sdp, "ZzcyMg=="), "multipart/mixed;boundary=BOUNDARY").await;
        assert!(answer.contains(" RTP/AVP 9\r\n") && answer.contains("a=rtpmap:9 G722/8000"), "{answer}");
        let port = answered_ports(&answer)[0];
        src.send(&src.request("ACK", 1, "", None, "")).await;
        // One second of 1 kHz + 300 Hz, encoded by libg722 (src/g722.rs's fixture).
        let encoded = include_bytes!("fixtures/tones.g722");
        let rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let started = Instant::now();
        for (n, payload) in encoded.chunks(160).enumerate() {
            let mut bytes = vec![0x80, 9];
            bytes.extend_from_slice(&(n as u16).to_be_bytes());
            bytes.extend_from_slice(&(n as u32 * 160).to_be_bytes());
            bytes.extend_from_slice(&0x4444u32.to_be_bytes());
            bytes.extend_from_slice(payload);
            rtp.send_to(&bytes, ("127.0.0.1", port)).await.unwrap();
            tokio::time::sleep_until((started + Duration::from_millis((n as u64 + 1) * 20)).into()).await;
        }
        src.send(&src.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 200);
        let recording = landed(&rig, "siprec:ZzcyMg==").await;
        let (count, rate, lanes) = channels(&rig, &recording).await;
        assert_eq!((count, rate), (2, 8000));
        let left = &lanes[0];
        let (high, low, none) = (strength(left, 1000.0, 8000.0), strength(left, 300.0, 8000.0), strength(left, 2200.0, 8000.0));
        assert!(high > 50.0 * none && low > 20.0 * none && high > low, "1 kHz {high}, 300 Hz {low}, 2.2 kHz {none}");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn another_source_cannot_end_change_or_take_over_a_call(db) {
        let rig = rig(&db, |_| {}).await;
        // Globex has its own SBC at 127.0.0.2.
        let globex = rig.store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Globex").unwrap(), Retention::Forever).await).await.unwrap();
        callrec_app::capture::add_source(&rig.store, &globex, None, "127.0.0.2", callrec_app::capture::Sharing::OwnOnly, None, &AuditContext::command_line()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let kind = "multipart/mixed;boundary=BOUNDARY";
        let mut acme = Src::new(rig.server.udp_address).await;
        let answer = acme.invite(&multipart(&offer("sendonly"), "aGlqYWNr"), kind).await;
        assert_eq!(status(&answer), 200);
        acme.send(&acme.request("ACK", 1, "", None, "")).await;

        // Globex's SBC with Acme's Call-ID and tags: not its call.
        let mut intruder = Src::new(rig.server.udp_address).await;
        intruder.socket = UdpSocket::bind("127.0.0.2:0").await.unwrap();
        intruder.call_id = acme.call_id.clone();
        intruder.to_tag = acme.to_tag.clone();
        intruder.send(&intruder.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&intruder.final_response().await), 481);
        let update = intruder.request("UPDATE", 3, "", Some("application/rs-metadata+xml"), "<recording/>");
        intruder.send(&update).await;
        assert_eq!(status(&intruder.final_response().await), 481);
        // Acme's own SBC, but a wrong To-tag (someone guessing): 481 too.
        let mut guesser = Src::new(rig.server.udp_address).await;
        guesser.call_id = acme.call_id.clone();
        guesser.to_tag = Some("guessed".into());
        guesser.send(&guesser.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&guesser.final_response().await), 481);
        // A new INVITE on a live Call-ID from another dialog: 482, no second call.
        let mut twin = Src::new(rig.server.udp_address).await;
        twin.call_id = acme.call_id.clone();
        let looped = twin.request("INVITE", 9, "Require: siprec\r\n", Some(kind), &multipart(&offer("sendonly"), "dHdpbg==")).replace("tag=src1", "tag=other");
        twin.send(&looped).await;
        assert_eq!(status(&twin.final_response().await), 482);
        assert_eq!(rig.server.active_calls(), 1, "the call goes on");

        // Globex's SBC may use the same Call-ID for a call of its own.
        let mut own = Src::new(rig.server.udp_address).await;
        own.socket = UdpSocket::bind("127.0.0.2:0").await.unwrap();
        own.call_id = acme.call_id.clone();
        let answer = own.invite(&multipart(&offer("sendonly"), "Z2xvYmV4"), kind).await;
        assert_eq!(status(&answer), 200, "{answer}");
        assert_eq!(rig.server.active_calls(), 2);

        // A stranger's TCP connection is closed before a byte is read.
        let stranger = tokio::net::TcpSocket::new_v4().unwrap();
        stranger.bind("127.0.0.3:0".parse().unwrap()).unwrap();
        let mut stream = stranger.connect(rig.server.tcp_address).await.unwrap();
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), tokio::io::AsyncReadExt::read(&mut stream, &mut byte)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn a_call_never_acknowledged_or_gone_silent_is_ended_and_an_empty_one_not_stored(db) {
        let rig = rig(&db, |settings| {
            settings.ack_wait = Duration::from_millis(600);
            settings.silence_limit = Duration::from_millis(1500);
        })
        .await;
        let kind = "multipart/mixed;boundary=BOUNDARY";
        // No ACK, no media: the server gives up, says BYE, stores nothing.
        let mut silent = Src::new(rig.server.udp_address).await;
        assert_eq!(status(&silent.invite(&multipart(&offer("sendonly"), "bm9hY2s="), kind).await), 200);
        let bye = loop {
            let message = silent.receive().await;
            if message.starts_with("BYE ") {
                break message;
            }
        };
        assert!(bye.contains(&format!("Call-ID: {}", silent.call_id)), "{bye}");
        // ACKed, a second of media, then nothing: ended after the limit, stored.
        let mut gone = Src::new(rig.server.udp_address).await;
        let answer = gone.invite(&multipart(&offer("sendonly"), "Z29uZQ=="), kind).await;
        gone.send(&gone.request("ACK", 1, "", None, "")).await;
        send_tones(&gone, &answered_ports(&answer), 1).await;
        let recording = landed(&rig, "siprec:Z29uZQ==").await;
        // A second of tone, then silence until the limit ended the call.
        assert!((2000..=3300).contains(&recording.duration_ms), "{}", recording.duration_ms);
        for _ in 0..50 {
            if rig.server.active_calls() == 0 { break }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(rig.server.active_calls(), 0);
        assert!(rig.store.recording_by_external_id(rig.company, "siprec:bm9hY2s=").await.unwrap().is_none(), "no media, no recording");
        assert!(rig.blobs.capture_leftovers().await.unwrap().is_empty(), "nothing left in the spool");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn a_session_sent_to_two_nodes_at_once_is_stored_once(db) {
        // Two nodes: two recording servers on two connections to one
        // database, each with its own spool; the SRC fails over and sends
        // the same recording session to both, at the same time.
        let a = rig(&db, |_| {}).await;
        let node_b = tempfile::tempdir().unwrap();
        let b_store = db.another_node().await;
        let b = CaptureServer::start(
            settings(),
            CaptureDeps {
                store: b_store.clone(),
                blobs: BlobStore::new(node_b.path()),
                keys: DataKeys::new(Arc::new(Keyring::new([5; 32], &[]))),
                clock: Clock::system(),
                status: Arc::default(),
            },
        )
        .await
        .unwrap();
        let kind = "multipart/mixed;boundary=BOUNDARY";
        let body = multipart(&offer("sendonly"), "ZmFpbG92ZXI=");
        let (mut to_a, mut to_b) = (Src::new(a.server.udp_address).await, Src::new(b.udp_address).await);
        let (answer_a, answer_b) = tokio::join!(to_a.invite(&body, kind), to_b.invite(&body, kind));
        assert_eq!((status(&answer_a), status(&answer_b)), (200, 200));
        to_a.send(&to_a.request("ACK", 1, "", None, "")).await;
        to_b.send(&to_b.request("ACK", 1, "", None, "")).await;
        let (ports_a, ports_b) = (answered_ports(&answer_a), answered_ports(&answer_b));
        tokio::join!(send_tones(&to_a, &ports_a, 1), send_tones(&to_b, &ports_b, 1));
        let (bye_a, bye_b) = (to_a.request("BYE", 2, "", None, ""), to_b.request("BYE", 2, "", None, ""));
        tokio::join!(to_a.send(&bye_a), to_b.send(&bye_b));
        let (done_a, done_b) = tokio::join!(to_a.final_response(), to_b.final_response());
        assert_eq!((status(&done_a), status(&done_b)), (200, 200));
        landed(&a, "siprec:ZmFpbG92ZXI=").await;
        for _ in 0..100 {
            if a.server.active_calls() == 0 && b.active_calls() == 0 { break }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let query = callrec_store::AuditQuery { action: Some("recording.captured".into()), limit: 10, ..Default::default() };
        let entries = a.store.audit_entries(&query).await.unwrap();
        assert_eq!(entries.len(), 1, "one recording, one entry: {entries:?}");
        let count = a.store.recording_by_external_id(a.company, "siprec:ZmFpbG92ZXI=").await.unwrap();
        assert!(count.is_some());
        b.stop().await;
        a.server.stop().await;
    }
}

/// One short call from `src` with the parties `calling` and `called`;
/// the INVITE's final status.
async fn call_between(src: &mut Src, session: &str, calling: &str, called: &str) -> u16 {
    let body = multipart(&offer("sendonly"), session)
        .replace("sip:+15551230001@", &format!("sip:{calling}@"))
        .replace("sip:2001@", &format!("sip:{called}@"));
    let answer = src.invite(&body, "multipart/mixed;boundary=BOUNDARY").await;
    if status(&answer) != 200 {
        return status(&answer);
    }
    src.send(&src.request("ACK", 1, "", None, "")).await;
    send_tones(src, &answered_ports(&answer), 1).await;
    src.send(&src.request("BYE", 2, "", None, "")).await;
    assert_eq!(status(&src.final_response().await), 200);
    200
}

backend_tests! {
    async fn a_shared_sbc_s_calls_go_to_the_companies_whose_numbers_they_hold(db) {
        use callrec_domain::country::Country;
        use callrec_domain::recording::Direction;
        let store = db.store.clone();
        // Both have the SBC at 127.0.0.1 (Acme's added by the rig).
        let company = async |name: &str, numbers: (&str, &str)| {
            let company = store.set_up(NOW, async |write| write.create_company(&CompanyName::parse(name).unwrap(), Retention::Forever).await).await.unwrap();
            if name != "Acme" {
                callrec_app::capture::add_source(&store, &company, Some("Hosted SBC"), "127.0.0.1", callrec_app::capture::Sharing::MayShare, None, &AuditContext::command_line()).await.unwrap();
            }
            let gb = Country::parse("country", "GB").unwrap();
            callrec_app::numbers::add_numbers(&store, &company, numbers.0, numbers.1, gb, callrec_app::numbers::NumbersBy::Operator, &AuditContext::command_line()).await.unwrap();
            callrec_app::numbers::add_numbers(&store, &company, "200", "299", gb, callrec_app::numbers::NumbersBy::Operator, &AuditContext::command_line()).await.unwrap();
            company
        };
        let acme = company("Acme", ("+44 20 7946 0000", "+44 20 7946 0099")).await;
        let globex = company("Globex", ("020 7946 0100", "020 7946 0199")).await;
        let rig = rig_for(&db, acme.id, |_| {}).await;
        let server = rig.server.udp_address;

        // A customer calls Acme's number: Acme's, inbound, and Globex sees nothing.
        let mut src = Src::new(server).await;
        assert_eq!(call_between(&mut src, "dG8tYWNtZQ==", "+15551230001", "442079460042").await, 200);
        let inbound = landed(&rig, "siprec:dG8tYWNtZQ==").await;
        assert_eq!(inbound.direction, Direction::Inbound);
        // An Acme extension calls out: outbound.
        let mut src = Src::new(server).await;
        assert_eq!(call_between(&mut src, "ZnJvbS1hY21l", "+442079460007", "+15551230001").await, 200);
        assert_eq!(landed(&rig, "siprec:ZnJvbS1hY21l").await.direction, Direction::Outbound);
        // Acme calls Globex: a recording for each, outbound for one, inbound for the other.
        let mut src = Src::new(server).await;
        assert_eq!(call_between(&mut src, "YWNtZS1nbG9iZXg=", "+442079460001", "02079460150").await, 200);
        let theirs = landed_for(&store, globex.id, "siprec:YWNtZS1nbG9iZXg=").await;
        assert_eq!(theirs.direction, Direction::Inbound);
        assert_eq!(landed(&rig, "siprec:YWNtZS1nbG9iZXg=").await.direction, Direction::Outbound);
        assert_ne!(theirs.id, landed(&rig, "siprec:YWNtZS1nbG9iZXg=").await.id);
        // Numbers no company here holds (nor an extension, which every
        // company may have): 403, and nothing kept.
        for (session, calling, called) in [("bm9ib2R5", "+15551230001", "+442079460500"), ("ZXh0", "201", "202")] {
            let mut src = Src::new(server).await;
            assert_eq!(call_between(&mut src, session, calling, called).await, 403);
            assert!(store.recording_by_external_id(acme.id, &format!("siprec:{session}")).await.unwrap().is_none());
            assert!(store.recording_by_external_id(globex.id, &format!("siprec:{session}")).await.unwrap().is_none());
        }
        assert_eq!(rig.server.active_calls(), 0);
        rig.server.stop().await;
        assert!(rig.blobs.capture_leftovers().await.unwrap().is_empty(), "no samples left");
    }
}

/// An `Authorization` answering `nonce` for `username`/`password` with
/// `algorithm` (SHA-256 or MD5), count `nc`.
fn authorization(algorithm: &str, username: &str, password: &str, nonce: &str, nc: u32) -> String {
    use sha2::Digest;
    let h = |text: String| match algorithm {
        "MD5" => callrec_domain::hex::hex(&md5::Md5::digest(text.as_bytes())),
        _ => callrec_domain::hex::hex(&sha2::Sha256::digest(text.as_bytes())),
    };
    let uri = "sip:srs@127.0.0.1";
    let ha1 = h(format!("{username}:callrec:{password}"));
    let ha2 = h(format!("INVITE:{uri}"));
    let response = h(format!("{ha1}:{nonce}:{nc:08x}:c0ffee:auth:{ha2}"));
    format!(
        "Authorization: Digest username=\"{username}\", realm=\"callrec\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}, qop=auth, nc={nc:08x}, cnonce=\"c0ffee\"\r\n"
    )
}

backend_tests! {
    async fn a_source_with_credentials_is_challenged_and_must_prove_them(db) {
        use callrec_domain::sip_credentials::SipCredentials;
        let store = db.store.clone();
        let acme = store.set_up(NOW, async |write| write.create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever).await).await.unwrap();
        let keyring = Arc::new(Keyring::new([5; 32], &[]));
        let credentials = SipCredentials::parse("sbc-lab", "a long random secret").unwrap();
        callrec_app::capture::add_source(&store, &acme, Some("Lab SBC"), "127.0.0.1", callrec_app::capture::Sharing::OwnOnly, Some((&credentials, &keyring)), &AuditContext::command_line()).await.unwrap();
        let sealed = store.capture_sources(Some(acme.id)).await.unwrap()[0].credentials.clone().unwrap();
        assert_eq!(sealed.0, "sbc-lab");
        assert!(!sealed.1.contains("random"), "the password is sealed at rest");
        let clock = Clock::manual(NOW);
        let blobs = BlobStore::new(db.data_dir());
        let server = CaptureServer::start(settings(), CaptureDeps {
            store: store.clone(),
            blobs: blobs.clone(),
            keys: DataKeys::new(keyring.clone()),
            clock: clock.clone(),
            status: Arc::default(),
        }).await.unwrap();
        let kind = "multipart/mixed;boundary=BOUNDARY";
        let body = multipart(&offer("sendonly"), "YXV0aA==");
        let invite = |src: &Src, cseq: u32, authorization: &str| src.request("INVITE", cseq, &format!("Require: siprec\r\n{authorization}"), Some(kind), &body);

        // No answer: 401 with both challenges, and no call.
        let src = Src::new(server.udp_address).await;
        src.send(&invite(&src, 1, "")).await;
        let challenge = src.final_response().await;
        assert_eq!(status(&challenge), 401, "{challenge}");
        let offered: Vec<&str> = challenge.lines().filter(|l| l.starts_with("WWW-Authenticate:")).collect();
        assert_eq!(offered.len(), 2, "{challenge}");
        assert!(offered[0].contains("algorithm=MD5") && offered[1].contains("algorithm=SHA-256") && offered[0].contains("realm=\"callrec\""));
        let nonce = offered[0].split("nonce=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_eq!(server.active_calls(), 0);

        // A wrong password, another username: 401 again.
        for (username, password) in [("sbc-lab", "a long random secreT"), ("someone", "a long random secret")] {
            src.send(&invite(&src, 2, &authorization("SHA-256", username, password, &nonce, 1))).await;
            assert_eq!(status(&src.final_response().await), 401, "{username}");
        }
        assert_eq!(server.active_calls(), 0);

        // The right answer: the call is taken (and its retransmission is the same call).
        let mut src = src;
        let proof = authorization("SHA-256", "sbc-lab", "a long random secret", &nonce, 1);
        src.send(&invite(&src, 3, &proof)).await;
        let answer = src.final_response().await;
        assert_eq!(status(&answer), 200, "{answer}");
        src.send(&invite(&src, 3, &proof)).await;
        assert_eq!(status(&src.final_response().await), 200, "a retransmission");
        src.to_tag = header_param(&answer, "To", "tag");
        src.send(&src.request("ACK", 3, "", None, "")).await;
        assert_eq!(server.active_calls(), 1);

        // The same proof for another call is a replay: 401.
        let thief = Src::new(server.udp_address).await;
        thief.send(&invite(&thief, 3, &proof)).await;
        assert_eq!(status(&thief.final_response().await), 401);
        // MD5, the next count of the same nonce: taken.
        let mut md5 = Src::new(server.udp_address).await;
        let md5_invite = invite(&md5, 1, &authorization("MD5", "sbc-lab", "a long random secret", &nonce, 2));
        md5.send(&md5_invite).await;
        let answer = md5.final_response().await;
        assert_eq!(status(&answer), 200);
        assert_eq!(server.active_calls(), 2);
        // That call ends; its INVITE sent again (late, or by someone who
        // saw it) does not start it anew.
        md5.to_tag = header_param(&answer, "To", "tag");
        md5.send(&md5.request("ACK", 1, "", None, "")).await;
        md5.send(&md5.request("BYE", 2, "", None, "")).await;
        assert_eq!(status(&md5.final_response().await), 200);
        for _ in 0..500 {
            if server.active_calls() == 1 { break }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(server.active_calls(), 1, "the call ended and landed");
        md5.send(&md5_invite).await;
        let replayed = md5.final_response().await;
        assert_eq!(status(&replayed), 481, "a replay of an ended call's INVITE: {replayed}");
        assert_eq!(server.active_calls(), 1);

        // Five minutes on, the nonce is stale: challenged again, `stale=true`.
        clock.advance(301);
        let late = Src::new(server.udp_address).await;
        late.send(&invite(&late, 1, &authorization("SHA-256", "sbc-lab", "a long random secret", &nonce, 3))).await;
        let stale = late.final_response().await;
        assert_eq!(status(&stale), 401);
        assert!(stale.contains("stale=true"), "{stale}");
        assert_eq!(server.active_calls(), 1);

        // Credentials removed: the address alone admits it again.
        let source = store.capture_sources(Some(acme.id)).await.unwrap()[0].id;
        callrec_app::capture::set_source_credentials(&store, &keyring, source, Some(acme.id), None, &AuditContext::command_line()).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let open = Src::new(server.udp_address).await;
        open.send(&invite(&open, 1, "")).await;
        assert_eq!(status(&open.final_response().await), 200);
        let entries = store.audit_entries(&callrec_store::AuditQuery { action: Some("capture.credentials_changed".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert!(entries.len() == 1 && entries[0].details.contains("credentials removed"), "{entries:?}");
        server.stop().await;
    }
}

/// RTP packet `packet` (SSRC 0x3333, PCMU) of a `frequency` tone: 20 ms
/// from `packet`·160 samples on.
fn tone_packet(packet: u32, frequency: f64) -> Vec<u8> {
    let mut bytes = vec![0x80, 0];
    bytes.extend_from_slice(&(packet as u16).to_be_bytes());
    bytes.extend_from_slice(&(packet * 160).to_be_bytes());
    bytes.extend_from_slice(&0x3333u32.to_be_bytes());
    for n in 0..160 {
        let t = f64::from(packet * 160 + n) / 8000.0;
        bytes.push(ulaw(
            (8000.0 * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16,
        ));
    }
    bytes
}

/// `count` packets of a `frequency` tone from `first` on, protected with
/// `sender`, from `socket` to `port`, 20 ms apart.
async fn send_srtp_tone(
    socket: &UdpSocket,
    port: u16,
    sender: &SrtpSender,
    first: u32,
    count: u32,
    frequency: f64,
) {
    let started = Instant::now();
    for packet in first..first + count {
        let bytes = tone_packet(packet, frequency);
        socket
            .send_to(&sender.protect(&bytes), ("127.0.0.1", port))
            .await
            .unwrap();
        tokio::time::sleep_until(
            (started + Duration::from_millis(u64::from(packet - first + 1) * 20)).into(),
        )
        .await;
    }
}

backend_tests! {
    async fn a_re_invite_that_moves_the_media_and_changes_its_key_is_followed(db) {
        use base64::Engine as _;
        let rig = rig(&db, |_| {}).await;
        let (first_key, second_key) = ([0x5a_u8; 30], [0x6b_u8; 30]);
        let sdp = |address: &str, master: &[u8; 30]| {
            let inline = base64::engine::general_purpose::STANDARD.encode(master);
            format!(
                "v=0\r\no=src 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n\
                 m=audio 30000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{inline}\r\na=label:10\r\na=sendonly\r\n"
            )
        };
        let kind = "multipart/mixed;boundary=BOUNDARY";
        let mut src = Src::new(rig.server.udp_address).await;
        let answer = src.invite(&multipart(&sdp("127.0.0.1", &first_key), "bW92ZWQ="), kind).await;
        assert_eq!(status(&answer), 200, "{answer}");
        let port = answered_ports(&answer)[0];
        src.send(&src.request("ACK", 1, "", None, "")).await;
        let before = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        send_srtp_tone(&before, port, &SrtpSender::new(&first_key), 0, 25, 1000.0).await;

        // Plain RTP in the secure stream's place: refused, the call goes on.
        let plain = sdp("127.0.0.1", &first_key).replace("RTP/SAVP", "RTP/AVP").replace("a=crypto", "a=x-crypto");
        src.send(&src.request("INVITE", 2, "Require: siprec\r\n", Some(kind), &multipart(&plain, "bW92ZWQ="))).await;
        let refused = src.final_response().await;
        assert_eq!(status(&refused), 488, "{refused}");
        src.send(&src.request("ACK", 2, "", None, "")).await;
        // The SBC's media moves to 127.0.0.2 with a new key.
        let moved = src.request("INVITE", 3, "Require: siprec\r\n", Some(kind), &multipart(&sdp("127.0.0.2", &second_key), "bW92ZWQ="));
        src.send(&moved).await;
        let answer = src.final_response().await;
        assert_eq!(status(&answer), 200, "{answer}");
        assert_eq!(answered_ports(&answer), [port], "the stream keeps its port");
        src.send(&src.request("ACK", 3, "", None, "")).await;
        let after = UdpSocket::bind("127.0.0.2:0").await.unwrap();
        // The old key from the old address, a 440 Hz tone: no longer heard.
        let old = SrtpSender::new(&first_key);
        let new = SrtpSender::new(&second_key);
        tokio::join!(
            send_srtp_tone(&after, port, &new, 25, 25, 1000.0),
            send_srtp_tone(&before, port, &old, 25, 25, 440.0),
        );
        src.send(&src.request("BYE", 4, "", None, "")).await;
        assert_eq!(status(&src.final_response().await), 200);

        let recording = landed(&rig, "siprec:bW92ZWQ=").await;
        let (_, _, lanes) = channels(&rig, &recording).await;
        let left = &lanes[0];
        assert!(left.len() >= 8000 * 9 / 10, "about a second: {} samples", left.len());
        let second_half = &left[left.len() / 2 + 400..];
        let tone = strength(second_half, 1000.0, 8000.0);
        let stale = strength(second_half, 440.0, 8000.0);
        // Heard, the old tone would be as strong as the new; what is left is leakage.
        assert!(tone > 100.0 * stale.max(1.0), "after the move: 1 kHz {tone}, the old key's 440 Hz {stale}");
        rig.server.stop().await;
    }
}

backend_tests! {
    async fn on_a_shared_sbc_each_company_s_credentials_guard_its_own_calls(db) {
        use callrec_domain::sip_credentials::SipCredentials;
        let store = db.store.clone();
        let gb = callrec_domain::country::Country::parse("country", "GB").unwrap();
        let operator = callrec_app::numbers::NumbersBy::Operator;
        let audit = AuditContext::command_line();
        let company = async |name: &str| store.set_up(NOW, async |write| write.create_company(&CompanyName::parse(name).unwrap(), Retention::Forever).await).await.unwrap();
        let (acme, globex) = (company("Acme").await, company("Globex").await);
        callrec_app::numbers::add_numbers(&store, &acme, "+442079460000", "+442079460099", gb, operator, &audit).await.unwrap();
        callrec_app::numbers::add_numbers(&store, &globex, "+442079460100", "+442079460199", gb, operator, &audit).await.unwrap();
        // The same SBC: Acme lets it in by address, Globex asks for credentials.
        let keyring = Keyring::new([5; 32], &[]);
        let credentials = SipCredentials::parse("globex-sbc", "a long random secret").unwrap();
        callrec_app::capture::add_source(&store, &globex, None, "127.0.0.1", callrec_app::capture::Sharing::MayShare, Some((&credentials, &keyring)), &audit).await.unwrap();
        let rig = rig_for(&db, acme.id, |_| {}).await;
        let server = rig.server.udp_address;

        // Acme's call needs no proof; Globex's, and one between them, do.
        let mut src = Src::new(server).await;
        assert_eq!(call_between(&mut src, "YWNtZS1vbmx5", "+15551230001", "+442079460042").await, 200);
        assert_eq!(landed(&rig, "siprec:YWNtZS1vbmx5").await.direction, callrec_domain::recording::Direction::Inbound);
        for (session, called) in [("Z2xvYmV4LW9ubHk=", "+442079460142"), ("Ym90aA==", "+442079460001")] {
            let calling = if session == "Ym90aA==" { "+442079460142" } else { "+15551230001" };
            let mut src = Src::new(server).await;
            assert_eq!(call_between(&mut src, session, calling, called).await, 401, "{session}");
            for company in [acme.id, globex.id] {
                assert!(store.recording_by_external_id(company, &format!("siprec:{session}")).await.unwrap().is_none());
            }
        }
        assert_eq!(rig.server.active_calls(), 0);
        rig.server.stop().await;
    }
}
