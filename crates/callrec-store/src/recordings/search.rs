//! Finding recordings: a keyset page in the viewer's scope, with the
//! number filters answered from the number index.

use super::number_reads::NumberReads;
use super::page::{list_columns, listed_from_packed, ListedRecording, LIST_FIELDS};
use super::{Cursor, PageFrom, RecordingPage, RecordingQuery};
use crate::directory::Directory;
use crate::filter::Filter;
use crate::number_index::{cheapest_lookup, NumberColumn, NumberField, Slice};
use crate::{Backend, Result, Store, StoreError};
use callrec_domain::permissions::DataScope;
use sqlx::Row;

/// The digits of a number column (`+ * #` removed), as the index holds them.
fn digits_of(column: NumberColumn) -> String {
    let name = match column {
        NumberColumn::Calling => "calling_number",
        NumberColumn::Called => "called_number",
    };
    format!("replace(replace(replace(r.{name}, '+', ''), '*', ''), '#', '')")
}

/// The row condition "the `field` number contains the digits bound at `p`".
fn contains(field: NumberField, p: &str) -> String {
    let each: Vec<String> = field
        .columns()
        .iter()
        .map(|column| format!("{} LIKE {p}", digits_of(*column)))
        .collect();
    match each.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", each.join(" OR ")),
    }
}

/// The index slice a search reads, and whether reading it alone answers
/// every company, team and user condition of the query. It does unless
/// both a team and a user are asked for: a user's calls may belong to
/// several teams. A company condition beside a team or user slice is all
/// or nothing (a team's and a user's calls are all their company's), so
/// the rows checks it without cutting a page short.
fn slice_for(query: &RecordingQuery) -> (Slice, bool) {
    let (scope_company, scope_team, scope_user) = match query.scope {
        DataScope::Everything => (None, None, None),
        DataScope::Company(company) => (Some(company), None, None),
        DataScope::Team(company, team) => (Some(company), Some(team), None),
        DataScope::OwnOnly(user) => (None, None, Some(user)),
    };
    let user = scope_user.or(query.user);
    let team = scope_team.or(query.team);
    let slice = match (user, team, scope_company.or(query.company)) {
        (Some(user), _, _) => Slice::User(user),
        (None, Some(team), _) => Slice::Team(team),
        (None, None, Some(company)) => Slice::Company(company),
        (None, None, None) => Slice::Everyone,
    };
    (slice, user.is_none() || team.is_none())
}

/// A Recordings page as one statement, its bound values, and how to read
/// its rows back.
pub(crate) struct SearchPlan {
    pub(crate) statement: String,
    pub(crate) filter: Filter,
    /// Rows a page shows (the statement reads one more, to know of a next).
    pub(crate) limit: usize,
    /// The rows come oldest first and are turned round (a previous page).
    pub(crate) backwards: bool,
}

/// Adds what a recording must be to match `query` (its scope and filters,
/// not its page) to `filter`. A number filter the index answers exactly
/// (`answered`) is left to it. Returns the time conditions again on the
/// index's own column (`g.started_at`), for index reads.
fn add_conditions(
    query: &RecordingQuery,
    filter: &mut Filter,
    answered: Option<NumberField>,
) -> Vec<String> {
    filter.scope(query.scope, "r.company_id", "r.team_id", "r.user_id");
    if let Some(company) = query.company {
        let p = filter.bind(company.0);
        filter.and(format!("r.company_id = {p}"));
    }
    for (field, digits) in numbers_of(query) {
        if answered != Some(field) {
            let p = filter.bind(format!("%{digits}%"));
            filter.and(contains(field, &p));
        }
    }
    let mut g_time = Vec::new();
    if let Some(start) = query.start_ms {
        let p = filter.bind(start);
        filter.and(format!("r.started_at >= {p}"));
        g_time.push(format!("g.started_at >= {p}"));
    }
    if let Some(end) = query.end_ms {
        let p = filter.bind(end);
        filter.and(format!("r.started_at <= {p}"));
        g_time.push(format!("g.started_at <= {p}"));
    }
    if let Some(direction) = query.direction {
        let p = filter.bind(direction.code().to_string());
        filter.and(format!("r.direction = {p}"));
    }
    if let Some(user) = query.user {
        let p = filter.bind(user.0);
        filter.and(format!("r.user_id = {p}"));
    }
    if let Some(team) = query.team {
        let p = filter.bind(team.0);
        filter.and(format!("r.team_id = {p}"));
    }
    if query.held_only {
        filter.and("r.held_at IS NOT NULL".to_string());
    }
    if let Some(tag) = query.tag {
        let p = filter.bind(tag);
        filter.and(format!(
            "EXISTS (SELECT 1 FROM recording_tags t WHERE t.recording_id = r.id AND t.tag_id = {p})"
        ));
    }
    for hashes in &query.said {
        let bound: Vec<String> = hashes.iter().map(|h| filter.bind(h.clone())).collect();
        filter.and(if bound.is_empty() {
            // A term no company in reach has a key for: nothing said it.
            "1 = 0".to_string()
        } else {
            format!(
                "r.id IN (SELECT w.recording_id FROM transcript_words w WHERE w.word_hash IN ({}))",
                bound.join(", ")
            )
        });
    }
    g_time
}

/// The number filters a query has, with their digits.
fn numbers_of(query: &RecordingQuery) -> Vec<(NumberField, &str)> {
    [
        (NumberField::Either, &query.number),
        (NumberField::Calling, &query.calling),
        (NumberField::Called, &query.called),
    ]
    .into_iter()
    .filter_map(|(field, digits)| digits.as_deref().map(|d| (field, d)))
    .collect()
}

/// Every recording matching `query`'s scope and filters, as conditions on
/// `recordings r` (bulk work: holds, ZIP downloads, the call report). The
/// number filters are checked on each row.
pub(crate) fn matching(query: &RecordingQuery) -> Filter {
    let mut filter = Filter::default();
    add_conditions(query, &mut filter, None);
    filter
}

/// Plans a search: pure, so the SQL for every scope and filter is tested as
/// text on both engines (`tests` below).
pub(crate) fn plan(query: &RecordingQuery, backend: Backend) -> SearchPlan {
    let list_columns = list_columns();
    let mut filter = Filter::default();
    // Every number filter is checked on the row unless the cheapest one,
    // with three digits or more, is answered exactly by the index keys
    // that drive the query (see `number_lookup`).
    let numbers = numbers_of(query);
    let driving = cheapest_lookup(&numbers);
    let answered = driving
        .as_ref()
        .filter(|lookup| lookup.exact)
        .map(|lookup| lookup.field);
    // The number index is read in time order, so time limits also go on
    // its own column (`g_time`).
    let g_time = add_conditions(query, &mut filter, answered);
    // The cursor's time, for the index reads (the rows check the id too).
    let (order, backwards, cursor_time) = match &query.from {
        PageFrom::Start => ("DESC", false, None),
        PageFrom::After(cursor) => {
            let (t, i) = (
                filter.bind(cursor.started_at_ms),
                filter.bind(cursor.id.clone()),
            );
            filter.and(format!(
                "(r.started_at < {t} OR (r.started_at = {t} AND r.id < {i}))"
            ));
            ("DESC", false, Some(t))
        }
        PageFrom::Before(cursor) => {
            let (t, i) = (
                filter.bind(cursor.started_at_ms),
                filter.bind(cursor.id.clone()),
            );
            filter.and(format!(
                "(r.started_at > {t} OR (r.started_at = {t} AND r.id > {i}))"
            ));
            ("ASC", true, Some(t))
        }
    };
    let limit = query.limit.clamp(1, 500) as usize;
    let p = filter.bind(limit as i64 + 1);
    let order_by = format!("ORDER BY r.started_at {order}, r.id {order} LIMIT {p}");
    let sql = match driving {
        None => format!(
            "{list_columns} recordings r{} {order_by}",
            filter.where_clause()
        ),
        Some(lookup) => {
            let (slice, whole_scope) = slice_for(query);
            let (code, owner) = (filter.bind(slice.code()), filter.bind(slice.owner()));
            let in_slice = format!("g.slice = {code} AND g.owner = {owner}");
            let keys: Vec<String> = lookup.keys.iter().map(|k| filter.bind(k.clone())).collect();
            let index_only = whole_scope
                && lookup.exact
                && numbers.len() == 1
                && query.direction.is_none()
                && !query.held_only
                && query.tag.is_none()
                && query.said.is_empty();
            let reads = NumberReads {
                in_slice,
                keys,
                time: g_time,
                cursor_time,
                order,
                rows: (limit + 1, p),
            };
            if index_only {
                reads.index_only(list_columns, &mut filter, &order_by)
            } else {
                reads.joined(list_columns, &filter, &order_by)
            }
        }
    };
    // The page as one packed value, with the directory's version beside
    // it: one statement and one row per page. A row costs sqlx a hand-off
    // from SQLite's worker thread and a conversion of every value, and
    // every statement a round trip (see docs/BENCHMARKS.md). It runs on
    // the read connections (`reads`), like the session before it.
    let statement = format!(
        "SELECT (SELECT {} FROM ({sql}) x) AS page, \
         (SELECT version FROM directory_version) AS directory_version",
        backend.packed_rows(LIST_FIELDS)
    );
    SearchPlan {
        statement,
        filter,
        limit,
        backwards,
    }
}

impl Store {
    pub async fn search_recordings(&self, query: &RecordingQuery) -> Result<RecordingPage> {
        let SearchPlan {
            statement,
            filter,
            limit,
            backwards,
        } = plan(query, self.backend);
        let row = self
            .reads
            .fetch_optional(&statement, &filter)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a page statement without its row".into()))?;
        let listed = listed_from_packed(&row.try_get::<String, _>("page")?)?;
        let version: i64 = row.try_get("directory_version")?;
        let named = |directory: &Directory| -> Option<Vec<ListedRecording>> {
            listed.iter().map(|r| r.named(directory)).collect()
        };
        let mut directory = self.directory_at(version, false).await?;
        let mut items = match named(&directory) {
            Some(items) => items,
            None => {
                // Only a copy older than the page lacks a name: read it again.
                directory = self.directory_at(version, true).await?;
                named(&directory).ok_or_else(|| {
                    StoreError::Corrupt(
                        "a recording names a company, team or user that is not there".into(),
                    )
                })?
            }
        };
        let filter_choices = directory.choices(query.scope);
        let more = items.len() > limit;
        items.truncate(limit);
        if backwards {
            items.reverse();
        }
        let (first, last) = (items.first().map(Cursor::of), items.last().map(Cursor::of));
        let (next, previous) = match (&query.from, backwards) {
            (PageFrom::Start, _) => (last.filter(|_| more), None),
            (_, false) => (last.filter(|_| more), first),
            (_, true) => (last, first.filter(|_| more)),
        };
        Ok(RecordingPage {
            items,
            next,
            previous,
            filter_choices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callrec_domain::{CompanyId, TeamId, UserId};

    fn query(scope: DataScope) -> RecordingQuery {
        RecordingQuery::first_page(scope, 50)
    }

    /// The inner page query of a plan (without the packing around it).
    fn page_sql(plan: &SearchPlan) -> &str {
        let start = plan.statement.find("FROM (").expect("a packed page") + "FROM (".len();
        let end = plan.statement.rfind(") x) AS page").expect("a packed page");
        &plan.statement[start..end]
    }

    const COLUMNS: &str = "SELECT r.id, r.started_at, r.direction, r.calling_number, \
        r.called_number, r.user_id, r.team_id, r.company_id, r.duration_ms, r.held_at FROM";

    /// Snapshots of the SQL per scope and filter. The page query is the
    /// same on both engines; only the packing around it differs.
    #[test]
    fn plans_per_scope_and_filter() {
        let cases = [
            (
                query(DataScope::Company(CompanyId(1))),
                "recordings r WHERE r.company_id = $1 ORDER BY r.started_at DESC, r.id DESC LIMIT $2",
            ),
            // The team's own slice answers everything: the index alone
            // finds the page's edge, and only rows from it on are read.
            (
                RecordingQuery { calling: Some("2150".into()), ..query(DataScope::Team(CompanyId(1), TeamId(2))) },
                "(SELECT DISTINCT g.recording AS hit FROM recording_number_grams g WHERE g.slice = $4 \
                 AND g.owner = $5 AND g.gram IN ($6) AND g.started_at >= coalesce((SELECT e.t FROM \
                 (SELECT * FROM (SELECT g.started_at AS t, g.recording AS hit FROM recording_number_grams g \
                 WHERE g.slice = $4 AND g.owner = $5 AND g.gram = $6 ORDER BY g.started_at DESC LIMIT $3) k) e \
                 ORDER BY e.t DESC LIMIT 1 OFFSET $7), $8)) c CROSS JOIN recordings r \
                 WHERE r.company_id = $1 AND r.team_id = $2 AND r.seq = c.hit \
                 ORDER BY r.started_at DESC, r.id DESC LIMIT $3",
            ),
            // Six digits: the key holds four, so every hit is checked on
            // its row; an operator reads everyone's slice.
            (
                RecordingQuery { calling: Some("794600".into()), start_ms: Some(5), ..query(DataScope::Everything) },
                "recording_number_grams g CROSS JOIN recordings r WHERE \
                 replace(replace(replace(r.calling_number, '+', ''), '*', ''), '#', '') LIKE $1 \
                 AND r.started_at >= $2 AND g.slice = $4 AND g.owner = $5 AND g.gram = $6 \
                 AND r.seq = g.recording AND g.started_at >= $2 ORDER BY g.started_at DESC, r.id DESC LIMIT $3",
            ),
            // A team and a user: the user's slice, the team checked on the row.
            (
                RecordingQuery { called: Some("5500".into()), user: Some(UserId(7)), ..query(DataScope::Team(CompanyId(1), TeamId(2))) },
                "recording_number_grams g CROSS JOIN recordings r WHERE r.company_id = $1 AND r.team_id = $2 \
                 AND r.user_id = $3 AND g.slice = $5 AND g.owner = $6 AND g.gram = $7 AND r.seq = g.recording \
                 ORDER BY g.started_at DESC, r.id DESC LIMIT $4",
            ),
        ];
        for (q, expected) in cases {
            let sqlite = plan(&q, Backend::Sqlite);
            let postgres = plan(&q, Backend::Postgres);
            assert_eq!(page_sql(&sqlite), format!("{COLUMNS} {expected}"));
            assert_eq!(page_sql(&postgres), page_sql(&sqlite));
            assert!(
                sqlite.statement.contains("group_concat")
                    && postgres.statement.contains("string_agg")
            );
            assert_eq!((sqlite.limit, sqlite.backwards), (50, false));
        }
    }

    /// Three digits are eleven keys. In the user's own slice, eleven index
    /// reads find the edge and one read of all eleven from it finds the
    /// rows; with a direction asked for, eleven joined reads and their
    /// union's newest page instead.
    #[test]
    fn three_digits_read_eleven_keys() {
        let q = RecordingQuery {
            called: Some("215".into()),
            ..query(DataScope::OwnOnly(UserId(3)))
        };
        let own = plan(&q, Backend::Sqlite);
        let sql = page_sql(&own);
        assert_eq!(sql.matches("g.gram = ").count(), 11);
        assert_eq!(sql.matches(" UNION ").count(), 10);
        assert!(sql.contains("g.gram IN ($5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"));
        assert!(sql.contains("g.slice = $3 AND g.owner = $4"));
        assert!(
            sql.contains("OFFSET $16), $17)"),
            "the edge and its stand-in come last"
        );

        let q = RecordingQuery {
            direction: Some(callrec_domain::recording::Direction::Inbound),
            ..q
        };
        let joined = plan(&q, Backend::Sqlite);
        let sql = page_sql(&joined);
        assert_eq!(sql.matches("g.gram = ").count(), 11);
        assert!(sql.starts_with(&format!(
            "{COLUMNS} recordings r WHERE r.seq IN (SELECT u.hit FROM ("
        )));
    }

    /// A previous page reads oldest first and turns round.
    #[test]
    fn previous_pages_read_backwards() {
        let cursor = Cursor {
            started_at_ms: 9,
            id: "01".repeat(16),
        };
        let q = RecordingQuery {
            from: PageFrom::Before(cursor),
            limit: 5000,
            ..query(DataScope::Everything)
        };
        let plan = plan(&q, Backend::Postgres);
        assert!(
            plan.backwards && plan.limit == 500,
            "pages are at most 500 rows"
        );
        assert!(
            page_sql(&plan).contains("(r.started_at > $1 OR (r.started_at = $1 AND r.id > $2))")
        );
        assert!(page_sql(&plan).ends_with("ORDER BY r.started_at ASC, r.id ASC LIMIT $3"));
    }
}
