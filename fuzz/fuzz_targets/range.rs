//! `Range` headers against files of every size.
#![no_main]
use callrec_domain::range::parse_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u64, &str)| {
    let (size, header) = input;
    if let Some(Ok(range)) = parse_range(Some(header), size) {
        assert!(range.start <= range.end && range.end < size);
    }
});
