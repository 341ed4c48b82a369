//! Seltzer's integration tests, in one binary to keep link times down:
//! - `storage`: the database layer on SQLite and on PostgreSQL;
//! - `api`: the router in-process (JSON errors, health, the dashboard's files and caching);
//! - `cli`: the real `seltzer` binary (serve on a real port, migrate, signals, exit codes);
//! - `api_access`: sign-in, sessions, roles and the Soda Cloud v1-compatible API;
//! - `openapi`: the OpenAPI snapshot, and every route walked for credentials and roles;
//! - `ingest`: Soda Core's protocol replayed from captured traffic;
//! - `ingest_errors`: bad input, token expiry and revocation, concurrent scans;
//! - `abuse`: what an attacker or a careless client tries;
//! - `validate`: `seltzer validate`, the real binary;
//! - `soda_core`: real Soda Core from PyPI running its scenarios against `seltzer serve`;
//! - `browser`: the dashboard in headless Chromium against a real `seltzer serve`;
//! - `notifications`: rules, channels and deliveries to a real HTTP receiver;
//! - `outcome_runs`: since when a check's outcome holds, and what an overwrite replaced;
//! - `contracts`: Soda Core 4's contract verifications replayed from captured traffic;
//! - `agents`: `seltzer agent` processes running scans near the data, and their protocol;
//! - `layers`: the modules of `server/src` use only lower layers (no import circle).

// A test that meets an unexpected error should stop right there, helpers included.
#![allow(clippy::unwrap_used)]

mod support;

mod abuse;
mod agents;
mod api;
mod api_access;
mod backtest;
mod browser;
mod cli;
mod contracts;
mod incidents;
mod ingest;
mod ingest_errors;
mod layers;
mod notifications;
mod openapi;
mod outcome_runs;
mod scan_runs;
mod soda_core;
mod storage;
mod validate;
