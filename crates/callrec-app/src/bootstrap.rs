//! The first administrator: on an empty database, the company "Operator"
//! and a Global administrator holding every role.

use crate::accounts::{self, CreateUser};
use crate::audit::AuditContext;
use crate::mfa::set_company_policy;
use crate::{Error, Passwords};
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_domain::{
    CompanyName, DisplayName, Level, MfaPolicy, NewPassword, PasswordLife, RoleSet, Username,
};
use callrec_store::Store;
use rand::Rng;

/// Who the first administrator is (CALLREC_BOOTSTRAP_ADMIN_USERNAME and
/// CALLREC_BOOTSTRAP_ADMIN_PASSWORD).
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    pub username: Username,
    /// Chosen by automation; without one a random password is made and
    /// shown once.
    pub password: Option<NewPassword>,
}

impl Default for BootstrapAdmin {
    fn default() -> Self {
        BootstrapAdmin {
            username: Username::parse("admin").expect("a valid username"),
            password: None,
        }
    }
}

/// The administrator made by `bootstrap`.
#[derive(Debug)]
pub struct Bootstrapped {
    pub username: String,
    /// The random password, to show once (never logged or stored in
    /// clear); `None` when automation gave one.
    pub generated_password: Option<String>,
    /// When MFA becomes required for the Operator company's users (Unix
    /// seconds), when this start made the company.
    pub mfa_from: Option<i64>,
}

/// Days the Operator company's users have to register before MFA is
/// required of them: Global users are the portal's most valuable accounts.
pub const OPERATOR_DAYS_TO_REGISTER: i64 = 7;

/// Makes the first administrator when the database has no users. A
/// printed random password is temporary (good for `temporary_hours`); one
/// automation gave is not. The grace period to register counts days in
/// `zone` (the portal's default: the new company has none of its own).
pub async fn bootstrap(
    store: &Store,
    passwords: &Passwords,
    admin: &BootstrapAdmin,
    temporary_hours: i64,
    zone: &Zone,
    audit: &AuditContext,
) -> Result<Option<Bootstrapped>, Error> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, password_life, generated_password) = match &admin.password {
        Some(given) => (given.clone(), PasswordLife::Permanent, None),
        None => {
            let text = random_password();
            let life = PasswordLife::temporary(audit.now, temporary_hours);
            let password = NewPassword::parse(&text, admin.username.as_str())?;
            (password, life, Some(text))
        }
    };
    let (company, mfa_from) = match store.company_by_name("Operator").await? {
        Some(company) => (company, None),
        None => {
            let name = CompanyName::parse("Operator")?;
            let company =
                crate::companies::create_company(store, &name, Retention::Forever, audit).await?;
            // MFA Enabled with a grace period: the first administrator can
            // sign in with the password, and must register within a week.
            let days = OPERATOR_DAYS_TO_REGISTER;
            let policy = MfaPolicy::Enabled;
            let deadline =
                set_company_policy(store, &company, policy, false, days, zone, audit).await?;
            (company, deadline)
        }
    };
    let user = accounts::create_user(
        store,
        passwords,
        crate::Caller::Operator,
        CreateUser {
            company_id: company.id,
            team_id: None,
            display_name: DisplayName::parse("Administrator")?,
            email: None,
            extension: None,
            level: Level::Global,
            roles: RoleSet::all(),
            password,
            password_life,
            username: admin.username.clone(),
        },
        audit,
    )
    .await?;
    Ok(Some(Bootstrapped {
        username: user.username,
        generated_password,
        mfa_from,
    }))
}

/// Seventeen characters from 54 without look-alikes, in groups of five
/// (97 bits).
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|i| {
            if i > 0 && i % 5 == 0 {
                '-'
            } else {
                ALPHABET[rng.gen_range(0..ALPHABET.len())] as char
            }
        })
        .collect()
}
