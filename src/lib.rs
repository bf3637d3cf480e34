//! MyKollector: engraved medals for sporting feats.
//!
//! A guided tour:
//! - [`http`] turns CGI/FastCGI requests into [`http::Request`]s, routes them
//!   through one table, and runs the guards (CORS, auth, roles, maintenance,
//!   rate limits, audit).
//! - [`api`] holds one module per domain of the specification (§5), each with
//!   its routes, handlers, SQL and types together.
//! - [`db`] opens the one MySQL connection of the process and applies the
//!   embedded migrations of `sql/`.
//! - [`security`] has JWTs, password hashing, random tokens and roles.
//! - [`error`] is the one error type, rendered as the uniform JSON error.
//! - [`cron`] is the hourly run of every periodic duty (`mk-admin cron hourly`).
//! - [`ratelimit`] holds the rate-limit counters and [`applog`] the log
//!   file, below the domain modules that use them.
//! - [`backup`] dumps and restores the database (CLI, API and cron).
//! - [`qr`] draws printable QR codes (SVG, PNG).
//! - [`retention`] purges old audit rows (cron).
//! - [`config`] reads `.env`; [`mail`] writes e-mails to the outbox and sends
//!   them over SMTP (retried by the cron); [`time`] formats
//!   dates and durations the French way.

pub mod api;
pub mod applog;
pub mod backup;
pub mod cli;
pub mod config;
pub mod cron;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod mail;
pub mod qr;
pub mod ratelimit;
pub mod retention;
pub mod security;
pub mod text;
pub mod time;

pub use error::{Error, Result};
