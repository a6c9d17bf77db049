//! The podium binary's library half: configuration, logging and the [`app::Application`] that
//! `podium serve` runs and the integration tests start in-process.

pub mod app;
pub mod cli;
pub mod config;
pub mod geoip;
pub mod node_lock;
pub mod telemetry;
