//! Checking the audit log's hash chains (`callrec audit verify`) and
//! taking anchors of their heads to keep elsewhere (`callrec audit anchor`).
//! A chain proves its own entries unaltered against anyone who cannot
//! rewrite it whole; anchors kept outside the database catch that too.

use crate::Error;
use callrec_domain::audit_chain::{Link, GENESIS};
use callrec_domain::ValidationError;
use callrec_store::{ChainHead, ChainedEntry, Store};
use std::collections::BTreeMap;

/// A chain's head at some moment: its length and the hash of its last
/// entry. One line of an anchors file: `<chain> <length> <hash>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub chain: String,
    pub seq: i64,
    pub hash: String,
}

impl Anchor {
    pub fn line(&self) -> String {
        format!("{} {} {}", self.chain, self.seq, self.hash)
    }

    /// An anchors file: one anchor a line; blank lines and `#` comments
    /// are skipped. Names the first line that is not an anchor.
    pub fn parse_file(text: &str) -> Result<Vec<Anchor>, Error> {
        let mut anchors = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let anchor = match parts.as_slice() {
                [chain, seq, hash]
                    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    seq.parse().ok().map(|seq| Anchor {
                        chain: chain.to_string(),
                        seq,
                        hash: hash.to_ascii_lowercase(),
                    })
                }
                _ => None,
            };
            match anchor {
                Some(anchor) => anchors.push(anchor),
                None => {
                    return Err(Error::Invalid(ValidationError::new(
                        "anchors",
                        format!(
                            "line {}: not an anchor (`<chain> <length> <64 hex digits>`, as `callrec audit anchor` prints)",
                            number + 1
                        ),
                    )))
                }
            }
        }
        Ok(anchors)
    }
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's fields no longer give its hash: changed, or moved to
    /// another position.
    Changed { id: i64, seq: i64 },
    /// Positions `from..=to` are gone.
    Removed { from: i64, to: i64 },
    /// The entry links to a hash that is not the entry before it: entries
    /// were reordered, or the one before was changed and re-hashed.
    Relinked { id: i64, seq: i64 },
    /// The chain ends before the length its head records.
    Truncated { recorded: i64, found: i64 },
    /// The chain goes on past its recorded head, or ends on another hash:
    /// entries were added or rewritten at its end.
    PastHead { recorded: i64, found: i64 },
    /// Entries name the chain, but its head is gone.
    HeadMissing,
    /// An anchor's entry is not in the chain with the anchored hash.
    AnchorMismatch { seq: i64 },
}

impl Break {
    pub fn describe(&self) -> String {
        match self {
            Break::Changed { id, seq } => format!("entry #{id} (position {seq}) was changed or moved: its contents no longer match its hash"),
            Break::Removed { from, to } if from == to => format!("the entry at position {from} was removed"),
            Break::Removed { from, to } => format!("the entries at positions {from} to {to} were removed"),
            Break::Relinked { id, seq } => format!("entry #{id} (position {seq}) does not follow the entry before it: entries were reordered, or the one before it was changed"),
            Break::Truncated { recorded, found } => format!("the chain ends at position {found}, but {recorded} entries were written: the last ones were removed"),
            Break::PastHead { recorded, found } => format!("the chain ends at position {found} on an entry its recorded head ({recorded} entries) does not name: entries were added or rewritten at its end"),
            Break::HeadMissing => "its recorded head was deleted".to_string(),
            Break::AnchorMismatch { seq } => format!("position {seq} does not hold the entry anchored there: the chain was rewritten"),
        }
    }
}

/// What one chain came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub chain: String,
    pub entries: i64,
    pub anchors_checked: usize,
    pub problem: Option<Break>,
}

/// What `callrec audit verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub chains: Vec<ChainReport>,
    /// Entries from before the chains began, as counted then, and how many
    /// are there now (not covered by the chains; a difference means old
    /// entries were added or removed).
    pub unchained: (i64, i64),
    /// Entries outside any chain written after it began: only a hand in
    /// the database adds those.
    pub outside: Vec<i64>,
    /// Anchored chains that do not exist.
    pub unknown_chains: Vec<String>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.outside.is_empty()
            && self.unchained.0 == self.unchained.1
            && self.unknown_chains.is_empty()
            && self.chains.iter().all(|c| c.problem.is_none())
    }
}

/// The heads of every chain, to keep elsewhere.
pub async fn anchors(store: &Store) -> Result<Vec<Anchor>, Error> {
    Ok(store
        .audit_chain_heads()
        .await?
        .into_iter()
        .map(|head| Anchor {
            chain: head.chain,
            seq: head.length,
            hash: head.head_hash,
        })
        .collect())
}

fn recomputed(chain: &str, entry: &ChainedEntry) -> String {
    Link {
        chain,
        seq: entry.seq,
        at: entry.at,
        action: &entry.action,
        actor_user_id: entry.actor_user_id,
        actor_name: entry.actor_name.as_deref(),
        company_id: entry.company_id,
        target: entry.target.as_deref(),
        client_addr: entry.client_addr.as_deref(),
        details: &entry.details,
        prev_hash: &entry.prev_hash,
    }
    .hash()
}

/// Walks one chain from its start: the first break, and how many entries
/// held. `anchors` are this chain's, by position.
async fn walk(
    store: &Store,
    chain: &str,
    head: Option<&ChainHead>,
    anchors: &BTreeMap<i64, String>,
) -> Result<ChainReport, Error> {
    let mut expected = 1;
    let mut prev = GENESIS.to_string();
    let mut report = ChainReport {
        chain: chain.to_string(),
        entries: 0,
        anchors_checked: 0,
        problem: None,
    };
    'walk: loop {
        let batch = store.audit_chain_entries(chain, expected - 1, 1000).await?;
        if batch.is_empty() {
            break;
        }
        for entry in batch {
            let problem = if entry.seq != expected {
                Some(Break::Removed {
                    from: expected,
                    to: entry.seq - 1,
                })
            } else if recomputed(chain, &entry) != entry.hash {
                Some(Break::Changed {
                    id: entry.id,
                    seq: entry.seq,
                })
            } else if entry.prev_hash != prev {
                Some(Break::Relinked {
                    id: entry.id,
                    seq: entry.seq,
                })
            } else {
                anchors
                    .get(&entry.seq)
                    .filter(|hash| **hash != entry.hash)
                    .map(|_| Break::AnchorMismatch { seq: entry.seq })
            };
            if problem.is_some() {
                report.problem = problem;
                break 'walk;
            }
            report.anchors_checked += usize::from(anchors.contains_key(&entry.seq));
            report.entries = entry.seq;
            prev = entry.hash;
            expected += 1;
        }
    }
    if report.problem.is_none() {
        let found = expected - 1;
        let beyond = anchors.range(found + 1..).next().map(|(seq, _)| *seq);
        report.problem = match head {
            None => Some(Break::HeadMissing),
            Some(head) if found < head.length => Some(Break::Truncated {
                recorded: head.length,
                found,
            }),
            Some(head) if found > head.length || prev != head.head_hash => Some(Break::PastHead {
                recorded: head.length,
                found,
            }),
            Some(_) => beyond.map(|seq| Break::AnchorMismatch { seq }),
        };
    }
    Ok(report)
}

/// Walks every chain, checking each entry's hash and link, the recorded
/// heads, and `anchors` taken earlier.
pub async fn verify_audit(store: &Store, anchors: &[Anchor]) -> Result<AuditReport, Error> {
    let mut by_chain: BTreeMap<&str, BTreeMap<i64, String>> = BTreeMap::new();
    for anchor in anchors {
        by_chain
            .entry(anchor.chain.as_str())
            .or_default()
            .insert(anchor.seq, anchor.hash.clone());
    }
    let heads = store.audit_chain_heads().await?;
    // Every chain the heads or the entries name: a deleted head must not
    // hide its chain.
    let mut chains: Vec<String> = heads.iter().map(|head| head.chain.clone()).collect();
    chains.extend(store.audit_chain_names().await?);
    chains.sort();
    chains.dedup();
    let mut report = AuditReport::default();
    let empty = BTreeMap::new();
    for chain in &chains {
        let head = heads.iter().find(|head| head.chain == *chain);
        let anchored = by_chain.get(chain.as_str()).unwrap_or(&empty);
        report
            .chains
            .push(walk(store, chain, head, anchored).await?);
    }
    report.unknown_chains = by_chain
        .keys()
        .filter(|chain| !chains.iter().any(|known| known == *chain))
        .map(|chain| chain.to_string())
        .collect();
    let unchained = store.audit_unchained().await?;
    report.unchained = (unchained.recorded, unchained.found);
    report.outside = unchained.others;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_files_read_back() {
        let hash = "ab".repeat(32);
        let anchor = Anchor {
            chain: "company:2".into(),
            seq: 41,
            hash: hash.clone(),
        };
        let text = format!(
            "# taken 2026-12-01\n\n{}\nportal 3 {}\n",
            anchor.line(),
            hash.to_uppercase()
        );
        let read = Anchor::parse_file(&text).unwrap();
        assert_eq!(read[0], anchor);
        assert_eq!(read[1].hash, hash, "hex in either case");
        for bad in [
            "company:2 41",
            "company:2 x ab",
            &format!("c 1 {}", "g".repeat(64)),
        ] {
            let err = Anchor::parse_file(bad).unwrap_err();
            assert!(err.to_string().contains("line 1"), "{err}");
        }
    }
}
