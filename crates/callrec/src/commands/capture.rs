//! `callrec capture add-source|list|remove`: who may send calls to the
//! recording server. Audited as cli.

use super::admin::company_named;
use crate::cli::CaptureCommand;
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::capture::{add_source, parse_source_address, remove_source, Sharing};
use callrec_domain::time::format_utc;
use callrec_store::Store;

pub async fn run(store: &Store, command: CaptureCommand) -> Result<(), CliError> {
    match command {
        CaptureCommand::AddSource {
            company,
            address,
            name,
        } => {
            let company = company_named(store, &company).await?;
            let source = add_source(
                store,
                &company,
                name.as_deref(),
                &address,
                // The operator may share an SBC between companies.
                Sharing::MayShare,
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
        CaptureCommand::Remove { company, address } => {
            let company = company_named(store, &company).await?;
            let wanted = parse_source_address(&address)?.to_string();
            let no_such = || {
                CliError::Usage(format!(
                    "{:?} has no recording source at {wanted}; `callrec capture list` shows them",
                    company.name
                ))
            };
            let source = store
                .capture_sources(Some(company.id))
                .await?
                .into_iter()
                .find(|s| s.address == wanted)
                .ok_or_else(no_such)?;
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
    }
    Ok(())
}
