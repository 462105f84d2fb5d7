//! `callrec serve`: the start-up every node and every HTTP test shares
//! (`callrec_web::startup`), the demo data when asked, then serve until
//! stopped.

use super::demo;
use crate::config::{ServeSettings, StorageSettings};
use crate::error::CliError;
use callrec_app::{Clock, Keyring};
use callrec_capture::{CaptureDeps, CaptureServer};
use callrec_store::{BlobStore, Store};
use callrec_web::startup::{Application, Startup, StartupError};
use std::time::Duration;

pub async fn run(
    store: Store,
    blobs: BlobStore,
    storage: &StorageSettings,
    settings: ServeSettings,
    keyring: Keyring,
    load_demo: bool,
) -> Result<(), CliError> {
    for path in callrec_store::private::too_open(&storage.data_dir) {
        tracing::warn!(
            "{path} can be read by other users of this machine; it holds password hashes, \
             sessions, MFA secrets and call audio: `chmod -R go-rwx {}`",
            storage.data_dir.display()
        );
    }
    let app = Application::build(Startup {
        store: store.clone(),
        config: settings.web.clone(),
        keyring,
        blobs: blobs.clone(),
        clock: Clock::system(),
        timeouts: settings.timeouts,
        orphan_grace: Duration::from_secs(settings.orphan_grace_seconds),
        admin: settings.admin,
        listen: settings.listen,
        metrics_listen: settings.metrics_listen,
    })
    .await
    .map_err(|err| match err {
        StartupError::App(err) => CliError::from(err),
        listen @ StartupError::Listen { .. } => CliError::Failed(listen.to_string()),
    })?;
    if let Some(admin) = &app.bootstrapped {
        match &admin.generated_password {
            // Printed once, to the console only: never logged or stored in clear.
            Some(password) => {
                crate::logging::say(&format!(
                    "Created the administrator {:?} with password: {password}",
                    admin.username
                ));
                crate::logging::say(&format!(
                    "It is temporary: sign in within {} hours and choose your own (or set \
                     CALLREC_BOOTSTRAP_ADMIN_PASSWORD on a fresh database).",
                    settings.web.temporary_password_hours
                ));
            }
            None => crate::logging::say(&format!(
                "Created the administrator {:?} from CALLREC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD.",
                admin.username
            )),
        }
    }
    if let Some(from) = app.bootstrapped.as_ref().and_then(|admin| admin.mfa_from) {
        crate::logging::say(&format!(
            "MFA is required for the Operator company's users (the Global administrators) from {}: \
             register before then from the banner on every page (Company MFA → Days to register).",
            callrec_domain::time::format_utc(from)
        ));
    }
    let demo_logins = if load_demo {
        let keys = app.state().data_keys.clone();
        let (loaded, logins) = demo::load(&store, &blobs, &keys, None).await?;
        if loaded {
            crate::logging::say("Loaded the demo data.");
        }
        Some(logins)
    } else {
        None
    };
    let url = settings
        .web
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.address()));
    crate::logging::say(&format!(
        "callrec is serving {url} ({} database{})",
        store.backend().name(),
        match &storage.database_url {
            Some(_) => String::new(),
            None => format!(" in {}", storage.data_dir.display()),
        }
    ));
    if let Some(metrics) = app.metrics_address() {
        crate::logging::say(&format!("Metrics: http://{metrics}/metrics"));
    }
    let capture = match settings.capture {
        Some(capture) => {
            let deps = CaptureDeps {
                store: store.clone(),
                blobs: blobs.clone(),
                keys: app.state().data_keys.clone(),
                clock: Clock::system(),
                status: app.state().capture.clone(),
            };
            let listen = capture.listen;
            let server = CaptureServer::start(capture, deps).await.map_err(|err| {
                CliError::Failed(format!(
                    "the recording server cannot start on {listen} (--siprec-listen, --siprec-tls-*): {err}"
                ))
            })?;
            crate::logging::say(&format!(
                "Recording server (SIPREC): sip:{} over UDP and TCP{}",
                server.udp_address,
                match server.tls_address {
                    Some(tls) => format!(", sips:{tls} over TLS"),
                    None => String::new(),
                }
            ));
            Some(server)
        }
        None => None,
    };
    if let Some(logins) = demo_logins {
        demo::print_logins(&logins);
    }
    app.run_until_stopped(shutdown_signal()).await;
    if let Some(capture) = capture {
        // Calls in progress are closed and stored before the store goes.
        capture.stop().await;
    }
    store.close().await;
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
