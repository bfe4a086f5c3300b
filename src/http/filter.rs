//! The shared incident filter of a query — `from`, `to`, `category`, `severity`, `bbox`,
//! `area` — parsed once, for listings and analyses alike, into the index's [`Filter`]. Each
//! problem is a 400 naming its parameter. Listings of cameras and models use the time range
//! and the box alone (on their own dates and positions).

use std::sync::Arc;

use super::error::ApiError;
use crate::domain::{Severity, SeveritySet, Zone};
use crate::index::{BBox, CategoryRef, Filter, Snapshot};

/// The filter's parameters as a query string gives them.
#[derive(Debug, Default, Clone, Copy)]
pub struct FilterText<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub category: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub bbox: Option<&'a str>,
    pub area: Option<&'a str>,
}

/// Comma-separated values, trimmed, empty ones dropped.
pub fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `from` (inclusive) and `to` (exclusive) as Unix seconds: RFC 3339, or a date / date-time
/// in the committee's zone; `to` must come after `from`.
///
/// # Errors
/// A 400 naming `from` or `to`.
pub fn time_range(
    zone: &Zone,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let instant = |name: &'static str, v: Option<&str>| {
        v.map(|t| {
            zone.parse_instant(name, t)
                .map_err(|e| ApiError::param(name, e.reason))
        })
        .transpose()
    };
    let (from, to) = (instant("from", from)?, instant("to", to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::param("to", "must be after from"));
    }
    Ok((from, to))
}

/// `min_lon,min_lat,max_lon,max_lat` (WGS84).
///
/// # Errors
/// A 400 naming `bbox`.
pub fn parse_bbox(text: &str) -> Result<BBox, ApiError> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::param("bbox", format!("{text:?} is not four numbers")))?;
    match v.as_slice() {
        [a, b, c, d] => BBox::new(*a, *b, *c, *d).map_err(|e| ApiError::param("bbox", e.reason)),
        _ => Err(ApiError::param(
            "bbox",
            "must be four numbers: min_lon,min_lat,max_lon,max_lat",
        )),
    }
}

/// The index's references of the categories asked for (any of them), by code.
///
/// # Errors
/// A 400 naming `category` for a code the catalogue does not hold.
pub fn categories(
    snap: &Snapshot,
    text: Option<&str>,
) -> Result<Option<Vec<CategoryRef>>, ApiError> {
    text.map(|c| {
        list(c)
            .map(|code| {
                let code = snap.catalogue.category(code).ok_or_else(|| {
                    ApiError::param(
                        "category",
                        format!("{code:?} is not in the category catalogue"),
                    )
                })?;
                // A catalogued category no incident has yet matches nothing.
                Ok(snap
                    .incidents
                    .categories()
                    .get(code)
                    .unwrap_or(CategoryRef::NONE))
            })
            .collect::<Result<Vec<CategoryRef>, ApiError>>()
    })
    .transpose()
}

/// The severities asked for, as the index's bit set.
///
/// # Errors
/// A 400 naming `severity` for a value that is not one of the four classes.
pub fn severities(text: Option<&str>) -> Result<Option<SeveritySet>, ApiError> {
    text.map(|s| {
        list(s).try_fold(SeveritySet::EMPTY, |m, v| {
            v.parse::<Severity>()
                .map(|s| m.with(s))
                .map_err(|e| ApiError::param("severity", e.reason))
        })
    })
    .transpose()
}

/// The whole incident filter, checked in the order a reader meets the parameters' kinds:
/// bbox or area (not both), time, box, categories, severities, area.
///
/// # Errors
/// A 400 naming the first parameter at fault.
pub fn incident_filter(
    snap: &Snapshot,
    zone: &Zone,
    t: &FilterText<'_>,
) -> Result<Filter, ApiError> {
    if t.bbox.is_some() && t.area.is_some() {
        return Err(ApiError::param("area", "give bbox or area, not both"));
    }
    let (from, to) = time_range(zone, t.from, t.to)?;
    let bbox = t.bbox.map(parse_bbox).transpose()?;
    let mut filter = Filter {
        bbox,
        from,
        to,
        categories: categories(snap, t.category)?,
        severities: severities(t.severity)?,
        within: None,
    };
    if let Some(code) = t.area {
        let a = snap
            .areas
            .by_code(code)
            .ok_or_else(|| ApiError::param("area", format!("no area has the code {code:?}")))?;
        let mp = a.data.geometry.multi_polygon();
        filter.bbox = geo::BoundingRect::bounding_rect(mp)
            .and_then(|r| BBox::new(r.min().x, r.min().y, r.max().x, r.max().y).ok());
        filter.within = Some(Arc::new(mp.clone()));
    }
    Ok(filter)
}
