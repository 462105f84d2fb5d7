//! Companies (the Companies page for Global users, `callrec company add`):
//! add, rename, disable and enable, each audited. A disabled company's
//! users cannot sign in and its API tokens stop working.

use crate::audit::AuditContext;
use crate::{Caller, Error};
use callrec_domain::audit::AuditAction;
use callrec_domain::retention::Retention;
use callrec_domain::{CompanyName, ValidationError};
use callrec_store::{Company, NewAuditEntry, Store};

fn entry(audit: &AuditContext, action: AuditAction, company: &Company) -> NewAuditEntry {
    audit
        .entry(action)
        .company(company.id)
        .target(&company.name)
}

/// A new company, keeping its recordings for `retention`
/// (`CALLREC_DEFAULT_RETENTION`).
pub async fn create_company(
    store: &Store,
    name: &CompanyName,
    retention: Retention,
    audit: &AuditContext,
) -> Result<Company, Error> {
    let mut write = store.write(audit.now).await?;
    let company = write.create_company(name, retention).await?;
    write
        .audit(entry(audit, AuditAction::CompanyCreated, &company))
        .await?;
    write.commit().await?;
    Ok(company)
}

pub async fn rename_company(
    store: &Store,
    company: &Company,
    name: &CompanyName,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    write.rename_company(company.id, name).await?;
    let details = format!("\"{}\" → \"{}\"", company.name, name);
    write
        .audit(entry(audit, AuditAction::CompanyRenamed, company).details(details))
        .await?;
    Ok(write.commit().await?)
}

/// Disabling ends every session of the company's users at once; nobody
/// disables their own company (it would sign them out for good).
pub async fn set_company_enabled(
    store: &Store,
    caller: Caller<'_>,
    company: &Company,
    enabled: bool,
    audit: &AuditContext,
) -> Result<(), Error> {
    if !enabled && caller.own_company() == Some(company.id) {
        return Err(ValidationError::new(
            "enabled",
            "You cannot disable your own company: it would sign you out for good",
        )
        .into());
    }
    let mut write = store.write(audit.now).await?;
    let ended = write.set_company_enabled(company.id, enabled).await?;
    let (action, details) = if enabled {
        (AuditAction::CompanyEnabled, String::new())
    } else {
        (
            AuditAction::CompanyDisabled,
            format!("{ended} sessions ended"),
        )
    };
    write
        .audit(entry(audit, action, company).details(details))
        .await?;
    Ok(write.commit().await?)
}
