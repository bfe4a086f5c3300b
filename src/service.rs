//! The one place that writes: imports, catalogue edits and tokens go through here, and so
//! does the refresh of the in-memory index. The CLI and the HTTP API share it.
//!
//! Writes are serialised by one async mutex (SQLite has one writer anyway; on PostgreSQL
//! other replicas write too, which [`Service::refresh`] picks up). After each commit the
//! service reads what changed back from the database and swaps in a new [`Snapshot`], so
//! the index is always a function of committed data.

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use serde::Serialize;
use tokio::sync::{Mutex, mpsc};
use utoipa::ToSchema;

use crate::auth::{Role, hash_token, new_token};
use crate::domain::{Batch, CatalogueEntry, NewArea, NewCamera, NewIncident, NewModel, Zone};
use crate::index::{AreaLayer, IncidentIndex, PointLayer, Snapshot};
use crate::ingest::csv::CsvOptions;
use crate::ingest::{Context, Format, Layer, Outcome, Record, RowError};
use crate::store::{CatalogueKind, Store, StoreError};

/// Rows sent from the parser to the writer at a time.
const BATCH: usize = 5_000;
/// Errors kept in an [`ImportReport`] (all of them still go to the caller's reject sink).
const REPORT_ERRORS: usize = 1_000;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the source failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the parser stopped unexpectedly: {0}")]
    Parser(String),
    #[error("the operating system gave no randomness: {0}")]
    Random(String),
}

/// All-or-nothing (the default) or keep the good rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    #[default]
    AllOrNothing,
    SkipInvalid,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub layer: Layer,
    /// Records read from the source (valid or not).
    pub read: u64,
    pub valid: u64,
    /// Valid records that were new and are now stored.
    pub inserted: u64,
    /// Valid records whose external id (or area code) was already stored: left unchanged.
    pub already_present: u64,
    /// Records with at least one problem.
    pub rejected: u64,
    /// Whether anything was written. False when problems stopped an all-or-nothing import.
    pub committed: bool,
    /// The data version after the import.
    pub data_version: i64,
    /// Problems, in source order (at most 1,000; see `errors_total`).
    pub errors: Vec<RowError>,
    pub errors_total: u64,
    pub seconds: f64,
}

/// Where a rejected record goes: its problems and its raw text.
pub type RejectSink = Box<dyn FnMut(&[RowError], &str) + Send>;

/// A source to import.
pub enum Source {
    Csv {
        reader: Box<dyn Read + Send>,
        options: CsvOptions,
    },
    Json(Vec<u8>),
}

struct ParseOutcome {
    read: u64,
    valid: u64,
    rejected: u64,
    errors: Vec<RowError>,
    errors_total: u64,
}

pub struct Service {
    store: Store,
    zone: Zone,
    snapshot: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    /// False for one-shot CLI writers (import, token): they never query incidents, so
    /// building and refreshing the incident index would only cost time.
    index_incidents: bool,
}

impl Service {
    /// Builds the index from the database.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn open(store: Store, zone: Zone) -> Result<Arc<Self>, ServiceError> {
        let snapshot = load_snapshot(&store).await?;
        Ok(Arc::new(Self {
            store,
            zone,
            snapshot: ArcSwap::from_pointee(snapshot),
            writer: Mutex::new(()),
            index_incidents: true,
        }))
    }

    /// A service for one-shot writes (the CLI's import and token commands): catalogue and
    /// small layers, but no incident index.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn open_for_writes(store: Store, zone: Zone) -> Result<Arc<Self>, ServiceError> {
        let mut snapshot = small_layers(&store).await?;
        snapshot.version = store.data_version().await?;
        Ok(Arc::new(Self {
            store,
            zone,
            snapshot: ArcSwap::from_pointee(snapshot),
            writer: Mutex::new(()),
            index_incidents: false,
        }))
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    #[must_use]
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The current snapshot. Hold it for the whole of a request: it never changes.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Catches up with the database if its data version moved (another replica or the CLI
    /// wrote). Cheap when nothing changed: one single-row query.
    ///
    /// # Errors
    /// On database failure.
    pub async fn refresh(&self) -> Result<bool, ServiceError> {
        let _w = self.writer.lock().await;
        self.refresh_locked().await
    }

    async fn refresh_locked(&self) -> Result<bool, ServiceError> {
        let version = self.store.data_version().await?;
        let current = self.snapshot();
        if version == current.version {
            return Ok(false);
        }
        let incidents = if self.index_incidents {
            current.incidents.with_appended(
                &self
                    .store
                    .scan_incidents(current.incidents.max_id())
                    .await?,
            )
        } else {
            current.incidents.clone()
        };
        let mut next = small_layers(&self.store).await?;
        next.version = version;
        next.incidents = incidents;
        // Most writes (imports, transitions) leave the areas alone: keep the current layer,
        // and with it the H3 covers already computed, so each area's cover is computed once.
        if next.areas.areas() == current.areas.areas() {
            next.areas = Arc::clone(&current.areas);
        }
        self.snapshot.store(Arc::new(next));
        Ok(true)
    }

    fn context(&self) -> Context {
        Context {
            catalogue: Arc::clone(&self.snapshot().catalogue),
            zone: self.zone.clone(),
        }
    }

    /// Imports a source into a layer. The parser runs on a blocking thread and hands
    /// batches to the writer as it goes, so memory stays bounded whatever the file size; in
    /// all-or-nothing mode the first problem stops writing (the parse goes on, to report
    /// every problem) and the transaction is rolled back.
    ///
    /// # Errors
    /// On database or I/O failure (problems with the data are in the report instead).
    pub async fn import(
        &self,
        layer: Layer,
        source: Source,
        mode: ImportMode,
        progress: Box<dyn FnMut(u64) + Send>,
        rejects: RejectSink,
    ) -> Result<ImportReport, ServiceError> {
        match layer {
            Layer::Incidents => {
                self.import_as::<NewIncident>(source, mode, progress, rejects)
                    .await
            }
            Layer::Cameras => {
                self.import_as::<NewCamera>(source, mode, progress, rejects)
                    .await
            }
            Layer::Models => {
                self.import_as::<NewModel>(source, mode, progress, rejects)
                    .await
            }
            Layer::Areas => {
                self.import_as::<NewArea>(source, mode, progress, rejects)
                    .await
            }
        }
    }

    async fn import_as<R: Record>(
        &self,
        source: Source,
        mode: ImportMode,
        progress: Box<dyn FnMut(u64) + Send>,
        mut rejects: RejectSink,
    ) -> Result<ImportReport, ServiceError> {
        let started = Instant::now();
        let _w = self.writer.lock().await;
        let ctx = self.context();
        let (tx_batches, mut rx_batches) = mpsc::channel::<Batch>(4);
        let parser =
            tokio::task::spawn_blocking(move || -> Result<ParseOutcome, std::io::Error> {
                let mut out = ParseOutcome {
                    read: 0,
                    valid: 0,
                    rejected: 0,
                    errors: Vec::new(),
                    errors_total: 0,
                };
                let mut buf: Vec<R> = Vec::with_capacity(BATCH);
                let mut sending = true;
                let mut on_record = |o: Outcome<R>| {
                    out.read += 1;
                    match o {
                        Outcome::Valid(r) => {
                            out.valid += 1;
                            if sending {
                                buf.push(r);
                                if buf.len() == BATCH {
                                    let batch = R::batch(std::mem::replace(
                                        &mut buf,
                                        Vec::with_capacity(BATCH),
                                    ));
                                    // The writer hung up (a database error): stop feeding it.
                                    sending = tx_batches.blocking_send(batch).is_ok();
                                }
                            }
                        }
                        Outcome::Invalid { errors, raw } => {
                            out.rejected += 1;
                            if mode == ImportMode::AllOrNothing {
                                sending = false;
                                buf.clear();
                            }
                            rejects(&errors, &raw);
                            out.errors_total += errors.len() as u64;
                            let room = REPORT_ERRORS.saturating_sub(out.errors.len());
                            out.errors.extend(errors.into_iter().take(room));
                        }
                    }
                };
                let file_errors = match source {
                    Source::Csv { reader, options } => crate::ingest::csv::read::<R>(
                        reader,
                        &options,
                        &ctx,
                        progress,
                        &mut on_record,
                    )?,
                    Source::Json(body) => {
                        let mut progress = progress;
                        let total = body.len() as u64;
                        let r = crate::ingest::json::read::<R>(&body, &ctx, &mut on_record);
                        progress(total);
                        r.err().unwrap_or_default()
                    }
                };
                if !file_errors.is_empty() {
                    rejects(&file_errors, "");
                    out.errors_total += file_errors.len() as u64;
                    out.errors.splice(0..0, file_errors);
                    out.errors.truncate(REPORT_ERRORS);
                    sending = false;
                }
                if sending && !buf.is_empty() {
                    let _ = tx_batches.blocking_send(R::batch(buf));
                }
                Ok(out)
            });

        let mut tx = self.store.begin_bulk().await?;
        let mut inserted = 0u64;
        let mut write_error = None;
        while let Some(batch) = rx_batches.recv().await {
            match tx.insert(batch).await {
                Ok(n) => inserted += n,
                Err(e) => {
                    write_error = Some(e);
                    break;
                }
            }
        }
        drop(rx_batches);
        let parsed = parser
            .await
            .map_err(|e| ServiceError::Parser(e.to_string()))??;
        if let Some(e) = write_error {
            tx.rollback().await?;
            return Err(e.into());
        }
        // Problems with the file itself (header, encoding) stop even a --skip-invalid import.
        let failed =
            parsed.errors_total > 0 && (mode == ImportMode::AllOrNothing || parsed.read == 0);
        let committed = if failed {
            tx.rollback().await?;
            false
        } else {
            if inserted > 0 {
                tx.bump_version().await?;
            }
            tx.commit().await?;
            true
        };
        if committed {
            self.refresh_locked().await?;
        }
        Ok(ImportReport {
            layer: R::LAYER,
            read: parsed.read,
            valid: parsed.valid,
            inserted: if committed { inserted } else { 0 },
            already_present: if committed {
                parsed.valid - inserted
            } else {
                0
            },
            rejected: parsed.rejected,
            committed,
            data_version: self.snapshot().version,
            errors: parsed.errors,
            errors_total: parsed.errors_total,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Adds or relabels a catalogue entry.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_catalogue_entry(
        &self,
        kind: CatalogueKind,
        entry: &CatalogueEntry,
    ) -> Result<(), ServiceError> {
        let _w = self.writer.lock().await;
        let mut tx = self.store.begin().await?;
        tx.upsert_catalogue_entry(kind, entry).await?;
        tx.bump_version().await?;
        tx.commit().await?;
        self.refresh_locked().await?;
        Ok(())
    }

    /// Creates a token; returns its id and the token itself (shown once, stored hashed).
    ///
    /// # Errors
    /// On database failure or when no randomness is available.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
    ) -> Result<(i64, String), ServiceError> {
        let token = new_token().map_err(|e| ServiceError::Random(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_token(name, role, &hash_token(&token), now())
            .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    /// Runs a write composed elsewhere (the conversion programme's, `crate::programme`)
    /// under the writer lock, then refreshes the snapshot, as every write here does.
    /// `write` commits its own transaction and bumps the data version in it.
    ///
    /// # Errors
    /// Whatever `write` returns; database failure while refreshing.
    pub async fn write<T, E: From<ServiceError>>(
        &self,
        write: impl AsyncFnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let _w = self.writer.lock().await;
        let out = write(&self.store).await?;
        self.refresh_locked().await.map_err(E::from)?;
        Ok(out)
    }

    /// Revokes a token.
    ///
    /// # Errors
    /// `NotFound` when no live token has this id.
    pub async fn revoke_token(&self, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        tx.revoke_token(id, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The role a presented token grants, if it is a live token.
    ///
    /// # Errors
    /// On database failure.
    pub async fn role_of(&self, token: &str) -> Result<Option<Role>, ServiceError> {
        Ok(self.store.token_role(&hash_token(token)).await?)
    }
}

/// Unix seconds now.
#[must_use]
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Everything but incidents (small: reloaded whole after every write).
async fn small_layers(store: &Store) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        version: 0,
        incidents: IncidentIndex::default(),
        cameras: Arc::new(PointLayer::new(store.cameras().await?)),
        models: Arc::new(PointLayer::new(store.models().await?)),
        areas: Arc::new(AreaLayer::new(store.areas().await?)),
        catalogue: Arc::new(store.catalogue().await?),
        programme: Arc::new(crate::domain::Programme::new(store.designations().await?)),
    })
}

/// Reads the whole database into a fresh snapshot. The version is read first: a write
/// that lands during the scan makes the snapshot look older than it is, so the next
/// refresh re-reads (rows are only ever appended, and refresh appends by id).
///
/// # Errors
/// On database failure or invalid stored data.
pub async fn load_snapshot(store: &Store) -> Result<Snapshot, StoreError> {
    let version = store.data_version().await?;
    let incidents = IncidentIndex::build(store.scan_incidents(0).await?);
    let mut s = small_layers(store).await?;
    s.version = version;
    s.incidents = incidents;
    Ok(s)
}

/// Guesses a source's format from its path and opens it.
///
/// # Errors
/// When the file cannot be opened or read.
pub fn open_source(
    path: &std::path::Path,
    format: Option<Format>,
    options: CsvOptions,
) -> std::io::Result<(Source, u64)> {
    let len = std::fs::metadata(path)?.len();
    Ok(match format.unwrap_or_else(|| Format::from_path(path)) {
        Format::Csv => (
            Source::Csv {
                reader: Box::new(std::io::BufReader::with_capacity(
                    1 << 20,
                    std::fs::File::open(path)?,
                )),
                options,
            },
            len,
        ),
        Format::Geojson => (Source::Json(std::fs::read(path)?), len),
    })
}
