//! Audio at rest: `callrec migrate` seals what is still plain, and
//! `callrec keys rotate --company C --data` re-seals a company's audio
//! with a new data key; both print progress and resume where a stopped run
//! left off.

use super::admin::company_named;
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::sealing::{reseal_company, seal_plain_files, DataKeys, RETIRE_AFTER};
use callrec_app::waveforms::fill_missing;
use callrec_store::{BlobStore, Store};
use std::io::Write;

/// A line for each tenth, and the last: readable in a log too.
pub fn progress(what: &'static str) -> impl FnMut(u64, u64) {
    let mut shown = 0;
    move |done, total| {
        let tenth = done * 10 / total.max(1);
        if tenth > shown || done == total {
            shown = tenth;
            println!(
                "  {done}/{total} files {what} ({} %)",
                done * 100 / total.max(1)
            );
            let _ = std::io::stdout().flush();
        }
    }
}

pub async fn seal_plain(store: &Store, blobs: &BlobStore, keys: &DataKeys) -> Result<(), CliError> {
    let report = seal_plain_files(store, blobs, keys, super::now(), progress("checked")).await?;
    println!(
        "Audio at rest: sealed {} files that were plain; {} were sealed already.",
        report.sealed, report.skipped
    );
    Ok(())
}

/// Waveform peaks of files stored before there were any.
pub async fn draw_waveforms(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
) -> Result<(), CliError> {
    match fill_missing(store, blobs, keys, "cli", progress("drawn")).await? {
        Some(filled) => {
            println!(
                "Waveforms: drew {} files; {} have no samples to draw (damaged files, compressed WAV or Ogg Opus).",
                filled.drawn, filled.without
            );
            if filled.failed > 0 {
                println!(
                    "  {} files could not be read now (see the log); run `callrec migrate` again to retry them.",
                    filled.failed
                );
            }
        }
        None => println!(
            "Waveforms: another node is drawing them now; the players show each as it is done."
        ),
    }
    Ok(())
}

pub async fn reseal(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    company: &str,
) -> Result<(), CliError> {
    let company = company_named(store, company).await?;
    let audit = AuditContext::command_line();
    let report = reseal_company(
        store,
        blobs,
        keys,
        &company,
        &audit,
        progress("re-sealed or checked"),
    )
    .await?;
    let older = if report.retired {
        "older keys retired".to_string()
    } else {
        format!(
            "older keys kept until a run at least {} minutes after the new key was made (uploads in flight may still use them): run this again later",
            RETIRE_AFTER / 60
        )
    };
    println!(
        "{}: audio sealed with data key {} ({} files re-sealed, {} already were); {older}.",
        company.name, report.key_id, report.sealed, report.skipped
    );
    Ok(())
}
