//! SDP offers, and the answer to what was read.
#![no_main]
use callrec_capture::sdp::{answer, Answered, Offer, MAX_STREAMS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(offer) = Offer::parse(text) {
            assert!(offer.streams.len() <= MAX_STREAMS);
            let answered: Vec<Answered> = offer
                .streams
                .iter()
                .map(|_| Answered { port: Some(40000), key: None })
                .collect();
            let sdp = answer(&offer, &answered, "127.0.0.1".parse().unwrap(), 1, 1);
            assert_eq!(sdp.matches("\r\nm=").count(), offer.streams.len());
        }
    }
});
