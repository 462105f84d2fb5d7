//! Transcripts (issue 28): what each party of a call said, from a speech
//! engine the operator chooses. Built so far: the engine's client, and
//! hearing a call party by party.

pub mod engine;
pub mod hearing;
