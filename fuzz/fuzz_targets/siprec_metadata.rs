//! RFC 7865 recording metadata (XML), in either dialect.
#![no_main]
use callrec_capture::metadata::{RecordingMetadata, MAX_ITEMS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(metadata) = RecordingMetadata::parse(text) {
            assert!(metadata.participants.len() <= MAX_ITEMS);
            assert!(metadata.streams.len() <= MAX_ITEMS);
            for stream in &metadata.streams {
                let _ = metadata.speaker_of(&stream.label);
            }
        }
    }
});
