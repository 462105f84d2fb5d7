//! A company's numbers (Company settings → Numbers, `callrec capture
//! add-numbers`): the E.164 ranges a shared SBC's calls are routed by, and
//! the numbers and extensions that tell a captured call's direction.
//!
//! Phone numbers decide whose calls a shared SBC's are, so only the
//! portal's operator (Global users, the command line) gives them; a
//! company's administrators keep its extensions.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::country::Country;
use callrec_domain::numbers::{NumberKind, NumberRange, MAX_RANGES};
use callrec_domain::{CompanyId, ValidationError};
use callrec_store::{Company, CompanyNumbers, NumbersRefused, Store};

/// Who changes a company's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumbersBy {
    /// The portal's operator: phone numbers and extensions.
    Operator,
    /// The company's own administrators: extensions only.
    Company,
}

impl NumbersBy {
    /// Whether it may add or remove ranges of `kind`.
    pub fn may_change(self, kind: NumberKind) -> bool {
        self == NumbersBy::Operator || kind == NumberKind::Extension
    }
}

/// Adds the number or range `first`..`last` (`last` empty: one number),
/// national numbers read in the company's country (else `default_country`).
pub async fn add_numbers(
    store: &Store,
    company: &Company,
    first: &str,
    last: &str,
    default_country: Country,
    by: NumbersBy,
    audit: &AuditContext,
) -> Result<CompanyNumbers, Error> {
    let range = NumberRange::parse(first, last, company.country(default_country))?;
    if !by.may_change(range.kind()) {
        return Err(ValidationError::new(
            "first",
            "phone numbers are given to a company by the portal's operator (they decide whose calls a shared SBC's are): ask them; extensions you can add here",
        )
        .into());
    }
    let mut write = store.write(audit.now).await?;
    let id = match write.add_company_numbers(company.id, &range).await? {
        Ok(id) => id,
        Err(NumbersRefused::Overlaps(held)) if held.company_id == company.id => {
            return Err(ValidationError::new(
                "first",
                format!("{range} overlaps {}, which {} has already", held.range, company.name),
            )
            .into())
        }
        // Another company's numbers are not named to this one.
        Err(NumbersRefused::Overlaps(_)) => {
            return Err(ValidationError::new(
                "first",
                format!("{range} includes numbers another company has: ask the portal's operator if they are yours"),
            )
            .into())
        }
        Err(NumbersRefused::TooMany) => {
            return Err(ValidationError::new(
                "first",
                format!("{} has {MAX_RANGES} ranges already: remove one, or join neighbouring ranges into one", company.name),
            )
            .into())
        }
    };
    let entry = audit
        .entry(AuditAction::NumbersAdded)
        .company(company.id)
        .target(&company.name)
        .details(describe(&range));
    write.commit_with(entry).await?;
    Ok(CompanyNumbers {
        id,
        company_id: company.id,
        company_name: company.name.clone(),
        range,
        created_at: audit.now,
    })
}

/// Removes range `id` (of `company` only, when given); `None` if there is
/// no such range in scope (for a company's administrators, a phone
/// number range is not).
pub async fn remove_numbers(
    store: &Store,
    id: i64,
    company: Option<CompanyId>,
    by: NumbersBy,
    audit: &AuditContext,
) -> Result<Option<CompanyNumbers>, Error> {
    let mut write = store.write(audit.now).await?;
    let kind = match by {
        NumbersBy::Operator => None,
        NumbersBy::Company => Some(NumberKind::Extension),
    };
    let Some(removed) = write.remove_company_numbers(id, company, kind).await? else {
        return Ok(None);
    };
    let entry = audit
        .entry(AuditAction::NumbersRemoved)
        .company(removed.company_id)
        .target(&removed.company_name)
        .details(describe(&removed.range));
    write.commit_with(entry).await?;
    Ok(Some(removed))
}

/// `+442079460000 to +442079460999 (1000 numbers)`, `201 (extension)`.
pub fn describe(range: &NumberRange) -> String {
    format!("{range} ({})", size_of(range))
}

/// `1000 numbers`, `1 extension`.
pub fn size_of(range: &NumberRange) -> String {
    let (one, many) = match range.kind() {
        NumberKind::Extension => ("extension", "extensions"),
        NumberKind::Phone => ("number", "numbers"),
    };
    match range.count() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}
