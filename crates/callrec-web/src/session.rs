//! Sessions: a 256-bit random id in an HttpOnly cookie, its SHA-256 in the
//! database. Every request re-reads the session and the user, so disabling
//! a user or ending their sessions takes effect at once on every node.

use crate::urls::Route;
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use callrec_app::audit::AuditContext;
use callrec_app::sessions;
use callrec_domain::country::Country;
use callrec_domain::zone::Zone;
use callrec_domain::{Actor, Role, SessionFacts, SignInStep};
use callrec_store::User;

pub const COOKIE_NAME: &str = "callrec_session";

/// The fully signed-in user behind a request: password and, where required,
/// MFA. Without a session the browser goes to the sign-in page; with MFA
/// still to do, to the MFA pop-up. The company's policy is read on every
/// request, so a change reaches open sessions on their next page load.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
    pub session_hash: String,
    /// MFA done, our MFA demanded, how the session began.
    pub session: SessionFacts,
    /// When this session last confirmed presence ("Confirm it's you").
    pub confirmed_at: Option<i64>,
    /// The request's time, by the portal's clock.
    pub now: i64,
    /// The code of the confirmation `?done=` names after a redirect, for
    /// the layout.
    pub done: String,
    /// Where times are shown and typed: the user's zone, else their
    /// company's, else the portal's default.
    pub zone: Zone,
    /// The country national numbers are typed in: their company's, else
    /// the portal's default.
    pub country: Country,
}

impl CurrentUser {
    pub fn sign_in_step(&self) -> SignInStep {
        self.user.sign_in_step(self.session, self.now)
    }

    /// This user as the use cases see them: their actor, and whether the
    /// session confirmed presence just now.
    pub fn caller(&self) -> callrec_app::Caller<'_> {
        callrec_app::Caller::User {
            actor: &self.actor,
            present: callrec_app::mfa::still_confirmed(self.confirmed_at, self.now),
        }
    }

    /// Audit entries of this user's actions, from `client`.
    pub fn audit_context(&self, client: &str) -> AuditContext {
        AuditContext::user(&self.user, client, self.now)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let current = PendingUser::from_request_parts(parts, state).await?.0;
        match current.sign_in_step() {
            SignInStep::SignedIn => Ok(current),
            step => Err(AppError::StepPending(step)),
        }
    }
}

/// The role guard of every page: without `role` the page does not exist
/// for the user (404), as a resource outside their scope does not.
pub(crate) fn require(current: &CurrentUser, role: Role) -> Result<(), AppError> {
    if current.actor.can(role) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Where a session that must still do `step` goes (`home` when nothing is
/// left).
pub(crate) fn step_path(step: SignInStep, home: &'static str) -> &'static str {
    match step {
        SignInStep::SignedIn => home,
        SignInStep::Register | SignInStep::EnterCode => Route::Mfa.path(),
        SignInStep::ChoosePassword => Route::ChoosePassword.path(),
    }
}

/// A user with a session, whether or not MFA is done: the MFA pop-ups.
pub struct PendingUser(pub CurrentUser);

impl FromRequestParts<AppState> for PendingUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        MaybeUser::from_request_parts(parts, state)
            .await?
            .0
            .map(PendingUser)
            .ok_or(AppError::SignInRequired)
    }
}

/// The user with a session, if any, in whatever sign-in step.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(id) = session_id_from(&parts.headers) else {
            return Ok(MaybeUser(None));
        };
        let hash = sessions::hash_session_id(&id);
        let now = state.now();
        let Some((session, user)) = state
            .store
            .session_user(&hash, now, state.config.session)
            .await?
        else {
            return Ok(MaybeUser(None));
        };
        if !user.enabled || !user.company_enabled {
            sessions::end_session(&state.store, &hash, now).await?;
            return Ok(MaybeUser(None));
        }
        let zone = user
            .zone()
            .unwrap_or_else(|| state.config.default_time_zone.clone());
        // The access-log line of this request names its user.
        tracing::Span::current().record("user", user.id.0);
        Ok(MaybeUser(Some(CurrentUser {
            zone,
            country: user.country(state.config.default_country),
            actor: user.actor(),
            user,
            session_hash: hash,
            session: session.facts,
            confirmed_at: session.confirmed_at,
            now,
            done: done_code(parts),
        })))
    }
}

fn done_code(parts: &Parts) -> String {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(name, _)| name == "done")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn session_id_from(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE_NAME)
        // A real id is 43 characters; anything else cannot match.
        .filter(|value| value.len() == 43)
}

/// The value of cookie `wanted` the request carries, if any.
pub(crate) fn cookie_value(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_string())
}

/// Starts a session for `user` (ending `replacing`, the one it follows)
/// and returns the `Set-Cookie` value. MFA is passed in `facts` only
/// when a code was just accepted (or the company's provider's counts).
pub(crate) async fn start_session(
    state: &AppState,
    user: &User,
    replacing: Option<&str>,
    client_addr: &str,
    facts: SessionFacts,
) -> Result<HeaderValue, AppError> {
    let audit = AuditContext::user(user, client_addr, state.now());
    let id = sessions::start_session(&state.store, user, replacing, facts, &audit).await?;
    cookie(state, &id, None)
}

/// A `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie(state: &AppState) -> Result<HeaderValue, AppError> {
    cookie(state, "", Some(0))
}

fn cookie(state: &AppState, value: &str, max_age: Option<i64>) -> Result<HeaderValue, AppError> {
    let mut cookie = format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies() {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).map_err(|err| AppError::Internal(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing_takes_only_well_formed_ids() {
        let id = "a".repeat(43);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={id}")).unwrap(),
        );
        assert_eq!(session_id_from(&headers), Some(id));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("callrec_session=short"),
        );
        assert_eq!(session_id_from(&headers), None);
    }

    #[test]
    fn hashes_differ_from_ids() {
        let hash = sessions::hash_session_id("abc");
        assert_ne!(hash, "abc");
        assert_eq!(hash.len(), 43);
    }
}
