//! One holder at a time of a portal-wide job (`job_leases`): sealing
//! audio, or a backup keeping the purge and the sealers still while it
//! copies. Taken with a random holder name, renewed as work goes by, and
//! expiring by itself if its holder dies.

use crate::Error;
use callrec_store::{Job, Store};

/// How long [`Lease::wait_for`] waits for a running job.
const WAIT_FOR_JOBS: std::time::Duration = std::time::Duration::from_secs(600);
/// How long a waited-for lease lasts without a renewal (seconds).
const WAITED_LEASE_SECONDS: i64 = 300;

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

    /// The lease on `job`, waiting (up to ten minutes, calling
    /// `waiting(job)` every 5 s) for another holder's run to finish.
    pub async fn wait_for(
        store: &'a Store,
        job: Job,
        holder: &str,
        waiting: &mut dyn FnMut(&str),
    ) -> Result<Lease<'a>, Error> {
        let started = std::time::Instant::now();
        loop {
            if let Some(lease) = Lease::take(store, job, holder, WAITED_LEASE_SECONDS).await? {
                return Ok(lease);
            }
            if started.elapsed() > WAIT_FOR_JOBS {
                return Err(Error::Busy(format!(
                    "the {} job has been running for ten minutes; try again when it is done",
                    job.code()
                )));
            }
            waiting(&job.code());
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
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
