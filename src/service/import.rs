//! Imports: a source parsed on a blocking thread, written in batches in one transaction,
//! all-or-nothing or keeping the good rows, with every rejected row reported.

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::{Service, ServiceError};
use crate::domain::{Batch, NewArea, NewCamera, NewIncident, NewModel};
use crate::ingest::csv::CsvOptions;
use crate::ingest::{Context, Format, Layer, Outcome, Record, RowError};

/// Rows sent from the parser to the writer at a time.
const BATCH: usize = 5_000;
/// Errors kept in an [`ImportReport`] (all of them still go to the caller's reject sink).
const REPORT_ERRORS: usize = 1_000;

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

impl Service {
    fn context(&self) -> Context {
        Context {
            catalogue: Arc::clone(&self.snapshots.current().catalogue),
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
            self.snapshots.refresh().await?;
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
            data_version: self.snapshots.current().version,
            errors: parsed.errors,
            errors_total: parsed.errors_total,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
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
