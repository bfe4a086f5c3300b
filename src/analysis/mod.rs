//! Hotspot analyses: pure functions of one index snapshot (no I/O, no async), one file per
//! method. Work in progress toward issue 3: cell counting, density, Gi* with FDR; the
//! HTTP endpoints, zones, emerging hotspots, KDE and clusters are still to come.

pub mod cells;
pub mod density;
pub mod fdr;
pub mod gistar;
pub mod zones;
