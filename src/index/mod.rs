//! The in-memory index: everything analysis and listing read, as immutable snapshots.
//!
//! A [`Snapshot`] is one consistent version of all layers, tagged with the database's
//! `data_version`. The service swaps in a new snapshot after each committed write
//! (`arc_swap`), so a reader that loaded one keeps a consistent view however many writes go
//! on (no torn reads). Unchanged layers are shared between versions through `Arc`.
//!
//! This module is pure: no I/O. The service fills it from the store.

pub mod areas;
pub mod containment;
pub mod incidents;
pub mod points;
pub mod rows;
pub mod timecube;

use std::sync::Arc;

pub use areas::AreaLayer;
pub use incidents::{BBox, Extent, Filter, IncidentIndex, Interner, RowsId, Segment};
pub use points::PointLayer;
pub use rows::{CategoryRef, IncidentRow, Scanned};

use crate::domain::{Camera, Catalogue, Model, Programme};

/// One consistent version of everything.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The database's `data_version` this snapshot reflects.
    pub version: i64,
    pub incidents: IncidentIndex,
    pub cameras: Arc<PointLayer<Camera>>,
    pub models: Arc<PointLayer<Model>>,
    pub areas: Arc<AreaLayer>,
    pub catalogue: Arc<Catalogue>,
    /// The conversion programme's designations and their current statuses.
    pub programme: Arc<Programme>,
}

/// An index of incidents at `points` (lon, lat), ids 1…n, all theft, less serious, at time
/// 0, keys 0: what unit tests of the analyses build on.
#[cfg(test)]
pub(crate) fn index_at(points: &[(f64, f64)]) -> IncidentIndex {
    let rows = points
        .iter()
        .zip(1..)
        .map(|(&(lon, lat), id)| IncidentRow {
            id,
            occurred_at: 0,
            category: CategoryRef::at(0),
            severity: crate::domain::Severity::from_code(0),
            solved: false,
            lon,
            lat,
            cell: crate::domain::LonLat::new(lon, lat)
                .expect("a valid point")
                .cell15(),
            key: 0,
        })
        .collect();
    IncidentIndex::build(Scanned {
        rows,
        categories: vec!["theft".to_owned()],
    })
}
