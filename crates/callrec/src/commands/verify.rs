//! `callrec verify`: re-hashes every stored audio file against the
//! fingerprint taken at ingest, and lists files no recording points at.

use super::admin::company_named;
use crate::error::CliError;
use callrec_app::integrity::verify_all;
use callrec_app::sealing::DataKeys;
use callrec_store::{BlobStore, Store};
use std::io::Write;

/// Checks the audio of every recording (of `company`, or all); exit 1 when
/// anything is missing, altered or orphaned.
pub async fn run(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    company: Option<&str>,
) -> Result<(), CliError> {
    let company = match company {
        Some(name) => Some(company_named(store, name).await?.id),
        None => None,
    };
    let mut shown = 0;
    // As start-up's tidy-up: a file this new may belong to an upload
    // still committing its row.
    let grace = std::time::Duration::from_secs(60);
    let report = verify_all(store, blobs, keys, company, grace, |done, total| {
        // A line for each tenth, and the last: readable in a log too.
        let tenth = done * 10 / total.max(1);
        if tenth > shown || done == total {
            shown = tenth;
            let percent = done * 100 / total.max(1);
            println!("  {done}/{total} recordings checked ({percent} %)");
            let _ = std::io::stdout().flush();
        }
    })
    .await?;
    for id in &report.missing {
        println!("MISSING  recording {id}: its audio file is not in storage");
    }
    for id in &report.altered {
        println!("ALTERED  recording {id}: its audio does not match the SHA-256 taken at ingest");
    }
    for key in &report.orphaned {
        println!("ORPHANED {key}: a stored file no recording points at (older than a minute)");
    }
    for id in &report.unreadable_transcripts {
        println!(
            "SEAL     recording {id}: its transcript does not open with the company's data keys"
        );
    }
    println!(
        "Checked {} recordings: {} missing, {} altered, {} orphaned files; {} transcripts, {} that do not open.",
        report.checked,
        report.missing.len(),
        report.altered.len(),
        report.orphaned.len(),
        report.transcripts,
        report.unreadable_transcripts.len()
    );
    if report.is_clean() {
        Ok(())
    } else {
        Err(CliError::Failed(
            "storage does not match the recordings (listed above); restore the files from a backup (or the database, for transcripts), or investigate who changed them (the audit log lists integrity failures)".into(),
        ))
    }
}
