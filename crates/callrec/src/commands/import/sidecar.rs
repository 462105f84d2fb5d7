//! The sidecar layout: each audio file with a `NAME.json` (or
//! `NAME.wav.json`) beside it holding the ingest API's metadata.

use callrec_app::ingest::parse_metadata;
use callrec_domain::metadata::Metadata;
use std::path::{Path, PathBuf};

const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "mp3", "ogg", "oga"];

pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

pub fn sidecar(audio: &Path) -> Option<PathBuf> {
    let plain = audio.with_extension("json");
    let appended = PathBuf::from(format!("{}.json", audio.display()));
    [plain, appended].into_iter().find(|p| p.exists())
}

/// The metadata of `audio`'s sidecar, or why there is none. A file
/// without an external id gets `import:<its path below root>` (its name
/// when it is at the top, as before subfolders were read).
pub fn metadata(audio: &Path, root: &Path) -> Result<Metadata, String> {
    let json = sidecar(audio).ok_or("no sidecar .json with its metadata")?;
    let text = std::fs::read_to_string(&json)
        .map_err(|err| format!("cannot read {}: {err}", json.display()))?;
    let mut metadata = parse_metadata(&text).map_err(super::describe)?;
    if metadata.external_id.is_none() {
        let below = audio.strip_prefix(root).unwrap_or(audio);
        metadata.external_id = Some(format!("import:{}", below.display()));
    }
    Ok(metadata)
}
