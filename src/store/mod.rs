//! Persistence: one facade over SQLite (the embedded default) and PostgreSQL (for several
//! replicas).
//!
//! Both backends share their SQL: runtime queries with `$N` placeholders, which SQLite
//! accepts too. The [`with_pool!`] macro writes a method body once and compiles it for each
//! backend, so there is no second copy to drift. Migrations are embedded from
//! `migrations/sqlite` and `migrations/postgres` and run on connect.
//!
//! Every write happens inside a [`StoreTx`]; a write that changes data also bumps the
//! single-row `data_version`, in the same transaction, so the version a reader sees always
//! matches the data it sees.

mod error;
mod rows;
mod sqlite_bulk;
mod sqlite_scan;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, Transaction};

pub use error::StoreError;

use crate::auth::Role;
use crate::domain::{
    Area, Batch, Camera, Catalogue, CatalogueEntry, Incident, Model, NewArea, NewCamera,
    NewIncident, NewModel,
};
use crate::index::Scanned;

/// Rows per multi-row `INSERT`: 1,000 rows × 10 columns stays well under both backends'
/// bind-parameter limits (SQLite 32,766; PostgreSQL 65,535).
const INSERT_CHUNK: usize = 1_000;
/// Rows per JSON-array insert (one bound parameter, so no limit applies but memory).
const JSON_CHUNK: usize = 5_000;

/// A connection pool to one of the two backends.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on either backend. Dropping it without [`StoreTx::commit`] rolls back.
pub enum StoreTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same body against whichever pool (or transaction) the value holds.
macro_rules! with_pool {
    ($value:expr, $p:ident => $body:expr) => {
        match $value {
            Store::Sqlite($p) => $body,
            Store::Postgres($p) => $body,
        }
    };
}

macro_rules! with_tx {
    ($value:expr, $t:ident => $body:expr) => {
        match $value {
            StoreTx::Sqlite($t) => $body,
            StoreTx::Postgres($t) => $body,
        }
    };
}

// After the macros, which it uses.
mod programme;
pub use programme::{Locked, NewEvent};

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns — or `(?, ?, …)` on SQLite, where
/// binding a numbered parameter looks its name up with a linear scan
/// (`sqlite3_bind_parameter_name`), which made a 10,000-parameter insert quadratic:
/// 7,750 rows/s instead of hundreds of thousands.
fn placeholders(rows: usize, cols: usize, anonymous: bool) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if anonymous {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            }
        }
        s.push(')');
    }
    s
}

/// A token as listed to an admin (never with its hash).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `url`:
    /// `sqlite:PATH` / `sqlite://PATH` (the file is created) or `postgres://…`.
    ///
    /// # Errors
    /// When the URL is of another scheme, the database cannot be reached, or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            // SQLite has one writer; a small pool serves concurrent readers under WAL.
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            Self::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Self::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        Ok(store)
    }

    /// Which backend this is, for logs and provenance.
    #[must_use]
    pub const fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await);
    }

    /// Starts a write transaction.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        Ok(match self {
            Self::Sqlite(p) => StoreTx::Sqlite(p.begin().await?),
            Self::Postgres(p) => StoreTx::Postgres(p.begin().await?),
        })
    }

    /// Starts a bulk write (an import): appends serialised across replicas, and on SQLite
    /// a dedicated writer thread (see `sqlite_bulk`).
    ///
    /// # Errors
    /// When the database cannot be reached or locked.
    pub async fn begin_bulk(&self) -> Result<BulkTx, StoreError> {
        Ok(match self {
            Self::Sqlite(p) => BulkTx::Sqlite(
                sqlite_bulk::RawTx::begin(p.connect_options().get_filename().to_path_buf()).await?,
            ),
            Self::Postgres(_) => {
                let mut tx = self.begin().await?;
                tx.lock_for_append().await?;
                BulkTx::Sql(tx)
            }
        })
    }

    /// The current data version (bumped by every committed change).
    ///
    /// # Errors
    /// On database failure.
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        let v: i64 = with_pool!(self, p => sqlx::query_scalar("SELECT version FROM data_version WHERE id = 1").fetch_one(p).await?);
        Ok(v)
    }

    /// Both catalogues, in their stored order.
    ///
    /// # Errors
    /// On database failure.
    pub async fn catalogue(&self) -> Result<Catalogue, StoreError> {
        let mut out = Catalogue::default();
        for (table, list) in [
            ("categories", &mut out.categories),
            ("model_kinds", &mut out.model_kinds),
        ] {
            let sql =
                format!("SELECT code, label_vi, label_en FROM {table} ORDER BY position, code");
            let rows: Vec<(String, String, String)> = with_pool!(self, p => sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(p).await?);
            list.extend(
                rows.into_iter()
                    .map(|(code, label_vi, label_en)| CatalogueEntry {
                        code,
                        label_vi,
                        label_en,
                    }),
            );
        }
        let rows: Vec<(String, String, f64)> = with_pool!(self, p => sqlx::query_as("SELECT category, severity, days FROM harm_weights ORDER BY category, severity").fetch_all(p).await?);
        let mut overrides = Vec::with_capacity(rows.len());
        for (category, severity, days) in rows {
            let severity: crate::domain::Severity =
                severity.parse().map_err(|e: crate::domain::DomainError| {
                    StoreError::Corrupt(format!("harm_weights: {e}"))
                })?;
            let days = crate::domain::harm::validate_days(days)
                .map_err(|e| StoreError::Corrupt(format!("harm_weights: {e}")))?;
            overrides.push((category, severity, days));
        }
        out.harm = crate::domain::HarmWeights::with_overrides(overrides);
        Ok(out)
    }

    /// Incidents with `id > after_id`, in id order, as the index keeps them (what the
    /// index is built from at start-up and after every write).
    ///
    /// On SQLite this reads through `rusqlite` on a blocking thread: decoding a million
    /// rows through sqlx's worker thread and channel took 4.2 s; a plain prepared
    /// statement takes a fraction of that (see BENCHMARKS.md). Same file, same WAL
    /// snapshot rules: it sees exactly what was committed.
    ///
    /// # Errors
    /// On database failure or a stored value that fails validation.
    pub async fn scan_incidents(&self, after_id: i64) -> Result<Scanned, StoreError> {
        use futures_util::TryStreamExt;
        const SQL: &str = "SELECT id, occurred_at, category, severity, solved, lon, lat, h3_cell, record_key \
                           FROM incidents WHERE id > $1 ORDER BY id";
        match self {
            Self::Sqlite(p) => {
                let path = p.connect_options().get_filename().to_path_buf();
                tokio::task::spawn_blocking(move || sqlite_scan::scan(&path, after_id))
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("scan thread: {e}")))?
            }
            Self::Postgres(p) => {
                let mut out = Scanned::default();
                let mut rows = sqlx::query(SQL).bind(after_id).fetch(p);
                while let Some(r) = rows.try_next().await? {
                    let (mut row, category) = rows::incident_row!(r);
                    row.category = out.intern(category);
                    out.rows.push(row);
                }
                Ok(out)
            }
        }
    }

    /// Full incident records for `ids` (at most a page), in id order.
    ///
    /// # Errors
    /// On database failure.
    pub async fn incidents_by_ids(&self, ids: &[i64]) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_CHUNK) {
            let list = &placeholders(1, chunk.len(), matches!(self, Self::Sqlite(_)))[1..];
            let list = &list[..list.len() - 1];
            let sql = format!(
                "SELECT id, external_id, occurred_at, category, severity, solved, lon, lat, h3_cell, address, ward \
                 FROM incidents WHERE id IN ({list}) ORDER BY id"
            );
            with_pool!(self, p => {
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(p).await? {
                    out.push(rows::incident!(r));
                }
            });
        }
        // Each chunk comes back in id order; over several chunks, order (and drop ids asked
        // twice) across them.
        out.sort_unstable_by_key(|i| i.id);
        out.dedup_by_key(|i| i.id);
        Ok(out)
    }

    /// Every camera, in id order.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn cameras(&self) -> Result<Vec<Camera>, StoreError> {
        const SQL: &str =
            "SELECT id, external_id, lon, lat, kind, active, installed_at FROM cameras ORDER BY id";
        let mut out = Vec::new();
        with_pool!(self, p => for r in sqlx::query(SQL).fetch_all(p).await? { out.push(rows::camera!(r)); });
        Ok(out)
    }

    /// Every self-managed model, in id order.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn models(&self) -> Result<Vec<Model>, StoreError> {
        const SQL: &str = "SELECT id, external_id, lon, lat, kind, name, established_at, active FROM models ORDER BY id";
        let mut out = Vec::new();
        with_pool!(self, p => for r in sqlx::query(SQL).fetch_all(p).await? { out.push(rows::model!(r)); });
        Ok(out)
    }

    /// Every area, in id order.
    ///
    /// # Errors
    /// On database failure or invalid stored data.
    pub async fn areas(&self) -> Result<Vec<Area>, StoreError> {
        const SQL: &str =
            "SELECT id, code, name, kind, geometry, population FROM areas ORDER BY id";
        let mut out = Vec::new();
        with_pool!(self, p => for r in sqlx::query(SQL).fetch_all(p).await? { out.push(rows::area!(r)); });
        Ok(out)
    }

    /// The role of the live (not revoked) token with this SHA-256 hash.
    ///
    /// # Errors
    /// On database failure.
    pub async fn token_role(&self, hash: &str) -> Result<Option<Role>, StoreError> {
        const SQL: &str =
            "SELECT role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
        let role: Option<String> =
            with_pool!(self, p => sqlx::query_scalar(SQL).bind(hash).fetch_optional(p).await?);
        role.map(|r| {
            r.parse::<Role>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// The live (not revoked) token with this SHA-256 hash: who is calling, for the
    /// history of the conversion programme.
    ///
    /// # Errors
    /// On database failure.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        const SQL: &str = "SELECT id, name, role, created_at, revoked_at FROM api_tokens \
                           WHERE token_hash = $1 AND revoked_at IS NULL";
        let row: Option<(i64, String, String, i64, Option<i64>)> =
            with_pool!(self, p => sqlx::query_as(SQL).bind(hash).fetch_optional(p).await?);
        row.map(|(id, name, role, created_at, revoked_at)| {
            Ok(TokenInfo {
                id,
                name,
                role: role.parse()?,
                created_at,
                revoked_at,
            })
        })
        .transpose()
    }

    /// Every token, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        const SQL: &str =
            "SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY id DESC";
        let rows: Vec<(i64, String, String, i64, Option<i64>)> =
            with_pool!(self, p => sqlx::query_as(SQL).fetch_all(p).await?);
        rows.into_iter()
            .map(|(id, name, role, created_at, revoked_at)| {
                Ok(TokenInfo {
                    id,
                    name,
                    role: role.parse().map_err(|e: crate::domain::DomainError| {
                        StoreError::Corrupt(e.to_string())
                    })?,
                    created_at,
                    revoked_at,
                })
            })
            .collect()
    }
}

impl StoreTx {
    const fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// Commits.
    ///
    /// # Errors
    /// When the commit fails (nothing is then written).
    pub async fn commit(self) -> Result<(), StoreError> {
        with_tx!(self, t => t.commit().await?);
        Ok(())
    }

    /// Rolls back explicitly (dropping does the same, later).
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn rollback(self) -> Result<(), StoreError> {
        with_tx!(self, t => t.rollback().await?);
        Ok(())
    }

    /// Serialises appending writers across replicas. On PostgreSQL, ids are taken from a
    /// sequence when a row is inserted but become visible when its transaction commits; two
    /// concurrent importers could commit out of id order and a replica refreshing by
    /// "id > last seen" would skip rows. This lock (which readers do not wait for) makes
    /// appends commit in id order. SQLite has a single writer already.
    ///
    /// # Errors
    /// On database failure.
    pub async fn lock_for_append(&mut self) -> Result<(), StoreError> {
        if let Self::Postgres(t) = self {
            sqlx::query("LOCK TABLE incidents, data_version IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    /// Marks the data as changed: every committed write that changed rows calls this once.
    ///
    /// # Errors
    /// On database failure.
    pub async fn bump_version(&mut self) -> Result<i64, StoreError> {
        const SQL: &str =
            "UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version";
        let v: i64 = with_tx!(self, t => sqlx::query_scalar(SQL).fetch_one(&mut **t).await?);
        Ok(v)
    }

    /// Inserts incidents; rows whose `external_id` is already stored are left alone, which
    /// is what makes re-importing a file a no-op. Returns how many rows were inserted.
    ///
    /// SQLite: rows travel as one JSON array per statement, unpacked by `json_each` (binding
    /// ten parameters a row through sqlx cost ~10 µs a row; bulk imports use
    /// `sqlite_bulk` instead). PostgreSQL: `COPY` into a temporary table, then one
    /// `INSERT … SELECT … ON CONFLICT DO NOTHING` (a multi-row insert ran at 57,000 rows/s).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_incidents(&mut self, rows: &[NewIncident]) -> Result<u64, StoreError> {
        const SQLITE: &str = "INSERT INTO incidents (external_id, occurred_at, category, severity, solved, lon, lat, h3_cell, address, ward, record_key) \
             SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10 \
             FROM json_each($1) WHERE true ON CONFLICT (external_id) DO NOTHING";
        const PG_LOAD: &str = "CREATE TEMP TABLE IF NOT EXISTS incidents_load (external_id TEXT, occurred_at BIGINT, category TEXT, \
             severity TEXT, solved BOOLEAN, lon DOUBLE PRECISION, lat DOUBLE PRECISION, h3_cell BIGINT, address TEXT, ward TEXT, \
             record_key BIGINT) \
             ON COMMIT DROP";
        const PG_COPY: &str = "COPY incidents_load FROM STDIN (FORMAT csv)";
        const PG_MOVE: &str = "INSERT INTO incidents (external_id, occurred_at, category, severity, solved, lon, lat, h3_cell, address, ward, record_key) \
             SELECT * FROM incidents_load ON CONFLICT (external_id) DO NOTHING";
        let mut inserted = 0;
        for chunk in rows.chunks(JSON_CHUNK) {
            let keys = rows::new_record_keys(chunk.len())?;
            inserted += match self {
                Self::Sqlite(t) => {
                    let json = serde_json::to_string(
                        &chunk
                            .iter()
                            .zip(&keys)
                            .map(|(r, key)| {
                                (
                                    r.external_id.as_deref(),
                                    r.occurred_at,
                                    r.category.as_str(),
                                    r.severity.as_str(),
                                    r.solved,
                                    r.location.lon(),
                                    r.location.lat(),
                                    rows::cell_to_db(r.cell),
                                    r.address.as_deref(),
                                    r.ward.as_deref(),
                                    key,
                                )
                            })
                            .collect::<Vec<_>>(),
                    )
                    .map_err(|e| StoreError::Corrupt(format!("encoding a batch: {e}")))?;
                    sqlx::query(SQLITE)
                        .bind(json)
                        .execute(&mut **t)
                        .await?
                        .rows_affected()
                }
                Self::Postgres(t) => {
                    let mut w = csv::WriterBuilder::new()
                        .has_headers(false)
                        .from_writer(Vec::with_capacity(chunk.len() * 128));
                    for (r, key) in chunk.iter().zip(&keys) {
                        // An absent text is an empty unquoted field, which COPY reads as NULL;
                        // present texts are never empty (validation trims them to None).
                        w.serialize((
                            r.external_id.as_deref(),
                            r.occurred_at,
                            r.category.as_str(),
                            r.severity.as_str(),
                            r.solved,
                            r.location.lon(),
                            r.location.lat(),
                            rows::cell_to_db(r.cell),
                            r.address.as_deref(),
                            r.ward.as_deref(),
                            key,
                        ))
                        .map_err(|e| StoreError::Corrupt(format!("encoding a batch: {e}")))?;
                    }
                    let data = w
                        .into_inner()
                        .map_err(|e| StoreError::Corrupt(format!("encoding a batch: {e}")))?;
                    sqlx::query(PG_LOAD).execute(&mut **t).await?;
                    sqlx::query("TRUNCATE incidents_load")
                        .execute(&mut **t)
                        .await?;
                    let mut copy = t.copy_in_raw(PG_COPY).await?;
                    copy.send(data).await?;
                    copy.finish().await?;
                    sqlx::query(PG_MOVE)
                        .execute(&mut **t)
                        .await?
                        .rows_affected()
                }
            };
        }
        Ok(inserted)
    }

    /// Inserts cameras, skipping already-stored external ids.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_cameras(&mut self, rows: &[NewCamera]) -> Result<u64, StoreError> {
        let mut inserted = 0;
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO cameras (external_id, lon, lat, kind, active, installed_at) VALUES {} \
                 ON CONFLICT (external_id) DO NOTHING",
                placeholders(chunk.len(), 6, self.is_sqlite())
            );
            inserted += with_tx!(self, t => {
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for r in chunk {
                    q = q
                        .bind(r.external_id.as_deref())
                        .bind(r.location.lon())
                        .bind(r.location.lat())
                        .bind(r.kind.as_str())
                        .bind(r.active)
                        .bind(r.installed_at);
                }
                q.execute(&mut **t).await?.rows_affected()
            });
        }
        Ok(inserted)
    }

    /// Inserts self-managed models, skipping already-stored external ids.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_models(&mut self, rows: &[NewModel]) -> Result<u64, StoreError> {
        let mut inserted = 0;
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO models (external_id, lon, lat, kind, name, established_at, active) VALUES {} \
                 ON CONFLICT (external_id) DO NOTHING",
                placeholders(chunk.len(), 7, self.is_sqlite())
            );
            inserted += with_tx!(self, t => {
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for r in chunk {
                    q = q
                        .bind(r.external_id.as_deref())
                        .bind(r.location.lon())
                        .bind(r.location.lat())
                        .bind(r.kind.as_str())
                        .bind(r.name.as_str())
                        .bind(r.established_at)
                        .bind(r.active);
                }
                q.execute(&mut **t).await?.rows_affected()
            });
        }
        Ok(inserted)
    }

    /// Inserts areas, skipping codes already stored.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_areas(&mut self, rows: &[NewArea]) -> Result<u64, StoreError> {
        const SQL: &str = "INSERT INTO areas (code, name, kind, geometry, population) VALUES ($1, $2, $3, $4, $5) \
                           ON CONFLICT (code) DO NOTHING";
        let mut inserted = 0;
        // Area geometries can be large; insert them one statement per row.
        for r in rows {
            let geometry = r.geometry.to_geojson().to_string();
            let population = r.population.map(|p| i64::try_from(p).unwrap_or(i64::MAX));
            inserted += with_tx!(self, t => sqlx::query(SQL)
                .bind(r.code.as_str())
                .bind(r.name.as_str())
                .bind(r.kind.as_str())
                .bind(geometry)
                .bind(population)
                .execute(&mut **t)
                .await?
                .rows_affected());
        }
        Ok(inserted)
    }

    /// Adds or relabels a catalogue entry (`table` is `categories` or `model_kinds`).
    ///
    /// # Errors
    /// On database failure.
    pub async fn upsert_catalogue_entry(
        &mut self,
        kind: CatalogueKind,
        e: &CatalogueEntry,
    ) -> Result<(), StoreError> {
        let table = kind.table();
        let sql = format!(
            "INSERT INTO {table} (code, label_vi, label_en, position) \
             VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM {table})) \
             ON CONFLICT (code) DO UPDATE SET label_vi = excluded.label_vi, label_en = excluded.label_en"
        );
        with_tx!(self, t => { sqlx::query(AssertSqlSafe(sql.as_str())).bind(&e.code).bind(&e.label_vi).bind(&e.label_en).execute(&mut **t).await?; });
        Ok(())
    }

    /// Sets the harm weight of (`category`, `severity`), in days (validated by the caller).
    ///
    /// # Errors
    /// On database failure (an unknown category is a foreign-key violation).
    pub async fn upsert_harm_weight(
        &mut self,
        category: &str,
        severity: crate::domain::Severity,
        days: f64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO harm_weights (category, severity, days) VALUES ($1, $2, $3) \
             ON CONFLICT (category, severity) DO UPDATE SET days = excluded.days";
        with_tx!(self, t => { sqlx::query(SQL).bind(category).bind(severity.as_str()).bind(days).execute(&mut **t).await?; });
        Ok(())
    }

    /// Removes the override of (`category`, `severity`): its class's default applies again.
    /// Returns whether there was one.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_harm_weight(
        &mut self,
        category: &str,
        severity: crate::domain::Severity,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM harm_weights WHERE category = $1 AND severity = $2";
        let n = with_tx!(self, t => sqlx::query(SQL).bind(category).bind(severity.as_str()).execute(&mut **t).await?.rows_affected());
        Ok(n > 0)
    }

    /// Stores a new token's hash; returns its id.
    ///
    /// # Errors
    /// On database failure (a hash collision would be a conflict).
    pub async fn insert_token(
        &mut self,
        name: &str,
        role: Role,
        hash: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        let id: i64 = with_tx!(self, t => sqlx::query_scalar(SQL).bind(name).bind(role.as_str()).bind(hash).bind(now).fetch_one(&mut **t).await?);
        Ok(id)
    }

    /// Revokes a token (it stays listed, with its revocation time).
    ///
    /// # Errors
    /// `NotFound` when no live token has this id.
    pub async fn revoke_token(&mut self, id: i64, now: i64) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
        let n = with_tx!(self, t => sqlx::query(SQL).bind(now).bind(id).execute(&mut **t).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound(format!("live token {id}")));
        }
        Ok(())
    }
}

/// An import's transaction.
pub enum BulkTx {
    Sql(StoreTx),
    Sqlite(sqlite_bulk::RawTx),
}

impl BulkTx {
    /// Inserts a batch, skipping already-stored keys; returns how many rows are new.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert(&mut self, batch: Batch) -> Result<u64, StoreError> {
        match (self, batch) {
            (Self::Sqlite(t), Batch::Incidents(v)) => {
                t.insert_incidents(v).await.map(|(n, _freed_here)| n)
            }
            (Self::Sqlite(t), Batch::Cameras(v)) => t.insert_cameras(v).await,
            (Self::Sqlite(t), Batch::Models(v)) => t.insert_models(v).await,
            (Self::Sqlite(t), Batch::Areas(v)) => t.insert_areas(v).await,
            (Self::Sql(t), Batch::Incidents(v)) => t.insert_incidents(&v).await,
            (Self::Sql(t), Batch::Cameras(v)) => t.insert_cameras(&v).await,
            (Self::Sql(t), Batch::Models(v)) => t.insert_models(&v).await,
            (Self::Sql(t), Batch::Areas(v)) => t.insert_areas(&v).await,
        }
    }

    /// # Errors
    /// On database failure.
    pub async fn bump_version(&mut self) -> Result<i64, StoreError> {
        match self {
            Self::Sqlite(t) => t.bump_version().await,
            Self::Sql(t) => t.bump_version().await,
        }
    }

    /// # Errors
    /// When the commit fails (nothing is then written).
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.commit().await,
            Self::Sql(t) => t.commit().await,
        }
    }

    /// # Errors
    /// When the database cannot be reached.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.rollback().await,
            Self::Sql(t) => t.rollback().await,
        }
    }
}

/// Which catalogue an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueKind {
    Categories,
    ModelKinds,
}

impl CatalogueKind {
    const fn table(self) -> &'static str {
        match self {
            Self::Categories => "categories",
            Self::ModelKinds => "model_kinds",
        }
    }
}
