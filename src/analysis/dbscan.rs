//! DBSCAN point clusters (Ester, Kriegel, Sander & Xu 1996) in great-circle metres, in
//! bounded memory, on every core.
//!
//! A point is *core* when at least `min_points` points (itself included, as scikit-learn
//! and PostGIS count) lie within `eps` metres of it (haversine on the sphere of
//! [`super::geodesy`], radius 6,371,008.8 m; distance ≤ eps as scikit-learn's
//! `radius_neighbors`). Core points within eps of each other share a cluster; a non-core
//! point within eps of a core point is a *border* point of one such cluster (which one,
//! when several reach it, depends on the visiting order in every implementation: we take
//! the cluster of its first core neighbour in grid order, below); the rest is noise.
//!
//! Memory: no neighbour lists. Points are bucketed in a grid of square cells of side
//! eps/2 (in degrees, widened for the data's highest latitude, with a 1% margin), so every
//! neighbour of a point lies in the 5×5 block around its cell and any two points of one
//! cell are within eps of each other (the diagonal is eps/√2). That gives the grid
//! algorithm of Gunawan (2013) / Gan & Tao (2015):
//! - a cell holding at least `min_points` points makes all of them core without a distance;
//! - the core points of one cell form one group; two groups merge (union-find) as soon as
//!   one pair of their core points is within eps — the search stops at the first pair.
//!
//! When the data span so many latitudes that a cell's diagonal may exceed eps (a cell is
//! as wide as eps/2 at the highest latitude, wider further south), the two shortcuts are
//! not taken: core points are counted one by one and every pair of core points within eps
//! merges, in the same cell as across cells.
//!
//! Layout. Cells are numbered column by column (west to east), rows south to north within
//! a column. The points are sorted once by that number (a counting sort on its leading
//! bits, then each bucket on its own) and their unit vectors laid out in that order: a
//! cell's points are contiguous, and so are the five cells of one column of a 5×5 block,
//! so a point's neighbourhood is five runs of consecutive points, found once per cell by
//! five cursors that only move forward over the sorted cells (no hash lookups), and
//! scanned without branches. *Grid order* is that order: column, row, then the visiting
//! order within a cell. After the core flags are known, each cell's core points are moved
//! to its front (each part keeping its order), so the later searches scan core points
//! only, eight at a time.
//!
//! Threads ([`crate::parallel::threads`]). The cells are cut into runs of about equal
//! numbers of points, taken in turn by the threads, in three passes: (1) core flags, each
//! point's own; (2) the pairs of groups that touch: each thread lists, for its cells, the
//! later cells of their blocks that hold core points, and searches them touching cells
//! first, then those one cell apart, then the far corners, skipping every pair its own
//! union-find already joins (most far pairs, so they cost no search); then all unions on
//! one thread; (3) labels, each point's own (a border's first core neighbour in grid
//! order). The clusters are the connected components of the core points, whatever pairs
//! were found first, and are numbered by their smallest core id, so the result does not
//! depend on the number of threads or on which thread took which run.
//!
//! State is a handful of arrays of n entries (about 65 bytes a point at the peak); time
//! is close to linear for city data. Distances compare the haversine term
//! `a` = sin²(d/2R) with sin²(eps/2R), computed from unit vectors as a quarter of the
//! squared chord ([`super::geodesy::hav_of_chord`]), so a pair costs no trigonometry (the
//! identity is exact; rounding differs from scikit-learn's formula only within ~1e-15 of
//! eps).

use std::ops::Range;
use std::sync::Mutex;

use super::geodesy::{angle_of_distance_m, hav_of_chord, hav_of_distance_m, unit_vector};
use crate::index::{Filter, IncidentIndex};

/// The result for the points that matched the filter, in the order they were visited.
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// Incident ids.
    pub ids: Vec<i64>,
    /// Cluster number (0-based, numbered by each cluster's smallest core id), or −1 for noise.
    pub labels: Vec<i32>,
    pub core: Vec<bool>,
    pub clusters: usize,
}

impl Clustering {
    /// Points in no cluster.
    #[must_use]
    pub fn noise(&self) -> usize {
        self.labels.iter().filter(|l| **l < 0).count()
    }
}

/// Clusters the incidents matching `filter`. `eps_m` > 0 and `min_points` ≥ 1 are the
/// caller's to check.
#[must_use]
pub fn dbscan(index: &IncidentIndex, filter: &Filter, eps_m: f64, min_points: usize) -> Clustering {
    let mut ids = Vec::new();
    let mut lon = Vec::new();
    let mut lat = Vec::new();
    index.for_each(filter, |seg, i| {
        ids.push(seg.id[i]);
        lon.push(seg.lon[i]);
        lat.push(seg.lat[i]);
    });
    cluster(ids, lon, lat, eps_m, min_points, crate::parallel::threads())
}

/// DBSCAN of the points (`ids[k]` at `lon[k]`, `lat[k]` degrees) on up to `threads`
/// threads; the result does not depend on `threads`.
fn cluster(
    ids: Vec<i64>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    eps_m: f64,
    min_points: usize,
    threads: usize,
) -> Clustering {
    let n = ids.len();
    // (Sorted points are numbered in a u32: an index of 2^32 incidents would not fit in
    // memory anyway.)
    if n == 0 || eps_m.is_nan() || eps_m <= 0.0 || u32::try_from(n).is_err() {
        return Clustering {
            labels: vec![-1; n],
            core: vec![false; n],
            ids,
            clusters: 0,
        };
    }
    let threads = threads.max(1);
    let eps_rad = angle_of_distance_m(eps_m);
    // Grid: side 0.505·eps in latitude and, at the highest latitude present, in longitude
    // (wider in metres nearer the equator). A neighbour within eps is then at most 2 cells
    // away on each axis (eps / 0.505·eps < 2), so the 5×5 block around a cell holds them all.
    let max_abs_lat = lat.iter().fold(0f64, |m, v| m.max(v.abs())).min(89.0);
    let min_abs_lat = lat.iter().fold(90f64, |m, v| m.min(v.abs()));
    let cell_lat = (eps_rad * 0.505).to_degrees();
    let cell_lon = cell_lat / max_abs_lat.to_radians().cos();
    // Two points of one cell are neighbours when the cell's widest diagonal is below eps:
    // 0.505² · (1 + w²) < 1 with w the east-west stretch between the lowest and highest
    // latitude (≈ 1 for a city). Otherwise the cell shortcuts are not taken.
    let stretch = min_abs_lat.to_radians().cos() / max_abs_lat.to_radians().cos();
    let clique = 0.505f64.powi(2) * (1.0 + stretch * stretch) < 0.99;
    // The grid's extent from the extreme coordinates (a point's cell is monotone in them).
    let extremes = |v: &[f64]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    let ((lon_lo, lon_hi), (lat_lo, lat_hi)) = (extremes(&lon), extremes(&lat));
    let min_col = floor(lon_lo / cell_lon);
    let min_row = floor(lat_lo / cell_lat);
    let shape = Shape {
        cell_lon,
        cell_lat,
        min_col,
        min_row,
        cols: floor(lon_hi / cell_lon).abs_diff(min_col).saturating_add(1),
        rows: floor(lat_hi / cell_lat).abs_diff(min_row).saturating_add(1),
    };
    let params = Params {
        threshold: hav_of_distance_m(eps_m),
        min_points,
        clique,
        threads,
    };
    // A cell's code, column-major, in a u64 when the grid allows (any city at any eps of a
    // millimetre or more), else in a u128.
    let (labels, core, clusters) = if shape.cols.checked_mul(shape.rows).is_some() {
        run::<u64>(&ids, lon, lat, &shape, &params)
    } else {
        run::<u128>(&ids, lon, lat, &shape, &params)
    };
    Clustering {
        ids,
        labels,
        core,
        clusters,
    }
}

/// `v.floor() as i64`, without the call to libm's `floor` that baseline x86-64 makes of
/// it: the same value for every input (saturating beyond the i64 range, 0 for NaN).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "the saturating cast is the point; the comparison is exact where it matters"
)]
fn floor(v: f64) -> i64 {
    let t = v as i64;
    if (t as f64) > v {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// The grid: cells of `cell_lon` × `cell_lat` degrees, numbered from the data's lowest
/// (`min_col`, `min_row`), `cols` × `rows` of them.
struct Shape {
    cell_lon: f64,
    cell_lat: f64,
    min_col: i64,
    min_row: i64,
    cols: u64,
    rows: u64,
}

impl Shape {
    /// The (column, row) of the cell holding a point.
    fn cell(&self, lon: f64, lat: f64) -> (u64, u64) {
        (
            floor(lon / self.cell_lon).abs_diff(self.min_col),
            floor(lat / self.cell_lat).abs_diff(self.min_row),
        )
    }
}

/// What every pass needs besides the points.
struct Params {
    /// The haversine term of eps.
    threshold: f64,
    min_points: usize,
    /// Whether any two points of one cell are within eps (see [`cluster`]).
    clique: bool,
    threads: usize,
}

/// A cell's position in the grid as one sortable number: column-major, so that the rows of
/// one column are consecutive.
trait Code: Copy + Ord + Send + Sync {
    /// Above every cell's code.
    const END: Self;
    fn at(col: u64, row: u64, rows: u64) -> Self;
    /// (column, row).
    fn split(self, rows: u64) -> (u64, u64);
    /// Significant bits.
    fn bits(self) -> u32;
    /// The code shifted right by `shift` bits, which leaves at most 16.
    fn high(self, shift: u32) -> usize;
    /// `self − base`, for a code at most 2^64 − 1 above `base` (a row of `base`'s column).
    fn minus(self, base: Self) -> u64;
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "quotients and remainders of codes made from two u64; high bits below 2^16"
)]
impl Code for u64 {
    const END: Self = Self::MAX;
    fn at(col: u64, row: u64, rows: u64) -> Self {
        col * rows + row
    }
    fn split(self, rows: u64) -> (u64, u64) {
        (self / rows, self % rows)
    }
    fn bits(self) -> u32 {
        Self::BITS - self.leading_zeros()
    }
    fn high(self, shift: u32) -> usize {
        (self >> shift) as usize
    }
    fn minus(self, base: Self) -> u64 {
        self - base
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "quotients and remainders of codes made from two u64; high bits below 2^16"
)]
impl Code for u128 {
    const END: Self = Self::MAX;
    fn at(col: u64, row: u64, rows: u64) -> Self {
        u128::from(col) * u128::from(rows) + u128::from(row)
    }
    fn split(self, rows: u64) -> (u64, u64) {
        let rows = u128::from(rows);
        ((self / rows) as u64, (self % rows) as u64)
    }
    fn bits(self) -> u32 {
        Self::BITS - self.leading_zeros()
    }
    fn high(self, shift: u32) -> usize {
        (self >> shift) as usize
    }
    fn minus(self, base: Self) -> u64 {
        (self - base) as u64
    }
}

/// The occupied cells in code order, each a run of the sorted points.
struct Grid<K> {
    /// The code of each occupied cell, increasing, then [`Code::END`] (no code reaches
    /// `cols · rows`, so a grid's codes stay below it).
    codes: Vec<K>,
    /// Cell c holds the sorted points `starts[c]..starts[c + 1]`.
    starts: Vec<u32>,
    /// After pass 1, cell c's core points, which come first in it (empty until then).
    cores: Vec<u32>,
    cols: u64,
    rows: u64,
}

impl<K: Code> Grid<K> {
    fn len(&self) -> usize {
        self.codes.len() - 1
    }

    /// The sorted points of the cells `cells`.
    fn points(&self, cells: Range<usize>) -> Range<usize> {
        self.starts[cells.start] as usize..self.starts[cells.end] as usize
    }

    /// The core points of cell c (after pass 1).
    fn cores(&self, c: usize) -> Range<usize> {
        let start = self.starts[c] as usize;
        start..start + self.cores[c] as usize
    }
}

/// The 5×5 blocks of consecutive cells of one run: five cursors, one per column offset,
/// that only move forward, as the block's first and last code in each column grow with
/// the cell's code.
struct Blocks<'g, K> {
    grid: &'g Grid<K>,
    lo: [usize; 5],
    hi: [usize; 5],
    /// The column and row of the last cell asked about.
    col: u64,
    row: u64,
}

impl<'g, K: Code> Blocks<'g, K> {
    fn new(grid: &'g Grid<K>) -> Self {
        Self {
            grid,
            lo: [0; 5],
            hi: [0; 5],
            col: 0,
            row: 0,
        }
    }

    /// The cells of the block around cell `c`, as five runs of cells, columns −2…2 in turn,
    /// each in row order. `c` must not decrease between calls.
    fn around(&mut self, c: usize) -> [Range<usize>; 5] {
        let g = self.grid;
        let (col, row) = g.codes[c].split(g.rows);
        (self.col, self.row) = (col, row);
        let (first, last) = (row.saturating_sub(2), row.saturating_add(2).min(g.rows - 1));
        let mut out = [0..0, 0..0, 0..0, 0..0, 0..0];
        for (k, run) in out.iter_mut().enumerate() {
            let x = col.checked_add(k as u64).and_then(|x| x.checked_sub(2));
            let Some(x) = x.filter(|&x| x < g.cols) else {
                continue;
            };
            let (from, to) = (K::at(x, first, g.rows), K::at(x, last, g.rows));
            self.lo[k] = seek(&g.codes, self.lo[k], |code| code < from);
            self.hi[k] = seek(&g.codes, self.hi[k].max(self.lo[k]), |code| code <= to);
            *run = self.lo[k]..self.hi[k];
        }
        out
    }
}

/// The first index from `from` on where `below` turns false (it holds on a prefix of
/// `codes`, and not on the last code, [`Code::END`]). A cursor mostly moves by a cell or
/// two: two steps without a branch to mispredict, then, rarely, a gallop.
fn seek<K: Copy>(codes: &[K], mut from: usize, below: impl Fn(K) -> bool) -> usize {
    from += usize::from(below(codes[from]));
    from += usize::from(below(codes[from]));
    if below(codes[from]) {
        gallop(codes, from, below)
    } else {
        from
    }
}

/// As [`seek`], for long moves: an exponential then a binary search, O(log d) for a move
/// by d.
fn gallop<K: Copy>(codes: &[K], from: usize, below: impl Fn(K) -> bool) -> usize {
    let rest = &codes[from..];
    let mut bound = 1;
    while bound < rest.len() && below(rest[bound - 1]) {
        bound *= 2;
    }
    from + rest[..bound.min(rest.len())].partition_point(|&c| below(c))
}

/// Points as unit vectors, in grid order: the haversine term is a quarter of the squared
/// chord, a = sin²(d/2) = |p − q|² / 4, so a pair costs three subtractions and no
/// trigonometry.
struct Points {
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
}

impl Points {
    /// The haversine term for points i and j.
    fn a(&self, i: usize, j: usize) -> f64 {
        hav_of_chord(
            self.x[j] - self.x[i],
            self.y[j] - self.y[i],
            self.z[j] - self.z[i],
        )
    }

    /// How many of the points `r` are within the threshold of point i: no branch, so
    /// the loop vectorises.
    fn count_within(&self, i: usize, r: Range<usize>, threshold: f64) -> usize {
        let (xi, yi, zi) = (self.x[i], self.y[i], self.z[i]);
        self.x[r.clone()]
            .iter()
            .zip(&self.y[r.clone()])
            .zip(&self.z[r])
            .map(|((x, y), z)| usize::from(hav_of_chord(x - xi, y - yi, z - zi) <= threshold))
            .sum()
    }

    /// The first of the points `r` within the threshold of point i: eight at a time
    /// without a branch, then the eight with a hit one by one.
    fn first_within(&self, i: usize, r: Range<usize>, threshold: f64) -> Option<usize> {
        let (xi, yi, zi) = (self.x[i], self.y[i], self.z[i]);
        let mut from = r.start;
        while from < r.end {
            let to = (from + 8).min(r.end);
            let hit = self.x[from..to]
                .iter()
                .zip(&self.y[from..to])
                .zip(&self.z[from..to])
                .fold(false, |hit, ((x, y), z)| {
                    hit | (hav_of_chord(x - xi, y - yi, z - zi) <= threshold)
                });
            if hit {
                return (from..to).find(|&j| self.a(i, j) <= threshold);
            }
            from = to;
        }
        None
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

fn union(parent: &mut [u32], a: u32, b: u32) -> bool {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra == rb {
        return false;
    }
    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[hi as usize] = lo;
    true
}

/// Runs `work` on every piece, the pieces taken in turn by up to `threads` threads, each
/// with its own `state`; the results come back in the pieces' order (also the queue of
/// [`super::clusters::summaries`]).
pub(super) fn on_threads<P: Send, S, R: Send>(
    pieces: Vec<P>,
    threads: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, P) -> R + Sync,
) -> Vec<R> {
    let workers = threads.min(pieces.len());
    let queue = Mutex::new(pieces.into_iter().enumerate());
    let worker = || {
        let mut s = state();
        let mut done = Vec::new();
        // A poisoned queue means another worker panicked; its join below re-raises it.
        while let Some((k, piece)) = queue.lock().ok().and_then(|mut q| q.next()) {
            done.push((k, work(&mut s, piece)));
        }
        done
    };
    let mut done = std::thread::scope(|scope| {
        let others: Vec<_> = (1..workers).map(|_| scope.spawn(worker)).collect();
        let mut done = worker();
        for h in others {
            done.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        done
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `keyed` sorted (its entries are distinct, so the order is the one a stable sort would
/// give): a counting sort into at most 2^16 buckets by the codes' leading bits below
/// `max`, then the buckets sorted each on its own, runs of them on every core.
fn sort_keyed<K: Code>(keyed: Vec<(K, u32)>, max: K, threads: usize) -> Vec<(K, u32)> {
    let n = keyed.len();
    let bits = (n / 256).max(1).ilog2().min(16);
    let shift = max.bits().saturating_sub(bits);
    let mut at = vec![0usize; (1 << bits) + 1];
    for e in &keyed {
        at[e.0.high(shift) + 1] += 1;
    }
    for b in 0..1 << bits {
        at[b + 1] += at[b];
    }
    let mut out = keyed.clone();
    let mut next = at.clone();
    for &e in &keyed {
        let b = e.0.high(shift);
        out[next[b]] = e;
        next[b] += 1;
    }
    drop(keyed);
    // Runs of whole buckets of about n / 4·threads entries.
    let mut parts: Vec<Vec<&mut [(K, u32)]>> = Vec::new();
    let mut rest = out.as_mut_slice();
    let mut part = Vec::new();
    let mut size = 0;
    for b in 0..1 << bits {
        let (bucket, tail) = rest.split_at_mut(at[b + 1] - at[b]);
        rest = tail;
        size += bucket.len();
        part.push(bucket);
        if size >= n / (4 * threads) {
            parts.push(std::mem::take(&mut part));
            size = 0;
        }
    }
    parts.push(part);
    on_threads(
        parts,
        threads,
        || (),
        |(), part| {
            for bucket in part {
                bucket.sort_unstable();
            }
        },
    );
    out
}

/// Cuts the cells into runs of about `target` points.
fn pieces<K: Code>(grid: &Grid<K>, target: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut first = 0;
    for c in 0..grid.len() {
        if grid.points(first..c + 1).len() >= target {
            out.push(first..c + 1);
            first = c + 1;
        }
    }
    if first < grid.len() {
        out.push(first..grid.len());
    }
    out
}

/// Splits `v` (one entry per sorted point) along the pieces' points.
fn split_by<'v, T, K: Code>(
    mut v: &'v mut [T],
    grid: &Grid<K>,
    pieces: &[Range<usize>],
) -> Vec<(Range<usize>, &'v mut [T])> {
    let mut out = Vec::with_capacity(pieces.len());
    for p in pieces {
        let (head, tail) = v.split_at_mut(grid.points(p.clone()).len());
        out.push((p.clone(), head));
        v = tail;
    }
    out
}

/// DBSCAN with cells coded as `K`: (labels, core flags) in visiting order, and the number
/// of clusters.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "indices of fewer than 2^32 points (checked by the caller), cluster numbers"
)]
fn run<K: Code>(
    ids: &[i64],
    lon: Vec<f64>,
    lat: Vec<f64>,
    shape: &Shape,
    p: &Params,
) -> (Vec<i32>, Vec<bool>, usize) {
    let rows = shape.rows;
    let n = ids.len();
    let threads = p.threads;
    let chunk = n.div_ceil(threads);
    // Points sorted by cell, then by visiting order (the keys are distinct): `order[s]` is
    // the visiting index of sorted point s.
    let mut keyed: Vec<(K, u32)> = vec![(K::at(0, 0, rows), 0); n];
    std::thread::scope(|scope| {
        let parts = keyed
            .chunks_mut(chunk)
            .zip(lon.chunks(chunk).zip(lat.chunks(chunk)));
        for (t, (part, (lon, lat))) in parts.enumerate() {
            scope.spawn(move || {
                for (k, (e, (&lon, &lat))) in
                    (t * chunk..).zip(part.iter_mut().zip(lon.iter().zip(lat)))
                {
                    let (col, row) = shape.cell(lon, lat);
                    *e = (K::at(col, row, rows), k as u32);
                }
            });
        }
    });
    let keyed = sort_keyed(keyed, K::at(shape.cols - 1, rows - 1, rows), threads);
    let mut grid = Grid {
        codes: Vec::new(),
        starts: Vec::new(),
        cores: Vec::new(),
        cols: shape.cols,
        rows,
    };
    let mut order = Vec::with_capacity(n);
    for (s, &(code, k)) in keyed.iter().enumerate() {
        if grid.codes.last() != Some(&code) {
            grid.codes.push(code);
            grid.starts.push(s as u32);
        }
        order.push(k);
    }
    grid.starts.push(n as u32);
    grid.codes.push(K::END);
    drop(keyed);
    let mut pts = Points {
        x: vec![0.0; n],
        y: vec![0.0; n],
        z: vec![0.0; n],
    };
    std::thread::scope(|scope| {
        let parts = pts
            .x
            .chunks_mut(chunk)
            .zip(pts.y.chunks_mut(chunk))
            .zip(pts.z.chunks_mut(chunk))
            .zip(order.chunks(chunk));
        let (lon, lat) = (&lon, &lat);
        for (((x, y), z), ks) in parts {
            scope.spawn(move || {
                for (((x, y), z), &k) in x.iter_mut().zip(y).zip(z).zip(ks) {
                    let k = k as usize;
                    [*x, *y, *z] = unit_vector(lat[k].to_radians(), lon[k].to_radians());
                }
            });
        }
    });
    drop((lon, lat));
    let runs = pieces(&grid, (n / (threads * 16)).max(4096));

    // 1. Core flags, and each cell's smallest core id (i64::MAX: no core point) and number
    // of core points.
    let mut core = vec![false; n];
    let (cell_min, cores): (Vec<i64>, Vec<u32>) = on_threads(
        split_by(&mut core, &grid, &runs),
        threads,
        || (),
        |(), (cells, out)| core_flags(&grid, &pts, p, ids, &order, cells, out),
    )
    .concat()
    .into_iter()
    .unzip();
    grid.cores = cores;
    // Each cell's core points first, each part in grid order, so that the searches below
    // scan runs of core points only (a border's first core neighbour is still the first
    // in grid order).
    let mut moved: Vec<(f64, f64, f64, u32)> = Vec::new();
    for c in 0..grid.len() {
        let (own, m) = (grid.points(c..c + 1), grid.cores[c] as usize);
        if m == 0 || m == own.len() {
            continue;
        }
        moved.clear();
        for pass in [true, false] {
            for s in own.clone().filter(|&s| core[s] == pass) {
                moved.push((pts.x[s], pts.y[s], pts.z[s], order[s]));
            }
        }
        for (s, &(x, y, z, k)) in own.clone().zip(&moved) {
            (pts.x[s], pts.y[s], pts.z[s], order[s]) = (x, y, z, k);
        }
        core[own.start..own.start + m].fill(true);
        core[own.start + m..own.end].fill(false);
    }
    drop(moved);

    // 2. Groups of core points (a cell's, or with no shortcut each core point alone) that
    // touch, then their components on one thread.
    let groups = if p.clique { grid.len() } else { n };
    let edges = on_threads(
        runs.clone(),
        threads,
        || (0..groups as u32).collect::<Vec<u32>>(),
        |local, cells| {
            if p.clique {
                cell_links(&grid, &pts, p, cells, local)
            } else {
                point_links(&grid, &pts, p, cells, local)
            }
        },
    );
    let mut parent: Vec<u32> = (0..groups as u32).collect();
    for (a, b) in edges.into_iter().flatten() {
        union(&mut parent, a, b);
    }
    // Clusters numbered by their smallest core id.
    let point_min: Vec<i64> = if p.clique {
        Vec::new()
    } else {
        (0..n)
            .map(|s| {
                if core[s] {
                    ids[order[s] as usize]
                } else {
                    i64::MAX
                }
            })
            .collect()
    };
    let group_min = if p.clique { &cell_min } else { &point_min };
    let mut root_min = vec![i64::MAX; groups];
    for (g, &min) in group_min.iter().enumerate() {
        if min != i64::MAX {
            let r = find(&mut parent, g as u32) as usize;
            root_min[r] = root_min[r].min(min);
        }
    }
    let mut roots: Vec<(i64, u32)> = (0..groups)
        .filter(|&g| root_min[g] != i64::MAX)
        .map(|g| (root_min[g], g as u32))
        .collect();
    roots.sort_unstable();
    drop(root_min);
    let mut number = vec![-1i32; groups];
    for (k, &(_, r)) in roots.iter().enumerate() {
        number[r as usize] = k as i32;
    }
    let group_label: Vec<i32> = (0..groups)
        .map(|g| {
            if group_min[g] == i64::MAX {
                -1
            } else {
                number[find(&mut parent, g as u32) as usize]
            }
        })
        .collect();
    drop((number, parent, point_min, cell_min));

    // 3. Labels: a core point its group's, a border point its first core neighbour's.
    let mut sorted_labels = vec![-1i32; n];
    on_threads(
        split_by(&mut sorted_labels, &grid, &runs),
        threads,
        || (),
        |(), (cells, out)| labels(&grid, &pts, p, &group_label, cells, out),
    );
    // Back to visiting order.
    let mut labels = vec![-1i32; n];
    let mut core_out = vec![false; n];
    for (s, &k) in order.iter().enumerate() {
        labels[k as usize] = sorted_labels[s];
        core_out[k as usize] = core[s];
    }
    (labels, core_out, roots.len())
}

/// Pass 1 on the cells `cells`: the core flags of their points into `out`, and each cell's
/// smallest core id and number of core points.
fn core_flags<K: Code>(
    grid: &Grid<K>,
    pts: &Points,
    p: &Params,
    ids: &[i64],
    order: &[u32],
    cells: Range<usize>,
    out: &mut [bool],
) -> Vec<(i64, u32)> {
    let base = grid.starts[cells.start] as usize;
    let mut blocks = Blocks::new(grid);
    let mut info = Vec::with_capacity(cells.len());
    for c in cells {
        let own = grid.points(c..c + 1);
        let flags = &mut out[own.start - base..own.end - base];
        if p.clique && own.len() >= p.min_points {
            flags.fill(true);
        } else {
            let block = blocks.around(c).map(|r| grid.points(r));
            // Too few points in the whole block: none is core, with no distance.
            let reach: usize = block.iter().map(ExactSizeIterator::len).sum();
            for (i, flag) in own
                .clone()
                .zip(flags.iter_mut())
                .filter(|_| reach >= p.min_points)
            {
                // With the shortcut, the cell's own points are all neighbours; the middle
                // column first, as it holds the nearest points, then outwards, stopping
                // as soon as the count is reached.
                let mut count = if p.clique { own.len() } else { 0 };
                for k in [2, 1, 3, 0, 4] {
                    let r = block[k].clone();
                    count += if p.clique && k == 2 {
                        pts.count_within(i, r.start..own.start, p.threshold)
                            + pts.count_within(i, own.end..r.end, p.threshold)
                    } else {
                        pts.count_within(i, r, p.threshold)
                    };
                    if count >= p.min_points {
                        break;
                    }
                }
                *flag = count >= p.min_points;
            }
        }
        let min = own
            .zip(flags.iter())
            .filter(|(_, f)| **f)
            .map(|(s, _)| ids[order[s] as usize])
            .min()
            .unwrap_or(i64::MAX);
        let count = flags.iter().filter(|f| **f).count();
        info.push((min, u32::try_from(count).unwrap_or(u32::MAX)));
    }
    info
}

/// Pass 2 with the cell shortcut, on the cells `cells`: the pairs of cells with core points
/// within eps of each other (searched from the lower code on, to the first pair), unless
/// `local` (this thread's union-find of cells) already joins them. Touching cells are tried
/// first, then those a cell apart, then the corners two apart: most far pairs are then
/// joined already and cost no search.
#[expect(
    clippy::cast_possible_truncation,
    reason = "cells of fewer than 2^32 points (checked by the caller)"
)]
fn cell_links<K: Code>(
    grid: &Grid<K>,
    pts: &Points,
    p: &Params,
    cells: Range<usize>,
    local: &mut [u32],
) -> Vec<(u32, u32)> {
    let mut by_gap: [Vec<(u32, u32)>; 3] = Default::default();
    let mut blocks = Blocks::new(grid);
    for a in cells {
        if grid.cores[a] == 0 {
            continue;
        }
        let block = blocks.around(a);
        let (col, row) = (blocks.col, blocks.row);
        // Forward: the rows above in the same column, then the next two columns.
        for (dx, later) in [
            (0, a + 1..block[2].end),
            (1, block[3].clone()),
            (2, block[4].clone()),
        ] {
            let Some(&first) = grid.codes.get(later.start).filter(|_| !later.is_empty()) else {
                continue;
            };
            // The column's row 0: the later cells' rows are their codes' distance from it.
            let base = K::at(col + dx, 0, grid.rows);
            debug_assert!(first >= base);
            for b in later.filter(|&b| grid.cores[b] > 0) {
                let dy = grid.codes[b].minus(base).abs_diff(row);
                let gap = dx.saturating_sub(1) + dy.saturating_sub(1);
                by_gap[usize::try_from(gap).unwrap_or(2).min(2)].push((a as u32, b as u32));
            }
        }
    }
    let mut edges = Vec::new();
    for &(a, b) in by_gap.iter().flatten() {
        if find(local, a) == find(local, b) {
            continue;
        }
        let theirs = grid.cores(b as usize);
        let touch = grid
            .cores(a as usize)
            .any(|i| pts.first_within(i, theirs.clone(), p.threshold).is_some());
        if touch {
            union(local, a, b);
            edges.push((a, b));
        }
    }
    edges
}

/// Pass 2 without the shortcut, on the cells `cells`: each pair of core points within eps,
/// the second later in grid order than the first, unless `local` (this thread's union-find
/// of points) already joins them.
#[expect(
    clippy::cast_possible_truncation,
    reason = "indices of fewer than 2^32 points (checked by the caller)"
)]
fn point_links<K: Code>(
    grid: &Grid<K>,
    pts: &Points,
    p: &Params,
    cells: Range<usize>,
    local: &mut [u32],
) -> Vec<(u32, u32)> {
    let mut edges = Vec::new();
    let mut blocks = Blocks::new(grid);
    for a in cells {
        if grid.cores[a] == 0 {
            continue;
        }
        let block = blocks.around(a);
        let later: Vec<usize> = (a..block[2].end)
            .chain(block[3].clone())
            .chain(block[4].clone())
            .collect();
        for i in grid.cores(a) {
            for &b in &later {
                let theirs = grid.cores(b);
                let theirs = if b == a { i + 1..theirs.end } else { theirs };
                for j in theirs {
                    if pts.a(i, j) <= p.threshold && union(local, i as u32, j as u32) {
                        edges.push((i as u32, j as u32));
                    }
                }
            }
        }
    }
    edges
}

/// Pass 3 on the cells `cells`: the label of each of their points into `out` — a core
/// point's group's; a border point's first core neighbour's in grid order; −1 for noise.
fn labels<K: Code>(
    grid: &Grid<K>,
    pts: &Points,
    p: &Params,
    group_label: &[i32],
    cells: Range<usize>,
    out: &mut [i32],
) {
    let base = grid.starts[cells.start] as usize;
    let group = |c: usize, s: usize| group_label[if p.clique { c } else { s }];
    let mut blocks = Blocks::new(grid);
    for c in cells {
        let own = grid.points(c..c + 1);
        let slots = &mut out[own.start - base..own.end - base];
        let mine = grid.cores(c);
        for (s, l) in mine.clone().zip(slots.iter_mut()) {
            *l = group(c, s);
        }
        if mine.end == own.end {
            continue;
        }
        let block = blocks.around(c);
        for (i, l) in (mine.end..own.end).zip(&mut slots[mine.len()..]) {
            *l = block
                .iter()
                .flat_map(Clone::clone)
                .find_map(|b| {
                    pts.first_within(i, grid.cores(b), p.threshold)
                        .map(|j| group(b, j))
                })
                .unwrap_or(-1);
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "indices and labels of a few thousand test points"
)]
mod tests {
    use super::*;

    /// A small generator (xorshift), so the tests need no crate.
    struct Rng(u64);

    impl Rng {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            #[expect(clippy::cast_precision_loss, reason = "53 random bits")]
            let u = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
            u
        }
    }

    /// Clumps of points around random centres, with scattered points between, in a box
    /// of `span` degrees at (lon0, lat0).
    fn sample(seed: u64, n: usize, lon0: f64, lat0: f64, span: (f64, f64)) -> (Vec<f64>, Vec<f64>) {
        let mut r = Rng(seed);
        let centres: Vec<(f64, f64)> = (0..=n / 40)
            .map(|_| (lon0 + r.unit() * span.0, lat0 + r.unit() * span.1))
            .collect();
        (0..n)
            .map(|k| {
                if k % 5 == 0 {
                    (lon0 + r.unit() * span.0, lat0 + r.unit() * span.1)
                } else {
                    let (x, y) = centres[k % centres.len()];
                    (x + (r.unit() - 0.5) * 0.004, y + (r.unit() - 0.5) * 0.004)
                }
            })
            .unzip()
    }

    /// DBSCAN by its definition, with every distance (`Points::a`, so that rounding is the
    /// same): core flags, and the components of the core points as sets of indices.
    fn brute(
        lon: &[f64],
        lat: &[f64],
        eps_m: f64,
        min_points: usize,
    ) -> (Vec<bool>, Vec<Vec<usize>>, Points) {
        let n = lon.len();
        let t = hav_of_distance_m(eps_m);
        let mut pts = Points {
            x: Vec::new(),
            y: Vec::new(),
            z: Vec::new(),
        };
        for k in 0..n {
            let [x, y, z] = unit_vector(lat[k].to_radians(), lon[k].to_radians());
            pts.x.push(x);
            pts.y.push(y);
            pts.z.push(z);
        }
        let core: Vec<bool> = (0..n)
            .map(|i| (0..n).filter(|&j| pts.a(i, j) <= t).count() >= min_points)
            .collect();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        for i in 0..n {
            for j in i + 1..n {
                if core[i] && core[j] && pts.a(i, j) <= t {
                    union(&mut parent, i as u32, j as u32);
                }
            }
        }
        let mut comps = std::collections::BTreeMap::<u32, Vec<usize>>::new();
        for i in (0..n).filter(|&i| core[i]) {
            comps
                .entry(find(&mut parent, i as u32))
                .or_default()
                .push(i);
        }
        (core, comps.into_values().collect(), pts)
    }

    /// `cluster` against the definition on 1, 2, 3 and 8 threads: the same core points,
    /// the components of the core points as clusters numbered by their smallest id, each
    /// border point in the cluster of a core point within eps, noise out of reach.
    fn check(lon: &[f64], lat: &[f64], eps: f64, min_points: usize, what: &str) {
        // Distinct ids in no particular order.
        let ids: Vec<i64> = (0..lon.len() as i64).map(|k| k * 7919 % 10_007).collect();
        let (core, comps, pts) = brute(lon, lat, eps, min_points);
        let one = cluster(ids.clone(), lon.to_vec(), lat.to_vec(), eps, min_points, 1);
        assert_eq!(one.core, core, "{what}");
        assert_eq!(one.clusters, comps.len(), "{what}");
        let mut by_min: Vec<(i64, &Vec<usize>)> = comps
            .iter()
            .map(|c| (c.iter().map(|&i| ids[i]).min().unwrap(), c))
            .collect();
        by_min.sort_unstable();
        for (k, (_, c)) in by_min.iter().enumerate() {
            assert!(c.iter().all(|&i| one.labels[i] == k as i32), "{what}");
        }
        let t = hav_of_distance_m(eps);
        for i in (0..lon.len()).filter(|&i| !core[i]) {
            let near: Vec<i32> = (0..lon.len())
                .filter(|&j| core[j] && pts.a(i, j) <= t)
                .map(|j| one.labels[j])
                .collect();
            if near.is_empty() {
                assert_eq!(one.labels[i], -1, "{what}");
            } else {
                assert!(near.contains(&one.labels[i]), "{what}");
            }
        }
        for threads in [2, 3, 8] {
            let c = cluster(
                ids.clone(),
                lon.to_vec(),
                lat.to_vec(),
                eps,
                min_points,
                threads,
            );
            assert_eq!(
                (&c.labels, &c.core, c.clusters),
                (&one.labels, &one.core, one.clusters),
                "{what}, {threads} threads"
            );
        }
    }

    /// On a city (the cell shortcuts) and on data from the equator to 60° N (none).
    #[test]
    fn matches_the_definition_on_any_number_of_threads() {
        for (seed, lon0, lat0, span) in [
            (1, 106.6, 10.7, (0.05, 0.05)),
            (2, 106.6, 10.7, (0.02, 0.01)),
            (3, 10.0, 0.0, (0.05, 60.0)),
        ] {
            let (lon, lat) = sample(seed, 1500, lon0, lat0, span);
            for (eps, min_points) in [(60.0, 4), (150.0, 10), (25.0, 2)] {
                check(
                    &lon,
                    &lat,
                    eps,
                    min_points,
                    &format!("seed {seed}, eps {eps}"),
                );
            }
        }
    }

    /// A radius of a tenth of a millimetre over a hundred degrees: more cells than a u64
    /// numbers, so cells take u128 codes; only coincident points are neighbours.
    #[test]
    fn a_grid_too_fine_for_u64_codes_gives_the_same_clusters() {
        let (lon, lat) = sample(4, 200, 0.0, 0.0, (100.0, 50.0));
        let (lon, lat): (Vec<f64>, Vec<f64>) = (0..lon.len())
            .flat_map(|k| std::iter::repeat_n((lon[k], lat[k]), k % 4 + 1))
            .unzip();
        // Columns are widened for the highest latitude (about 50°).
        let cell = (angle_of_distance_m(1e-4) * 0.505).to_degrees();
        let columns = 100.0 * 50f64.to_radians().cos() / cell;
        assert!(columns * (50.0 / cell) > 2f64.powi(64));
        check(&lon, &lat, 1e-4, 3, "eps 0.1 mm");
    }

    #[test]
    fn no_points_or_no_radius_is_all_noise() {
        let c = cluster(Vec::new(), Vec::new(), Vec::new(), 50.0, 3, 2);
        assert_eq!(c.clusters, 0);
        let c = cluster(vec![1, 2], vec![106.0; 2], vec![10.0; 2], 0.0, 1, 2);
        assert_eq!(
            (c.labels, c.core, c.clusters),
            (vec![-1, -1], vec![false; 2], 0)
        );
    }

    #[test]
    fn a_cursor_finds_the_first_code_not_below() {
        let codes: Vec<u64> = vec![1, 3, 3, 5, 8, 13, 21, 22, 23, 30, u64::END];
        for from in 0..codes.len() {
            for target in 0..35 {
                let want = codes.partition_point(|&c| c < target).max(from);
                assert_eq!(seek(&codes, from, |c| c < target), want);
                assert_eq!(gallop(&codes, from, |c| c < target), want);
            }
        }
    }
}
