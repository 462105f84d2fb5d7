//! The audit log: who did what to whom, when, and from where.

use crate::filter::Filter;
use crate::{Result, Store};
use callrec_domain::audit::AuditAction;
use callrec_domain::audit_chain::{chain_name, Link, GENESIS};
use callrec_domain::{CompanyId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

/// How the audit log names an API token as actor: `token:CRM sync`.
pub const TOKEN_ACTOR_PREFIX: &str = "token:";

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub action: Option<AuditAction>,
    pub actor_id: Option<UserId>,
    /// The actor's username, or `cli` for the command line.
    pub actor_name: Option<String>,
    pub company_id: Option<CompanyId>,
    pub target: Option<String>,
    pub client_addr: Option<String>,
    pub details: String,
}

impl NewAuditEntry {
    pub fn new(action: AuditAction) -> NewAuditEntry {
        NewAuditEntry {
            action: Some(action),
            ..NewAuditEntry::default()
        }
    }

    pub fn actor(mut self, id: UserId, name: &str) -> Self {
        self.actor_id = Some(id);
        self.actor_name = Some(name.to_string());
        self
    }

    /// Done by an operator at the command line (break-glass and bulk work).
    pub fn by_command_line(mut self) -> Self {
        self.actor_id = None;
        self.actor_name = Some(callrec_domain::names::COMMAND_LINE_ACTOR.to_string());
        self
    }

    /// Done through the API with the token named `name`: the actor is
    /// `token:NAME`, which no username can be (they have no colon).
    pub fn by_token(mut self, name: &str) -> Self {
        self.actor_id = None;
        self.actor_name = Some(format!("{TOKEN_ACTOR_PREFIX}{name}"));
        self
    }

    pub fn company(mut self, id: CompanyId) -> Self {
        self.company_id = Some(id);
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn client(mut self, addr: impl Into<String>) -> Self {
        self.client_addr = Some(addr.into());
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub actor_user_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub company_id: Option<CompanyId>,
    pub target: Option<String>,
    pub client_addr: Option<String>,
    pub details: String,
}

impl AuditEntry {
    /// The action's label, or its raw code if this version does not know it.
    pub fn action_label(&self) -> &str {
        match AuditAction::from_code(&self.action) {
            Some(action) => action.label(),
            None => &self.action,
        }
    }
}

/// Newest first; `before` continues from the last id of a previous page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub company: Option<CompanyId>,
    pub actor: Option<UserId>,
    /// Entries by the user with this username (any case).
    pub actor_name: Option<String>,
    pub action: Option<String>,
    /// Entries about this target (a recording's id: who listened).
    pub target: Option<String>,
    /// With `target`: only these actions.
    pub actions: Vec<AuditAction>,
    /// From this time (Unix seconds), inclusive.
    pub from: Option<i64>,
    /// Up to this time (Unix seconds), exclusive.
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: u32,
}

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        action: row.try_get("action")?,
        actor_user_id: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
        actor_name: row.try_get("actor_name")?,
        company_id: row.try_get::<Option<i64>, _>("company_id")?.map(CompanyId),
        target: row.try_get("target")?,
        client_addr: row.try_get("client_addr")?,
        details: row.try_get("details")?,
    })
}

impl Store {
    /// Appends `entry` to its chain (its company's, or the portal's) in
    /// one transaction: the chain's head is locked, the entry is linked to
    /// it, and the head moves on — so writers on several nodes queue at the
    /// head and the chain stays linear.
    pub async fn audit(&self, entry: NewAuditEntry, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.audit_in(&mut tx, entry, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::audit`] inside a write transaction: the entry stands or
    /// falls with the change it records.
    pub(crate) async fn audit_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        entry: NewAuditEntry,
        now: i64,
    ) -> Result<()> {
        let action = entry.action.map_or("unknown", AuditAction::code);
        let company = entry.company_id.map(|c| c.0);
        let chain = chain_name(company);
        if let Some(statement) = self.backend.lock_timeout_statement() {
            sqlx::query(statement).execute(&mut **tx).await?;
        }
        sqlx::query(
            "INSERT INTO audit_chains (chain, length, head_hash) VALUES ($1, 0, $2) \
             ON CONFLICT (chain) DO NOTHING",
        )
        .bind(&chain)
        .bind(GENESIS)
        .execute(&mut **tx)
        .await?;
        let head = sqlx::query(&format!(
            "SELECT length, head_hash FROM audit_chains WHERE chain = $1{}",
            self.backend.for_update()
        ))
        .bind(&chain)
        .fetch_one(&mut **tx)
        .await?;
        let prev_hash: String = head.try_get("head_hash")?;
        let seq = head.try_get::<i64, _>("length")? + 1;
        let link = Link {
            chain: &chain,
            seq,
            at: now,
            action,
            actor_user_id: entry.actor_id.map(|id| id.0),
            actor_name: entry.actor_name.as_deref(),
            company_id: company,
            target: entry.target.as_deref(),
            client_addr: entry.client_addr.as_deref(),
            details: &entry.details,
            prev_hash: &prev_hash,
        };
        let hash = link.hash();
        sqlx::query(
            "INSERT INTO audit_log (at, action, actor_user_id, actor_name, company_id, target, \
             client_addr, details, chain, seq, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(now)
        .bind(action)
        .bind(link.actor_user_id)
        .bind(link.actor_name)
        .bind(company)
        .bind(link.target)
        .bind(link.client_addr)
        .bind(link.details)
        .bind(&chain)
        .bind(seq)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE audit_chains SET length = $2, head_hash = $3 WHERE chain = $1")
            .bind(&chain)
            .bind(seq)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut filter = Filter::default();
        if let Some(company) = query.company {
            let p = filter.bind(company.0);
            filter.and(format!("company_id = {p}"));
        }
        if let Some(actor) = query.actor {
            let p = filter.bind(actor.0);
            filter.and(format!("actor_user_id = {p}"));
        }
        if let Some(name) = &query.actor_name {
            let p = filter.bind(name.to_lowercase());
            filter.and(format!("lower(actor_name) = {p}"));
        }
        if let Some(action) = &query.action {
            let p = filter.bind(action.clone());
            filter.and(format!("action = {p}"));
        }
        if let Some(target) = &query.target {
            let p = filter.bind(target.clone());
            filter.and(format!("target = {p}"));
        }
        if !query.actions.is_empty() {
            let codes: Vec<String> = query
                .actions
                .iter()
                .map(|a| filter.bind(a.code().to_string()))
                .collect();
            filter.and(format!("action IN ({})", codes.join(", ")));
        }
        if let Some(from) = query.from {
            let p = filter.bind(from);
            filter.and(format!("at >= {p}"));
        }
        if let Some(until) = query.until {
            let p = filter.bind(until);
            filter.and(format!("at < {p}"));
        }
        if let Some(before) = query.before {
            let p = filter.bind(before);
            filter.and(format!("id < {p}"));
        }
        let limit = filter.bind(i64::from(query.limit.clamp(1, 1000)));
        let sql = format!(
            "SELECT id, at, action, actor_user_id, actor_name, company_id, target, client_addr, details \
             FROM audit_log{} ORDER BY id DESC LIMIT {limit}",
            filter.where_clause()
        );
        sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entry_from_row)
            .collect()
    }
}
