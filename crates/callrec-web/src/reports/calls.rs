//! Reports → Call detail report: the Recordings filters, within the
//! viewer's scope; totals (calls and minutes, by direction, user, team and
//! day in the viewer's zone) and Export CSV (every call, streamed, in the
//! viewer's zone, RFC 4180, audited). Role Access to Recordings.

use super::csv::csv_download;
use super::slots::Heavy;
use crate::error::AppError;
use crate::form::QueryData;
use crate::layout::{Choice, Chrome};
use crate::recordings::{search_of, tags_for, FilterErrors, FilterLists, Filters};
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use callrec_app::audit::{record_export, Export};
use callrec_domain::csv::{csv_line, CALL_COLUMNS};
use callrec_domain::permissions::DataScope;
use callrec_domain::zone::Zone;
use callrec_domain::{MenuItem, Role};
use callrec_store::{CallTotals, PageFrom, RecordingQuery, Tally, QUARTER_HOUR_MS};
use std::collections::BTreeMap;

/// `12.5` minutes.
fn minutes(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 60_000.0)
}

pub(crate) struct TotalTable {
    title: &'static str,
    /// The first column's header.
    column: &'static str,
    rows: Vec<TotalRow>,
}

pub(crate) struct TotalRow {
    label: String,
    calls: i64,
    minutes: String,
}

impl TotalRow {
    fn new(label: impl Into<String>, tally: Tally) -> TotalRow {
        TotalRow {
            label: label.into(),
            calls: tally.calls,
            minutes: minutes(tally.duration_ms),
        }
    }
}

#[derive(Template)]
#[template(path = "reports/calls.html")]
struct CallsPage {
    chrome: Chrome,
    zone: String,
    filters: Filters,
    filter_errors: FilterErrors,
    directions: Vec<Choice>,
    users: Vec<Choice>,
    teams: Vec<Choice>,
    companies: Vec<Choice>,
    periods: Vec<Choice>,
    tags: Vec<Choice>,
    show_company: bool,
    calls: i64,
    minutes: String,
    by_direction: Vec<TotalRow>,
    /// By user, by team, by day.
    tables: Vec<TotalTable>,
    export_link: String,
    can_audit: bool,
    /// Whether the direction cards show minutes (see `CallTotals`).
    direction_minutes: bool,
}

/// The totals by day in `zone`, oldest first, from quarter hours.
fn by_day(totals: &CallTotals, zone: &Zone) -> Vec<TotalRow> {
    let mut days: BTreeMap<String, Tally> = BTreeMap::new();
    for (start, tally) in &totals.by_quarter_hour {
        let day = days.entry(zone.format_date(*start)).or_default();
        day.calls += tally.calls;
        day.duration_ms += tally.duration_ms;
    }
    days.into_iter()
        .map(|(day, tally)| TotalRow::new(day, tally))
        .collect()
}

/// A report covers the last 31 days unless a start is chosen, and at most
/// 366 days: the security review stalled the portal with reports of every
/// call (wave 2, item 2).
const DEFAULT_DAYS: i64 = 31;
const MAX_DAYS: i64 = 366;

/// The report's search: the filters, with the default start filled in
/// (shown in the form) and the period checked against the cap.
async fn report_search(
    state: &AppState,
    current: &CurrentUser,
    filters: &mut Filters,
    limit: u32,
) -> Result<(RecordingQuery, FilterErrors), AppError> {
    let now_ms = current.now.saturating_mul(1000);
    if filters.start.is_empty() && filters.period.is_empty() {
        let day = current.zone.start_of_day(now_ms).unwrap_or(now_ms);
        let start = current.zone.days_later(day / 1000, 1 - DEFAULT_DAYS);
        filters.start = current.zone.input_value(start.saturating_mul(1000));
    }
    let (search, mut errors) = search_of(state, current, filters, PageFrom::Start, limit).await?;
    if let Some(start) = search.start_ms {
        let end = search.end_ms.unwrap_or(now_ms);
        if end - start > MAX_DAYS * 86_400_000 {
            errors.add(
                "f-start",
                format!("A report covers at most {MAX_DAYS} days: choose a later Start Date/Time or an earlier End Date/Time."),
            );
        }
    }
    Ok((search, errors))
}

/// The totals, from the call counts when the report asks only for whole
/// quarter hours of the viewer's scope (at 1,000,000 recordings a Team
/// user's report took 1.3 s counting calls: docs/BENCHMARKS.md), else by
/// counting calls.
async fn totals_of(
    state: &AppState,
    search: &RecordingQuery,
    now_ms: i64,
) -> Result<CallTotals, AppError> {
    // A Global user's chosen company is that company's scope.
    let scope = match (search.scope, search.company) {
        (DataScope::Everything, Some(company)) => DataScope::Company(company),
        (scope, _) => scope,
    };
    let whole = |ms: i64| ms.rem_euclid(QUARTER_HOUR_MS) == 0;
    let from = search.start_ms.filter(|ms| whole(*ms));
    let to = match search.end_ms {
        Some(end) if whole(end + 1) => Some(end / QUARTER_HOUR_MS),
        Some(_) => None,
        None => Some(now_ms / QUARTER_HOUR_MS),
    };
    let plain = search.number.is_none()
        && search.calling.is_none()
        && search.called.is_none()
        && search.direction.is_none()
        && search.user.is_none()
        && search.team.is_none()
        && !search.held_only
        && search.tag.is_none();
    if let (Some(from), Some(to), true) = (from, to, plain) {
        let from = from / QUARTER_HOUR_MS;
        return Ok(state.store.call_totals_from_counts(scope, from, to).await?);
    }
    Ok(state.store.call_totals(search).await?)
}

/// `GET /reports/calls`.
pub(crate) async fn calls_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let _slot = state
        .reports
        .take(current.user.id, Heavy::Report)
        .ok_or(AppError::TooMany(
            "Your last call detail report is still being made. Wait for it, then try again.",
        ))?;
    let mut filters = Filters::from_query(&query);
    let (search, filter_errors) = report_search(&state, &current, &mut filters, 1).await?;
    let scope = current.actor.scope();
    let global = scope == DataScope::Everything;
    let totals = if filter_errors.is_empty() {
        totals_of(&state, &search, state.clock.now_ms()).await?
    } else {
        CallTotals::default()
    };
    let tags = tags_for(&state, &current).await?;
    let lists = FilterLists::new(
        state.store.filter_choices(scope).await?,
        tags,
        &filters,
        global,
    );
    let named =
        |name: &Option<String>, none: &str| name.clone().unwrap_or_else(|| none.to_string());
    let direction_minutes = totals.direction_minutes;
    let page = CallsPage {
        chrome: Chrome::new(&current, "Call detail report", Some(MenuItem::Recordings)),
        direction_minutes,
        zone: current.zone.name().to_string(),
        calls: totals.all.calls,
        minutes: minutes(totals.all.duration_ms),
        by_direction: totals
            .by_direction
            .iter()
            .map(|(direction, tally)| TotalRow::new(direction.label(), *tally))
            .collect(),
        tables: vec![
            TotalTable {
                title: "By user",
                column: "User",
                rows: totals
                    .by_user
                    .iter()
                    .map(|(name, tally)| TotalRow::new(named(name, "(no user)"), *tally))
                    .collect(),
            },
            TotalTable {
                title: "By team",
                column: "Team",
                rows: totals
                    .by_team
                    .iter()
                    .map(|(name, tally)| TotalRow::new(named(name, "(no team)"), *tally))
                    .collect(),
            },
            TotalTable {
                title: "By day",
                column: "Day",
                rows: by_day(&totals, &current.zone),
            },
        ],
        export_link: format!("/reports/calls.csv{}", filters.query_string(&[])),
        can_audit: current.actor.can(Role::AuditLog),
        directions: lists.directions,
        users: lists.users,
        teams: lists.teams,
        companies: lists.companies,
        periods: lists.periods,
        tags: lists.tags,
        show_company: global,
        filters,
        filter_errors,
    };
    Ok(Html(page.render()?).into_response())
}

/// Calls read per page while exporting.
const EXPORT_BATCH: u32 = 500;

/// `GET /reports/calls.csv`: every call the filters select, newest first.
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let slot = state
        .reports
        .take(current.user.id, Heavy::Export)
        .ok_or(AppError::TooMany(
            "Your last export is still downloading. Wait for it to finish, then try again.",
        ))?;
    let mut filters = Filters::from_query(&query);
    let (search, errors) = report_search(&state, &current, &mut filters, EXPORT_BATCH).await?;
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors.sentences()));
    }
    let chosen = filters.query_string(&[]);
    let audit = current.audit_context(&client);
    let company = current.actor.company_id;
    record_export(
        &state.store,
        &audit,
        Export::CallReport,
        company,
        chosen.trim_start_matches('?'),
    )
    .await?;
    let mut header = CALL_COLUMNS.to_vec();
    header.extend(["On hold", "Recording", "Tags"]);
    let name = format!(
        "calls-{}.csv",
        current.zone.format_date(state.clock.now_ms())
    );
    let (store, zone) = (state.store.clone(), current.zone.clone());
    let slot = std::sync::Arc::new(slot);
    // The state is the next page's search; none after the last page. The
    // slot is held until the download ends.
    Ok(csv_download(&name, &header, Some(search), move |search| {
        let (store, zone, _slot) = (store.clone(), zone.clone(), slot.clone());
        async move {
            let Some(mut search) = search else {
                return Ok(None);
            };
            let page = store.search_recordings(&search).await?;
            if page.items.is_empty() {
                return Ok(None);
            }
            let ids: Vec<&str> = page.items.iter().map(|r| r.id.as_str()).collect();
            let tags = store.tag_names_of(&ids).await?;
            let text: String = page
                .items
                .iter()
                .map(|r| {
                    csv_line(&[
                        zone.format_ms(r.started_at_ms).as_str(),
                        r.direction.label(),
                        r.calling_number.as_str(),
                        r.called_number.as_str(),
                        r.username.as_deref().unwrap_or(""),
                        r.team_name.as_deref().unwrap_or(""),
                        &r.company_name,
                        &format!("{:.1}", r.duration_ms as f64 / 1000.0),
                        if r.held { "yes" } else { "no" },
                        r.id.as_str(),
                        tags.get(r.id.as_str()).map_or("", String::as_str),
                    ])
                })
                .collect();
            let next = page.next.map(|cursor| {
                search.from = PageFrom::After(cursor);
                search
            });
            Ok::<_, callrec_store::StoreError>(Some((text, next)))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_viewers_zone() {
        let quarter = |ms: i64, calls: i64| {
            (
                ms,
                Tally {
                    calls,
                    duration_ms: calls * 60_000,
                },
            )
        };
        // 2026-11-28 23:45 UTC and 2026-11-29 00:15 UTC.
        let totals = CallTotals {
            by_quarter_hour: vec![quarter(1_795_909_500_000, 2), quarter(1_795_911_300_000, 3)],
            ..CallTotals::default()
        };
        let utc: Vec<(String, i64)> = by_day(&totals, &Zone::utc())
            .into_iter()
            .map(|r| (r.label, r.calls))
            .collect();
        assert_eq!(
            utc,
            [("2026-11-28".to_string(), 2), ("2026-11-29".to_string(), 3)]
        );
        let sydney = Zone::parse("Australia/Sydney").unwrap();
        let local: Vec<(String, i64)> = by_day(&totals, &sydney)
            .into_iter()
            .map(|r| (r.label, r.calls))
            .collect();
        assert_eq!(
            local,
            [("2026-11-29".to_string(), 5)],
            "both on the 29th in Sydney"
        );
        assert_eq!(minutes(90_000), "1.5");
    }
}
