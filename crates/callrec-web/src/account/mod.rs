//! A user's own account: My account → Change password (top bar, every
//! user), and the Choose a new password pop-up that follows a temporary
//! password at sign-in, before any page.

mod reset;

use crate::error::AppError;
use crate::form::FormData;
use crate::layout::{zone_choices, Choice, Chrome};
use crate::security::ClientAddr;
use crate::session::{step_path, CurrentUser, PendingUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::accounts::{change_own_password, notify, OwnPassword, OwnPasswordChange};
use callrec_app::mail::NoticeKind;
use callrec_app::sessions;
use callrec_app::settings::set_own_time_zone;
use callrec_domain::zone::Zone;
use callrec_domain::{MenuItem, SignInStep, ValidationError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::MyAccount.path(), get(my_account_page))
        .route(Route::MyPassword.path(), post(change_password))
        .route(Route::MyTimeZone.path(), post(save_time_zone))
        .route(Route::MySsoLink.path(), post(crate::auth::link_sso))
        .route(
            Route::ChoosePassword.path(),
            get(choose_password_page).post(choose_password),
        )
        .route(
            Route::ForgottenPassword.path(),
            get(reset::forgotten_page).post(reset::request_link),
        )
        .route(
            Route::ResetPassword.path(),
            get(reset::reset_page).post(reset::choose_new),
        )
}

/// The password fields of a pop-up, with what to correct.
pub(crate) struct PasswordForm {
    /// Makes the fields' ids unique on the page.
    pub prefix: &'static str,
    /// Change password asks for the current one; Choose a new password
    /// (just after typing it) does not.
    pub ask_current: bool,
    /// A message for the whole form.
    pub alert: Option<String>,
    problem: Option<ValidationError>,
}

impl PasswordForm {
    pub fn blank(prefix: &'static str, ask_current: bool) -> PasswordForm {
        PasswordForm {
            prefix,
            ask_current,
            alert: None,
            problem: None,
        }
    }

    /// The message for `field`, if it needs correcting.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|problem| problem.field == field)
            .map(|problem| problem.message.as_str())
    }

    /// The form with `problem` to correct.
    pub fn refused(mut self, problem: ValidationError) -> PasswordForm {
        self.problem = Some(problem);
        self
    }

    /// The form again after `outcome`, or `None` when it was saved.
    fn after(mut self, outcome: OwnPassword) -> Option<PasswordForm> {
        match outcome {
            OwnPassword::Changed => return None,
            OwnPassword::Refused(problem) => return Some(self.refused(problem)),
            OwnPassword::Paused { minutes } => {
                self.alert = Some(format!(
                    "Too many wrong passwords. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ));
            }
        }
        Some(self)
    }
}

#[derive(Template)]
#[template(path = "account/my_account.html")]
struct MyAccountPage {
    chrome: Chrome,
    return_to: &'static str,
    form: PasswordForm,
    zones: Vec<Choice>,
    /// The zone in use now.
    zone: String,
    /// Their company signs in through a provider: whether they are linked.
    sso_linked: Option<bool>,
}

#[derive(Template)]
#[template(path = "account/choose_password.html")]
struct ChoosePasswordPage {
    form: PasswordForm,
}

/// My account as a page of its own, with its pop-up open: where a Save
/// with mistakes lands, and a link that works without script.
async fn my_account_page(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    let form = PasswordForm::blank("page", true);
    render_my_account(&state, &current, Route::Home.path(), form, StatusCode::OK).await
}

async fn render_my_account(
    state: &AppState,
    current: &CurrentUser,
    return_to: &'static str,
    form: PasswordForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let company_zone = current
        .user
        .company_time_zone
        .clone()
        .unwrap_or_else(|| state.config.default_time_zone.name().to_string());
    let selected = current.user.time_zone.clone().unwrap_or_default();
    let zones = zone_choices(format!("My company's ({company_zone})"), &selected);
    let page = MyAccountPage {
        chrome: Chrome::new(current, "My account", None),
        return_to,
        form,
        zones,
        zone: current.zone.name().to_string(),
        sso_linked: state
            .store
            .company_sso(current.user.company_id)
            .await?
            .filter(|sso| sso.company_enabled && state.config.public_url.is_some())
            .map(|_| current.user.sso_linked),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let back = MenuItem::return_path(form.get("return_to"));
    let outcome = save(&state, &current, &client, &form, true).await?;
    match PasswordForm::blank("page", true).after(outcome) {
        None => Ok(Redirect::to(&format!("{back}?done=password-changed")).into_response()),
        Some(again) => {
            render_my_account(
                &state,
                &current,
                back,
                again,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn save(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    form: &FormData,
    ask_current: bool,
) -> Result<OwnPassword, AppError> {
    let change = OwnPasswordChange {
        current: ask_current.then(|| form.get("current_password")),
        new: form.get("new_password"),
        confirm: form.get("confirm_password"),
    };
    let audit = current.audit_context(client);
    let outcome = change_own_password(
        &state.store,
        &state.passwords,
        &current.user,
        &current.session_hash,
        change,
        state.config.sign_in_per_account,
        &audit,
    )
    .await?;
    if let OwnPassword::Changed = outcome {
        let mail = state.config.mail.is_some();
        notify(
            &state.store,
            mail,
            &current.user,
            NoticeKind::PasswordChanged,
            &audit,
        )
        .await?;
    }
    Ok(outcome)
}

/// Only a session whose next step is choosing a password sees the pop-up;
/// any other goes where its step says. A temporary password that expired
/// since sign-in ends the session: back to the sign-in page.
async fn choosing(state: &AppState, current: &CurrentUser) -> Result<Option<Response>, AppError> {
    let step = current.sign_in_step();
    if step != SignInStep::ChoosePassword {
        return Ok(Some(
            Redirect::to(step_path(step, current.actor.home())).into_response(),
        ));
    }
    if current.user.password_life.expired(current.now) {
        sessions::end_session(&state.store, &current.session_hash, current.now).await?;
        return Ok(Some(Redirect::to(Route::Login.path()).into_response()));
    }
    Ok(None)
}

async fn choose_password_page(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
) -> Result<Response, AppError> {
    if let Some(elsewhere) = choosing(&state, &current).await? {
        return Ok(elsewhere);
    }
    render_choose(PasswordForm::blank("choose", false), StatusCode::OK)
}

fn render_choose(form: PasswordForm, status: StatusCode) -> Result<Response, AppError> {
    Ok((status, Html(ChoosePasswordPage { form }.render()?)).into_response())
}

async fn choose_password(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    if let Some(elsewhere) = choosing(&state, &current).await? {
        return Ok(elsewhere);
    }
    let outcome = save(&state, &current, &client, &form, false).await?;
    match PasswordForm::blank("choose", false).after(outcome) {
        None => Ok(
            Redirect::to(&format!("{}?done=password-chosen", current.actor.home())).into_response(),
        ),
        Some(again) => render_choose(again, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

async fn save_time_zone(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let zone = match form.get("time_zone") {
        "" => None,
        name => Some(Zone::parse(name)?),
    };
    set_own_time_zone(
        &state.store,
        &current.user,
        zone.as_ref(),
        &current.audit_context(&client),
    )
    .await?;
    Ok(Redirect::to("/my-account?done=time-zone-saved").into_response())
}
