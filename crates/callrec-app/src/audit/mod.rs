//! The audit log as the application writes it: who acts ([`AuditContext`]),
//! events recorded at most once ([`once`]) and the hash chains' checks
//! ([`chain`]).

pub mod chain;
pub mod once;

use crate::system_now;
use callrec_domain::audit::AuditAction;
use callrec_domain::{CompanyId, UserId};
use callrec_store::{NewAuditEntry, Store, User};

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

    /// `user` acting from `client` at `now`.
    pub fn user(user: &User, client: &str, now: i64) -> AuditContext {
        AuditContext {
            actor: AuditActor::User(user.id, user.username.clone()),
            client: client.to_string(),
            now,
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

/// What someone took away in a file, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Reports → Call detail report → Export CSV.
    CallReport,
    /// Reports → Audit report → Export CSV.
    AuditReport,
}

impl Export {
    fn parts(self) -> (AuditAction, &'static str, &'static str) {
        match self {
            Export::CallReport => (
                AuditAction::CallReportExported,
                "call detail report",
                "all calls in scope",
            ),
            Export::AuditReport => (
                AuditAction::AuditExported,
                "audit report",
                "all events in scope",
            ),
        }
    }
}

/// Notes an export of `company`'s records before it starts, with the
/// filters that chose what it holds (`a=1&b=2`; empty: everything in scope).
pub async fn record_export(
    store: &Store,
    audit: &AuditContext,
    export: Export,
    company: CompanyId,
    filters: &str,
) -> Result<(), crate::Error> {
    let (action, target, everything) = export.parts();
    let details = match filters {
        "" => everything.to_string(),
        chosen => format!("filters {chosen}"),
    };
    let entry = audit
        .entry(action)
        .company(company)
        .target(target)
        .details(details);
    Ok(store.audit(entry, audit.now).await?)
}
