pub mod admin;
pub mod audio;
pub mod audit;
pub mod backup;
pub mod capture;
pub mod demo;
pub mod import;
pub mod purge;
pub mod seal;
pub mod serve;
pub mod sso;
pub mod token;
pub mod verify;

use crate::config::StorageSettings;
use crate::error::CliError;
use callrec_app::keyring::{check_secret_key, KeyCheck};
use callrec_app::sealing::DataKeys;
use callrec_app::Keyring;
use callrec_store::{BlobStore, Store};
use std::io::BufRead;

/// Opens the configured database and brings its schema up to date.
pub async fn open_store(storage: &StorageSettings) -> Result<Store, CliError> {
    let store = Store::connect_with(
        storage.database_url.as_deref(),
        &storage.data_dir,
        storage.database_connections,
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// The configured master key, once checked against the one the database
/// was set up with (every node must share it).
pub async fn keyring(storage: &StorageSettings, store: &Store) -> Result<Keyring, CliError> {
    let keyring = crate::keys::load(&storage.data_dir)?;
    match check_secret_key(store, &keyring, now()).await? {
        KeyCheck::Rotated => tracing::info!("the master key check now names the current key"),
        KeyCheck::Recorded | KeyCheck::Matches => {}
    }
    Ok(keyring)
}

/// The companies' audio data keys, opened with the configured master key.
pub async fn data_keys(storage: &StorageSettings, store: &Store) -> Result<DataKeys, CliError> {
    Ok(DataKeys::new(std::sync::Arc::new(
        keyring(storage, store).await?,
    )))
}

/// The configured audio store (CALLREC_AUDIO_STORE).
pub fn blobs(storage: &StorageSettings) -> Result<BlobStore, CliError> {
    BlobStore::at(&storage.audio, &storage.data_dir).map_err(|err| {
        CliError::Usage(format!(
            "--audio-store / CALLREC_AUDIO_STORE: {err}; check CALLREC_S3_ENDPOINT, \
             CALLREC_S3_REGION and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        ))
    })
}

/// The first line of standard input, without its line ending.
pub fn read_password_line() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|err| {
            CliError::Usage(format!(
                "cannot read the password from standard input: {err}"
            ))
        })?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(CliError::Usage(
            "no password on standard input; pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | callrec user add …`".into(),
        ));
    }
    Ok(password)
}

pub fn now() -> i64 {
    callrec_app::system_now()
}
