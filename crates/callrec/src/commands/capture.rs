//! `callrec capture add-source|list|remove` (who may send calls to the
//! recording server) and `add-numbers|list-numbers|remove-numbers` (whose
//! calls they are). Audited as cli.

use super::admin::company_named;
use crate::cli::{CaptureCommand, SipCredentialArgs};
use crate::config::StorageSettings;
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::capture::{
    add_source, parse_source_address, remove_source, set_source_credentials, Sharing,
};
use callrec_app::numbers::{add_numbers, describe, remove_numbers, size_of, NumbersBy};
use callrec_domain::country::Country;
use callrec_domain::numbers::NumberRange;
use callrec_domain::sip_credentials::SipCredentials;
use callrec_domain::time::format_utc;
use callrec_store::{CaptureSource, Company, Store};

pub async fn run(
    store: &Store,
    command: CaptureCommand,
    country: Country,
    storage: &StorageSettings,
) -> Result<(), CliError> {
    match command {
        CaptureCommand::AddSource {
            company,
            address,
            name,
            credentials,
        } => {
            let company = company_named(store, &company).await?;
            let credentials = credentials_of(&credentials)?;
            let keyring = match &credentials {
                Some(_) => Some(super::keyring(storage, store).await?),
                None => None,
            };
            let source = add_source(
                store,
                &company,
                name.as_deref(),
                &address,
                // The operator may share an SBC between companies.
                Sharing::MayShare,
                credentials.as_ref().zip(keyring.as_ref()),
                &AuditContext::command_line(),
            )
            .await?;
            println!(
                "{:?} now accepts calls from {} ({:?}).",
                company.name, source.address, source.name
            );
        }
        CaptureCommand::List { company } => {
            let company = match company {
                Some(name) => Some(company_named(store, &name).await?.id),
                None => None,
            };
            let sources = store.capture_sources(company).await?;
            if sources.is_empty() {
                println!(
                    "No recording sources. Add one with `callrec capture add-source --company NAME --address CIDR`."
                );
            }
            for source in sources {
                println!(
                    "{}\t{}\t{}\tadded {}",
                    source.company_name,
                    source.address,
                    source.name,
                    format_utc(source.created_at)
                );
            }
        }
        CaptureCommand::SetCredentials {
            company,
            address,
            credentials,
            clear,
        } => {
            let company = company_named(store, &company).await?;
            let source = source_at(store, &company, &address).await?;
            let credentials = credentials_of(&credentials)?;
            if credentials.is_none() && !clear {
                return Err(CliError::Usage(
                    "give --sip-username NAME --sip-password-stdin, or --clear to remove the credentials".into(),
                ));
            }
            let keyring = super::keyring(storage, store).await?;
            set_source_credentials(
                store,
                &keyring,
                source.id,
                Some(company.id),
                credentials.as_ref(),
                &AuditContext::command_line(),
            )
            .await?
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "{:?} has no recording source at {} any more; `callrec capture list` shows them",
                    company.name, source.address
                ))
            })?;
            match credentials {
                Some(c) => println!(
                    "{} ({}) now signs in as {:?}.",
                    source.name,
                    source.address,
                    c.username()
                ),
                None => println!(
                    "{} ({}) has no credentials: its address alone admits it.",
                    source.name, source.address
                ),
            }
        }
        CaptureCommand::Remove { company, address } => {
            let company = company_named(store, &company).await?;
            let source = source_at(store, &company, &address).await?;
            let wanted = source.address.clone();
            let no_such = || {
                CliError::Usage(format!(
                    "{:?} has no recording source at {wanted}; `callrec capture list` shows them",
                    company.name
                ))
            };
            remove_source(
                store,
                source.id,
                Some(company.id),
                &AuditContext::command_line(),
            )
            .await?
            .ok_or_else(no_such)?;
            println!("{:?} no longer accepts calls from {wanted}.", company.name);
        }
        CaptureCommand::AddNumbers {
            company,
            first,
            last,
        } => {
            let company = company_named(store, &company).await?;
            let added = add_numbers(
                store,
                &company,
                &first,
                last.as_deref().unwrap_or(""),
                country,
                NumbersBy::Operator,
                &AuditContext::command_line(),
            )
            .await?;
            println!("{:?} now has {}.", company.name, describe(&added.range));
        }
        CaptureCommand::ListNumbers { company } => {
            let company = match company {
                Some(name) => Some(company_named(store, &name).await?.id),
                None => None,
            };
            let numbers = store.company_numbers(company).await?;
            if numbers.is_empty() {
                println!(
                    "No numbers. Add some with `callrec capture add-numbers --company NAME --first NUMBER [--last NUMBER]`."
                );
            }
            for held in numbers {
                println!(
                    "{}\t{}\t{}\tadded {}",
                    held.company_name,
                    held.range,
                    size_of(&held.range),
                    format_utc(held.created_at)
                );
            }
        }
        CaptureCommand::RemoveNumbers {
            company,
            first,
            last,
        } => {
            let company = company_named(store, &company).await?;
            let wanted = NumberRange::parse(
                &first,
                last.as_deref().unwrap_or(""),
                company.country(country),
            )?;
            let no_such = || {
                CliError::Usage(format!(
                    "{:?} has no numbers {wanted}; `callrec capture list-numbers` shows them",
                    company.name
                ))
            };
            let held = store
                .company_numbers(Some(company.id))
                .await?
                .into_iter()
                .find(|n| n.range == wanted)
                .ok_or_else(no_such)?;
            remove_numbers(
                store,
                held.id,
                Some(company.id),
                NumbersBy::Operator,
                &AuditContext::command_line(),
            )
            .await?
            .ok_or_else(no_such)?;
            println!("{:?} no longer has {wanted}.", company.name);
        }
    }
    Ok(())
}

/// `company`'s source at `address` (any spelling of the same network).
async fn source_at(
    store: &Store,
    company: &Company,
    address: &str,
) -> Result<CaptureSource, CliError> {
    let wanted = parse_source_address(address)?.to_string();
    store
        .capture_sources(Some(company.id))
        .await?
        .into_iter()
        .find(|s| s.address == wanted)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{:?} has no recording source at {wanted}; `callrec capture list` shows them",
                company.name
            ))
        })
}

/// The credentials given, the password read from standard input.
fn credentials_of(args: &SipCredentialArgs) -> Result<Option<SipCredentials>, CliError> {
    match &args.sip_username {
        Some(username) if args.sip_password_stdin => {
            let password = super::read_password_line()?;
            Ok(Some(SipCredentials::parse(username, &password)?))
        }
        _ => Ok(None),
    }
}
