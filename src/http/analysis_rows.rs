//! The typed features each analysis answers with: what a client sees of a result, in the
//! order its properties are written (GeoJSON properties and CSV columns alike).
//!
//! The analyses in `crate::analysis` compute in full precision and the API keeps it (every
//! float is written as the shortest decimal that reads back to the same double; rounding is
//! the map page's and the report's job); here their results take the shape of the API:
//! cells as their hexadecimal index, times in the committee's zone, lists of pairs as
//! objects. With `weight=harm` the features gain the harm (days) beside the counts; the last
//! guard of public answers reads the counts.

use geo::MultiPolygon;
use h3o::CellIndex;
use serde::Serialize;

use super::render::{Feature, FeatureId, Geometry, cell_as_text};
use crate::analysis::clusters::ClusterSummary;
use crate::analysis::cube::EmergingCell;
use crate::analysis::density::DensityCell;
use crate::analysis::gistar::GiCell;
use crate::analysis::kde::KdeCell;
use crate::analysis::moran::{MoranCell, Quadrant};
use crate::analysis::zones::Zone;
use crate::domain::time::Zone as TimeZone;

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
    /// Harm in days (`weight=harm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    /// Harm in days per km² (`weight=harm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm_per_km2: Option<f64>,
}

impl From<DensityCell> for DensityFeature {
    fn from(c: DensityCell) -> Self {
        Self {
            h3: c.cell,
            count: c.count,
            per_km2: c.per_km2,
            harm: c.harm.map(|h| h.0),
            harm_per_km2: c.harm.map(|h| h.1),
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
    /// Harm in days (`weight=harm`: Gi* compared harm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    pub gi_z: f64,
    pub gi_p: f64,
    pub gi_q: f64,
    pub gi_bin: i8,
}

impl HotspotFeature {
    /// The feature of `c`, with its harm when `harm` (Gi* ran on harm).
    #[must_use]
    pub fn new(c: &GiCell, bin: i8, harm: bool) -> Self {
        Self {
            h3: c.cell,
            count: c.count,
            harm: harm.then_some(c.value),
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
    /// Harm in days over the slices (`weight=harm`: the z-scores are of harm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    pub category: &'static str,
    pub trend_z: Option<f64>,
    pub trend_p: Option<f64>,
    pub trend_tau: Option<f64>,
    pub bins: Vec<i8>,
    pub counts: Vec<u32>,
    /// Harm in days per slice (`weight=harm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harms: Option<Vec<f64>>,
    /// Gi* z per slice.
    pub z: Vec<f64>,
}

impl From<&EmergingCell> for EmergingFeature {
    fn from(c: &EmergingCell) -> Self {
        Self {
            h3: c.cell,
            count: c.counts.iter().map(|n| u64::from(*n)).sum(),
            harm: c.harm.as_ref().map(|h| h.iter().sum()),
            category: c.category.as_str(),
            trend_z: c.trend.as_ref().map(|t| t.z),
            trend_p: c.trend.as_ref().map(|t| t.p),
            trend_tau: c.trend.as_ref().map(|t| t.tau),
            bins: c.bins.clone(),
            counts: c.counts.clone(),
            harms: c.harm.clone(),
            z: c.z.clone(),
        }
    }
}

cell_feature!(EmergingFeature, |f| Some(f.count));

/// A cell of `/outliers`: local Moran's I (Anselin's LISA), its pseudo p-value, the
/// Benjamini–Hochberg q, and the quadrant of the Moran scatterplot.
#[derive(Debug, Serialize)]
pub struct MoranFeature {
    #[serde(serialize_with = "cell_as_text")]
    pub h3: CellIndex,
    pub count: u32,
    /// Harm in days (`weight=harm`: the statistic compared harm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    pub local_i: f64,
    pub p_sim: f64,
    pub q_fdr: f64,
    pub quadrant: Quadrant,
    pub significant: bool,
}

impl MoranFeature {
    /// The feature of `c`, whose cell holds `count` incidents; with its harm when `harm`.
    #[must_use]
    pub fn new(c: &MoranCell, count: u32, harm: bool) -> Self {
        Self {
            h3: c.cell,
            count,
            harm: harm.then_some(c.value),
            local_i: c.local_i,
            p_sim: c.p_sim,
            q_fdr: c.q_fdr,
            quadrant: c.quadrant,
            significant: c.significant,
        }
    }
}

cell_feature!(MoranFeature, |f| Some(f.count.into()));

/// A cell centre of `/kde`: the kernel density there, in incidents per km² (harm in days
/// per km² with `weight=harm`).
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
    /// Harm in days (`weight=harm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    /// The zone's share of all the harm (`weight=harm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm_share: Option<f64>,
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
            share: z.share,
            harm: z.harm.map(|h| h.0),
            harm_share: z.harm.map(|h| h.1),
            area_km2: z.area_km2,
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

/// A DBSCAN cluster as anonymous callers see it (issue 18): the cells holding its members,
/// dissolved; their published counts added up. No member count, core or times.
#[derive(Debug, Serialize)]
pub struct PublicClusterFeature {
    pub id: usize,
    /// Cells (at the public resolution) the outline is made of.
    pub cells: usize,
    /// The sum of the cells' published counts.
    pub incidents: u64,
    pub top_categories: Vec<CategoryCount>,
    #[serde(skip)]
    pub outline: MultiPolygon<f64>,
}

impl PublicClusterFeature {
    #[must_use]
    pub fn new(
        id: usize,
        incidents: u64,
        top_categories: Vec<(String, u64)>,
        outline: MultiPolygon<f64>,
        cells: usize,
    ) -> Self {
        Self {
            id,
            cells,
            incidents,
            top_categories: categories(top_categories),
            outline,
        }
    }
}

impl Feature for PublicClusterFeature {
    fn id(&self) -> FeatureId<'_> {
        FeatureId::Number(u64::try_from(self.id).unwrap_or(u64::MAX))
    }
    fn geometry(&self) -> Geometry<'_> {
        Geometry::Polygons(&self.outline)
    }
    fn incidents(&self) -> Option<u64> {
        Some(self.incidents)
    }
}
