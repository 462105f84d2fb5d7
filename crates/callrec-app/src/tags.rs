//! Tags: a company's own list (Company settings → Tags) and the tags on
//! its recordings (a recording's page, or the ticked rows of Recordings).
//! Every change is audited.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::{TagName, ValidationError};
use callrec_store::{Company, Recording, Store, Tag};

/// Adds a tag to the company's list.
pub async fn add_tag(
    store: &Store,
    company: &Company,
    name: &TagName,
    audit: &AuditContext,
) -> Result<Tag, Error> {
    let mut write = store.write(audit.now).await?;
    let Some(tag) = write.add_tag(company.id, name).await? else {
        return Err(ValidationError::new(
            "tag",
            format!("{} has a tag called {name} already.", company.name),
        )
        .into());
    };
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(format!("tag \"{name}\" added"));
    write.commit_with(entry).await?;
    Ok(tag)
}

/// Removes a tag from the company's list and every recording; false if
/// it was not there.
pub async fn remove_tag(
    store: &Store,
    company: &Company,
    tag: &Tag,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let mut write = store.write(audit.now).await?;
    if !write.remove_tag(company.id, tag.id).await? {
        return Ok(false);
    }
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(format!("tag \"{}\" removed", tag.name));
    write.commit_with(entry).await?;
    Ok(true)
}

/// Sets a recording's tags to `wanted` (of its company's `list`): one
/// change and one entry naming what was added and taken off.
pub async fn set_tags(
    store: &Store,
    recording: &Recording,
    list: &[Tag],
    wanted: &[i64],
    audit: &AuditContext,
) -> Result<(), Error> {
    let now_on = store.recording_tags(&recording.id).await?;
    let mut write = store.write(audit.now).await?;
    let mut said = Vec::new();
    for tag in list {
        let on = now_on.iter().any(|t| t.id == tag.id);
        let want = wanted.contains(&tag.id);
        if want && !on && write.tag_recording(&recording.id, tag.id).await? {
            said.push(format!("+{}", tag.name));
        } else if on && !want && write.untag_recording(&recording.id, tag.id).await? {
            said.push(format!("−{}", tag.name));
        }
    }
    if said.is_empty() {
        return Ok(());
    }
    let entry = audit
        .entry(AuditAction::RecordingTagsChanged)
        .company(recording.company_id)
        .target(recording.id.as_str())
        .details(said.join(" "));
    Ok(write.commit_with(entry).await?)
}

/// Puts `tag` on each of `recordings` (the ticked rows): one change, an
/// entry for each recording it was new on.
pub async fn tag_all(
    store: &Store,
    recordings: &[Recording],
    tag: &Tag,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut write = store.write(audit.now).await?;
    for recording in recordings {
        if write.tag_recording(&recording.id, tag.id).await? {
            let entry = audit
                .entry(AuditAction::RecordingTagsChanged)
                .company(recording.company_id)
                .target(recording.id.as_str())
                .details(format!("+{}", tag.name));
            write.audit(entry).await?;
        }
    }
    Ok(write.commit().await?)
}
