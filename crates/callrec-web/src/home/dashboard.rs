//! The home dashboard: the last 30 days of calls in the viewer's scope and
//! time zone, as server-drawn SVG charts (each with a title and a table
//! for screen readers), every part linking to the matching search; and, for
//! those who manage MFA, the company's adoption.

use crate::error::AppError;
use crate::session::CurrentUser;
use crate::AppState;
use callrec_domain::dashboard::{
    change_text, days_up_to, grouped, hours_minutes, summarise, Day, Summary, QUARTER_MS,
};
use callrec_domain::permissions::DataScope;
use callrec_domain::CompanyId;
use callrec_store::{Ranking, TopEntry};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The period Home shows (`?period=`): Today, Yesterday, 7 days or 30
/// days (the default), each compared with the period just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HomePeriod {
    Today,
    Yesterday,
    Week,
    Month,
}

impl HomePeriod {
    pub const ALL: [HomePeriod; 4] = [
        HomePeriod::Today,
        HomePeriod::Yesterday,
        HomePeriod::Week,
        HomePeriod::Month,
    ];

    pub fn parse(code: &str) -> HomePeriod {
        HomePeriod::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .unwrap_or(HomePeriod::Month)
    }

    pub fn code(self) -> &'static str {
        match self {
            HomePeriod::Today => "today",
            HomePeriod::Yesterday => "yesterday",
            HomePeriod::Week => "7d",
            HomePeriod::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HomePeriod::Today => "Today",
            HomePeriod::Yesterday => "Yesterday",
            HomePeriod::Week => "7 days",
            HomePeriod::Month => "30 days",
        }
    }

    /// What it is compared with.
    pub fn before(self) -> &'static str {
        match self {
            HomePeriod::Today | HomePeriod::Yesterday => "the day before",
            HomePeriod::Week => "the 7 days before",
            HomePeriod::Month => "the 30 days before",
        }
    }

    /// Its calendar days in `zone` at `now_ms`.
    fn days(self, zone: &callrec_domain::zone::Zone, now_ms: i64) -> Vec<Day> {
        match self {
            HomePeriod::Today => days_up_to(zone, now_ms, 1),
            HomePeriod::Yesterday => {
                let today = zone.start_of_day(now_ms).unwrap_or(now_ms);
                days_up_to(zone, today - 1, 1)
            }
            HomePeriod::Week => days_up_to(zone, now_ms, 7),
            HomePeriod::Month => days_up_to(zone, now_ms, 30),
        }
    }
}
/// Teams or users listed.
const TOP: i64 = 5;
/// The per-day chart's drawing: bar width and gap, and plot height.
const BAR: i64 = 16;
const GAP: i64 = 4;
const PLOT: i64 = 160;

pub(crate) struct Segment {
    pub y: i64,
    pub height: i64,
    pub class: &'static str,
    pub title: String,
    pub link: String,
}

pub(crate) struct Bar {
    pub x: i64,
    pub label: String,
    pub show_label: bool,
    pub segments: Vec<Segment>,
    pub day: Day,
    pub link: String,
}

pub(crate) struct HeatCell {
    pub x: i64,
    pub y: i64,
    pub level: usize,
    pub title: String,
}

pub(crate) struct HeatRow {
    pub name: &'static str,
    pub y: i64,
    pub cells: Vec<HeatCell>,
    pub counts: Vec<i64>,
}

pub(crate) struct Ranked {
    pub name: String,
    pub calls: i64,
    pub link: String,
    pub width: i64,
}

pub(crate) struct Adoption {
    /// Each day's registered users, as a dot (one day alone makes no line).
    pub dots: Vec<(i64, i64)>,
    pub points_registered: String,
    pub points_users: String,
    pub rows: Vec<(String, i64, i64)>,
    pub latest: Option<(i64, i64)>,
}

pub(crate) struct Dashboard {
    pub period_choice: HomePeriod,
    /// The period links: (code, label, current).
    pub periods: Vec<(&'static str, &'static str, bool)>,
    /// Calls and time against the period before (`+12 %`).
    pub calls_change: String,
    pub minutes_change: String,
    /// When the figures were taken (in the viewer's zone).
    pub as_of: String,
    pub period: String,
    pub period_link: String,
    /// Calls, with thousands separators.
    pub calls: String,
    /// Time recorded as h:mm.
    pub minutes: String,
    pub bars: Vec<Bar>,
    pub chart_width: i64,
    pub max_calls: i64,
    pub heat: Vec<HeatRow>,
    pub top_label: &'static str,
    pub top: Vec<Ranked>,
    pub top_users: Vec<Ranked>,
    pub adoption: Option<Adoption>,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `/recordings?start=…&end=…` plus `extra`: the search of a span.
fn search(current: &CurrentUser, start_ms: i64, end_ms: i64, extra: &[(&str, &str)]) -> String {
    let start = current.zone.input_value(start_ms);
    // The Recordings page's End reads to the end of its minute.
    let end = current.zone.input_value(end_ms - 60_000);
    let pairs = [("start", start.as_str()), ("end", end.as_str())];
    format!(
        "/recordings{}",
        crate::form::query_string(pairs.into_iter().chain(extra.iter().copied()))
    )
}

fn bars(current: &CurrentUser, days: &[Day]) -> (Vec<Bar>, i64) {
    let max = days.iter().map(Day::calls).max().unwrap_or(0).max(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let mut top = PLOT;
            let mut segments = Vec::new();
            for (count, class, code, word) in [
                (day.inbound, "in", "inbound", "inbound"),
                (day.outbound, "out", "outbound", "outbound"),
                (day.internal, "int", "internal", "internal"),
            ] {
                if count == 0 {
                    continue;
                }
                let height = (count * PLOT / max).max(2);
                top -= height;
                segments.push(Segment {
                    y: top,
                    height,
                    class,
                    title: format!("{}: {count} {word}", day.date),
                    link: search(current, day.start_ms, day.end_ms, &[("direction", code)]),
                });
            }
            Bar {
                x: i as i64 * (BAR + GAP),
                label: day.date.get(5..).unwrap_or(&day.date).to_string(),
                show_label: i % 5 == 4 || i + 1 == days.len(),
                segments,
                link: search(current, day.start_ms, day.end_ms, &[]),
                day: day.clone(),
            }
        })
        .collect();
    (bars, max)
}

fn heat(summary: &Summary) -> Vec<HeatRow> {
    let max = summary.heat.iter().flatten().copied().max().unwrap_or(0);
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(d, name)| HeatRow {
            name,
            y: d as i64 * 18,
            cells: (0..24)
                .map(|h| {
                    let calls = summary.heat[d][h];
                    HeatCell {
                        x: 36 + h as i64 * 18,
                        y: d as i64 * 18,
                        level: if calls == 0 || max == 0 {
                            0
                        } else {
                            1 + (calls * 4 - 1) as usize / max as usize
                        },
                        title: format!("{name} {h:02}:00–{h:02}:59: {calls} calls"),
                    }
                })
                .collect(),
            counts: summary.heat[d].to_vec(),
        })
        .collect()
}

fn ranked(entries: Vec<TopEntry>, link: impl Fn(i64) -> String) -> Vec<Ranked> {
    let max = entries.iter().map(|e| e.calls).max().unwrap_or(1).max(1);
    entries
        .into_iter()
        .map(|e| Ranked {
            width: (e.calls * 200 / max).max(2),
            link: link(e.id),
            name: e.name,
            calls: e.calls,
        })
        .collect()
}

/// The figures of `current`'s scope, taken at most `FRESH_SECONDS` ago:
/// everyone of one scope, zone and day shares them. Counting at a million
/// recordings costs a Company page 12–19 ms of CPU (docs/BENCHMARKS.md), so
/// without sharing, 64 people opening Home at once queue for a second.
pub(crate) async fn load(
    state: &AppState,
    current: &CurrentUser,
    period: HomePeriod,
) -> Result<Arc<Dashboard>, AppError> {
    let key = ViewKey {
        period,
        scope: current.actor.scope(),
        zone: current.zone.name().to_string(),
        day: current.zone.format_date(current.now * 1000),
        adoption: adoption_company(current),
    };
    let now = state.now();
    if let Some(fresh) = state.dashboards.fresh(&key, now) {
        return Ok(fresh);
    }
    let dashboard = Arc::new(compute(state, current, period).await?);
    state.dashboards.keep(key, now, dashboard.clone());
    Ok(dashboard)
}

/// Whose MFA adoption the viewer sees: those who manage Company MFA see
/// their company's (operators every company's, summed); others none.
fn adoption_company(current: &CurrentUser) -> Option<Option<CompanyId>> {
    let actor = &current.actor;
    if !actor.may_manage_company_mfa(actor.company_id) {
        return None;
    }
    Some(match actor.scope() {
        DataScope::Everything => None,
        _ => Some(actor.company_id),
    })
}

async fn compute(
    state: &AppState,
    current: &CurrentUser,
    period: HomePeriod,
) -> Result<Dashboard, AppError> {
    let zone = &current.zone;
    let now_ms = current.now * 1000;
    let days = period.days(zone, now_ms);
    let (from_ms, to_ms) = (
        days.first().map_or(now_ms, |d| d.start_ms),
        days.last().map_or(now_ms, |d| d.end_ms),
    );
    let (from_q, to_q) = (from_ms / QUARTER_MS, (to_ms - 1) / QUARTER_MS);
    let scope = current.actor.scope();
    let counts = state.store.call_counts(scope, from_q, to_q).await?;
    let summary = summarise(zone, days, &counts);
    // The same length just before, from the same counts table.
    let length = to_ms - from_ms;
    let before = state
        .store
        .call_counts(
            scope,
            (from_ms - length) / QUARTER_MS,
            (from_ms - 1) / QUARTER_MS,
        )
        .await?;
    let calls_before: i64 = before.iter().map(|q| q.calls()).sum();
    let minutes_before = (before.iter().map(|q| q.duration_ms).sum::<i64>() + 30_000) / 60_000;
    let (bars, max_calls) = bars(current, &summary.days);
    let period_link = search(current, from_ms, to_ms, &[]);
    let user_link = |id: i64| search(current, from_ms, to_ms, &[("user", &id.to_string())]);
    let team_link = |id: i64| search(current, from_ms, to_ms, &[("team", &id.to_string())]);
    let (top_label, top, top_users) = match scope {
        DataScope::Everything | DataScope::Company(_) => {
            let company = match scope {
                DataScope::Company(company) => Some(company),
                _ => None,
            };
            let teams = state
                .store
                .busiest(Ranking::Teams(company), from_q, to_q, TOP)
                .await?;
            let users = state
                .store
                .busiest(Ranking::Users(company), from_q, to_q, TOP)
                .await?;
            (
                "Busiest teams",
                ranked(teams, team_link),
                ranked(users, user_link),
            )
        }
        DataScope::Team(_, team) => {
            let users = state
                .store
                .busiest(Ranking::TeamMembers(team), from_q, to_q, TOP)
                .await?;
            (
                "Busiest people in your team",
                ranked(users, user_link),
                Vec::new(),
            )
        }
        DataScope::OwnOnly(_) => ("", Vec::new(), Vec::new()),
    };
    let adoption = match adoption_company(current) {
        Some(company) => {
            let first_day = summary
                .days
                .first()
                .map(|d| d.date.clone())
                .unwrap_or_default();
            let history = state.store.mfa_adoption(company, &first_day).await?;
            Some(adoption(&summary.days, history))
        }
        None => None,
    };
    Ok(Dashboard {
        period_choice: period,
        periods: HomePeriod::ALL
            .into_iter()
            .map(|p| (p.code(), p.label(), p == period))
            .collect(),
        calls_change: change_text(summary.calls, calls_before),
        minutes_change: change_text(summary.minutes, minutes_before),
        as_of: current.zone.format_minutes(current.now),
        period: format!(
            "{} to {}",
            summary
                .days
                .first()
                .map(|d| d.date.as_str())
                .unwrap_or_default(),
            summary
                .days
                .last()
                .map(|d| d.date.as_str())
                .unwrap_or_default()
        ),
        period_link,
        calls: grouped(summary.calls),
        minutes: hours_minutes(summary.minutes),
        chart_width: summary.days.len() as i64 * (BAR + GAP),
        max_calls,
        heat: heat(&summary),
        bars,
        top_label,
        top,
        top_users,
        adoption,
    })
}

/// Registered and all users per day, as two polylines over the same 30
/// days as the calls (days without a note are skipped).
fn adoption(days: &[Day], history: Vec<callrec_store::AdoptionDay>) -> Adoption {
    let max = history.iter().map(|h| h.users).max().unwrap_or(1).max(1);
    let point = |day: &str, value: i64| {
        let i = days.iter().position(|d| d.date == day)? as i64;
        Some((i * (BAR + GAP) + BAR / 2, PLOT - value * PLOT / max))
    };
    let line = |pick: fn(&callrec_store::AdoptionDay) -> i64| {
        history
            .iter()
            .filter_map(|h| point(&h.day, pick(h)))
            .map(|(x, y)| format!("{x},{y}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Adoption {
        dots: history
            .iter()
            .filter_map(|h| point(&h.day, h.registered))
            .collect(),
        points_registered: line(|h| h.registered),
        points_users: line(|h| h.users),
        latest: history.last().map(|h| (h.registered, h.users)),
        rows: history
            .into_iter()
            .map(|h| (h.day, h.registered, h.users))
            .collect(),
    }
}

/// What makes two viewers see the same figures.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ViewKey {
    period: HomePeriod,
    scope: DataScope,
    zone: String,
    day: String,
    adoption: Option<Option<CompanyId>>,
}

/// How long figures are shared: Home says "as of" when they were taken.
pub(crate) const FRESH_SECONDS: i64 = 60;

/// Dashboards taken in the last `FRESH_SECONDS`, per view. Each node keeps
/// its own; none holds more than the views used in one minute.
#[derive(Default)]
pub struct DashboardCache {
    views: Mutex<HashMap<ViewKey, (i64, Arc<Dashboard>)>>,
}

impl DashboardCache {
    fn fresh(&self, key: &ViewKey, now: i64) -> Option<Arc<Dashboard>> {
        let views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        views
            .get(key)
            .filter(|(taken, _)| now - taken < FRESH_SECONDS && now >= *taken)
            .map(|(_, dashboard)| dashboard.clone())
    }

    fn keep(&self, key: ViewKey, now: i64, dashboard: Arc<Dashboard>) {
        let mut views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        views.retain(|_, (taken, _)| now - *taken < FRESH_SECONDS);
        views.insert(key, (now, dashboard));
    }
}
