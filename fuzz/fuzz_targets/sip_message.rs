//! SIP messages as they come off UDP or a TCP stream: the message, its
//! framing, its body's parts and its digest answer (`Authorization`),
//! then an answer built from it.
#![no_main]
use callrec_capture::sip::{body, digest, message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = message::frame_length(data);
    if let Ok(message::Message::Request(request)) = message::parse(data) {
        let _ = body::parts(request.content_type.as_deref(), &request.body);
        if let Some(answer) = digest::DigestAnswer::of(&request.headers) {
            let _ = answer.proves("sbc", "a long random secret", "INVITE");
        }
        let response = request.response(200, "OK", Some("tag")).done();
        assert!(response.starts_with(b"SIP/2.0 200 OK\r\n"));
    }
});
