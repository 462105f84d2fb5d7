//! `callrec serve`: bootstrap on an empty database, then serve until stopped.

use super::{demo, now};
use crate::config::{ServeSettings, StorageSettings};
use crate::error::CliError;
use callrec_app::accounts::{self, AuditContext, CreateUser};
use callrec_app::{Keyring, Passwords};
use callrec_domain::{CompanyName, DisplayName, Level, NewPassword, RoleSet, Username};
use callrec_store::{BlobStore, Store};
use callrec_web::AppState;
use rand::Rng;
use std::time::Duration;

pub async fn run(
    store: Store,
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
    let blobs = BlobStore::new(&storage.data_dir);
    remove_orphans(&store, &blobs, settings.orphan_grace_seconds).await?;
    let state = AppState::new(store.clone(), settings.web.clone(), keyring, blobs.clone())?;
    bootstrap(&store, &state.passwords).await?;
    let demo_logins = if load_demo {
        let (loaded, logins) = demo::load(&store, &blobs, None).await?;
        if loaded {
            println!("Loaded the demo data.");
        }
        Some(logins)
    } else {
        None
    };

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|err| {
            CliError::Failed(format!(
                "cannot listen on {}: {err}. Choose another address with --listen or CALLREC_LISTEN.",
                settings.listen
            ))
        })?;
    let address = listener
        .local_addr()
        .map_err(|err| CliError::Failed(err.to_string()))?;
    let url = settings
        .web
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    println!(
        "callrec is serving {url} ({} database{})",
        store.backend().name(),
        match &storage.database_url {
            Some(_) => String::new(),
            None => format!(" in {}", storage.data_dir.display()),
        }
    );
    if let Some(logins) = demo_logins {
        demo::print_logins(&logins);
    }

    let purge_store = store.clone();
    let timeouts = settings.web.session;
    let longest_window = [
        settings.web.sign_in_per_account.seconds,
        settings.web.sign_in_per_client.seconds,
        3600, // the MFA windows
        settings.web.mfa.lock_seconds,
    ]
    .into_iter()
    .max()
    .unwrap_or(3600);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(err) = purge_store.purge_expired_sessions(now(), timeouts).await {
                tracing::warn!(error = %err, "could not purge expired sessions");
            }
            if let Err(err) = purge_store
                .purge_stale_counters(now(), longest_window)
                .await
            {
                tracing::warn!(error = %err, "could not purge stale failure counters");
            }
        }
    });

    callrec_web::server::serve(
        listener,
        callrec_web::router(state),
        settings.timeouts,
        shutdown_signal(),
    )
    .await;
    store.close().await;
    Ok(())
}

/// On an empty database: the company "Operator" and a Global administrator
/// holding every role, from CALLREC_BOOTSTRAP_ADMIN_* or `admin` with a
/// random password printed once.
async fn bootstrap(store: &Store, passwords: &Passwords) -> Result<(), CliError> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let username =
        std::env::var("CALLREC_BOOTSTRAP_ADMIN_USERNAME").unwrap_or_else(|_| "admin".into());
    let given = std::env::var("CALLREC_BOOTSTRAP_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let username = Username::parse(&username).map_err(|err| {
        CliError::Usage(format!("CALLREC_BOOTSTRAP_ADMIN_USERNAME: {}", err.message))
    })?;
    let password_text = given.clone().unwrap_or_else(random_password);
    let password = NewPassword::parse(&password_text, username.as_str()).map_err(|err| {
        CliError::Usage(format!("CALLREC_BOOTSTRAP_ADMIN_PASSWORD: {}", err.message))
    })?;
    let company = match store.company_by_name("Operator").await? {
        Some(company) => company,
        None => {
            store
                .create_company(&CompanyName::parse("Operator")?, now())
                .await?
        }
    };
    let user = accounts::create_user(
        store,
        passwords,
        CreateUser {
            company_id: company.id,
            team_id: None,
            display_name: DisplayName::parse("Administrator")?,
            email: None,
            level: Level::Global,
            roles: RoleSet::all(),
            password,
            username,
        },
        &AuditContext::command_line(),
    )
    .await?;
    if given.is_some() {
        println!(
            "Created the administrator {:?} from CALLREC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD.",
            user.username
        );
    } else {
        // Printed once, to the console only: it is never logged or stored in clear.
        println!(
            "Created the administrator {:?} with password: {password_text}",
            user.username
        );
        println!(
            "Sign in and change it, or set CALLREC_BOOTSTRAP_ADMIN_PASSWORD on a fresh database."
        );
    }
    Ok(())
}

/// Audio files no recording points at (a crash between storing the file and
/// committing its row) and leftover partial uploads are removed, once older
/// than the grace period: another node may be half-way through an upload.
async fn remove_orphans(
    store: &Store,
    blobs: &BlobStore,
    grace_seconds: u64,
) -> Result<(), CliError> {
    let failed =
        |err: std::io::Error| CliError::Failed(format!("cannot tidy the audio folder: {err}"));
    let cutoff = std::time::SystemTime::now() - Duration::from_secs(grace_seconds);
    let old_enough = |path: &std::path::Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified <= cutoff)
    };
    let (keys, partials) = blobs.scan().await.map_err(failed)?;
    let mut removed = 0;
    for partial in partials.iter().filter(|p| old_enough(p)) {
        if std::fs::remove_file(partial).is_ok() {
            removed += 1;
        }
    }
    let used = store.storage_keys().await?;
    for key in keys.difference(&used) {
        let old = blobs.path_of(key).is_some_and(|path| old_enough(&path));
        // Checked again under the key's lock, in case a row arrived meanwhile.
        if old && store.remove_audio_if_unused(key, blobs).await? {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed audio files that no recording points at");
    }
    Ok(())
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|i| {
            if i > 0 && i % 5 == 0 {
                '-'
            } else {
                ALPHABET[rng.gen_range(0..ALPHABET.len())] as char
            }
        })
        .collect()
}

async fn shutdown_signal() {
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
