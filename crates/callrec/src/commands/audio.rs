//! `callrec audio migrate --to URL`: moves the audio to another store
//! (a folder, or an S3-compatible bucket), with progress, resumable.

use crate::error::CliError;
use callrec_app::audio_move::migrate_audio;
use callrec_store::{BlobStore, Store};

pub async fn migrate(
    store: &Store,
    from: &BlobStore,
    to: &BlobStore,
    to_url: &str,
) -> Result<(), CliError> {
    println!(
        "Copying the audio from {} to {} …",
        from.describe(),
        to.describe()
    );
    let report = migrate_audio(
        store,
        from,
        to,
        |job| println!("  waiting for the {job} job to finish …"),
        super::seal::progress("copied or checked"),
    )
    .await?;
    println!(
        "Copied {} files ({} MB); {} were there already; {} that no recording uses any more \
         removed from the target.",
        report.copied,
        report.bytes / 1_000_000,
        report.present,
        report.removed
    );
    if report.missing > 0 {
        println!(
            "{} recordings have no audio in {}: `callrec verify` names them.",
            report.missing,
            from.describe()
        );
    }
    println!(
        "Next: run this again just before the switch (it copies only what changed since), then \
         set CALLREC_AUDIO_STORE={to_url} on every node and restart them. The files in {} stay \
         until you remove them.",
        from.describe()
    );
    Ok(())
}
