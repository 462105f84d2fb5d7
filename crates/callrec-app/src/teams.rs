//! Teams (the Teams page): add, rename, enable and disable, each audited.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::{CompanyId, TeamName};
use callrec_store::{Store, Team};

fn entry(audit: &AuditContext, action: AuditAction, team: &Team) -> callrec_store::NewAuditEntry {
    audit
        .entry(action)
        .company(team.company_id)
        .target(&team.name)
}

pub async fn create_team(
    store: &Store,
    company: CompanyId,
    name: &TeamName,
    audit: &AuditContext,
) -> Result<Team, Error> {
    let mut write = store.write(audit.now).await?;
    let team = write.create_team(company, name).await?;
    write
        .audit(entry(audit, AuditAction::TeamCreated, &team))
        .await?;
    write.commit().await?;
    Ok(team)
}

pub async fn rename_team(
    store: &Store,
    team: &Team,
    name: &TeamName,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    write.rename_team(team.company_id, team.id, name).await?;
    let details = format!("\"{}\" → \"{}\"", team.name, name);
    write
        .audit(entry(audit, AuditAction::TeamRenamed, team).details(details))
        .await?;
    Ok(write.commit().await?)
}

pub async fn set_team_enabled(
    store: &Store,
    team: &Team,
    enabled: bool,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    write
        .set_team_enabled(team.company_id, team.id, enabled)
        .await?;
    let action = if enabled {
        AuditAction::TeamEnabled
    } else {
        AuditAction::TeamDisabled
    };
    write.audit(entry(audit, action, team)).await?;
    Ok(write.commit().await?)
}
