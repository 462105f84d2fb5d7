//! `callrec audio migrate --to URL`: moves the audio to another store
//! (a folder, or an S3-compatible bucket), with progress, resumable.

use crate::error::CliError;
use callrec_app::audio_move::copy_audio;
use callrec_store::BlobStore;

pub async fn migrate(from: &BlobStore, to: &BlobStore, to_url: &str) -> Result<(), CliError> {
    println!(
        "Copying the audio from {} to {} …",
        from.describe(),
        to.describe()
    );
    let report = copy_audio(from, to, super::seal::progress("copied or checked")).await?;
    println!(
        "Copied {} files ({} MB); {} were there already.",
        report.copied,
        report.bytes / 1_000_000,
        report.present
    );
    println!(
        "Next: run this again just before the switch (it copies only what arrived since), then \
         set CALLREC_AUDIO_STORE={to_url} on every node and restart them. The files in {} stay \
         until you remove them.",
        from.describe()
    );
    Ok(())
}
