//! Who asks a use case for a change. The use cases check what their
//! caller may do themselves, so the pages, the API and the command line
//! cannot differ on a rule: a handler's own check only chooses what to
//! show.

use callrec_domain::api_scope::ApiScope;
use callrec_domain::{Actor, CompanyId, Role};

#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// An operator at the command line, and the portal's own start-up:
    /// whoever can run the binary on the server may do anything.
    Operator,
    /// A signed-in user.
    User(&'a Actor),
}

impl Caller<'_> {
    /// Whether the caller holds `role` (an operator holds every one).
    pub fn can(self, role: Role) -> bool {
        match self {
            Caller::Operator => true,
            Caller::User(actor) => actor.can(role),
        }
    }

    /// Whether `company` is within the caller's reach.
    pub fn reaches_company(self, company: CompanyId) -> bool {
        match self {
            Caller::Operator => true,
            Caller::User(actor) => actor.reaches_company(company),
        }
    }

    /// Whether the caller may give a token `scope`: only what they may do
    /// themselves (the role of the matching page). Sending recordings has
    /// no page; whoever manages the company's tokens may grant it.
    pub fn may_grant(self, scope: ApiScope) -> bool {
        scope.role().is_none_or(|role| self.can(role))
    }

    /// The caller's own company, if they are a user.
    pub fn own_company(self) -> Option<CompanyId> {
        match self {
            Caller::Operator => None,
            Caller::User(actor) => Some(actor.company_id),
        }
    }
}
