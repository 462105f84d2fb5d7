//! The names of companies, teams and users, kept in memory for the
//! Recordings page: its rows carry ids, and its User, Team and Company
//! filters offer what the viewer's scope holds.
//!
//! Joining the names into every page cost PostgreSQL more than finding the
//! page itself (docs/BENCHMARKS.md). Each page statement reads
//! `directory_version` beside the page; triggers count it up in the same
//! transaction as any change to a name or to where a user or team belongs
//! (migration 0006), so a copy older than the page is always noticed and
//! read again, on every node; requests that notice it together share one
//! read (`Store::directory_at`). Each company's part has its own version
//! (migration 0010): a read takes the companies and their versions, then
//! the teams and users of the companies that changed, and keeps the rest.

use crate::filter::Filter;
use crate::{json, Backend, Result, Store, StoreError};
use callrec_domain::permissions::DataScope;
use callrec_domain::{CompanyId, TeamId, UserId};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// What the Recordings page's User, Team and Company filters offer: only
/// what the viewer's scope holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterChoices {
    /// Users by username.
    pub users: Vec<(UserId, String)>,
    /// Teams with their company's name, by company then team.
    pub teams: Vec<(TeamId, String, String)>,
    /// Companies, for viewers who see every company; otherwise empty.
    pub companies: Vec<(CompanyId, String)>,
}

/// More users than this are not offered as choices (the page stays small).
const MAX_USER_CHOICES: usize = 1000;

#[derive(Debug, Clone, Default)]
pub(crate) struct Directory {
    /// The `directory_version` this copy was read at.
    pub(crate) version: i64,
    /// Which load of this store made the copy (1, 2, …; 0: none yet).
    ticket: u64,
    /// By name.
    companies: Vec<(CompanyId, String)>,
    /// Each company's part's version, as read (migration 0010).
    company_versions: HashMap<CompanyId, i64>,
    /// By company name, then team name.
    teams: Vec<Team>,
    /// By username.
    users: Vec<User>,
    company_at: HashMap<CompanyId, usize>,
    team_at: HashMap<TeamId, usize>,
    user_at: HashMap<UserId, usize>,
    /// Positions in `users` and `teams` per company, in their order.
    users_of: HashMap<CompanyId, Vec<usize>>,
    teams_of: HashMap<CompanyId, Vec<usize>>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct Team {
    #[serde(deserialize_with = "json::int_id")]
    id: TeamId,
    #[serde(deserialize_with = "json::int_id")]
    company: CompanyId,
    name: String,
    /// What teams are ordered by (`name_key`).
    #[serde(default)]
    key: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct User {
    #[serde(deserialize_with = "json::int_id")]
    id: UserId,
    #[serde(deserialize_with = "json::int_id")]
    company: CompanyId,
    #[serde(deserialize_with = "json::opt_int_id")]
    team: Option<TeamId>,
    username: String,
    /// What users are ordered by (`username_key`).
    #[serde(default)]
    key: String,
}

#[derive(serde::Deserialize)]
struct Company(
    #[serde(deserialize_with = "json::int_id")] CompanyId,
    String,
    /// What companies are ordered by (`name_key`).
    #[serde(default)]
    String,
    /// The company part's version.
    #[serde(default, deserialize_with = "json::int")]
    i64,
);

/// A store's copy of the directory.
#[derive(Default)]
pub(crate) struct DirectoryCache {
    /// Version 0 is older than any database's (they start at 1).
    current: RwLock<Arc<Directory>>,
    /// Held while reading a new copy, so a change is read once, not by
    /// every request that notices it.
    loading: tokio::sync::Mutex<()>,
    /// Loads started (each takes the next ticket, under `loading`).
    tickets: AtomicU64,
    /// Company parts read, over all loads (tests).
    parts_read: AtomicU64,
}

impl DirectoryCache {
    fn get(&self) -> Arc<Directory> {
        // A copy is replaced whole: a panic elsewhere cannot leave it half-made.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, directory: Arc<Directory>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = directory;
    }
}

impl Store {
    /// How many times this store has read the whole directory (tests).
    #[cfg(feature = "testing")]
    pub fn directory_loads(&self) -> u64 {
        self.directory.tickets.load(Ordering::Acquire)
    }

    /// How many companies' teams and users this store has read (tests).
    #[cfg(feature = "testing")]
    pub fn directory_parts_read(&self) -> u64 {
        self.directory.parts_read.load(Ordering::Acquire)
    }

    /// A copy of the directory that holds every name a page statement that
    /// read `version` can show. `stale` says the copy at hand lacked one.
    ///
    /// The copy's version must equal the page's for it to be taken as is:
    /// versions only count changes, and a count can go back (a restored
    /// backup, a reset by hand), so "higher" never proves "newer". What does
    /// prove it is time: a copy whose load *started* after this request
    /// began waiting read a snapshot taken after the page statement, so it
    /// holds every name the page can name. Requests that queue behind a
    /// load therefore reuse its copy instead of each reading the whole
    /// directory again (the reload storm after a change under load).
    pub(crate) async fn directory_at(&self, version: i64, stale: bool) -> Result<Arc<Directory>> {
        let cached = self.directory.get();
        if cached.version == version && !stale {
            return Ok(cached);
        }
        let waiting_since = self.directory.tickets.load(Ordering::Acquire);
        let _loading = self.directory.loading.lock().await;
        let cached = self.directory.get();
        if cached.ticket > waiting_since || (cached.version == version && !stale) {
            return Ok(cached);
        }
        let ticket = self.directory.tickets.fetch_add(1, Ordering::AcqRel) + 1;
        let row = self
            .reads
            .fetch_optional(&companies_statement(self.backend), &Filter::default())
            .await?
            .ok_or_else(|| StoreError::Corrupt("a directory statement without its row".into()))?;
        let version: i64 = row.try_get("version")?;
        let companies: Vec<Company> =
            json::parse(&row.try_get::<String, _>("companies")?, "companies")?;
        // Which companies' parts to read: those whose version differs from
        // the copy's, or every one when the copy lacked a name (a part may
        // have been read at a version a restore has since reused).
        let changed: Option<Vec<CompanyId>> = (!stale && cached.ticket > 0).then(|| {
            companies
                .iter()
                .filter(|c| cached.company_versions.get(&c.0) != Some(&c.3))
                .map(|c| c.0)
                .collect()
        });
        let (teams, users) = match &changed {
            Some(ids) if ids.is_empty() => (Vec::new(), Vec::new()),
            _ => {
                let mut filter = Filter::default();
                let only = changed.as_ref().map(|ids| {
                    let ids: Vec<String> = ids.iter().map(|id| filter.bind(id.0)).collect();
                    ids.join(", ")
                });
                let row = self
                    .reads
                    .fetch_optional(&parts_statement(self.backend, only.as_deref()), &filter)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt("a directory statement without its row".into())
                    })?;
                let teams: Vec<Team> = json::parse(&row.try_get::<String, _>("teams")?, "teams")?;
                let users: Vec<User> = json::parse(&row.try_get::<String, _>("users")?, "users")?;
                (teams, users)
            }
        };
        let read_parts = changed.as_ref().map_or(companies.len(), Vec::len);
        self.directory
            .parts_read
            .fetch_add(read_parts as u64, Ordering::AcqRel);
        // The parts not read are the copy's.
        let read_again: Option<HashSet<CompanyId>> = changed.map(|ids| ids.into_iter().collect());
        let kept = |company: CompanyId| {
            read_again
                .as_ref()
                .is_some_and(|ids| !ids.contains(&company))
        };
        let teams = merged(&cached.teams, teams, |t| t.company, kept);
        let users = merged(&cached.users, users, |u| u.company, kept);
        let fresh = Arc::new(Directory {
            ticket,
            ..Directory::from_parts(version, companies, teams, users)
        });
        self.directory.set(fresh.clone());
        Ok(fresh)
    }
}

impl Store {
    /// What the User, Team and Company filters offer in `scope`, from the
    /// current directory (the call detail report's form).
    pub async fn filter_choices(&self, scope: DataScope) -> Result<FilterChoices> {
        let version: i64 = sqlx::query("SELECT version FROM directory_version")
            .fetch_one(&self.pool)
            .await?
            .try_get("version")?;
        Ok(self.directory_at(version, false).await?.choices(scope))
    }
}

/// The copy's `old` items of the companies `kept` says were not read
/// again, and the `fresh` ones.
fn merged<T: Clone>(
    old: &[T],
    fresh: Vec<T>,
    company: impl Fn(&T) -> CompanyId,
    kept: impl Fn(CompanyId) -> bool,
) -> Vec<T> {
    old.iter()
        .filter(|item| kept(company(item)))
        .cloned()
        .chain(fresh)
        .collect()
}

/// The directory's version and every company with its part's version,
/// from one snapshot.
fn companies_statement(backend: Backend) -> String {
    format!(
        "SELECT (SELECT version FROM directory_version) AS version, \
         (SELECT {} FROM companies c) AS companies",
        backend.json_array_agg(&["c.id", "c.name", "c.name_key", "c.directory_version"]),
    )
}

/// The teams and users of the companies `only` lists (placeholders), or
/// of every company.
fn parts_statement(backend: Backend, only: Option<&str>) -> String {
    let agg = |columns: &[&str]| backend.json_array_agg(columns);
    let of = |table: &str| match only {
        Some(ids) => format!(" WHERE {table}.company_id IN ({ids})"),
        None => String::new(),
    };
    format!(
        "SELECT (SELECT {} FROM teams t{}) AS teams, (SELECT {} FROM users u{}) AS users",
        agg(&["t.id", "t.company_id", "t.name", "t.name_key"]),
        of("t"),
        agg(&[
            "u.id",
            "u.company_id",
            "u.team_id",
            "u.username",
            "u.username_key"
        ]),
        of("u"),
    )
}

/// Positions of `items` grouped by the key `of` gives, keeping their order.
fn group<T, K: std::hash::Hash + Eq>(items: &[T], of: impl Fn(&T) -> K) -> HashMap<K, Vec<usize>> {
    let mut groups: HashMap<K, Vec<usize>> = HashMap::new();
    for (at, item) in items.iter().enumerate() {
        groups.entry(of(item)).or_default().push(at);
    }
    groups
}

/// Each item's position by its id.
fn positions<T, K: std::hash::Hash + Eq>(items: &[T], id: impl Fn(&T) -> K) -> HashMap<K, usize> {
    items
        .iter()
        .enumerate()
        .map(|(at, item)| (id(item), at))
        .collect()
}

impl Directory {
    /// A directory from JSON lists of companies, teams and users, as the
    /// directory statements send them.
    #[cfg(test)]
    pub(crate) fn from_lists(
        version: i64,
        companies: &str,
        teams: &str,
        users: &str,
    ) -> Result<Directory> {
        Ok(Directory::from_parts(
            version,
            json::parse(companies, "companies")?,
            json::parse(teams, "teams")?,
            json::parse(users, "users")?,
        ))
    }

    /// A directory from its parts, put in order: companies by name, teams
    /// by company then name, users by username (each by its lookup key,
    /// compared as bytes, so every node orders alike whatever the
    /// database's collation).
    fn from_parts(
        version: i64,
        mut companies: Vec<Company>,
        mut teams: Vec<Team>,
        mut users: Vec<User>,
    ) -> Directory {
        companies.sort_by(|a, b| (&a.2, a.0 .0).cmp(&(&b.2, b.0 .0)));
        let company_at = positions(&companies, |c| c.0);
        let place = |company: &CompanyId| company_at.get(company).copied().unwrap_or(usize::MAX);
        teams.sort_by(|a, b| {
            (place(&a.company), &a.key, a.id.0).cmp(&(place(&b.company), &b.key, b.id.0))
        });
        users.sort_by(|a, b| (&a.key, a.id.0).cmp(&(&b.key, b.id.0)));
        let company_versions = companies.iter().map(|c| (c.0, c.3)).collect();
        let companies: Vec<(CompanyId, String)> = companies
            .into_iter()
            .map(|Company(id, name, ..)| (id, name))
            .collect();
        Directory {
            version,
            ticket: 0,
            company_at,
            company_versions,
            team_at: positions(&teams, |t| t.id),
            user_at: positions(&users, |u| u.id),
            users_of: group(&users, |u| u.company),
            teams_of: group(&teams, |t| t.company),
            companies,
            teams,
            users,
        }
    }

    pub(crate) fn company_name(&self, id: CompanyId) -> Option<&str> {
        self.company_at
            .get(&id)
            .map(|&at| self.companies[at].1.as_str())
    }

    pub(crate) fn team_name(&self, id: TeamId) -> Option<&str> {
        self.team_at
            .get(&id)
            .map(|&at| self.teams[at].name.as_str())
    }

    pub(crate) fn username(&self, id: UserId) -> Option<&str> {
        self.user_at
            .get(&id)
            .map(|&at| self.users[at].username.as_str())
    }

    /// What the User, Team and Company filters offer inside `scope`: the
    /// users and teams it holds, and every company only to those who see
    /// every company.
    pub(crate) fn choices<'a>(&'a self, scope: DataScope) -> FilterChoices {
        let user = |u: &User| (u.id, u.username.clone());
        let team = |t: &Team| {
            let company = self.company_name(t.company).unwrap_or_default();
            (t.id, company.to_string(), t.name.clone())
        };
        // Positions, walked lazily: a scope may hold many thousands of users
        // of which only the first `MAX_USER_CHOICES` are offered.
        type Positions<'a> = Box<dyn Iterator<Item = usize> + 'a>;
        let of_company = |groups: &'a HashMap<CompanyId, Vec<usize>>, company| -> Positions<'a> {
            let positions = groups.get(&company).map(Vec::as_slice).unwrap_or_default();
            Box::new(positions.iter().copied())
        };
        let (users, teams, companies): (Positions, Positions, _) = match scope {
            DataScope::Everything => (
                Box::new(0..self.users.len()),
                Box::new(0..self.teams.len()),
                self.companies.clone(),
            ),
            DataScope::Company(company) => (
                of_company(&self.users_of, company),
                of_company(&self.teams_of, company),
                Vec::new(),
            ),
            DataScope::Team(company, team) => (
                Box::new(
                    of_company(&self.users_of, company)
                        .filter(move |&at| self.users[at].team == Some(team)),
                ),
                Box::new(self.team_at.get(&team).copied().into_iter()),
                Vec::new(),
            ),
            DataScope::OwnOnly(id) => {
                let me = self.user_at.get(&id).copied();
                let my_team = me.and_then(|at| self.users[at].team);
                (
                    Box::new(me.into_iter()),
                    Box::new(
                        my_team
                            .and_then(|t| self.team_at.get(&t).copied())
                            .into_iter(),
                    ),
                    Vec::new(),
                )
            }
        };
        FilterChoices {
            users: users
                .take(MAX_USER_CHOICES)
                .map(|at| user(&self.users[at]))
                .collect(),
            teams: teams.map(|at| team(&self.teams[at])).collect(),
            companies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, item 4: requests that queue behind a load reuse its copy.
    /// Twenty requests for a version no copy has (as pages that read a
    /// version older or newer than the copy) queue while a load is held;
    /// when it is let go, one load serves all twenty. (The old code read
    /// the whole directory once per request.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_waiting_on_a_load_share_it() {
        let db = crate::testing::TestDb::sqlite().await;
        let held = db.store.directory.loading.lock().await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = db.store.clone();
                tokio::spawn(async move { store.directory_at(999, false).await.map(|_| ()) })
            })
            .collect();
        // Let every request reach the lock and note when it began waiting.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(held);
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            db.store.directory_loads(),
            1,
            "one load for twenty waiting requests"
        );
    }

    fn sample() -> Directory {
        Directory::from_lists(
            7,
            r#"[[1, "Acme"], [2, "Globex"]]"#,
            r#"[[10, 1, "Sales"], [11, 1, "Support"], [20, 2, "Ops"]]"#,
            r#"[["100", "1", "10", "alice"], [101, 1, null, "bob"], [102, 1, 11, "carol"], [200, 2, 20, "gina"]]"#,
        )
        .unwrap()
    }

    #[test]
    fn names_by_id() {
        let d = sample();
        assert_eq!(d.version, 7);
        assert_eq!(d.company_name(CompanyId(2)), Some("Globex"));
        assert_eq!(d.team_name(TeamId(11)), Some("Support"));
        assert_eq!(d.username(UserId(100)), Some("alice"));
        assert_eq!(d.username(UserId(999)), None);
    }

    #[test]
    fn choices_stay_inside_the_scope() {
        let d = sample();
        fn names(c: &FilterChoices) -> (Vec<&str>, Vec<&str>, usize) {
            (
                c.users.iter().map(|u| u.1.as_str()).collect(),
                c.teams.iter().map(|t| t.2.as_str()).collect(),
                c.companies.len(),
            )
        }
        assert_eq!(
            names(&d.choices(DataScope::Everything)),
            (
                vec!["alice", "bob", "carol", "gina"],
                vec!["Sales", "Support", "Ops"],
                2
            )
        );
        assert_eq!(
            names(&d.choices(DataScope::Company(CompanyId(1)))),
            (vec!["alice", "bob", "carol"], vec!["Sales", "Support"], 0)
        );
        assert_eq!(
            names(&d.choices(DataScope::Team(CompanyId(1), TeamId(11)))),
            (vec!["carol"], vec!["Support"], 0)
        );
        assert_eq!(
            names(&d.choices(DataScope::OwnOnly(UserId(100)))),
            (vec!["alice"], vec!["Sales"], 0)
        );
        assert_eq!(
            names(&d.choices(DataScope::OwnOnly(UserId(101)))),
            (vec!["bob"], vec![], 0)
        );
        assert_eq!(
            names(&d.choices(DataScope::Company(CompanyId(9)))),
            (vec![], vec![], 0)
        );
        let team = &d.choices(DataScope::Company(CompanyId(1))).teams[0];
        assert_eq!((team.0, team.1.as_str()), (TeamId(10), "Acme"));
    }

    #[test]
    fn user_choices_stop_at_the_limit() {
        let users: Vec<String> = (0..MAX_USER_CHOICES + 5)
            .map(|i| format!(r#"[{i}, 1, null, "u{i:05}"]"#))
            .collect();
        let d = Directory::from_lists(
            1,
            r#"[[1, "Acme"]]"#,
            "[]",
            &format!("[{}]", users.join(",")),
        )
        .unwrap();
        assert_eq!(
            d.choices(DataScope::Company(CompanyId(1))).users.len(),
            MAX_USER_CHOICES
        );
    }

    #[test]
    fn bad_lists_are_reported() {
        for (companies, teams, users) in [
            ("{}", "[]", "[]"),
            ("[]", r#"[[1, "x", "Sales"]]"#, "[]"),
            ("[]", "[]", r#"[[1, 1, "t", "bob"]]"#),
        ] {
            assert!(matches!(
                Directory::from_lists(1, companies, teams, users),
                Err(StoreError::Corrupt(_))
            ));
        }
    }
}
