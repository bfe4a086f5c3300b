//! Bulk writes on SQLite: one writer thread owning a `rusqlite` connection with an open
//! `BEGIN IMMEDIATE` transaction, fed batches by the import.
//!
//! Why not sqlx here: sqlx-sqlite runs each statement on its worker thread and binds every
//! value as an owned, boxed argument. For a million-row import that overhead (allocation,
//! hand-offs) capped the rate at ~100,000 rows/s; a reused prepared statement on a
//! dedicated thread runs at SQLite's own speed. Same file, same bundled library, same
//! schema and constraints; everything but bulk imports still goes through sqlx.

use std::path::PathBuf;
use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags, params};
use tokio::sync::oneshot;

use super::StoreError;
use super::rows::cell_to_db;
use crate::domain::{NewArea, NewCamera, NewIncident, NewModel};

type Job = Box<dyn FnOnce(&Connection) + Send>;

fn db(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.unwrap_or_else(|| f.to_string()))
        }
        other => StoreError::Database(sqlx::Error::Protocol(format!("sqlite: {other}"))),
    }
}

/// A write transaction on a dedicated thread. Dropping it without `commit` rolls back.
pub struct RawTx {
    jobs: Option<mpsc::Sender<Job>>,
}

impl RawTx {
    /// Opens the file and starts an immediate (write-locked) transaction.
    ///
    /// # Errors
    /// When the file cannot be opened or the write lock not taken within the busy timeout.
    pub async fn begin(path: PathBuf) -> Result<Self, StoreError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), StoreError>>();
        std::thread::Builder::new()
            .name("sqlite-bulk".into())
            .spawn(move || {
                let open = || -> rusqlite::Result<Connection> {
                    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                    c.busy_timeout(std::time::Duration::from_secs(30))?;
                    c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; BEGIN IMMEDIATE")?;
                    Ok(c)
                };
                let conn = match open() {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(db(e)));
                        return;
                    }
                };
                for job in rx {
                    job(&conn);
                }
                // Commit and rollback end with `COMMIT`/`ROLLBACK` jobs; if the owner went
                // away without either, nothing may persist.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("starting the writer thread: {e}")))?;
        ready_rx
            .await
            .map_err(|_| StoreError::Corrupt("writer thread died".into()))??;
        Ok(Self { jobs: Some(jobs) })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c).map_err(db));
        });
        self.jobs
            .as_ref()
            .and_then(|j| j.send(job).ok())
            .ok_or_else(|| StoreError::Corrupt("writer thread is gone".into()))?;
        rx.await
            .map_err(|_| StoreError::Corrupt("writer thread died".into()))?
    }

    /// The batch comes back with the count so that freeing it happens on the caller's
    /// thread, not on the writer's (which is the import's bottleneck).
    pub async fn insert_incidents(
        &self,
        rows: Vec<NewIncident>,
    ) -> Result<(u64, Vec<NewIncident>), StoreError> {
        let keys = super::rows::new_record_keys(rows.len())?;
        self.run(move |c| {
            let mut st = c.prepare(
                "INSERT INTO incidents (external_id, occurred_at, category, severity, solved, lon, lat, h3_cell, address, ward, record_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (external_id) DO NOTHING",
            )?;
            let mut n = 0u64;
            for (r, key) in rows.iter().zip(keys) {
                n += st.execute(params![
                    r.external_id,
                    r.occurred_at,
                    r.category,
                    r.severity.as_str(),
                    r.solved,
                    r.location.lon(),
                    r.location.lat(),
                    cell_to_db(r.cell),
                    r.address,
                    r.ward,
                    key
                ])? as u64;
            }
            drop(st);
            Ok((n, rows))
        })
        .await
    }

    pub async fn insert_cameras(&self, rows: Vec<NewCamera>) -> Result<u64, StoreError> {
        self.run(move |c| {
            let mut st = c.prepare(
                "INSERT INTO cameras (external_id, lon, lat, kind, active, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (external_id) DO NOTHING",
            )?;
            let mut n = 0u64;
            for r in &rows {
                n += st.execute(params![r.external_id, r.location.lon(), r.location.lat(), r.kind, r.active, r.installed_at])? as u64;
            }
            Ok(n)
        })
        .await
    }

    pub async fn insert_models(&self, rows: Vec<NewModel>) -> Result<u64, StoreError> {
        self.run(move |c| {
            let mut st = c.prepare(
                "INSERT INTO models (external_id, lon, lat, kind, name, established_at, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (external_id) DO NOTHING",
            )?;
            let mut n = 0u64;
            for r in &rows {
                n += st.execute(params![r.external_id, r.location.lon(), r.location.lat(), r.kind, r.name, r.established_at, r.active])? as u64;
            }
            Ok(n)
        })
        .await
    }

    pub async fn insert_areas(&self, rows: Vec<NewArea>) -> Result<u64, StoreError> {
        self.run(move |c| {
            let mut st = c.prepare(
                "INSERT INTO areas (code, name, kind, geometry, population) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (code) DO NOTHING",
            )?;
            let mut n = 0u64;
            for r in &rows {
                let population = r.population.map(|p| i64::try_from(p).unwrap_or(i64::MAX));
                n += st.execute(params![r.code, r.name, r.kind.as_str(), r.geometry.to_geojson().to_string(), population])? as u64;
            }
            Ok(n)
        })
        .await
    }

    pub async fn bump_version(&self) -> Result<i64, StoreError> {
        self.run(|c| {
            c.query_row(
                "UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version",
                [],
                |r| r.get(0),
            )
        })
        .await
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        let r = self.run(|c| c.execute_batch("COMMIT")).await;
        self.jobs.take();
        r
    }

    pub async fn rollback(mut self) -> Result<(), StoreError> {
        let r = self.run(|c| c.execute_batch("ROLLBACK")).await;
        self.jobs.take();
        r
    }
}
