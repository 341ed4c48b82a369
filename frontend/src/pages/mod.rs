//! One module per route of the dashboard.

pub mod check;
pub mod checks;
pub mod dataset;
pub mod datasets;
pub mod editor;
pub mod incident;
pub mod incidents;
pub mod not_found;
pub mod runs;
pub mod scan;
pub mod scan_definition;
pub mod scan_run;
pub mod scans;
pub mod settings;
pub mod signin;
