//! Digest authentication of a recording source's INVITEs (RFC 3261 §22.4
//! with RFC 8760's SHA-256, MD5 for older SBCs, `qop=auth`). The
//! `Authorization` header is read by ezk's parser. Nonces keep no state:
//! the second they were made and a MAC of it and the peer's address under
//! a key of this process, so a challenge costs nothing to remember.

use ezk_sip_types::header::typed::{Algorithm, AlgorithmValue, AuthResponse, QopOption, Username};
use ezk_sip_types::{Headers, Name};
use hmac::{Hmac, Mac};
use md5::Md5;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// The realm every challenge names.
pub const REALM: &str = "callrec";
/// How long a nonce is good for; an older one is answered `stale=true`.
pub const NONCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Md5,
    Sha256,
}

impl DigestAlgorithm {
    fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    fn hash(self, text: &str) -> String {
        match self {
            DigestAlgorithm::Md5 => callrec_domain::hex::hex(&Md5::digest(text.as_bytes())),
            DigestAlgorithm::Sha256 => callrec_domain::hex::hex(&Sha256::digest(text.as_bytes())),
        }
    }
}

/// What an `Authorization: Digest …` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAnswer {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: DigestAlgorithm,
    /// `qop=auth`'s client nonce and count (RFC 2069 answers have none).
    pub qop: Option<(String, u32)>,
}

impl DigestAnswer {
    /// The request's Digest answer; `None` when there is none, it is not
    /// Digest, or asks for what this server never offers (auth-int,
    /// `-sess`, hashed usernames).
    pub fn of(headers: &Headers) -> Option<DigestAnswer> {
        let Ok(AuthResponse::Digest(digest)) = headers.get::<AuthResponse>(Name::AUTHORIZATION)
        else {
            return None;
        };
        let algorithm = match digest.algorithm {
            Algorithm::AlgorithmValue(AlgorithmValue::MD5) => DigestAlgorithm::Md5,
            Algorithm::AlgorithmValue(AlgorithmValue::SHA256) => DigestAlgorithm::Sha256,
            _ => return None,
        };
        let Username::Username(username) = digest.username else {
            return None;
        };
        let qop = match digest.qop_response {
            Some(q) if q.qop == QopOption::Auth => Some((q.cnonce.to_string(), q.nc)),
            Some(_) => return None,
            None => None,
        };
        (!digest.userhash).then(|| DigestAnswer {
            username: username.to_string(),
            realm: digest.realm.to_string(),
            nonce: digest.nonce.to_string(),
            uri: digest.uri.to_string(),
            response: digest.response.to_ascii_lowercase(),
            algorithm,
            qop,
        })
    }

    /// Whether it was made with `username` and `password` for `method`,
    /// in this server's realm.
    pub fn proves(&self, username: &str, password: &str, method: &str) -> bool {
        self.username == username
            && self.realm == REALM
            && constant_time_eq(
                self.expected(password, method).as_bytes(),
                self.response.as_bytes(),
            )
    }

    /// The response its username and `password` give for `method`.
    fn expected(&self, password: &str, method: &str) -> String {
        let h = |text: String| self.algorithm.hash(&text);
        let ha1 = h(format!("{}:{}:{password}", self.username, self.realm));
        let ha2 = h(format!("{method}:{}", self.uri));
        match &self.qop {
            Some((cnonce, nc)) => h(format!("{ha1}:{}:{nc:08x}:{cnonce}:auth:{ha2}", self.nonce)),
            None => h(format!("{ha1}:{}:{ha2}", self.nonce)),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a nonce turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    Fresh,
    /// Made here, for this peer, but too old: challenge again, `stale=true`.
    Stale,
    /// Not one of this process's nonces for this peer.
    Unknown,
}

/// Makes and checks nonces under a key of this process.
pub struct Nonces {
    key: [u8; 32],
}

impl Default for Nonces {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Nonces { key }
    }
}

impl Nonces {
    fn mac(&self, made: &str, peer: IpAddr) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(made.as_bytes());
        mac.update(b"|");
        mac.update(peer.to_string().as_bytes());
        callrec_domain::hex::hex(&mac.finalize().into_bytes()[..16])
    }

    /// A nonce for `peer` at `now` (Unix seconds).
    pub fn make(&self, now: i64, peer: IpAddr) -> String {
        let made = format!("{now:x}");
        format!("{made}.{}", self.mac(&made, peer))
    }

    pub fn check(&self, nonce: &str, now: i64, peer: IpAddr) -> NonceCheck {
        let Some((made, mac)) = nonce.split_once('.') else {
            return NonceCheck::Unknown;
        };
        if !constant_time_eq(self.mac(made, peer).as_bytes(), mac.as_bytes()) {
            return NonceCheck::Unknown;
        }
        match i64::from_str_radix(made, 16) {
            Ok(at) if (0..=NONCE_SECONDS).contains(&(now - at)) => NonceCheck::Fresh,
            Ok(_) => NonceCheck::Stale,
            Err(_) => NonceCheck::Unknown,
        }
    }
}

/// The `WWW-Authenticate` values of a 401: MD5, then SHA-256 (RFC 8760).
/// RFC 8760 would list SHA-256 first, but many SBCs answer only the
/// first challenge and know only MD5 (SIPp 3.6 fails on a SHA-256 first:
/// "authentication must use MD5"); an RFC 8760 client takes the first it
/// supports. An answer seen on the wire lets an eavesdropper test
/// guesses of the password offline (with either hash): passwords are 16
/// characters or more, and should be random; SIP over TLS hides the
/// exchange altogether.
pub fn challenges(nonce: &str, stale: bool) -> Vec<String> {
    [DigestAlgorithm::Md5, DigestAlgorithm::Sha256]
        .into_iter()
        .map(|algorithm| {
            format!(
                "Digest realm=\"{REALM}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{}",
                algorithm.name(),
                if stale { ", stale=true" } else { "" }
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(header: &str) -> Option<DigestAnswer> {
        let message = format!(
            "INVITE sip:srs@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
             From: <sip:src@example.com>;tag=1\r\nTo: <sip:srs@example.com>\r\nCall-ID: c\r\n\
             CSeq: 1 INVITE\r\nAuthorization: {header}\r\nContent-Length: 0\r\n\r\n"
        );
        let request = crate::sip::message::parse(message.as_bytes()).unwrap();
        let crate::sip::message::Message::Request(request) = request else {
            panic!()
        };
        DigestAnswer::of(&request.headers)
    }

    #[test]
    fn rfc_2617_s_md5_example_gives_its_response() {
        // RFC 2617 §3.5.
        let found = answer(
            r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        assert_eq!(found.algorithm, DigestAlgorithm::Md5, "MD5 when not named");
        assert_eq!(found.qop, Some(("0a4f113b".into(), 1)));
        assert_eq!(found.expected("Circle Of Life", "GET"), found.response);
        // Right, but for another realm: not proof here.
        assert!(!found.proves("Mufasa", "Circle Of Life", "GET"));
    }

    #[test]
    fn rfc_7616_s_sha_256_example_gives_its_response() {
        // RFC 7616 §3.9.1.
        let found = answer(
            r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap();
        assert_eq!(found.algorithm, DigestAlgorithm::Sha256);
        assert_eq!(found.expected("Circle of Life", "GET"), found.response);
        assert_ne!(found.expected("Circle Of Life", "GET"), found.response);
    }

    #[test]
    fn an_answer_for_this_realm_proves_only_its_own_credentials() {
        let nonce = "65f0a1b2.00";
        let ha1 = DigestAlgorithm::Sha256.hash("sbc:callrec:a long random secret");
        let ha2 = DigestAlgorithm::Sha256.hash("INVITE:sip:srs@192.0.2.9");
        let response =
            DigestAlgorithm::Sha256.hash(&format!("{ha1}:{nonce}:0000000a:xyz:auth:{ha2}"));
        let header = format!(
            r#"Digest username="sbc", realm="callrec", nonce="{nonce}", uri="sip:srs@192.0.2.9", response="{response}", algorithm=SHA-256, qop=auth, nc=0000000a, cnonce="xyz""#
        );
        let found = answer(&header).unwrap();
        assert!(found.proves("sbc", "a long random secret", "INVITE"));
        assert!(!found.proves("sbc", "a long random secreT", "INVITE"));
        assert!(!found.proves("other", "a long random secret", "INVITE"));
        assert!(!found.proves("sbc", "a long random secret", "BYE"));
        // What this server never offers is no answer at all.
        assert!(answer(&header.replace("SHA-256", "SHA-256-sess")).is_none());
        assert!(answer(&header.replace("qop=auth", "qop=auth-int")).is_none());
        assert!(answer("Basic c2JjOnNlY3JldA==").is_none());
        assert!(answer("Digest garbage").is_none());
    }

    #[test]
    fn nonces_are_bound_to_their_peer_and_time() {
        let nonces = Nonces::default();
        let peer: IpAddr = "192.0.2.10".parse().unwrap();
        let nonce = nonces.make(1_000_000, peer);
        assert_eq!(
            nonces.check(&nonce, 1_000_000 + NONCE_SECONDS, peer),
            NonceCheck::Fresh
        );
        assert_eq!(
            nonces.check(&nonce, 1_000_001 + NONCE_SECONDS, peer),
            NonceCheck::Stale
        );
        assert_eq!(
            nonces.check(&nonce, 1_000_000, "192.0.2.11".parse().unwrap()),
            NonceCheck::Unknown
        );
        assert_eq!(
            Nonces::default().check(&nonce, 1_000_000, peer),
            NonceCheck::Unknown,
            "another process's"
        );
        assert_eq!(
            nonces.check(&nonce.replace('.', ""), 1_000_000, peer),
            NonceCheck::Unknown
        );
        let challenge = challenges(&nonce, true);
        assert!(
            challenge[0].contains("algorithm=MD5") && challenge[1].contains("algorithm=SHA-256")
        );
        assert!(challenge
            .iter()
            .all(|c| c.contains("stale=true") && c.contains(&nonce)));
    }
}
