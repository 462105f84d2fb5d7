//! SIP as the recording server speaks it.

pub mod body;
pub mod digest;
pub mod message;
