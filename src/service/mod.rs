//! The service, split by job:
//! - [`Service`] (this file): the one place that writes — catalogue edits, tokens, the
//!   programme's writes (composed in `crate::programme`), and imports ([`import`]);
//! - [`Snapshots`] ([`snapshots`]): the committed data as an immutable in-memory snapshot,
//!   refreshed after each write and when another replica or the CLI wrote.
//!
//! The HTTP layer holds the [`Snapshots`], a [`Store`] handle for the few reads that are
//! not in a snapshot (tokens, programme history), and the committee's [`Zone`] each on its
//! own, and the [`Service`] only for writes.
//!
//! Writes are serialised by one async mutex (SQLite has one writer anyway; on PostgreSQL
//! other replicas write too, which [`Snapshots::refresh`] picks up). After each commit the
//! service reads what changed back from the database and swaps in a new snapshot, so the
//! index is always a function of committed data.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::auth::{Role, hash_token, new_token};
use crate::domain::{CatalogueEntry, Zone};
use crate::index::Snapshot;
use crate::store::{CatalogueKind, Store, StoreError};

mod import;
mod snapshots;

pub use import::{ImportMode, ImportReport, RejectSink, Source, open_source};
pub use snapshots::{Snapshots, load_snapshot};

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

/// The write path: imports, catalogue edits, tokens and the programme's writes, one at a
/// time, each followed by a refresh of the [`Snapshots`].
pub struct Service {
    store: Store,
    zone: Zone,
    snapshots: Arc<Snapshots>,
    writer: Mutex<()>,
}

impl Service {
    /// Builds the index from the database.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn open(store: Store, zone: Zone) -> Result<Arc<Self>, ServiceError> {
        let snapshots = Snapshots::load(store.clone()).await?;
        Ok(Self::with(store, zone, snapshots))
    }

    /// A service for one-shot writes (the CLI's import and token commands): catalogue and
    /// small layers, but no incident index.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn open_for_writes(store: Store, zone: Zone) -> Result<Arc<Self>, ServiceError> {
        let snapshots = Snapshots::load_without_incidents(store.clone()).await?;
        Ok(Self::with(store, zone, snapshots))
    }

    fn with(store: Store, zone: Zone, snapshots: Snapshots) -> Arc<Self> {
        Arc::new(Self {
            store,
            zone,
            snapshots: Arc::new(snapshots),
            writer: Mutex::new(()),
        })
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    #[must_use]
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The snapshots this service refreshes after each write (what HTTP reads).
    #[must_use]
    pub fn snapshots(&self) -> &Arc<Snapshots> {
        &self.snapshots
    }

    /// The current snapshot (the CLI's and the tests' shorthand for
    /// `snapshots().current()`).
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.current()
    }

    /// Catches up with the database if its data version moved (another replica or the CLI
    /// wrote); see [`Snapshots::refresh`].
    ///
    /// # Errors
    /// On database failure.
    pub async fn refresh(&self) -> Result<bool, ServiceError> {
        Ok(self.snapshots.refresh().await?)
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
        self.snapshots.refresh().await?;
        Ok(())
    }

    /// Sets (`Some(days)`, validated by the caller) or resets to its class's default
    /// (`None`) the harm weight of (`category`, `severity`). The data version moves with it,
    /// so every cached harm-weighted answer is recomputed. Returns whether anything changed.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_harm_weight(
        &self,
        category: &str,
        severity: crate::domain::Severity,
        days: Option<f64>,
    ) -> Result<bool, ServiceError> {
        let _w = self.writer.lock().await;
        let mut tx = self.store.begin().await?;
        let changed = match days {
            Some(d) => {
                tx.upsert_harm_weight(category, severity, d).await?;
                true
            }
            None => tx.delete_harm_weight(category, severity).await?,
        };
        if changed {
            tx.bump_version().await?;
            tx.commit().await?;
            self.snapshots.refresh().await?;
        }
        Ok(changed)
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
        self.snapshots
            .refresh()
            .await
            .map_err(|e| E::from(ServiceError::from(e)))?;
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
