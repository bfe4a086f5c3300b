//! Key performance indicators of an area over a period, against the committee's targets
//! (the review of the conversion programme of complex areas, chương trình chuyển hóa địa bàn
//! phức tạp; the same indicators serve wards and districts).
//!
//! **Counting.** An incident belongs to the area when its point lies inside the area's
//! polygons: candidates from the index's R-tree pages within the area's bounding box, then
//! the exact `geo` predicate (points exactly on the boundary are outside). Periods are
//! half-open `[from, to)` in Unix seconds; years and months are the committee's (see
//! `domain::period`, which also defines "the same period a year earlier", 29 February
//! mapping to 28 February). One pass over the candidates fills the period, the previous
//! period and each month of both.
//!
//! **Indicators.**
//! - `change_pct` = (cases − cases a year earlier) / cases a year earlier × 100; `None`
//!   ("n/a") when there were no cases a year earlier — never a division by zero. The case
//!   target is met when `change_pct ≤ targets.case_change_pct` (default −5).
//! - Is the change real? `change_p` is the exact two-sided p value of "no change" (given
//!   the n cases of both periods, this period's are Binomial(n, ½)), `rate_ratio` = cases /
//!   cases a year earlier with its 95% Clopper–Pearson interval (`rate_ratio_low`,
//!   `rate_ratio_high`); see [`super::rates`]. The periods have the same length and the
//!   area one population, so the count ratio is the rate ratio. `target_significant` = the
//!   case target is met and p < 0.05 (met / met and significant / not met). The monthly
//!   series has the same test per month (months have no target).
//! - `clearance_rate` = solved / cases (`None` without cases); `clearance_rate_serious` the
//!   same over very serious and especially serious cases (Penal Code art. 9, classes 3–4).
//! - `rate_per_10k` = cases / residents × 10,000 (`None` when the population is unknown or
//!   zero). One population figure is stored per area, so the rate's change equals the
//!   cases' change; the rate target is "down" (change < 0).
//! - `rate_per_10k_eb`, `rate_per_10k_seb`: for a ward, its rate smoothed by Empirical
//!   Bayes towards the city-wide rate of all wards, and towards the rate of the ward and
//!   the wards it touches ([`WardRates`]: esda's `Empirical_Bayes` and
//!   `Spatial_Empirical_Bayes` over every ward with a population). `None` for districts
//!   and complex areas (they are not units of the ward table the prior is estimated from)
//!   and for a ward without population.
//! - Cameras and self-managed models inside the polygons, installed or established before
//!   the period's end (or undated): count, per km² (geodesic area), per 10,000 residents.
//! - Hotspots: Getis-Ord Gi* over every incident of the period in the whole city (the
//!   analysis engine's defaults: resolution 9, k = 1, k-ring study set, Benjamini–Hochberg
//!   FDR, bin ≥ 2, i.e. 95%), then the hot cells among the area's H3 cover (cells inside or
//!   touching it) and the hotspot zones that share a cell with the cover. Target: none.
//! - Traffic lights: green when a target is met; amber when cases fell but not enough, the
//!   rate stayed flat, or a clearance rate is within 10 points of its target; red otherwise;
//!   grey when the indicator is n/a.
//!
//! **Precision.** Every number keeps full precision: rounding is for display (the map page
//! and the report round as they write; `change_pct_text` is the one text here).
//!
//! Complexity: one R-tree walk over the area's bounding box for the incidents (O(pages +
//! candidates)); the hot sets are computed once per period by the caller and shared by
//! every area.

use std::collections::HashMap;

use geo::{BoundingRect, Contains, GeodesicArea};
use h3o::{CellIndex, Resolution};
use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

use super::gistar::{BinBy, GiParams, HotRule, Study, hotspots};
use super::rates::{ChangeTest, change_test, eb_global, eb_spatial, queen_neighbours};
use super::zones::{ZoneParams, zones};
use crate::domain::{Area, AreaKind, Period, Severity, Targets};
use crate::index::{BBox, CategoryRef, Filter, Snapshot};

/// Hotspot resolution of the KPIs (the analyses' default; areas' covers are cached at it).
pub const HOT_RES: Resolution = crate::index::areas::COVER_RES;
/// Gi* neighbourhood radius (the analyses' default).
pub const HOT_K: u32 = 1;
/// Smallest Gi* bin that makes a cell hot (95% confidence, as `/hotspots/zones`).
pub const HOT_MIN_BIN: i8 = 2;
/// The Gi* run of the KPIs: the analyses' defaults at [`HOT_RES`] and [`HOT_K`], no size
/// limit (a city's period at resolution 9 is small).
pub const HOT_GI: GiParams = GiParams {
    res: HOT_RES,
    k: HOT_K,
    study: Study::Kring,
    bin_by: BinBy::FdrQ,
    max_cells: None,
};
/// What makes a cell hot in the KPIs: bin ≥ [`HOT_MIN_BIN`] on the BH q.
pub const HOT_RULE: HotRule = HotRule {
    by: HOT_GI.bin_by,
    min_bin: HOT_MIN_BIN,
};
/// Points below a target at which a clearance light turns amber rather than red.
pub const AMBER_MARGIN: f64 = 0.10;

/// What a [`HotSet`] holds besides its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HotDetail {
    /// The hot cells only.
    Cells,
    /// The hot cells and their zones.
    CellsAndZones,
}

/// Hot cells of one period over the whole city.
#[derive(Debug, Clone, Default)]
pub struct HotSet {
    /// Hot cells, sorted.
    pub cells: Vec<CellIndex>,
    /// Zones of contiguous hot cells (only when asked for).
    pub zones: Vec<ZoneBrief>,
    /// Why Gi* could not be computed (too few cells, no variance): no cell is hot then.
    pub note: Option<String>,
}

/// A hotspot zone as the KPIs report it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneBrief {
    /// The zone's id, as `/api/v1/hotspots/zones` gives it.
    pub id: String,
    /// Incidents of the period in the zone (city-wide, not only inside the area).
    pub incidents: u64,
    pub cells: usize,
    pub area_km2: f64,
    #[serde(skip)]
    pub cell_ids: Vec<CellIndex>,
}

/// Gi* hot cells of `period` over every incident in the city ([`HOT_GI`], [`HOT_RULE`]),
/// and their zones when `detail` asks for them.
#[must_use]
pub fn hot_set(snap: &Snapshot, period: Period, detail: HotDetail, tz: &TimeZone) -> HotSet {
    let filter = Filter {
        from: Some(period.from),
        to: Some(period.to),
        ..Filter::default()
    };
    match hotspots(&snap.incidents, &filter, &HOT_GI) {
        Err(e) => HotSet {
            note: Some(e.to_string()),
            ..HotSet::default()
        },
        Ok(gi) => {
            let mut cells: Vec<CellIndex> = gi
                .cells
                .iter()
                .filter(|c| HOT_RULE.is_hot(c))
                .map(|c| c.cell)
                .collect();
            cells.sort_unstable();
            let zones = if detail == HotDetail::CellsAndZones {
                let p = ZoneParams {
                    filter: &filter,
                    res: HOT_RES,
                    hot: HOT_RULE,
                    tz,
                };
                zones(snap, &gi.cells, &p)
                    .into_iter()
                    .map(|z| ZoneBrief {
                        id: z.id,
                        incidents: z.incidents,
                        cells: z.cells.len(),
                        area_km2: z.area_km2,
                        cell_ids: z.cells,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            HotSet {
                cells,
                zones,
                note: None,
            }
        }
    }
}

/// A traffic light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    Green,
    Amber,
    Red,
    /// Not applicable (no data to judge by).
    Grey,
}

/// One light per indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Lights {
    pub cases: Light,
    pub rate_per_10k: Light,
    pub clearance: Light,
    pub clearance_serious: Light,
    pub hotspots: Light,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryKpi {
    pub category: String,
    pub incidents: u64,
    pub incidents_previous: u64,
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityKpi {
    pub severity: Severity,
    pub incidents: u64,
    pub incidents_previous: u64,
    pub change_pct: Option<f64>,
    pub solved: u64,
    pub clearance_rate: Option<f64>,
}

/// The indicators of one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthKpis {
    /// `YYYY-MM` in the committee's zone.
    pub month: String,
    pub incidents: u64,
    pub incidents_previous: u64,
    pub change_pct: Option<f64>,
    /// Exact two-sided p value of "no change" against the same month a year earlier.
    pub change_p: Option<f64>,
    /// `incidents / incidents_previous`; `null` without cases a year earlier.
    pub rate_ratio: Option<f64>,
    /// Lower end of the ratio's 95% interval (0 without cases this month).
    pub rate_ratio_low: Option<f64>,
    /// Upper end; `null` without cases a year earlier.
    pub rate_ratio_high: Option<f64>,
    pub solved: u64,
    pub clearance_rate: Option<f64>,
    pub serious: u64,
    pub serious_solved: u64,
    pub clearance_rate_serious: Option<f64>,
    pub rate_per_10k: Option<f64>,
    pub rate_per_10k_previous: Option<f64>,
    /// Cameras and models inside, installed or established before the month's end.
    pub cameras: u64,
    pub models: u64,
    /// Hot cells of that month's own Gi* inside or touching the area.
    pub hot_cells: usize,
}

/// Every indicator of an area over a period (see the module documentation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaKpis {
    pub incidents: u64,
    pub incidents_previous: u64,
    /// Percent; `null` when there were no cases a year earlier, or no data then
    /// (`previous_covered` false).
    pub change_pct: Option<f64>,
    /// Whether the data reach back into the period a year earlier (the first recorded
    /// incident came before its end). When not, every comparison with it — `change_pct`,
    /// `target_met`, the exact test and the rate ratio — is `null`: before the data begin,
    /// "no cases" means "not recorded", not "none".
    pub previous_covered: bool,
    /// `change_pct` as text, `"n/a"` when it is null.
    pub change_pct_text: String,
    /// Whether `change_pct ≤ targets.case_change_pct`; `null` when n/a.
    pub target_met: Option<bool>,
    /// Exact two-sided p value of "no change" (conditional binomial test); `null` without
    /// cases in either period.
    pub change_p: Option<f64>,
    /// `incidents / incidents_previous` (the rate ratio: same length, same population);
    /// `null` without cases a year earlier.
    pub rate_ratio: Option<f64>,
    /// Lower end of the ratio's 95% Clopper–Pearson interval: 0 without cases this period,
    /// `null` without cases in either.
    pub rate_ratio_low: Option<f64>,
    /// Upper end: `null` without cases a year earlier (unbounded) or in either.
    pub rate_ratio_high: Option<f64>,
    /// The case target is met and the change is significant (`change_p` < 0.05); `null`
    /// when the target is n/a.
    pub target_significant: Option<bool>,
    pub by_category: Vec<CategoryKpi>,
    pub by_severity: Vec<SeverityKpi>,
    pub solved: u64,
    pub solved_previous: u64,
    /// Fraction 0–1; `null` without cases.
    pub clearance_rate: Option<f64>,
    pub clearance_rate_previous: Option<f64>,
    pub clearance_target_met: Option<bool>,
    /// Very serious and especially serious cases.
    pub serious: u64,
    pub serious_solved: u64,
    pub clearance_rate_serious: Option<f64>,
    pub clearance_rate_serious_previous: Option<f64>,
    pub clearance_serious_target_met: Option<bool>,
    /// Residents; `null` when unknown.
    pub population: Option<u64>,
    pub rate_per_10k: Option<f64>,
    pub rate_per_10k_previous: Option<f64>,
    pub rate_per_10k_change_pct: Option<f64>,
    /// Whether the rate went down; `null` when n/a.
    pub rate_target_met: Option<bool>,
    /// For a ward: its rate per 10,000 smoothed by Empirical Bayes towards the rate of all
    /// wards; `null` for other areas and without population.
    pub rate_per_10k_eb: Option<f64>,
    /// For a ward: the same towards the rate of the ward and the wards it touches.
    pub rate_per_10k_seb: Option<f64>,
    /// Geodesic area of the polygons.
    pub area_km2: f64,
    pub cameras: u64,
    pub cameras_active: u64,
    pub cameras_per_km2: f64,
    pub cameras_per_10k: Option<f64>,
    pub models: u64,
    pub models_active: u64,
    pub models_per_km2: f64,
    pub models_per_10k: Option<f64>,
    /// H3 resolution of the hotspot analysis.
    #[serde(serialize_with = "resolution_as_integer")]
    #[schema(value_type = u8)]
    pub hotspot_res: Resolution,
    /// Hot cells inside or touching the area.
    pub hot_cells: usize,
    pub hot_cell_ids: Vec<String>,
    /// Hotspot zones that share a cell with the area's cover.
    pub hotspot_zones: Vec<ZoneBrief>,
    /// True when no hot cell is inside or touching the area; None when that cannot be
    /// judged (Gi* could not run for the period: see `hotspots_note`).
    pub hotspots_target_met: Option<bool>,
    /// Why Gi* had nothing to say for this period, if so.
    pub hotspots_note: Option<String>,
    pub traffic_lights: Lights,
    /// Empty unless asked for.
    pub monthly: Vec<MonthKpis>,
}

/// The exact test of a change from `prev` to `cur` cases; nothing (n/a) when the data do
/// not reach back into the earlier period (`covered` false: its "0" means "not recorded").
#[must_use]
pub fn compared(covered: bool, cur: u64, prev: u64) -> ChangeTest {
    if covered {
        change_test(cur, prev)
    } else {
        ChangeTest::default()
    }
}

/// What [`kpis`] needs besides the snapshot.
pub struct KpiInput<'a> {
    pub area: &'a Area,
    /// The area's H3 cover at [`HOT_RES`], sorted.
    pub cover: &'a [CellIndex],
    pub period: Period,
    pub previous: Period,
    /// (label, month, the same month a year earlier), in order; empty for no series.
    pub months: &'a [(String, Period, Period)],
    pub targets: Targets,
    pub hot: &'a HotSet,
    /// One hot set per month of `months` (ignored when its length differs).
    pub monthly_hot: &'a [std::sync::Arc<HotSet>],
    /// The period's Empirical-Bayes ward rates (needed only when the area is a ward).
    pub wards: Option<&'a WardRates>,
}

/// Incidents of `period` inside `area`'s polygons (the KPIs' own count).
fn count_in(snap: &Snapshot, area: &Area, period: Period) -> u64 {
    let mp = area.data.geometry.multi_polygon();
    let bbox = mp
        .bounding_rect()
        .and_then(|r| BBox::new(r.min().x, r.min().y, r.max().x, r.max().y).ok());
    let filter = Filter {
        bbox,
        from: Some(period.from),
        to: Some(period.to),
        within: Some(std::sync::Arc::new(mp.clone())),
        ..Filter::default()
    };
    let mut n = 0u64;
    snap.incidents.for_each(&filter, |_, _| n += 1);
    n
}

/// Empirical-Bayes rates of every ward with a population over one period: the ward
/// table's counts (each ward's incidents, counted as the KPIs count them), global EB
/// towards the rate of all these wards and spatial EB towards the rate of each ward and the
/// wards whose polygons touch it (queen contiguity, [`queen_neighbours`]). Computed once
/// per data version and period by the caller, shared by every ward's KPIs.
#[derive(Debug, Clone, Default)]
pub struct WardRates {
    /// Area ids of the wards, ascending (the area layer's order).
    pub ids: Vec<i64>,
    /// Their positions in the area layer.
    pub positions: Vec<usize>,
    pub population: Vec<u64>,
    /// Incidents of the period in each ward.
    pub events: Vec<u64>,
    /// Each ward's neighbours, as indices into these lists, ascending.
    pub neighbours: Vec<Vec<usize>>,
    /// Smoothed rates per resident: global and spatial EB.
    pub eb: Vec<f64>,
    pub seb: Vec<f64>,
}

impl WardRates {
    /// The wards with a population in `snap` and their rates over `period`.
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    #[must_use]
    pub fn new(snap: &Snapshot, period: Period) -> Self {
        let (positions, population): (Vec<usize>, Vec<u64>) = snap
            .areas
            .areas()
            .iter()
            .enumerate()
            .filter(|(_, a)| a.data.kind == AreaKind::Ward)
            .filter_map(|(i, a)| a.data.population.filter(|p| *p > 0).map(|p| (i, p)))
            .unzip();
        let areas = snap.areas.areas();
        let events: Vec<u64> = positions
            .iter()
            .map(|i| count_in(snap, &areas[*i], period))
            .collect();
        let shapes: Vec<&geo::MultiPolygon<f64>> = positions
            .iter()
            .map(|i| areas[*i].data.geometry.multi_polygon())
            .collect();
        let neighbours = queen_neighbours(&shapes);
        let e: Vec<f64> = events.iter().map(|n| *n as f64).collect();
        let b: Vec<f64> = population.iter().map(|n| *n as f64).collect();
        Self {
            ids: positions.iter().map(|i| areas[*i].id).collect(),
            eb: eb_global(&e, &b),
            seb: eb_spatial(&e, &b, &neighbours),
            positions,
            population,
            events,
            neighbours,
        }
    }

    /// The smoothed rates per 10,000 residents (global, spatial) of the ward with this id.
    #[must_use]
    pub fn per_10k(&self, area_id: i64) -> Option<(f64, f64)> {
        let i = self.ids.binary_search(&area_id).ok()?;
        Some((self.eb.get(i)? * 10_000.0, self.seb.get(i)? * 10_000.0))
    }
}

#[derive(Debug, Default, Clone)]
struct Tally {
    incidents: u64,
    solved: u64,
    serious: u64,
    serious_solved: u64,
    by_severity: [(u64, u64); 4],
    by_category: HashMap<CategoryRef, u64>,
}

impl Tally {
    fn add(&mut self, category: CategoryRef, flags: u8) {
        let severity = Severity::from_code(flags);
        let solved = flags & 4 != 0;
        self.incidents += 1;
        self.solved += u64::from(solved);
        if severity.is_grave() {
            self.serious += 1;
            self.serious_solved += u64::from(solved);
        }
        let s = &mut self.by_severity[usize::from(severity.code())];
        s.0 += 1;
        s.1 += u64::from(solved);
        *self.by_category.entry(category).or_default() += 1;
    }
}

/// A resolution as its number, as the API gives it (h3o's serde support is not enabled).
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature serde's serialize_with calls"
)]
fn resolution_as_integer<S: serde::Serializer>(res: &Resolution, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*res))
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Percent change from `prev` to `cur`; `None` when `prev` is 0.
#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
#[must_use]
pub fn change_pct(cur: u64, prev: u64) -> Option<f64> {
    (prev > 0).then(|| (cur as f64 - prev as f64) / prev as f64 * 100.0)
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn per_10k(n: u64, population: Option<u64>) -> Option<f64> {
    population
        .filter(|p| *p > 0)
        .map(|p| n as f64 / p as f64 * 10_000.0)
}

fn clearance_light(rate: Option<f64>, target: f64) -> Light {
    match rate {
        None => Light::Grey,
        Some(r) if r >= target => Light::Green,
        Some(r) if r >= target - AMBER_MARGIN => Light::Amber,
        Some(_) => Light::Red,
    }
}

/// The intersection of two sorted cell lists.
fn common(a: &[CellIndex], sorted: &[CellIndex]) -> Vec<CellIndex> {
    a.iter()
        .filter(|c| sorted.binary_search(c).is_ok())
        .copied()
        .collect()
}

/// Every indicator of `input.area` (see the module documentation).
#[must_use]
pub fn kpis(snap: &Snapshot, input: &KpiInput<'_>) -> AreaKpis {
    let area = input.area;
    let mp = area.data.geometry.multi_polygon();
    let bbox = mp
        .bounding_rect()
        .and_then(|r| BBox::new(r.min().x, r.min().y, r.max().x, r.max().y).ok());
    let (cur_p, prev_p) = (input.period, input.previous);
    let filter = Filter {
        bbox,
        from: Some(cur_p.from.min(prev_p.from)),
        to: Some(cur_p.to.max(prev_p.to)),
        within: Some(std::sync::Arc::new(mp.clone())),
        ..Filter::default()
    };
    let months = input.months;
    let (mut cur, mut prev) = (Tally::default(), Tally::default());
    let mut cur_m = vec![Tally::default(); months.len()];
    let mut prev_m = vec![0u64; months.len()];
    let month_of = |t: i64, pick: fn(&(String, Period, Period)) -> Period| -> Option<usize> {
        let i = months
            .partition_point(|m| pick(m).from <= t)
            .checked_sub(1)?;
        pick(&months[i]).contains(t).then_some(i)
    };
    snap.incidents.for_each(&filter, |seg, i| {
        let t = seg.time[i];
        if cur_p.contains(t) {
            cur.add(seg.category[i], seg.flags[i]);
            if let Some(m) = month_of(t, |m| m.1) {
                cur_m[m].add(seg.category[i], seg.flags[i]);
            }
        }
        if prev_p.contains(t) {
            prev.add(seg.category[i], seg.flags[i]);
            if let Some(m) = month_of(t, |m| m.2) {
                prev_m[m] += 1;
            }
        }
    });

    let population = area.data.population.filter(|p| *p > 0);
    let area_km2 = mp.geodesic_area_unsigned() / 1e6;
    let inside = |lon: f64, lat: f64| mp.contains(&geo::Point::new(lon, lat));
    // (installed or established, active) of the points inside.
    let cameras: Vec<(Option<i64>, bool)> = snap
        .cameras
        .in_bbox(bbox.as_ref())
        .into_iter()
        .map(|i| &snap.cameras.records()[i].data)
        .filter(|c| inside(c.location.lon(), c.location.lat()))
        .map(|c| (c.installed_at, c.active))
        .collect();
    let models: Vec<(Option<i64>, bool)> = snap
        .models
        .in_bbox(bbox.as_ref())
        .into_iter()
        .map(|i| &snap.models.records()[i].data)
        .filter(|m| inside(m.location.lon(), m.location.lat()))
        .map(|m| (m.established_at, m.active))
        .collect();
    let present = |list: &[(Option<i64>, bool)], end: i64| -> (u64, u64) {
        list.iter()
            .filter(|(since, _)| since.is_none_or(|s| s < end))
            .fold((0, 0), |(n, a), (_, active)| {
                (n + 1, a + u64::from(*active))
            })
    };
    let (n_cameras, cameras_active) = present(&cameras, cur_p.to);
    let (n_models, models_active) = present(&models, cur_p.to);
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let per_km2 = |n: u64| {
        if area_km2 > 0.0 {
            n as f64 / area_km2
        } else {
            0.0
        }
    };

    // A comparison with a year earlier needs data from then: when the first recorded
    // incident comes after that period ended, its "no cases" means "not yet recorded", and
    // 0 → n would read as a significant rise. Such a comparison is n/a (null), like one
    // without cases a year earlier.
    let covered = |p: &Period| snap.incidents.first_time().is_some_and(|f| f < p.to);
    let previous_covered = covered(&input.previous);
    let change = change_pct(cur.incidents, prev.incidents).filter(|_| previous_covered);
    let target_met = change.map(|c| c <= input.targets.case_change_pct);
    let test = compared(previous_covered, cur.incidents, prev.incidents);
    let target_significant = target_met.map(|met| met && test.significant().is_some_and(|s| s));
    let (rate_eb, rate_seb) = input
        .wards
        .filter(|_| area.data.kind == AreaKind::Ward)
        .and_then(|w| w.per_10k(area.id))
        .unzip();
    let clearance = ratio(cur.solved, cur.incidents);
    let clearance_serious = ratio(cur.serious_solved, cur.serious);
    let rate = per_10k(cur.incidents, population);
    let rate_prev = per_10k(prev.incidents, population);
    let rate_change = match (rate, rate_prev) {
        (Some(r), Some(p)) if p > 0.0 => Some((r - p) / p * 100.0),
        _ => None,
    };

    let hot_here = common(input.cover, &input.hot.cells);
    // Whether "no hotspot left standing" can be judged at all: not when Gi* could not run
    // for the period (too few cells, no variance) or the area has no cover (an invalid
    // stored geometry). An empty `hot_here` then means "unknown", not "met".
    let hot_known = input.hot.note.is_none() && !input.cover.is_empty();
    let hotspots_target_met = hot_known.then_some(hot_here.is_empty());
    let zones: Vec<ZoneBrief> = input
        .hot
        .zones
        .iter()
        .filter(|z| {
            z.cell_ids
                .iter()
                .any(|c| input.cover.binary_search(c).is_ok())
        })
        .cloned()
        .collect();

    let lights = Lights {
        cases: match change {
            None => Light::Grey,
            Some(c) if c <= input.targets.case_change_pct => Light::Green,
            Some(c) if c <= 0.0 => Light::Amber,
            Some(_) => Light::Red,
        },
        rate_per_10k: match rate_change.and_then(|c| c.partial_cmp(&0.0)) {
            None => Light::Grey,
            Some(std::cmp::Ordering::Less) => Light::Green,
            Some(std::cmp::Ordering::Equal) => Light::Amber,
            Some(std::cmp::Ordering::Greater) => Light::Red,
        },
        clearance: clearance_light(clearance, input.targets.clearance_rate),
        clearance_serious: clearance_light(clearance_serious, input.targets.clearance_rate_serious),
        hotspots: match hotspots_target_met {
            None => Light::Grey,
            Some(true) => Light::Green,
            Some(false) => Light::Red,
        },
    };

    let cats = snap.incidents.categories();
    let mut by_category: Vec<CategoryKpi> = cur
        .by_category
        .keys()
        .chain(prev.by_category.keys())
        .copied()
        .collect::<std::collections::BTreeSet<CategoryRef>>()
        .into_iter()
        .map(|c| {
            let a = cur.by_category.get(&c).copied().unwrap_or(0);
            let b = prev.by_category.get(&c).copied().unwrap_or(0);
            CategoryKpi {
                category: cats.code(c).to_owned(),
                incidents: a,
                incidents_previous: b,
                change_pct: change_pct(a, b).filter(|_| previous_covered),
            }
        })
        .collect();
    by_category.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then(b.incidents_previous.cmp(&a.incidents_previous))
            .then_with(|| a.category.cmp(&b.category))
    });
    let by_severity = Severity::ALL
        .iter()
        .map(|s| {
            let (n, solved) = cur.by_severity[usize::from(s.code())];
            let (p, _) = prev.by_severity[usize::from(s.code())];
            SeverityKpi {
                severity: *s,
                incidents: n,
                incidents_previous: p,
                change_pct: change_pct(n, p).filter(|_| previous_covered),
                solved,
                clearance_rate: ratio(solved, n),
            }
        })
        .collect();

    let monthly_hot = (input.monthly_hot.len() == months.len()).then_some(input.monthly_hot);
    let monthly = months
        .iter()
        .enumerate()
        .map(|(i, (label, m, m_prev))| {
            let t = &cur_m[i];
            let p = prev_m[i];
            let covered = covered(m_prev);
            let test = compared(covered, t.incidents, p);
            MonthKpis {
                month: label.clone(),
                incidents: t.incidents,
                incidents_previous: p,
                change_pct: change_pct(t.incidents, p).filter(|_| covered),
                change_p: test.p,
                rate_ratio: test.rate_ratio,
                rate_ratio_low: test.low,
                rate_ratio_high: test.high,
                solved: t.solved,
                clearance_rate: ratio(t.solved, t.incidents),
                serious: t.serious,
                serious_solved: t.serious_solved,
                clearance_rate_serious: ratio(t.serious_solved, t.serious),
                rate_per_10k: per_10k(t.incidents, population),
                rate_per_10k_previous: per_10k(p, population),
                cameras: present(&cameras, m.to).0,
                models: present(&models, m.to).0,
                hot_cells: monthly_hot.map_or(0, |h| common(input.cover, &h[i].cells).len()),
            }
        })
        .collect();

    AreaKpis {
        incidents: cur.incidents,
        incidents_previous: prev.incidents,
        change_pct: change,
        change_pct_text: change.map_or_else(|| "n/a".to_owned(), |v| format!("{v:+.1}%")),
        previous_covered,
        target_met,
        change_p: test.p,
        rate_ratio: test.rate_ratio,
        rate_ratio_low: test.low,
        rate_ratio_high: test.high,
        target_significant,
        by_category,
        by_severity,
        solved: cur.solved,
        solved_previous: prev.solved,
        clearance_rate: clearance,
        clearance_rate_previous: ratio(prev.solved, prev.incidents),
        clearance_target_met: clearance.map(|r| r >= input.targets.clearance_rate),
        serious: cur.serious,
        serious_solved: cur.serious_solved,
        clearance_rate_serious: clearance_serious,
        clearance_rate_serious_previous: ratio(prev.serious_solved, prev.serious),
        clearance_serious_target_met: clearance_serious
            .map(|r| r >= input.targets.clearance_rate_serious),
        population,
        rate_per_10k: rate,
        rate_per_10k_previous: rate_prev,
        rate_per_10k_change_pct: rate_change,
        rate_target_met: rate_change.map(|c| c < 0.0),
        rate_per_10k_eb: rate_eb,
        rate_per_10k_seb: rate_seb,
        area_km2,
        cameras: n_cameras,
        cameras_active,
        cameras_per_km2: per_km2(n_cameras),
        cameras_per_10k: per_10k(n_cameras, population),
        models: n_models,
        models_active,
        models_per_km2: per_km2(n_models),
        models_per_10k: per_10k(n_models, population),
        hotspot_res: HOT_RES,
        hot_cells: hot_here.len(),
        hot_cell_ids: hot_here.iter().map(ToString::to_string).collect(),
        hotspot_zones: zones,
        hotspots_target_met,
        hotspots_note: input.hot.note.clone(),
        traffic_lights: lights,
        monthly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_and_ratios_never_divide_by_zero() {
        assert_eq!(change_pct(3, 0), None);
        assert_eq!(change_pct(0, 0), None);
        assert_eq!(change_pct(9, 10), Some(-10.0));
        assert_eq!(ratio(1, 0), None);
        assert_eq!(per_10k(5, None), None);
        assert_eq!(per_10k(5, Some(0)), None);
        assert_eq!(per_10k(5, Some(1000)), Some(50.0));
        assert_eq!(clearance_light(None, 0.75), Light::Grey);
        assert_eq!(clearance_light(Some(0.75), 0.75), Light::Green);
        assert_eq!(clearance_light(Some(0.70), 0.75), Light::Amber);
        assert_eq!(clearance_light(Some(0.60), 0.75), Light::Red);
    }
}
