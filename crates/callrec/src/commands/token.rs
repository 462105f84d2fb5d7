//! `callrec token create|list|revoke`: API tokens for the ingest API.

use super::now;
use crate::cli::TokenCommand;
use crate::error::CliError;
use callrec_app::accounts::AuditContext;
use callrec_app::{new_token, token_hash};
use callrec_domain::time::format_utc;
use callrec_store::{AuditAction, Company, Store};

async fn company_named(store: &Store, name: &str) -> Result<Company, CliError> {
    store.company_by_name(name).await?.ok_or_else(|| {
        CliError::Usage(format!(
            "no company named {name:?}; `callrec company list` shows the companies"
        ))
    })
}

fn check_label(name: &str) -> Result<&str, CliError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(CliError::Usage(
            "--name must be 1 to 64 printable characters".into(),
        ));
    }
    Ok(name)
}

pub async fn run(store: &Store, command: TokenCommand) -> Result<(), CliError> {
    match command {
        TokenCommand::Create { company, name } => {
            let name = check_label(&name)?;
            let company = company_named(store, &company).await?;
            let token = new_token();
            store
                .create_api_token(company.id, name, &token_hash(&token), now())
                .await?;
            let entry = AuditContext::command_line()
                .entry(AuditAction::TokenCreated)
                .company(company.id)
                .target(name);
            store.audit(entry, now()).await?;
            println!(
                "Created token {name:?} for {:?}. It is shown only now; keep it secret:",
                company.name
            );
            println!("{token}");
        }
        TokenCommand::List { company } => {
            let company = match company {
                Some(name) => Some(company_named(store, &name).await?.id),
                None => None,
            };
            let tokens = store.list_api_tokens(company).await?;
            if tokens.is_empty() {
                println!("No tokens. Create one with `callrec token create --company NAME --name LABEL`.");
            }
            for token in tokens {
                println!(
                    "{}\t{}\tcreated {}\t{}",
                    token.company_name,
                    token.name,
                    format_utc(token.created_at),
                    if token.revoked { "revoked" } else { "active" }
                );
            }
        }
        TokenCommand::Revoke { company, name } => {
            let company = company_named(store, &company).await?;
            if !store
                .revoke_api_token(company.id, name.trim(), now())
                .await?
            {
                return Err(CliError::Usage(format!(
                    "{:?} has no active token named {name:?}; `callrec token list` shows them",
                    company.name
                )));
            }
            let entry = AuditContext::command_line()
                .entry(AuditAction::TokenRevoked)
                .company(company.id)
                .target(name.trim());
            store.audit(entry, now()).await?;
            println!("Revoked token {name:?} of {:?}.", company.name);
        }
    }
    Ok(())
}
