//! Local Moran's I (Anselin 1995) on H3 cells: outliers and clusters of values.
//!
//! Where Gi* ([`super::gistar`]) asks whether a neighbourhood is hot, local Moran's I asks
//! whether a cell is *like* its neighbours: a high cell among high ones (HH) or a low one
//! among low ones (LL) is a cluster; a high cell among low ones (HL) or a low one among
//! high ones (LH) is an outlier — the quiet block in a busy district, the lone hot corner.
//!
//! For the n cells of the study set with values y, mean ȳ and population standard
//! deviation σ (two passes, as numpy's `std`), `z_i = (y_i − ȳ)/σ` and, with N(i) the cells
//! of i's k-disk that are in the study set other than i and row-standardised binary weights
//! `w_ij = 1/|N(i)|`:
//!
//! ```text
//! lag_i = Σ_{j∈N(i)} w_ij z_j          I_i = (n − 1) z_i lag_i / Σ_j z_j²
//! ```
//!
//! This is esda's `Moran_Local(y, w, transformation='r')` `Is`, and the quadrant is its
//! `q` (z > 0 and lag > 0: HH; z ≤ 0 < lag: LH; z ≤ 0 and lag ≤ 0: LL; z > 0 ≥ lag: HL);
//! both are checked against fixtures generated with esda in `tests/fixtures/moran/`.
//!
//! Significance is esda's conditional permutation pseudo p-value: for each cell, its
//! neighbours' values are replaced by |N(i)| values drawn without replacement from the
//! n − 1 other cells, `permutations` times; `larger` counts the draws whose I is at least
//! the observed one, folded to `permutations − larger` when that is smaller (esda 2.9.0's
//! default, 'directed': the tail the observed I lies in), and
//! p = (larger + 1)/(permutations + 1). q-values are Benjamini–Hochberg over the study set.
//!
//! Two deliberate differences from esda, both only where esda's answer is an artefact:
//! - *Ties.* With counts, many draws give a neighbourhood sum equal to the observed one
//!   (most cells of a k-ring study are 0), so their I equals the observed I exactly; esda
//!   computes the two in different orders of floating-point operations, and whether such a
//!   tie counts as "at least" depends on the last bit (for the committed sample, p moves
//!   by up to 0.15 for some cells). Here a draw is compared on the sum of its values, which
//!   is exact for counts, so a tie always counts as "at least", as the definition says.
//!   The fixtures carry esda's p recomputed from esda's own draws with ties counted so
//!   (`p_sim_ties`), and the tests compare with that.
//! - *Islands* (cells with no neighbour in the study set): I = 0 and, because every draw
//!   gives 0 too, esda's p is 1/(permutations + 1) — "highly significant" for a cell that
//!   has nothing to be compared with. Here an island gets p = 1 and is never significant.
//!   So does a cell whose value is exactly the mean (z = 0): its I and every draw's are 0.
//!
//! Draws: one table of `permutations` × max |N(i)| indices into 0..n−1, each row a sample
//! without replacement (a partial Fisher–Yates shuffle from a `ChaCha8Rng` seeded with
//! [`MoranParams::seed`]); cell i takes the first |N(i)| of each row and reads index o as
//! cell o + (o ≥ i), skipping itself — esda's scheme. Sharing one table makes the result a
//! function of the seed alone, whatever the number of threads the cells are split over.
//!
//! Complexity: O(n · |disk|) to find the neighbours (a binary search each), plus
//! O(permutations · Σ|N(i)|) additions for the p-values, split over the available threads.

use h3o::CellIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fdr::bh_adjust;

/// What a local Moran's I run needs besides the values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoranParams {
    /// Number of conditional permutations per cell (999 gives p down to 0.001). 0 skips
    /// them: every p is then 1.
    pub permutations: u32,
    /// Seed of the draws: the same seed gives the same p-values.
    pub seed: u64,
    /// Whether `significant` reads the Benjamini–Hochberg q (true) or the raw p.
    pub fdr: bool,
    /// Significance level: a cell is significant when its p (or q) is ≤ `alpha`.
    pub alpha: f64,
}

/// The Moran scatterplot quadrant of a cell: its own value (first letter) and its
/// neighbours' (second), high or low against the mean.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum Quadrant {
    /// High among high: a cluster of high values (esda q = 1).
    HH,
    /// Low among high: a low outlier (esda q = 2).
    LH,
    /// Low among low: a cluster of low values (esda q = 3).
    LL,
    /// High among low: a high outlier (esda q = 4).
    HL,
}

impl Quadrant {
    /// esda's rule (`Moran_Local.__quads`): a value or lag of exactly 0 counts as low.
    #[must_use]
    pub fn of(z: f64, lag: f64) -> Self {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Self::HH,
            (false, true) => Self::LH,
            (false, false) => Self::LL,
            (true, false) => Self::HL,
        }
    }

    /// esda's code for the quadrant (`Moran_Local.q`, without `geoda_quads`).
    #[must_use]
    pub const fn esda_q(self) -> u8 {
        match self {
            Self::HH => 1,
            Self::LH => 2,
            Self::LL => 3,
            Self::HL => 4,
        }
    }
}

/// One cell's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoranCell {
    pub cell: CellIndex,
    /// The cell's value y.
    pub value: f64,
    /// Local Moran's I.
    pub local_i: f64,
    /// The standardised value (y − ȳ)/σ.
    pub z: f64,
    /// The spatial lag: the mean z of the neighbours (0 for an island).
    pub lag: f64,
    /// Conditional permutation pseudo p-value (1 for an island or a cell at the mean).
    pub p_sim: f64,
    /// Benjamini–Hochberg q of `p_sim` over the study set.
    pub q_fdr: f64,
    pub quadrant: Quadrant,
    /// p (or q, with [`MoranParams::fdr`]) ≤ α; never for an island or a cell at the mean.
    pub significant: bool,
    /// Number of neighbours in the study set (0: an island).
    pub neighbours: u32,
}

/// Why local Moran's I cannot be computed on an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoranError {
    #[error("local Moran's I needs at least 3 cells in the study set; there are {0}")]
    TooFewCells(usize),
    #[error(
        "every cell of the study set has the same value; local Moran's I is undefined without variance"
    )]
    NoVariance,
}

/// Below this many cells per thread, spawning costs more than it saves.
const MIN_CELLS_PER_THREAD: usize = 256;

/// Draws summed side by side in the permutation loop.
const LANES: usize = 8;

/// A draw ties the observed neighbourhood when their sums differ by at most this times
/// |N(i)| · max |y|: far above the rounding of a sum of a few values (~|N(i)| · 2⁻⁵² of the
/// largest), far below any real difference (at least 1 for counts).
const TIE_REL: f64 = 1e-10;

/// Local Moran's I, quadrant and pseudo p-value of every cell of `set`, in the order of
/// `set`.
///
/// `set` is the study set ([`super::gistar::study_set`], with the values as f64): distinct
/// cells, of one resolution, with finite values. Neighbours are the cells of each cell's
/// k-disk that are in `set`.
///
/// # Errors
/// [`MoranError::TooFewCells`] below 3 cells; [`MoranError::NoVariance`] when all values
/// are equal (no z can be formed).
pub fn local_moran(
    set: &[(CellIndex, f64)],
    k: u32,
    params: &MoranParams,
) -> Result<Vec<MoranCell>, MoranError> {
    let threads = crate::parallel::threads();
    local_moran_on(set, k, params, threads)
}

/// [`local_moran`] on at most `threads` threads (the result does not depend on it).
fn local_moran_on(
    set: &[(CellIndex, f64)],
    k: u32,
    params: &MoranParams,
    threads: usize,
) -> Result<Vec<MoranCell>, MoranError> {
    let n = set.len();
    if n < 3 {
        return Err(MoranError::TooFewCells(n));
    }
    let y: Vec<f64> = set.iter().map(|&(_, v)| v).collect();
    #[expect(clippy::cast_precision_loss, reason = "cell counts far below 2^52")]
    let nf = n as f64;
    let mean = y.iter().sum::<f64>() / nf;
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / nf).sqrt();
    let max_abs = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // Equal values leave only rounding in σ (~2⁻⁵² of their size). A NaN σ (a value that
    // is not finite) is refused too rather than returning NaN everywhere.
    if sd.is_nan() || sd <= 1e-12 * max_abs {
        return Err(MoranError::NoVariance);
    }
    let z: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
    let den: f64 = z.iter().map(|v| v * v).sum();

    let nb = Neighbours::of(set, k);
    let mut lags = vec![0.0; n];
    let mut local_i = vec![0.0; n];
    for i in 0..n {
        let js = nb.of_cell(i);
        if js.is_empty() {
            continue;
        }
        #[expect(clippy::cast_precision_loss, reason = "at most a disk of cells")]
        let card = js.len() as f64;
        // Σ w_ij z_j with w_ij = 1/|N(i)|, in esda's order: (n − 1) z lag / Σz².
        lags[i] = js.iter().map(|&j| z[j as usize] / card).sum();
        local_i[i] = (nf - 1.0) * z[i] * lags[i] / den;
    }

    let larger = permutation_counts(&y, &z, &nb, params, max_abs, threads);
    // Islands and cells at the mean: every draw gives I = 0 = the observed I.
    let untestable = |i: usize| nb.of_cell(i).is_empty() || z[i] == 0.0;
    let p: Vec<f64> = (0..n)
        .map(|i| {
            if untestable(i) {
                1.0
            } else {
                let perms = params.permutations;
                let l = larger[i].min(perms - larger[i]);
                (f64::from(l) + 1.0) / (f64::from(perms) + 1.0)
            }
        })
        .collect();
    let q = bh_adjust(&p);

    Ok((0..n)
        .map(|i| {
            let neighbours = nb.count(i);
            let test = if params.fdr { q[i] } else { p[i] };
            MoranCell {
                cell: set[i].0,
                value: y[i],
                local_i: local_i[i],
                z: z[i],
                lag: lags[i],
                p_sim: p[i],
                q_fdr: q[i],
                quadrant: Quadrant::of(z[i], lags[i]),
                significant: !untestable(i) && test <= params.alpha,
                neighbours,
            }
        })
        .collect())
}

/// The neighbour lists, flat: cell i's neighbours (positions in the set, ascending) are
/// `list[start[i]..start[i + 1]]`.
struct Neighbours {
    start: Vec<usize>,
    list: Vec<u32>,
}

impl Neighbours {
    fn of(set: &[(CellIndex, f64)], k: u32) -> Self {
        // Positions by cell, so that any order of `set` works (the study set comes sorted,
        // and sorting a sorted vector is one pass).
        let mut by_cell: Vec<(CellIndex, u32)> =
            set.iter().zip(0u32..).map(|(&(c, _), i)| (c, i)).collect();
        by_cell.sort_unstable();
        let mut start = Vec::with_capacity(set.len() + 1);
        let mut list = Vec::with_capacity(set.len() * 6);
        let mut disk: Vec<CellIndex> = Vec::new();
        start.push(0);
        for &(cell, _) in set {
            disk_into(cell, k, &mut disk);
            let from = list.len();
            for &c in &disk {
                if c != cell
                    && let Ok(p) = by_cell.binary_search_by_key(&c, |&(o, _)| o)
                {
                    list.push(by_cell[p].1);
                }
            }
            list[from..].sort_unstable();
            start.push(list.len());
        }
        Self { start, list }
    }

    fn of_cell(&self, i: usize) -> &[u32] {
        &self.list[self.start[i]..self.start[i + 1]]
    }

    fn count(&self, i: usize) -> u32 {
        u32::try_from(self.start[i + 1] - self.start[i]).unwrap_or(u32::MAX)
    }

    fn max_card(&self) -> usize {
        self.start
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    }
}

/// `cell`'s k-disk into `out` (h3o's `grid_disk`, without a new vector per cell).
fn disk_into(cell: CellIndex, k: u32, out: &mut Vec<CellIndex>) {
    out.clear();
    for c in cell.grid_disk_fast(k) {
        let Some(c) = c else {
            // A pentagon in the way: the fast walk gives up, the safe one does not.
            out.clear();
            out.extend(cell.grid_disk_safe(k));
            return;
        };
        out.push(c);
    }
}

/// For every cell, how many of the `permutations` draws give an I at least the observed
/// one (0 for islands and cells at the mean, which are not tested).
///
/// A draw's I is `z_i · (n − 1)/Σz² · (Σ_drawn y/|N(i)| − ȳ)/σ`, increasing in the sum of
/// the drawn values when `z_i > 0` and decreasing when `z_i < 0`, so `I_draw ≥ I` is
/// `sign(z_i) · (Σ_drawn y − Σ_N(i) y) ≥ 0`: sums of values, exact for counts, compared
/// with a tolerance for rounding ([`TIE_REL`]).
fn permutation_counts(
    y: &[f64],
    z: &[f64],
    nb: &Neighbours,
    params: &MoranParams,
    max_abs: f64,
    threads: usize,
) -> Vec<u32> {
    let n = y.len();
    let mut larger = vec![0u32; n];
    let max_card = nb.max_card();
    let perms = params.permutations as usize;
    if max_card == 0 || perms == 0 {
        return larger;
    }
    let draws = draw_table(n - 1, max_card, perms, params.seed);
    // The whole blocks of LANES rows again, each block column by column (t = 0, every
    // lane; t = 1, …), so that the loop below reads the LANES indices it needs together.
    let full = perms / LANES;
    let mut blocked = Vec::with_capacity(full * LANES * max_card);
    for block in draws.chunks_exact(max_card * LANES) {
        for t in 0..max_card {
            blocked.extend((0..LANES).map(|u| block[u * max_card + t]));
        }
    }
    let rest = &draws[full * LANES * max_card..];

    let count_cell = |i: usize| -> u32 {
        let js = nb.of_cell(i);
        let card = js.len();
        if card == 0 || z[i] == 0.0 {
            // Untestable (see `local_moran_on`): p = 1 whatever is counted.
            return 0;
        }
        let observed: f64 = js.iter().map(|&j| y[j as usize]).sum();
        #[expect(clippy::cast_precision_loss, reason = "at most a disk of cells")]
        let tol = TIE_REL * card as f64 * max_abs;
        let sign = if z[i] > 0.0 { 1.0 } else { -1.0 };
        let at_least = |s: f64| u32::from(sign * (s - observed) >= -tol);
        let mut count = 0u32;
        // LANES rows at a time, each summed in its own accumulator: one row's additions
        // depend on one another, so alone they would wait on the adder's latency.
        for block in blocked.chunks_exact(max_card * LANES) {
            let mut s = [0.0f64; LANES];
            for column in block[..card * LANES].chunks_exact(LANES) {
                for (acc, &o) in s.iter_mut().zip(column) {
                    let o = o as usize;
                    *acc += y[o + usize::from(o >= i)];
                }
            }
            count += s.into_iter().map(at_least).sum::<u32>();
        }
        for row in rest.chunks_exact(max_card) {
            let mut s = 0.0;
            for &o in &row[..card] {
                let o = o as usize;
                s += y[o + usize::from(o >= i)];
            }
            count += at_least(s);
        }
        count
    };

    let threads = threads.min(n.div_ceil(MIN_CELLS_PER_THREAD)).max(1);
    let chunk = n.div_ceil(threads);
    if threads == 1 {
        for (i, l) in larger.iter_mut().enumerate() {
            *l = count_cell(i);
        }
    } else {
        std::thread::scope(|s| {
            for (c, part) in larger.chunks_mut(chunk).enumerate() {
                let count_cell = &count_cell;
                s.spawn(move || {
                    for (off, l) in part.iter_mut().enumerate() {
                        *l = count_cell(c * chunk + off);
                    }
                });
            }
        });
    }
    larger
}

/// `perms` rows of `card` distinct indices in 0..m, row after row in one vector.
///
/// Partial Fisher–Yates: the first `card` steps of a shuffle of a pool of 0..m pick a
/// uniform sample without replacement, in random order, whatever order the pool starts
/// in, so each row continues from the pool the previous one left instead of resetting it.
fn draw_table(m: usize, card: usize, perms: usize, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pool: Vec<u32> = (0..u32::try_from(m).unwrap_or(u32::MAX)).collect();
    let mut draws = Vec::with_capacity(perms * card);
    for _ in 0..perms {
        for t in 0..card {
            let j = rng.random_range(t..m);
            pool.swap(t, j);
            draws.push(pool[t]);
        }
    }
    draws
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> CellIndex {
        s.parse().unwrap()
    }

    fn params(permutations: u32) -> MoranParams {
        MoranParams {
            permutations,
            seed: 7,
            fdr: false,
            alpha: 0.05,
        }
    }

    /// Five resolution-9 cells, k = 1 (the hand check of `make_moran_fixtures.py`): A with 4,
    /// its neighbours B with 1 and C with 0 (B and C not adjacent), D with 2 and E with 3,
    /// both islands. ȳ = 2, σ² = (4 + 1 + 4 + 0 + 1)/5 = 2, z = (y − 2)/√2, Σz² = 5, n − 1 = 4:
    /// - A: z = √2, lag = (−1/√2 − √2)/2 = −3/(2√2), I = 4 · √2 · (−3/(2√2)) / 5 = −1.2, HL;
    /// - B: z = −1/√2, lag = `z_A` = √2, I = 4 · (−1) / 5 = −0.8, LH;
    /// - C: z = −√2, lag = √2, I = 4 · (−2) / 5 = −1.6, LH;
    /// - D: z = 0, island: I = 0, lag 0, LL (0 counts as low); E: island, I = 0, HL.
    ///
    /// esda gives the same Is (asserted in the script's `hand_check`).
    fn five() -> Vec<(CellIndex, f64)> {
        vec![
            (c("8965b5662bbffff"), 4.0), // A
            (c("8965b566217ffff"), 1.0), // B
            (c("8965b5662a3ffff"), 0.0), // C
            (c("8965b56604bffff"), 2.0), // D
            (c("8965b564b4bffff"), 3.0), // E
        ]
    }

    #[test]
    fn five_cells_by_hand() {
        let out = local_moran(&five(), 1, &params(99)).unwrap();
        let s2 = std::f64::consts::SQRT_2;
        let want = [
            (-1.2, s2, -3.0 / (2.0 * s2), Quadrant::HL, 2),
            (-0.8, -1.0 / s2, s2, Quadrant::LH, 1),
            (-1.6, -s2, s2, Quadrant::LH, 1),
            (0.0, 0.0, 0.0, Quadrant::LL, 0),
            (0.0, 1.0 / s2, 0.0, Quadrant::HL, 0),
        ];
        for ((got, (cell, y)), (i, z, lag, quadrant, nbrs)) in out.iter().zip(five()).zip(want) {
            assert_eq!(got.cell, cell);
            assert!((got.value - y).abs() < 1e-15);
            assert!((got.local_i - i).abs() < 1e-12, "{got:?}");
            assert!((got.z - z).abs() < 1e-12, "{got:?}");
            assert!((got.lag - lag).abs() < 1e-12, "{got:?}");
            assert_eq!(got.quadrant, quadrant);
            assert_eq!(got.neighbours, nbrs);
            assert!(got.p_sim > 0.0 && got.p_sim <= 1.0);
        }
    }

    #[test]
    fn islands_have_p_one_and_are_never_significant() {
        let p = MoranParams {
            alpha: 1.0,
            ..params(99)
        };
        let out = local_moran(&five(), 1, &p).unwrap();
        for cell in &out[3..] {
            assert_eq!(cell.neighbours, 0);
            assert!(cell.local_i.abs() < f64::EPSILON);
            assert!((cell.p_sim - 1.0).abs() < f64::EPSILON);
            assert!(!cell.significant);
        }
        assert!(
            out[..3].iter().all(|c| c.significant),
            "α = 1 passes the rest"
        );

        // A at the mean (ȳ = 2) has neighbours but nothing to test: I and every draw are 0.
        let at_mean: Vec<_> = five()
            .into_iter()
            .zip([2.0, 0.0, 4.0, 1.0, 3.0])
            .map(|((c, _), v)| (c, v))
            .collect();
        let out = local_moran(&at_mean, 1, &p).unwrap();
        assert_eq!(out[0].neighbours, 2);
        assert!(out[0].local_i.abs() < f64::EPSILON);
        assert!((out[0].p_sim - 1.0).abs() < f64::EPSILON);
        assert!(!out[0].significant);
    }

    /// The 3-disk of 8965b5662bbffff (37 cells), with values that vary.
    fn ring_set() -> Vec<(CellIndex, f64)> {
        let mut cells: Vec<CellIndex> = c("8965b5662bbffff").grid_disk(3);
        cells.sort_unstable();
        cells
            .into_iter()
            .zip(0u32..)
            .map(|(c, i)| (c, f64::from((i * 7) % 5) + 0.25 * f64::from(i % 3)))
            .collect()
    }

    #[test]
    fn same_seed_same_result_whatever_the_threads() {
        let set = ring_set();
        let one = local_moran_on(&set, 1, &params(999), 1).unwrap();
        let three = local_moran_on(&set, 1, &params(999), 3).unwrap();
        let again = local_moran(&set, 1, &params(999)).unwrap();
        assert_eq!(one, three);
        assert_eq!(one, again);
        let other = local_moran(
            &set,
            1,
            &MoranParams {
                seed: 8,
                ..params(999)
            },
        )
        .unwrap();
        assert!(
            one.iter()
                .zip(&other)
                .any(|(a, b)| a.p_sim.to_bits() != b.p_sim.to_bits())
        );
        assert!(
            one.iter()
                .zip(&other)
                .all(|(a, b)| a.local_i.to_bits() == b.local_i.to_bits())
        );
    }

    /// One neighbour: the draw is one of the n − 1 other values, uniformly, so the exact
    /// conditional p is known. Ten cells: A with 9 and its neighbour B with 7, and eight
    /// cells far away with 0..=7. For A (z > 0), `I_draw ≥ I` iff the drawn value ≥ 7: B's or
    /// the far 7, two of the nine others, P = 2/9. The pseudo p (folded: 2/9 < 1/2) must be
    /// near it; a draw that could pick A itself or miss an index would move it.
    #[test]
    fn pseudo_p_matches_the_exact_conditional_p() {
        let a = c("8965b5662bbffff");
        let b = c("8965b566217ffff");
        let far: Vec<CellIndex> = c("8965b564b4bffff").grid_disk::<Vec<_>>(2)[..8]
            .iter()
            .copied()
            .filter(|x| *x != a && *x != b)
            .collect();
        let mut set: Vec<(CellIndex, f64)> = vec![(a, 9.0), (b, 7.0)];
        // The far cells are neighbours of one another; only A's p is checked.
        set.extend(far.iter().zip(0..).map(|(&c, v)| (c, f64::from(v))));
        assert_eq!(set.len(), 10);
        let out = local_moran(&set, 1, &params(99_999)).unwrap();
        assert_eq!(out[0].neighbours, 1);
        let exact = 2.0 / 9.0;
        // Monte Carlo SD √(p(1 − p)/10⁵) ≈ 0.0013.
        assert!((out[0].p_sim - exact).abs() < 0.007, "{}", out[0].p_sim);
    }

    #[test]
    fn no_permutations_give_p_one() {
        let out = local_moran(&ring_set(), 1, &params(0)).unwrap();
        assert!(out.iter().all(|c| (c.p_sim - 1.0).abs() < f64::EPSILON));
    }

    #[test]
    fn draws_are_samples_without_replacement() {
        let t = draw_table(10, 6, 500, 3);
        for row in t.chunks_exact(6) {
            let mut r = row.to_vec();
            r.sort_unstable();
            r.dedup();
            assert_eq!(r.len(), 6);
            assert!(r.iter().all(|&o| o < 10));
        }
        // Every index turns up in the first column.
        let mut seen = [false; 10];
        for row in t.chunks_exact(6) {
            seen[row[0] as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let two = &five()[..2];
        assert_eq!(
            local_moran(two, 1, &params(9)),
            Err(MoranError::TooFewCells(2))
        );
        let flat: Vec<_> = five().into_iter().map(|(c, _)| (c, 0.1)).collect();
        assert_eq!(
            local_moran(&flat, 1, &params(9)),
            Err(MoranError::NoVariance)
        );
        let zeros: Vec<_> = five().into_iter().map(|(c, _)| (c, 0.0)).collect();
        assert_eq!(
            local_moran(&zeros, 1, &params(9)),
            Err(MoranError::NoVariance)
        );
    }

    /// The size of the performance target (a k = 1 ring study set of ~6,000 cells at
    /// resolution 9, 999 permutations): runs, and gives sane values. Not timed.
    #[test]
    fn a_city_sized_study_set() {
        let mut cells: Vec<CellIndex> = c("8965b5662bbffff").grid_disk(44);
        cells.sort_unstable();
        assert!(cells.len() > 5_900);
        let set: Vec<(CellIndex, f64)> = cells
            .into_iter()
            .map(|c| {
                let h = u64::from(c).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59;
                (c, f64::from(u32::try_from(h).unwrap() % 7))
            })
            .collect();
        let out = local_moran(&set, 1, &params(999)).unwrap();
        assert_eq!(out.len(), set.len());
        for m in &out {
            assert!(m.local_i.is_finite());
            assert!(m.p_sim >= 1.0 / 1000.0 && m.p_sim <= 0.5 + 1e-12, "{m:?}");
            assert!(m.q_fdr >= m.p_sim);
        }
    }
}
