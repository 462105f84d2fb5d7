//! The RTP ports of `CALLREC_RTP_PORTS`: even ones handed to streams
//! (RTCP's odd neighbour is left alone), returned when a call ends.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use tokio::net::UdpSocket;

/// A range of ports as configured (`40000-40999`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let (first, last) = text
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("{text:?} is not a range of ports like 40000-40999"))?;
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p >= 1024)
                .ok_or_else(|| format!("{p:?} is not a port from 1024 to 65535"))
        };
        let (first, last) = (port(first)?, port(last)?);
        if last < first.saturating_add(1) {
            return Err(format!(
                "{text:?} must run upwards and hold at least two ports"
            ));
        }
        Ok(PortRange { first, last })
    }

    /// Streams the range can carry at once.
    pub fn capacity(&self) -> usize {
        (self.first..=self.last).filter(|p| p % 2 == 0).count()
    }
}

pub struct Ports {
    free: Mutex<VecDeque<u16>>,
    bind: IpAddr,
}

impl Ports {
    pub fn new(range: PortRange, bind: IpAddr) -> Ports {
        Ports {
            free: Mutex::new((range.first..=range.last).filter(|p| p % 2 == 0).collect()),
            bind,
        }
    }

    /// A socket on a free port, or `None` when every one is taken. A port
    /// that will not bind (another program holds it, or a just-ended
    /// call's socket is still closing) goes to the back of the queue.
    pub async fn take(&self) -> Option<UdpSocket> {
        let tries = self.free();
        for _ in 0..tries {
            let port = self.lock().pop_front()?;
            match UdpSocket::bind(SocketAddr::new(self.bind, port)).await {
                Ok(socket) => return Some(socket),
                Err(err) => {
                    tracing::warn!("RTP port {port} is not free ({err}); tried later");
                    self.give_back(port);
                }
            }
        }
        None
    }

    pub fn give_back(&self, port: u16) {
        self.lock().push_back(port);
    }

    pub fn free(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u16>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        let range = PortRange::parse("40000-40999").unwrap();
        assert_eq!(range.capacity(), 500);
        for bad in [
            "40000",
            "40999-40000",
            "80-90",
            "a-b",
            "40000-40000",
            "40000-70000",
        ] {
            assert!(PortRange::parse(bad).is_err(), "{bad}");
        }
    }
}
