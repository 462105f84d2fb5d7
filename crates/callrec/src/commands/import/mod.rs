//! `callrec import`: audio files from a folder, stored as the ingest API
//! would. What a file's call is comes from its layout (`sidecar`, a
//! `NAME.json` beside it; `asterisk`, FreePBX's file names); a folder is
//! imported once, or watched (`watch`). What is already there (same
//! external id) is skipped: a sidecar without an external id gets
//! `import:<file name>`, a FreePBX call `asterisk:<uniqueid>`, so running
//! again skips them too.

mod asterisk;
mod sidecar;
mod watch;

use crate::cli::{ImportArgs, Layout};
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::ingest::{store_recording, IngestError, Source};
use callrec_app::sealing::DataKeys;
use callrec_domain::audit::AuditAction;
use callrec_domain::hex::hex;
use callrec_domain::metadata::Metadata;
use callrec_domain::zone::Zone;
use callrec_store::freepbx_cdr::CdrDatabase;
use callrec_store::{BlobStore, Store};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Where the files go, and how their calls are read.
pub struct Importer<'a> {
    store: &'a Store,
    blobs: &'a BlobStore,
    keys: &'a DataKeys,
    source: Source,
    namer: Namer,
    remove_imported: bool,
    /// The folder imported from (ids of sidecar files are relative to it).
    root: PathBuf,
}

/// How a file says what call it is.
enum Namer {
    Sidecar,
    Asterisk {
        zone: Zone,
        cdr: Option<CdrDatabase>,
    },
}

/// Outcome of one file.
enum Outcome {
    Added,
    Skipped,
    Failed(String),
}

impl Importer<'_> {
    /// Whether `path` is a file this layout imports (its sidecar is not).
    fn takes(&self, path: &Path) -> bool {
        match self.namer {
            Namer::Sidecar => sidecar::is_audio(path),
            Namer::Asterisk { .. } => asterisk::takes(&file_name(path)),
        }
    }

    async fn metadata(&self, audio: &Path) -> Result<Result<Metadata, String>, CliError> {
        match &self.namer {
            Namer::Sidecar => Ok(sidecar::metadata(audio, &self.root)),
            Namer::Asterisk { zone, cdr } => asterisk::metadata(audio, zone, cdr.as_ref()).await,
        }
    }

    /// Files that go with `audio` (a sidecar), moved or removed with it.
    fn companions(&self, audio: &Path) -> Vec<PathBuf> {
        match self.namer {
            Namer::Sidecar => sidecar::sidecar(audio).into_iter().collect(),
            Namer::Asterisk { .. } => Vec::new(),
        }
    }

    /// Stores one file; once stored (or there already) it is removed with
    /// --remove-imported.
    async fn import(&self, audio: &Path) -> Result<Outcome, CliError> {
        let metadata = match self.metadata(audio).await? {
            Ok(metadata) => metadata,
            Err(reason) => return Ok(Outcome::Failed(reason)),
        };
        let bytes = match read_regular(audio) {
            Ok(bytes) => bytes,
            Err(err) => return Ok(Outcome::Failed(format!("cannot read the audio: {err}"))),
        };
        let failed = |e: std::io::Error| CliError::Failed(e.to_string());
        let mut writer = self.blobs.writer().await.map_err(failed)?;
        writer.write(&bytes).await.map_err(failed)?;
        let caller = callrec_app::Caller::Operator;
        let outcome = match store_recording(
            self.store,
            self.blobs,
            self.keys,
            caller,
            &self.source,
            &metadata,
            writer,
        )
        .await
        {
            Ok(ingested) if ingested.created => Outcome::Added,
            // The same call imported before: only the same bytes are "there"
            // (a file written on after it settled, or another file with the
            // same id, is set aside rather than taken for it or deleted).
            Ok(ingested) if ingested.recording.sha256 == hex(&Sha256::digest(&bytes)) => {
                Outcome::Skipped
            }
            Ok(ingested) => {
                return Ok(Outcome::Failed(format!(
                    "recording {} has this call's id ({}) with other audio",
                    ingested.recording.id,
                    metadata.external_id.as_deref().unwrap_or("")
                )))
            }
            Err(IngestError::Store(err)) => return Err(err.into()),
            Err(IngestError::Io(err)) => return Err(CliError::Failed(err.to_string())),
            Err(err) => return Ok(Outcome::Failed(describe(err))),
        };
        if self.remove_imported {
            for path in std::iter::once(audio.to_path_buf()).chain(self.companions(audio)) {
                std::fs::remove_file(&path).map_err(|err| {
                    CliError::Failed(format!(
                        "imported, but cannot remove {}: {err}",
                        path.display()
                    ))
                })?;
            }
        }
        Ok(outcome)
    }

    /// Moves a file that cannot be imported (and its sidecar) to
    /// `root/rejected`, keeping its place below `root`, with the reason
    /// in `NAME.reason` beside it. Only real folders are used (a symbolic
    /// link planted in the spool does not send files elsewhere), and
    /// nothing already set aside is overwritten (a second file of the same
    /// name gets `.1`, `.2`…).
    fn reject(&self, root: &Path, audio: &Path, reason: &str) -> Result<PathBuf, CliError> {
        let relative = audio.strip_prefix(root).unwrap_or(audio);
        let failed = |what: &Path, err: std::io::Error| {
            CliError::Failed(format!(
                "cannot set {} aside in {}: {err}",
                what.display(),
                root.join(watch::REJECTED).display()
            ))
        };
        let mut folder = root.join(watch::REJECTED);
        real_folder(&folder).map_err(|e| failed(audio, e))?;
        for part in relative.parent().into_iter().flat_map(Path::components) {
            folder.push(part);
            real_folder(&folder).map_err(|e| failed(audio, e))?;
        }
        let name = file_name(audio);
        let free = |path: &PathBuf| {
            std::fs::symlink_metadata(path).is_err()
                && std::fs::symlink_metadata(format!("{}.reason", path.display())).is_err()
        };
        let target = (0..)
            .map(|n| match n {
                0 => folder.join(&name),
                n => folder.join(format!("{name}.{n}")),
            })
            .find(free)
            .unwrap_or_else(|| folder.join(&name));
        for path in self.companions(audio) {
            let moved = folder.join(path.file_name().unwrap_or_default());
            if std::fs::symlink_metadata(&moved).is_err() {
                std::fs::rename(&path, moved).map_err(|e| failed(&path, e))?;
            }
        }
        std::fs::rename(audio, &target).map_err(|e| failed(audio, e))?;
        let note = PathBuf::from(format!("{}.reason", target.display()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&note)
            .and_then(|mut file| file.write_all(format!("{reason}\n").as_bytes()))
            .map_err(|e| failed(&note, e))?;
        Ok(target)
    }
}

/// `path`, a folder that is one: created if missing, refused if it is a
/// symbolic link or a file.
fn real_folder(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_dir() => Ok(()),
        Ok(_) => Err(std::io::Error::other(
            "it is not a folder (a link or a file is there)",
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(path),
        Err(err) => Err(err),
    }
}

/// A file's bytes, if it is a regular file (not a link swapped in for it
/// since it was listed, nor a device).
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::MetadataExt;
    let listed = std::fs::symlink_metadata(path)?;
    if !listed.file_type().is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let mut file = std::fs::File::open(path)?;
    let opened = file.metadata()?;
    if (opened.dev(), opened.ino()) != (listed.dev(), listed.ino()) {
        return Err(std::io::Error::other("it changed while it was being read"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
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

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub async fn run(
    store: &Store,
    keys: &DataKeys,
    blobs: &BlobStore,
    default_zone: &Zone,
    args: &ImportArgs,
) -> Result<(), CliError> {
    let company = super::admin::company_named(store, &args.company).await?;
    if args.layout != Layout::Asterisk && (args.cdr.is_some() || args.zone.is_some()) {
        return Err(CliError::Usage(
            "--cdr and --zone go with --layout asterisk (FreePBX's file names)".into(),
        ));
    }
    let namer = match args.layout {
        Layout::Sidecar => Namer::Sidecar,
        Layout::Asterisk => {
            let zone = match &args.zone {
                Some(name) => Zone::parse(name).map_err(|_| {
                    CliError::Usage(format!(
                        "--zone {name:?} is not a time zone; use an IANA name such as Europe/London"
                    ))
                })?,
                None => company.zone(default_zone),
            };
            let cdr = match &args.cdr {
                Some(url) => Some(CdrDatabase::connect(url).await.map_err(|err| {
                    CliError::Usage(format!("--cdr: {err}. Check the URL, the user's rights and that the database is FreePBX's asteriskcdrdb."))
                })?),
                None => None,
            };
            Namer::Asterisk { zone, cdr }
        }
    };
    let importer = Importer {
        store,
        blobs,
        keys,
        source: Source {
            company: company.id,
            audit: AuditContext::command_line(),
            description: "callrec import".into(),
            action: AuditAction::RecordingIngested,
        },
        namer,
        remove_imported: args.remove_imported,
        root: args
            .watch
            .clone()
            .or_else(|| args.dir.clone())
            .unwrap_or_default(),
    };
    match (&args.watch, &args.dir) {
        (Some(dir), _) => watch::run(&importer, dir, args.settle).await,
        (None, Some(dir)) => once(&importer, &company.name, dir, args.layout).await,
        (None, None) => Err(CliError::Usage("give a folder, or --watch DIR".into())),
    }
}

/// Imports every file of `dir` once, with progress. A FreePBX file that
/// cannot be imported is moved to `dir/rejected` (its reason beside it).
async fn once(
    importer: &Importer<'_>,
    company: &str,
    dir: &Path,
    layout: Layout,
) -> Result<(), CliError> {
    let files = watch::files(importer, dir).map_err(|err| {
        CliError::Usage(format!("cannot read the folder {}: {err}", dir.display()))
    })?;
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "no audio files (.wav, .mp3, .ogg) in {}",
            dir.display()
        )));
    }
    let total = files.len();
    let tty = std::io::stderr().is_terminal();
    let (mut added, mut skipped, mut failed) = (0, 0, Vec::new());
    for (index, file) in files.iter().enumerate() {
        let name = file_name(file);
        match importer.import(file).await? {
            Outcome::Added => added += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::Failed(reason) => {
                if layout == Layout::Asterisk {
                    importer.reject(dir, file, &reason)?;
                }
                failed.push((name.clone(), reason));
            }
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
        "Imported into {company:?}: {added} added, {skipped} already there, {} failed, of {total} files.",
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else if layout == Layout::Asterisk {
        Err(CliError::Failed(format!(
            "{} files could not be imported; they are in {} with a .reason beside each",
            failed.len(),
            dir.join(watch::REJECTED).display()
        )))
    } else {
        Err(CliError::Failed(format!(
            "{} files could not be imported; see the reasons above",
            failed.len()
        )))
    }
}
