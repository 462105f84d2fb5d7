//! SIP's transports: datagrams on UDP, framed messages on TCP
//! (Content-Length decides where one ends, RFC 3261 §18.3).

use super::{Core, Reply};
use crate::sip::message::{frame_length, MAX_MESSAGE_BYTES};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

/// A TCP connection with no message for this long is closed.
const IDLE: Duration = Duration::from_secs(300);

pub(super) async fn serve_udp(
    core: Arc<Core>,
    socket: Arc<UdpSocket>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; MAX_MESSAGE_BYTES];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buffer) => {
                let Ok((length, peer)) = received else { continue };
                let Ok(permit) = core.datagrams.clone().try_acquire_owned() else {
                    metrics::counter!("callrec_capture_dropped_total", "reason" => "busy").increment(1);
                    continue;
                };
                let bytes = buffer[..length].to_vec();
                let core = core.clone();
                let reply = Reply::Udp(socket.clone(), peer);
                tokio::spawn(async move {
                    core.handle(&bytes, peer, reply).await;
                    drop(permit);
                });
            }
            _ = stop.changed() => return,
        }
    }
}

/// SIP over TCP, or over TLS (RFC 3261 §26.2.1) when an acceptor is
/// given: each connection's handshake first, then messages as over TCP.
pub(super) async fn serve_stream(
    core: Arc<Core>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let Some(permit) = admit(&core, peer) else { continue };
                let (core, tls) = (core.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => connection(core, stream, peer, "TCP").await,
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => connection(core, tls, peer, "TLS").await,
                                _ => metrics::counter!("callrec_capture_tls_failed_total").increment(1),
                            }
                        }
                    }
                    drop(permit);
                });
            }
            _ = stop.changed() => return,
        }
    }
}

/// A connection is kept only from a recording source, and while fewer
/// than [`super::CONNECTIONS_AT_ONCE`] are open: anyone else's is closed
/// at once, before a byte is read.
fn admit(core: &Core, peer: std::net::SocketAddr) -> Option<tokio::sync::OwnedSemaphorePermit> {
    if core.sources_of(peer.ip()).is_empty() {
        metrics::counter!("callrec_capture_refused_total", "reason" => "unknown_source")
            .increment(1);
        return None;
    }
    let permit = core.connections.clone().try_acquire_owned().ok();
    if permit.is_none() {
        metrics::counter!("callrec_capture_dropped_total", "reason" => "connections").increment(1);
    }
    permit
}

/// How long a TLS handshake may take.
const HANDSHAKE: Duration = Duration::from_secs(10);

async fn connection<S>(
    core: Arc<Core>,
    stream: S,
    peer: std::net::SocketAddr,
    transport: &'static str,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let (sender, mut outgoing) = mpsc::channel::<Vec<u8>>(16);
    tokio::spawn(async move {
        while let Some(bytes) = outgoing.recv().await {
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    let reply = Reply::Stream(sender, transport);
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Messages already whole in the buffer first.
        loop {
            // Keep-alive CRLFs between messages (RFC 5626 §3.5.1).
            let blank = buffer
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            buffer.drain(..blank);
            match frame_length(&buffer) {
                Ok(Some(length)) if buffer.len() >= length => {
                    let message: Vec<u8> = buffer.drain(..length).collect();
                    core.handle(&message, peer, reply.clone()).await;
                }
                Ok(_) => break,
                // A stream that cannot be framed cannot be read on: closed.
                Err(err) => {
                    tracing::debug!("closing the SIP connection from {peer}: {err}");
                    return;
                }
            }
        }
        let read = tokio::time::timeout(IDLE, read.read(&mut chunk)).await;
        match read {
            Ok(Ok(length)) if length > 0 => buffer.extend_from_slice(&chunk[..length]),
            _ => return,
        }
    }
}
