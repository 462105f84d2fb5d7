//! Multi-factor authentication: the sign-in pop-ups (registration and code),
//! the Company MFA page, My MFA, and resetting another user's MFA.

mod challenge;
mod company;
mod keys;
mod my_mfa;
mod recovery;
mod reset;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub(crate) use my_mfa::MyMfa;
pub(crate) use reset::resettable_user;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/mfa", get(challenge::challenge_page))
        .route("/mfa/register", post(challenge::start_registration))
        .route(
            "/mfa/register/confirm",
            post(challenge::confirm_registration),
        )
        .route("/mfa/verify", post(challenge::verify))
        .route("/mfa/recovery", post(challenge::use_recovery_code))
        .route("/mfa/recovery-codes/saved", post(recovery::saved))
        .route("/mfa/security-key/options", post(keys::sign_in_options))
        .route("/mfa/security-key", post(keys::sign_in))
        .route(
            "/my-mfa/security-keys",
            get(keys::keys_page).post(keys::add),
        )
        .route("/my-mfa/security-keys/options", post(keys::add_options))
        .route("/my-mfa/confirm-key/options", post(keys::confirm_options))
        .route("/my-mfa/security-keys/{id}/remove", post(keys::remove))
        .route("/my-mfa/recovery-codes", post(recovery::new_codes))
        .route(
            "/company-mfa",
            get(company::company_mfa_page).post(company::save_policy),
        )
        .route("/company-mfa/remind", post(company::remind))
        .route("/my-mfa", post(my_mfa::save))
        .route("/mfa/register-now", post(my_mfa::register_now))
        .route("/users/{id}/reset-mfa", post(reset::reset_other_user))
}
