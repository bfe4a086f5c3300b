//! diemnong — hotspot analysis for crime-prevention committees.
//!
//! See `ARCHITECTURE.md` for the map of modules and how data flows through them.

pub mod auth;
pub mod domain;
pub mod index;
pub mod store;
pub mod ingest;
pub mod sample;
pub mod service;
pub mod http;
pub mod cli;
pub mod config;
