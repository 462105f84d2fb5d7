//! FreePBX recording names: whatever a PBX folder holds.
#![no_main]
use callrec_domain::freepbx::RecordingName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(name) = RecordingName::parse(text) {
            assert_eq!(name.local_start.len(), 19);
            assert!(name.uniqueid.contains('.'));
        }
    }
});
