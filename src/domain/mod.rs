//! The committee's vocabulary as validated types. Nothing here does I/O; everything that
//! exists in this module has passed its checks, so the rest of the program trusts it.

pub mod area;
pub mod batch;
pub mod catalogue;
pub mod error;
pub mod harm;
pub mod lonlat;
pub mod period;
pub mod programme;
pub mod records;
pub mod severity;
pub mod time;

pub use area::{Area, AreaGeometry, AreaKind, NewArea};
pub use batch::Batch;
pub use catalogue::{Catalogue, CatalogueEntry};
pub use error::DomainError;
pub use harm::HarmWeights;
pub use lonlat::LonLat;
pub use period::Period;
pub use programme::{
    Actor, Designation, DesignationTerms, EventKind, IllegalTransition, NewDesignation, Programme,
    ProgrammeEvent, ProgrammeStatus, TargetOverrides, Targets,
};
pub use records::{Camera, Incident, Model, NewCamera, NewIncident, NewModel};
pub use severity::{Severity, SeveritySet};
pub use time::Zone;
