//! One renderer for every analysis answer: typed features in, a GeoJSON FeatureCollection
//! (with the provenance as the foreign member `diemnong`) or a CSV table out.
//!
//! An analysis hands over [`Feature`]s: values whose `Serialize` writes the feature's
//! properties, and which say their id, their geometry and how many incidents they stand
//! for. The small-cell disclosure rule reads that count ([`Feature::incidents`]), never a
//! property read back out of JSON; a CSV row is the properties with no geometry.

use geo::MultiPolygon;
use h3o::CellIndex;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::cache::VersionedCache;
use super::error::ApiError;
use super::features::GEOJSON;
use crate::domain::lonlat::round6;

/// One feature of an analysis answer. Its `Serialize` writes the properties.
pub trait Feature: Serialize {
    /// The feature's `id`: the cell, or the zone's or cluster's id.
    fn id(&self) -> FeatureId<'_>;
    /// Where it is; written only in GeoJSON.
    fn geometry(&self) -> Geometry<'_>;
    /// The incidents this feature stands for: a cell's, zone's or cluster's count; `None`
    /// for a smoothed surface (KDE). The last guard of public answers reads it (no public
    /// feature may stand for 1…js incidents).
    fn incidents(&self) -> Option<u64>;
}

/// A feature's `id` member.
#[derive(Debug, Clone, Copy)]
pub enum FeatureId<'a> {
    /// An H3 cell, written as its hexadecimal index.
    Cell(CellIndex),
    Text(&'a str),
    Number(u64),
}

impl Serialize for FeatureId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Cell(c) => s.collect_str(c),
            Self::Text(t) => s.serialize_str(t),
            Self::Number(n) => s.serialize_u64(*n),
        }
    }
}

/// Serialises a cell as its hexadecimal index (the `h3` property).
///
/// # Errors
/// Whatever the serializer reports.
pub fn cell_as_text<S: Serializer>(cell: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(cell)
}

/// A feature's geometry, borrowed from the feature and written when the response is.
#[derive(Debug, Clone, Copy)]
pub enum Geometry<'a> {
    /// A cell's hexagon: a GeoJSON Polygon (counter-clockwise, closed, 6 decimals), written
    /// straight from the cell's boundary — thousands of these make a city-wide response,
    /// and building a JSON value for each was most of its cost.
    Hex(CellIndex),
    /// A dissolved zone or a cluster's outline: a Polygon when it is one piece, else a
    /// MultiPolygon; exteriors already counter-clockwise; 6 decimals.
    Polygons(&'a MultiPolygon<f64>),
}

type Ring = Vec<[f64; 2]>;

fn ring(ls: &geo::LineString<f64>) -> Ring {
    ls.coords().map(|c| [round6(c.x), round6(c.y)]).collect()
}

fn polygon(p: &geo::Polygon<f64>) -> Vec<Ring> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(ring)
        .collect()
}

impl Serialize for Geometry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        match self {
            Self::Hex(cell) => {
                let mut ring: Ring = cell
                    .boundary()
                    .iter()
                    .map(|ll| [round6(ll.lng()), round6(ll.lat())])
                    .collect();
                if let Some(&first) = ring.first() {
                    ring.push(first);
                }
                m.serialize_entry("type", "Polygon")?;
                m.serialize_entry("coordinates", &[ring])?;
            }
            Self::Polygons(mp) => match mp.0.as_slice() {
                [one] => {
                    m.serialize_entry("type", "Polygon")?;
                    m.serialize_entry("coordinates", &polygon(one))?;
                }
                many => {
                    m.serialize_entry("type", "MultiPolygon")?;
                    let all: Vec<Vec<Ring>> = many.iter().map(polygon).collect();
                    m.serialize_entry("coordinates", &all)?;
                }
            },
        }
        m.end()
    }
}

/// Hexagon outlines already written as GeoJSON, by cell. A cell's outline never changes
/// (it depends on no data, so it is held at version 0), and computing it (h3o's boundary,
/// with trigonometry) and printing its 14 numbers was half of a city-wide density
/// response; the memo makes it a copy.
pub type HexagonMemo = VersionedCache<CellIndex, Vec<u8>>;

/// Entries kept in the hexagon memo (~200 bytes each: ~50 MB at most).
pub const HEXAGONS_MAX: usize = 250_000;

/// Appends the cell's hexagon as GeoJSON to `out`, from the memo when it is there.
fn hexagon_json(
    cell: CellIndex,
    memo: &HexagonMemo,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    if let Some(b) = memo.get(0, &cell) {
        out.extend_from_slice(&b);
        return Ok(());
    }
    let bytes = serde_json::to_vec(&Geometry::Hex(cell))?;
    out.extend_from_slice(&bytes);
    memo.put(0, cell, std::sync::Arc::new(bytes));
    Ok(())
}

/// A rendered answer: the body and its content type.
pub type Rendered = (String, String);

/// The features as CSV: one row per feature, its properties as columns in their order
/// (`h3` or `id` first); nested values (lists) as their JSON text.
///
/// # Errors
/// Only if writing fails (out of memory), as an internal error.
pub fn csv<F: Feature>(features: &[F]) -> Result<Rendered, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Option<Vec<String>> = None;
    for f in features {
        let Value::Object(p) = serde_json::to_value(f).map_err(ApiError::internal)? else {
            return Err(ApiError::internal(std::io::Error::other(
                "a feature's properties are not an object",
            )));
        };
        if header.is_none() {
            let keys: Vec<String> = p.keys().cloned().collect();
            w.write_record(&keys).map_err(ApiError::internal)?;
            header = Some(keys);
        }
        let keys = header.as_deref().unwrap_or_default();
        let rec = keys.iter().map(|k| match p.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        });
        w.write_record(rec).map_err(ApiError::internal)?;
    }
    if header.is_none() {
        // No rows: the id column alone, as before any row says more.
        w.write_record(["h3"]).map_err(ApiError::internal)?;
    }
    let body = String::from_utf8(w.into_inner().map_err(ApiError::internal)?)
        .map_err(ApiError::internal)?;
    Ok((body, "text/csv; charset=utf-8".to_owned()))
}

/// The features as a GeoJSON FeatureCollection, with `provenance` (and what the
/// computation adds to it, `extra`: slices, warnings, the bandwidth used) as the foreign
/// member `diemnong`.
///
/// Written straight out, feature by feature: building one `Value` of the whole collection
/// would deep-copy every geometry and property map first (most of a city-wide density
/// response's time).
///
/// # Errors
/// Only if serialising fails, as an internal error.
pub fn geojson<F: Feature>(
    features: &[F],
    mut provenance: Value,
    extra: Map<String, Value>,
    hexagons: &HexagonMemo,
) -> Result<Rendered, ApiError> {
    let json = |e: serde_json::Error| ApiError::internal(e);
    let mut out: Vec<u8> = Vec::with_capacity(features.len() * 320 + 512);
    out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"type":"Feature","id":"#);
        serde_json::to_writer(&mut out, &f.id()).map_err(json)?;
        out.extend_from_slice(br#","geometry":"#);
        match f.geometry() {
            Geometry::Hex(cell) => hexagon_json(cell, hexagons, &mut out).map_err(json)?,
            g @ Geometry::Polygons(_) => serde_json::to_writer(&mut out, &g).map_err(json)?,
        }
        out.extend_from_slice(br#","properties":"#);
        serde_json::to_writer(&mut out, f).map_err(json)?;
        out.push(b'}');
    }
    out.extend_from_slice(br#"],"diemnong":"#);
    if let Some(d) = provenance.as_object_mut() {
        d.extend(extra);
    }
    serde_json::to_writer(&mut out, &provenance).map_err(json)?;
    out.push(b'}');
    let body = String::from_utf8(out).map_err(ApiError::internal)?;
    Ok((body, GEOJSON.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Counted {
        #[serde(serialize_with = "cell_as_text")]
        h3: CellIndex,
        count: u64,
        list: Vec<u8>,
        maybe: Option<f64>,
        #[serde(skip)]
        incidents: Option<u64>,
    }

    impl Feature for Counted {
        fn id(&self) -> FeatureId<'_> {
            FeatureId::Cell(self.h3)
        }
        fn geometry(&self) -> Geometry<'_> {
            Geometry::Hex(self.h3)
        }
        fn incidents(&self) -> Option<u64> {
            self.incidents
        }
    }

    fn cell() -> CellIndex {
        h3o::LatLng::new(10.77, 106.70)
            .expect("a valid point")
            .to_cell(h3o::Resolution::Nine)
    }

    fn counted(incidents: Option<u64>) -> Counted {
        Counted {
            h3: cell(),
            count: 7,
            list: vec![1, 2],
            maybe: None,
            incidents,
        }
    }

    #[test]
    fn csv_columns_follow_the_properties_and_lists_are_json() {
        let (body, kind) = csv(&[counted(None)]).expect("renders");
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert_eq!(
            body,
            format!("h3,count,list,maybe\n{},7,\"[1,2]\",\n", cell())
        );
        let (empty, _) = csv::<Counted>(&[]).expect("renders");
        assert_eq!(empty, "h3\n");
    }

    #[test]
    fn geojson_writes_id_hexagon_properties_and_provenance() {
        let memo = HexagonMemo::new(8);
        let mut extra = Map::new();
        extra.insert("slices".into(), Value::from(3));
        let (body, kind) = geojson(
            &[counted(Some(1))],
            serde_json::json!({"endpoint": "x"}),
            extra,
            &memo,
        )
        .expect("renders");
        assert_eq!(kind, GEOJSON);
        let v: Value = serde_json::from_str(&body).expect("valid JSON");
        let f = &v["features"][0];
        assert_eq!(f["id"], cell().to_string());
        assert_eq!(f["geometry"]["type"], "Polygon");
        let ring = f["geometry"]["coordinates"][0].as_array().expect("a ring");
        assert_eq!(ring.len(), 7, "six corners, closed");
        assert_eq!(ring[0], ring[6]);
        assert_eq!(f["properties"]["list"], serde_json::json!([1, 2]));
        assert!(f["properties"]["maybe"].is_null());
        assert!(f["properties"].get("incidents").is_none());
        assert_eq!(
            v["diemnong"],
            serde_json::json!({"endpoint": "x", "slices": 3})
        );
        // The memo now answers the same bytes.
        let again = geojson(&[counted(Some(1))], Value::Null, Map::new(), &memo)
            .expect("renders")
            .0;
        assert!(again.contains(&f["geometry"].to_string()));
    }
}
