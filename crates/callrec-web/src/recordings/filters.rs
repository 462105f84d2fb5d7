//! The Recordings filters: as typed (to show again and build links), the
//! search they describe in the viewer's scope, zone and country, and their
//! dropdowns. A filter that does not parse is an error beside its field,
//! and the search lists nothing: never every recording, which the bulk
//! actions would then act on.

use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Choice;
use crate::session::CurrentUser;
use crate::AppState;
use callrec_app::transcription::index::{said_query, Searcher};
use callrec_domain::period::Period;
use callrec_domain::permissions::DataScope;
use callrec_domain::phone::search_digits;
use callrec_domain::recording::Direction;
use callrec_domain::time::parse_rfc3339;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, TeamId, UserId};
use callrec_store::{FilterChoices, PageFrom, RecordingQuery, Tag};

/// The filters exactly as typed, to show them again and build links.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    /// The Phone number box: either party.
    pub number: String,
    pub calling_number: String,
    pub called_number: String,
    /// A date preset (`Period::code`); empty is Any time, or Custom when a
    /// date is typed.
    pub period: String,
    pub start: String,
    pub end: String,
    pub direction: String,
    pub user: String,
    pub team: String,
    pub company: String,
    /// `1`: only recordings on legal hold.
    pub held: String,
    /// A tag's id: only recordings carrying it.
    pub tag: String,
    /// Words said (in the call's transcript).
    pub said: String,
}

impl Filters {
    pub(crate) fn from_query(query: &FormData) -> Filters {
        let field = |name: &str| query.get(name).trim().chars().take(64).collect::<String>();
        Filters {
            number: field("number"),
            calling_number: field("calling_number"),
            called_number: field("called_number"),
            period: field("period"),
            start: field("start"),
            end: field("end"),
            direction: field("direction"),
            user: field("user"),
            team: field("team"),
            company: field("company"),
            held: if query.get("held") == "1" {
                "1".into()
            } else {
                String::new()
            },
            tag: field("tag"),
            said: query.get("said").trim().chars().take(200).collect(),
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 13] {
        [
            ("number", &self.number),
            ("calling_number", &self.calling_number),
            ("called_number", &self.called_number),
            ("period", &self.period),
            ("start", &self.start),
            ("end", &self.end),
            ("direction", &self.direction),
            ("user", &self.user),
            ("team", &self.team),
            ("company", &self.company),
            ("held", &self.held),
            ("tag", &self.tag),
            ("said", &self.said),
        ]
    }

    /// The filters as (name, value) pairs, without empty ones: hidden
    /// fields of the forms that act on the whole search.
    pub fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        self.pairs()
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (name, value.to_string()))
            .collect()
    }

    /// `?number=…&…` plus `extra`, without empty filters.
    pub fn query_string(&self, extra: &[(&str, &str)]) -> String {
        crate::form::query_string(self.pairs().into_iter().chain(extra.iter().copied()))
    }

    /// The date preset chosen: Custom when dates are typed without one.
    pub fn chosen_period(&self) -> Period {
        match Period::parse(&self.period) {
            Some(Period::AnyTime) | None if !(self.start.is_empty() && self.end.is_empty()) => {
                Period::Custom
            }
            Some(period) => period,
            None => Period::AnyTime,
        }
    }

    /// Whether the Custom date fields are in use (else they are hidden).
    pub fn is_custom(&self) -> bool {
        self.chosen_period() == Period::Custom
    }

    /// Whether anything under More filters is set (it opens then).
    pub fn more_set(&self) -> bool {
        [
            &self.calling_number,
            &self.called_number,
            &self.direction,
            &self.user,
            &self.team,
            &self.company,
            &self.held,
            &self.tag,
        ]
        .iter()
        .any(|value| !value.is_empty())
    }
}

/// A filter that did not parse: the id of its field and what to do.
#[derive(Debug, Clone)]
pub(crate) struct FilterError {
    pub field: &'static str,
    pub message: String,
}

/// The filters that did not parse, shown in a summary at the top and
/// beside each field (GOV.UK's pattern).
#[derive(Debug, Clone, Default)]
pub(crate) struct FilterErrors(pub Vec<FilterError>);

impl FilterErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FilterError> {
        self.0.iter()
    }

    /// The message beside the field `id`, if it has one.
    pub fn on(&self, id: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.as_str())
    }

    /// All messages as one sentence each, for a plain error.
    pub fn sentences(&self) -> String {
        self.0
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FilterError {
            field,
            message: message.into(),
        });
    }
}

/// `2026-11-28T10:15` (a datetime-local field) or `2026-11-28` in the
/// viewer's zone, or a full RFC 3339 time with its own offset.
fn parse_date_time(text: &str, zone: &Zone) -> Option<i64> {
    match text.len() {
        0 => None,
        10 => zone.parse_local(&format!("{text}T00:00")),
        16 | 19 => zone.parse_local(text),
        _ => parse_rfc3339(text),
    }
}

/// The search the filters describe, in the viewer's scope, from `from`;
/// and the filters that did not parse (then the search must not run).
pub(crate) async fn search_of(
    state: &AppState,
    current: &CurrentUser,
    filters: &Filters,
    from: PageFrom,
    limit: u32,
) -> Result<(RecordingQuery, FilterErrors), AppError> {
    let (mut query, mut errors) = typed_search(current, filters, from, limit);
    if !filters.said.is_empty() {
        let searcher = Searcher {
            scope: query.scope,
            own_company: current.actor.company_id,
            chosen: query.company,
        };
        match said_query(&state.store, &state.keyring, &searcher, &filters.said).await {
            Ok(said) if said.is_empty() => {
                errors.add("f-said", "Words said needs a word of letters or digits.")
            }
            Ok(said) => query.said = said,
            Err(callrec_app::Error::Invalid(error)) => errors.add("f-said", error.message),
            Err(other) => return Err(other.into()),
        }
    }
    Ok((query, errors))
}

/// The search of every filter but Words said (which needs the companies'
/// word keys).
fn typed_search(
    current: &CurrentUser,
    filters: &Filters,
    from: PageFrom,
    limit: u32,
) -> (RecordingQuery, FilterErrors) {
    let scope = current.actor.scope();
    let mut errors = FilterErrors::default();
    let mut number = |id: &'static str, label: &str, text: &str| {
        search_digits("number", text, current.country).unwrap_or_else(|e| {
            errors.add(id, format!("{label} {}.", e.message));
            None
        })
    };
    let either = number("f-number", "Phone number", &filters.number);
    let calling = number("f-calling", "Calling Number", &filters.calling_number);
    let called = number("f-called", "Called Number", &filters.called_number);
    let period = filters.chosen_period();
    if !filters.period.is_empty() && Period::parse(&filters.period).is_none() {
        errors.add(
            "f-period",
            "Choose a date: Any time, Today, Yesterday, Last 7 days, Last 30 days or Custom.",
        );
    }
    let now_ms = current.now.saturating_mul(1000);
    let (start_ms, end_ms) = match period.span(&current.zone, now_ms) {
        Some(span) => (Some(span.start_ms), Some(span.end_ms)),
        None if period == Period::AnyTime => (None, None),
        None => {
            let mut time = |id: &'static str, label: &str, text: &str| {
                let parsed = parse_date_time(text, &current.zone);
                if parsed.is_none() && !text.is_empty() {
                    errors.add(
                        id,
                        format!("{label} must be a date and time such as 2026-11-28 09:30 (yyyy-mm-dd hh:mm)."),
                    );
                }
                parsed
            };
            let start = time("f-start", "Start Date/Time", &filters.start);
            let end = time("f-end", "End Date/Time", &filters.end).map(|ms| ms + 59_999);
            if let (Some(s), Some(e)) = (start, end) {
                if e < s {
                    errors.add("f-end", "End Date/Time must be after Start Date/Time.");
                }
            }
            (start, end)
        }
    };
    let id_of = |text: &str| text.parse::<i64>().ok();
    let query = RecordingQuery {
        scope,
        company: if scope == DataScope::Everything {
            id_of(&filters.company).map(CompanyId)
        } else {
            None
        },
        number: either,
        calling,
        called,
        start_ms,
        end_ms,
        direction: Direction::parse(&filters.direction),
        user: id_of(&filters.user).map(UserId),
        team: id_of(&filters.team).map(TeamId),
        held_only: filters.held == "1",
        tag: id_of(&filters.tag),
        said: Vec::new(),
        from,
        limit,
    };
    (query, errors)
}

/// The Direction, User, Team and Company dropdowns of the filters, each
/// inside the viewer's scope, with the chosen one marked; and the date
/// presets.
pub(crate) struct FilterLists {
    pub directions: Vec<Choice>,
    pub users: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub companies: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub tags: Vec<Choice>,
}

/// The tags the viewer may filter by: their company's, or every company's
/// for an operator.
pub(crate) async fn tags_for(
    state: &AppState,
    current: &CurrentUser,
) -> Result<Vec<Tag>, AppError> {
    Ok(match current.actor.scope() {
        DataScope::Everything => state.store.all_tags().await?,
        _ => state.store.company_tags(current.actor.company_id).await?,
    })
}

impl FilterLists {
    pub fn new(
        choices: FilterChoices,
        tags: Vec<Tag>,
        filters: &Filters,
        global: bool,
    ) -> FilterLists {
        let users = choices
            .users
            .into_iter()
            .map(|(id, name)| (id.0.to_string(), name));
        let teams = choices.teams.into_iter().map(|(id, company, team)| {
            let label = if global {
                format!("{company} · {team}")
            } else {
                team
            };
            (id.0.to_string(), label)
        });
        let companies = choices
            .companies
            .into_iter()
            .map(|(id, name)| (id.0.to_string(), name));
        FilterLists {
            directions: Choice::list(
                Direction::ALL.map(|d| (d.code().to_string(), d.label().to_string())),
                Some(&filters.direction),
            ),
            users: Choice::list(users, Some(&filters.user)),
            teams: Choice::list(teams, Some(&filters.team)),
            companies: Choice::list(companies, Some(&filters.company)),
            tags: Choice::list(
                tags.into_iter().map(|t| (t.id.to_string(), t.name)),
                Some(&filters.tag),
            ),
            periods: Choice::list(
                Period::ALL.map(|p| (p.code().to_string(), p.label().to_string())),
                Some(&filters.chosen_period().code().to_string()),
            ),
        }
    }
}
