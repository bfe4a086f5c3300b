//! Seeded generator of realistic **synthetic** Ho Chi Minh City data for demos, benchmarks and
//! tests: incidents, cameras, self-managed models (mô hình tự quản) and the area polygons
//! (wards, districts, complex areas / địa bàn phức tạp) that the importer reads.
//!
//! Nothing here is real crime data. Place names, street names and landmark coordinates are real
//! enough that a committee member recognises the map; every count, time and attribute is drawn
//! from the model below.
//!
//! # Determinism
//! Everything comes from one [`ChaCha8Rng`] seeded with [`SampleConfig::seed`], consumed in a fixed
//! order: ward-grid jitter → ward populations → clusters → complex areas → incidents → cameras →
//! models. The same seed and counts give byte-identical files (on one platform: a few weights use
//! `sin`/`cos`, whose last bit may differ between C libraries). No clock, no thread RNG, no hash-map
//! iteration order is involved.
//!
//! # Geography
//! * **Wards** (phường): an 11 × 8 grid over the urban core (lon 106.600–106.800, lat
//!   10.720–10.860) whose grid lines follow the real layout loosely (narrower columns and rows in
//!   the centre, where wards are small). Every interior grid vertex is jittered by at most 20 % of
//!   the neighbouring spacing on each axis (so every quad stays convex); vertices on the outer
//!   edge move only along that edge, so the tiling's extent stays the exact rectangle. A ward is
//!   the quad of four neighbouring vertices, so wards share edges with no gaps or overlaps.
//!   Populations are 10,000–45,000.
//! * **Districts** (quận): 12 rectangular blocks of wards named and placed roughly where the real
//!   districts are (Quận 1 holds chợ Bến Thành and Bùi Viện, Bình Thạnh holds Hàng Xanh, …). A
//!   district's polygon walks the same jittered vertices around its block, so it equals the union
//!   of its wards; its population is the sum of theirs. Wards are named `Phường N`, numbered
//!   within their district, so **ward names repeat across districts** (as they did in HCMC);
//!   codes (`ward-q1-03`) are unique.
//! * **Complex areas** (địa bàn phức tạp): 20 star-shaped simple polygons (8–12 vertices, radius
//!   250–700 m). 17 sit on incident clusters — including the fading ones (areas designated in 2023
//!   that were since turned around) — but none on the three *new* clusters: those are the
//!   emerging hotspots that no one has designated yet, which is what a hotspot analysis should
//!   find. Three sit on quiet places (designated, but with no excess of incidents). Two have no
//!   population on purpose, so importers must accept a missing `population`.
//!
//! # Incidents
//! About 55 % of incidents come from 25 **clusters** centred on real landmarks (markets, the
//! Bùi Viện nightlife street, bus stations, the Tân Thuận export-processing zone, drug spots by
//! canals…), each an isotropic Gaussian with σ = 80–400 m, its own category mix (market: theft and
//! snatching; nightlife: drugs, assault, disorder; worker housing: theft, gambling, loan sharking;
//! new urban areas: fraud and high-tech crime), and its own **temporal profile** over the 24
//! months of 2023–2024:
//! * *persist* — flat with a mild yearly wave;
//! * *grow* — intensity rising from ~0.35 to ~2 (Q4 2024 ≫ Q1 2023);
//! * *fade* — strong in 2023, declining to zero by mid/late 2024 (a successful crackdown);
//! * *new* — absent until the last 3–6 months, then intense (emerging hotspots);
//! * *oscillate* — a 5–8-month wave (tourist seasons, school terms).
//!
//! The rest is **background**: a ward drawn in proportion to its population and a uniform point
//! inside it, with a city-wide category mix. So a Gi* or emerging-hotspot analysis has true
//! positives of every trend type, and a population-weighted baseline to be compared against.
//!
//! Times have minute resolution in `Asia/Ho_Chi_Minh` local time (+07:00). The day is drawn from
//! the cluster's trend × a **weekly rhythm** (Friday and Saturday highest) × a **seasonal**
//! factor (more theft in the three weeks before Tết, a dip during the Tết holiday, a busier
//! December). The hour is drawn from a **daily rhythm** chosen by category: street crime peaks
//! 18:00–23:00 with a trough 03:00–06:00 and is boosted further on Friday/Saturday evenings;
//! theft and fraud around markets add a midday bump; drugs, gambling and prostitution peak late
//! at night; fraud, high-tech crime and loan sharking follow office hours (when they are
//! reported).
//!
//! Severity depends on the category (overall roughly 55/30/12/3 % from less serious to especially
//! serious; robbery and murder skew serious). Clearance is 55–90 % by category, higher for more
//! serious cases, and lower for the last 60 days (investigations still open).
//!
//! Cameras cluster around hotspots and along ten main roads, plus a population-weighted
//! background; models follow the kinds of the default catalogue and sit where they would
//! (safe-market models at markets, worker boarding houses near industrial zones, safe streets on
//! main roads).
//!
//! # Files
//! `tables.rs` holds every constant the model draws from (the ward grid, districts and their
//! streets, categories, mixes, clusters, rhythms, Tết, main roads, kinds); `city.rs` the wards,
//! districts and point placement; `clusters.rs`, `complex.rs`, `incidents.rs`, `cameras.rs` and
//! `models.rs` one builder each, which `build` calls in the order above; `write.rs` the four
//! files.

mod cameras;
mod city;
mod clusters;
mod complex;
mod incidents;
mod models;
mod tables;
#[cfg(test)]
mod tests;
mod write;

use std::fs;
use std::io;
use std::path::Path;

use jiff::civil::Date;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use cameras::{Camera, build_cameras};
use city::{Area, Tiling};
use clusters::{Cluster, build_clusters};
use complex::build_complex;
use incidents::{Incident, build_incidents, squeeze_last_day};
use models::{Model, build_models};
use write::{write_areas, write_cameras, write_incidents, write_models};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleConfig {
    /// Seed of the one random stream everything is drawn from.
    pub seed: u64,
    /// Number of incidents (rows of `incidents.csv`).
    pub incidents: usize,
    /// Number of cameras (rows of `cameras.csv`).
    pub cameras: usize,
    /// Number of self-managed models (rows of `models.csv`).
    pub models: usize,
    /// The last day of the sample (inclusive, in the city's local time). Incidents cover
    /// the 24 calendar months that end with this day's month, up to and including it; the
    /// complex areas are designated in its year and the year before.
    pub end: Date,
    /// Minutes of `end` that have passed (the demo's "now"): incidents drawn for that day
    /// are squeezed into them, so a sample ending today has none in the future. `None`:
    /// the whole day.
    pub end_minutes: Option<u16>,
}

/// The end of the committed `sample-data/` (2023-01-01 … 2024-12-31): the default, so tests
/// and benchmarks that build a sample get the same data on every day they run. The demo
/// and `diemnong sample` end on today instead unless `--end` pins them.
pub const PINNED_END: Date = jiff::civil::date(2024, 12, 31);

impl Default for SampleConfig {
    fn default() -> Self {
        Self {
            seed: 138,
            incidents: 100_000,
            cameras: 300,
            models: 250,
            end: PINNED_END,
            end_minutes: None,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSummary {
    pub incidents: usize,
    pub cameras: usize,
    pub models: usize,
    pub wards: usize,
    pub districts: usize,
    pub complex_areas: usize,
}

/// Writes `incidents.csv`, `cameras.csv`, `models.csv` and `areas.geojson` into `out_dir`
/// (created if missing), overwriting them.
///
/// # Errors
/// When a file cannot be written, or (never in practice) when the model cannot place a point.
pub fn generate(cfg: &SampleConfig, out_dir: &Path) -> io::Result<SampleSummary> {
    let world = build(cfg)?;
    fs::create_dir_all(out_dir)?;
    write_incidents(&world, &out_dir.join("incidents.csv"))?;
    write_cameras(&world, &out_dir.join("cameras.csv"))?;
    write_models(&world, &out_dir.join("models.csv"))?;
    write_areas(&world, &out_dir.join("areas.geojson"))?;
    Ok(SampleSummary {
        incidents: world.incidents.len(),
        cameras: world.cameras.len(),
        models: world.models.len(),
        wards: world.tiling.wards.len(),
        districts: world.tiling.districts.len(),
        complex_areas: world.complex.len(),
    })
}

struct World {
    tiling: Tiling,
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    clusters: Vec<Cluster>,
    complex: Vec<Area>,
    /// The 24 months up to `SampleConfig::end` (2023-01-01 … 2024-12-31 for [`PINNED_END`]).
    days: Vec<Date>,
    incidents: Vec<Incident>,
    cameras: Vec<Camera>,
    models: Vec<Model>,
}

fn build(cfg: &SampleConfig) -> io::Result<World> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let tiling = Tiling::build(&mut rng);
    let clusters = build_clusters(&mut rng, &tiling)?;
    let complex = build_complex(&mut rng, &tiling, &clusters, cfg.end.year())?;
    let days = calendar(cfg.end)?;
    let mut incidents = build_incidents(&mut rng, cfg.incidents, &tiling, &clusters, &days)?;
    if let Some(passed) = cfg.end_minutes {
        squeeze_last_day(&mut incidents, days.len().saturating_sub(1), passed);
    }
    let cameras = build_cameras(&mut rng, cfg.cameras, &tiling, &clusters, cfg.end)?;
    let models = build_models(&mut rng, cfg.models, &tiling, &clusters, cfg.end)?;
    Ok(World {
        tiling,
        clusters,
        complex,
        days,
        incidents,
        cameras,
        models,
    })
}

/// Every day from the first of the month 23 months before `end`'s month to `end`.
fn calendar(end: Date) -> io::Result<Vec<Date>> {
    let mut d = end
        .first_of_month()
        .checked_sub(jiff::Span::new().months(23))
        .map_err(io_err)?;
    let mut days = vec![d];
    while d < end {
        d = d.tomorrow().map_err(io_err)?;
        days.push(d);
    }
    Ok(days)
}

/// A day of `year`, never after `end` (a camera is not installed in the future).
fn random_date(rng: &mut ChaCha8Rng, year: i16, end: Date) -> io::Result<Date> {
    let first = Date::new(year, 1, 1).map_err(io_err)?;
    let doy = rng.random_range(1..=first.days_in_year());
    let d = first.with().day_of_year(doy).build().map_err(io_err)?;
    Ok(d.min(end))
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn weighted(weights: &[f64]) -> io::Result<WeightedIndex<f64>> {
    WeightedIndex::new(weights.iter().copied()).map_err(io_err)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

fn usize_to_f64(n: usize) -> f64 {
    // Counts here are far below 2^52.
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}
