//! Saving the Add user and Modify pop-ups.

use super::form::{preset_roles, FieldErrors, FormOptions, UserForm};
use super::{render, ListParams, OpenDialog};
use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Chrome;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::accounts::{self, CreateUser, ModifyUser};
use callrec_app::audit::AuditContext;
use callrec_domain::permissions::{DataScope, UserAccess};
use callrec_domain::role::RolePreset;
use callrec_domain::{
    Actor, CompanyId, DisplayName, Email, Level, MenuItem, NewPassword, PasswordLife, PhoneNumber,
    Role, RoleSet, Subject, TeamId, UserId, Username, ValidationError,
};
use callrec_store::{User, UserDetailsChange};

/// The roles in the Assigned listbox. An unknown code is not a user's
/// mistake but a forged request.
fn requested_roles(form: &FormData) -> Result<RoleSet, AppError> {
    form.all("roles")
        .map(|code| {
            Role::from_code(code)
                .ok_or_else(|| AppError::BadRequest(format!("Unknown role {code:?}.")))
        })
        .collect()
}

/// The user `id` if `role` lets the actor change them: 404 when out of
/// sight, 403 when in sight but out of reach (`Actor::user_access`).
pub(crate) async fn changeable_user(
    state: &AppState,
    actor: &Actor,
    id: UserId,
    role: Role,
) -> Result<User, AppError> {
    let target = state
        .store
        .user_in_scope(id, actor.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    let access = match role {
        Role::ManageCompanyMfa => actor.reset_mfa_access(&target.subject()),
        _ => actor.user_access(&target.subject(), role),
    };
    match access {
        UserAccess::Change => Ok(target),
        UserAccess::Protected => Err(AppError::Forbidden),
        UserAccess::Unseen => Err(AppError::NotFound),
    }
}

/// "Confirm it's you" before a user is added or given more access; the
/// pop-up sends the same form to `action` again.
async fn confirm(
    state: &AppState,
    current: &mut CurrentUser,
    form: &FormData,
    action: &str,
    audit: &AuditContext,
) -> Result<Option<Response>, AppError> {
    ProvePresence {
        heading: "Users",
        action: action.to_string(),
        hidden: form.resent(),
        what: "You are adding a user or giving one more access.",
        return_to: Route::Users.path().to_string(),
        form,
        recent_counts: true,
    }
    .check(state, current, audit)
    .await
}

fn back_to_list(params: &ListParams, done: &str) -> Response {
    Redirect::to(&format!("/users{}", params.query_string(&[("done", done)]))).into_response()
}

pub(crate) async fn create(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageUsers)?;
    // Owned: `current` learns below whether presence was just confirmed.
    let actor = &current.actor.clone();
    let params = ListParams::from_form(&form);
    let options = FormOptions::load(&state, actor).await?;
    // A preset other than Custom decides the roles (its script also moved
    // them on the Roles tab; without script the preset still applies).
    let requested = match RolePreset::parse(form.get("preset")).and_then(|p| preset_roles(actor, p))
    {
        Some(roles) => roles,
        None => requested_roles(&form)?,
    };

    let mut errors = FieldErrors::default();
    let username = errors.check(Username::parse(form.get("username")));
    let display_name = errors.check(DisplayName::parse(form.get("display_name")));
    let email = errors.check(Email::parse_optional(form.get("email")));
    let extension = errors.check(parse_extension(form.get("extension")));
    let level = errors.check(Level::parse(form.get("level")));
    let password = errors.check(NewPassword::parse(
        form.get("password"),
        form.get("username").trim(),
    ));
    let roles = errors.check(actor.apply_role_change(&RoleSet::default(), &requested));
    let team_id = form.optional_id("team")?.map(TeamId);
    let company_id = if actor.scope() == DataScope::Everything {
        let chosen = form.optional_id("company")?.map(CompanyId);
        match chosen {
            Some(id) if options.companies.iter().any(|(c, _)| *c == id.0) => Some(id),
            _ => {
                errors.push(ValidationError::new("company", "Choose a company"));
                None
            }
        }
    } else {
        Some(actor.company_id)
    };
    if let (Some(level), Some(company_id)) = (level, company_id) {
        let subject = Subject {
            user_id: None,
            company_id,
            team_id,
            level,
            roles: roles.clone().unwrap_or_default(),
        };
        if let Err(callrec_app::Error::Invalid(error)) =
            accounts::check_placement(&state.store, actor, &subject).await
        {
            errors.push(error);
        }
        if let Some(wanted) = &extension {
            if let Err(callrec_app::Error::Invalid(error)) =
                check_extension(&state.store, actor, company_id, wanted.as_ref(), None, None).await
            {
                errors.push(error);
            }
        }
    }

    if let (
        true,
        Some(username),
        Some(display_name),
        Some(email),
        Some(extension),
        Some(level),
        Some(password),
        Some(roles),
        Some(company_id),
    ) = (
        errors.is_empty(),
        username,
        display_name,
        email,
        extension,
        level,
        password,
        roles,
        company_id,
    ) {
        // A new account outlives the session that made it (security
        // review, wave 2, item 3).
        let audit = current.audit_context(&client);
        if let Some(ask) = confirm(&state, &mut current, &form, Route::Users.path(), &audit).await?
        {
            return Ok(ask);
        }
        let new = CreateUser {
            company_id,
            team_id,
            username,
            display_name,
            email,
            extension,
            level,
            roles,
            password,
            password_life: state.config.temporary_password(current.now),
        };
        match accounts::create_user(
            &state.store,
            &state.passwords,
            current.caller(),
            new,
            &audit,
        )
        .await
        {
            Ok(_) => return Ok(back_to_list(&params, "user-created")),
            Err(callrec_app::Error::Invalid(error)) => errors.push(error),
            Err(other) => return Err(other.into()),
        }
    }

    let shown: RoleSet = requested.iter().filter(|r| actor.can(*r)).collect();
    let dialog = UserForm::add(actor, &options).resubmitted(actor, &form, &shown, errors);
    let chrome = Chrome::new(&current, "Users", Some(MenuItem::Users));
    render(
        &state,
        &current,
        chrome,
        params,
        options,
        OpenDialog::Add(dialog),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub(crate) async fn modify(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageUsers)?;
    // Owned: `current` learns below whether presence was just confirmed.
    let actor = &current.actor.clone();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let target = changeable_user(&state, actor, UserId(id), Role::ManageUsers).await?;
    let params = ListParams::from_form(&form);
    let requested = requested_roles(&form)?;

    let mut errors = FieldErrors::default();
    let display_name = errors.check(DisplayName::parse(form.get("display_name")));
    let email = errors.check(Email::parse_optional(form.get("email")));
    let extension = errors.check(parse_extension(form.get("extension")));
    if let Some(wanted) = &extension {
        if let Err(callrec_app::Error::Invalid(error)) = check_extension(
            &state.store,
            actor,
            target.company_id,
            wanted.as_ref(),
            Some(target.id),
            Some(target.extension.as_ref()),
        )
        .await
        {
            errors.push(error);
        }
    }
    let level = errors.check(Level::parse(form.get("level")));
    let team_id = form.optional_id("team")?.map(TeamId);
    let enabled = form.checked("enabled");
    let new_password = match form.get("new_password") {
        "" => None,
        typed => errors.check(NewPassword::parse(typed, &target.username)),
    };
    let roles = errors.check(actor.apply_role_change(&target.roles, &requested));
    if target.id == actor.user_id && !enabled {
        errors.push(ValidationError::new(
            "enabled",
            "You cannot disable your own account",
        ));
    }
    if let Some(level) = level {
        let subject = Subject {
            user_id: Some(target.id),
            company_id: target.company_id,
            team_id,
            level,
            roles: roles.clone().unwrap_or_default(),
        };
        if let Err(callrec_app::Error::Invalid(error)) =
            accounts::check_placement(&state.store, actor, &subject).await
        {
            errors.push(error);
        }
    }

    let (true, Some(display_name), Some(email), Some(extension), Some(level), Some(roles)) = (
        errors.is_empty(),
        display_name,
        email,
        extension,
        level,
        roles,
    ) else {
        let options = FormOptions::load(&state, actor).await?;
        let shown: RoleSet = Role::ALL
            .into_iter()
            .filter(|r| {
                if actor.can(*r) {
                    requested.contains(*r)
                } else {
                    target.roles.contains(*r)
                }
            })
            .collect();
        let dialog =
            UserForm::edit(actor, &target, &options).resubmitted(actor, &form, &shown, errors);
        let chrome = Chrome::new(&current, "Users", Some(MenuItem::Users));
        return render(
            &state,
            &current,
            chrome,
            params,
            options,
            OpenDialog::Edit(dialog),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };

    let change = ModifyUser {
        details: UserDetailsChange {
            display_name,
            email,
            extension,
            level,
            team_id,
            enabled,
        },
        roles,
        // A password an administrator sets for someone else is temporary.
        new_password: new_password.map(|password| {
            let life = if target.id == actor.user_id {
                PasswordLife::Permanent
            } else {
                state.config.temporary_password(current.now)
            };
            (password, life)
        }),
    };
    let audit = current.audit_context(&client);
    if change.raises(&target) {
        let action = format!("/users/{}", target.id);
        if let Some(ask) = confirm(&state, &mut current, &form, &action, &audit).await? {
            return Ok(ask);
        }
    }
    // The administrator's own session stays when they changed themselves.
    let keep = (target.id == actor.user_id).then_some(current.session_hash.as_str());
    let disabling = target.enabled && !change.details.enabled;
    accounts::modify_user(
        &state.store,
        &state.passwords,
        &target,
        change,
        keep,
        &audit,
    )
    .await?;
    // Tokens outlive their maker unless revoked: by default they go too.
    if disabling && form.get("revoke_tokens") != "no" {
        callrec_app::revoke_tokens_made_by(&state.store, &target, &audit).await?;
    }
    Ok(back_to_list(&params, "user-saved"))
}

/// The Extension field: empty, or a number as the phone system dials it.
fn parse_extension(typed: &str) -> Result<Option<PhoneNumber>, ValidationError> {
    PhoneNumber::parse_optional("extension", typed).map_err(|_| {
        ValidationError::new(
            "extension",
            "Extension must be the number the phone system dials: up to 32 digits (and + * #)",
        )
    })
}

/// An extension the actor asks for: theirs to give (Company level and
/// above) unless it is unchanged (`had`), and free in the company.
async fn check_extension(
    store: &callrec_store::Store,
    actor: &Actor,
    company: CompanyId,
    wanted: Option<&PhoneNumber>,
    user: Option<UserId>,
    had: Option<Option<&PhoneNumber>>,
) -> Result<(), callrec_app::Error> {
    let changed = had.map_or(wanted.is_some(), |had| had != wanted);
    if changed && !actor.may_set_extensions() {
        return Err(accounts::extension_refused());
    }
    accounts::check_extension(store, company, wanted, user).await
}
