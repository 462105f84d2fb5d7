//! Forgotten your password? (shown on the sign-in page when mail is
//! configured) and the page its link opens.

use super::PasswordForm;
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_app::accounts::{
    request_password_reset, reset_link_user, reset_password, PasswordReset, ResetRequest,
    RESET_MINUTES,
};
use callrec_app::audit::{AuditActor, AuditContext};
use callrec_app::sign_in::SignInLimits;
use callrec_domain::throttle::SignInReason;

#[derive(Template)]
#[template(path = "account/forgotten.html")]
struct ForgottenPage {
    answered: bool,
    error: Option<String>,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "account/reset.html")]
struct ResetPage {
    /// `None`: the link does not work.
    form: Option<PasswordForm>,
    username: String,
    token: String,
    minutes: i64,
}

/// Without mail there is no such page.
fn mail_on(state: &AppState) -> Result<(), AppError> {
    state
        .config
        .mail
        .as_ref()
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

fn anonymous(state: &AppState, client: &str) -> AuditContext {
    AuditContext {
        actor: AuditActor::CommandLine,
        client: client.to_string(),
        now: state.now(),
    }
}

pub(crate) async fn forgotten_page(State(state): State<AppState>) -> Result<Response, AppError> {
    mail_on(&state)?;
    render_forgotten(false, None, StatusCode::OK)
}

fn render_forgotten(
    answered: bool,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = ForgottenPage {
        answered,
        error,
        minutes: RESET_MINUTES,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn request_link(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    mail_on(&state)?;
    let limits = SignInLimits {
        per_account: state.config.sign_in_per_account,
        per_client: state.config.sign_in_per_client,
        notify: state.config.mail.is_some(),
    };
    let link_base = state.config.link_base.as_deref().unwrap_or("");
    let audit = anonymous(&state, &client);
    match request_password_reset(&state.store, form.get("who"), limits, link_base, &audit).await? {
        ResetRequest::Answered => render_forgotten(true, None, StatusCode::OK),
        ResetRequest::Paused { minutes } => render_forgotten(
            false,
            Some(format!(
                "Too many requests. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )),
            StatusCode::TOO_MANY_REQUESTS,
        ),
    }
}

pub(crate) async fn reset_page(
    State(state): State<AppState>,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    mail_on(&state)?;
    let token = query.get("token");
    let user = reset_link_user(&state.store, token, state.now()).await?;
    let form = user.as_ref().map(|_| PasswordForm::blank("reset", false));
    render_reset(form, user.map(|u| u.username), token, StatusCode::OK)
}

fn render_reset(
    form: Option<PasswordForm>,
    username: Option<String>,
    token: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let status = if form.is_none() {
        StatusCode::GONE
    } else {
        status
    };
    let page = ResetPage {
        form,
        username: username.unwrap_or_default(),
        token: token.to_string(),
        minutes: RESET_MINUTES,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn choose_new(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    mail_on(&state)?;
    let token = form.get("token");
    let outcome = reset_password(
        &state.store,
        &state.passwords,
        token,
        form.get("new_password"),
        form.get("confirm_password"),
        true,
        &anonymous(&state, &client),
    )
    .await?;
    match outcome {
        PasswordReset::Done => Ok(Redirect::to(&format!(
            "/login?reason={}",
            SignInReason::PasswordReset.code()
        ))
        .into_response()),
        PasswordReset::LinkGone => render_reset(None, None, token, StatusCode::GONE),
        PasswordReset::Refused(problem) => {
            let username = reset_link_user(&state.store, token, state.now())
                .await?
                .map(|u| u.username);
            let form = PasswordForm::blank("reset", false).refused(problem);
            render_reset(
                Some(form),
                username,
                token,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}
