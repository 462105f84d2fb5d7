//! Demo companies, teams and users, with one documented password.

use super::now;
use crate::error::CliError;
use callrec_domain::{
    CompanyName, DisplayName, Email, Level, NewPassword, Role, RoleSet, TeamName, Username,
};
use callrec_store::{Store, Team};
use callrec_web::accounts::{self, AuditContext, CreateUser};
use callrec_web::{Argon2Settings, Passwords};

/// Every demo user's password. Documented in the README; demo data is for
/// trying the portal, never for production.
pub const DEMO_PASSWORD: &str = "Demo-Calls-2026!";

/// The company whose presence means the demo is already loaded.
const MARKER_COMPANY: &str = "Acme Telecom";

struct DemoUser {
    username: &'static str,
    name: &'static str,
    level: Level,
    team: Option<&'static str>,
    roles: &'static [Role],
}

const STAFF_ROLES: &[Role] = &[
    Role::Recordings,
    Role::DownloadRecordings,
    Role::ManageOwnMfa,
];
const LEAD_ROLES: &[Role] = &[
    Role::ManageUsers,
    Role::Recordings,
    Role::DownloadRecordings,
    Role::AuditLog,
    Role::ManageOwnMfa,
];

const ACME: &[DemoUser] = &[
    DemoUser {
        username: "acme.admin",
        name: "Alex Admin",
        level: Level::Company,
        team: None,
        roles: &Role::ALL,
    },
    DemoUser {
        username: "acme.lead",
        name: "Lee Lead",
        level: Level::Team,
        team: Some("Sales"),
        roles: LEAD_ROLES,
    },
    DemoUser {
        username: "acme.agent",
        name: "Sam Agent",
        level: Level::Staff,
        team: Some("Sales"),
        roles: STAFF_ROLES,
    },
    DemoUser {
        username: "alice.jones",
        name: "Alice Jones",
        level: Level::Staff,
        team: Some("Sales"),
        roles: STAFF_ROLES,
    },
    DemoUser {
        username: "bob.smith",
        name: "Bob Smith",
        level: Level::Staff,
        team: Some("Support"),
        roles: &[Role::Recordings],
    },
    DemoUser {
        username: "carol.white",
        name: "Carol White",
        level: Level::Staff,
        team: Some("Support"),
        roles: &[],
    },
];

const GLOBEX: &[DemoUser] = &[
    DemoUser {
        username: "globex.admin",
        name: "Grace Globex",
        level: Level::Company,
        team: None,
        roles: &Role::ALL,
    },
    DemoUser {
        username: "globex.agent",
        name: "Gus Agent",
        level: Level::Staff,
        team: Some("Front Desk"),
        roles: STAFF_ROLES,
    },
];

const OPERATOR: &[DemoUser] = &[DemoUser {
    username: "operator",
    name: "Olivia Operator",
    level: Level::Global,
    team: None,
    roles: &Role::ALL,
}];

/// One line of the logins table printed after loading.
pub struct DemoLogin {
    pub username: &'static str,
    pub description: String,
}

/// Loads the demo unless it is there already; returns the logins either way.
pub async fn load(store: &Store) -> Result<(bool, Vec<DemoLogin>), CliError> {
    let logins = logins();
    if store.company_by_name(MARKER_COMPANY).await?.is_some() {
        return Ok((false, logins));
    }
    // Demo hashes use a light Argon2 cost: the passwords are public anyway,
    // and loading stays quick.
    let passwords = Passwords::new(&Argon2Settings {
        memory_kib: 4096,
        iterations: 1,
        parallelism: 1,
    })?;
    let operator = match store.company_by_name("Operator").await? {
        Some(company) => company,
        None => {
            store
                .create_company(&CompanyName::parse("Operator")?, now())
                .await?
        }
    };
    add_users(store, &passwords, operator.id, &[], OPERATOR).await?;
    for (company, teams, users) in [
        (MARKER_COMPANY, &["Sales", "Support"][..], ACME),
        ("Globex Support", &["Front Desk"][..], GLOBEX),
    ] {
        let company = store
            .create_company(&CompanyName::parse(company)?, now())
            .await?;
        let mut created = Vec::new();
        for team in teams {
            created.push(
                store
                    .create_team(company.id, &TeamName::parse(team)?, now())
                    .await?,
            );
        }
        add_users(store, &passwords, company.id, &created, users).await?;
    }
    Ok((true, logins))
}

async fn add_users(
    store: &Store,
    passwords: &Passwords,
    company: callrec_domain::CompanyId,
    teams: &[Team],
    users: &[DemoUser],
) -> Result<(), CliError> {
    for demo in users {
        if store.user_by_username(demo.username).await?.is_some() {
            continue;
        }
        let team_id = demo
            .team
            .and_then(|name| teams.iter().find(|t| t.name == name))
            .map(|t| t.id);
        let username = Username::parse(demo.username)?;
        accounts::create_user(
            store,
            passwords,
            CreateUser {
                company_id: company,
                team_id,
                email: Email::parse_optional(&format!("{}@example.com", demo.username))?,
                display_name: DisplayName::parse(demo.name)?,
                level: demo.level,
                roles: demo.roles.iter().copied().collect::<RoleSet>(),
                password: NewPassword::parse(DEMO_PASSWORD, username.as_str())?,
                username,
            },
            &AuditContext::command_line(),
        )
        .await?;
    }
    Ok(())
}

fn logins() -> Vec<DemoLogin> {
    [
        ("Operator", OPERATOR),
        (MARKER_COMPANY, ACME),
        ("Globex Support", GLOBEX),
    ]
    .into_iter()
    .flat_map(|(company, users)| {
        users.iter().map(move |user| DemoLogin {
            username: user.username,
            description: format!(
                "{} level, {}{}",
                user.level.label(),
                company,
                user.team.map(|t| format!(" / {t}")).unwrap_or_default()
            ),
        })
    })
    .collect()
}

pub fn print_logins(logins: &[DemoLogin]) {
    println!("Demo logins (password for all: {DEMO_PASSWORD}):");
    for login in logins {
        println!("  {:<14} {}", login.username, login.description);
    }
}
