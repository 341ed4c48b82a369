//! Sign-in, sessions, roles, and the Soda Cloud v1-compatible read API, on both engines:
//! - `sessions`: sign-in, sign-out, throttling;
//! - `v1`: Soda Cloud's API v1 as Seltzer answers it;
//! - `dashboard`: the dashboard's own read endpoints;
//! - `management`: users, keys and attributes by role.

use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use serde_json::{Value, json};
use server::IngestConfig;
use shared::api::Role;

use crate::support::{Answer, Seltzer, TestDb, basic, on_both_engines, replay, scalar};

mod dashboard;
mod management;
mod sessions;
mod v1;

const PASSWORD: &str = "correct horse battery staple";

fn session_cookie(answer: &Answer) -> String {
    let set = answer.header(&SET_COOKIE).to_owned();
    set.split(';').next().unwrap().to_owned()
}
