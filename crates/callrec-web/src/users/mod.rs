//! The Users page: search, list, add, and the Modify pop-up with its Details
//! and Roles tabs.

mod form;
mod save;

pub(crate) use save::changeable_user;

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{Choice, Chrome};
use crate::session::{require, CurrentUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_domain::time::dormant;
use callrec_domain::totp::phone_clock;
use callrec_domain::{CompanyId, MenuItem, Role, SearchTerm, UserId};
use callrec_store::{Page, User, UserQuery};
use form::{FormOptions, UserForm};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Users.path(), get(users_page).post(save::create))
        .route(Route::User.path(), post(save::modify))
}

const PER_PAGE: u32 = 25;

/// The list's search, company filter and page, carried through pop-ups so
/// that saving returns to the same view.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListParams {
    pub q: String,
    pub company: Option<i64>,
    pub page: u32,
}

impl ListParams {
    pub(crate) fn from_form(form: &FormData) -> ListParams {
        ListParams {
            q: form
                .get("q")
                .trim()
                .chars()
                .take(SearchTerm::MAX_CHARS)
                .collect(),
            company: form.get("company_filter").parse().ok(),
            page: form.get("page").parse().unwrap_or(0).min(100_000),
        }
    }

    /// The query string for links back to this view, with extra pairs.
    pub fn query_string(&self, extra: &[(&str, &str)]) -> String {
        let company = self.company.map(|c| c.to_string()).unwrap_or_default();
        let page = if self.page > 0 {
            self.page.to_string()
        } else {
            String::new()
        };
        let pairs = [
            ("q", self.q.as_str()),
            ("company_filter", &company),
            ("page", &page),
        ];
        crate::form::query_string(pairs.into_iter().chain(extra.iter().copied()))
    }

    fn page_link(&self, page: u32) -> String {
        let params = ListParams {
            page,
            ..self.clone()
        };
        format!("/users{}", params.query_string(&[]))
    }
}

pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    /// Their extension on the phone system, if set.
    pub extension: Option<String>,
    pub level: &'static str,
    pub team: String,
    pub company: String,
    pub enabled: bool,
    /// Nobody signed in for CALLREC_DORMANT_DAYS.
    pub dormant: bool,
    /// The phone's clock drifts (last three codes a step off).
    pub clock_drift: bool,
    pub can_modify: bool,
    pub mfa_registered: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    pub can_reset_mfa: bool,
    /// In sight but out of reach (a peer, or someone holding a role the
    /// actor lacks): said on the row instead of showing no control at all.
    pub protected: bool,
}

/// Which pop-up, if any, the page opens with.
pub(crate) enum OpenDialog {
    None,
    Add(UserForm),
    Edit(UserForm),
    /// Reset MFA for (id, username)?
    ResetMfa(i64, String),
}

#[derive(Template)]
#[template(path = "users/users.html")]
struct UsersPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<UserRow>,
    show_company: bool,
    companies: Vec<Choice>,
    range: String,
    previous_link: Option<String>,
    next_link: Option<String>,
    add_form: UserForm,
    add_open: bool,
    edit_form: Option<UserForm>,
    reset_mfa: Option<(i64, String)>,
}

async fn users_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageUsers)?;
    let params = ListParams::from_form(&query);
    let options = FormOptions::load(&state, &current.actor).await?;
    let dialog = if let Some(id) = query.optional_id("edit")? {
        let target =
            save::changeable_user(&state, &current.actor, UserId(id), Role::ManageUsers).await?;
        let mut edit = UserForm::edit(&current.actor, &target, &options);
        edit.roles_tab_selected = query.get("tab") == "roles";
        OpenDialog::Edit(edit)
    } else if query.checked("reset") {
        let target = crate::mfa::resettable_user(&state, &current, query.get("reset")).await?;
        OpenDialog::ResetMfa(target.id.0, target.username)
    } else if query.checked("add") {
        OpenDialog::Add(UserForm::add(&current.actor, &options))
    } else {
        OpenDialog::None
    };
    let chrome = Chrome::new(&current, "Users", Some(MenuItem::Users));
    render(
        &state,
        &current,
        chrome,
        params,
        options,
        dialog,
        StatusCode::OK,
    )
    .await
}

pub(crate) async fn render(
    state: &AppState,
    current: &CurrentUser,
    chrome: Chrome,
    params: ListParams,
    options: FormOptions,
    dialog: OpenDialog,
    status: StatusCode,
) -> Result<Response, AppError> {
    let actor = &current.actor;
    let page: Page<User> = state
        .store
        .list_users(&UserQuery {
            scope: actor.scope(),
            company: params.company.map(CompanyId),
            search: SearchTerm::parse(&params.q),
            page: params.page,
            per_page: PER_PAGE,
        })
        .await?;
    let rows = page
        .items
        .iter()
        .map(|user| UserRow {
            id: user.id.0,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone().unwrap_or_default(),
            extension: user.extension.as_ref().map(ToString::to_string),
            level: user.level.label(),
            team: user.team_name.clone().unwrap_or_default(),
            company: user.company_name.clone(),
            enabled: user.enabled,
            dormant: state.config.dormant_days.is_some_and(|days| {
                dormant(user.last_sign_in_at, user.created_at, current.now, days)
            }),
            clock_drift: phone_clock(&user.recent_code_offsets).is_some(),
            can_modify: actor.may_manage_user(&user.subject()),
            mfa_registered: user.mfa_registered,
            recovery_codes_left: user.recovery_codes_left,
            can_reset_mfa: actor.may_reset_mfa(&user.subject()),
            protected: actor.user_access(&user.subject(), Role::ManageUsers)
                == callrec_domain::permissions::UserAccess::Protected,
        })
        .collect();
    let range = if page.total == 0 {
        String::new()
    } else {
        format!("{}–{} of {}", page.first_row(), page.last_row(), page.total)
    };
    let (add_form, add_open, edit_form, reset_mfa) = match dialog {
        OpenDialog::None => (UserForm::add(actor, &options), false, None, None),
        OpenDialog::Add(form) => (form, true, None, None),
        OpenDialog::Edit(form) => (UserForm::add(actor, &options), false, Some(form), None),
        OpenDialog::ResetMfa(id, name) => (
            UserForm::add(actor, &options),
            false,
            None,
            Some((id, name)),
        ),
    };
    let body = UsersPage {
        chrome,
        show_company: options.companies.len() > 1,
        companies: Choice::list(options.companies.clone(), params.company.as_ref()),
        previous_link: page
            .has_previous()
            .then(|| params.page_link(params.page - 1)),
        next_link: page.has_next().then(|| params.page_link(params.page + 1)),
        params,
        rows,
        range,
        add_form,
        add_open,
        edit_form,
        reset_mfa,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}
