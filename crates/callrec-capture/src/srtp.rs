//! SRTP (RFC 3711) with keys given in SDP (SDES, RFC 4568): the
//! AES_CM_128_HMAC_SHA1_80 and _32 suites, receive side only. Session
//! keys are derived once (key derivation rate 0); each packet's tag is
//! checked before its payload is decrypted, and the rollover counter is
//! estimated from the sequence number (RFC 3711 §3.3.1, Appendix A).

use aes::cipher::{KeyIvInit, StreamCipher};
use aes::Aes128;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type Aes128Ctr = ctr::Ctr128BE<Aes128>;

const MASTER_KEY: usize = 16;
const MASTER_SALT: usize = 14;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SrtpError {
    #[error("the SDES key is not base64 of a 16-byte key and a 14-byte salt")]
    BadKey,
    #[error("the packet is too short for SRTP")]
    Short,
    #[error("the packet's authentication tag does not match")]
    Unauthentic,
    #[error("the packet was received before (a replay)")]
    Replayed,
}

/// Each SSRC's rollover counter and replay window (RFC 3711 §3.3.2).
#[derive(Debug, Default, Clone, Copy)]
struct SsrcState {
    /// The highest packet index (ROC·2^16 + SEQ) accepted.
    highest: Option<u64>,
    /// Which of the 64 indexes up to `highest` were accepted.
    window: u64,
}

/// SSRCs followed at once; a stream with more forgets the oldest.
const MAX_SSRCS: usize = 4;

/// One direction's session keys and rollover state.
pub struct SrtpReceiver {
    cipher_key: [u8; 16],
    salt: [u8; MASTER_SALT],
    auth_key: [u8; 20],
    tag_len: usize,
    /// Per SSRC, most recent last.
    ssrcs: Vec<(u32, SsrcState)>,
}

impl std::fmt::Debug for SrtpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are never printed.
        write!(f, "SrtpReceiver {{ tag_len: {} }}", self.tag_len)
    }
}

impl SrtpReceiver {
    /// From `inline:` key material (base64, an optional `|lifetime` and
    /// `|MKI` after it are not accepted: the offer is refused earlier).
    pub fn new(inline: &str, tag_len: usize) -> Result<SrtpReceiver, SrtpError> {
        let material = inline.split('|').next().unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(material.trim())
            .map_err(|_| SrtpError::BadKey)?;
        if bytes.len() != MASTER_KEY + MASTER_SALT {
            return Err(SrtpError::BadKey);
        }
        let (key, salt) = bytes.split_at(MASTER_KEY);
        let key: [u8; MASTER_KEY] = key.try_into().map_err(|_| SrtpError::BadKey)?;
        let salt: [u8; MASTER_SALT] = salt.try_into().map_err(|_| SrtpError::BadKey)?;
        let mut cipher_key = [0u8; 16];
        let mut auth_key = [0u8; 20];
        let mut session_salt = [0u8; MASTER_SALT];
        derive(&key, &salt, 0x00, &mut cipher_key);
        derive(&key, &salt, 0x01, &mut auth_key);
        derive(&key, &salt, 0x02, &mut session_salt);
        Ok(SrtpReceiver {
            cipher_key,
            salt: session_salt,
            auth_key,
            tag_len,
            ssrcs: Vec::new(),
        })
    }

    /// The plain RTP packet of an SRTP one, or why it is dropped.
    pub fn unprotect(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let header = header_len(packet).ok_or(SrtpError::Short)?;
        if packet.len() < header + self.tag_len {
            return Err(SrtpError::Short);
        }
        let (authenticated, tag) = packet.split_at(packet.len() - self.tag_len);
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
        let state = self.state_of(ssrc);
        let roc = estimate_roc(state.highest, seq);
        let index = (u64::from(roc) << 16) | u64::from(seq);
        if let Some(highest) = state.highest {
            let too_old = index + 64 <= highest;
            let seen = index <= highest && state.window & (1 << (highest - index)) != 0;
            if too_old || seen {
                return Err(SrtpError::Replayed);
            }
        }
        let mut mac =
            <Hmac<Sha1> as Mac>::new_from_slice(&self.auth_key).map_err(|_| SrtpError::BadKey)?;
        mac.update(authenticated);
        mac.update(&roc.to_be_bytes());
        let expected = mac.finalize().into_bytes();
        // Compared in constant time: the tag is a MAC.
        let matches = expected[..self.tag_len]
            .iter()
            .zip(tag)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0;
        if !matches {
            return Err(SrtpError::Unauthentic);
        }
        let mut iv = [0u8; 16];
        iv[..MASTER_SALT].copy_from_slice(&self.salt);
        for (slot, byte) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *slot ^= byte;
        }
        for (slot, byte) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *slot ^= byte;
        }
        let mut plain = authenticated.to_vec();
        let mut cipher = Aes128Ctr::new(&self.cipher_key.into(), &iv.into());
        cipher.apply_keystream(&mut plain[header..]);
        self.accept(ssrc, index);
        Ok(plain)
    }

    /// The state of `ssrc` (new ones start empty; the oldest is forgotten
    /// past [`MAX_SSRCS`]).
    fn state_of(&mut self, ssrc: u32) -> SsrcState {
        match self.ssrcs.iter().position(|(s, _)| *s == ssrc) {
            Some(at) => self.ssrcs[at].1,
            None => SsrcState::default(),
        }
    }

    /// Notes an authentic packet's index in its SSRC's window.
    fn accept(&mut self, ssrc: u32, index: u64) {
        let mut state = match self.ssrcs.iter().position(|(s, _)| *s == ssrc) {
            Some(at) => self.ssrcs.remove(at).1,
            None => SsrcState::default(),
        };
        match state.highest {
            Some(highest) if index <= highest => state.window |= 1 << (highest - index),
            Some(highest) => {
                let shift = index - highest;
                state.window = if shift >= 64 {
                    0
                } else {
                    state.window << shift
                } | 1;
                state.highest = Some(index);
            }
            None => {
                state.highest = Some(index);
                state.window = 1;
            }
        }
        self.ssrcs.push((ssrc, state));
        if self.ssrcs.len() > MAX_SSRCS {
            self.ssrcs.remove(0);
        }
    }
}

/// RFC 3711 §3.3.1: the rollover counter that puts `seq` nearest the
/// highest index accepted.
fn estimate_roc(highest: Option<u64>, seq: u16) -> u32 {
    let Some(highest) = highest else {
        return 0;
    };
    let roc = (highest >> 16) as u32;
    let (seq, last) = (i32::from(seq), (highest & 0xffff) as i32);
    if last < 32768 {
        if seq - last > 32768 {
            roc.wrapping_sub(1)
        } else {
            roc
        }
    } else if last - 32768 > seq {
        roc.wrapping_add(1)
    } else {
        roc
    }
}

/// The RTP header's length (fixed part, CSRCs, extension), if whole.
fn header_len(packet: &[u8]) -> Option<usize> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let mut length = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        let words = packet.get(length + 2..length + 4)?;
        length += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    (length <= packet.len()).then_some(length)
}

/// RFC 3711 §4.3.1 with a key derivation rate of 0: AES-CM of the master
/// key over (master salt XOR label·2^48)·2^16.
fn derive(key: &[u8; MASTER_KEY], salt: &[u8; MASTER_SALT], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT].copy_from_slice(salt);
    iv[7] ^= label;
    out.fill(0);
    let mut cipher = Aes128Ctr::new(key.into(), &iv.into());
    cipher.apply_keystream(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn session_keys_are_rfc_3711s_test_vectors() {
        // RFC 3711 Appendix B.3.
        let key: [u8; 16] = hex("E1F97A0D3E018BE0D64FA32C06DE4139").try_into().unwrap();
        let salt: [u8; 14] = hex("0EC675AD498AFEEBB6960B3AABE6").try_into().unwrap();
        let mut cipher = [0u8; 16];
        let mut session_salt = [0u8; 14];
        let mut auth = [0u8; 20];
        derive(&key, &salt, 0, &mut cipher);
        derive(&key, &salt, 2, &mut session_salt);
        derive(&key, &salt, 1, &mut auth);
        assert_eq!(cipher.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(session_salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        assert_eq!(
            auth.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    /// Packets protected by libsrtp 2 (through PyPI's pylibsrtp 1.0.0)
    /// with key material 0x01…0x1e: sequence 65534 to 1, across the
    /// rollover; the payload is 20 bytes counting up from the sequence.
    const LIBSRTP_80: [(u16, &str); 4] = [
        (
            65534,
            "8000fffe009ffec012345678770a46c316d653e6802a77ed0bd9d776aa9a16c6e9960397b1feaee580bb",
        ),
        (
            65535,
            "8000ffff009fff6012345678c707ddb9040ffc07ce029635778800c209bfac68034ac1f3dc61f39e1e7c",
        ),
        (
            0,
            "800000000000000012345678baed86994538fbcebc067d957f2e50d0445ae54ef120441fc0fc93b1fb23",
        ),
        (
            1,
            "80000001000000a01234567857a34424b3ea407059eb177ea1729aae53bfea423aaf30c3405e0c4ee4ef",
        ),
    ];

    #[test]
    fn packets_protected_by_libsrtp_open_across_the_rollover() {
        for tag_len in [10, 4] {
            let mut receiver =
                SrtpReceiver::new("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", tag_len).unwrap();
            for (seq, packet) in LIBSRTP_80 {
                let mut packet = hex(packet);
                // The _32 suite's tag is the first 4 bytes of the same HMAC.
                packet.truncate(packet.len() - (10 - tag_len));
                let plain = receiver.unprotect(&packet).unwrap();
                let payload: Vec<u8> = (0..20).map(|i| (seq as usize + i) as u8).collect();
                assert_eq!(&plain[12..], &payload[..], "seq {seq}, tag {tag_len}");
                assert_eq!(u16::from_be_bytes([plain[2], plain[3]]), seq);
            }
        }
        // One bit changed anywhere: refused.
        let mut receiver =
            SrtpReceiver::new("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", 10).unwrap();
        let mut packet = hex(LIBSRTP_80[0].1);
        packet[20] ^= 1;
        assert_eq!(receiver.unprotect(&packet), Err(SrtpError::Unauthentic));
    }

    #[test]
    fn the_rollover_counter_follows_the_sequence_around() {
        assert_eq!(estimate_roc(None, 65_000), 0);
        assert_eq!(estimate_roc(Some(65_000), 3), 1, "wrapped");
        let after = Some((1 << 16) | 3);
        assert_eq!(
            estimate_roc(after, 65_530),
            0,
            "a late packet from before the wrap"
        );
        assert_eq!(estimate_roc(after, 10), 1);
    }

    #[test]
    fn a_replayed_packet_is_refused_and_each_ssrc_keeps_its_own_count() {
        let inline = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e";
        let mut receiver = SrtpReceiver::new(inline, 10).unwrap();
        let packets: Vec<Vec<u8>> = LIBSRTP_80.iter().map(|(_, p)| hex(p)).collect();
        receiver.unprotect(&packets[0]).unwrap();
        receiver.unprotect(&packets[2]).unwrap();
        assert_eq!(receiver.unprotect(&packets[2]), Err(SrtpError::Replayed));
        assert_eq!(receiver.unprotect(&packets[0]), Err(SrtpError::Replayed));
        // Out of order within the window: accepted once.
        receiver.unprotect(&packets[1]).unwrap();
        assert_eq!(receiver.unprotect(&packets[1]), Err(SrtpError::Replayed));
        // Another SSRC starts its own count (its packet fails only its tag).
        let mut other = packets[0].clone();
        other[8] ^= 1;
        assert_eq!(receiver.unprotect(&other), Err(SrtpError::Unauthentic));
        receiver.unprotect(&packets[3]).unwrap();
    }

    #[test]
    fn bad_keys_and_packets_are_refused() {
        assert_eq!(
            SrtpReceiver::new("not base64!", 10).unwrap_err(),
            SrtpError::BadKey
        );
        assert_eq!(
            SrtpReceiver::new("AAAA", 10).unwrap_err(),
            SrtpError::BadKey
        );
        let mut receiver = SrtpReceiver::new(
            &base64::engine::general_purpose::STANDARD.encode([7u8; 30]),
            10,
        )
        .unwrap();
        assert_eq!(receiver.unprotect(&[0x80; 8]), Err(SrtpError::Short));
        let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
        packet.extend_from_slice(&[0u8; 30]);
        assert_eq!(receiver.unprotect(&packet), Err(SrtpError::Unauthentic));
    }
}
