//! One module per route of the dashboard.

pub mod checks;
pub mod datasets;
pub mod editor;
pub mod not_found;
pub mod scan;
pub mod scans;
pub mod settings;
pub mod signin;
