//! Field names, their aliases, and how a header (or a JSON object's keys) maps onto them.

use std::fmt::Write as _;

use super::RowError;

/// One field a layer reads.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The canonical name (what the API writes and `--columns` uses).
    pub name: &'static str,
    /// Other header names that mean the same, compared after [`normalize`].
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// A record's values as text, and where each came from.
pub trait Fields {
    /// The value of a canonical field; `None` when the column is absent or the cell empty.
    fn text(&self, field: &str) -> Option<&str>;
    /// A GeoJSON geometry, when the record came with one.
    fn geometry(&self) -> Option<&geojson::Geometry> {
        None
    }
}

/// Header text as compared: trimmed, without a byte-order mark, lower-case, with spaces,
/// hyphens and dots as `_`.
#[must_use]
pub fn normalize(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if matches!(c, ' ' | '-' | '.') { '_' } else { c })
        .collect()
}

/// Parses `--columns lon=LNG,lat=LAT` into (canonical, header) pairs.
///
/// # Errors
/// When an item has no `=` or names a field the layer does not have.
pub fn parse_column_map(spec: &str, fields: &[FieldSpec]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((field, header)) = item.split_once('=') else {
            return Err(format!("--columns item {item:?} is not FIELD=HEADER"));
        };
        let field = field.trim();
        if !fields.iter().any(|f| f.name == field) {
            let names: Vec<_> = fields.iter().map(|f| f.name).collect();
            return Err(format!(
                "--columns: {field:?} is not a field of this layer (fields: {})",
                names.join(", ")
            ));
        }
        out.push((field.to_owned(), header.trim().to_owned()));
    }
    Ok(out)
}

/// Resolves each field to a header position: an explicit mapping first, then the canonical
/// name, then the aliases in order. Returns the positions (by field order) or every problem
/// found (line 1: the header).
///
/// # Errors
/// A required field with no column, a mapped header that is absent, or a header that two
/// fields would claim.
pub fn resolve(
    headers: &[String],
    fields: &[FieldSpec],
    explicit: &[(String, String)],
    delimiter: u8,
) -> Result<Vec<Option<usize>>, Vec<RowError>> {
    let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        let pos = if let Some((_, header)) = explicit.iter().find(|(name, _)| name == f.name) {
            let want = normalize(header);
            let p = norm.iter().position(|h| *h == want);
            if p.is_none() {
                errors.push(RowError::at_line(
                    1,
                    Some(header),
                    format!(
                        "--columns maps {} to {header:?}, which the header does not have",
                        f.name
                    ),
                ));
            }
            p
        } else {
            std::iter::once(&f.name)
                .chain(f.aliases)
                .find_map(|alias| norm.iter().position(|h| h == alias))
        };
        if pos.is_none() && f.required && !explicit.iter().any(|(n, _)| n == f.name) {
            let mut reason = format!(
                "required column {} not found (accepted names: {}; map another header with --columns {}=HEADER); the header has: {}",
                f.name,
                std::iter::once(&f.name)
                    .chain(f.aliases)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                f.name,
                headers
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            if headers.len() == 1
                && let Some(d) = [b';', b'\t', b'|', b',']
                    .iter()
                    .find(|&&d| d != delimiter && headers[0].contains(char::from(d)))
            {
                // Writing to a `String` cannot fail.
                let _ = write!(
                    reason,
                    " — the header is one column containing {:?}: is the delimiter {:?}? use --delimiter",
                    char::from(*d),
                    char::from(*d)
                );
            }
            errors.push(RowError::at_line(1, Some(f.name), reason));
        }
        out.push(pos);
    }
    for (i, p) in out.iter().enumerate() {
        if let Some(p) = p
            && let Some(j) = out[..i].iter().position(|q| q == &Some(*p))
        {
            errors.push(RowError::at_line(
                1,
                Some(&headers[*p]),
                format!(
                    "column is claimed by both {} and {}; use --columns to say which",
                    fields[j].name, fields[i].name
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::records::INCIDENT_FIELDS;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn aliases_and_case() {
        let cols = resolve(
            &h(&["ID", "Datetime", "Category", "LNG", "Latitude"]),
            INCIDENT_FIELDS,
            &[],
            b',',
        )
        .unwrap();
        let name = |n: &str| cols[INCIDENT_FIELDS.iter().position(|f| f.name == n).unwrap()];
        assert_eq!(name("external_id"), Some(0));
        assert_eq!(name("occurred_at"), Some(1));
        assert_eq!(name("lon"), Some(3));
        assert_eq!(name("lat"), Some(4));
        assert_eq!(name("severity"), None);
    }

    #[test]
    fn explicit_mapping_and_missing() {
        let explicit = parse_column_map("lon=Kinh do,lat=Vi do", INCIDENT_FIELDS).unwrap();
        let cols = resolve(
            &h(&["when", "Kinh do", "Vi do", "loai"]),
            INCIDENT_FIELDS,
            &[
                ("occurred_at".into(), "when".into()),
                ("category".into(), "loai".into()),
            ]
            .into_iter()
            .chain(explicit)
            .collect::<Vec<_>>(),
            b',',
        )
        .unwrap();
        assert_eq!(
            cols[INCIDENT_FIELDS
                .iter()
                .position(|f| f.name == "lon")
                .unwrap()],
            Some(1)
        );
        let err = resolve(
            &h(&["lon;lat;occurred_at;category"]),
            INCIDENT_FIELDS,
            &[],
            b',',
        )
        .unwrap_err();
        assert!(
            err.iter()
                .any(|e| e.reason.contains("is the delimiter ';'")),
            "{err:?}"
        );
        assert!(parse_column_map("nope=x", INCIDENT_FIELDS).is_err());
    }
}
