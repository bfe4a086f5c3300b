//! The conversion programme's writes: designate a complex area for a year, move a
//! designation through its status workflow, edit its terms. Each is one transaction that
//! reads the current state, checks the move against the domain's state machine
//! ([`ProgrammeStatus::transition`]), appends to the history and bumps the data version;
//! [`Service::write`] serialises them with every other write and refreshes the snapshot.

use serde_json::{Map, Value, json};

use crate::domain::{
    Actor, AreaKind, Catalogue, Designation, DesignationTerms, DomainError, EventKind,
    IllegalTransition, NewDesignation, ProgrammeEvent, ProgrammeStatus, TargetOverrides,
};
use crate::service::{Service, ServiceError, now};
use crate::store::{NewEvent, Store, StoreError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProgrammeError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Invalid(#[from] DomainError),
    #[error("no area has the code {0:?}")]
    NoArea(String),
    #[error("{code} is a {kind}; only complex areas (complex_area) are designated")]
    NotComplex { code: String, kind: AreaKind },
    #[error("{code} is not designated for {year}")]
    NotDesignated { code: String, year: i16 },
    #[error("{code} is already designated for {year}")]
    AlreadyDesignated { code: String, year: i16 },
    #[error(
        "the {year} programme of {code} is still {status}: review it (converted or not_converted) before designating the area for {next}",
        next = year + 1
    )]
    PreviousOpen {
        code: String,
        year: i16,
        status: ProgrammeStatus,
    },
    #[error(
        "the {year} designation of {code} is {status}, which is final: it can no longer be edited"
    )]
    Closed {
        code: String,
        year: i16,
        status: ProgrammeStatus,
    },
    #[error(transparent)]
    Illegal(IllegalTransition),
}

impl ProgrammeError {
    /// The statuses that would have been legal, for a 409 that names them.
    #[must_use]
    pub fn allowed(&self) -> &'static [ProgrammeStatus] {
        match self {
            Self::Illegal(e) => e.allowed(),
            Self::PreviousOpen { status, .. } => status.legal_next(),
            _ => &[],
        }
    }
}

impl From<StoreError> for ProgrammeError {
    fn from(e: StoreError) -> Self {
        Self::Service(ServiceError::Store(e))
    }
}

/// Checks that `code` names a complex area in the current snapshot.
fn complex_area(service: &Service, code: &str) -> Result<(), ProgrammeError> {
    let snap = service.snapshot();
    let area = snap
        .areas
        .by_code(code)
        .ok_or_else(|| ProgrammeError::NoArea(code.to_owned()))?;
    if area.data.kind != AreaKind::ComplexArea {
        return Err(ProgrammeError::NotComplex {
            code: code.to_owned(),
            kind: area.data.kind,
        });
    }
    Ok(())
}

/// Designates an area for a year. Re-designation for the next year is allowed once the
/// previous year's programme is closed (converted or not converted).
///
/// # Errors
/// `NoArea`, `NotComplex`, `AlreadyDesignated`, `PreviousOpen`; database failure.
pub async fn designate(
    service: &Service,
    d: NewDesignation,
    by: &Actor,
) -> Result<Designation, ProgrammeError> {
    designate_at(service, d, by, now()).await
}

/// As [`designate`], recorded at `at` (Unix seconds) instead of now: for writing a history
/// that happened earlier (the demo's programme over the last two years). Requests always
/// record the time they are made.
///
/// # Errors
/// As [`designate`].
pub async fn designate_at(
    service: &Service,
    d: NewDesignation,
    by: &Actor,
    at: i64,
) -> Result<Designation, ProgrammeError> {
    complex_area(service, &d.area_code)?;
    service
        .write(async |store: &Store| {
            let mut tx = store.begin_immediate().await?;
            if tx.lock_designation(&d.area_code, d.year).await?.is_some() {
                return Err(ProgrammeError::AlreadyDesignated {
                    code: d.area_code.clone(),
                    year: d.year,
                });
            }
            if let Some(prev) = tx.lock_designation(&d.area_code, d.year - 1).await?
                && !prev.status.is_final()
            {
                return Err(ProgrammeError::PreviousOpen {
                    code: d.area_code.clone(),
                    year: d.year - 1,
                    status: prev.status,
                });
            }
            let id = match tx.insert_designation(&d, by, at).await {
                // Another replica designated it between our check and our insert.
                Err(StoreError::Conflict(_)) => {
                    return Err(ProgrammeError::AlreadyDesignated {
                        code: d.area_code.clone(),
                        year: d.year,
                    });
                }
                r => r?,
            };
            tx.bump_version().await?;
            let out = tx.designation(id).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
}

/// A status change as a request asks for it.
#[derive(Debug, Clone)]
pub struct Move {
    pub year: i16,
    pub to: ProgrammeStatus,
    pub note: Option<String>,
    pub evidence: Vec<String>,
}

/// Moves a designation to a new status, if the state machine allows it.
///
/// # Errors
/// `NoArea`, `NotDesignated`, `Illegal` (naming the legal moves); database failure.
pub async fn transition(
    service: &Service,
    code: &str,
    m: &Move,
    by: &Actor,
) -> Result<(Designation, ProgrammeEvent), ProgrammeError> {
    transition_at(service, code, m, by, now()).await
}

/// As [`transition`], recorded at `at` (Unix seconds) instead of now (see [`designate_at`]).
///
/// # Errors
/// As [`transition`].
pub async fn transition_at(
    service: &Service,
    code: &str,
    m: &Move,
    by: &Actor,
    at: i64,
) -> Result<(Designation, ProgrammeEvent), ProgrammeError> {
    if service.snapshot().areas.by_code(code).is_none() {
        return Err(ProgrammeError::NoArea(code.to_owned()));
    }
    service
        .write(async |store: &Store| {
            let mut tx = store.begin_immediate().await?;
            let cur = tx.lock_designation(code, m.year).await?.ok_or_else(|| {
                ProgrammeError::NotDesignated {
                    code: code.to_owned(),
                    year: m.year,
                }
            })?;
            let to = cur
                .status
                .transition(m.to)
                .map_err(ProgrammeError::Illegal)?;
            let event = tx
                .append_event(
                    cur.id,
                    cur.seq + 1,
                    &NewEvent {
                        kind: EventKind::Transition,
                        from: Some(cur.status),
                        to,
                        note: m.note.as_deref(),
                        evidence: &m.evidence,
                        changes: None,
                        by,
                        at,
                    },
                )
                .await?;
            tx.bump_version().await?;
            let d = tx.designation(cur.id).await?;
            let e = tx.programme_event(event).await?;
            tx.commit().await?;
            Ok((d, e))
        })
        .await
}

/// What an edit may change; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub reasons: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub unit: Option<String>,
    pub targets: Option<TargetOverrides>,
    pub note: Option<String>,
}

/// Edits an open designation's terms, recording each changed field with its value before
/// and after. An edit that changes nothing writes nothing.
///
/// # Errors
/// `NoArea`, `NotDesignated`, `Closed` (final statuses are not edited), `Invalid`;
/// database failure.
pub async fn edit(
    service: &Service,
    code: &str,
    year: i16,
    edit: &Edit,
    catalogue: &Catalogue,
    by: &Actor,
) -> Result<(Designation, Option<ProgrammeEvent>), ProgrammeError> {
    if service.snapshot().areas.by_code(code).is_none() {
        return Err(ProgrammeError::NoArea(code.to_owned()));
    }
    service
        .write(async |store: &Store| {
            let mut tx = store.begin_immediate().await?;
            let cur = tx.lock_designation(code, year).await?.ok_or_else(|| {
                ProgrammeError::NotDesignated {
                    code: code.to_owned(),
                    year,
                }
            })?;
            if cur.status.is_final() {
                return Err(ProgrammeError::Closed {
                    code: code.to_owned(),
                    year,
                    status: cur.status,
                });
            }
            let before = tx.designation(cur.id).await?.terms;
            let after = DesignationTerms::new(
                edit.reasons.as_deref().unwrap_or(&before.reasons),
                edit.categories.as_deref().unwrap_or(&before.categories),
                edit.unit.as_deref().unwrap_or(&before.unit),
                match &edit.targets {
                    Some(o) => before.targets.with(o)?,
                    None => before.targets,
                },
                catalogue,
            )?;
            let changes = changes(&before, &after);
            if changes.is_empty() {
                let d = tx.designation(cur.id).await?;
                tx.rollback().await?;
                return Ok((d, None));
            }
            tx.update_designation_terms(cur.id, &after).await?;
            let changes = Value::Object(changes);
            let event = tx
                .append_event(
                    cur.id,
                    cur.seq + 1,
                    &NewEvent {
                        kind: EventKind::Edited,
                        from: Some(cur.status),
                        to: cur.status,
                        note: edit.note.as_deref(),
                        evidence: &[],
                        changes: Some(&changes),
                        by,
                        at: now(),
                    },
                )
                .await?;
            tx.bump_version().await?;
            let d = tx.designation(cur.id).await?;
            let e = tx.programme_event(event).await?;
            tx.commit().await?;
            Ok((d, Some(e)))
        })
        .await
}

/// `{field: {"from": before, "to": after}}` for each field that differs.
fn changes(before: &DesignationTerms, after: &DesignationTerms) -> Map<String, Value> {
    let mut m = Map::new();
    let mut diff = |name: &str, a: Value, b: Value| {
        if a != b {
            m.insert(name.to_owned(), json!({"from": a, "to": b}));
        }
    };
    diff("reasons", json!(before.reasons), json!(after.reasons));
    diff(
        "categories",
        json!(before.categories),
        json!(after.categories),
    );
    diff("unit", json!(before.unit), json!(after.unit));
    diff(
        "targets.case_change_pct",
        json!(before.targets.case_change_pct),
        json!(after.targets.case_change_pct),
    );
    diff(
        "targets.clearance_rate",
        json!(before.targets.clearance_rate),
        json!(after.targets.clearance_rate),
    );
    diff(
        "targets.clearance_rate_serious",
        json!(before.targets.clearance_rate_serious),
        json!(after.targets.clearance_rate_serious),
    );
    m
}
