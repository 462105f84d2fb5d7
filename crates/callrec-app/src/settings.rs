//! Settings people choose: a company's time zone (Company settings) and a
//! user's own (My account), each audited.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::zone::Zone;
use callrec_store::{Company, Store, User};

fn shown(zone: Option<&str>) -> &str {
    zone.unwrap_or("the default")
}

/// The company's time zone; `None` is the portal's default.
pub async fn set_company_time_zone(
    store: &Store,
    company: &Company,
    zone: Option<&Zone>,
    audit: &AuditContext,
) -> Result<(), Error> {
    let new = zone.map(Zone::name);
    if new == company.time_zone.as_deref() {
        return Ok(());
    }
    let mut write = store.write(audit.now).await?;
    write.set_company_time_zone(company.id, new).await?;
    let details = format!(
        "time zone {} → {}",
        shown(company.time_zone.as_deref()),
        shown(new)
    );
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(details);
    Ok(write.commit_with(entry).await?)
}

/// The user's own time zone; `None` is their company's.
pub async fn set_own_time_zone(
    store: &Store,
    user: &User,
    zone: Option<&Zone>,
    audit: &AuditContext,
) -> Result<(), Error> {
    let new = zone.map(Zone::name);
    if new == user.time_zone.as_deref() {
        return Ok(());
    }
    let mut write = store.write(audit.now).await?;
    write.set_user_time_zone(user.id, new).await?;
    let details = format!(
        "own time zone {} → {}",
        shown(user.time_zone.as_deref()),
        shown(new)
    );
    let entry = audit
        .entry_on(AuditAction::UserChanged, user)
        .details(details);
    Ok(write.commit_with(entry).await?)
}
