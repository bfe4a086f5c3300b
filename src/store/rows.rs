//! Decoding stored rows into domain values. The macros expand once per backend (inside
//! `with_pool!`), so each works with that backend's row type; stored values go through the
//! same validating constructors as input, and a failure is reported as `Corrupt`.

use crate::domain::Severity;

/// H3 indexes leave bit 63 clear, so they fit a signed BIGINT unchanged.
#[expect(clippy::cast_possible_wrap, reason = "H3 indexes never set bit 63")]
pub fn cell_to_db(cell: h3o::CellIndex) -> i64 {
    u64::from(cell) as i64
}

/// The inverse of [`cell_to_db`], validated as any input is.
pub fn cell_from_db(v: i64) -> Result<h3o::CellIndex, crate::store::StoreError> {
    #[expect(clippy::cast_sign_loss, reason = "the inverse of cell_to_db")]
    h3o::CellIndex::try_from(v as u64)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("h3_cell {v}: {e}")))
}

pub fn severity(text: &str) -> Result<Severity, crate::store::StoreError> {
    text.parse::<Severity>().map_err(Into::into)
}

/// A stored record key: 0 … 2³² − 1. Anything else (−1: a row written without one) is
/// refused, so an insert path that forgets the key fails loudly instead of publishing
/// unperturbed counts.
pub fn record_key(id: i64, key: i64) -> Result<u32, crate::store::StoreError> {
    u32::try_from(key).map_err(|_| {
        crate::store::StoreError::Corrupt(format!("incident {id} has no record key ({key})"))
    })
}

/// `n` fresh record keys from the operating system's random source (one call for a whole
/// batch). Random, not derived from anything a record shows: a key an outsider could
/// compute would let them compute the perturbation too.
pub fn new_record_keys(n: usize) -> Result<Vec<u32>, crate::store::StoreError> {
    let mut bytes = vec![0u8; n * 4];
    getrandom::fill(&mut bytes).map_err(|e| {
        crate::store::StoreError::Corrupt(format!("no randomness for record keys: {e}"))
    })?;
    Ok(bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

pub fn lonlat(lon: f64, lat: f64) -> Result<crate::domain::LonLat, crate::store::StoreError> {
    crate::domain::LonLat::new(lon, lat).map_err(Into::into)
}

/// Decodes the index columns; the category comes back as its code in a `String` and the
/// caller's interner turns it into a [`crate::index::CategoryRef`] — so this yields
/// `(IncidentRow, String)` with a placeholder `category` until interned.
macro_rules! incident_row {
    ($r:expr) => {{
        let r = &$r;
        (
            $crate::index::IncidentRow {
                id: r.try_get("id")?,
                occurred_at: r.try_get("occurred_at")?,
                category: $crate::index::CategoryRef::default(),
                severity: $crate::store::rows::severity(r.try_get::<&str, _>("severity")?)?,
                solved: r.try_get("solved")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                cell: $crate::store::rows::cell_from_db(r.try_get("h3_cell")?)?,
                key: $crate::store::rows::record_key(r.try_get("id")?, r.try_get("record_key")?)?,
            },
            r.try_get::<&str, _>("category")?,
        )
    }};
}

macro_rules! incident {
    ($r:expr) => {{
        let r = &$r;
        $crate::domain::Incident {
            id: r.try_get("id")?,
            data: $crate::domain::NewIncident {
                external_id: r.try_get("external_id")?,
                occurred_at: r.try_get("occurred_at")?,
                category: r.try_get("category")?,
                severity: $crate::store::rows::severity(r.try_get::<&str, _>("severity")?)?,
                solved: r.try_get("solved")?,
                location: $crate::store::rows::lonlat(r.try_get("lon")?, r.try_get("lat")?)?,
                cell: $crate::store::rows::cell_from_db(r.try_get("h3_cell")?)?,
                address: r.try_get("address")?,
                ward: r.try_get("ward")?,
            },
        }
    }};
}

macro_rules! camera {
    ($r:expr) => {{
        let r = &$r;
        $crate::domain::Camera {
            id: r.try_get("id")?,
            data: $crate::domain::NewCamera {
                external_id: r.try_get("external_id")?,
                location: $crate::store::rows::lonlat(r.try_get("lon")?, r.try_get("lat")?)?,
                kind: r.try_get("kind")?,
                active: r.try_get("active")?,
                installed_at: r.try_get("installed_at")?,
            },
        }
    }};
}

macro_rules! model {
    ($r:expr) => {{
        let r = &$r;
        $crate::domain::Model {
            id: r.try_get("id")?,
            data: $crate::domain::NewModel {
                external_id: r.try_get("external_id")?,
                location: $crate::store::rows::lonlat(r.try_get("lon")?, r.try_get("lat")?)?,
                kind: r.try_get("kind")?,
                name: r.try_get("name")?,
                established_at: r.try_get("established_at")?,
                active: r.try_get("active")?,
            },
        }
    }};
}

macro_rules! area {
    ($r:expr) => {{
        let r = &$r;
        let geometry: geojson::Geometry = r
            .try_get::<&str, _>("geometry")?
            .parse()
            .map_err(|e| $crate::store::StoreError::Corrupt(format!("area geometry: {e}")))?;
        let population: Option<i64> = r.try_get("population")?;
        $crate::domain::Area {
            id: r.try_get("id")?,
            data: $crate::domain::NewArea {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                kind: r.try_get::<&str, _>("kind")?.parse()?,
                geometry: $crate::domain::AreaGeometry::from_geojson(&geometry)?,
                population: population.and_then(|p| u64::try_from(p).ok()),
            },
        }
    }};
}

pub(crate) use {area, camera, incident, incident_row, model};
