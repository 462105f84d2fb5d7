//! `callrec company …`, `callrec team …` and `callrec user …`.

use super::{now, read_password_line};
use crate::cli::{CompanyCommand, TeamCommand, UserAddArgs, UserCommand};
use crate::error::CliError;
use callrec_app::accounts::{self, role_list, CreateUser};
use callrec_app::audit::AuditContext;
use callrec_app::companies;
use callrec_app::records::retention::{change_retention, RetentionRequest, RetentionSaved};
use callrec_app::records::RecordsSettings;
use callrec_app::settings::{set_company_place, CompanyPlace};
use callrec_app::transcription::settings::{self, TranscriptionChange};
use callrec_app::{Argon2Settings, Passwords};
use callrec_domain::country::Country;
use callrec_domain::permissions::DataScope;
use callrec_domain::retention::Retention;
use callrec_domain::transcription::Redaction;
use callrec_domain::zone::Zone;
use callrec_domain::{
    CompanyName, DisplayName, Email, Level, NewPassword, PasswordLife, PhoneNumber, Role, RoleSet,
    TeamName, Username,
};
use callrec_store::{Company, Store, User, UserQuery};

pub(crate) async fn company_named(store: &Store, name: &str) -> Result<Company, CliError> {
    store.company_by_name(name).await?.ok_or_else(|| {
        CliError::Usage(format!(
            "no company named {name:?}; `callrec company list` shows the companies"
        ))
    })
}

async fn user_named(store: &Store, username: &str) -> Result<User, CliError> {
    store.user_by_username(username).await?.ok_or_else(|| {
        CliError::Usage(format!(
            "no user named {username:?}; `callrec user list` shows the users"
        ))
    })
}

/// What `callrec company …` needs of the configuration.
pub struct CompanySettings {
    pub records: RecordsSettings,
    /// The zone of companies that chose none.
    pub default_zone: Zone,
    /// The phone-number country of companies that chose none.
    pub default_country: Country,
    /// Whether mail is on (a shorter retention is announced by mail).
    pub mail: bool,
    /// Where the master key lives (single sign-on's client secret is
    /// sealed with it).
    pub storage: crate::config::StorageSettings,
}

pub async fn company(
    store: &Store,
    command: CompanyCommand,
    settings: &CompanySettings,
) -> Result<(), CliError> {
    match command {
        CompanyCommand::Add { name } => {
            let name = CompanyName::parse(&name)?;
            let audit = AuditContext::command_line();
            let retention = settings.records.default_retention;
            let company = companies::create_company(store, &name, retention, &audit).await?;
            println!(
                "Added company {:?} (retention: {}).",
                company.name, company.retention
            );
        }
        CompanyCommand::List => {
            let companies = store.list_companies().await?;
            if companies.is_empty() {
                println!("No companies yet. Add one with `callrec company add NAME`.");
            }
            let now = now();
            for company in companies {
                let zone = company.zone(&settings.default_zone);
                let rule = company.retention_rule().at(now);
                let waiting = rule.pending.map_or_else(String::new, |p| {
                    format!(
                        "\tshorter retention {} from {} ({})",
                        p.period,
                        zone.format_minutes(p.from),
                        zone.name()
                    )
                });
                println!(
                    "{}\t{}\tretention: {}{waiting}\ttranscription: {}",
                    company.name,
                    company.mfa_policy.label(),
                    rule.current,
                    if company.transcription { "on" } else { "off" }
                );
            }
        }
        CompanyCommand::Sso(args) => {
            super::sso::company_sso(store, args, &settings.storage).await?
        }
        CompanyCommand::Set {
            company,
            retention,
            country,
            transcription,
            backfill_days,
            redaction,
            wait,
        } => {
            // Every value is checked before anything changes.
            let period = retention
                .map(|text| {
                    Retention::parse_setting(&text)
                        .map_err(|err| CliError::Usage(format!("--retention: {}", err.message)))
                })
                .transpose()?;
            let country = country
                .map(|code| match code.as_str() {
                    "default" => Ok(None),
                    code => Country::parse("country", code)
                        .map(Some)
                        .map_err(|err| CliError::Usage(format!("--country: {}", err.message))),
                })
                .transpose()?;
            let backfill = backfill_days
                .as_deref()
                .map(settings::backfill_days)
                .transpose()
                .map_err(|err| CliError::Usage(format!("--backfill-days: {}", err.message)))?
                .flatten();
            let company = company_named(store, &company).await?;
            if transcription.is_some() || redaction.is_some() || backfill.is_some() {
                let change = TranscriptionChange {
                    on: transcription.map_or(company.transcription, |t| t == "on"),
                    redaction: redaction
                        .as_deref()
                        .and_then(Redaction::parse)
                        .unwrap_or(company.redaction),
                    backfill_days: backfill,
                };
                transcription_set(store, &company, change, wait).await?;
            }
            if let Some(country) = country {
                let zone = Zone::first_of([company.time_zone.as_deref()]);
                let place = CompanyPlace {
                    zone: zone.as_ref(),
                    country,
                };
                set_company_place(store, &company, place, &AuditContext::command_line()).await?;
                let shown = country.unwrap_or(settings.default_country);
                println!(
                    "{:?} reads national phone numbers as {}{}.",
                    company.name,
                    shown.label(),
                    if country.is_none() {
                        ", the portal's default"
                    } else {
                        ""
                    }
                );
            }
            if let Some(period) = period {
                retention_set(store, &company, period, settings).await?;
            }
        }
    }
    Ok(())
}

/// `callrec company set --transcription / --redaction / --backfill-days`.
async fn transcription_set(
    store: &Store,
    company: &Company,
    change: TranscriptionChange,
    wait: bool,
) -> Result<(), CliError> {
    let done =
        settings::change_transcription(store, company, change, &AuditContext::command_line())
            .await?;
    println!(
        "{:?}: transcription {}, redaction {}.",
        company.name,
        if change.on { "on" } else { "off" },
        change.redaction.label()
    );
    if let Some(days) = change.backfill_days {
        println!(
            "Queued {} recordings of the last {days} days that had no transcript.",
            done.queued
        );
    }
    if done.dropped > 0 {
        println!("Took {} waiting recordings off the queue.", done.dropped);
    }
    loop {
        let counts = store.transcription_queue(Some(company.id)).await?;
        println!(
            "Transcripts: {} made, {} waiting, {} failed.",
            counts.done, counts.queued, counts.failed
        );
        if !wait || counts.queued == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    Ok(())
}

/// `callrec company set --retention`.
async fn retention_set(
    store: &Store,
    company: &Company,
    period: Retention,
    settings: &CompanySettings,
) -> Result<(), CliError> {
    let zone = company.zone(&settings.default_zone);
    let request = RetentionRequest {
        company,
        period,
        zone: &zone,
        notice_days: settings.records.retention_notice_days,
        mail: settings.mail,
    };
    let audit = AuditContext::command_line();
    match change_retention(store, &request, None, &audit).await? {
        RetentionSaved::Unchanged => {
            println!("{:?} already keeps recordings for {period}.", company.name)
        }
        RetentionSaved::InForce => {
            println!("{:?} now keeps recordings for {period}.", company.name)
        }
        RetentionSaved::Scheduled { from } => println!(
            "{:?} keeps recordings for {period} from {} ({}); until then for {}. \
             `callrec company set --retention` with the present period cancels it.",
            company.name,
            zone.format_minutes(from),
            zone.name(),
            company.retention_rule().in_force(now())
        ),
    }
    Ok(())
}

pub async fn team(store: &Store, command: TeamCommand) -> Result<(), CliError> {
    match command {
        TeamCommand::Add { company, team } => {
            let company = company_named(store, &company).await?;
            let name = TeamName::parse(&team)?;
            let audit = AuditContext::command_line();
            let team = callrec_app::teams::create_team(store, company.id, &name, &audit).await?;
            println!("Added team {:?} to {:?}.", team.name, company.name);
        }
    }
    Ok(())
}

/// `temporary_hours`: how long a password set here stays good, unless
/// `--permanent`; `mail`: whether the portal sends mail (notices are
/// queued for it).
pub async fn user(
    store: &Store,
    command: UserCommand,
    temporary_hours: i64,
    mail: bool,
) -> Result<(), CliError> {
    let passwords = Passwords::new(&Argon2Settings::default())?;
    let life = |permanent: bool| {
        if permanent {
            PasswordLife::Permanent
        } else {
            PasswordLife::temporary(now(), temporary_hours)
        }
    };
    match command {
        UserCommand::Add(args) => {
            let password_life = life(args.permanent);
            add_user(store, &passwords, args, password_life).await
        }
        UserCommand::List { company } => list_users(store, company).await,
        UserCommand::ResetMfa { username } => {
            let user = user_named(store, &username).await?;
            // Queued for the portal's sender when mail is configured.
            accounts::reset_mfa(store, mail, &user, &AuditContext::command_line()).await?;
            println!(
                "MFA reset for {}; their sessions have ended. They register again at their next sign-in if MFA applies.",
                user.username
            );
            Ok(())
        }
        UserCommand::SetPassword {
            username,
            permanent,
            ..
        } => {
            let user = user_named(store, &username).await?;
            let password = NewPassword::parse(&read_password_line()?, &user.username)?;
            let password_life = life(permanent);
            accounts::set_password(
                store,
                &passwords,
                &user,
                &password,
                password_life,
                &AuditContext::command_line(),
            )
            .await?;
            println!(
                "Password set for {}; their sessions have ended.{}",
                user.username,
                temporary_note(password_life)
            );
            Ok(())
        }
    }
}

async fn add_user(
    store: &Store,
    passwords: &Passwords,
    args: UserAddArgs,
    password_life: PasswordLife,
) -> Result<(), CliError> {
    // Everything is checked before anything is written.
    let username = Username::parse(&args.username)?;
    let level = Level::parse(&args.level)?;
    let roles = args
        .roles
        .iter()
        .map(|name| Role::parse(name).map_err(|err| CliError::Usage(err.to_string())))
        .collect::<Result<RoleSet, _>>()?;
    let display_name = DisplayName::parse(args.name.as_deref().unwrap_or(username.as_str()))?;
    let email = Email::parse_optional(args.email.as_deref().unwrap_or(""))?;
    let extension =
        PhoneNumber::parse_optional("extension", args.extension.as_deref().unwrap_or(""))?;
    let company = company_named(store, &args.company).await?;
    let team_id = match &args.team {
        Some(team) => Some(
            store
                .team_by_name(company.id, team)
                .await?
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "company {:?} has no team named {team:?}",
                        company.name
                    ))
                })?
                .id,
        ),
        None => None,
    };
    if store.user_by_username(username.as_str()).await?.is_some() {
        return Err(CliError::Usage(format!(
            "a user named {:?} already exists (usernames ignore case)",
            username.as_str()
        )));
    }
    let password = NewPassword::parse(&read_password_line()?, username.as_str())?;
    let user = accounts::create_user(
        store,
        passwords,
        callrec_app::Caller::Operator,
        CreateUser {
            company_id: company.id,
            team_id,
            username,
            display_name,
            email,
            extension,
            level,
            roles,
            password,
            password_life,
        },
        &AuditContext::command_line(),
    )
    .await?;
    println!(
        "Added {} user {:?} to {:?} with roles: {}.{}",
        user.level.label(),
        user.username,
        user.company_name,
        role_list(&user.roles),
        temporary_note(password_life)
    );
    Ok(())
}

async fn list_users(store: &Store, company: Option<String>) -> Result<(), CliError> {
    let company = match company {
        Some(name) => Some(company_named(store, &name).await?.id),
        None => None,
    };
    let mut page = 0;
    println!("USERNAME\tNAME\tCOMPANY\tLEVEL\tTEAM\tSTATUS\tROLES\tEXTENSION");
    loop {
        let users = store
            .list_users(&UserQuery {
                scope: DataScope::Everything,
                company,
                search: None,
                page,
                per_page: 500,
            })
            .await?;
        for user in &users.items {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                user.username,
                user.display_name,
                user.company_name,
                user.level.label(),
                user.team_name.as_deref().unwrap_or("-"),
                if user.enabled { "enabled" } else { "disabled" },
                role_list(&user.roles),
                user.extension.as_ref().map_or("-", |e| e.as_str())
            );
        }
        if !users.has_next() {
            return Ok(());
        }
        page += 1;
    }
}

/// What a temporary password means for its holder, for the CLI's answer.
fn temporary_note(life: PasswordLife) -> String {
    match life {
        PasswordLife::Permanent => String::new(),
        PasswordLife::Temporary { expires_at } => format!(
            " The password is temporary: it must be changed at the first sign-in, by {}.",
            callrec_domain::time::format_utc(expires_at)
        ),
    }
}
