//! A Recordings page as the statement returns it: packed ids and numbers
//! (`Backend::packed_rows`), named from the directory copy.

use super::stored_number;
use crate::directory::Directory;
use crate::{packed, Result, StoreError};
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::{CompanyId, PhoneNumber, TeamId, UserId};

/// A recording as the Recordings list shows it: the list is the hot path,
/// so it reads only what a row of the page needs (half the columns, and not
/// the long hash and storage key; see docs/BENCHMARKS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRecording {
    pub id: RecordingId,
    pub started_at_ms: i64,
    pub direction: Direction,
    pub calling_number: PhoneNumber,
    pub called_number: PhoneNumber,
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub company_id: CompanyId,
    pub company_name: String,
    pub duration_ms: i64,
    /// Under legal hold.
    pub held: bool,
}

/// `SELECT r.id, r.started_at, … FROM`: the columns of [`LIST_FIELDS`],
/// made from that list so the two cannot drift apart.
pub(super) fn list_columns() -> &'static str {
    static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let columns: Vec<String> = LIST_FIELDS.iter().map(|f| format!("r.{f}")).collect();
        format!("SELECT {} FROM", columns.join(", "))
    });
    &COLUMNS
}

/// What the list reads of a recording, in order, for the packed form of a
/// page: ids where it shows names, which come from the directory (see
/// `directory`). None holds free text, so the page can be packed
/// (`Backend::packed_rows`).
pub(super) const LIST_FIELDS: &[&str] = &[
    "id",
    "started_at",
    "direction",
    "calling_number",
    "called_number",
    "user_id",
    "team_id",
    "company_id",
    "duration_ms",
    "held_at",
];

/// A row of a page before its names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedIds {
    id: RecordingId,
    started_at_ms: i64,
    direction: Direction,
    calling_number: PhoneNumber,
    called_number: PhoneNumber,
    user: Option<UserId>,
    team: Option<TeamId>,
    company: CompanyId,
    duration_ms: i64,
    held: bool,
}

/// The rows of a page packed with `LIST_FIELDS`.
pub(crate) fn listed_from_packed(text: &str) -> Result<Vec<ListedIds>> {
    const WHAT: &str = "recording page";
    packed::rows::<10>(text, WHAT)?
        .into_iter()
        .map(
            |[id, started, direction, calling, called, user, team, company, ms, held]| {
                Ok(ListedIds {
                    id: RecordingId::parse(id)
                        .ok_or_else(|| StoreError::Corrupt(id.to_string()))?,
                    started_at_ms: packed::int(started, WHAT)?,
                    direction: Direction::parse(direction)
                        .ok_or_else(|| StoreError::Corrupt(direction.to_string()))?,
                    calling_number: stored_number(calling)?,
                    called_number: stored_number(called)?,
                    user: packed::opt_int(user, WHAT)?.map(UserId),
                    team: packed::opt_int(team, WHAT)?.map(TeamId),
                    company: CompanyId(packed::int(company, WHAT)?),
                    duration_ms: packed::int(ms, WHAT)?,
                    held: packed::opt_int(held, WHAT)?.is_some(),
                })
            },
        )
        .collect()
}

impl ListedIds {
    /// The row with its names, or None when the directory lacks one.
    pub(super) fn named(&self, directory: &Directory) -> Option<ListedRecording> {
        let name = |found: Option<&str>| found.map(str::to_string);
        Some(ListedRecording {
            id: self.id.clone(),
            started_at_ms: self.started_at_ms,
            direction: self.direction,
            calling_number: self.calling_number.clone(),
            called_number: self.called_number.clone(),
            user_id: self.user,
            team_id: self.team,
            username: match self.user {
                Some(user) => Some(name(directory.username(user))?),
                None => None,
            },
            team_name: match self.team {
                Some(team) => Some(name(directory.team_name(team))?),
                None => None,
            },
            company_id: self.company,
            company_name: name(directory.company_name(self.company))?,
            duration_ms: self.duration_ms,
            held: self.held,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_selects_its_fields_in_order() {
        assert_eq!(
            list_columns(),
            "SELECT r.id, r.started_at, r.direction, r.calling_number, r.called_number, \
             r.user_id, r.team_id, r.company_id, r.duration_ms, r.held_at FROM"
        );
    }

    #[test]
    fn packed_pages_decode_or_fail_clearly() {
        let id = "ab".repeat(16);
        let row = format!(
            "{id}\u{1f}1000\u{1f}inbound\u{1f}+4420\u{1f}2001\u{1f}5\u{1f}\u{1f}1\u{1f}2000\u{1f}"
        );
        let page = listed_from_packed(&row).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(
            (
                page[0].user,
                page[0].team,
                page[0].company,
                page[0].direction,
                page[0].duration_ms,
                page[0].held
            ),
            (
                Some(UserId(5)),
                None,
                CompanyId(1),
                Direction::Inbound,
                2000,
                false
            )
        );
        assert_eq!(page[0].calling_number.as_str(), "+4420");
        assert_eq!(listed_from_packed("").unwrap(), Vec::new());
        for bad in [
            "x".to_string(),
            row.replace("inbound", "sideways"),
            row.replace("\u{1f}1\u{1f}", "\u{1f}\u{1f}"),
            row.replace("1000", "soon"),
            row.replace(&id, "not-an-id"),
            format!("{row}later"),
            format!("{row}\u{1f}extra"),
        ] {
            assert!(
                matches!(listed_from_packed(&bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rows_are_named_from_the_directory() {
        let directory = Directory::from_lists(
            3,
            r#"[[1, "Acme"]]"#,
            r#"[[10, 1, "Sales"]]"#,
            r#"[[5, 1, 10, "bob"]]"#,
        )
        .unwrap();
        let id = "cd".repeat(16);
        let listed = |user: &str, team: &str, company: &str| {
            listed_from_packed(&format!(
                "{id}\u{1f}1\u{1f}outbound\u{1f}1\u{1f}2\u{1f}{user}\u{1f}{team}\u{1f}{company}\u{1f}3\u{1f}7"
            ))
            .unwrap()
            .remove(0)
        };
        let named = listed("5", "10", "1").named(&directory).unwrap();
        assert_eq!(
            (
                named.username.as_deref(),
                named.team_name.as_deref(),
                named.company_name.as_str(),
                named.held
            ),
            (Some("bob"), Some("Sales"), "Acme", true)
        );
        let unnamed = listed("", "", "1").named(&directory).unwrap();
        assert_eq!((unnamed.username, unnamed.team_name), (None, None));
        for (user, team, company) in [("6", "10", "1"), ("5", "11", "1"), ("5", "10", "2")] {
            assert_eq!(listed(user, team, company).named(&directory), None);
        }
    }
}
