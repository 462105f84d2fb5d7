//! The asterisk layout: FreePBX's MixMonitor recordings, whose names say
//! the call (`callrec_domain::freepbx`), with FreePBX's CDR row when
//! `--cdr` names its database.

use crate::error::CliError;
use callrec_domain::freepbx::RecordingName;
use callrec_domain::metadata::{validate_metadata, Metadata, MetadataInput};
use callrec_domain::phone::PhoneNumber;
use callrec_domain::time::format_rfc3339_ms;
use callrec_domain::zone::Zone;
use callrec_store::freepbx_cdr::CdrDatabase;
use std::path::Path;

/// Every file but hidden ones and the reasons beside rejected files: a
/// recording in a format callrec does not take is rejected, not ignored.
pub fn takes(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with(".reason")
}

/// The call `audio` is, or why it cannot be imported.
pub async fn metadata(
    audio: &Path,
    zone: &Zone,
    cdr: Option<&CdrDatabase>,
) -> Result<Result<Metadata, String>, CliError> {
    let file = super::file_name(audio);
    let mut name = match RecordingName::parse(&file) {
        Ok(name) => name,
        Err(err) => return Ok(Err(err.to_string())),
    };
    let mut duration_ms = None;
    if let Some(cdr) = cdr {
        if let Some(row) = cdr.call(&name.uniqueid).await? {
            // A WAV's header has its exact length; other formats take the
            // answered time.
            let wav = audio
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
            if !wav {
                duration_ms = Some(row.billsec.max(0) * 1000);
            }
            name = name.with_cdr(&row);
        }
    }
    let Some(started) = zone.parse_local(&name.local_start) else {
        return Ok(Err(format!(
            "{} is not a time in {}",
            name.local_start,
            zone.name()
        )));
    };
    // A withheld caller (an empty part, `anonymous`) is kept as such,
    // as the recording server keeps one.
    let number_or_withheld = |number: &str| {
        if number.bytes().any(|b| b.is_ascii_digit()) {
            number.to_string()
        } else {
            PhoneNumber::WITHHELD.to_string()
        }
    };
    let (from, to) = (number_or_withheld(&name.from), number_or_withheld(&name.to));
    let started_at = format_rfc3339_ms(started);
    let external_id = format!("asterisk:{}", name.uniqueid);
    let input = MetadataInput {
        started_at: Some(&started_at),
        direction: Some(name.direction.code()),
        from: Some(&from),
        to: Some(&to),
        duration_ms,
        extension: name.extension.as_deref(),
        external_id: Some(&external_id),
        ..MetadataInput::default()
    };
    Ok(validate_metadata(&input).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }))
}
