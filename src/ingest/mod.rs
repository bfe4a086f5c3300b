//! Reading records from files and request bodies: CSV and GeoJSON / JSON, one validation
//! for all of them.
//!
//! A source is turned into a stream of [`Fields`] (a record's values as text, and where each
//! came from); [`Record::parse`] validates them into a domain value or says, per field, what
//! is wrong. Every problem is reported with its place — `line N, column C: reason` for CSV,
//! a JSON pointer for JSON — and the caller decides whether one bad row stops the import.

pub mod csv;
pub mod fields;
pub mod file;
pub mod json;
pub mod records;

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

pub use fields::{FieldSpec, Fields};
pub use file::{ReadError, read_file, read_file_with};
pub use records::Record;

use crate::domain::{Catalogue, Zone};

/// The four importable layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Incidents,
    Cameras,
    Models,
    Areas,
}

impl Layer {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Incidents => "incidents",
            Self::Cameras => "cameras",
            Self::Models => "models",
            Self::Areas => "areas",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What validation needs beside the record itself.
#[derive(Debug, Clone)]
pub struct Context {
    pub catalogue: std::sync::Arc<Catalogue>,
    pub zone: Zone,
}

impl Context {
    /// The default catalogue (what the migrations seed) and zone: what a fresh database
    /// validates an import against.
    #[must_use]
    pub fn defaults() -> Self {
        Self {
            catalogue: std::sync::Arc::new(Catalogue::defaults()),
            zone: Zone::default(),
        }
    }
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Place {
    /// A CSV line (1-based, the header is line 1) and column (as the header names it).
    Line { line: u64, column: Option<String> },
    /// A JSON pointer into the request body or file (RFC 6901).
    Pointer { pointer: String },
}

/// One problem with one value of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    #[serde(flatten)]
    pub place: Place,
    pub reason: String,
}

impl RowError {
    #[must_use]
    pub fn at_line(line: u64, column: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            place: Place::Line {
                line,
                column: column.map(str::to_owned),
            },
            reason: reason.into(),
        }
    }

    #[must_use]
    pub fn at_pointer(pointer: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            place: Place::Pointer {
                pointer: pointer.into(),
            },
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Place::Line {
                line,
                column: Some(c),
            } => write!(f, "line {line}, column {c}: {}", self.reason),
            Place::Line { line, column: None } => write!(f, "line {line}: {}", self.reason),
            Place::Pointer { pointer } => write!(f, "{pointer}: {}", self.reason),
        }
    }
}

/// The file formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    /// A GeoJSON `FeatureCollection`, or a JSON array of flat objects.
    Geojson,
}

impl Format {
    /// Guesses from a file name: `.geojson`/`.json` are GeoJSON, anything else CSV.
    #[must_use]
    pub fn from_path(path: &std::path::Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("geojson" | "json") => Self::Geojson,
            _ => Self::Csv,
        }
    }
}

/// One record read from a source: valid, or every problem with it and its raw text (for
/// the rejects file).
#[derive(Debug)]
pub enum Outcome<R> {
    Valid(R),
    Invalid { errors: Vec<RowError>, raw: String },
}

/// Finds keys (external ids, area codes) repeated within one source. Keeps a 64-bit hash
/// and the first position (line or index) of each key rather than the key itself, so a
/// million ids cost ~32 MB; a false "duplicate" needs a 64-bit collision (about 3·10⁻⁸
/// at 10⁶ keys).
#[derive(Debug, Default)]
pub struct Dedup {
    seen: std::collections::HashMap<u64, u64>,
}

impl Dedup {
    /// Records `key` at position `at`; if it was seen before, the first position.
    pub fn check(&mut self, key: &str, at: u64) -> Option<u64> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
        match self.seen.entry(h) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(at);
                None
            }
        }
    }
}

/// Why a repeated key is refused, naming where it was first given.
pub(crate) fn dup_reason(key: &str, first: &str) -> String {
    format!("{key:?} is repeated: it was first given at {first}")
}
