//! Who asks a use case for something. The use cases check what their
//! caller may do themselves, so the pages, the API and the command line
//! cannot differ on a rule: a handler's own check only chooses what to
//! show (and asks "Confirm it's you" before the use case would refuse).

use crate::Error;
use callrec_domain::api_scope::{ApiScope, TokenGrant};
use callrec_domain::{Actor, CompanyId, Role};

#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// An operator at the command line, and the portal's own start-up:
    /// whoever can run the binary on the server may do anything.
    Operator,
    /// A signed-in user; `present` when their session confirmed presence
    /// ("Confirm it's you") within `mfa::CONFIRMED_FOR_SECONDS`.
    User { actor: &'a Actor, present: bool },
    /// An API token, by what it was granted.
    Token(TokenGrant),
}

impl Caller<'_> {
    /// Whether the caller holds `role` (an operator holds every one; a
    /// token holds none: it has scopes).
    pub fn can(self, role: Role) -> bool {
        match self {
            Caller::Operator => true,
            Caller::User { actor, .. } => actor.can(role),
            Caller::Token(_) => false,
        }
    }

    /// Whether `company` is within the caller's reach.
    pub fn reaches_company(self, company: CompanyId) -> bool {
        match self {
            Caller::Operator => true,
            Caller::User { actor, .. } => actor.reaches_company(company),
            Caller::Token(grant) => grant.company == company,
        }
    }

    /// Whether the caller may give a token `scope`: only what they may do
    /// themselves (the role of the matching page). Sending recordings has
    /// no page; whoever manages the company's tokens may grant it.
    pub fn may_grant(self, scope: ApiScope) -> bool {
        scope.role().is_none_or(|role| self.can(role))
    }

    /// Whether the caller may send `company` recordings: an operator
    /// (`callrec import`), or a token of that company with `ingest`.
    pub fn may_ingest(self, company: CompanyId) -> bool {
        match self {
            Caller::Operator => true,
            Caller::Token(grant) => grant.company == company && grant.may(ApiScope::Ingest),
            Caller::User { .. } => false,
        }
    }

    /// The caller's own company, if they are a user.
    pub fn own_company(self) -> Option<CompanyId> {
        match self {
            Caller::User { actor, .. } => Some(actor.company_id),
            Caller::Operator | Caller::Token(_) => None,
        }
    }

    /// Refuses a caller without `role`.
    pub fn require(self, role: Role) -> Result<(), Error> {
        if self.can(role) {
            Ok(())
        } else {
            Err(Error::NotAllowed)
        }
    }

    /// For what outlives the session that asks (an API token, a new
    /// account): a signed-in user must have confirmed presence just now.
    pub fn require_presence(self) -> Result<(), Error> {
        match self {
            Caller::User { present: false, .. } => Err(Error::PresenceNeeded),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callrec_domain::api_scope::ApiScopes;
    use callrec_domain::{Level, RoleSet};

    fn grant(company: i64, scopes: &str) -> TokenGrant {
        TokenGrant {
            company: CompanyId(company),
            scopes: ApiScopes::parse(scopes).unwrap(),
        }
    }

    #[test]
    fn who_may_send_recordings() {
        let acme = CompanyId(1);
        assert!(Caller::Operator.may_ingest(acme));
        assert!(Caller::Token(grant(1, "ingest")).may_ingest(acme));
        assert!(
            !Caller::Token(grant(2, "ingest")).may_ingest(acme),
            "another company's token"
        );
        assert!(
            !Caller::Token(grant(1, "recordings:read")).may_ingest(acme),
            "without the scope"
        );
        let actor = Actor {
            user_id: callrec_domain::UserId(7),
            company_id: acme,
            team_id: None,
            level: Level::Company,
            roles: RoleSet::default(),
        };
        let user = Caller::User {
            actor: &actor,
            present: true,
        };
        assert!(!user.may_ingest(acme), "people use the pages");
        assert!(user.require_presence().is_ok());
        let away = Caller::User {
            actor: &actor,
            present: false,
        };
        assert!(matches!(
            away.require_presence(),
            Err(Error::PresenceNeeded)
        ));
        assert!(Caller::Operator.require_presence().is_ok());
    }
}
