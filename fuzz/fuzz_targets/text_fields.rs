//! The small parsers of typed fields: MFA codes, recovery codes and
//! security-key names, phone numbers, times,
//! recording ids, return paths, usernames.
#![no_main]
use callrec_domain::time::parse_rfc3339;
use callrec_domain::recording::RecordingId;
use callrec_domain::recovery::RecoveryCode;
use callrec_domain::totp::TotpCode;
use callrec_domain::{KeyName, MenuItem, PhoneNumber, Username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = TotpCode::parse(text);
    if let Some(code) = RecoveryCode::parse(text) {
        assert_eq!(RecoveryCode::parse(&code.display()), Some(code));
    }
    let _ = KeyName::parse(text);
    if let Ok(number) = PhoneNumber::parse("from", text) {
        assert_eq!(PhoneNumber::from_stored(number.as_str()), Some(number.clone()));
    }
    let _ = parse_rfc3339(text);
    let _ = RecordingId::parse(text);
    let back = MenuItem::return_path(text);
    assert!(back.starts_with('/') && !back.contains(['\\', '\t', '\n']));
    let _ = Username::parse(text);
});
