//! The incident as the index keeps it, and the rows an index is built from. These are the
//! core's types: the store decodes its rows into them (the shell depends on the core, never
//! the reverse), and [`super::IncidentIndex::from_records`] makes them from parsed records
//! with no database at all.

use h3o::CellIndex;

use crate::domain::{NewIncident, Severity};

/// What the in-memory index keeps of an incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRow {
    pub id: i64,
    pub occurred_at: i64,
    pub category: CategoryRef,
    pub severity: Severity,
    pub solved: bool,
    pub lon: f64,
    pub lat: f64,
    /// Resolution-15 H3 cell.
    pub cell: CellIndex,
    /// The record key of the cell-key method (issue 18): drawn at random when the incident
    /// was first stored, never published. A published cell's key is the wrapping sum of
    /// its incidents' keys, so the same incidents always get the same perturbation.
    pub key: u32,
}

/// The record key of row `id` in an index built with no database
/// ([`Scanned::from_records`]: the oracle tests and the benchmarks): a fixed scramble of
/// the id (splitmix64), reproducible, unlike the random keys the store draws.
#[must_use]
pub const fn derived_key(id: i64) -> u32 {
    #[expect(clippy::cast_sign_loss, reason = "a bit pattern, not a quantity")]
    let mut z = (id as u64) ^ 0x9E37_79B9_7F4A_7C15;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the low 32 bits are the key"
    )]
    let k = z as u32;
    k
}

impl IncidentRow {
    /// The row of a validated incident stored as `id`, its category interned as `category`,
    /// with the [`derived_key`] of `id` (an index built with no database).
    #[must_use]
    pub const fn new(id: i64, record: &NewIncident, category: CategoryRef) -> Self {
        Self {
            id,
            occurred_at: record.occurred_at,
            category,
            severity: record.severity,
            solved: record.solved,
            lon: record.location.lon(),
            lat: record.location.lat(),
            cell: record.cell,
            key: derived_key(id),
        }
    }
}

/// A category as the index holds it: a small integer standing for a code, by its position in
/// a list of codes (an index's [`super::incidents::Interner`], a [`Scanned`]'s
/// `categories`). Two bytes a row in the category column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct CategoryRef(u16);

impl CategoryRef {
    /// A reference no category has: a filter on a catalogued code that no incident has yet
    /// holds it, and matches nothing.
    pub const NONE: Self = Self(u16::MAX);

    /// The reference at position `i` of a list of codes (from the 65,535th on, all are
    /// [`Self::NONE`]: the catalogue holds a few dozen codes).
    #[must_use]
    pub fn at(i: usize) -> Self {
        Self(u16::try_from(i).unwrap_or(u16::MAX))
    }

    /// Its position in its list of codes.
    #[must_use]
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Incident rows read for the index; each row's `category` indexes `categories`.
#[derive(Debug, Default)]
pub struct Scanned {
    pub rows: Vec<IncidentRow>,
    pub categories: Vec<String>,
}

impl Scanned {
    /// The rows of parsed records numbered 1…n in their order: what a fresh database that
    /// imported exactly these records returns (an import assigns ids in source order).
    #[must_use]
    pub fn from_records(records: &[NewIncident]) -> Self {
        let mut out = Self {
            rows: Vec::with_capacity(records.len()),
            categories: Vec::new(),
        };
        for (id, r) in (1..).zip(records) {
            out.push(id, r);
        }
        out
    }

    /// Adds a validated incident as row `id`, interning its category.
    pub fn push(&mut self, id: i64, record: &NewIncident) {
        let category = self.intern(&record.category);
        self.rows.push(IncidentRow::new(id, record, category));
    }

    /// The local reference of `code` (a few dozen codes: a linear search is fastest).
    pub fn intern(&mut self, code: &str) -> CategoryRef {
        if let Some(i) = self.categories.iter().position(|c| c == code) {
            CategoryRef::at(i)
        } else {
            self.categories.push(code.to_owned());
            CategoryRef::at(self.categories.len() - 1)
        }
    }
}
