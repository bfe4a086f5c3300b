//! The integration tests: one test binary, so the library and `common/` are compiled and
//! linked once, not once per file. Each module is one subject (its docs say which); run
//! one with `cargo test --test it MODULE::` (e.g. `cargo test --test it gistar::`).
//!
//! The tests of all modules share this process and run on parallel threads: nothing here
//! may set environment variables, change the current directory, bind a fixed port or
//! write to a fixed path (each test has its own temporary directory and database; servers
//! bind `127.0.0.1:0`; the binary under test, `cli.rs`, gets its environment and working
//! directory per child process).

// Already true for a test target; written so that clippy's allow-*-in-tests (clippy.toml)
// reach `common/` and the helpers too, not only the #[test] functions.
#![cfg(test)]

mod common;

mod analysis_endpoints;
mod analysis_http;
mod attacks;
mod cells;
mod cli;
mod cube;
mod dbscan;
mod gdal;
mod geojson_valid;
mod gistar;
mod harm;
mod http;
mod import;
mod kde;
mod kpis;
mod map_page;
mod moran;
mod programme;
mod ptable;
mod public_surface;
mod rates;
mod report;
mod router;
mod session;
mod snapshots;
mod store;
mod zones;
