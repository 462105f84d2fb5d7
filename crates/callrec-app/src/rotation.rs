//! `callrec keys rotate`: once a new master key is current, every MFA
//! secret, every company's audio data key and transcript word key and
//! every recording source's SIP password is encrypted again with it,
//! in batches, each batch with its audit entry in the same transaction.

use crate::audit::AuditContext;
use crate::keyring::Keyring;
use crate::sealing::DataKeys;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::UserId;
use callrec_store::Store;
use std::sync::Arc;

/// Secrets re-encrypted per transaction: one entry each, and no lock held
/// long while the portal serves.
const BATCH: usize = 500;

/// What a rotation did.
#[derive(Debug, Default)]
pub struct Rotated {
    /// MFA secrets re-encrypted now.
    pub secrets: usize,
    /// MFA secrets stored.
    pub total: usize,
    /// Secrets no configured key reads, with why.
    pub unreadable: Vec<(UserId, crate::SecretError)>,
    /// Audio data keys sealed again.
    pub data_keys: usize,
    /// Recording sources' SIP passwords sealed again.
    pub sip_passwords: usize,
    /// Recording sources whose SIP password no configured key opens.
    pub unreadable_sip_passwords: Vec<i64>,
    /// Companies' transcript word keys sealed again.
    pub word_keys: usize,
    /// Companies' single sign-on client secrets sealed again.
    pub sso_secrets: u64,
}

/// Re-encrypts what an older key protects with `keyring`'s current key;
/// `progress(done, total)` after each batch of secrets.
pub async fn rotate_master_key(
    store: &Store,
    keyring: Arc<Keyring>,
    audit: &AuditContext,
    mut progress: impl FnMut(usize, usize),
) -> Result<Rotated, Error> {
    let stored = store.mfa_ciphertexts().await?;
    let key_id = keyring.current_key_id().to_string();
    let mut report = Rotated {
        total: stored.len(),
        ..Rotated::default()
    };
    let mut done = 0;
    for batch in stored.chunks(BATCH) {
        let mut write = store.write(audit.now).await?;
        let mut rotated = 0;
        for (user, ciphertext) in batch {
            if !keyring.needs_rotation(ciphertext) {
                continue;
            }
            match keyring.decrypt(*user, ciphertext) {
                Ok(secret) => {
                    let fresh = keyring.encrypt(*user, &secret);
                    if write
                        .replace_mfa_ciphertext(*user, ciphertext, &fresh)
                        .await?
                    {
                        rotated += 1;
                    }
                }
                Err(err) => report.unreadable.push((*user, err)),
            }
        }
        if rotated > 0 {
            let entry = audit
                .entry(AuditAction::SecretsReencrypted)
                .details(format!(
                    "{rotated} MFA secrets re-encrypted with key {key_id}"
                ));
            write.audit(entry).await?;
        }
        write.commit().await?;
        report.secrets += rotated;
        done += batch.len();
        progress(done, report.total);
    }
    (report.sip_passwords, report.unreadable_sip_passwords) =
        crate::capture::reseal_credentials(store, &keyring, audit).await?;
    report.word_keys =
        crate::transcription::index::reseal_word_keys(store, &keyring, audit).await?;
    report.sso_secrets =
        crate::sso::settings::reseal_sso_secrets(store, &keyring, audit.now).await?;
    report.data_keys = DataKeys::new(keyring).rewrap_all(store, audit).await?;
    Ok(report)
}
