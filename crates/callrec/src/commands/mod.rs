pub mod admin;
pub mod audit;
pub mod demo;
pub mod import;
pub mod purge;
pub mod seal;
pub mod serve;
pub mod token;
pub mod verify;

use crate::config::StorageSettings;
use crate::error::CliError;
use callrec_app::sealing::DataKeys;
use callrec_store::Store;
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

/// The companies' audio data keys, opened with the configured master key.
pub fn data_keys(storage: &StorageSettings) -> Result<DataKeys, CliError> {
    let keyring = crate::keys::load(&storage.data_dir)?;
    Ok(DataKeys::new(std::sync::Arc::new(keyring)))
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
