//! One call being recorded: a task per RTP socket passing packets to the
//! call's task, which decodes them, places them on the call's timeline
//! (`mix`) and appends what the jitter window has passed to its spool
//! file, every [`TICK`].

use crate::g711;
use crate::g722::G722Decoder;
use crate::metadata::RecordingMetadata;
use crate::mix::{Mixer, Placed, StreamClock, Timing, RATE};
use crate::sdp::{Codec, Flow, OfferedStream};
use crate::srtp::SrtpReceiver;
use callrec_domain::marks::{MarkKind, RecordingMark, MAX_MARKS};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// How often placed audio is written out.
const TICK: Duration = Duration::from_millis(100);
/// How long a packet may be late and still find its place.
const JITTER_FRAMES: u64 = RATE * 3 / 10;

/// What the call's task is told.
pub enum CallEvent {
    Packet {
        stream: usize,
        bytes: Vec<u8>,
    },
    /// The streams as the latest offer and metadata describe them.
    Layout(Vec<StreamLayout>),
    End,
}

/// How one stream is recorded.
#[derive(Debug, Clone)]
pub struct StreamLayout {
    pub channel: usize,
    pub codecs: Vec<(u8, Codec)>,
    pub flow: Flow,
}

/// Which channel each offered stream goes to: the participant that sends
/// on it (by the metadata's stream label), the first participant left
/// and everyone else right; without metadata, in the offer's order.
pub fn layout(
    streams: &[OfferedStream],
    metadata: Option<&RecordingMetadata>,
) -> Vec<StreamLayout> {
    let mut audio_index = 0;
    streams
        .iter()
        .map(|stream| {
            let by_metadata = metadata
                .zip(stream.label.as_deref())
                .and_then(|(m, label)| {
                    let speaker = m.speaker_of(label)?;
                    m.participants.iter().position(|p| p.id == speaker.id)
                });
            let channel = match by_metadata {
                Some(participant) => participant.min(1),
                None => audio_index.min(1),
            };
            if stream.audio {
                audio_index += 1;
            }
            StreamLayout {
                channel,
                codecs: stream.codecs.clone(),
                flow: stream.flow,
            }
        })
        .collect()
}

/// What a finished call leaves behind.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub packets: u64,
    pub late: u64,
    /// Duplicates, and packets out of order far from the present.
    pub dropped: u64,
    pub frames: u64,
    /// Pauses and key presses, in milliseconds of the file.
    pub marks: Vec<RecordingMark>,
}

/// Receives a stream's packets from the SRC's addresses only, decrypted
/// when the stream is SRTP (a packet whose tag does not match is dropped).
/// Where a stream's media may come from and how it is keyed, as the last
/// offer said; a re-INVITE that moves the media or changes its key sends
/// a new one (RFC 7866 §7.1.2).
#[derive(Clone, PartialEq, Eq)]
pub struct StreamSetup {
    pub allowed: Vec<IpAddr>,
    /// The offer's address and port for the stream (a change means the
    /// SRC's media moved: the receiver latches again).
    pub offered: (Option<IpAddr>, u16),
    pub key: Option<crate::sdp::SdesKey>,
}

impl StreamSetup {
    fn receiver(&self) -> Option<SrtpReceiver> {
        let key = self.key.as_ref()?;
        SrtpReceiver::new(&key.inline, key.tag_len()).ok()
    }
}

pub async fn receive(
    socket: Arc<UdpSocket>,
    stream: usize,
    mut setup: tokio::sync::watch::Receiver<StreamSetup>,
    events: mpsc::Sender<CallEvent>,
) {
    let mut buffer = vec![0u8; 2048];
    let mut latched: Option<std::net::SocketAddr> = None;
    let mut current = setup.borrow_and_update().clone();
    let mut srtp = current.receiver();
    loop {
        let (length, peer) = tokio::select! {
            received = socket.recv_from(&mut buffer) => match received {
                Ok(received) => received,
                Err(_) => return,
            },
            changed = setup.changed() => {
                if changed.is_err() {
                    return;
                }
                let next = setup.borrow_and_update().clone();
                // Moved: latch again onto the new address. Re-keyed: a
                // new context (the same key keeps its rollover count).
                if (&next.allowed, next.offered) != (&current.allowed, current.offered) {
                    latched = None;
                }
                if next.key != current.key {
                    srtp = next.receiver();
                }
                current = next;
                continue;
            }
        };
        // The SRC's addresses only, and once a packet has come, that
        // sender's address and port only (a spoofer must hit both).
        let from_sender = match latched {
            Some(sender) => sender == peer,
            None => current.allowed.contains(&peer.ip()),
        };
        if !from_sender {
            metrics::counter!("callrec_capture_packets_refused_total").increment(1);
            continue;
        }
        let bytes = match &mut srtp {
            None => buffer[..length].to_vec(),
            Some(receiver) => match receiver.unprotect(&buffer[..length]) {
                Ok(plain) => plain,
                Err(_) => {
                    metrics::counter!("callrec_capture_srtp_refused_total").increment(1);
                    continue;
                }
            },
        };
        latched = Some(peer);
        let event = CallEvent::Packet { stream, bytes };
        if events.send(event).await.is_err() {
            return;
        }
    }
}

/// The call's task: runs until told to end (or the channel closes) and
/// returns what it wrote to `spool`.
pub async fn record(
    mut events: mpsc::Receiver<CallEvent>,
    spool: PathBuf,
    started: Instant,
    max: Duration,
    silence_limit: Duration,
) -> std::io::Result<Counts> {
    // Readable by callrec only: call audio, before it is sealed.
    let mut file = tokio::fs::OpenOptions::from(callrec_store::private::file_options())
        .create_new(true)
        .write(true)
        .open(&spool)
        .await?;
    let mut mixer = Mixer::new(2);
    let mut layout: Vec<StreamLayout> = Vec::new();
    let mut clocks: Vec<StreamClock> = Vec::new();
    let mut counts = Counts::default();
    let mut tick = tokio::time::interval(TICK);
    let now_frame = |at: Instant| at.duration_since(started).as_millis() as u64 * RATE / 1000;
    // Since when every stream has been paused (a frame), if they are.
    let mut paused_since: Option<u64> = None;
    let mut last_packet = Instant::now();
    // Each stream's last key press, by its RTP timestamp (an event's
    // packets all carry the one it began at).
    let mut last_event: Vec<Option<u32>> = Vec::new();
    // G.722 keeps state from sample to sample: a decoder per stream.
    let mut g722: Vec<G722Decoder> = Vec::new();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(CallEvent::Packet { stream, bytes }) => {
                    last_packet = Instant::now();
                    let Some(stream_layout) = layout.get(stream) else { continue };
                    if stream_layout.flow == Flow::Paused {
                        continue;
                    }
                    let now = now_frame(Instant::now());
                    let clock = &mut clocks[stream];
                    let written = mixer.written();
                    match decode(stream_layout, clock, &mut g722[stream], &bytes, now, written, &mut counts) {
                        Decoded::Audio(at, samples) => {
                            if mixer.put(stream_layout.channel, at, &samples) != Placed::Kept {
                                counts.late += 1;
                            }
                        }
                        Decoded::KeyPress(at, timestamp) => {
                            if last_event[stream] != Some(timestamp) && counts.marks.len() < MAX_MARKS {
                                last_event[stream] = Some(timestamp);
                                let ms = (at * 1000 / RATE) as i64;
                                counts.marks.push(RecordingMark { kind: MarkKind::KeyPress, start_ms: ms, end_ms: ms });
                            }
                        }
                        Decoded::Nothing => {}
                    }
                }
                Some(CallEvent::Layout(new)) => {
                    clocks.resize_with(new.len(), StreamClock::default);
                    // A resumed stream starts its timeline afresh: its
                    // sender may have restarted sequence and clock.
                    for (index, stream) in new.iter().enumerate() {
                        let was_paused = layout.get(index).is_some_and(|s| s.flow == Flow::Paused);
                        if was_paused && stream.flow == Flow::Sending {
                            clocks[index] = StreamClock::default();
                        }
                    }
                    last_event.resize(new.len(), None);
                    g722.resize_with(new.len(), G722Decoder::new);
                    let all_paused = new.iter().all(|s| s.flow == Flow::Paused);
                    let now = now_frame(Instant::now());
                    match (paused_since, all_paused) {
                        (None, true) => paused_since = Some(now),
                        (Some(since), false) => {
                            push_pause(&mut counts.marks, since, now);
                            paused_since = None;
                            // Silence is counted from the resume.
                            last_packet = Instant::now();
                        }
                        _ => {}
                    }
                    layout = new;
                }
                Some(CallEvent::End) | None => break,
            },
            _ = tick.tick() => {
                let now = now_frame(Instant::now());
                let samples = mixer.take_until(now.saturating_sub(JITTER_FRAMES));
                write_samples(&mut file, &samples).await?;
                if started.elapsed() >= max {
                    break;
                }
                // Streams not paused that bring nothing: the SRC is gone.
                if paused_since.is_none() && last_packet.elapsed() >= silence_limit {
                    metrics::counter!("callrec_capture_silent_total").increment(1);
                    break;
                }
            }
        }
    }
    let rest = mixer.take_all();
    write_samples(&mut file, &rest).await?;
    file.sync_all().await?;
    counts.frames = mixer.written();
    if let Some(since) = paused_since {
        // Paused until the end: the span runs to the end of the file.
        push_pause(&mut counts.marks, since, counts.frames.max(since));
    }
    counts.marks.sort_by_key(|m| (m.start_ms, m.end_ms));
    Ok(counts)
}

fn push_pause(marks: &mut Vec<RecordingMark>, from: u64, to: u64) {
    if marks.len() < MAX_MARKS {
        marks.push(RecordingMark {
            kind: MarkKind::Paused,
            start_ms: (from * 1000 / RATE) as i64,
            end_ms: (to * 1000 / RATE) as i64,
        });
    }
}

/// What one packet holds.
enum Decoded {
    Audio(u64, Vec<i16>),
    /// A key press at a frame, with the event's RTP timestamp.
    KeyPress(u64, u32),
    Nothing,
}

async fn write_samples(file: &mut tokio::fs::File, samples: &[i16]) -> std::io::Result<()> {
    if samples.is_empty() {
        return Ok(());
    }
    let mut bytes = Vec::with_capacity(samples.len() * 2);
    for sample in samples {
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    file.write_all(&bytes).await
}

/// One packet's samples and where they go. A DTMF event is a key press
/// at its time: its digit is never read, and it leaves silence.
fn decode(
    layout: &StreamLayout,
    clock: &mut StreamClock,
    g722: &mut G722Decoder,
    bytes: &[u8],
    now: u64,
    written: u64,
    counts: &mut Counts,
) -> Decoded {
    let Ok(packet) = rtp_rs::RtpReader::new(bytes) else {
        return Decoded::Nothing;
    };
    counts.packets += 1;
    metrics::counter!("callrec_capture_packets_total").increment(1);
    let Some(codec) = layout
        .codecs
        .iter()
        .find(|(pt, _)| *pt == packet.payload_type())
        .map(|(_, codec)| *codec)
    else {
        return Decoded::Nothing;
    };
    if codec == Codec::TelephoneEvent {
        // Placed by the wall clock, not the stream's: an event's packets
        // repeat one timestamp for as long as the key is held.
        return Decoded::KeyPress(now, packet.timestamp());
    }
    let timing = clock.place(
        packet.ssrc(),
        packet.sequence_number().into(),
        packet.timestamp(),
        now,
        written,
    );
    let at = match timing {
        Timing::At(at) => at,
        Timing::Dropped => {
            counts.dropped += 1;
            return Decoded::Nothing;
        }
    };
    let payload = packet.payload();
    match codec {
        Codec::Pcmu => Decoded::Audio(at, payload.iter().map(|b| g711::ulaw(*b)).collect()),
        Codec::Pcma => Decoded::Audio(at, payload.iter().map(|b| g711::alaw(*b)).collect()),
        Codec::G722 => Decoded::Audio(at, g722.decode(payload)),
        Codec::TelephoneEvent => Decoded::Nothing,
    }
}
