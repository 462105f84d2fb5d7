//! Waveform peaks of any uploaded bytes: WAV scanned, MP3 and Ogg decoded.
#![no_main]
use callrec_app::waveforms::peaks_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(peaks)) = peaks_of(std::io::Cursor::new(data.to_vec())) {
        let lanes = peaks.channels();
        assert!(!lanes.is_empty() && lanes.len() <= 8);
        assert!(lanes.iter().all(|lane| !lane.is_empty() && lane.len() <= 1000));
    }
});
