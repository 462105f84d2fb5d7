//! HTTP tests against the real router and a real database, each on SQLite
//! and (when CALLREC_TEST_POSTGRES_URL is set) PostgreSQL.

mod harness;

mod account;
mod api;
mod auth;
mod capture;
mod companies;
mod dashboard;
mod finding;
mod integrity;
mod keys;
mod listening;
mod mail;
mod mfa;
mod objects;
mod operations;
mod recordings;
mod records;
mod recovery;
mod reports;
mod routes;
mod scim;
mod security;
mod sso;
mod startup;
mod teams;
mod tokens;
mod transcripts;
mod users;
mod zones;
