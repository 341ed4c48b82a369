//! The SodaCL engine, growing piece by piece (see the SodaCL issue). So far: thresholds — how a
//! condition text becomes a zone, and how a measured value becomes pass / warn / fail exactly as
//! Soda Core 3.5.6 decides it.

pub mod threshold;

pub use threshold::{ThresholdError, Thresholds, Zone, split_inline_threshold};
