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

use std::sync::Arc;

pub use areas::AreaLayer;
pub use incidents::{BBox, Extent, Filter, IncidentIndex, Interner, Segment};
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
