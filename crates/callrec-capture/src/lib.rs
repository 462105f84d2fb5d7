//! callrec's SIPREC recording server (RFC 7866): session border
//! controllers send each call's media here and it lands as a recording.
//!
//! The protocol's pieces are pure and tested alone (`sip`, `sdp`,
//! `metadata`, `g711`, `mix`); `server` runs them on sockets.

pub mod g711;
pub mod g722;
pub mod metadata;
pub mod mix;
pub mod sdp;
pub mod server;
pub mod sip;
pub mod srtp;

pub use server::ports::PortRange;
pub use server::{CaptureDeps, CaptureServer, CaptureSettings, TlsSettings};
