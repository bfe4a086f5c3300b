//! Getis-Ord Gi* on H3 cell counts (Getis & Ord 1992; Ord & Getis 1995).
//!
//! For cell i with binary weights `w_ij` = 1 for the cells j of its k-disk that are in the
//! study set (i itself included — the "star"), n cells in the study set, mean x̄ and
//! population standard deviation S of their counts:
//!
//! ```text
//! Gi* = (Σ_j w_ij x_j − x̄ W_i) / (S · √((n S1_i − W_i²) / (n − 1)))
//! W_i = Σ_j w_ij,  S1_i = Σ_j w_ij² (= W_i for binary weights)
//! ```
//!
//! This is esda's `G_Local(y, w, transform='B', star=True)` `Zs` (checked against fixtures
//! generated with esda in `tests/fixtures/gistar/`). p-values are two-sided normal; q-values
//! are Benjamini–Hochberg over the whole study set.
//!
//! Study sets: `Kring` = every occupied cell and every cell of its k-disk, empty cells
//! counting as zeros (so the mean is not inflated by leaving out the quiet surroundings);
//! `Occupied` = occupied cells only.
//!
//! Bins (ArcGIS's): sign(z) × 3, 2, 1 at 99, 95, 90 % confidence, read on the q-value
//! (q ≤ α, [`BinBy::FdrQ`], the default everywhere) or on the raw p (p < α,
//! [`BinBy::RawP`]); a cell is *hot* under a [`HotRule`] when its bin reaches `min_bin`.
//!
//! The pipeline of `/hotspots`, `/hotspots/zones` and the KPIs, [`hotspots`]: count the
//! incidents per cell ([`super::cells::count_cells`]) → refuse a study set that could
//! outgrow the caller's limit (each occupied cell brings at most its k-disk, [`disk_size`]
//! cells) → the study set → Gi* and BH q, which refuse fewer than 3 cells or no variance →
//! bins. The space-time cube ([`super::cube`]) builds its cells with the same study set
//! and its z-scores with the same [`Globals`], over cylinders of bins instead of disks of
//! cells.
//!
//! Complexity: O(n · |disk|) with a binary search per neighbour; n is the study set size.

use h3o::{CellIndex, Resolution};

use super::cells::{Tally, cell_values};
use super::fdr::bh_adjust;
use super::weights::Weighting;
use crate::index::{Filter, IncidentIndex};

/// Which cells the statistic compares (`kring`, `occupied` in a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Study {
    Kring,
    Occupied,
}

/// Which value a cell's confidence bin is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinBy {
    /// The Benjamini–Hochberg q over the study set (q ≤ α).
    FdrQ,
    /// The raw two-sided p (p < α), as ArcGIS without its FDR option.
    RawP,
}

/// What makes a cell hot: its bin, read on `by`, is at least `min_bin` (1, 2 or 3 for 90,
/// 95 or 99 % confidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotRule {
    pub by: BinBy,
    pub min_bin: i8,
}

impl HotRule {
    #[must_use]
    pub fn is_hot(&self, c: &GiCell) -> bool {
        bin(c, self.by) >= self.min_bin
    }
}

/// One cell's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiCell {
    pub cell: CellIndex,
    /// Incidents in the cell, whatever the weighing (published counts for the public).
    pub count: u32,
    /// The value Gi* compared: the count again, or the cell's harm.
    pub value: f64,
    pub z: f64,
    pub p: f64,
    pub q: f64,
}

/// Why Gi* cannot be computed on an input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GiError {
    #[error("Gi* needs at least 3 cells in the study set; there are {0}")]
    TooFewCells(usize),
    #[error(
        "every cell of the study set has the same value ({0}); Gi* is undefined without variance"
    )]
    NoVariance(f64),
}

/// The number of cells in a k-disk: 3k² + 3k + 1.
#[must_use]
pub const fn disk_size(k: usize) -> usize {
    3 * k * k + 3 * k + 1
}

/// The most cells the study set of `occupied` cells can hold: each brings at most its
/// k-disk (saturating).
#[must_use]
pub fn study_set_bound(occupied: usize, k: u32, study: Study) -> usize {
    match study {
        Study::Kring => occupied.saturating_mul(disk_size(k as usize)),
        Study::Occupied => occupied,
    }
}

/// What Gi* and Moran's I read of a study-set cell: its incidents and its value.
pub trait Measure: Copy + Default {
    fn count(&self) -> u32;
    fn value(&self) -> f64;
}

impl Measure for u32 {
    #[inline]
    fn count(&self) -> u32 {
        *self
    }
    #[inline]
    fn value(&self) -> f64 {
        f64::from(*self)
    }
}

impl Measure for Tally {
    #[inline]
    fn count(&self) -> u32 {
        self.count
    }
    #[inline]
    fn value(&self) -> f64 {
        self.value
    }
}

/// The study set (sorted, deduplicated) with the occupied cells' values and the empty
/// cells' `V::default()` (zero).
#[must_use]
pub fn study_set<V: Copy + Default>(
    occupied: &[(CellIndex, V)],
    k: u32,
    study: Study,
) -> Vec<(CellIndex, V)> {
    match study {
        Study::Occupied => occupied.to_vec(),
        Study::Kring => {
            // The occupied cells and the cells of their k-disks that are not occupied, in
            // order: only the ring around the data is sorted (most of a disk is occupied),
            // then merged with the occupied cells, which are sorted already.
            let occupied_has =
                |c: &CellIndex| occupied.binary_search_by_key(c, |(o, _)| *o).is_ok();
            let mut around: Vec<CellIndex> = Vec::new();
            let mut disk: Vec<CellIndex> = Vec::new();
            for (c, _) in occupied {
                disk_into(*c, k, &mut disk);
                around.extend(disk.iter().filter(|n| !occupied_has(n)));
            }
            around.sort_unstable();
            around.dedup();
            let mut out = Vec::with_capacity(occupied.len() + around.len());
            let mut ring = around.into_iter().peekable();
            for &(c, v) in occupied {
                while let Some(r) = ring.next_if(|r| *r < c) {
                    out.push((r, V::default()));
                }
                out.push((c, v));
            }
            out.extend(ring.map(|r| (r, V::default())));
            out
        }
    }
}

/// Fills `out` with the k-disk of `cell` in h3o's `grid_disk` order (the order sums over a
/// disk are taken in), without allocating per cell: the fast walk, or h3o's safe one when
/// the walk meets a pentagon.
pub(crate) fn disk_into(cell: CellIndex, k: u32, out: &mut Vec<CellIndex>) {
    out.clear();
    for c in cell.grid_disk_fast(k) {
        let Some(c) = c else {
            out.clear();
            out.extend(cell.grid_disk::<Vec<_>>(k));
            return;
        };
        out.push(c);
    }
}

/// Two-sided p-value of a standard normal z.
#[must_use]
pub fn two_sided_p(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().sf(z.abs()) * 2.0
}

/// The global terms of Gi*: the number n of values, their mean x̄ and their population
/// standard deviation S.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Globals {
    pub n: f64,
    pub mean: f64,
    pub sd: f64,
}

impl Globals {
    /// The terms of `values` (two passes: Σx and Σx²).
    #[must_use]
    pub fn of(values: impl Iterator<Item = f64> + Clone) -> Self {
        #[expect(clippy::cast_precision_loss, reason = "cell counts far below 2^52")]
        let n = values.clone().count() as f64;
        let sum: f64 = values.clone().sum();
        let sum2: f64 = values.map(|v| v * v).sum();
        let mean = sum / n;
        let var = (sum2 / n - mean * mean).max(0.0);
        Self {
            n,
            mean,
            sd: var.sqrt(),
        }
    }

    /// The z of a neighbourhood whose `w` members (binary weights) sum to `local`; 0 when
    /// the denominator vanishes (a neighbourhood of every value).
    #[inline]
    #[must_use]
    pub fn z(&self, local: f64, w: f64) -> f64 {
        let denom = self.sd * ((self.n * w - w * w) / (self.n - 1.0)).sqrt();
        if denom > 0.0 {
            (local - self.mean * w) / denom
        } else {
            0.0
        }
    }
}

/// Gi* for every cell of `set` (sorted by cell, as [`study_set`] returns it).
///
/// # Errors
/// Fewer than 3 cells, or no variance.
pub fn gi_star<V: Measure>(set: &[(CellIndex, V)], k: u32) -> Result<Vec<GiCell>, GiError> {
    let n = set.len();
    if n < 3 {
        return Err(GiError::TooFewCells(n));
    }
    let globals = Globals::of(set.iter().map(|(_, c)| c.value()));
    if globals.sd <= f64::EPSILON * globals.mean.abs().max(1.0) {
        return Err(GiError::NoVariance(set[0].1.value()));
    }
    let mut disk: Vec<CellIndex> = Vec::new();
    let mut out = Vec::with_capacity(n);
    for &(cell, m) in set {
        disk_into(cell, k, &mut disk);
        let mut local = 0.0;
        let mut w = 0.0;
        for c in &disk {
            if let Ok(j) = set.binary_search_by_key(c, |(o, _)| *o) {
                local += set[j].1.value();
                w += 1.0;
            }
        }
        let z = globals.z(local, w);
        out.push(GiCell {
            cell,
            count: m.count(),
            value: m.value(),
            z,
            p: two_sided_p(z),
            q: 0.0,
        });
    }
    let q = bh_adjust(&out.iter().map(|c| c.p).collect::<Vec<_>>());
    for (c, q) in out.iter_mut().zip(q) {
        c.q = q;
    }
    Ok(out)
}

/// ArcGIS's confidence bins: sign(z) × 3/2/1 at 99/95/90%, by q (FDR) or by p.
#[must_use]
pub fn bin(c: &GiCell, by: BinBy) -> i8 {
    let (v, strict) = match by {
        BinBy::FdrQ => (c.q, false),
        BinBy::RawP => (c.p, true),
    };
    let pass = |alpha: f64| if strict { v < alpha } else { v <= alpha };
    #[expect(
        clippy::bool_to_int_with_if,
        reason = "the ladder 3, 2, 1, 0 reads as the three confidence levels and none"
    )]
    let level = if pass(0.01) {
        3
    } else if pass(0.05) {
        2
    } else if pass(0.10) {
        1
    } else {
        0
    };
    if c.z < 0.0 { -level } else { level }
}

/// What a Gi* run over incidents needs besides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiParams {
    pub res: Resolution,
    /// Radius of the k-disk of neighbours.
    pub k: u32,
    pub study: Study,
    pub bin_by: BinBy,
    /// Refuse, before building it, a study set that could exceed this many cells
    /// ([`study_set_bound`]); `None` for no limit.
    pub max_cells: Option<u64>,
}

/// Gi* over the study set, with each cell's bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspots {
    /// Every cell of the study set, sorted by cell.
    pub cells: Vec<GiCell>,
    /// The bin of each cell of `cells`, read on [`GiParams::bin_by`].
    pub bins: Vec<i8>,
}

/// Why [`hotspots`] gave no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HotspotError {
    /// The study set could hold `cells` cells, over [`GiParams::max_cells`].
    #[error("the study set could hold {cells} cells, over the limit of {limit}")]
    TooLarge { cells: usize, limit: u64 },
    #[error(transparent)]
    Gi(#[from] GiError),
}

/// The whole pipeline (module documentation): counts at `p.res` of the incidents matching
/// `filter` → the size guard → the study set → Gi* with BH q → bins.
///
/// # Errors
/// [`HotspotError::TooLarge`] before any study set is built; [`GiError`]s of [`gi_star`].
pub fn hotspots(
    index: &IncidentIndex,
    filter: &Filter,
    p: &GiParams,
) -> Result<Hotspots, HotspotError> {
    hotspots_weighted(index, filter, p, &Weighting::Count)
}

/// [`hotspots`] on the cells' weighed values (`weight=harm`: Gi* of harm per cell).
///
/// # Errors
/// As [`hotspots`].
pub fn hotspots_weighted(
    index: &IncidentIndex,
    filter: &Filter,
    p: &GiParams,
    w: &Weighting,
) -> Result<Hotspots, HotspotError> {
    hotspots_on(&cell_values(index, filter, p.res, w), p)
}

/// [`hotspots`] from the occupied cells' tallies (sorted by cell): the exact ones of
/// [`cell_values`], or the counts published to anonymous callers.
///
/// # Errors
/// As [`hotspots`].
pub fn hotspots_on(
    occupied: &[(CellIndex, Tally)],
    p: &GiParams,
) -> Result<Hotspots, HotspotError> {
    let cells = study_set_bound(occupied.len(), p.k, p.study);
    if let Some(limit) = p.max_cells
        && cells as u64 > limit
    {
        return Err(HotspotError::TooLarge { cells, limit });
    }
    let set = study_set(occupied, p.k, p.study);
    let cells = gi_star(&set, p.k)?;
    let bins = cells.iter().map(|c| bin(c, p.bin_by)).collect();
    Ok(Hotspots { cells, bins })
}
