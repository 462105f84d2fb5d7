//! `callrec purge`: runs the purge job now, with progress, as the nodes do
//! every ten minutes.

use crate::error::CliError;
use callrec_app::records::purge::{Purge, PurgeReport, BATCH};
use callrec_app::records::RecordsSettings;
use callrec_app::Clock;
use callrec_domain::zone::Zone;
use callrec_store::{BlobStore, Store};
use std::io::Write;

pub async fn run(
    store: &Store,
    blobs: &BlobStore,
    settings: RecordsSettings,
    default_zone: &Zone,
    batch: Option<u32>,
) -> Result<(), CliError> {
    let clock = Clock::system();
    let holder = format!("cli-{}", std::process::id());
    let purge = Purge {
        store,
        blobs,
        settings,
        default_zone,
        clock: &clock,
        holder: &holder,
        batch: batch.map_or(BATCH, i64::from),
    };
    let shown = |report: &PurgeReport| {
        println!(
            "  batch {}: {} recordings past retention, {} from Deleted recordings, {} audio files removed",
            report.batches, report.expired, report.deleted, report.files
        );
        let _ = std::io::stdout().flush();
    };
    match purge.run(shown).await? {
        Some(report) => {
            println!(
                "Purged {} recordings past their retention and {} from Deleted recordings; removed {} audio files.",
                report.expired, report.deleted, report.files
            );
            Ok(())
        }
        None => Err(CliError::Failed(
            "another node is running the purge job now; try again in a few minutes".into(),
        )),
    }
}
