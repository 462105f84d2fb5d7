//! Property tests of the parsers that face the network: whatever arrives,
//! they answer (no panic) and what they accept keeps its promises. The long
//! version of this is cargo-fuzz (`fuzz/`, docs/SECURITY.md).

use callrec_domain::audio::{wav_info, AudioFormat};
use callrec_domain::network::{throttle_key, TrustedProxies};
use callrec_domain::range::parse_range;
use callrec_domain::recording::RecordingId;
use callrec_domain::recovery::RecoveryCode;
use callrec_domain::time::parse_rfc3339;
use callrec_domain::totp::TotpCode;
use callrec_domain::{MenuItem, PhoneNumber};
use proptest::prelude::*;
use std::net::IpAddr;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn ranges_stay_inside_the_file(header in "(bytes=)?[0-9 ,-]{0,24}|\\PC{0,24}", size in 0u64..1_000_000) {
        if let Some(Ok(range)) = parse_range(Some(&header), size) {
            prop_assert!(range.start <= range.end);
            prop_assert!(range.end < size);
        }
    }

    #[test]
    fn codes_are_six_digits_or_nothing(input in "\\PC{0,12}|[0-9 ]{0,12}") {
        if TotpCode::parse(&input).is_some() {
            let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            prop_assert_eq!(digits.len(), 6);
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn recovery_codes_are_eight_symbols_or_nothing(input in "\\PC{0,20}|[0-9a-zA-Z -]{0,12}") {
        if let Some(code) = RecoveryCode::parse(&input) {
            let shown = code.display();
            prop_assert_eq!(shown.len(), 9);
            prop_assert_eq!(RecoveryCode::parse(&shown), Some(code.clone()));
            prop_assert!(code.canonical().bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        }
    }

    #[test]
    fn numbers_hold_only_keypad_characters(input in "\\PC{0,40}|[0-9+*# ()-.]{0,40}") {
        if let Ok(number) = PhoneNumber::parse("from", &input) {
            let text = number.as_str();
            prop_assert!(!text.is_empty() && text.len() <= 32);
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || b"+*#".contains(&b)));
            prop_assert_eq!(PhoneNumber::from_stored(text), Some(number.clone()));
        }
    }

    #[test]
    fn times_and_ids_parse_or_refuse(input in "\\PC{0,40}|[0-9T:.Z+-]{0,32}") {
        let _ = parse_rfc3339(&input);
        if let Some(id) = RecordingId::parse(&input) {
            prop_assert_eq!(id.as_str().len(), 32);
        }
        let back = MenuItem::return_path(&input);
        prop_assert!(back == "/home" || MenuItem::ALL.iter().any(|m| m.path() == back));
    }

    #[test]
    fn audio_headers_never_panic(head in proptest::collection::vec(any::<u8>(), 0..200), shape in 0u8..3) {
        // Random bytes; a RIFF/WAVE header; and one with a `fmt ` chunk
        // cut anywhere (the fuzzer found a panic there).
        let mut bytes = head;
        if shape > 0 && bytes.len() >= 12 {
            bytes[..4].copy_from_slice(b"RIFF");
            bytes[8..12].copy_from_slice(b"WAVE");
        }
        if shape == 2 && bytes.len() >= 16 {
            bytes[12..16].copy_from_slice(b"fmt ");
        }
        let _ = AudioFormat::sniff(&bytes);
        if let Ok(info) = wav_info(&bytes) {
            prop_assert!(info.expected_len >= 12);
        }
    }

    #[test]
    fn forwarded_clients_come_from_the_headers_only_behind_a_proxy(
        peer in any::<[u8; 4]>(),
        forwarded in "\\PC{0,40}|(for=[0-9.:\\[\\]a-f\"]{0,20}[,;]?){0,3}",
        xff in "\\PC{0,40}|([0-9.a-f:]{0,15}, ?){0,3}",
    ) {
        let peer = IpAddr::from(peer);
        let none = TrustedProxies::default();
        prop_assert_eq!(none.client(peer, &[&forwarded], &[&xff]), peer);
        let all = TrustedProxies::parse("0.0.0.0/0,::/0").unwrap();
        let client = all.client(peer, &[&forwarded], &[&xff]);
        let _ = throttle_key(client);
    }
}
