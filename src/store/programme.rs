//! The conversion programme's tables: designations and their append-only history
//! (`migrations/*/0002_programme.sql`).
//!
//! A designation's status is the `to_status` of its latest event, so the history is the
//! only record of it. Writers read that status and append the next event in one
//! transaction: on PostgreSQL the designation row is locked (`SELECT … FOR UPDATE`); on
//! SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the write lock before the
//! read. `UNIQUE (designation_id, seq)` backs both: two writers that somehow read the same
//! status collide instead of both appending. Triggers refuse UPDATE and DELETE of events.

use sqlx::Row;

use super::{Store, StoreError, StoreTx};
use crate::domain::{
    Actor, Designation, DesignationTerms, EventKind, NewDesignation, ProgrammeEvent,
    ProgrammeStatus, Targets,
};

const DESIGNATIONS: &str = "SELECT d.id, d.area_code, d.year, d.reasons, d.categories, d.unit, \
     d.target_case_change_pct, d.target_clearance, d.target_clearance_serious, \
     d.created_by, d.created_by_token, d.created_at, \
     (SELECT e.to_status FROM programme_events e WHERE e.designation_id = d.id ORDER BY e.seq DESC LIMIT 1) AS status \
     FROM designations d";

const EVENTS: &str = "SELECT e.id, d.area_code, d.year, e.seq, e.kind, e.from_status, e.to_status, e.note, \
     e.evidence, e.changes, e.actor, e.actor_token, e.at \
     FROM programme_events e JOIN designations d ON d.id = e.designation_id";

fn json_list(field: &str, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{field}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("encoding JSON: {e}")))
}

fn status(text: &str) -> Result<ProgrammeStatus, StoreError> {
    text.parse().map_err(Into::into)
}

fn year(v: i64) -> Result<i16, StoreError> {
    i16::try_from(v).map_err(|_| StoreError::Corrupt(format!("designation year {v}")))
}

macro_rules! designation {
    ($r:expr) => {{
        let r = &$r;
        let st: Option<String> = r.try_get("status")?;
        Designation {
            id: r.try_get("id")?,
            area_code: r.try_get("area_code")?,
            year: year(r.try_get("year")?)?,
            terms: DesignationTerms {
                reasons: json_list("reasons", r.try_get("reasons")?)?,
                categories: json_list("categories", r.try_get("categories")?)?,
                unit: r.try_get("unit")?,
                targets: Targets::new(
                    r.try_get("target_case_change_pct")?,
                    r.try_get("target_clearance")?,
                    r.try_get("target_clearance_serious")?,
                )?,
            },
            status: status(
                st.as_deref().ok_or_else(|| {
                    StoreError::Corrupt("a designation without history".to_owned())
                })?,
            )?,
            created_by: Actor {
                name: r.try_get("created_by")?,
                token_id: r.try_get("created_by_token")?,
            },
            created_at: r.try_get("created_at")?,
        }
    }};
}

macro_rules! event {
    ($r:expr) => {{
        let r = &$r;
        let from: Option<String> = r.try_get("from_status")?;
        let changes: Option<String> = r.try_get("changes")?;
        ProgrammeEvent {
            id: r.try_get("id")?,
            area_code: r.try_get("area_code")?,
            year: year(r.try_get("year")?)?,
            seq: r.try_get("seq")?,
            kind: r.try_get::<&str, _>("kind")?.parse::<EventKind>()?,
            from: from.as_deref().map(status).transpose()?,
            to: status(r.try_get("to_status")?)?,
            note: r.try_get("note")?,
            evidence: json_list("evidence", r.try_get("evidence")?)?,
            changes: changes
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("changes: {e}")))?,
            by: Actor {
                name: r.try_get("actor")?,
                token_id: r.try_get("actor_token")?,
            },
            at: r.try_get("at")?,
        }
    }};
}

/// The state of one designation inside a write transaction.
#[derive(Debug, Clone, Copy)]
pub struct Locked {
    pub id: i64,
    pub status: ProgrammeStatus,
    /// The `seq` of its latest event.
    pub seq: i64,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub kind: EventKind,
    pub from: Option<ProgrammeStatus>,
    pub to: ProgrammeStatus,
    pub note: Option<&'a str>,
    pub evidence: &'a [String],
    pub changes: Option<&'a serde_json::Value>,
    pub by: &'a Actor,
    pub at: i64,
}

impl Store {
    /// A write transaction that holds the write lock from its start: `BEGIN IMMEDIATE` on
    /// SQLite, so a read-then-write cannot be overtaken by another writer (a deferred
    /// transaction would fail to upgrade instead). PostgreSQL locks rows as it reads them
    /// (see [`StoreTx::lock_designation`]).
    ///
    /// # Errors
    /// When the database cannot be reached or locked.
    pub async fn begin_immediate(&self) -> Result<StoreTx, StoreError> {
        Ok(match self {
            Self::Sqlite(p) => StoreTx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(p) => StoreTx::Postgres(p.begin().await?),
        })
    }

    /// Every designation with its current status, by area code and year.
    ///
    /// # Errors
    /// On database failure or inconsistent stored data.
    pub async fn designations(&self) -> Result<Vec<Designation>, StoreError> {
        let sql = format!("{DESIGNATIONS} ORDER BY d.area_code, d.year");
        let mut out = Vec::new();
        with_pool!(self, p => for r in sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await? {
            out.push(designation!(r));
        });
        Ok(out)
    }

    /// History events, oldest first per designation (by area code, year, seq); only those
    /// of `area` and/or `year` when given.
    ///
    /// # Errors
    /// On database failure or inconsistent stored data.
    pub async fn programme_events(
        &self,
        area: Option<&str>,
        year: Option<i16>,
    ) -> Result<Vec<ProgrammeEvent>, StoreError> {
        let sql = format!(
            "{EVENTS} WHERE ($1 IS NULL OR d.area_code = $1) AND ($2 IS NULL OR d.year = $2) \
             ORDER BY d.area_code, d.year, e.seq"
        );
        let year = year.map(i64::from);
        let mut out = Vec::new();
        with_pool!(self, p => for r in sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(area).bind(year).fetch_all(p).await? {
            out.push(event!(r));
        });
        Ok(out)
    }
}

impl StoreTx {
    /// The designation of `area` for `year` and its current status, locked for the rest of
    /// the transaction on PostgreSQL (`FOR UPDATE`); `None` when there is none.
    ///
    /// # Errors
    /// On database failure.
    pub async fn lock_designation(
        &mut self,
        area: &str,
        year: i16,
    ) -> Result<Option<Locked>, StoreError> {
        const LAST: &str = "SELECT seq, to_status FROM programme_events WHERE designation_id = $1 \
                            ORDER BY seq DESC LIMIT 1";
        let sql = if self.is_sqlite() {
            "SELECT id FROM designations WHERE area_code = $1 AND year = $2"
        } else {
            "SELECT id FROM designations WHERE area_code = $1 AND year = $2 FOR UPDATE"
        };
        let id: Option<i64> = with_tx!(self, t => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(area).bind(i64::from(year)).fetch_optional(&mut **t).await?);
        let Some(id) = id else {
            return Ok(None);
        };
        let last: Option<(i64, String)> =
            with_tx!(self, t => sqlx::query_as(LAST).bind(id).fetch_optional(&mut **t).await?);
        let (seq, st) = last.ok_or_else(|| {
            StoreError::Corrupt(format!("designation {area} {year} has no history"))
        })?;
        Ok(Some(Locked {
            id,
            status: status(&st)?,
            seq,
        }))
    }

    /// Inserts a designation and its first event (`designated`); returns its id.
    ///
    /// # Errors
    /// `Conflict` when the area is already designated for that year; database failure.
    pub async fn insert_designation(
        &mut self,
        d: &NewDesignation,
        by: &Actor,
        at: i64,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO designations (area_code, year, reasons, categories, unit, \
             target_case_change_pct, target_clearance, target_clearance_serious, created_by, created_by_token, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
        let t = &d.terms;
        let reasons = to_json(&t.reasons)?;
        let categories = to_json(&t.categories)?;
        let id: i64 = with_tx!(self, tx => sqlx::query_scalar(SQL)
            .bind(&d.area_code)
            .bind(i64::from(d.year))
            .bind(&reasons)
            .bind(&categories)
            .bind(&t.unit)
            .bind(t.targets.case_change_pct)
            .bind(t.targets.clearance_rate)
            .bind(t.targets.clearance_rate_serious)
            .bind(&by.name)
            .bind(by.token_id)
            .bind(at)
            .fetch_one(&mut **tx)
            .await?);
        self.append_event(
            id,
            1,
            &NewEvent {
                kind: EventKind::Designated,
                from: None,
                to: ProgrammeStatus::Designated,
                note: d.note.as_deref(),
                evidence: &[],
                changes: None,
                by,
                at,
            },
        )
        .await?;
        Ok(id)
    }

    /// Appends event number `seq` of a designation; returns its id.
    ///
    /// # Errors
    /// `Conflict` when that number is taken (another writer got there first).
    pub async fn append_event(
        &mut self,
        designation: i64,
        seq: i64,
        e: &NewEvent<'_>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO programme_events (designation_id, seq, kind, from_status, to_status, note, \
             evidence, changes, actor, actor_token, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
        let evidence = to_json(&e.evidence)?;
        let changes = e.changes.map(to_json).transpose()?;
        let id: i64 = with_tx!(self, t => sqlx::query_scalar(SQL)
            .bind(designation)
            .bind(seq)
            .bind(e.kind.as_str())
            .bind(e.from.map(ProgrammeStatus::as_str))
            .bind(e.to.as_str())
            .bind(e.note)
            .bind(&evidence)
            .bind(changes)
            .bind(&e.by.name)
            .bind(e.by.token_id)
            .bind(e.at)
            .fetch_one(&mut **t)
            .await?);
        Ok(id)
    }

    /// Replaces a designation's editable terms.
    ///
    /// # Errors
    /// On database failure.
    pub async fn update_designation_terms(
        &mut self,
        id: i64,
        t: &DesignationTerms,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE designations SET reasons = $1, categories = $2, unit = $3, \
             target_case_change_pct = $4, target_clearance = $5, target_clearance_serious = $6 WHERE id = $7";
        let reasons = to_json(&t.reasons)?;
        let categories = to_json(&t.categories)?;
        with_tx!(self, tx => {
            sqlx::query(SQL)
                .bind(&reasons)
                .bind(&categories)
                .bind(&t.unit)
                .bind(t.targets.case_change_pct)
                .bind(t.targets.clearance_rate)
                .bind(t.targets.clearance_rate_serious)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        });
        Ok(())
    }

    /// One designation as this transaction sees it.
    ///
    /// # Errors
    /// `NotFound` when there is none with this id.
    pub async fn designation(&mut self, id: i64) -> Result<Designation, StoreError> {
        let sql = format!("{DESIGNATIONS} WHERE d.id = $1");
        let d = with_tx!(self, t => {
            let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(&mut **t).await?
                .ok_or_else(|| StoreError::NotFound(format!("designation {id}")))?;
            designation!(r)
        });
        Ok(d)
    }

    /// One history event as this transaction sees it.
    ///
    /// # Errors
    /// `NotFound` when there is none with this id.
    pub async fn programme_event(&mut self, id: i64) -> Result<ProgrammeEvent, StoreError> {
        let sql = format!("{EVENTS} WHERE e.id = $1");
        let e = with_tx!(self, t => {
            let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(&mut **t).await?
                .ok_or_else(|| StoreError::NotFound(format!("event {id}")))?;
            event!(r)
        });
        Ok(e)
    }
}
