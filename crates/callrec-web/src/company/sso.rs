//! Company settings → Single sign-on: the section's view, and `POST
//! /company-settings/sso` (Apply single sign-on / Turn off single
//! sign-on), both after "Confirm it's you".

use super::settings::{back_to, posted, section_outcome, Refused, SectionForm};
use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Choice;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use callrec_app::sso::settings::{configure_sso, turn_off_sso, SsoChange};
use callrec_domain::sso::{parse_domains, ClientId, ClientSecret, IssuerUrl, SsoMfa};
use callrec_domain::{Role, TeamId, UserId, ValidationError};
use callrec_store::{Company, SsoConfig};

/// The section as the page shows it.
pub(super) struct SsoSection {
    /// `{CALLREC_PUBLIC_URL}/sso/callback`; none without a public URL.
    pub(super) redirect: Option<String>,
    pub(super) current: Option<SsoConfig>,
    /// What the form holds: as typed after a refusal, else as saved.
    pub(super) form: SectionForm,
    pub(super) mfa: Vec<Choice>,
    pub(super) teams: Vec<Choice>,
    /// Who may be a local administrator: (id, name, username, chosen).
    pub(super) admins: Vec<(i64, String, String, bool)>,
}

impl SsoSection {
    pub(super) fn typed(&self, field: &str) -> &str {
        self.form.typed(field)
    }

    /// The section of `company`, with `refused` (a form sent back) if any.
    pub(super) async fn of(
        state: &AppState,
        company: &Company,
        refused: Option<SectionForm>,
    ) -> Result<SsoSection, AppError> {
        let current = state.store.company_sso(company.id).await?;
        let form = refused.unwrap_or_else(|| SectionForm {
            error: None,
            typed: match &current {
                Some(config) => [
                    ("issuer", config.issuer.clone()),
                    ("client_id", config.client_id.clone()),
                    ("domains", config.domains.join(", ")),
                    ("mfa", config.mfa.code().to_string()),
                    (
                        "team",
                        config.team_id.map(|t| t.0.to_string()).unwrap_or_default(),
                    ),
                    ("create_users", flag(config.create_users)),
                    ("required", flag(config.required)),
                    ("trust_email", flag(config.trust_email)),
                ]
                .into_iter()
                .collect(),
                None => [("mfa", SsoMfa::Portal.code().to_string())]
                    .into_iter()
                    .collect(),
            },
        });
        let mfa = Choice::list(
            SsoMfa::ALL.map(|mode| (mode.code().to_string(), mode.label().to_string())),
            Some(&form.typed("mfa").to_string()),
        );
        let teams = Choice::list(
            std::iter::once((String::new(), "The company's oldest team".to_string())).chain(
                state
                    .store
                    .list_teams(Some(company.id))
                    .await?
                    .into_iter()
                    .filter(|team| team.enabled)
                    .map(|team| (team.id.0.to_string(), team.name)),
            ),
            Some(&form.typed("team").to_string()),
        );
        let chosen: Vec<String> = form
            .typed("local_admins")
            .split(',')
            .map(str::to_string)
            .collect();
        let admins = state
            .store
            .user_managers(company.id)
            .await?
            .into_iter()
            .map(|user| {
                let picked = if form.typed.contains_key("local_admins") {
                    chosen.contains(&user.id.0.to_string())
                } else {
                    user.local_sign_in
                };
                (user.id.0, user.display_name, user.username, picked)
            })
            .collect();
        Ok(SsoSection {
            redirect: state.config.public_url.as_deref().map(|base| {
                format!(
                    "{}{}",
                    base.trim_end_matches('/'),
                    Route::SsoCallback.path()
                )
            }),
            current,
            form,
            mfa,
            teams,
            admins,
        })
    }
}

fn flag(on: bool) -> String {
    if on { "1" } else { "" }.to_string()
}

/// The form as asked, every field parsed.
fn change_from(form: &FormData) -> Result<SsoChange, ValidationError> {
    let secret = form.get("client_secret");
    let team = match form.get("team").trim() {
        "" => None,
        id => Some(TeamId(id.parse().map_err(|_| {
            ValidationError::new("team", "Choose a team for new people from the list.")
        })?)),
    };
    let local_admins = form
        .all("local_admin")
        .map(|id| {
            id.trim().parse().map(UserId).map_err(|_| {
                ValidationError::new("local_admins", "Choose local administrators from the list.")
            })
        })
        .collect::<Result<Vec<UserId>, _>>()?;
    Ok(SsoChange {
        issuer: IssuerUrl::parse(form.get("issuer"))?,
        client_id: ClientId::parse(form.get("client_id"))?,
        client_secret: if secret.trim().is_empty() {
            None
        } else {
            Some(ClientSecret::parse(secret)?)
        },
        domains: parse_domains([form.get("domains")])?,
        mfa: SsoMfa::parse(form.get("mfa"))?,
        create_users: form.checked("create_users"),
        team,
        required: form.checked("required"),
        local_admins,
        trust_email: form.checked("trust_email"),
    })
}

pub(super) async fn change(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    if !current.actor.can(Role::ManageUsers) {
        return Err(AppError::NotFound);
    }
    let audit = current.audit_context(&client);
    let off = form.get("action") == "off";
    let prove = ProvePresence {
        heading: "Company settings",
        action: Route::CompanySso.path().to_string(),
        hidden: form.resent(),
        what: if off {
            "You are turning single sign-on off for the company."
        } else {
            "You are changing how the company's people sign in."
        },
        return_to: back_to(&current, &company, ""),
        form: &form,
        recent_counts: true,
    };
    if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
        return Ok(ask);
    }
    let outcome = if off {
        turn_off_sso(&state.store, current.caller(), &company, &audit)
            .await
            .map(|_| "sso-off")
    } else {
        match change_from(&form) {
            Ok(change) => configure_sso(
                &state.store,
                &state.sso,
                &state.keyring,
                current.caller(),
                &company,
                change,
                &audit,
            )
            .await
            .map(|()| "sso-saved"),
            Err(error) => Err(error.into()),
        }
    };
    section_outcome(&state, &current, company, outcome, "sso-title", |message| {
        let mut typed = SectionForm::refused(
            message,
            &form,
            &["issuer", "client_id", "domains", "mfa", "team"],
        );
        for field in ["create_users", "required", "trust_email"] {
            typed.typed.insert(field, flag(form.checked(field)));
        }
        typed.typed.insert(
            "local_admins",
            form.all("local_admin").collect::<Vec<_>>().join(","),
        );
        Refused::Sso(typed)
    })
    .await
}
