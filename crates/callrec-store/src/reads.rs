//! Connections for the reads every page load makes (the session, the
//! Recordings page), kept apart from sqlx's pool.
//!
//! sqlx's pool checks each connection with a round trip to the database
//! whenever it comes back, to catch one left mid-query by a cancelled
//! request. On the hot path that doubled the round trips per statement. Here
//! a connection goes back to the idle list only when its statement finished;
//! one whose statement failed or was cancelled is closed instead, which
//! covers the same case without asking the database.

use crate::filter::Filter;
use crate::{Backend, Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyRow};
use sqlx::{AnyConnection, ConnectOptions, Connection};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

pub(crate) struct ReadConnections {
    options: AnyConnectOptions,
    backend: Backend,
    idle: Mutex<Vec<AnyConnection>>,
    /// One permit per connection that may be open at a time.
    permits: Semaphore,
    max_connections: usize,
    acquire_timeout: Duration,
}

/// A connection lent out; dropped without [`Lease::give_back`], it closes.
struct Lease<'a> {
    connection: AnyConnection,
    /// Whether it came from the idle list (and so may have gone stale).
    reused: bool,
    owner: &'a ReadConnections,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    fn give_back(self) {
        self.owner.lock_idle().push(self.connection);
    }
}

impl ReadConnections {
    pub(crate) fn new(
        options: AnyConnectOptions,
        backend: Backend,
        max_connections: usize,
        acquire_timeout: Duration,
    ) -> ReadConnections {
        ReadConnections {
            options,
            backend,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_connections),
            max_connections,
            acquire_timeout,
        }
    }

    /// (in use, open, most) connections.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        let max = self.max_connections;
        let in_use = max.saturating_sub(self.permits.available_permits());
        (in_use, in_use + self.lock_idle().len(), max)
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<AnyConnection>> {
        // The list stays consistent whatever panicked while it was held.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn lease(&self) -> Result<Lease<'_>> {
        let permit = tokio::time::timeout(self.acquire_timeout, self.permits.acquire())
            .await
            .map_err(|_| StoreError::Busy)?
            .map_err(|_| StoreError::Busy)?;
        let idle = self.lock_idle().pop();
        let (connection, reused) = match idle {
            Some(connection) => (connection, true),
            None => {
                let mut connection = self.options.connect().await?;
                crate::prepare_connection(&mut connection, self.backend).await?;
                (connection, false)
            }
        };
        Ok(Lease {
            connection,
            reused,
            owner: self,
            _permit: permit,
        })
    }

    /// Runs one read statement. Idle connections that fail to answer (the
    /// database restarted) are closed and the statement tried again, until a
    /// new connection answers or fails itself.
    pub(crate) async fn fetch_optional(
        &self,
        sql: &str,
        filter: &Filter,
    ) -> Result<Option<AnyRow>> {
        loop {
            let mut lease = self.lease().await?;
            match sqlx::query_with(sql, filter.args())
                .fetch_optional(&mut lease.connection)
                .await
            {
                Ok(row) => {
                    lease.give_back();
                    return Ok(row);
                }
                Err(err) if lease.reused && connection_lost(&err) => {
                    // Dropping the lease closes the broken connection; the
                    // other idle ones most likely broke the same way.
                    self.lock_idle().clear();
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// The server process behind each idle connection (PostgreSQL).
    #[cfg(feature = "testing")]
    pub(crate) async fn idle_server_pids(&self) -> Result<Vec<i64>> {
        use sqlx::Row;
        let mut idle = std::mem::take(&mut *self.lock_idle());
        let mut pids = Vec::new();
        for connection in &mut idle {
            let row = sqlx::query("SELECT CAST(pg_backend_pid() AS BIGINT) AS pid")
                .fetch_one(&mut *connection)
                .await?;
            pids.push(row.try_get("pid")?);
        }
        self.lock_idle().extend(idle);
        Ok(pids)
    }

    pub(crate) async fn close(&self) {
        let idle = std::mem::take(&mut *self.lock_idle());
        for connection in idle {
            // Closing politely is best effort; the socket goes either way.
            let _ = connection.close().await;
        }
    }
}

/// Whether an error says the connection itself is gone: the socket, the
/// protocol, or PostgreSQL's classes 08 (connection exception) and 57P
/// (the server shut down or ended the session).
fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
