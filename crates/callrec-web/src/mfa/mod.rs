//! Multi-factor authentication: the sign-in pop-ups (registration and code),
//! My MFA, and resetting another user's MFA (the Company MFA page is with
//! the company's pages, `company/mfa.rs`).

mod challenge;
mod keys;
mod my_mfa;
mod recovery;
mod reset;

use crate::urls::Route;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub(crate) use my_mfa::MyMfa;
pub(crate) use reset::resettable_user;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Mfa.path(), get(challenge::challenge_page))
        .route(
            Route::MfaRegister.path(),
            post(challenge::start_registration),
        )
        .route(
            Route::MfaRegisterConfirm.path(),
            post(challenge::confirm_registration),
        )
        .route(Route::MfaVerify.path(), post(challenge::verify))
        .route(
            Route::MfaRecovery.path(),
            post(challenge::use_recovery_code),
        )
        .route(Route::RecoveryCodesSaved.path(), post(recovery::saved))
        .route(Route::KeySignInOptions.path(), post(keys::sign_in_options))
        .route(Route::KeySignIn.path(), post(keys::sign_in))
        .route(
            Route::SecurityKeys.path(),
            get(keys::keys_page).post(keys::add),
        )
        .route(Route::SecurityKeyOptions.path(), post(keys::add_options))
        .route(Route::ConfirmKeyOptions.path(), post(keys::confirm_options))
        .route(Route::SecurityKeyRemove.path(), post(keys::remove))
        .route(Route::NewRecoveryCodes.path(), post(recovery::new_codes))
        .route(Route::MyMfa.path(), post(my_mfa::save))
        .route(Route::RegisterNow.path(), post(my_mfa::register_now))
        .route(Route::UserResetMfa.path(), post(reset::reset_other_user))
}
