//! The pages about one's own company (a Global user picks the company):
//! Company settings (time zone, country for phone numbers, retention,
//! tags, call capture's sources and numbers, transcription and
//! redaction) and Company MFA (the policy, the roll-out, reminders).

mod capture;
mod mfa;
mod numbers;
mod settings;
mod sso;
mod tags;
mod transcription;

use crate::urls::Route;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            Route::CompanySettings.path(),
            get(settings::settings_page).post(settings::save),
        )
        .route(Route::CancelRetention.path(), post(settings::cancel))
        .route(Route::CompanyTags.path(), post(tags::change))
        .route(Route::CompanySso.path(), post(sso::change))
        .route(Route::CompanyCapture.path(), post(capture::change))
        .route(Route::CompanyNumbers.path(), post(numbers::change))
        .route(
            Route::CompanyTranscription.path(),
            post(transcription::change),
        )
        .route(
            Route::CompanyMfa.path(),
            get(mfa::company_mfa_page).post(mfa::save_policy),
        )
        .route(Route::CompanyMfaRemind.path(), post(mfa::remind))
}
