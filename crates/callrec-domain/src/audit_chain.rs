//! The audit log as hash chains: each entry carries the hash of the entry
//! before it in its chain (one chain per company, one for the portal), and
//! its own hash over a canonical encoding of every field and that link. A
//! changed, removed or reordered entry breaks the chain where it happened.

use crate::hex::hex;
use sha2::{Digest, Sha256};

/// The link before the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of entries about `company` (or about no company).
pub fn chain_name(company: Option<i64>) -> String {
    match company {
        Some(id) => format!("company:{id}"),
        None => "portal".to_string(),
    }
}

/// Everything an entry says, in its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<'a> {
    pub chain: &'a str,
    /// Its position in the chain, from 1.
    pub seq: i64,
    pub at: i64,
    pub action: &'a str,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<&'a str>,
    pub company_id: Option<i64>,
    pub target: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub details: &'a str,
    /// The hash of the entry before it (`GENESIS` for the first).
    pub prev_hash: &'a str,
}

impl Link<'_> {
    /// SHA-256 (hex) over the canonical encoding: every field in a fixed
    /// order as `<bytes>:<text>` or `-` for none, so no two different
    /// entries encode alike ("ab","c" is not "a","bc").
    pub fn hash(&self) -> String {
        let number = |n: Option<i64>| n.map(|n| n.to_string());
        let fields = [
            Some(self.chain.to_string()),
            Some(self.seq.to_string()),
            Some(self.at.to_string()),
            Some(self.action.to_string()),
            number(self.actor_user_id),
            self.actor_name.map(str::to_string),
            number(self.company_id),
            self.target.map(str::to_string),
            self.client_addr.map(str::to_string),
            Some(self.details.to_string()),
            Some(self.prev_hash.to_string()),
        ];
        let mut hasher = Sha256::new();
        hasher.update(b"callrec-audit-v1\n");
        for field in fields {
            match field {
                Some(text) => {
                    hasher.update(text.len().to_string().as_bytes());
                    hasher.update(b":");
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(b"-"),
            }
            hasher.update(b"\n");
        }
        hex(&hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link<'a>() -> Link<'a> {
        Link {
            chain: "company:1",
            seq: 1,
            at: 1_800_000_000,
            action: "recording.downloaded",
            actor_user_id: Some(7),
            actor_name: Some("jo"),
            company_id: Some(1),
            target: Some("abc"),
            client_addr: Some("10.0.0.1"),
            details: "",
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn every_field_is_in_the_hash() {
        let base = link().hash();
        assert_eq!(base.len(), 64);
        assert_eq!(base, link().hash(), "deterministic");
        let changed = [
            Link {
                chain: "company:2",
                ..link()
            },
            Link { seq: 2, ..link() },
            Link {
                at: 1_800_000_001,
                ..link()
            },
            Link {
                action: "recording.played",
                ..link()
            },
            Link {
                actor_user_id: None,
                ..link()
            },
            Link {
                actor_name: Some("jO"),
                ..link()
            },
            Link {
                company_id: None,
                ..link()
            },
            Link {
                target: None,
                ..link()
            },
            Link {
                client_addr: Some("10.0.0.2"),
                ..link()
            },
            Link {
                details: " ",
                ..link()
            },
            Link {
                prev_hash: "1",
                ..link()
            },
        ];
        for other in changed {
            assert_ne!(other.hash(), base, "{other:?}");
        }
    }

    #[test]
    fn the_encoding_cannot_be_shifted_between_fields() {
        let a = Link {
            actor_name: Some("ab"),
            target: Some("c"),
            ..link()
        };
        let b = Link {
            actor_name: Some("a"),
            target: Some("bc"),
            ..link()
        };
        assert_ne!(a.hash(), b.hash());
        let none = Link {
            target: None,
            ..link()
        };
        let dash = Link {
            target: Some("-"),
            ..link()
        };
        assert_ne!(none.hash(), dash.hash(), "none is not the text '-'");
    }

    #[test]
    fn chains_are_per_company() {
        assert_eq!(chain_name(Some(3)), "company:3");
        assert_eq!(chain_name(None), "portal");
    }
}
