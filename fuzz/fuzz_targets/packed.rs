//! Packed Recordings pages as they come back from the database.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = callrec_store::fuzzing::packed_page(text);
});
