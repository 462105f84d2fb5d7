//! `callrec token create|list|revoke`: API tokens for the API.

use super::admin::company_named;
use super::now;
use crate::cli::TokenCommand;
use crate::error::CliError;
use callrec_app::audit::AuditContext;
use callrec_app::{announce_token, create_token, revoke_token, TokenRequest};
use callrec_domain::api_scope::{token_lifetime_days, ApiScope, ApiScopes};
use callrec_domain::time::format_utc;
use callrec_domain::TokenName;
use callrec_store::Store;

/// `--scope` as given (repeated or comma-separated); none means ingest,
/// what every token could do before scopes.
fn scopes_of(given: &[String]) -> Result<ApiScopes, CliError> {
    if given.iter().all(|s| s.trim().is_empty()) {
        return Ok(ApiScopes::of([ApiScope::Ingest]).expect("one scope"));
    }
    ApiScopes::parse(&given.join(","))
        .map_err(|e| CliError::Usage(format!("--scope: {}", e.message)))
}

/// `mail`: whether the portal sends mail (a new token is announced).
pub async fn run(store: &Store, command: TokenCommand, mail: bool) -> Result<(), CliError> {
    let now = now();
    match command {
        TokenCommand::Create {
            company,
            name,
            scope,
            expires_in_days,
        } => {
            let name = TokenName::parse(&name)
                .map_err(|e| CliError::Usage(format!("--name: {}", e.message)))?;
            let scopes = scopes_of(&scope)?;
            let lifetime_days = token_lifetime_days(expires_in_days.as_deref().unwrap_or(""))
                .map_err(|e| CliError::Usage(format!("--expires-in-days: {}", e.message)))?;
            let company = company_named(store, &company).await?;
            let request = TokenRequest {
                company: company.id,
                name,
                scopes,
                lifetime_days,
            };
            let audit = AuditContext::command_line();
            let (stored, token) =
                create_token(store, callrec_app::Caller::Operator, &request, &audit).await?;
            if mail {
                announce_token(store, &stored, None, &audit).await?;
            }
            let until = stored.expires_at.map_or_else(
                || "until revoked".to_string(),
                |at| format!("until {}", format_utc(at)),
            );
            println!(
                "Created token {:?} for {:?} with scopes {} ({until}). It is shown only now; keep it secret:",
                stored.name, company.name, stored.scopes
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
                println!("No tokens. Create one with `callrec token create --company NAME --name LABEL --scope SCOPE`.");
            }
            for token in tokens {
                let last_use = match (&token.last_used_at, &token.last_used_addr) {
                    (Some(at), Some(addr)) => format!("last used {} from {addr}", format_utc(*at)),
                    _ => "never used".to_string(),
                };
                let expiry = token.expires_at.map_or_else(
                    || "no expiry".to_string(),
                    |at| format!("expires {}", format_utc(at)),
                );
                println!(
                    "{}\t{}\t{}\tcreated {}\t{expiry}\t{last_use}\t{}",
                    token.company_name,
                    token.name,
                    token.scopes,
                    format_utc(token.created_at),
                    token.state(now).label().to_lowercase()
                );
            }
        }
        TokenCommand::Revoke { company, name } => {
            let company = company_named(store, &company).await?;
            let no_such = || {
                CliError::Usage(format!(
                    "{:?} has no active token named {name:?}; `callrec token list` shows them",
                    company.name
                ))
            };
            let token = store
                .list_api_tokens(Some(company.id))
                .await?
                .into_iter()
                .find(|t| t.name == name.trim() && t.revoked_at.is_none())
                .ok_or_else(no_such)?;
            if !revoke_token(store, &token, &AuditContext::command_line()).await? {
                return Err(no_such());
            }
            println!("Revoked token {:?} of {:?}.", token.name, company.name);
        }
    }
    Ok(())
}
