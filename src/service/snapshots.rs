//! The committed data as the server reads it: one immutable [`Snapshot`] at a time, swapped
//! whole when the database's data version moves, so a request that holds one sees one
//! version of every layer however long it runs.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::Mutex;

use crate::index::{AreaLayer, IncidentIndex, PointLayer, Snapshot};
use crate::store::{Store, StoreError};

/// The current snapshot and how to catch up with the database.
pub struct Snapshots {
    store: Store,
    current: ArcSwap<Snapshot>,
    /// One refresh at a time: two would read the same new rows and race to swap.
    refreshing: Mutex<()>,
    /// False for one-shot CLI writers (import, token): they never query incidents, so
    /// building and refreshing the incident index would only cost time.
    index_incidents: bool,
}

impl Snapshots {
    /// Reads the whole database into the first snapshot.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn load(store: Store) -> Result<Self, StoreError> {
        let first = load_snapshot(&store).await?;
        Ok(Self::starting_at(store, first, true))
    }

    /// The catalogue and the small layers, without an incident index (the CLI's one-shot
    /// writers).
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn load_without_incidents(store: Store) -> Result<Self, StoreError> {
        let mut first = small_layers(&store).await?;
        first.version = store.data_version().await?;
        Ok(Self::starting_at(store, first, false))
    }

    fn starting_at(store: Store, first: Snapshot, index_incidents: bool) -> Self {
        Self {
            store,
            current: ArcSwap::from_pointee(first),
            refreshing: Mutex::new(()),
            index_incidents,
        }
    }

    /// The current snapshot. Hold it for the whole of a request: it never changes.
    #[must_use]
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Catches up with the database if its data version moved (a write here, another
    /// replica or the CLI). Cheap when nothing changed: one single-row query. Incidents are
    /// only ever appended, so the new ones are read by id and added to the index; the small
    /// layers are read whole.
    ///
    /// # Errors
    /// On database failure.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let _one = self.refreshing.lock().await;
        let version = self.store.data_version().await?;
        let current = self.current();
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
        self.current.store(Arc::new(next));
        Ok(true)
    }
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
