//! `callrec backup DIR` and `callrec restore DIR` (`callrec_app::backup`).

use crate::config::StorageSettings;
use crate::error::CliError;
use callrec_app::backup::{backup as take, restore_audio, restore_files, KEY_FILE};
use callrec_store::{BlobStore, Store};
use std::path::Path;

pub async fn backup(
    store: &Store,
    blobs: &BlobStore,
    storage: &StorageSettings,
    dir: &Path,
) -> Result<(), CliError> {
    let manifest = take(
        store,
        blobs,
        dir,
        &storage.data_dir.join(KEY_FILE),
        super::now(),
        |job| println!("  waiting for the {job} job to finish …"),
        super::seal::progress("copied"),
    )
    .await?;
    println!(
        "Backed up into {}: {}{} audio files ({} MB){}.",
        dir.display(),
        if manifest.database == "sqlite" {
            "the database, "
        } else {
            ""
        },
        manifest.audio_files,
        manifest.audio_bytes / 1_000_000,
        if manifest.key_file {
            ", the key file"
        } else {
            ""
        }
    );
    if manifest.database == "postgres" {
        println!(
            "The PostgreSQL database is not in it: take it with \
             `pg_dump --format=custom --file={}/callrec.pgdump \"$CALLREC_DATABASE_URL\"` \
             just before this command (the audio copied now then covers every row it holds).",
            dir.display()
        );
    }
    if !manifest.key_file {
        println!(
            "The master key is not in it (CALLREC_SECRET_KEY): keep it with the backup, apart \
             from it; without the key no MFA secret and no audio can be read."
        );
    }
    Ok(())
}

pub async fn restore(storage: &StorageSettings, dir: &Path) -> Result<(), CliError> {
    let manifest = restore_files(dir, &storage.data_dir, storage.database_url.is_none())?;
    let store = super::open_store(storage).await?;
    let blobs = super::blobs(storage)?;
    println!("Restoring the audio into {} …", blobs.describe());
    let copied = restore_audio(dir, &blobs, super::seal::progress("restored")).await?;
    store.close().await;
    println!(
        "Restored the backup of {} ({}): {} audio files copied, {} already there. \
         Check it with `callrec verify`, then start the portal.",
        callrec_domain::time::format_utc(manifest.taken_at),
        manifest.database,
        copied.copied,
        copied.present
    );
    Ok(())
}
