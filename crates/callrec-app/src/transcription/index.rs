//! The word index: each company's terms as keyed hashes (HMAC-SHA-256
//! under the company's word key, its first 16 bytes in hex), so the
//! database never holds a transcript's words in clear and one company's
//! hashes never match another's. The word key is random, sealed with the
//! master keyring (bound to the company), and kept for good: the index
//! outlives data-key rotations.

use crate::keyring::Keyring;
use crate::Error;
use callrec_domain::hex::hex;
use callrec_domain::permissions::DataScope;
use callrec_domain::transcript::Transcript;
use callrec_domain::words::{term, terms};
use callrec_domain::{CompanyId, ValidationError};
use callrec_store::Store;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;

/// What a company's word key is bound to in its seal.
fn binding(company: CompanyId) -> String {
    format!("callrec-word-key:{}", company.0)
}

/// A company's word key.
pub struct WordKey([u8; 32]);

impl WordKey {
    /// The index's form of `term` (already folded and stemmed).
    pub fn hash(&self, term: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(term.as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }

    /// A transcript's index: each term's hash once, with when it was
    /// first said. Redacted words are not terms.
    pub fn index(&self, transcript: &Transcript) -> Vec<(String, i64)> {
        let mut first: HashMap<String, i64> = HashMap::new();
        for word in &transcript.words {
            if word.text == callrec_domain::redaction::REDACTED {
                continue;
            }
            if let Some(term) = term(&word.text) {
                first
                    .entry(self.hash(&term))
                    .or_insert(i64::from(word.start_ms));
            }
        }
        let mut terms: Vec<(String, i64)> = first.into_iter().collect();
        terms.sort();
        terms
    }
}

/// The company's word key, made (and sealed) on first use. Two nodes
/// making it at once: one row wins and both read it back.
pub async fn word_key(
    store: &Store,
    keyring: &Keyring,
    company: CompanyId,
    now: i64,
) -> Result<WordKey, Error> {
    if let Some(sealed) = store.word_key(company).await? {
        return opened(keyring, company, &sealed);
    }
    let fresh: [u8; 32] = rand::random();
    store
        .add_word_key(company, &keyring.seal(&binding(company), &fresh), now)
        .await?;
    let sealed = store
        .word_key(company)
        .await?
        .ok_or_else(|| Error::Internal("a word key vanished after it was made".into()))?;
    opened(keyring, company, &sealed)
}

fn opened(keyring: &Keyring, company: CompanyId, sealed: &str) -> Result<WordKey, Error> {
    let bytes = keyring
        .unseal(&binding(company), sealed)
        .map_err(|source| Error::Secret {
            what: format!("the word key of company {}", company.0),
            source,
        })?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| Error::Secret {
        what: format!("the word key of company {}", company.0),
        source: crate::keyring::SecretError::Malformed,
    })?;
    Ok(WordKey(key))
}

/// The most different words one Words said search takes: each is a
/// lookup of the index, hashed under every word key in reach.
pub const MAX_SAID_TERMS: usize = 8;

/// Who searches by words said: their scope and company, and the company
/// a Global user chose (if any).
pub struct Searcher {
    pub scope: DataScope,
    pub own_company: CompanyId,
    pub chosen: Option<CompanyId>,
}

/// A Words said search: the query's terms, each as its hashes under every
/// word key in the searcher's reach (their company's; every company's, or
/// the chosen one's, for Global users). Empty when the text holds no term.
pub async fn said_query(
    store: &Store,
    keyring: &Keyring,
    searcher: &Searcher,
    text: &str,
) -> Result<Vec<Vec<String>>, Error> {
    let mut terms = terms(text);
    terms.sort();
    terms.dedup();
    if terms.len() > MAX_SAID_TERMS {
        return Err(ValidationError::new(
            "said",
            format!("Words said takes at most {MAX_SAID_TERMS} different words: leave some out."),
        )
        .into());
    }
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let companies = match (searcher.scope, searcher.chosen) {
        (DataScope::Everything, None) => store.word_key_companies().await?,
        (DataScope::Everything, Some(company)) => vec![company],
        (DataScope::Company(c) | DataScope::Team(c, _), _) => vec![c],
        (DataScope::OwnOnly(_), _) => vec![searcher.own_company],
    };
    let mut keys = Vec::new();
    for company in companies {
        if let Some(sealed) = store.word_key(company).await? {
            keys.push(opened(keyring, company, &sealed)?);
        }
    }
    Ok(terms
        .iter()
        .map(|term| keys.iter().map(|key| key.hash(term)).collect())
        .collect())
}

/// Every word key sealed again under the keyring's current key (`callrec
/// keys rotate`), with its audit entry; how many.
pub async fn reseal_word_keys(
    store: &Store,
    keyring: &Keyring,
    audit: &crate::audit::AuditContext,
) -> Result<usize, Error> {
    let mut write = store.write(audit.now).await?;
    let sealed = write.sealed_word_keys().await?;
    for (company, wrapped) in &sealed {
        let key = opened(keyring, *company, wrapped)?;
        write
            .reseal_word_key(*company, &keyring.seal(&binding(*company), &key.0))
            .await?;
    }
    if !sealed.is_empty() {
        let entry = audit
            .entry(callrec_domain::audit::AuditAction::SecretsReencrypted)
            .details(format!(
                "{} transcript word keys sealed again with key {}",
                sealed.len(),
                keyring.current_key_id()
            ));
        write.audit(entry).await?;
    }
    write.commit().await?;
    Ok(sealed.len())
}
