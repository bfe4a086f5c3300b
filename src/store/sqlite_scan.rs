//! The index's bulk read on SQLite, through `rusqlite` (the same bundled SQLite library
//! sqlx links). Only reads: every write goes through sqlx transactions.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use super::rows::{cell_from_db, severity};
use crate::index::{IncidentRow, Scanned};

#[expect(
    clippy::needless_pass_by_value,
    reason = "a `map_err` adapter: it takes the error as `map_err` hands it over"
)]
fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!("reading incidents: {e}"))
}

/// Reads incidents with `id > after_id` in id order.
///
/// # Errors
/// When the file cannot be opened or a stored value is invalid.
pub fn scan(path: &Path, after_id: i64) -> Result<Scanned, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(db)?;
    let mut stmt = conn
        .prepare("SELECT id, occurred_at, category, severity, solved, lon, lat, h3_cell, record_key FROM incidents WHERE id > ?1 ORDER BY id")
        .map_err(db)?;
    let mut out = Scanned::default();
    let mut rows = stmt.query([after_id]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        let category = r
            .get_ref(2)
            .map_err(db)?
            .as_str()
            .map_err(|e| db(e.into()))?;
        let category = out.intern(category);
        let sev = r
            .get_ref(3)
            .map_err(db)?
            .as_str()
            .map_err(|e| db(e.into()))?;
        out.rows.push(IncidentRow {
            id: r.get(0).map_err(db)?,
            occurred_at: r.get(1).map_err(db)?,
            category,
            severity: severity(sev)?,
            solved: r.get(4).map_err(db)?,
            lon: r.get(5).map_err(db)?,
            lat: r.get(6).map_err(db)?,
            cell: cell_from_db(r.get(7).map_err(db)?)?,
            key: crate::store::rows::record_key(r.get(0).map_err(db)?, r.get(8).map_err(db)?)?,
        });
    }
    Ok(out)
}
