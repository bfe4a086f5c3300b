//! Hotspot analyses: pure functions of one index snapshot (no I/O, no async), one file per
//! method, each checked against an independent implementation (fixtures under
//! `tests/fixtures/`, made by the scripts in `scripts/fixtures/`).

pub mod cells;
pub mod clusters;
pub mod cube;
pub mod dbscan;
pub mod density;
pub mod disclosure;
pub mod emerging;
pub mod fdr;
pub mod geodesy;
pub mod gistar;
pub mod kde;
pub mod kpis;
pub mod mann_kendall;
pub mod maxent;
pub mod moran;
pub mod rates;
pub mod weights;
pub mod zones;
