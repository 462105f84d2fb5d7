//! Single sign-on through a company's OpenID provider (issue 29): its
//! settings, the provider as `openidconnect` speaks to it, and the
//! sign-in itself.

pub mod login;
pub mod provider;
pub mod settings;

pub use provider::Providers;
