//! `POST /sso/start` ("Sign in with single sign-on" with a work email) and
//! `GET /sso/callback` (where the company's identity provider sends the
//! browser back). A cookie bound to the sign-in ties the callback to the
//! browser that began it.

use super::{render_login_page, LoginView};
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{cookie_value, start_session, step_path, CurrentUser, MaybeUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use callrec_app::sso::login::{
    begin_link, begin_sso, finish_sso, Begun, Callback, Finished, SsoPortal, LOGIN_SECONDS,
};
use callrec_domain::sso::EmailDomain;
use callrec_domain::SignInStep;

#[derive(Template)]
#[template(path = "auth/sso_redirect.html")]
struct ToProvider<'a> {
    url: &'a str,
}

/// The cookie binding a sign-in under way to its browser.
const BROWSER_COOKIE: &str = "callrec_sso";

/// `{CALLREC_PUBLIC_URL}/sso/callback`: what every provider is told.
fn redirect_uri(state: &AppState) -> Option<String> {
    let base = state.config.public_url.as_deref()?;
    Some(format!(
        "{}{}",
        base.trim_end_matches('/'),
        Route::SsoCallback.path()
    ))
}

fn portal<'a>(state: &'a AppState, redirect_uri: &'a str) -> SsoPortal<'a> {
    SsoPortal {
        store: &state.store,
        providers: &state.sso,
        keyring: &state.keyring,
        passwords: &state.passwords,
        redirect_uri,
    }
}

pub(super) async fn start(
    State(state): State<AppState>,
    form: FormData,
) -> Result<Response, AppError> {
    let email = form.get("email").trim();
    let refused = |status, message: String| {
        let view = LoginView {
            sso_email: if email.len() <= 254 { email } else { "" },
            sso_error: Some(message),
            ..LoginView::default()
        };
        (status, view)
    };
    let Some(redirect_uri) = redirect_uri(&state) else {
        let (status, view) = refused(
            StatusCode::NOT_FOUND,
            "Single sign-on is not available on this portal.".into(),
        );
        return render_login_page(&state, status, view).await;
    };
    let begun = begin_sso(portal(&state, &redirect_uri), email, state.now()).await;
    let (status, view) = match begun {
        Ok(Begun::Provider { url, browser }) => return to_provider(&state, &url, &browser),
        Ok(Begun::NotSetUp) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Single sign-on is not set up for {}. Log in with your username and password, or check the email.",
                // begin_sso read the domain from this very email.
                EmailDomain::of_email(email).map_or_else(String::new, |d| d.to_string())
            ),
        ),
        Ok(Begun::ProviderDown) => refused(
            StatusCode::BAD_GATEWAY,
            "Your company's identity provider did not answer. Try again in a minute, or ask your administrator.".into(),
        ),
        Err(callrec_app::Error::Invalid(error)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, error.message)
        }
        Err(other) => return Err(other.into()),
    };
    render_login_page(&state, status, view).await
}

/// A page that moves on to the provider by itself, not a redirect: the
/// page's `form-action 'self'` stops a form's redirect to another origin,
/// and the providers are many. It sets the binding cookie.
fn to_provider(state: &AppState, url: &str, browser: &str) -> Result<Response, AppError> {
    let cookie = browser_cookie(state, browser, LOGIN_SECONDS)?;
    let page = ToProvider { url }.render()?;
    Ok(([(header::SET_COOKIE, cookie)], Html(page)).into_response())
}

/// My account → Link single sign-on: the same trip to the provider, for
/// the signed-in user.
pub(crate) async fn link_sso(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    let unavailable = || {
        Ok(
            Redirect::to(&format!("{}?done=sso-unavailable", Route::MyAccount.path()))
                .into_response(),
        )
    };
    let Some(redirect_uri) = redirect_uri(&state) else {
        return unavailable();
    };
    match begin_link(portal(&state, &redirect_uri), &current.user, state.now()).await? {
        Begun::Provider { url, browser } => to_provider(&state, &url, &browser),
        Begun::NotSetUp | Begun::ProviderDown => unavailable(),
    }
}

pub(super) async fn callback(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MaybeUser(previous): MaybeUser,
    headers: HeaderMap,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    let Some(redirect_uri) = redirect_uri(&state) else {
        return Err(AppError::NotFound);
    };
    let browser = cookie_value(&headers, BROWSER_COOKIE).unwrap_or_default();
    let callback = Callback {
        code: query.get("code"),
        state: query.get("state"),
        error: query.get("error"),
        browser: &browser,
        // A link finishes only in the fully signed-in session that began it.
        signed_in: previous
            .as_ref()
            .filter(|p| p.sign_in_step() == SignInStep::SignedIn)
            .map(|p| p.user.id),
    };
    let now = state.now();
    let finished = finish_sso(portal(&state, &redirect_uri), callback, &client, now).await?;
    let spent = browser_cookie(&state, "", 0)?;
    crate::metrics::sso_sign_in(&finished);
    match finished {
        Finished::SignedIn {
            user,
            facts,
            created,
        } => {
            // A new session id, as after a password.
            let previous = previous.as_ref().map(|p| p.session_hash.as_str());
            let cookie = start_session(&state, &user, previous, &client, facts).await?;
            let next = step_path(user.sign_in_step(facts, now), user.actor().home());
            let next = if created && next == user.actor().home() {
                format!("{next}?done=sso-account-created")
            } else {
                next.to_string()
            };
            // Both cookies: the array form would keep only the last.
            Ok((
                AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, spent)]),
                Redirect::to(&next),
            )
                .into_response())
        }
        Finished::Linked { .. } => Ok((
            [(header::SET_COOKIE, spent)],
            Redirect::to(&format!("{}?done=sso-linked", Route::MyAccount.path())),
        )
            .into_response()),
        Finished::Refused(failure) => {
            let view = LoginView {
                sso_error: Some(failure.message().into()),
                ..LoginView::default()
            };
            let page = render_login_page(&state, StatusCode::FORBIDDEN, view).await?;
            Ok(([(header::SET_COOKIE, spent)], page).into_response())
        }
    }
}

/// The binding cookie: only `/sso` paths see it; SameSite=Lax, so the
/// provider's redirect back (a top-level GET) carries it.
fn browser_cookie(state: &AppState, value: &str, max_age: i64) -> Result<HeaderValue, AppError> {
    let mut cookie =
        format!("{BROWSER_COOKIE}={value}; Path=/sso; HttpOnly; SameSite=Lax; Max-Age={max_age}");
    if state.config.secure_cookies() {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).map_err(|err| AppError::Internal(err.to_string()))
}
