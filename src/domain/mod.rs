//! The committee's vocabulary as validated types. Nothing here does I/O; everything that
//! exists in this module has passed its checks, so the rest of the program trusts it.

pub mod area;
pub mod catalogue;
pub mod error;
pub mod lonlat;
pub mod records;
pub mod severity;
pub mod time;

pub use area::{Area, AreaGeometry, AreaKind, NewArea};
pub use catalogue::{Catalogue, CatalogueEntry};
pub use error::DomainError;
pub use lonlat::LonLat;
pub use records::{Camera, Incident, Model, NewCamera, NewIncident, NewModel};
pub use severity::Severity;
pub use time::Zone;
