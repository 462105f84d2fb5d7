//! The one clock of the portal. Production reads the system time; tests
//! hold a clock they can move, so limits, locks and timeouts that depend
//! on time are tested over HTTP without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a clock only the test moves.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock standing at `start` (Unix seconds) until moved.
    pub fn manual(start: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(at) => at.load(Ordering::SeqCst),
            None => system_now(),
        }
    }

    /// Milliseconds since the Unix epoch (a manual clock's whole seconds).
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(at) => at.load(Ordering::SeqCst).saturating_mul(1000),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, seconds: i64) {
        if let Some(at) = &self.manual {
            at.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}

/// Seconds since the Unix epoch by the system clock.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000);
        let copy = clock.clone();
        assert_eq!(clock.now(), 1_000);
        copy.advance(60);
        assert_eq!(clock.now(), 1_060, "clones share the time");
        let system = Clock::system();
        system.advance(1_000_000);
        assert!((system.now() - system_now()).abs() <= 1);
    }
}
