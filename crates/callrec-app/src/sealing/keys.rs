//! Companies' data keys: made on first use (a race between nodes settled
//! by one conditional insert), kept sealed by the master key in the
//! database, and cached open in memory per (company, number).

use crate::audit::AuditContext;
use crate::{Error, Keyring};
use callrec_domain::audit::AuditAction;
use callrec_domain::sealed::DataKey;
use callrec_domain::CompanyId;
use callrec_store::{Store, WrappedKey};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a data key is bound to when sealed by the master key: a sealed key
/// copied onto another company's or number's row does not open.
fn binding(company: CompanyId, key_id: u32) -> String {
    format!("callrec-data-key:{}:{key_id}", company.0)
}

#[derive(Clone)]
pub struct DataKeys {
    keyring: Arc<Keyring>,
    cache: Arc<Mutex<HashMap<(CompanyId, u32), DataKey>>>,
}

impl DataKeys {
    /// The master keyring the data keys are sealed with (it seals other
    /// secrets too: a recording source's SIP password).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn new(keyring: Arc<Keyring>) -> DataKeys {
        DataKeys {
            keyring,
            cache: Arc::default(),
        }
    }

    fn open(&self, key: &WrappedKey) -> Result<DataKey, Error> {
        let bytes = self
            .keyring
            .unseal(&binding(key.company, key.key_id), &key.wrapped)
            .map_err(|source| Error::Secret {
                what: format!("data key {} of company {}", key.key_id, key.company.0),
                source,
            })?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Internal("a data key is not 32 bytes".into()))?;
        let key_bytes = DataKey::from_bytes(bytes);
        self.cache
            .lock()
            .expect("the key cache is never poisoned")
            .insert((key.company, key.key_id), key_bytes.clone());
        Ok(key_bytes)
    }

    /// The company's key `key_id`.
    pub async fn get(
        &self,
        store: &Store,
        company: CompanyId,
        key_id: u32,
    ) -> Result<DataKey, Error> {
        if let Some(key) = self
            .cache
            .lock()
            .expect("never poisoned")
            .get(&(company, key_id))
        {
            return Ok(key.clone());
        }
        let wrapped = store
            .data_key(company, Some(key_id))
            .await?
            .ok_or_else(|| {
                Error::Internal(format!("company {} has no data key {key_id}", company.0))
            })?;
        self.open(&wrapped)
    }

    /// The company's newest key, made now if it has none.
    pub async fn current(
        &self,
        store: &Store,
        company: CompanyId,
        now: i64,
    ) -> Result<(u32, DataKey), Error> {
        if let Some(wrapped) = store.data_key(company, None).await? {
            let key = self.open(&wrapped)?;
            return Ok((wrapped.key_id, key));
        }
        self.add(store, company, 1, now).await?;
        let wrapped = store
            .data_key(company, None)
            .await?
            .ok_or_else(|| Error::Internal("a data key just made is gone".into()))?;
        Ok((wrapped.key_id, self.open(&wrapped)?))
    }

    /// A new newest key for the company (`keys rotate --data`): its number.
    pub async fn rotate(&self, store: &Store, company: CompanyId, now: i64) -> Result<u32, Error> {
        let next = store
            .data_key(company, None)
            .await?
            .map_or(1, |k| k.key_id + 1);
        if !self.add(store, company, next, now).await? {
            return Err(Error::Busy(
                "another rotation of this company's key ran at the same time; run it again".into(),
            ));
        }
        Ok(next)
    }

    async fn add(
        &self,
        store: &Store,
        company: CompanyId,
        key_id: u32,
        now: i64,
    ) -> Result<bool, Error> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let wrapped = WrappedKey {
            company,
            key_id,
            wrapped: self.keyring.seal(&binding(company, key_id), &bytes),
            created_at: now,
        };
        Ok(store.add_data_key(&wrapped, now).await?)
    }

    /// Re-seals every data key under the master key's current key
    /// (`callrec keys rotate`); returns how many.
    pub async fn rewrap_all(&self, store: &Store, audit: &AuditContext) -> Result<usize, Error> {
        let keys = store.all_data_keys().await?;
        let mut write = store.write(audit.now).await?;
        for key in &keys {
            let bytes = self
                .keyring
                .unseal(&binding(key.company, key.key_id), &key.wrapped)
                .map_err(|source| Error::Secret {
                    what: format!("data key {} of company {}", key.key_id, key.company.0),
                    source,
                })?;
            let rewrapped = WrappedKey {
                wrapped: self.keyring.seal(&binding(key.company, key.key_id), &bytes),
                ..key.clone()
            };
            write.rewrap_data_key(&rewrapped).await?;
        }
        if !keys.is_empty() {
            let entry = audit
                .entry(AuditAction::SecretsReencrypted)
                .details(format!(
                    "{} audio data keys sealed again with key {}",
                    keys.len(),
                    self.keyring.current_key_id()
                ));
            write.audit(entry).await?;
        }
        write.commit().await?;
        Ok(keys.len())
    }
}
