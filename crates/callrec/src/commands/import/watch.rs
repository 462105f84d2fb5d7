//! `callrec import --watch DIR`: the folder is looked at every second;
//! a file is imported once it has kept its size and modification time
//! for `--settle` seconds (Asterisk writes a call's file until it hangs
//! up). Files imported (or already there) are remembered by size and
//! time, so they are not read again; files that cannot be imported go to
//! `DIR/rejected`. Ctrl-C or SIGTERM stops it between two files.

use super::{file_name, Importer, Outcome};
use crate::error::CliError;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The folder of files that could not be imported, below the one watched.
pub const REJECTED: &str = "rejected";

/// How often the folder is looked at.
const POLL: Duration = Duration::from_secs(1);

/// The files below `dir` this import takes, in name order (not those in
/// `dir/rejected`).
pub fn files(importer: &Importer<'_>, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if path != dir.join(REJECTED) {
                    folders.push(path);
                }
            } else if kind.is_file() && importer.takes(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A file as last seen: its size and modification time.
type Seen = (u64, Option<SystemTime>);

fn seen(path: &Path) -> Option<Seen> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

pub async fn run(importer: &Importer<'_>, dir: &Path, settle: u64) -> Result<(), CliError> {
    files(importer, dir).map_err(|err| {
        CliError::Usage(format!("cannot read the folder {}: {err}", dir.display()))
    })?;
    println!(
        "Watching {} (a file is imported once unchanged for {settle} s); Ctrl-C stops.",
        dir.display()
    );
    let settle = Duration::from_secs(settle);
    let stop = super::super::serve::shutdown_signal();
    tokio::pin!(stop);
    // Files waiting to settle: as last seen, and since when unchanged.
    let mut waiting: HashMap<PathBuf, (Seen, Instant)> = HashMap::new();
    let mut done: HashSet<(PathBuf, Seen)> = HashSet::new();
    let (mut added, mut skipped, mut rejected) = (0u64, 0u64, 0u64);
    loop {
        let listed = match files(importer, dir) {
            Ok(listed) => listed,
            Err(err) => {
                // A folder that went away for a moment (a remount): wait.
                tracing::warn!(folder = %dir.display(), error = %err, "cannot read the watched folder");
                Vec::new()
            }
        };
        waiting.retain(|path, _| listed.contains(path));
        for path in listed {
            let Some(now_seen) = seen(&path) else {
                continue;
            };
            if done.contains(&(path.clone(), now_seen)) {
                continue;
            }
            let ready = match waiting.get(&path) {
                Some((before, since)) if *before == now_seen => since.elapsed() >= settle,
                _ => {
                    waiting.insert(path.clone(), (now_seen, Instant::now()));
                    false
                }
            };
            if !ready {
                continue;
            }
            waiting.remove(&path);
            let name = file_name(&path);
            match importer.import(&path).await? {
                Outcome::Added => {
                    added += 1;
                    println!("added: {name}");
                }
                Outcome::Skipped => {
                    skipped += 1;
                    println!("already there: {name}");
                }
                Outcome::Failed(reason) => {
                    rejected += 1;
                    let moved = importer.reject(dir, &path, &reason)?;
                    println!("rejected: {name}: {reason} (moved to {})", moved.display());
                    continue;
                }
            }
            if !importer.remove_imported {
                done.insert((path, now_seen));
            }
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    println!("Stopped: {added} added, {skipped} already there, {rejected} rejected.");
    Ok(())
}
