//! Audio sniffing and WAV headers: the first bytes of every upload.
#![no_main]
use callrec_domain::audio::{wav_info, AudioFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = AudioFormat::sniff(data);
    if let Ok(info) = wav_info(data) {
        assert!(info.expected_len >= 12);
        assert!(info.duration_ms >= 0);
    }
});
