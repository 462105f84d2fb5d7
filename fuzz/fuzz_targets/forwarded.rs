//! Trusted-proxy lists and the Forwarded / X-Forwarded-For headers.
#![no_main]
use callrec_domain::network::{throttle_key, TrustedProxies};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

fuzz_target!(|input: ([u8; 16], bool, &str, &str, &str)| {
    let (peer, v4, list, forwarded, xff) = input;
    let peer = if v4 {
        IpAddr::from([peer[0], peer[1], peer[2], peer[3]])
    } else {
        IpAddr::from(peer)
    };
    if let Ok(proxies) = TrustedProxies::parse(list) {
        let client = proxies.client(peer, &[forwarded], &[xff]);
        let _ = throttle_key(client);
        if !proxies.trusts(peer) {
            assert_eq!(client.to_canonical(), peer.to_canonical());
        }
    }
});
