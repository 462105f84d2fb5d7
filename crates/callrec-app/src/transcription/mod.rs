//! Transcripts (issue 28): what each party of a call said, from a speech
//! engine the operator chooses (`engine`), heard party by party
//! (`hearing`), queued in the database and worked by any node (`queue`),
//! sealed like the audio and searchable by keyed hashes of its words
//! (`index`); a company's settings (`settings`) and reading a transcript
//! (`reading`).

pub mod engine;
pub mod hearing;
pub mod index;
pub mod kept;
pub mod queue;
pub mod reading;
pub mod settings;

/// `CALLREC_TRANSCRIBE_*`: the engine, and how many calls this node hears
/// at once.
#[derive(Debug, Clone)]
pub struct TranscriptionSettings {
    pub engine: engine::EngineSettings,
    /// `CALLREC_TRANSCRIBE_CONCURRENCY` (default 1).
    pub concurrency: usize,
}
