//! The typed features each analysis answers with: what a client sees of a result, in the
//! order its properties are written (GeoJSON properties and CSV columns alike).
//!
//! The analyses in `crate::analysis` compute in full precision; here their results take
//! the shape of the API: cells as their hexadecimal index, densities to 6 significant
//! digits, times in the committee's zone, lists of pairs as objects.

use geo::MultiPolygon;
use h3o::CellIndex;
use serde::Serialize;

use super::render::{Feature, FeatureId, Geometry, cell_as_text};
use crate::analysis::clusters::ClusterSummary;
use crate::analysis::cube::EmergingCell;
use crate::analysis::density::DensityCell;
use crate::analysis::gistar::GiCell;
use crate::analysis::kde::KdeCell;
use crate::analysis::zones::Zone;
use crate::domain::time::Zone as TimeZone;

/// `v` to 6 significant digits: densities span ~10⁻³ (res 5) to ~10⁵ per km² (res 11), so
/// a fixed number of decimals would lose most of the precision of coarse cells.
fn round_sig6(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the decimal exponent of a finite f64 is within ±324"
    )]
    let scale = 10f64.powi(5 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// `v` to 6 decimals (shares, areas).
fn round_dec6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The [`Feature`] of a cell's row: the cell (its `h3` field) is the id and the hexagon;
/// the closure says how many incidents the row stands for.
macro_rules! cell_feature {
    ($t:ty, |$row:ident| $incidents:expr) => {
        impl Feature for $t {
            fn id(&self) -> FeatureId<'_> {
                FeatureId::Cell(self.h3)
            }
            fn geometry(&self) -> Geometry<'_> {
                Geometry::Hex(self.h3)
            }
            fn incidents(&self) -> Option<u64> {
                let $row = self;
                $incidents
            }
        }
    };
}

/// A cell of `/density`.
#[derive(Debug, Serialize)]
pub struct DensityFeature {
    #[serde(serialize_with = "cell_as_text")]
    pub h3: CellIndex,
    pub count: u32,
    pub per_km2: f64,
}

impl From<DensityCell> for DensityFeature {
    fn from(c: DensityCell) -> Self {
        Self {
            h3: c.cell,
            count: c.count,
            per_km2: round_sig6(c.per_km2),
        }
    }
}

cell_feature!(DensityFeature, |f| Some(f.count.into()));

/// A cell of `/hotspots`: its count and Gi* (z, two-sided p, Benjamini–Hochberg q, bin).
#[derive(Debug, Serialize)]
pub struct HotspotFeature {
    #[serde(serialize_with = "cell_as_text")]
    pub h3: CellIndex,
    pub count: u32,
    pub gi_z: f64,
    pub gi_p: f64,
    pub gi_q: f64,
    pub gi_bin: i8,
}

impl HotspotFeature {
    #[must_use]
    pub fn new(c: &GiCell, bin: i8) -> Self {
        Self {
            h3: c.cell,
            count: c.count,
            gi_z: c.z,
            gi_p: c.p,
            gi_q: c.q,
            gi_bin: bin,
        }
    }
}

cell_feature!(HotspotFeature, |f| Some(f.count.into()));

/// A cell of `/hotspots/emerging`: its category, trend and per-slice series.
#[derive(Debug, Serialize)]
pub struct EmergingFeature {
    #[serde(serialize_with = "cell_as_text")]
    pub h3: CellIndex,
    pub count: u64,
    pub category: &'static str,
    pub trend_z: Option<f64>,
    pub trend_p: Option<f64>,
    pub trend_tau: Option<f64>,
    pub bins: Vec<i8>,
    pub counts: Vec<u32>,
    /// Gi* z per slice, to 9 decimals.
    pub z: Vec<f64>,
}

impl From<&EmergingCell> for EmergingFeature {
    fn from(c: &EmergingCell) -> Self {
        Self {
            h3: c.cell,
            count: c.counts.iter().map(|n| u64::from(*n)).sum(),
            category: c.category.as_str(),
            trend_z: c.trend.as_ref().map(|t| t.z),
            trend_p: c.trend.as_ref().map(|t| t.p),
            trend_tau: c.trend.as_ref().map(|t| t.tau),
            bins: c.bins.clone(),
            counts: c.counts.clone(),
            z: c.z.iter().map(|v| (v * 1e9).round() / 1e9).collect(),
        }
    }
}

cell_feature!(EmergingFeature, |f| Some(f.count));

/// A cell centre of `/kde`: the kernel density there, in incidents per km².
#[derive(Debug, Serialize)]
pub struct KdeFeature {
    #[serde(serialize_with = "cell_as_text")]
    pub h3: CellIndex,
    pub density: f64,
}

impl From<KdeCell> for KdeFeature {
    fn from(c: KdeCell) -> Self {
        Self {
            h3: c.cell,
            density: c.density,
        }
    }
}

// A smoothed surface has no count: the handler's minimum bandwidth for anonymous callers
// is what keeps single incidents from showing.
cell_feature!(KdeFeature, |_f| None);

/// A category and how many incidents of it.
#[derive(Debug, Serialize)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
}

/// An hour of the day (0–23, committee's zone) and how many incidents in it.
#[derive(Debug, Serialize)]
pub struct HourCount {
    pub hour: u8,
    pub count: u64,
}

/// An ISO weekday (1 = Monday) and how many incidents on it.
#[derive(Debug, Serialize)]
pub struct WeekdayCount {
    pub iso_weekday: u8,
    pub count: u64,
}

fn categories(top: Vec<(String, u64)>) -> Vec<CategoryCount> {
    top.into_iter()
        .map(|(category, count)| CategoryCount { category, count })
        .collect()
}

/// A hotspot zone of `/hotspots/zones`: contiguous hot cells dissolved into one outline.
#[derive(Debug, Serialize)]
pub struct ZoneFeature {
    pub id: String,
    pub incidents: u64,
    pub share: f64,
    pub area_km2: f64,
    pub cells: usize,
    pub top_categories: Vec<CategoryCount>,
    pub busiest_hours: Vec<HourCount>,
    pub busiest_weekdays: Vec<WeekdayCount>,
    pub cameras: u64,
    pub models: u64,
    pub wards: Vec<String>,
    pub complex_areas: Vec<String>,
    #[serde(skip)]
    pub outline: MultiPolygon<f64>,
}

impl From<Zone> for ZoneFeature {
    fn from(z: Zone) -> Self {
        Self {
            id: z.id,
            incidents: z.incidents,
            share: round_dec6(z.share),
            area_km2: round_dec6(z.area_km2),
            cells: z.cells.len(),
            top_categories: categories(z.top_categories),
            busiest_hours: z
                .busiest_hours
                .into_iter()
                .map(|(hour, count)| HourCount { hour, count })
                .collect(),
            busiest_weekdays: z
                .busiest_weekdays
                .into_iter()
                .map(|(iso_weekday, count)| WeekdayCount { iso_weekday, count })
                .collect(),
            cameras: z.cameras,
            models: z.models,
            wards: z.wards,
            complex_areas: z.complex_areas,
            outline: z.geometry,
        }
    }
}

impl Feature for ZoneFeature {
    fn id(&self) -> FeatureId<'_> {
        FeatureId::Text(&self.id)
    }
    fn geometry(&self) -> Geometry<'_> {
        Geometry::Polygons(&self.outline)
    }
    fn incidents(&self) -> Option<u64> {
        Some(self.incidents)
    }
}

/// A DBSCAN cluster of `/clusters`: its outline, size and time span.
#[derive(Debug, Serialize)]
pub struct ClusterFeature {
    pub id: usize,
    pub count: usize,
    pub core: u64,
    /// The first and last `occurred_at`, in the committee's zone.
    pub first: String,
    pub last: String,
    pub top_categories: Vec<CategoryCount>,
    #[serde(skip)]
    pub outline: MultiPolygon<f64>,
}

impl ClusterFeature {
    #[must_use]
    pub fn new(c: ClusterSummary, zone: &TimeZone) -> Self {
        Self {
            id: c.id,
            count: c.count,
            core: c.core,
            first: zone.format(c.first),
            last: zone.format(c.last),
            top_categories: categories(c.top_categories),
            outline: MultiPolygon::new(vec![c.outline]),
        }
    }
}

impl Feature for ClusterFeature {
    fn id(&self) -> FeatureId<'_> {
        FeatureId::Number(u64::try_from(self.id).unwrap_or(u64::MAX))
    }
    fn geometry(&self) -> Geometry<'_> {
        Geometry::Polygons(&self.outline)
    }
    fn incidents(&self) -> Option<u64> {
        Some(u64::try_from(self.count).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::round_sig6;

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "rounding must land on the doubles nearest these decimals, exactly"
    )]
    fn six_significant_digits_at_every_scale() {
        assert_eq!(round_sig6(0.001_234_567_8), 0.001_234_57);
        assert_eq!(round_sig6(123_456.78), 123_457.0);
        assert_eq!(round_sig6(0.0), 0.0);
        assert!(round_sig6(f64::NAN).is_nan());
    }
}
