//! What the Seltzer server and its browser dashboard both need: the types of the HTTP API, and
//! the SodaCL engine (`sodacl`, growing). This crate compiles natively and to `wasm32-unknown-unknown`, so it
//! must never depend on anything server-only (tokio, sqlx, …).

pub mod api;
pub mod sodacl;
