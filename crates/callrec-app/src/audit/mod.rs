//! The audit log as the application writes it: who acts ([`AuditContext`]),
//! events recorded at most once ([`once`]) and the hash chains' checks
//! ([`chain`]).

pub mod chain;
pub mod once;

use crate::system_now;
use callrec_domain::audit::AuditAction;
use callrec_domain::UserId;
use callrec_store::{NewAuditEntry, User};

/// Who acts, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    /// The command line, and the portal itself (named `cli`).
    CommandLine,
    /// A signed-in user: their id and username.
    User(UserId, String),
    /// An API token, by its name (the log shows `token:NAME`).
    Token(String),
}

/// Who is acting, for the audit log. The CLI acts as nobody from "cli".
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: AuditActor,
    pub client: String,
    /// When the action happens (Unix seconds).
    pub now: i64,
}

impl AuditContext {
    pub fn command_line() -> AuditContext {
        AuditContext {
            actor: AuditActor::CommandLine,
            client: "cli".into(),
            now: system_now(),
        }
    }

    /// An entry of `action` on `user` (their company, their username).
    pub fn entry_on(&self, action: AuditAction, user: &User) -> NewAuditEntry {
        self.entry(action)
            .company(user.company_id)
            .target(&user.username)
    }

    /// Who acts, as the audit log names them: their username, or `cli`.
    pub fn actor_name(&self) -> &str {
        match &self.actor {
            AuditActor::CommandLine => callrec_domain::names::COMMAND_LINE_ACTOR,
            AuditActor::User(_, name) | AuditActor::Token(name) => name,
        }
    }

    pub fn entry(&self, action: AuditAction) -> NewAuditEntry {
        let entry = NewAuditEntry::new(action).client(&self.client);
        match &self.actor {
            AuditActor::User(id, name) => entry.actor(*id, name),
            AuditActor::CommandLine => entry.by_command_line(),
            AuditActor::Token(name) => entry.by_token(name),
        }
    }
}
