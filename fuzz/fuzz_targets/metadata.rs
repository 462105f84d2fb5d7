//! Ingest metadata JSON, as the API's `metadata` part.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = callrec_web::fuzzing::metadata(text);
    }
});
