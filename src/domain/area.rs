//! Areas: wards, districts and complex areas (địa bàn phức tạp), with validated geometry.

use std::fmt;
use std::str::FromStr;

use geo::{MultiPolygon, Orient, Validation, orient::Direction};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// Phường / xã.
    Ward,
    /// Quận / huyện.
    District,
    /// Địa bàn phức tạp về trật tự, an toàn xã hội.
    ComplexArea,
}

impl AreaKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ward => "ward",
            Self::District => "district",
            Self::ComplexArea => "complex_area",
        }
    }
}

impl fmt::Display for AreaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AreaKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace(['-', ' '], "_").as_str() {
            "ward" | "phường" | "phuong" | "xã" | "xa" => Ok(Self::Ward),
            "district" | "quận" | "quan" | "huyện" | "huyen" => Ok(Self::District),
            "complex_area" | "complex" | "địa_bàn_phức_tạp" | "dia_ban_phuc_tap" => {
                Ok(Self::ComplexArea)
            }
            _ => Err(DomainError::new(
                "kind",
                format!("{s:?} is not one of ward, district, complex_area"),
            )),
        }
    }
}

/// A `Polygon` or `MultiPolygon` in lon/lat whose rings are closed and which does not
/// intersect itself. Stored and served with RFC 7946 winding (exterior rings
/// counter-clockwise).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaGeometry(MultiPolygon<f64>);

/// Positions of one ring as a file wrote them: each `[lon, lat]` (a third value is ignored).
pub type RawRing = Vec<Vec<f64>>;

impl AreaGeometry {
    /// Validates polygons given as raw GeoJSON-style positions (`polygons[p][ring][pos]`).
    /// Positions are rounded to 6 decimals first, as the store keeps them, so what is
    /// validated is what is stored (a ring narrower than that would otherwise be accepted
    /// and then fail to load).
    ///
    /// # Errors
    /// Says which polygon, ring and position is wrong: too few positions, not closed,
    /// out of range, or (through `geo`'s validation) self-intersecting.
    pub fn from_raw(polygons: &[Vec<RawRing>]) -> Result<Self, DomainError> {
        if polygons.is_empty() {
            return Err(DomainError::new("geometry", "has no polygon"));
        }
        let mut out = Vec::with_capacity(polygons.len());
        for (pi, rings) in polygons.iter().enumerate() {
            if rings.is_empty() {
                return Err(DomainError::new(
                    "geometry",
                    format!("polygon {pi} has no ring"),
                ));
            }
            let mut lines = Vec::with_capacity(rings.len());
            for (ri, ring) in rings.iter().enumerate() {
                let at = format!("polygon {pi}, ring {ri}");
                if ring.len() < 4 {
                    return Err(DomainError::new(
                        "geometry",
                        format!("{at} has {} positions; a ring needs at least 4", ring.len()),
                    ));
                }
                let mut coords = Vec::with_capacity(ring.len());
                for (i, pos) in ring.iter().enumerate() {
                    if pos.len() < 2 {
                        return Err(DomainError::new(
                            "geometry",
                            format!("{at}, position {i} has fewer than 2 numbers"),
                        ));
                    }
                    let (x, y) = (pos[0], pos[1]);
                    if !x.is_finite()
                        || !y.is_finite()
                        || !(-180.0..=180.0).contains(&x)
                        || !(-90.0..=90.0).contains(&y)
                    {
                        return Err(DomainError::new(
                            "geometry",
                            format!("{at}, position {i} [{x}, {y}] is not a lon/lat position"),
                        ));
                    }
                    coords.push(
                        geo::coord! { x: super::lonlat::round6(x), y: super::lonlat::round6(y) },
                    );
                }
                if coords.first() != coords.last() {
                    return Err(DomainError::new(
                        "geometry",
                        format!("{at} is not closed: its first and last positions differ"),
                    ));
                }
                lines.push(geo::LineString::new(coords));
            }
            let mut it = lines.into_iter();
            let exterior = it
                .next()
                .unwrap_or_else(|| geo::LineString::new(Vec::new()));
            out.push(geo::Polygon::new(exterior, it.collect()));
        }
        let mp = MultiPolygon::new(out);
        if let Err(e) = mp.check_validation() {
            return Err(DomainError::new(
                "geometry",
                format!("is not a valid polygon: {e}"),
            ));
        }
        Ok(Self(mp.orient(Direction::Default)))
    }

    /// Validates a GeoJSON geometry value (`Polygon` or `MultiPolygon`).
    ///
    /// # Errors
    /// When the geometry is of another type or invalid.
    pub fn from_geojson(g: &geojson::Geometry) -> Result<Self, DomainError> {
        match &g.value {
            geojson::GeometryValue::Polygon { coordinates } => {
                Self::from_raw(&[raw_polygon(coordinates)])
            }
            geojson::GeometryValue::MultiPolygon { coordinates } => Self::from_raw(
                &coordinates
                    .iter()
                    .map(|p| raw_polygon(p))
                    .collect::<Vec<_>>(),
            ),
            other => Err(DomainError::new(
                "geometry",
                format!(
                    "is a {}; an area must be a Polygon or MultiPolygon",
                    other.type_name()
                ),
            )),
        }
    }

    /// Parses geometry text from a CSV cell: GeoJSON (starts with `{`) or WKT.
    ///
    /// # Errors
    /// When the text parses as neither, or the geometry is invalid.
    pub fn from_text(text: &str) -> Result<Self, DomainError> {
        let t = text.trim();
        if t.starts_with('{') {
            let g: geojson::Geometry = t
                .parse()
                .map_err(|e| DomainError::new("geometry", format!("is not GeoJSON: {e}")))?;
            return Self::from_geojson(&g);
        }
        let w: wkt::Wkt<f64> = t.parse().map_err(|e| {
            DomainError::new("geometry", format!("is neither GeoJSON nor WKT: {e}"))
        })?;
        let ring = |ls: &wkt::types::LineString<f64>| -> RawRing {
            ls.coords().iter().map(|c| vec![c.x, c.y]).collect()
        };
        let poly =
            |p: &wkt::types::Polygon<f64>| -> Vec<RawRing> { p.rings().iter().map(ring).collect() };
        match &w {
            wkt::Wkt::Polygon(p) => Self::from_raw(&[poly(p)]),
            wkt::Wkt::MultiPolygon(mp) => {
                Self::from_raw(&mp.polygons().iter().map(poly).collect::<Vec<_>>())
            }
            _ => Err(DomainError::new(
                "geometry",
                "WKT must be a POLYGON or MULTIPOLYGON",
            )),
        }
    }

    #[must_use]
    pub fn multi_polygon(&self) -> &MultiPolygon<f64> {
        &self.0
    }

    /// As a GeoJSON geometry: a `Polygon` when there is one, else a `MultiPolygon`; coordinates
    /// rounded to 6 decimals (~0.1 m).
    #[must_use]
    pub fn to_geojson(&self) -> geojson::Geometry {
        let ring = |ls: &geo::LineString<f64>| -> Vec<Vec<f64>> {
            ls.coords()
                .map(|c| vec![super::lonlat::round6(c.x), super::lonlat::round6(c.y)])
                .collect()
        };
        let poly = |p: &geo::Polygon<f64>| -> Vec<Vec<Vec<f64>>> {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect()
        };
        let value = match self.0.0.as_slice() {
            [one] => geojson::GeometryValue::new_polygon(poly(one)),
            many => {
                geojson::GeometryValue::new_multi_polygon(many.iter().map(poly).collect::<Vec<_>>())
            }
        };
        geojson::Geometry::new(value)
    }
}

fn raw_polygon(p: &[Vec<geojson::Position>]) -> Vec<RawRing> {
    p.iter()
        .map(|ring| ring.iter().map(|pos| pos.as_slice().to_vec()).collect())
        .collect()
}

/// A validated area, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArea {
    /// Unique, stable code (`ward-q1-03`); what the API addresses an area by.
    pub code: String,
    pub name: String,
    pub kind: AreaKind,
    pub geometry: AreaGeometry,
    pub population: Option<u64>,
}

/// A stored area.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub id: i64,
    pub data: NewArea,
}

/// Validates an area code: 1–64 characters of ASCII letters, digits, `-`, `_`, `.`.
///
/// # Errors
/// When the code is empty, too long, or has other characters.
pub fn validate_area_code(code: &str) -> Result<(), DomainError> {
    if code.is_empty() || code.len() > 64 {
        return Err(DomainError::new("code", "must be 1–64 characters"));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(DomainError::new(
            "code",
            format!("{code:?} may contain only ASCII letters, digits, '-', '_' and '.'"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, d: f64) -> Vec<RawRing> {
        vec![vec![
            vec![x0, y0],
            vec![x0 + d, y0],
            vec![x0 + d, y0 + d],
            vec![x0, y0 + d],
            vec![x0, y0],
        ]]
    }

    #[test]
    fn accepts_square_and_orients_ccw() {
        use geo::Winding;
        let mut sq = square(106.7, 10.7, 0.01);
        sq[0].reverse(); // clockwise on input
        let g = AreaGeometry::from_raw(&[sq]).unwrap();
        let ext = g.multi_polygon().0[0].exterior();
        assert!(ext.is_ccw());
    }

    #[test]
    fn rejects_open_bowtie_short_and_out_of_range() {
        let mut open = square(106.7, 10.7, 0.01);
        open[0].pop();
        open[0].push(vec![106.7, 10.705]);
        assert!(
            AreaGeometry::from_raw(&[open])
                .unwrap_err()
                .reason
                .contains("not closed")
        );
        let bowtie = vec![vec![
            vec![0.0, 0.0],
            vec![1.0, 1.0],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.0, 0.0],
        ]];
        assert!(
            AreaGeometry::from_raw(&[bowtie])
                .unwrap_err()
                .reason
                .contains("valid")
        );
        let short = vec![vec![vec![0.0, 0.0], vec![1.0, 1.0], vec![0.0, 0.0]]];
        assert!(AreaGeometry::from_raw(&[short]).is_err());
        let swapped = square(10.7, 106.7, 0.01);
        assert!(AreaGeometry::from_raw(&[swapped]).is_err());
    }

    #[test]
    fn parses_wkt_and_geojson_text() {
        let w = AreaGeometry::from_text(
            "POLYGON((106.7 10.7,106.71 10.7,106.71 10.71,106.7 10.71,106.7 10.7))",
        )
        .unwrap();
        let j = AreaGeometry::from_text(
            r#"{"type":"Polygon","coordinates":[[[106.7,10.7],[106.71,10.7],[106.71,10.71],[106.7,10.71],[106.7,10.7]]]}"#,
        )
        .unwrap();
        assert_eq!(w, j);
        assert!(AreaGeometry::from_text("POINT(1 2)").is_err());
    }

    #[test]
    fn kinds_and_codes() {
        assert_eq!("Phường".parse::<AreaKind>().unwrap(), AreaKind::Ward);
        assert_eq!(
            "complex_area".parse::<AreaKind>().unwrap(),
            AreaKind::ComplexArea
        );
        assert!("city".parse::<AreaKind>().is_err());
        assert!(validate_area_code("ward-q1-03").is_ok());
        assert!(validate_area_code("phường 3").is_err());
    }
}
