//! Form bodies and query strings, read as the handlers read them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    callrec_web::fuzzing::form(data);
});
