//! The recording server as it runs inside `callrec serve`: SIP over UDP
//! and TCP on `CALLREC_SIPREC_LISTEN`, RTP on `CALLREC_RTP_PORTS`, and
//! each finished call handed to the application to land.
//!
//! Nothing is kept for a peer that is not a company's recording source:
//! the source check comes before any parsing of the body, any port or
//! any call state.

mod admission;
mod call;
mod calls;
mod dialog;
mod landing;
pub mod ports;
mod tls;
mod transport;

use crate::sip::message::{self, Message, Request};
use callrec_app::capture::CaptureStatus;
use callrec_app::sealing::DataKeys;
use callrec_app::Clock;
use callrec_domain::country::Country;
use callrec_domain::network::IpNet;
use callrec_domain::numbers::NumberPlan;
use callrec_domain::CompanyId;
use callrec_store::{BlobStore, CaptureSource, Store};
use calls::Calls;
use ports::{PortRange, Ports};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{watch, Semaphore};

/// The recording server's settings (`callrec serve`'s `CALLREC_SIPREC_*`,
/// `CALLREC_RTP_PORTS`, `CALLREC_CAPTURE_*`).
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    pub listen: SocketAddr,
    pub rtp_ports: PortRange,
    /// Calls this node records at once; more are answered 503.
    pub max_calls: usize,
    /// A call is cut and stored after this long.
    pub max_duration: Duration,
    /// New calls a second from one source address; more are answered 503.
    pub invites_per_second: u32,
    /// SIP over TLS as well, when set.
    pub tls: Option<TlsSettings>,
    /// Where national numbers are dialled for a company that sets no
    /// country of its own (the portal's default).
    pub country: Country,
    /// How long an answered INVITE waits for its ACK before the server
    /// ends the call ([`CaptureSettings::ACK_WAIT`], 64·T1).
    pub ack_wait: Duration,
    /// How long a call's streams (not paused) may bring nothing before
    /// the server ends it ([`CaptureSettings::SILENCE_LIMIT`]).
    pub silence_limit: Duration,
}

impl CaptureSettings {
    /// RFC 3261 §13.3.1.4: 64·T1.
    pub const ACK_WAIT: Duration = Duration::from_secs(32);
    /// An SRC sends RTP all through a call (comfort noise when quiet).
    pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);
}

/// `CALLREC_SIPREC_TLS_LISTEN` and the certificate it presents.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub listen: SocketAddr,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// What landing a call needs.
#[derive(Clone)]
pub struct CaptureDeps {
    pub store: Store,
    pub blobs: BlobStore,
    pub keys: DataKeys,
    pub clock: Clock,
    /// Where the server says how it is (the portal's `/readyz`).
    pub status: Arc<CaptureStatus>,
}

/// A running recording server.
pub struct CaptureServer {
    pub udp_address: SocketAddr,
    pub tcp_address: SocketAddr,
    pub tls_address: Option<SocketAddr>,
    core: Arc<Core>,
    stop: watch::Sender<bool>,
}

impl CaptureServer {
    pub async fn start(settings: CaptureSettings, deps: CaptureDeps) -> std::io::Result<Self> {
        // Calls a stopped node was capturing land first, marked Incomplete.
        match callrec_app::capture::land_leftover_calls(
            &deps.store,
            &deps.blobs,
            &deps.keys,
            settings.country,
            deps.clock.now(),
        )
        .await
        {
            Ok(landed) if !landed.is_empty() => tracing::warn!(
                "stored {} call(s) this node was capturing when it stopped, marked Incomplete",
                landed.len()
            ),
            Ok(_) => {}
            Err(err) => tracing::error!("storing the calls left by a stopped node failed: {err}"),
        }
        // The certificate is checked before anything listens.
        let tls = match &settings.tls {
            Some(tls) => Some((
                tls::acceptor(&tls.cert, &tls.key).map_err(std::io::Error::other)?,
                TcpListener::bind(tls.listen).await?,
            )),
            None => None,
        };
        let (udp, tcp) = bind_udp_and_tcp(settings.listen).await?;
        let udp = Arc::new(udp);
        let udp_address = udp.local_addr()?;
        let tcp_address = tcp.local_addr()?;
        let mut settings = settings;
        // The port in Contact and Via is the one bound (port 0 picks one).
        settings.listen.set_port(udp_address.port());
        let core = Arc::new(Core {
            ports: Ports::new(settings.rtp_ports, settings.listen.ip()),
            calls: Calls::default(),
            sources: RwLock::new(Arc::new(Vec::new())),
            plans: RwLock::new(Arc::new(HashMap::new())),
            admission: admission::Admission::default(),
            rates: Mutex::new(HashMap::new()),
            refusals: Mutex::new((0, 0)),
            datagrams: Arc::new(Semaphore::new(DATAGRAMS_AT_ONCE)),
            connections: Arc::new(Semaphore::new(CONNECTIONS_AT_ONCE)),
            settings,
            deps,
        });
        core.refresh_sources()
            .await
            .map_err(std::io::Error::other)?;
        core.deps
            .status
            .started(udp_address.to_string(), core.settings.max_calls);
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(refresh(core.clone(), stopped.clone()));
        tokio::spawn(transport::serve_udp(core.clone(), udp, stopped.clone()));
        let tls_address = match tls {
            Some((acceptor, listener)) => {
                let address = listener.local_addr()?;
                tokio::spawn(transport::serve_stream(
                    core.clone(),
                    listener,
                    Some(acceptor),
                    stopped.clone(),
                ));
                Some(address)
            }
            None => None,
        };
        tokio::spawn(transport::serve_stream(core.clone(), tcp, None, stopped));
        Ok(CaptureServer {
            udp_address,
            tcp_address,
            tls_address,
            core,
            stop,
        })
    }

    /// Calls being recorded now.
    pub fn active_calls(&self) -> usize {
        self.core.calls.len()
    }

    /// Stops taking calls and stores every call in progress.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.core.calls.end_all().await;
    }
}

/// UDP and TCP on one port. Port 0 lets UDP pick one, which TCP may find
/// taken (by another program's connection): then another pick, a few times.
async fn bind_udp_and_tcp(listen: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut attempts = 0;
    loop {
        let udp = UdpSocket::bind(listen).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(err)
                if listen.port() == 0
                    && err.kind() == std::io::ErrorKind::AddrInUse
                    && attempts < 20 =>
            {
                attempts += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// How often the list of sources is read again.
const SOURCES_FRESH: Duration = Duration::from_secs(2);
/// 403s sent a second at most (more strangers are dropped unanswered).
const REFUSALS_PER_SECOND: u32 = 100;
/// Datagrams handled at once; more are dropped (UDP is lossy anyway).
const DATAGRAMS_AT_ONCE: usize = 256;
/// TCP and TLS connections held at once.
pub(crate) const CONNECTIONS_AT_ONCE: usize = 1024;

pub(crate) struct Core {
    settings: CaptureSettings,
    deps: CaptureDeps,
    ports: Ports,
    calls: Calls,
    /// The recording sources of enabled companies, read every
    /// [`SOURCES_FRESH`].
    /// (parsed once per read: each message only compares addresses).
    sources: RwLock<Arc<Vec<(IpNet, CaptureSource)>>>,
    /// The companies' numbers, read with the sources: a shared SBC's
    /// calls are routed by them.
    plans: RwLock<Arc<HashMap<CompanyId, NumberPlan>>>,
    /// Sources' digest credentials and the nonces that challenge them.
    admission: admission::Admission,
    /// New calls per source in the current second.
    rates: Mutex<HashMap<i64, (u64, u32)>>,
    /// 403s sent in the current second.
    refusals: Mutex<(u64, u32)>,
    pub(crate) datagrams: Arc<Semaphore>,
    pub(crate) connections: Arc<Semaphore>,
}

/// Where a response goes back.
#[derive(Clone)]
pub(crate) enum Reply {
    Udp(Arc<UdpSocket>, SocketAddr),
    /// A TCP or TLS connection (named as Via names it).
    Stream(tokio::sync::mpsc::Sender<Vec<u8>>, &'static str),
}

impl Reply {
    pub(crate) async fn send(&self, bytes: Vec<u8>) {
        match self {
            Reply::Udp(socket, peer) => {
                let _ = socket.send_to(&bytes, peer).await;
            }
            Reply::Stream(sender, _) => {
                let _ = sender.send(bytes).await;
            }
        }
    }

    pub(crate) fn is_udp(&self) -> bool {
        matches!(self, Reply::Udp(..))
    }

    /// The transport as a Via header names it.
    pub(crate) fn transport(&self) -> &'static str {
        match self {
            Reply::Udp(..) => "UDP",
            Reply::Stream(_, transport) => transport,
        }
    }
}

impl Core {
    /// The sources `ip` belongs to (empty: a stranger), from the list in
    /// memory: no request waits for the database.
    pub(crate) fn sources_of(&self, ip: IpAddr) -> Vec<CaptureSource> {
        let list = self
            .sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        list.iter()
            .filter(|(net, _)| net.contains(ip))
            .map(|(_, source)| source.clone())
            .collect()
    }

    /// Reads the sources of enabled companies again.
    async fn refresh_sources(&self) -> Result<(), callrec_store::StoreError> {
        let list = self.deps.store.active_capture_sources().await?;
        let list: Arc<Vec<(IpNet, CaptureSource)>> = Arc::new(
            list.into_iter()
                .filter_map(|source| Some((IpNet::parse(&source.address)?, source)))
                .collect(),
        );
        let numbers = self.deps.store.active_company_numbers().await?;
        // Countries only matter to companies with numbers (most have none).
        let countries: HashMap<CompanyId, Country> = if numbers.is_empty() {
            HashMap::new()
        } else {
            self.deps
                .store
                .list_companies()
                .await?
                .into_iter()
                .map(|c| (c.id, c.country(self.settings.country)))
                .collect()
        };
        let mut plans: HashMap<CompanyId, NumberPlan> = HashMap::new();
        for held in numbers {
            let country = countries
                .get(&held.company_id)
                .copied()
                .unwrap_or(self.settings.country);
            plans
                .entry(held.company_id)
                .or_insert_with(|| NumberPlan {
                    ranges: Vec::new(),
                    country,
                })
                .ranges
                .push(held.range);
        }
        self.admission
            .set_credentials(&list, self.deps.keys.keyring());
        *self.sources.write().unwrap_or_else(|e| e.into_inner()) = list;
        *self.plans.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(plans);
        Ok(())
    }

    /// Of `candidates` (the companies sharing a source), those whose
    /// Numbers hold one of `numbers` (E.164 only: extensions repeat
    /// between companies), in the order given.
    pub(crate) fn owners_of(&self, candidates: &[CompanyId], numbers: &[String]) -> Vec<CompanyId> {
        let plans = self.plans.read().unwrap_or_else(|e| e.into_inner()).clone();
        candidates
            .iter()
            .copied()
            .filter(|company| {
                plans
                    .get(company)
                    .is_some_and(|plan| numbers.iter().any(|n| plan.owns_phone(n)))
            })
            .collect()
    }

    /// Whether another 403 may be sent this second (a stranger's spoofed
    /// datagrams must not turn the server into a reflector).
    fn may_refuse(&self) -> bool {
        let second = self.deps.clock.now() as u64;
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        if refusals.0 != second {
            *refusals = (second, 0);
        }
        refusals.1 += 1;
        refusals.1 <= REFUSALS_PER_SECOND
    }

    /// Says how many calls are recorded: metrics and `/readyz`.
    pub(crate) fn count_calls(&self) {
        let calls = self.calls.len();
        metrics::gauge!("callrec_capture_calls_active").set(calls as f64);
        self.deps.status.set_active(calls);
    }

    /// Whether recording source `source` may start another call this
    /// second (counted per source, not per address: a /8 is one source).
    fn within_rate(&self, source: i64) -> bool {
        let second = self.deps.clock.now() as u64;
        let mut rates = self.rates.lock().unwrap_or_else(|e| e.into_inner());
        rates.retain(|_, (at, _)| *at == second);
        let entry = rates.entry(source).or_insert((second, 0));
        entry.1 += 1;
        entry.1 <= self.settings.invites_per_second
    }

    /// One message from `peer`.
    pub(crate) async fn handle(self: &Arc<Self>, bytes: &[u8], peer: SocketAddr, reply: Reply) {
        // The parsers are other people's code facing the network: a panic
        // in them is one refused message, never a lost task.
        let parsed = std::panic::catch_unwind(|| message::parse(bytes))
            .unwrap_or(Err(message::SipError::Malformed("the parser gave up")));
        let request = match parsed {
            Ok(Message::Request(request)) => request,
            // Responses to the server's own BYEs need nothing more.
            Ok(Message::Response(_)) => return,
            Err(err) => {
                metrics::counter!("callrec_capture_malformed_total").increment(1);
                tracing::debug!("unreadable SIP message from {peer}: {err}");
                return;
            }
        };
        let sources = self.sources_of(peer.ip());
        // An ACK is never answered (RFC 3261 §17.1.1.3), a stranger's neither.
        if sources.is_empty() && request.method != ezk_sip_types::Method::ACK && self.may_refuse() {
            metrics::counter!("callrec_capture_refused_total", "reason" => "unknown_source")
                .increment(1);
            reply
                .send(request.response(403, "Forbidden", None).done())
                .await;
            return;
        }
        dialog::handle(self, *request, peer, reply, sources).await;
    }

    fn local_ip_toward(&self, peer: SocketAddr) -> IpAddr {
        let bound = self.settings.listen.ip();
        if !bound.is_unspecified() {
            return bound;
        }
        // The address the system would send from: a connected UDP socket
        // tells without sending anything.
        let probe = std::net::UdpSocket::bind(SocketAddr::new(
            if peer.is_ipv4() {
                IpAddr::from([0, 0, 0, 0])
            } else {
                IpAddr::from([0u16; 8])
            },
            0,
        ))
        .and_then(|socket| {
            socket.connect(peer)?;
            socket.local_addr()
        });
        probe.map(|a| a.ip()).unwrap_or(bound)
    }
}

/// Reads the sources again every [`SOURCES_FRESH`] until stopped.
async fn refresh(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(SOURCES_FRESH);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = core.refresh_sources().await {
                    tracing::warn!("reading the recording sources failed (the last list stays): {err}");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

pub(crate) fn respond(request: &Request, code: u16, reason: &str) -> Vec<u8> {
    request.response(code, reason, None).done()
}
