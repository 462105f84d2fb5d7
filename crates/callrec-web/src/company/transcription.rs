//! `POST /company-settings/transcription`: Save under Transcription (Off /
//! On, and the calls of the last days queued) and under Redaction (Off /
//! Transcript only / Transcript and audio) on Company settings. Taking
//! redaction down (keeping card numbers that were taken out) needs
//! "Confirm it's you"; turning audio redaction on (which destroys calls'
//! original audio) needs Access to Delete Recordings as well.

use super::settings::{back_to, posted, section_outcome, Refused, SectionForm};
use crate::error::AppError;
use crate::form::FormData;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use callrec_app::transcription::settings::{
    backfill_days, change_transcription, may_redact_audio, TranscriptionChange,
};
use callrec_domain::transcription::Redaction;
use callrec_domain::ValidationError;

pub(super) async fn change(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let audit = current.audit_context(&client);
    // A form without a field (the other section's) leaves it as it is.
    let on = match form.get("transcription") {
        "" => Ok(company.transcription),
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(ValidationError::new(
            "transcription",
            "Choose Off or On for Transcription.",
        )),
    };
    let redaction = match form.get("redaction") {
        "" => Ok(company.redaction),
        code => Redaction::parse(code).ok_or_else(|| {
            ValidationError::new(
                "redaction",
                "Choose Off, Transcript only or Transcript and audio for Redaction.",
            )
        }),
    };
    let change = on.and_then(|on| {
        Ok(TranscriptionChange {
            on,
            redaction: redaction?,
            backfill_days: backfill_days(form.get("backfill_days"))?,
        })
    });
    let weaker = change
        .as_ref()
        .is_ok_and(|c| weakens(company.redaction, c.redaction));
    // Audio redaction destroys calls' original audio: like deleting them.
    let destroys = change.as_ref().is_ok_and(|c| {
        c.redaction == Redaction::TranscriptAndAudio
            && company.redaction != Redaction::TranscriptAndAudio
    });
    if destroys && !may_redact_audio(Some(&current.actor)) {
        let error = "Transcript and audio destroys each redacted call's original audio: it needs Access to Delete Recordings. Ask someone who has it, or choose Transcript only.";
        let refused = Err(ValidationError::new("redaction", error).into());
        return section_outcome(
            &state,
            &current,
            company,
            refused,
            "redaction-title",
            |message| {
                Refused::Transcription(SectionForm::refused(message, &form, &["backfill_days"]))
            },
        )
        .await;
    }
    if weaker || destroys {
        let prove = ProvePresence {
            heading: "Company settings",
            action: Route::CompanyTranscription.path().to_string(),
            hidden: form.resent(),
            what: if destroys {
                "You are having card numbers silenced in calls' audio, their original audio destroyed."
            } else {
                "You are keeping card numbers that redaction takes out of new transcripts or audio."
            },
            return_to: back_to(&current, &company, ""),
            form: &form,
            recent_counts: true,
        };
        if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
            return Ok(ask);
        }
    }
    let outcome = match change {
        Ok(change) => change_transcription(&state.store, &company, change, &audit)
            .await
            .map(|done| {
                if form.get("redaction").is_empty() {
                    if done.queued > 0 {
                        "transcription-queued"
                    } else {
                        "transcription-saved"
                    }
                } else {
                    "redaction-saved"
                }
            }),
        Err(error) => Err(error.into()),
    };
    let anchor = if form.get("redaction").is_empty() {
        "transcription-title"
    } else {
        "redaction-title"
    };
    section_outcome(&state, &current, company, outcome, anchor, |message| {
        Refused::Transcription(SectionForm::refused(message, &form, &["backfill_days"]))
    })
    .await
}

/// Whether going from `was` to `now` keeps card numbers `was` took out.
fn weakens(was: Redaction, now: Redaction) -> bool {
    let strength = |r: Redaction| match r {
        Redaction::Off => 0,
        Redaction::Transcript => 1,
        Redaction::TranscriptAndAudio => 2,
    };
    strength(now) < strength(was)
}
