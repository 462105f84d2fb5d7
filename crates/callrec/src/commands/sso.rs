//! `callrec company sso`: a company's single sign-on, set or turned off.

use super::admin::company_named;
use super::read_password_line;
use crate::cli::CompanySsoArgs;
use crate::config::StorageSettings;
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::sso::settings::{configure_sso, turn_off_sso, SsoChange};
use callrec_app::sso::Providers;
use callrec_app::Caller;
use callrec_domain::sso::{parse_domains, ClientId, ClientSecret, IssuerUrl, SsoMfa};
use callrec_domain::ValidationError;
use callrec_store::Store;

pub async fn company_sso(
    store: &Store,
    args: CompanySsoArgs,
    storage: &StorageSettings,
) -> Result<(), CliError> {
    let company = company_named(store, &args.company).await?;
    let audit = AuditContext::command_line();
    if args.off {
        let was_on = turn_off_sso(store, Caller::Operator, &company, &audit).await?;
        println!(
            "{:?}: single sign-on {}.",
            company.name,
            if was_on {
                "turned off"
            } else {
                "was already off"
            }
        );
        return Ok(());
    }
    let issuer =
        IssuerUrl::parse(args.issuer.as_deref().unwrap_or("")).map_err(flag("--issuer"))?;
    let client_id =
        ClientId::parse(args.client_id.as_deref().unwrap_or("")).map_err(flag("--client-id"))?;
    let domains =
        parse_domains(args.domain.iter().map(String::as_str)).map_err(flag("--domain"))?;
    let mfa = SsoMfa::parse(&args.mfa).map_err(flag("--mfa"))?;
    let team = match &args.team {
        Some(name) => {
            let teams = store.list_teams(Some(company.id)).await?;
            let found = teams
                .into_iter()
                .find(|team| team.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "--team: {:?} has no team named {name:?}",
                        company.name
                    ))
                })?;
            Some(found.id)
        }
        None => None,
    };
    let mut local_admins = Vec::new();
    for username in &args.local_admin {
        let user = store
            .user_by_username(username)
            .await?
            .filter(|user| user.company_id == company.id)
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--local-admin: {:?} has no user named {username:?}",
                    company.name
                ))
            })?;
        local_admins.push(user.id);
    }
    let client_secret = if args.client_secret_stdin {
        Some(ClientSecret::parse(&read_password_line()?).map_err(flag("client secret"))?)
    } else {
        None
    };
    let keyring = super::keyring(storage, store).await?;
    let providers = Providers::new()?;
    let change = SsoChange {
        issuer,
        client_id,
        client_secret,
        domains,
        mfa,
        create_users: args.create_users,
        team,
        required: args.required,
        local_admins,
        trust_email: args.trust_email,
    };
    let shown = change
        .domains
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    configure_sso(
        store,
        &providers,
        &keyring,
        Caller::Operator,
        &company,
        change,
        &audit,
    )
    .await
    .map_err(|err| match err {
        callrec_app::Error::Invalid(refused) => {
            let name = match refused.field {
                "issuer" => "--issuer",
                "client_secret" => "--client-secret-stdin",
                "domains" => "--domain",
                "team" => "--team",
                _ => "--local-admin",
            };
            flag(name)(refused)
        }
        other => other.into(),
    })?;
    println!(
        "{:?}: single sign-on on for {shown} (MFA: {}{}).",
        company.name,
        mfa.label(),
        if args.required {
            "; passwords refused but to local administrators"
        } else {
            ""
        }
    );
    println!("Register the portal at the provider with the redirect URI {{CALLREC_PUBLIC_URL}}/sso/callback.");
    Ok(())
}

/// A refused value, named by the flag that gave it.
fn flag(name: &'static str) -> impl Fn(ValidationError) -> CliError {
    move |err| CliError::Usage(format!("{name}: {}", err.message))
}
