//! One start-up for `callrec serve` and the HTTP tests (as zero2prod's
//! `Application::build`): tidy the audio folder, bind, make the first
//! administrator on an empty database, then serve with the purge of
//! expired sessions and stale counters and the mail sender beside it.

use crate::server::{serve, ConnectionTimeouts};
use crate::{router, AppState, WebConfig};
use callrec_app::audit::AuditContext;
use callrec_app::bootstrap::{bootstrap, BootstrapAdmin, Bootstrapped};
use callrec_app::records::purge::{Purge, BATCH};
use callrec_app::transcription::engine::Engine;
use callrec_app::transcription::queue::{Transcriber, Worked};
use callrec_app::waveforms;
use callrec_app::{housekeeping, mail, Clock, Keyring};
use callrec_store::{BlobStore, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// A listener on `address`, and the address it got (port 0 becomes one).
async fn bind(address: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let failed = |source| StartupError::Listen { address, source };
    let listener = TcpListener::bind(address).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// How often expired sessions and stale counters are removed.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// How often this node's clock is compared with the database server's.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// How often the outbox is looked at.
const MAIL_EVERY: Duration = Duration::from_secs(2);
/// How often an idle transcription worker looks at the queue again: a
/// call queued by any node waits at most this long for a free worker.
const TRANSCRIBE_IDLE: Duration = Duration::from_secs(2);

/// Everything a node starts from.
pub struct Startup {
    pub store: Store,
    pub config: WebConfig,
    pub keyring: Keyring,
    pub blobs: BlobStore,
    pub clock: Clock,
    pub timeouts: ConnectionTimeouts,
    /// Audio files no recording points at are removed once this old.
    pub orphan_grace: Duration,
    pub admin: BootstrapAdmin,
    pub listen: SocketAddr,
    /// Where `GET /metrics` answers (`CALLREC_METRICS_LISTEN`), if anywhere.
    pub metrics_listen: Option<SocketAddr>,
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    App(#[from] callrec_app::Error),
    #[error("cannot listen on {address}: {source}. Choose another address with --listen or CALLREC_LISTEN.")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A node that is ready to serve.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    timeouts: ConnectionTimeouts,
    orphan_grace: Duration,
    /// The metrics endpoint's listener and address.
    metrics: Option<(TcpListener, SocketAddr)>,
    /// The first administrator, when this start made one.
    pub bootstrapped: Option<Bootstrapped>,
    /// Audio files removed by the start's tidy-up.
    pub orphans_removed: usize,
}

impl Application {
    pub async fn build(startup: Startup) -> Result<Application, StartupError> {
        let Startup {
            store,
            config,
            keyring,
            blobs,
            clock,
            timeouts,
            orphan_grace,
            admin,
            listen,
            metrics_listen,
        } = startup;
        let orphans_removed =
            housekeeping::remove_orphans(&store, &blobs, orphan_grace, clock.now()).await?;
        if orphans_removed > 0 {
            tracing::info!(
                orphans_removed,
                "removed audio files that no recording points at"
            );
        }
        let (listener, address) = bind(listen).await?;
        let metrics = match metrics_listen {
            Some(at) => Some(bind(at).await?),
            None => None,
        };
        let mut config = config;
        if config.mail.is_some() && config.public_url.is_none() {
            tracing::warn!(
                "mail is on but CALLREC_PUBLIC_URL is not set: password links point at this node's \
                 own address ({address}); set the address users type (https://…)"
            );
        }
        // Links in mails: the public URL, or this node's address.
        config.link_base = Some(
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{address}")),
        );
        let state = AppState::new(store, config, keyring, blobs)?.with_clock(clock);
        if state.security_keys.is_none() {
            let keys = state
                .store
                .count_security_keys()
                .await
                .map_err(callrec_app::Error::from)?;
            if keys > 0 {
                tracing::warn!(
                    "{keys} security keys are registered but keys are off (CALLREC_PUBLIC_URL with a \
                     domain name is needed): their users must sign in with a code or a recovery code"
                );
            }
        }
        let audit = AuditContext {
            now: state.now(),
            ..AuditContext::command_line()
        };
        let hours = state.config.temporary_password_hours;
        let zone = &state.config.default_time_zone;
        let bootstrapped =
            bootstrap(&state.store, &state.passwords, &admin, hours, zone, &audit).await?;
        Ok(Application {
            listener,
            address,
            state,
            timeouts,
            orphan_grace,
            metrics,
            bootstrapped,
            orphans_removed,
        })
    }

    /// Where the node listens (port 0 becomes the port given).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where `GET /metrics` answers, if it does.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, purging every ten minutes and,
    /// with mail configured, sending the outbox.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let purge = tokio::spawn(purge_loop(self.state.clone(), self.orphan_grace));
        let records = tokio::spawn(records_loop(self.state.clone()));
        let waveforms = tokio::spawn(waveform_loop(self.state.clone()));
        let sender = tokio::spawn(mail_loop(self.state.clone()));
        let clocks = tokio::spawn(clock_loop(self.state.clone()));
        let transcribers = transcription_workers(&self.state);
        let metrics = self.metrics.map(|(listener, _)| {
            tokio::spawn(crate::metrics::serve_metrics(
                listener,
                self.state.clone(),
                self.timeouts,
            ))
        });
        serve(self.listener, router(self.state), self.timeouts, shutdown).await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        purge.abort();
        records.abort();
        waveforms.abort();
        sender.abort();
        clocks.abort();
        for worker in transcribers {
            worker.abort();
        }
    }
}

/// With an engine configured, `CALLREC_TRANSCRIBE_CONCURRENCY` workers on
/// the queue (any node's jobs; a lease keeps two off one call).
fn transcription_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(settings) = state.config.transcription.clone() else {
        return Vec::new();
    };
    let engine = Engine::new(settings.engine);
    (0..settings.concurrency)
        .map(|_| tokio::spawn(transcription_loop(state.clone(), engine.clone())))
        .collect()
}

/// Works the queue: straight on while there is work, every few seconds
/// when there is none (or the database is away).
async fn transcription_loop(state: AppState, engine: Engine) {
    let holder = format!(
        "node-{}",
        callrec_domain::hex::hex(&rand::random::<[u8; 8]>())
    );
    loop {
        let transcriber = Transcriber {
            store: &state.store,
            blobs: &state.blobs,
            keys: &state.data_keys,
            engine: &engine,
            clock: &state.clock,
            holder: &holder,
        };
        let started = std::time::Instant::now();
        let idle = match transcriber.work_one().await {
            Ok(Worked::Idle) => true,
            Ok(Worked::Transcribed { audio_ms, .. }) => {
                crate::metrics::transcription_tried("transcribed", audio_ms, started.elapsed());
                false
            }
            Ok(Worked::Retrying { .. }) => {
                crate::metrics::transcription_tried("retrying", 0, started.elapsed());
                false
            }
            Ok(Worked::GaveUp { .. }) => {
                crate::metrics::transcription_tried("failed", 0, started.elapsed());
                false
            }
            Ok(Worked::Lost) => {
                crate::metrics::transcription_tried("lost", 0, started.elapsed());
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, "the transcription worker could not reach the queue; trying again shortly");
                true
            }
        };
        if idle {
            tokio::time::sleep(TRANSCRIBE_IDLE).await;
        }
    }
}

async fn purge_loop(state: AppState, orphan_grace: Duration) {
    let config = &state.config;
    let longest_window = [
        config.sign_in_per_account.seconds,
        config.sign_in_per_client.seconds,
        3600, // the MFA windows
        config.mfa.lock_seconds,
    ]
    .into_iter()
    .max()
    .unwrap_or(3600);
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        if let Err(err) =
            housekeeping::purge(&state.store, state.now(), config.session, longest_window).await
        {
            tracing::warn!(error = %err, "could not purge expired sessions and stale counters");
        }
        if let Err(err) = housekeeping::note_mfa_adoption(&state.store, state.now()).await {
            tracing::warn!(error = %err, "could not note MFA adoption");
        }
        let grace = orphan_grace.max(housekeeping::SERVING_SWEEP_GRACE);
        match housekeeping::remove_unfinished_uploads(
            &state.store,
            &state.blobs,
            grace,
            state.now(),
        )
        .await
        {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed audio that no recording points at"),
            Err(err) => tracing::warn!(error = %err, "could not remove orphaned audio"),
        }
    }
}

/// The purge job (retention, Deleted recordings): every node tries every
/// ten minutes, and the one that gets the lease does the work.
async fn records_loop(state: AppState) {
    let holder = format!(
        "node-{}",
        callrec_domain::hex::hex(&rand::random::<[u8; 8]>())
    );
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        let purge = Purge {
            store: &state.store,
            blobs: &state.blobs,
            settings: state.config.records,
            default_zone: &state.config.default_time_zone,
            clock: &state.clock,
            holder: &holder,
            batch: BATCH,
        };
        match purge.run(|_| {}).await {
            Ok(Some(report)) if report.batches > 0 => {
                crate::metrics::purged(&report);
                tracing::info!(
                    expired = report.expired,
                    deleted = report.deleted,
                    files = report.files,
                    "purged recordings past their retention and from Deleted recordings"
                );
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "the purge job stopped; it runs again in ten minutes")
            }
        }
    }
}

/// At start and every ten minutes: the waveforms of files stored before
/// there were any (one node at a time; `callrec migrate` does the same
/// with progress).
async fn waveform_loop(state: AppState) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        let run = waveforms::fill_missing(
            &state.store,
            &state.blobs,
            &state.data_keys,
            "node",
            |_, _| {},
        );
        match run.await {
            Ok(Some(filled)) if filled.drawn + filled.without > 0 => tracing::info!(
                drawn = filled.drawn,
                without = filled.without,
                "drew the waveforms of stored audio"
            ),
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "could not draw waveforms; trying again in ten minutes")
            }
        }
    }
}

/// Sends due mail every few seconds: a message queued by any node goes out
/// within that, and retries wait their turn in the outbox.
async fn mail_loop(state: AppState) {
    let Some(settings) = state.config.mail.clone() else {
        return;
    };
    let mut tick = tokio::time::interval(MAIL_EVERY);
    loop {
        tick.tick().await;
        if let Err(err) = mail::send_due(&state.store, &settings, &state.clock).await {
            tracing::warn!(error = %err, "could not work through the mail outbox");
        }
    }
}

/// At start and every hour: a warning when this node's clock is more than
/// 5 s from the database server's (PostgreSQL; nodes that disagree about
/// the time disagree about which TOTP code is current).
async fn clock_loop(state: AppState) {
    let mut tick = tokio::time::interval(CLOCK_CHECK_EVERY);
    loop {
        tick.tick().await;
        match housekeeping::clock_drift(&state.store, state.clock.now_ms()).await {
            Ok(Some(offset)) => {
                tracing::warn!(offset_ms = offset, "{}", housekeeping::drift_words(offset));
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "could not compare clocks with the database"),
        }
    }
}
