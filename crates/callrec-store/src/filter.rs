//! Builds `WHERE` clauses with numbered `$n` placeholders, which both SQLite
//! and PostgreSQL accept (sqlx's own builder writes `?` for the Any driver).

use callrec_domain::permissions::DataScope;
use sqlx::any::AnyArguments;
use sqlx::Arguments;

/// The kinds of values filters bind.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

#[derive(Default)]
pub(crate) struct Filter {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    /// Adds a bound value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Adds a condition that must hold (joined with AND).
    pub(crate) fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// Restricts rows to a data scope; `company`, `team` and `user` are the
    /// columns holding each row's owner.
    pub(crate) fn scope(&mut self, scope: DataScope, company: &str, team: &str, user: &str) {
        match scope {
            DataScope::Everything => {}
            DataScope::Company(company_id) => {
                let p = self.bind(company_id.0);
                self.and(format!("{company} = {p}"));
            }
            DataScope::Team(company_id, team_id) => {
                let p = self.bind(company_id.0);
                let q = self.bind(team_id.0);
                self.and(format!("{company} = {p} AND {team} = {q}"));
            }
            DataScope::OwnOnly(user_id) => {
                let p = self.bind(user_id.0);
                self.and(format!("{user} = {p}"));
            }
        }
    }

    /// ` WHERE a AND b`, or nothing.
    pub(crate) fn where_clause(&self) -> String {
        self.where_clause_with(&[])
    }

    /// ` WHERE a AND b AND extra…`: the conditions plus some that hold for
    /// one use only.
    pub(crate) fn where_clause_with(&self, extra: &[String]) -> String {
        let all: Vec<&str> = self
            .conditions
            .iter()
            .chain(extra)
            .map(String::as_str)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all.join(" AND "))
        }
    }

    /// The bound values, in placeholder order.
    pub(crate) fn args(&self) -> AnyArguments<'static> {
        let mut args = AnyArguments::default();
        for value in &self.values {
            // i64 and String are native to every Any backend: adding cannot fail.
            let added = match value {
                Value::Int(v) => args.add(*v),
                Value::Text(v) => args.add(v.clone()),
            };
            debug_assert!(added.is_ok());
        }
        args
    }
}
