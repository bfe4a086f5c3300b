//! diemnong — hotspot analysis for crime-prevention committees.
//!
//! See `ARCHITECTURE.md` for the map of modules and how data flows through them.

pub mod analysis;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod index;
pub mod ingest;
pub mod parallel;
pub mod programme;
pub mod report;
pub mod sample;
pub mod service;
pub mod store;
