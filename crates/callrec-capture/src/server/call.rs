//! One call being recorded: a task per RTP socket passing packets to the
//! call's task, which decodes them, places them on the call's timeline
//! (`mix`) and appends what the jitter window has passed to its spool
//! file, every [`TICK`].

use crate::g711;
use crate::metadata::RecordingMetadata;
use crate::mix::{Mixer, Placed, StreamClock, Timing, RATE};
use crate::sdp::{Codec, Flow, OfferedStream};
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
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub packets: u64,
    pub late: u64,
    pub duplicates: u64,
    pub frames: u64,
}

/// Receives a stream's packets from the SRC's addresses only.
pub async fn receive(
    socket: Arc<UdpSocket>,
    stream: usize,
    allowed: Vec<IpAddr>,
    events: mpsc::Sender<CallEvent>,
) {
    let mut buffer = vec![0u8; 2048];
    loop {
        let Ok((length, peer)) = socket.recv_from(&mut buffer).await else {
            return;
        };
        if !allowed.contains(&peer.ip()) {
            metrics::counter!("callrec_capture_packets_refused_total").increment(1);
            continue;
        }
        let event = CallEvent::Packet {
            stream,
            bytes: buffer[..length].to_vec(),
        };
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
) -> std::io::Result<Counts> {
    let mut file = tokio::fs::OpenOptions::new()
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
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(CallEvent::Packet { stream, bytes }) => {
                    let Some(stream_layout) = layout.get(stream) else { continue };
                    if stream_layout.flow == Flow::Paused {
                        continue;
                    }
                    let now = now_frame(Instant::now());
                    let clock = &mut clocks[stream];
                    let written = mixer.written();
                    if let Some((at, samples)) = decode(stream_layout, clock, &bytes, now, written, &mut counts) {
                        if mixer.put(stream_layout.channel, at, &samples) == Placed::Late {
                            counts.late += 1;
                        }
                    }
                }
                Some(CallEvent::Layout(new)) => {
                    clocks.resize_with(new.len(), StreamClock::default);
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
            }
        }
    }
    let rest = mixer.take_all();
    write_samples(&mut file, &rest).await?;
    file.sync_all().await?;
    counts.frames = mixer.written();
    Ok(counts)
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

/// One packet's samples and where they go; `None` for what is not audio
/// (a DTMF event is kept as silence: the digits are never written).
fn decode(
    layout: &StreamLayout,
    clock: &mut StreamClock,
    bytes: &[u8],
    now: u64,
    written: u64,
    counts: &mut Counts,
) -> Option<(u64, Vec<i16>)> {
    let packet = rtp_rs::RtpReader::new(bytes).ok()?;
    counts.packets += 1;
    metrics::counter!("callrec_capture_packets_total").increment(1);
    let codec = layout
        .codecs
        .iter()
        .find(|(pt, _)| *pt == packet.payload_type())
        .map(|(_, codec)| *codec)?;
    let timing = clock.place(
        packet.ssrc(),
        packet.sequence_number().into(),
        packet.timestamp(),
        now,
        written,
    );
    let at = match timing {
        Timing::At(at) => at,
        Timing::Duplicate => {
            counts.duplicates += 1;
            return None;
        }
    };
    let payload = packet.payload();
    let samples = match codec {
        Codec::Pcmu => payload.iter().map(|b| g711::ulaw(*b)).collect(),
        Codec::Pcma => payload.iter().map(|b| g711::alaw(*b)).collect(),
        Codec::TelephoneEvent => return None,
    };
    Some((at, samples))
}
