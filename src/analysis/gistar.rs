//! Getis-Ord Gi* on H3 cell counts (Getis & Ord 1992; Ord & Getis 1995).
//!
//! For cell i with binary weights w_ij = 1 for the cells j of its k-disk that are in the
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
//! `Occupied` = occupied cells only. Complexity: O(n · |disk|) with a binary search per
//! neighbour; n is the study set size.

use h3o::CellIndex;

use super::fdr::bh_adjust;

/// Which cells the statistic compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Study {
    Kring,
    Occupied,
}

/// One cell's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiCell {
    pub cell: CellIndex,
    pub count: u32,
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
        "every cell of the study set has the same count ({0}); Gi* is undefined without variance"
    )]
    NoVariance(u32),
}

/// The study set (sorted, deduplicated) with counts.
#[must_use]
pub fn study_set(occupied: &[(CellIndex, u32)], k: u32, study: Study) -> Vec<(CellIndex, u32)> {
    match study {
        Study::Occupied => occupied.to_vec(),
        Study::Kring => {
            let mut cells: Vec<CellIndex> = occupied
                .iter()
                .flat_map(|(c, _)| c.grid_disk::<Vec<_>>(k))
                .collect();
            cells.sort_unstable();
            cells.dedup();
            cells
                .into_iter()
                .map(|c| {
                    (
                        c,
                        occupied
                            .binary_search_by_key(&c, |(o, _)| *o)
                            .map_or(0, |i| occupied[i].1),
                    )
                })
                .collect()
        }
    }
}

/// Two-sided p-value of a standard normal z.
#[must_use]
pub fn two_sided_p(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().sf(z.abs()) * 2.0
}

/// Gi* for every cell of `set` (sorted by cell, as [`study_set`] returns it).
///
/// # Errors
/// Fewer than 3 cells, or no variance.
pub fn gi_star(set: &[(CellIndex, u32)], k: u32) -> Result<Vec<GiCell>, GiError> {
    let n = set.len();
    if n < 3 {
        return Err(GiError::TooFewCells(n));
    }
    #[expect(clippy::cast_precision_loss, reason = "cell counts far below 2^52")]
    let nf = n as f64;
    let sum: f64 = set.iter().map(|(_, c)| f64::from(*c)).sum();
    let sum2: f64 = set.iter().map(|(_, c)| f64::from(*c) * f64::from(*c)).sum();
    let mean = sum / nf;
    let var = (sum2 / nf - mean * mean).max(0.0);
    let s = var.sqrt();
    if s <= f64::EPSILON * mean.abs().max(1.0) {
        return Err(GiError::NoVariance(set[0].1));
    }
    let mut disk: Vec<CellIndex> = Vec::new();
    let mut out = Vec::with_capacity(n);
    for &(cell, count) in set {
        disk.clear();
        disk.extend(cell.grid_disk::<Vec<_>>(k));
        let mut local = 0.0;
        let mut w = 0.0;
        for c in &disk {
            if let Ok(j) = set.binary_search_by_key(c, |(o, _)| *o) {
                local += f64::from(set[j].1);
                w += 1.0;
            }
        }
        let denom = s * ((nf * w - w * w) / (nf - 1.0)).sqrt();
        let z = if denom > 0.0 {
            (local - mean * w) / denom
        } else {
            0.0
        };
        out.push(GiCell {
            cell,
            count,
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
pub fn bin(c: &GiCell, fdr: bool) -> i8 {
    let (v, strict) = if fdr { (c.q, false) } else { (c.p, true) };
    let pass = |alpha: f64| if strict { v < alpha } else { v <= alpha };
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
