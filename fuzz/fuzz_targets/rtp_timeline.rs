//! RTP packets in any order, with any sequence numbers, timestamps and
//! SSRCs, placed on a call's timeline and written out, and any bytes
//! offered to SRTP: no panic, and the memory held stays bounded.
#![no_main]
use callrec_capture::mix::{Mixer, StreamClock, Timing, RATE};
use callrec_capture::srtp::SrtpReceiver;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut mixer = Mixer::new(2);
    let mut clocks = [StreamClock::default(), StreamClock::default()];
    let mut now = 0u64;
    for chunk in data.chunks_exact(12) {
        let stream = usize::from(chunk[0] & 1);
        let ssrc = u32::from(chunk[1] & 3);
        let seq = u16::from_be_bytes([chunk[2], chunk[3]]);
        let ts = u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        now += u64::from(chunk[8]) * 8;
        let written = mixer.written();
        if let Timing::At(at) = clocks[stream].place(ssrc, seq, ts, now, written) {
            mixer.put(stream, at, &[i16::from(chunk[9]); 160]);
        }
        if chunk[10] & 1 == 1 {
            let out = mixer.take_until(now.saturating_sub(RATE / 4));
            assert!(out.len() % 2 == 0);
        }
    }
    mixer.take_all();
    let mut receiver = SrtpReceiver::new("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", 10).unwrap();
    let _ = receiver.unprotect(data);
});
