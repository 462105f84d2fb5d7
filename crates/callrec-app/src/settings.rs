//! Settings people choose: a company's time zone and country for phone
//! numbers (Company settings) and a user's own time zone (My account),
//! each audited.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::country::Country;
use callrec_domain::zone::Zone;
use callrec_store::{Company, Store, User};

fn shown(zone: Option<&str>) -> &str {
    zone.unwrap_or("the default")
}

/// Where a company is: its time zone and the country its national
/// numbers are typed in; `None` is the portal's default.
pub struct CompanyPlace<'a> {
    pub zone: Option<&'a Zone>,
    pub country: Option<Country>,
}

/// The company's time zone and country for phone numbers, in one change
/// and one entry naming what changed.
pub async fn set_company_place(
    store: &Store,
    company: &Company,
    place: CompanyPlace<'_>,
    audit: &AuditContext,
) -> Result<(), Error> {
    let zone = place.zone.map(Zone::name);
    let country = place.country.map(|c| c.code());
    let mut changes = Vec::new();
    if zone != company.time_zone.as_deref() {
        changes.push(format!(
            "time zone {} → {}",
            shown(company.time_zone.as_deref()),
            shown(zone)
        ));
    }
    if country != company.phone_country.as_deref() {
        changes.push(format!(
            "country for phone numbers {} → {}",
            shown(company.phone_country.as_deref()),
            shown(country)
        ));
    }
    if changes.is_empty() {
        return Ok(());
    }
    let mut write = store.write(audit.now).await?;
    write.set_company_time_zone(company.id, zone).await?;
    write.set_company_phone_country(company.id, country).await?;
    let details = changes.join("; ");
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
