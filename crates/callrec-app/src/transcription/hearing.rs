//! Hearing a call: each party's channel sent to the engine on its own
//! (its pauses silenced first), the words put together by time, and card
//! numbers replaced before anything is kept.

use super::engine::{Engine, EngineError};
use callrec_domain::transcript::{channel_wavs, ChannelError, RedactedSpan, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum HearingError {
    #[error(transparent)]
    Audio(#[from] ChannelError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The transcript of `wav` (a call's audio), with `paused` spans (ms)
/// never sent, and — when `redact` — card numbers replaced, with the spans
/// redacted (for the audio's own redaction).
pub async fn hear_call(
    engine: &Engine,
    wav: &[u8],
    paused: &[(i64, i64)],
    redact: bool,
) -> Result<(Transcript, Vec<RedactedSpan>), HearingError> {
    let mut parties = Vec::new();
    for channel in channel_wavs(wav, paused)? {
        let words = engine.transcribe(channel).await?;
        parties.push(
            words
                .into_iter()
                .map(|w| (w.text, w.start_ms, w.end_ms))
                .collect(),
        );
    }
    let mut transcript = Transcript::from_parties(parties);
    let redacted = if redact {
        transcript.redact()
    } else {
        Vec::new()
    };
    Ok((transcript, redacted))
}
