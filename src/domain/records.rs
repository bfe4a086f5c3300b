//! The committee's point records: incidents, cameras and self-managed models.
//!
//! `New*` values are what an import or a `POST` produces after validation; the stored
//! forms add the database id. An incident's resolution-15 H3 cell is computed when the
//! value is built, so every stored incident carries it and coarser cells are parent
//! computations, never geometric ones.

use serde::Serialize;

use super::error::DomainError;
use super::lonlat::LonLat;
use super::severity::Severity;

/// Longest external id, address or free-text field we accept (characters).
pub const MAX_TEXT: usize = 500;

/// Checks an optional free-text field: trimmed, empty means absent, bounded length.
///
/// # Errors
/// When the text is longer than [`MAX_TEXT`] characters.
pub fn optional_text(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<String>, DomainError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > MAX_TEXT => Err(DomainError::new(
            field,
            format!("is longer than {MAX_TEXT} characters"),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Checks a required free-text field.
///
/// # Errors
/// When the text is missing, blank or too long.
pub fn required_text(field: &'static str, text: Option<&str>) -> Result<String, DomainError> {
    optional_text(field, text)?.ok_or_else(|| DomainError::new(field, "is required"))
}

/// A validated incident, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewIncident {
    pub external_id: Option<String>,
    /// Unix seconds, UTC.
    pub occurred_at: i64,
    /// A code of the category catalogue.
    pub category: String,
    pub severity: Severity,
    pub solved: bool,
    pub location: LonLat,
    /// Resolution-15 H3 cell of `location` (serialised as its 64-bit integer, as before it
    /// was typed).
    #[serde(serialize_with = "cell_as_integer")]
    pub cell: h3o::CellIndex,
    pub address: Option<String>,
    pub ward: Option<String>,
}

impl NewIncident {
    /// Builds an incident, computing its resolution-15 cell. The category must already be
    /// resolved against the catalogue (see [`super::Catalogue::category`]).
    #[must_use]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field of the record"
    )]
    pub fn new(
        external_id: Option<String>,
        occurred_at: i64,
        category: String,
        severity: Severity,
        solved: bool,
        location: LonLat,
        address: Option<String>,
        ward: Option<String>,
    ) -> Self {
        Self {
            external_id,
            occurred_at,
            category,
            severity,
            solved,
            location,
            cell: location.cell15(),
            address,
            ward,
        }
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature serde's serialize_with calls"
)]
fn cell_as_integer<S: serde::Serializer>(cell: &h3o::CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::from(*cell))
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewIncident,
}

/// A validated security camera.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCamera {
    pub external_id: Option<String>,
    pub location: LonLat,
    /// Free text such as `fixed`, `ptz`, `anpr`.
    pub kind: String,
    pub active: bool,
    /// Unix seconds, UTC.
    pub installed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Camera {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewCamera,
}

/// A validated self-managed security model (mô hình tự quản).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewModel {
    pub external_id: Option<String>,
    pub location: LonLat,
    /// A code of the model-kind catalogue.
    pub kind: String,
    pub name: String,
    /// Unix seconds, UTC.
    pub established_at: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub id: i64,
    #[serde(flatten)]
    pub data: NewModel,
}

/// Parses the yes/no columns that spreadsheets write in many ways.
///
/// # Errors
/// When the text is none of the accepted spellings.
pub fn parse_bool(field: &'static str, text: &str) -> Result<bool, DomainError> {
    match text.trim().to_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" | "x" | "có" | "co" | "đã" | "da" => Ok(true),
        "false" | "f" | "0" | "no" | "n" | "không" | "khong" | "chưa" | "chua" | "" => Ok(false),
        other => Err(DomainError::new(
            field,
            format!("{other:?} is not a yes/no value (true/false, 1/0, yes/no, có/không)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        assert!(parse_bool("solved", "Có").unwrap());
        assert!(!parse_bool("solved", "0").unwrap());
        assert!(parse_bool("solved", "maybe").is_err());
    }

    #[test]
    fn text_limits() {
        assert_eq!(optional_text("a", Some("  ")).unwrap(), None);
        assert!(optional_text("a", Some(&"x".repeat(MAX_TEXT + 1))).is_err());
        assert!(required_text("name", None).is_err());
    }
}
