//! One holder at a time of a portal-wide job (`job_leases`): sealing
//! audio, or a backup keeping the purge and the sealers still while it
//! copies. Taken with a random holder name, renewed as work goes by, and
//! expiring by itself if its holder dies.

use crate::Error;
use callrec_store::{Job, Store};

pub struct Lease<'a> {
    store: &'a Store,
    job: Job,
    holder: String,
    seconds: i64,
}

impl<'a> Lease<'a> {
    /// The lease on `job` for `seconds`, if no one else holds it.
    pub async fn take(
        store: &'a Store,
        job: Job,
        holder: &str,
        seconds: i64,
    ) -> Result<Option<Lease<'a>>, Error> {
        let lease = Lease {
            store,
            job,
            holder: format!(
                "{holder}-{}",
                callrec_domain::hex::hex(&rand::random::<[u8; 8]>())
            ),
            seconds,
        };
        Ok(lease.renew().await?.then_some(lease))
    }

    /// Extends the lease; false if it ran out and another took it.
    pub async fn renew(&self) -> Result<bool, Error> {
        let now = crate::system_now();
        Ok(self
            .store
            .take_lease(self.job, &self.holder, now, now + self.seconds)
            .await?)
    }

    pub async fn release(self) -> Result<(), Error> {
        Ok(self.store.release_lease(self.job, &self.holder).await?)
    }
}
