//! `callrec import --company NAME DIR`: every audio file in DIR with a
//! sidecar `NAME.json` (or `NAME.wav.json`), stored as the ingest API would.
//! What is already there (same external id) is skipped; a file without an
//! external id gets `import:<file name>`, so running again skips it too.

use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::ingest::{parse_metadata, store_recording, IngestError, Source};
use callrec_app::sealing::DataKeys;
use callrec_store::{BlobStore, Store};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "mp3", "ogg", "oga"];

fn sidecar(audio: &Path) -> Option<PathBuf> {
    let plain = audio.with_extension("json");
    let appended = PathBuf::from(format!("{}.json", audio.display()));
    [plain, appended].into_iter().find(|p| p.exists())
}

/// Outcome of one file.
enum Outcome {
    Added,
    Skipped,
    Failed(String),
}

async fn import_file(
    store: &Store,
    blobs: &BlobStore,
    keys: &DataKeys,
    source: &Source,
    audio: &Path,
) -> Result<Outcome, CliError> {
    let Some(json) = sidecar(audio) else {
        return Ok(Outcome::Failed("no sidecar .json with its metadata".into()));
    };
    let text = match std::fs::read_to_string(&json) {
        Ok(text) => text,
        Err(err) => {
            return Ok(Outcome::Failed(format!(
                "cannot read {}: {err}",
                json.display()
            )))
        }
    };
    let mut metadata = match parse_metadata(&text) {
        Ok(metadata) => metadata,
        Err(err) => return Ok(Outcome::Failed(describe(err))),
    };
    if metadata.external_id.is_none() {
        let name = audio
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        metadata.external_id = Some(format!("import:{name}"));
    }
    let bytes = match std::fs::read(audio) {
        Ok(bytes) => bytes,
        Err(err) => return Ok(Outcome::Failed(format!("cannot read the audio: {err}"))),
    };
    let mut writer = blobs
        .writer()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    writer
        .write(&bytes)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let caller = callrec_app::Caller::Operator;
    match store_recording(store, blobs, keys, caller, source, &metadata, writer).await {
        Ok(ingested) if ingested.created => Ok(Outcome::Added),
        Ok(_) => Ok(Outcome::Skipped),
        Err(IngestError::Store(err)) => Err(err.into()),
        Err(IngestError::Io(err)) => Err(CliError::Failed(err.to_string())),
        Err(err) => Ok(Outcome::Failed(describe(err))),
    }
}

fn describe(err: IngestError) -> String {
    match err {
        IngestError::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub async fn run(
    store: &Store,
    keys: &DataKeys,
    blobs: &BlobStore,
    company: &str,
    dir: &Path,
) -> Result<(), CliError> {
    let company = super::admin::company_named(store, company).await?;
    let entries = std::fs::read_dir(dir).map_err(|err| {
        CliError::Usage(format!("cannot read the folder {}: {err}", dir.display()))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "no audio files (.wav, .mp3, .ogg) in {}",
            dir.display()
        )));
    }
    let source = Source {
        company: company.id,
        audit: AuditContext::command_line(),
        description: "callrec import".into(),
    };
    let total = files.len();
    let tty = std::io::stderr().is_terminal();
    let (mut added, mut skipped, mut failed) = (0, 0, Vec::new());
    for (index, file) in files.iter().enumerate() {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match import_file(store, blobs, keys, &source, file).await? {
            Outcome::Added => added += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::Failed(reason) => failed.push((name.clone(), reason)),
        }
        let done = index + 1;
        let filled = done * 30 / total;
        let bar = format!(
            "[{}{}] {done}/{total} {name}",
            "#".repeat(filled),
            "-".repeat(30 - filled)
        );
        if tty {
            eprint!("\r{bar:<100}");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{bar}");
        }
    }
    if tty {
        eprintln!();
    }
    for (name, reason) in &failed {
        eprintln!("failed: {name}: {reason}");
    }
    println!(
        "Imported into {:?}: {added} added, {skipped} already there, {} failed, of {total} files.",
        company.name,
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} files could not be imported; see the reasons above",
            failed.len()
        )))
    }
}
