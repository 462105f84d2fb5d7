//! Company settings: the company's own settings: its time zone, the
//! country its national phone numbers are typed in, and how long it keeps
//! its recordings (Retention).
//! Company users with Access to Manage Users change their company's;
//! Global users pick the company. A shorter retention also needs Access to
//! Delete Recordings and "Confirm it's you", and waits out the notice
//! period (Cancel change undoes it meanwhile).

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{zone_choices, Choice, Chrome};
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_app::records::retention::{
    cancel_retention_change, change_retention, due_under, may_shorten, RetentionRequest,
    RetentionSaved,
};
use callrec_app::settings::{set_company_place, CompanyPlace};
use callrec_domain::country::Country;
use callrec_domain::permissions::DataScope;
use callrec_domain::retention::{self, Retention, RetentionChange};
use callrec_domain::transcription::Redaction;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, MenuItem};
use callrec_store::Company;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "company/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    /// For Global users without a company chosen.
    companies: Vec<(i64, String, String, String)>,
    company: Option<Company>,
    zones: Vec<crate::layout::Choice>,
    countries: Vec<crate::layout::Choice>,
    /// The company's tags.
    tags: Vec<callrec_store::Tag>,
    /// The SBCs allowed to send the company's calls (Call capture), with
    /// when each was added in the user's time zone.
    sources: Vec<(callrec_store::CaptureSource, String)>,
    /// Add source: why it was refused, and the address and name typed.
    capture: SectionForm,
    /// The company's numbers and extensions (Numbers), with how many each
    /// range holds, when it was added and whether this user may remove it.
    numbers: Vec<(callrec_store::CompanyNumbers, String, String, bool)>,
    /// Whether this user gives phone numbers (the operator) or only
    /// extensions (a company's administrator).
    gives_phone_numbers: bool,
    /// Add numbers: why it was refused, and the first and last typed.
    numbers_form: SectionForm,
    /// The company's transcripts: made, waiting and failed.
    transcripts: callrec_store::QueueCounts,
    /// Save under Transcription: why it was refused, and the days typed.
    transcription_form: SectionForm,
    /// The Redaction dropdown.
    redactions: Vec<crate::layout::Choice>,
    /// Whether this node has a speech engine (CALLREC_TRANSCRIBE_URL).
    engine_set: bool,
    /// Single sign-on (with a company chosen).
    sso: Option<super::sso::SsoSection>,
    retentions: Vec<crate::layout::Choice>,
    /// The number in the days box.
    retention_days: String,
    error: Option<String>,
    /// A shorter period awaiting confirmation: the form's values and how
    /// many recordings the purge would delete when it takes effect.
    confirm: Option<ShorterRetention>,
    /// A shorter period waiting out its notice: its label and day.
    waiting: Option<(String, String)>,
}

pub(super) struct ShorterRetention {
    zone: String,
    country: String,
    retention: String,
    days: String,
    label: String,
    due: i64,
    /// When it would take effect, in the viewer's zone.
    from: String,
    notice_days: u32,
}

/// The company the page is about: the chosen one for Global users (none
/// yet: the list), else the user's own; out of reach, none at all.
async fn target(
    state: &AppState,
    current: &CurrentUser,
    chosen: Option<i64>,
) -> Result<Option<Company>, AppError> {
    let id = match (current.actor.scope(), chosen) {
        (DataScope::Everything, None) => {
            if !current
                .actor
                .may_change_company_settings(current.actor.company_id)
            {
                return Err(AppError::NotFound);
            }
            return Ok(None);
        }
        (DataScope::Everything, Some(id)) => CompanyId(id),
        _ => current.actor.company_id,
    };
    if !current.actor.may_change_company_settings(id) {
        return Err(AppError::NotFound);
    }
    Ok(Some(
        state.store.company(id).await?.ok_or(AppError::NotFound)?,
    ))
}

/// A refused form, and the part of the page it belongs to.
pub(super) enum Refused {
    /// The settings form at the top.
    Settings(String),
    /// Add source under Call capture (the address and name typed).
    Capture(SectionForm),
    /// Add numbers under Numbers (the first and last typed).
    Numbers(SectionForm),
    /// Save under Transcription or Redaction (the days typed).
    Transcription(SectionForm),
    /// Apply single sign-on (every field typed but the secret).
    Sso(SectionForm),
}

/// A section's add form: why it was refused, and its fields as typed
/// (never a password).
#[derive(Default)]
pub(super) struct SectionForm {
    pub(super) error: Option<String>,
    pub(super) typed: HashMap<&'static str, String>,
}

impl SectionForm {
    /// `message`, beside what `form` held in `fields`.
    pub(super) fn refused(
        message: String,
        form: &FormData,
        fields: &[&'static str],
    ) -> SectionForm {
        SectionForm {
            error: Some(message),
            typed: fields
                .iter()
                .map(|field| (*field, form.get(field).to_string()))
                .collect(),
        }
    }

    /// What was typed in `field`, or nothing.
    pub(super) fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

pub(super) async fn render(
    state: &AppState,
    current: &CurrentUser,
    company: Option<Company>,
    refused: Option<Refused>,
    confirm: Option<ShorterRetention>,
) -> Result<Response, AppError> {
    let (mut error, mut capture, mut numbers_form, mut transcription_form) = (
        None,
        SectionForm::default(),
        SectionForm::default(),
        SectionForm::default(),
    );
    let mut sso_form = None;
    match refused {
        Some(Refused::Settings(message)) => error = Some(message),
        Some(Refused::Capture(form)) => capture = form,
        Some(Refused::Numbers(form)) => numbers_form = form,
        Some(Refused::Transcription(form)) => transcription_form = form,
        Some(Refused::Sso(form)) => sso_form = Some(form),
        None => {}
    }
    let default_zone = state.config.default_time_zone.name().to_string();
    let companies = match company {
        Some(_) => Vec::new(),
        None => state
            .store
            .list_companies()
            .await?
            .into_iter()
            .map(|c| {
                let zone = c.time_zone.clone().unwrap_or_else(|| default_zone.clone());
                (c.id.0, c.name, zone, c.retention.to_string())
            })
            .collect(),
    };
    let rule = company.as_ref().map(|c| c.retention_rule().at(current.now));
    let current_retention = rule.map_or(Retention::Forever, |r| r.current);
    let waiting = rule.and_then(|r| r.pending).map(|p| {
        (
            p.period.to_string(),
            format!(
                "{} ({})",
                current.zone.format_minutes(p.from),
                current.zone.name()
            ),
        )
    });
    let mut retention_options: Vec<(String, String)> = retention::CHOICES
        .iter()
        .map(|(value, label)| (value.to_string(), label.to_string()))
        .collect();
    if !current_retention.is_listed() {
        // A period an operator set that the list lacks stays choosable.
        retention_options.insert(0, (current_retention.code(), current_retention.to_string()));
    }
    let retentions = Choice::list(retention_options, Some(&current_retention.choice()));
    let selected = company
        .as_ref()
        .and_then(|c| c.time_zone.clone())
        .unwrap_or_default();
    let zones = zone_choices(format!("Portal default ({default_zone})"), &selected);
    let default_country = state.config.default_country;
    let countries = Choice::list(
        std::iter::once((
            String::new(),
            format!("Portal default ({})", default_country.label()),
        ))
        .chain(
            Country::all()
                .into_iter()
                .map(|c| (c.code().to_string(), c.label())),
        ),
        Some(
            &company
                .as_ref()
                .and_then(|c| c.phone_country.clone())
                .unwrap_or_default(),
        ),
    );
    let sso = match &company {
        Some(company) => Some(super::sso::SsoSection::of(state, company, sso_form).await?),
        None => None,
    };
    let status = if error.is_some()
        || capture.error.is_some()
        || numbers_form.error.is_some()
        || transcription_form.error.is_some()
        || sso.as_ref().is_some_and(|s| s.form.error.is_some())
    {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let tags = match &company {
        Some(company) => state.store.company_tags(company.id).await?,
        None => Vec::new(),
    };
    let sources = match &company {
        Some(company) => state
            .store
            .capture_sources(Some(company.id))
            .await?
            .into_iter()
            .map(|source| {
                let added = current.zone.format_seconds(source.created_at);
                (source, added)
            })
            .collect(),
        None => Vec::new(),
    };
    let by = super::numbers::numbers_by(current);
    let numbers = match &company {
        Some(company) => state
            .store
            .company_numbers(Some(company.id))
            .await?
            .into_iter()
            .map(|numbers| {
                let described = callrec_app::numbers::size_of(&numbers.range);
                let added = current.zone.format_seconds(numbers.created_at);
                let removable = by.may_change(numbers.range.kind());
                (numbers, described, added, removable)
            })
            .collect(),
        None => Vec::new(),
    };
    let transcripts = match &company {
        Some(company) => state.store.transcription_queue(Some(company.id)).await?,
        None => Default::default(),
    };
    let redactions = Choice::list(
        Redaction::ALL.map(|r| (r.code().to_string(), r.label().to_string())),
        company
            .as_ref()
            .map(|c| c.redaction.code().to_string())
            .as_ref(),
    );
    let page = SettingsPage {
        sso,
        transcripts,
        transcription_form,
        redactions,
        engine_set: state.config.transcription.is_some(),
        tags,
        sources,
        capture,
        numbers,
        numbers_form,
        gives_phone_numbers: by == callrec_app::numbers::NumbersBy::Operator,
        chrome: Chrome::new(current, "Company settings", Some(MenuItem::CompanySettings)),
        companies,
        company,
        zones,
        countries,
        retentions,
        retention_days: current_retention
            .days()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        error,
        confirm,
        waiting,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn settings_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    let company = target(&state, &current, query.optional_id("company")?).await?;
    render(&state, &current, company, None, None).await
}

/// The company a posted form is about, or 404.
pub(super) async fn posted(
    state: &AppState,
    current: &CurrentUser,
    form: &FormData,
) -> Result<Company, AppError> {
    target(state, current, form.optional_id("company")?)
        .await?
        .ok_or(AppError::NotFound)
}

/// The settings form refused: the page again with `message` at its top.
async fn refuse(
    state: &AppState,
    current: &CurrentUser,
    company: Company,
    message: String,
) -> Result<Response, AppError> {
    render(
        state,
        current,
        Some(company),
        Some(Refused::Settings(message)),
        None,
    )
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let zone = match form.get("time_zone") {
        "" => None,
        name => match Zone::parse(name) {
            Ok(zone) => Some(zone),
            Err(error) => {
                return refuse(&state, &current, company, error.message).await;
            }
        },
    };
    // A form without the field (an older page, a script) leaves it as is.
    let country = match form.get("phone_country") {
        _ if !form.checked("phone_country") => company
            .phone_country
            .as_deref()
            .and_then(|code| Country::parse("country", code).ok()),
        "" => None,
        code => match Country::parse("phone_country", code) {
            Ok(country) => Some(country),
            Err(_) => {
                let error = "Choose the country for phone numbers from the list.";
                return refuse(&state, &current, company, error.into()).await;
            }
        },
    };
    let retention = match form.get("retention") {
        "" => company.retention,
        choice => match Retention::from_form(choice, form.get("retention_days")) {
            Ok(retention) => retention,
            Err(error) => {
                return refuse(&state, &current, company, error.message).await;
            }
        },
    };
    // Months count in the company's zone: the one being saved.
    let company_zone = zone
        .clone()
        .unwrap_or_else(|| state.config.default_time_zone.clone());
    let notice_days = state.config.records.retention_notice_days;
    let in_force = company.retention_rule().at(current.now).current;
    let audit = current.audit_context(&client);
    if retention.compared_with(in_force) == RetentionChange::Shorter {
        if !may_shorten(Some(&current.actor)) {
            let error = "A shorter retention deletes recordings: it needs Access to Delete Recordings as well. Ask someone who has it, or choose a longer period.";
            return refuse(&state, &current, company, error.into()).await;
        }
        if form.get("confirm") != "1" {
            let from = current.now + i64::from(notice_days) * 86_400;
            let due = due_under(
                &state.store,
                &company,
                retention,
                &company_zone,
                from.saturating_mul(1000),
            )
            .await?;
            let confirm = ShorterRetention {
                zone: form.get("time_zone").to_string(),
                country: form.get("phone_country").to_string(),
                retention: form.get("retention").to_string(),
                days: form.get("retention_days").to_string(),
                label: retention.to_string(),
                due,
                from: format!(
                    "{} ({})",
                    current.zone.format_minutes(from),
                    current.zone.name()
                ),
                notice_days,
            };
            return render(&state, &current, Some(company), None, Some(confirm)).await;
        }
        let prove = ProvePresence {
            heading: "Company settings",
            action: Route::CompanySettings.path().to_string(),
            hidden: form.resent(),
            what: "You are shortening how long the company keeps its recordings.",
            return_to: back_to(&current, &company, ""),
            form: &form,
            recent_counts: true,
        };
        if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
            return Ok(ask);
        }
    }
    let place = CompanyPlace {
        zone: zone.as_ref(),
        country,
    };
    set_company_place(&state.store, &company, place, &audit).await?;
    // The form shows the period in force: saving it as it is (a new time
    // zone, say) leaves a waiting change alone; Cancel change cancels.
    if retention == in_force {
        return Ok(Redirect::to(&back_to(&current, &company, "settings-saved")).into_response());
    }
    let request = RetentionRequest {
        company: &company,
        period: retention,
        zone: &company_zone,
        notice_days,
        mail: state.config.mail.is_some(),
    };
    let done = match change_retention(&state.store, &request, Some(&current.actor), &audit).await {
        Ok(RetentionSaved::Scheduled { .. }) => "retention-scheduled",
        Ok(_) => "settings-saved",
        Err(callrec_app::Error::Invalid(error)) => {
            return refuse(&state, &current, company, error.message).await;
        }
        Err(other) => return Err(other.into()),
    };
    Ok(Redirect::to(&back_to(&current, &company, done)).into_response())
}

/// Company settings of `company` again, with `done`'s confirmation.
pub(super) fn back_to(current: &CurrentUser, company: &Company, done: &str) -> String {
    let mut query = Vec::new();
    if current.actor.scope() == DataScope::Everything {
        query.push(format!("company={}", company.id));
    }
    if !done.is_empty() {
        query.push(format!("done={done}"));
    }
    format!("/company-settings?{}", query.join("&"))
}

/// Where a section's change leads: back to the section (`#anchor`) saying
/// `done`; for an add refused as invalid, the page again with the reason
/// beside the section's form (`refused` places it), what was typed kept.
pub(super) async fn section_outcome(
    state: &AppState,
    current: &CurrentUser,
    company: Company,
    outcome: Result<&'static str, callrec_app::Error>,
    anchor: &str,
    refused: impl FnOnce(String) -> Refused,
) -> Result<Response, AppError> {
    match outcome {
        Ok(done) => Ok(
            Redirect::to(&format!("{}#{anchor}", back_to(current, &company, done))).into_response(),
        ),
        Err(callrec_app::Error::Invalid(error)) => {
            let refused = refused(error.message);
            render(state, current, Some(company), Some(refused), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Cancel change: the shorter retention waiting out its notice is dropped.
pub(super) async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let zone = company.zone(&state.config.default_time_zone);
    let audit = current.audit_context(&client);
    let done = if cancel_retention_change(&state.store, &company, &zone, &audit).await? {
        "retention-cancelled"
    } else {
        ""
    };
    Ok(Redirect::to(&back_to(&current, &company, done)).into_response())
}
