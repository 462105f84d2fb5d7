//! The Recordings filters: as typed (to show again and build links), the
//! search they describe in the viewer's scope and zone, and their
//! dropdowns.

use crate::form::FormData;
use crate::layout::Choice;
use crate::session::CurrentUser;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{number_filter, Direction};
use callrec_domain::time::parse_rfc3339;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, TeamId, UserId};
use callrec_store::{FilterChoices, PageFrom, RecordingQuery};

/// The filters exactly as typed, to show them again and build links.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    pub calling_number: String,
    pub called_number: String,
    pub start: String,
    pub end: String,
    pub direction: String,
    pub user: String,
    pub team: String,
    pub company: String,
    /// `1`: only recordings on legal hold.
    pub held: String,
}

impl Filters {
    pub(crate) fn from_query(query: &FormData) -> Filters {
        let field = |name: &str| query.get(name).trim().chars().take(64).collect::<String>();
        Filters {
            calling_number: field("calling_number"),
            called_number: field("called_number"),
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
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 9] {
        [
            ("calling_number", &self.calling_number),
            ("called_number", &self.called_number),
            ("start", &self.start),
            ("end", &self.end),
            ("direction", &self.direction),
            ("user", &self.user),
            ("team", &self.team),
            ("company", &self.company),
            ("held", &self.held),
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

    /// `?calling_number=…&…` plus `extra`, without empty filters.
    pub fn query_string(&self, extra: &[(&str, &str)]) -> String {
        crate::form::query_string(self.pairs().into_iter().chain(extra.iter().copied()))
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
/// and the messages for filters that did not parse.
pub(crate) fn search_of(
    current: &CurrentUser,
    filters: &Filters,
    from: PageFrom,
    limit: u32,
) -> (RecordingQuery, Vec<String>) {
    let scope = current.actor.scope();
    let mut filter_errors = Vec::new();
    let mut time = |label: &str, text: &str| {
        let parsed = parse_date_time(text, &current.zone);
        if parsed.is_none() && !text.is_empty() {
            filter_errors.push(format!(
                "{label} must be a date and time such as 2026-11-28T09:30."
            ));
        }
        parsed
    };
    let start_ms = time("Start Date/Time", &filters.start);
    let end_ms = time("End Date/Time", &filters.end).map(|ms| ms + 59_999);
    let id_of = |text: &str| text.parse::<i64>().ok();
    let query = RecordingQuery {
        scope,
        company: if scope == DataScope::Everything {
            id_of(&filters.company).map(CompanyId)
        } else {
            None
        },
        calling: number_filter(&filters.calling_number),
        called: number_filter(&filters.called_number),
        start_ms,
        end_ms,
        direction: Direction::parse(&filters.direction),
        user: id_of(&filters.user).map(UserId),
        team: id_of(&filters.team).map(TeamId),
        held_only: filters.held == "1",
        from,
        limit,
    };
    (query, filter_errors)
}

/// The Direction, User, Team and Company dropdowns of the filters, each
/// inside the viewer's scope, with the chosen one marked.
pub(crate) struct FilterLists {
    pub directions: Vec<Choice>,
    pub users: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub companies: Vec<Choice>,
}

impl FilterLists {
    pub fn new(choices: FilterChoices, filters: &Filters, global: bool) -> FilterLists {
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
        }
    }
}
