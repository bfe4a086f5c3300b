//! Kernel density estimation (KDE) of incidents, evaluated at H3 cell centres.
//!
//! Method. For a bandwidth h (metres) and a kernel K, the density at a point x is
//!
//! ```text
//! f(x) = Σ_i K(d(x, p_i))          (incidents per m², × 1e6 → incidents per km²)
//! ```
//!
//! summed over the incidents `p_i` matching the filter, each of weight 1, where d is the
//! great-circle distance on the sphere of radius [`EARTH_RADIUS_M`] = 6,371,008.8 m (the
//! IUGG mean radius) by the haversine formula ([`haversine_m`](super::geodesy::haversine_m);
//! the Earth model and its identities are [`super::geodesy`]'s). This is the unnormalised
//! (count) form used by ArcGIS "Kernel Density" and QGIS "Heatmap": integrating f over the
//! plane gives the number of incidents, not 1. f is evaluated at the centre of every H3
//! cell at the requested resolution that lies within the kernel's support of at least one
//! matching incident; cells with zero density are left out.
//!
//! Kernels (Silverman 1986, *Density Estimation for Statistics and Data Analysis*, §4.2):
//!
//! ```text
//! quartic  K(d) = 3/(π h²) · (1 − d²/h²)²       for d < h, else 0   (support h)
//! gaussian K(d) = 1/(2π h²) · exp(−d²/(2h²))     for d < 3h, else 0  (support 3h)
//! ```
//!
//! The quartic (biweight) kernel is the one ArcGIS and QGIS use; it integrates to exactly 1
//! over the plane. The Gaussian is truncated at 3h and *not* renormalised: a planar
//! Gaussian keeps 1 − exp(−4.5) = 0.988 891 003 461 757 7 (> 98.9 %) of its mass inside
//! radius 3h, so densities are at most 1.11 % low against the untruncated kernel, and in
//! exchange each evaluation touches only the incidents of a bounded neighbourhood. (Both
//! formulas are planar; on the sphere the mass within a few km differs from the planar one
//! by a relative O((s/R)²), i.e. < 1e-6 for a support s under 6 km.)
//!
//! Default bandwidth ([`silverman_bandwidth_m`]): ArcGIS's spatial variant of Silverman's
//! rule of thumb,
//!
//! ```text
//! h = 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−0.2)
//! ```
//!
//! with n the number of incidents, SD their standard distance and Dm the median of their
//! distances from the mean centre (all weights 1). Both are measured in a local
//! equirectangular projection around the mean centre (λ0, φ0) = (mean lon, mean lat):
//! x = R cos φ0 (λ − λ0), y = R (φ − φ0), angles in radians, so SD = √(mean(x² + y²)) and
//! Dm = median √(x² + y²) (the mean of the two middle values when n is even). Over a city
//! the projection's distortion is well under 0.1 %.
//!
//! Evaluation. Candidate cells are every cell of the H3 grid disk, around every occupied
//! cell at the resolution, large enough to hold every cell whose centre is within the
//! support radius s of an incident in the occupied cell: k = ⌈(s + c) / (0.9 · 1.5 e)⌉ + 1,
//! with e the occupied cell's shortest edge and c its centre-to-vertex radius (adjacent
//! hexagon centres are 1.5 e apart at the closest, corner to corner; the 0.9 and + 1 absorb
//! H3's distortion and the fact that a resolution-15 cell's parent does not exactly contain
//! it). The matching incidents are copied once into plain arrays of radians, in pages of
//! 64 neighbours (the index's H3 order) under an R-tree of the pages' boxes. For each
//! distinct candidate centre, the pages meeting the lon/lat box that encloses the support
//! circle (Δφ = s/R, Δλ = Δφ / cos `φ_max`, widened by 1 %) are visited and K(d) is summed
//! over their incidents with d < s. The distance of a pair costs no trigonometry: the
//! haversine term and d² come from short Taylor polynomials in the small differences (see
//! `Points::sum_small` for the error bound; supports over 50 km, and data spread over a
//! continent or near a pole, use the haversine formula itself).
//!
//! Harm (`weight=harm`): each incident's kernel is multiplied by its harm in days, so the
//! density is harm (days) per km². The default bandwidth stays Silverman's on the
//! unweighted points: the bandwidth says how far an incident's influence reaches, which its
//! harm does not change.
//!
//! Conventions. Degenerate bandwidths (≤ 0, NaN, infinite) give an empty result rather than
//! NaNs: validation is the caller's job. Incidents on the far side of the antimeridian are
//! not seen (no study area straddles it). Output is sorted by cell.
//!
//! Complexity. O(m · k²) to build the candidates (m occupied cells, k as above, so
//! k² ∝ (s / edge)²), O(n) to copy the n matching incidents, then per candidate one
//! R-tree query plus ~40 floating-point operations per incident of the pages met:
//! O(C · (log n + q)) with C candidates and q incidents per box. The caller should bound s
//! relative to the cell size (the candidate count grows with (s / edge)²).
//! Memory: 16 bytes per matching incident, plus the candidate list (8 bytes per cell, before
//! dedup).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::cells::count_cells;
use super::geodesy::{
    EARTH_RADIUS_M, angle_of_distance_m, half_angle_of_hav, hav_of_chord, hav_of_distance_m,
    unit_vector,
};
use super::weights::{HarmTable, Weighting};
use crate::index::{Filter, IncidentIndex, RowsId};

/// The fraction of a planar Gaussian kernel's mass within 3h: 1 − exp(−4.5).
pub const GAUSSIAN_MASS_WITHIN_3H: f64 = 0.988_891_003_461_757_7;

/// The kernel shape (`quartic`, `gaussian` in a query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// 3/(π h²) · (1 − d²/h²)² for d < h (ArcGIS, QGIS).
    Quartic,
    /// 1/(2π h²) · exp(−d²/(2h²)), truncated at 3h.
    Gaussian,
}

impl Kernel {
    /// The radius beyond which the kernel is zero: h (quartic) or 3h (Gaussian).
    #[must_use]
    pub fn support_m(self, bandwidth_m: f64) -> f64 {
        match self {
            Self::Quartic => bandwidth_m,
            Self::Gaussian => 3.0 * bandwidth_m,
        }
    }

    /// K(d) in per m² for distance `d_m` and bandwidth `h_m` (0 outside the support).
    #[must_use]
    pub fn eval(self, d_m: f64, h_m: f64) -> f64 {
        match self {
            Self::Quartic => {
                if d_m < h_m {
                    let r = d_m / h_m;
                    let u = 1.0 - r * r;
                    3.0 / (std::f64::consts::PI * h_m * h_m) * u * u
                } else {
                    0.0
                }
            }
            Self::Gaussian => {
                if d_m < 3.0 * h_m {
                    1.0 / (2.0 * std::f64::consts::PI * h_m * h_m)
                        * (-(d_m * d_m) / (2.0 * h_m * h_m)).exp()
                } else {
                    0.0
                }
            }
        }
    }
}

/// One cell's density.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KdeCell {
    pub cell: CellIndex,
    /// Incidents per km² at the cell's centre (harm in days per km² when weighing by harm).
    pub density: f64,
}

/// ArcGIS's spatial Silverman bandwidth in metres for the incidents matching `filter` (see
/// the module header). `None` with fewer than two incidents or when they all coincide.
#[must_use]
pub fn silverman_bandwidth_m(index: &IncidentIndex, filter: &Filter) -> Option<f64> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    index.for_each(filter, |seg, i| pts.push((seg.lon[i], seg.lat[i])));
    let n = pts.len();
    if n < 2 {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "n ≪ 2^53: exact")]
    let nf = n as f64;
    let lon0 = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let lat0 = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let kx = EARTH_RADIUS_M * lat0.to_radians().cos();
    let mut r: Vec<f64> = Vec::with_capacity(n);
    let mut sq = 0.0;
    for &(lon, lat) in &pts {
        let x = kx * (lon - lon0).to_radians();
        let y = EARTH_RADIUS_M * (lat - lat0).to_radians();
        let r2 = x * x + y * y;
        sq += r2;
        r.push(r2.sqrt());
    }
    let sd = (sq / nf).sqrt();
    let mid = n / 2;
    let (lower, upper, _) = r.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    let dm = if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        below.midpoint(upper)
    };
    silverman(nf, sd, dm)
}

/// The density at the centre of every cell at `res` within the kernel's support of at
/// least one incident matching `filter`; positive densities only, sorted by cell. Empty
/// when `bandwidth_m` is not a positive finite number.
#[must_use]
pub fn kde(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    bandwidth_m: f64,
    kernel: Kernel,
    w: &Weighting,
) -> Vec<KdeCell> {
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Vec::new();
    }
    let occupied: Vec<CellIndex> = count_cells(index, filter, res)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let candidates = candidates(occupied, res, kernel.support_m(bandwidth_m));
    if candidates.is_empty() {
        return Vec::new();
    }
    let pts = Points::memoised(index, filter, w.harm());
    evaluate(&pts, &candidates, bandwidth_m, kernel)
}

/// The points of the last (rows, filter, weights) KDE ran on. A planner moving the
/// bandwidth, the kernel or the resolution of one view asks again for the same points: for
/// 1M incidents they are ~42 MB of vectors and pages whose building (trigonometry per point,
/// fresh pages from the OS) was a third of a KDE. One entry, a few tens of MB: the map asks
/// for one filter at a time, and other analyses share nothing with it. The entry holds no
/// row alive ([`RowsId`]) and is replaced by the next filter.
type PointsKey = (RowsId, Filter, Option<HarmTable>);
static LAST_POINTS: Mutex<Option<(PointsKey, Arc<Points>)>> = Mutex::new(None);

/// The density of masses placed at cell centres — for anonymous callers, the published count
/// of each cell at `res` (issue 18): a surface of published numbers, which no incident's
/// position enters. `masses` are cells at `res` with positive weights; as [`kde`] otherwise.
#[must_use]
pub fn kde_of_masses(
    masses: &[(CellIndex, f64)],
    res: Resolution,
    bandwidth_m: f64,
    kernel: Kernel,
) -> Vec<KdeCell> {
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) || masses.is_empty() {
        return Vec::new();
    }
    let mut sorted = masses.to_vec();
    // In H3 order, as the index's rows, so that pages of neighbours are compact.
    sorted.sort_unstable_by_key(|(c, _)| *c);
    let occupied: Vec<CellIndex> = sorted.iter().map(|(c, _)| *c).collect();
    let candidates = candidates(occupied, res, kernel.support_m(bandwidth_m));
    let (lat, lon): (Vec<f64>, Vec<f64>) = sorted
        .iter()
        .map(|(c, _)| {
            let ll = LatLng::from(*c);
            (ll.lat().to_radians(), ll.lng().to_radians())
        })
        .unzip();
    let split = lat.len();
    let w = sorted.iter().map(|(_, m)| *m).collect();
    let pts = Points::build(&lat, &lon, Some(w), split);
    evaluate(&pts, &candidates, bandwidth_m, kernel)
}

/// ArcGIS's spatial Silverman bandwidth for masses at cell centres (weighted: n is the total
/// mass, the mean centre and standard distance are weighted, and the median distance is
/// that of the masses counted as repeated points). `None` below a total mass of 2 or when
/// every mass sits at one place.
#[must_use]
pub fn silverman_of_masses(masses: &[(CellIndex, f64)]) -> Option<f64> {
    let total: f64 = masses.iter().map(|(_, m)| *m).sum();
    // One place: no spread (tested on the cells, as a weighted mean of equal longitudes
    // need not give the longitude back to the last bit).
    if total < 2.0
        || masses
            .iter()
            .all(|(c, _)| Some(c) == masses.first().map(|m| &m.0))
    {
        return None;
    }
    let pts: Vec<(f64, f64, f64)> = masses
        .iter()
        .map(|(c, m)| {
            let ll = LatLng::from(*c);
            (ll.lng(), ll.lat(), *m)
        })
        .collect();
    let lon0 = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / total;
    let lat0 = pts.iter().map(|p| p.1 * p.2).sum::<f64>() / total;
    let kx = EARTH_RADIUS_M * lat0.to_radians().cos();
    let mut r: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    let mut sq = 0.0;
    for &(lon, lat, m) in &pts {
        let x = kx * (lon - lon0).to_radians();
        let y = EARTH_RADIUS_M * (lat - lat0).to_radians();
        let r2 = x * x + y * y;
        sq += m * r2;
        r.push((r2.sqrt(), m));
    }
    r.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // The median of the distances with each repeated by its mass: the value at the middle
    // of the cumulative mass (the midpoint of the two middle ones when they straddle it).
    let at = |pos: f64| {
        let mut acc = 0.0;
        r.iter()
            .find(|(_, m)| {
                acc += m;
                acc > pos
            })
            .map_or(0.0, |(d, _)| *d)
    };
    let half = total / 2.0;
    let dm = if (total % 2.0 - 1.0).abs() < 1e-9 {
        at(half.floor())
    } else {
        at(half - 1.0).midpoint(at(half))
    };
    silverman(total, (sq / total).sqrt(), dm)
}

/// ArcGIS's rule from the (weighted) number of points, their standard distance and median
/// distance from the mean centre, in metres.
fn silverman(n: f64, sd: f64, dm: f64) -> Option<f64> {
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * dm) * n.powf(-0.2);
    (h.is_finite() && h > 0.0).then_some(h)
}

/// The kernel sum of `pts` at the centre of each candidate cell, positive densities only.
fn evaluate(pts: &Points, candidates: &[CellIndex], h: f64, kernel: Kernel) -> Vec<KdeCell> {
    let s = kernel.support_m(h);
    let norm = match kernel {
        Kernel::Quartic => 3.0 / (std::f64::consts::PI * h * h),
        Kernel::Gaussian => 1.0 / (2.0 * std::f64::consts::PI * h * h),
    } * 1e6;
    let sum = Summer {
        a_max: hav_of_distance_m(s),
        // q = d²/h² (quartic) or d²/2h² (Gaussian), from d²/4R².
        scale: 4.0 * EARTH_RADIUS_M * EARTH_RADIUS_M
            / match kernel {
                Kernel::Quartic => h * h,
                Kernel::Gaussian => 2.0 * h * h,
            },
        series: s <= SERIES_MAX_M,
        kernel,
    };
    let dlat = angle_of_distance_m(s) * 1.01 + 1e-11;
    // Every centre's sum is its own: runs of the candidates on every core, joined in order,
    // give the same cells and values as one thread. Runs are small and taken from a shared
    // counter, since centres over the dense core cost many times those of the outskirts:
    // one run per thread left a core idle for much of the time.
    let threads = crate::parallel::threads();
    let chunk = candidates.len().div_ceil(threads * 16).max(1);
    let runs: Vec<&[CellIndex]> = candidates.chunks(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (sum, norm, runs, next) = (&sum, norm, &runs, &next);
    let mut done: Vec<(usize, Vec<KdeCell>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(runs.len()))
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let r = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(run) = runs.get(r) else { break };
                        mine.push((r, densities(pts, run, sum, norm, dlat)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(r, _)| *r);
    done.into_iter().flat_map(|(_, cells)| cells).collect()
}

/// [`evaluate`] for one run of the candidates.
fn densities(
    pts: &Points,
    candidates: &[CellIndex],
    sum: &Summer,
    norm: f64,
    dlat: f64,
) -> Vec<KdeCell> {
    let mut out = Vec::new();
    for &cell in candidates {
        let c = LatLng::from(cell);
        // Through degrees, as every client reads a cell's centre (h3-py, GeoJSON): the
        // radians differ in the last bit, which moves a kernel's value near the edge of its
        // support by ~1e-10 relative.
        let (p1, l1) = (c.lat().to_radians(), c.lng().to_radians());
        let cos_lat = (p1.abs() + dlat).min(std::f64::consts::FRAC_PI_2).cos();
        let dlon = if cos_lat > 1e-6 { dlat / cos_lat } else { 10.0 };
        let env = AABB::from_corners([l1 - dlon, p1 - dlat], [l1 + dlon, p1 + dlat]);
        let centre = pts.frame.vector(p1, l1);
        let mut total = 0.0;
        for page in pts.pages.locate_in_envelope_intersecting(&env) {
            let (start, end) = (page.data.0 as usize, page.data.1 as usize);
            let (x, y, z) = (&pts.x[start..end], &pts.y[start..end], &pts.z[start..end]);
            total += match &pts.w {
                None => sum.page(centre, x, y, z),
                Some(w) => sum.page_weighted(centre, x, y, z, &w[start..end]),
            };
        }
        let density = total * norm;
        if density > 0.0 {
            out.push(KdeCell { cell, density });
        }
    }
    out
}

/// Supports up to this radius use the series for d² (see [`Summer::page`]).
const SERIES_MAX_M: f64 = 50_000.0;

/// The kernel summed over the points of one page for one centre.
struct Summer {
    /// sin²(s/2R): the haversine term at the support radius.
    a_max: f64,
    scale: f64,
    series: bool,
    kernel: Kernel,
}

impl Summer {
    /// Σ K-shape over the points (vectors in one [`Frame`], as three slices).
    ///
    /// A pair costs no trigonometry: the haversine term is a quarter of the squared chord,
    /// a = sin²(d/2R) = |u − v|²/4 (exact), and for supports up to 50 km d² comes from the
    /// series d²/4R² = asin²(√a) = a + a²/3 + 8a³/45 + 4a⁴/35 + …, whose first omitted term
    /// is below 1e-19 relative there (a < 1.6e-5). The chord is taken from the differences
    /// of the components, not from 2 − 2u·v, which would cancel catastrophically. The
    /// quartic's support needs no test either: 1 − d²/h² is negative beyond it and clamped
    /// to 0, so the loop has no branch and the compiler vectorises it.
    fn page(&self, c: [f64; 3], x: &[f64], y: &[f64], z: &[f64]) -> f64 {
        let d2 = |i: usize| {
            let a = hav_of_chord(x[i] - c[0], y[i] - c[1], z[i] - c[2]);
            (a, self.d2_scaled(a))
        };
        match self.kernel {
            Kernel::Quartic if self.series => {
                // Four independent sums over chunks of four: no bounds checks, no waiting
                // on one accumulator, and no branch, so the loop vectorises.
                let mut acc = [0.0f64; 4];
                let chunks = x
                    .chunks_exact(4)
                    .zip(y.chunks_exact(4))
                    .zip(z.chunks_exact(4));
                for ((cx, cy), cz) in chunks {
                    for lane in 0..4 {
                        let a = hav_of_chord(cx[lane] - c[0], cy[lane] - c[1], cz[lane] - c[2]);
                        let u = 1.0 - self.d2_series(a);
                        let u = if u > 0.0 { u } else { 0.0 };
                        acc[lane] += u * u;
                    }
                }
                for j in x.len() / 4 * 4..x.len() {
                    let u = 1.0 - d2(j).1;
                    acc[0] += if u > 0.0 { u * u } else { 0.0 };
                }
                (acc[0] + acc[1]) + (acc[2] + acc[3])
            }
            _ => (0..x.len())
                .map(|i| {
                    let (a, q) = d2(i);
                    if a >= self.a_max {
                        0.0
                    } else {
                        match self.kernel {
                            Kernel::Quartic => (1.0 - q) * (1.0 - q),
                            Kernel::Gaussian => (-q).exp(),
                        }
                    }
                })
                .sum(),
        }
    }

    /// Σ weight × K-shape over the points: [`Self::page`] with a weight per point (harm),
    /// the quartic series in the same four branch-free lanes.
    fn page_weighted(&self, c: [f64; 3], x: &[f64], y: &[f64], z: &[f64], w: &[f64]) -> f64 {
        if self.kernel == Kernel::Quartic && self.series {
            let mut acc = [0.0f64; 4];
            let chunks = x
                .chunks_exact(4)
                .zip(y.chunks_exact(4))
                .zip(z.chunks_exact(4))
                .zip(w.chunks_exact(4));
            for (((cx, cy), cz), cw) in chunks {
                for lane in 0..4 {
                    let a = hav_of_chord(cx[lane] - c[0], cy[lane] - c[1], cz[lane] - c[2]);
                    let u = 1.0 - self.d2_series(a);
                    let u = if u > 0.0 { u } else { 0.0 };
                    acc[lane] += cw[lane] * (u * u);
                }
            }
            for j in x.len() / 4 * 4..x.len() {
                let a = hav_of_chord(x[j] - c[0], y[j] - c[1], z[j] - c[2]);
                let u = 1.0 - self.d2_series(a);
                acc[0] += if u > 0.0 { w[j] * (u * u) } else { 0.0 };
            }
            return (acc[0] + acc[1]) + (acc[2] + acc[3]);
        }
        let mut acc = 0.0;
        for i in 0..x.len() {
            let a = hav_of_chord(x[i] - c[0], y[i] - c[1], z[i] - c[2]);
            if a >= self.a_max {
                continue;
            }
            let q = self.d2_scaled(a);
            acc += w[i]
                * match self.kernel {
                    Kernel::Quartic => {
                        let u = (1.0 - q).max(0.0);
                        u * u
                    }
                    Kernel::Gaussian => (-q).exp(),
                };
        }
        acc
    }

    /// d²/h² (or d²/2h²) from the haversine term, by the series.
    #[inline]
    fn d2_series(&self, a: f64) -> f64 {
        self.scale * a * (1.0 + a * (1.0 / 3.0 + a * (8.0 / 45.0 + a * (4.0 / 35.0))))
    }

    /// d²/h² (or d²/2h²) from the haversine term.
    #[inline]
    fn d2_scaled(&self, a: f64) -> f64 {
        if self.series {
            self.d2_series(a)
        } else {
            let t = half_angle_of_hav(a);
            self.scale * t * t
        }
    }
}

/// The matching incidents as unit vectors, in pages of [`PAGE`] neighbours (the index's
/// H3 order) under an R-tree of the pages' lon/lat boxes (radians): each centre visits the
/// pages its support box meets and runs a tight loop over plain arrays, with no filter
/// test and no closure per point.
struct Points {
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    /// Each point's weight (harm), when weighing.
    w: Option<Vec<f64>>,
    frame: Frame,
    pages: RTree<Page>,
}

/// A page's lon/lat box (radians) and its range of rows.
type Page = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Rows per page: small enough that a page's box hugs its points.
const PAGE: usize = 64;

impl Points {
    /// [`Self::collect`] through [`LAST_POINTS`]: the same points, built once per filter.
    fn memoised(index: &IncidentIndex, filter: &Filter, harm: Option<&HarmTable>) -> Arc<Self> {
        let hit = |(key, _): &(PointsKey, Arc<Self>)| {
            key.0.is(index) && key.1 == *filter && key.2.as_ref() == harm
        };
        // A poisoned lock only means another request panicked while holding it: the entry
        // is whole or absent either way (it is replaced, never edited).
        if let Some((_, pts)) = LAST_POINTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|e| hit(e))
        {
            return Arc::clone(pts);
        }
        // Built outside the lock: two first requests may both build; the last one stays.
        let pts = Arc::new(Self::collect(index, filter, harm));
        *LAST_POINTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((
            (RowsId::of(index), filter.clone(), harm.cloned()),
            Arc::clone(&pts),
        ));
        pts
    }

    fn collect(index: &IncidentIndex, filter: &Filter, harm: Option<&HarmTable>) -> Self {
        let main = index.main();
        let (mut lat, mut lon);
        let mut w: Vec<f64> = Vec::new();
        if let Some(h) = harm {
            // Weighted: the general path, with the weight read beside each point.
            (lat, lon) = (Vec::new(), Vec::new());
            IncidentIndex::for_each_in_segment(main, filter, |seg, i| {
                lat.push(seg.lat[i].to_radians());
                lon.push(seg.lon[i].to_radians());
                w.push(h.of(seg, i));
            });
        } else if filter.is_empty() {
            lat = main.lat.iter().map(|v| v.to_radians()).collect::<Vec<_>>();
            lon = main.lon.iter().map(|v| v.to_radians()).collect::<Vec<_>>();
        } else if filter.is_time_only() {
            // The map's usual query: three plain columns, no per-row filter call.
            let (from, to) = (
                filter.from.unwrap_or(i64::MIN),
                filter.to.unwrap_or(i64::MAX),
            );
            (lat, lon) = (
                Vec::with_capacity(main.len()),
                Vec::with_capacity(main.len()),
            );
            for ((&t, &la), &lo) in main.time.iter().zip(&main.lat).zip(&main.lon) {
                if t >= from && t < to {
                    lat.push(la.to_radians());
                    lon.push(lo.to_radians());
                }
            }
        } else {
            (lat, lon) = (Vec::new(), Vec::new());
            // `main` is in H3 order: neighbours on the ground are neighbours in it.
            IncidentIndex::for_each_in_segment(main, filter, |seg, i| {
                lat.push(seg.lat[i].to_radians());
                lon.push(seg.lon[i].to_radians());
            });
        }
        let split = lat.len();
        // `delta` is in arrival order: sort it by cell so that its pages are compact too.
        let mut delta = Vec::new();
        IncidentIndex::for_each_in_segment(index.delta(), filter, |seg, i| {
            delta.push((
                seg.cell[i],
                seg.lat[i].to_radians(),
                seg.lon[i].to_radians(),
                harm.map_or(1.0, |h| h.of(seg, i)),
            ));
        });
        delta.sort_unstable_by_key(|d| u64::from(d.0));
        for (_, la, lo, wi) in delta {
            lat.push(la);
            lon.push(lo);
            if harm.is_some() {
                w.push(wi);
            }
        }
        Self::build(&lat, &lon, harm.map(|_| w), split)
    }

    /// Pages over the points (radians): rows `..split` and `split..` are paged apart (the
    /// main segment and the delta, each compact in H3 order).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "at most a few million points"
    )]
    fn build(lat: &[f64], lon: &[f64], w: Option<Vec<f64>>, split: usize) -> Self {
        let mut rects = Vec::with_capacity(lat.len() / PAGE + 2);
        for (from, to) in [(0, split), (split, lat.len())] {
            let mut start = from;
            while start < to {
                let end = (start + PAGE).min(to);
                let (y0, y1) = span(&lat[start..end]);
                let (x0, x1) = span(&lon[start..end]);
                rects.push(GeomWithData::new(
                    Rectangle::from_corners([x0, y0], [x1, y1]),
                    (start as u32, end as u32),
                ));
                start = end;
            }
        }
        let frame = Frame::around(lat, lon);
        let [x, y, z] = frame.vectors(lat, lon);
        Self {
            x,
            y,
            z,
            w,
            frame,
            pages: RTree::bulk_load(rects),
        }
    }
}

/// The smallest and largest value (∞, −∞ for none).
fn span(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Where the unit vectors are measured from. Over a region (the points within 0.2 rad,
/// ~1,270 km, of their middle on both axes) each vector is stored as its offset from the
/// middle's unit vector, computed from the angle-addition formulas with Taylor polynomials
/// of the offsets δ (first omitted terms δ¹³/13!, δ¹⁴/14! < 1e-17 for |δ| < 0.25): the
/// offsets are small numbers held to ~1e-18 absolute, so the chord between two of them
/// keeps ~1e-14 of relative precision where absolute unit vectors (rounded to 1e-16 on
/// components near 1) would keep only ~1e-12 for points 500 m apart. Beyond that span, the
/// library's sine and cosine give absolute unit vectors.
#[derive(Debug, Clone, Copy)]
struct Frame {
    p0: f64,
    l0: f64,
    sp0: f64,
    cp0: f64,
    sl0: f64,
    cl0: f64,
    local: bool,
}

impl Frame {
    fn around(lat: &[f64], lon: &[f64]) -> Self {
        let (p_lo, p_hi) = span(lat);
        let (l_lo, l_hi) = span(lon);
        let (p0, l0) = (p_lo.midpoint(p_hi), l_lo.midpoint(l_hi));
        let (sp0, cp0) = p0.sin_cos();
        let (sl0, cl0) = l0.sin_cos();
        Self {
            p0,
            l0,
            sp0,
            cp0,
            sl0,
            cl0,
            local: !lat.is_empty() && p_hi - p_lo <= 0.4 && l_hi - l_lo <= 0.4,
        }
    }

    /// The point's vector in this frame (latitude `p`, longitude `l`, radians). Always
    /// inlined: in the loop of [`Self::vectors`] it must vectorise.
    #[expect(
        clippy::inline_always,
        reason = "called in the loop of `Self::vectors`, which must vectorise"
    )]
    #[inline(always)]
    fn vector(&self, p: f64, l: f64) -> [f64; 3] {
        if !self.local {
            return unit_vector(p, l);
        }
        let (sd, cdm1) = sin_cosm1_small(p - self.p0);
        let (se, cem1) = sin_cosm1_small(l - self.l0);
        // cos φ − cos φ0, sin φ − sin φ0, and the same for λ, without cancellation.
        let dcp = self.cp0 * cdm1 - self.sp0 * sd;
        let dsp = self.sp0 * cdm1 + self.cp0 * sd;
        let dcl = self.cl0 * cem1 - self.sl0 * se;
        let dsl = self.sl0 * cem1 + self.cl0 * se;
        // (cp0 + dcp)(cl0 + dcl) − cp0 cl0, and so on: offsets from the middle's vector.
        [
            dcp * self.cl0 + self.cp0 * dcl + dcp * dcl,
            dcp * self.sl0 + self.cp0 * dsl + dcp * dsl,
            dsp,
        ]
    }

    /// Vectors of many points, in a loop the compiler vectorises.
    fn vectors(&self, lat: &[f64], lon: &[f64]) -> [Vec<f64>; 3] {
        let n = lat.len();
        let (mut x, mut y, mut z) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let out = x.iter_mut().zip(y.iter_mut()).zip(z.iter_mut());
        for (((xi, yi), zi), (&p, &l)) in out.zip(lat.iter().zip(lon)) {
            [*xi, *yi, *zi] = self.vector(p, l);
        }
        [x, y, z]
    }
}

/// sin δ and cos δ − 1 for |δ| ≤ 0.25 by their Taylor polynomials (Horner form, with the
/// factorials' reciprocals as constants: a multiplication where a division would stall).
#[inline(always)]
fn sin_cosm1_small(d: f64) -> (f64, f64) {
    const S: [f64; 6] = [
        1.0,
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
    ];
    const C: [f64; 6] = [
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
    ];
    let d2 = d * d;
    let s = d * S.iter().rev().fold(0.0, |acc, k| acc * d2 + k);
    let cm1 = d2 * C.iter().rev().fold(0.0, |acc, k| acc * d2 + k);
    (s, cm1)
}

/// Every cell at `res` whose centre may lie within `support_m` of a point in an `occupied`
/// cell (a superset), sorted: the occupied cells dilated by k rings, with k from the size of the
/// cells (see the module header) taken at the centre child of each occupied region's
/// resolution-3 ancestor (H3 cells of one resolution within a ~60 km region differ in size
/// by well under the 10 % margin the formula keeps).
fn candidates(occupied: Vec<CellIndex>, res: Resolution, support_m: f64) -> Vec<CellIndex> {
    let coarse = Resolution::Three.min(res);
    let mut k_of: HashMap<CellIndex, u32> = HashMap::new();
    let mut k_max = 0;
    for cell in &occupied {
        let Some(region) = cell.parent(coarse) else {
            continue;
        };
        let k = *k_of
            .entry(region)
            .or_insert_with(|| rings(region.center_child(res).unwrap_or(*cell), support_m));
        k_max = k_max.max(k);
    }
    let mut set: HashSet<CellIndex> = occupied.iter().copied().collect();
    let mut frontier = occupied;
    for _ in 0..k_max {
        let mut next = Vec::new();
        for cell in &frontier {
            for n in cell.grid_disk_safe(1) {
                if set.insert(n) {
                    next.push(n);
                }
            }
        }
        frontier = next;
    }
    let mut out: Vec<CellIndex> = set.into_iter().collect();
    out.sort_unstable();
    out
}

/// The grid distance k beyond which no cell centre is within `support_m` of a point in
/// `cell`: k = ⌈(s + c) / (0.9 · 1.5 e)⌉ + 1 (module header).
fn rings(cell: CellIndex, support_m: f64) -> u32 {
    let centre = LatLng::from(cell);
    let edge = cell
        .edges()
        .map(h3o::DirectedEdgeIndex::length_m)
        .fold(f64::INFINITY, f64::min);
    let radius = cell
        .boundary()
        .iter()
        .map(|v| centre.distance_m(*v))
        .fold(0.0, f64::max);
    let k = ((support_m + radius) / (0.9 * 1.5 * edge)).ceil() + 1.0;
    // Saturating float → int: a degenerate edge gives a huge k (the caller bounds s).
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "k ≥ 1 and finite here; a float → int cast saturates"
    )]
    if k.is_finite() { k as u32 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::geodesy::haversine_m;

    #[test]
    fn gaussian_mass_constant() {
        assert!((GAUSSIAN_MASS_WITHIN_3H - (1.0 - (-4.5f64).exp())).abs() < 1e-16);
    }

    /// Riemann sum of K over a fine planar grid.
    fn integral(kernel: Kernel, h: f64, half: f64) -> f64 {
        let n = 2000;
        let step = 2.0 * half / f64::from(n);
        let mut sum = 0.0;
        for i in 0..n {
            for j in 0..n {
                let x = -half + (f64::from(i) + 0.5) * step;
                let y = -half + (f64::from(j) + 0.5) * step;
                sum += kernel.eval(x.hypot(y), h);
            }
        }
        sum * step * step
    }

    #[test]
    fn kernels_integrate_as_documented() {
        let q = integral(Kernel::Quartic, 500.0, 500.0);
        assert!((q - 1.0).abs() < 1e-4, "quartic {q}");
        let g = integral(Kernel::Gaussian, 500.0, 1500.0);
        assert!((g - GAUSSIAN_MASS_WITHIN_3H).abs() < 1e-4, "gaussian {g}");
    }

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "the kernels' support ends exactly at the edge: 0, not nearly"
    )]
    fn kernel_at_zero_and_edge() {
        let h = 300.0;
        let peak = 3.0 / (std::f64::consts::PI * h * h);
        assert!((Kernel::Quartic.eval(0.0, h) - peak).abs() < 1e-18);
        assert_eq!(Kernel::Quartic.eval(h, h), 0.0);
        assert_eq!(Kernel::Gaussian.eval(3.0 * h, h), 0.0);
        assert!(Kernel::Gaussian.eval(3.0 * h - 1e-6, h) > 0.0);
    }

    use crate::index::index_at as index_of;

    #[test]
    fn masses_at_centres_are_points_repeated() {
        let res = Resolution::Nine;
        let origin = LatLng::new(10.78, 106.70).unwrap().to_cell(res);
        let counts: Vec<(CellIndex, u32)> = origin
            .grid_disk::<Vec<_>>(4)
            .into_iter()
            .zip(0u32..)
            .filter(|(_, i)| i % 3 != 1)
            .map(|(c, i)| (c, i % 5 + 1))
            .collect();
        let masses: Vec<(CellIndex, f64)> =
            counts.iter().map(|(c, m)| (*c, f64::from(*m))).collect();
        let mut points = Vec::new();
        for (c, m) in &counts {
            let ll = LatLng::from(*c);
            for _ in 0..*m {
                points.push((ll.lng(), ll.lat()));
            }
        }
        let index = index_of(&points);
        for kernel in [Kernel::Quartic, Kernel::Gaussian] {
            let a = kde_of_masses(&masses, res, 600.0, kernel);
            let b = kde(
                &index,
                &Filter::default(),
                res,
                600.0,
                kernel,
                &Weighting::Count,
            );
            assert_eq!(a.len(), b.len(), "{kernel:?}");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.cell, y.cell);
                assert!(
                    (x.density - y.density).abs() <= 1e-12 * y.density,
                    "{x:?} {y:?}"
                );
            }
        }
        let hw = silverman_of_masses(&masses).unwrap();
        let hp = silverman_bandwidth_m(&index, &Filter::default()).unwrap();
        assert!((hw - hp).abs() <= 1e-9 * hp, "{hw} {hp}");
        // An odd total too (the median is one distance, not a midpoint).
        let mut odd = masses.clone();
        odd[0].1 += 1.0;
        let ll = LatLng::from(odd[0].0);
        points.push((ll.lng(), ll.lat()));
        let hp = silverman_bandwidth_m(&index_of(&points), &Filter::default()).unwrap();
        let hw = silverman_of_masses(&odd).unwrap();
        assert!((hw - hp).abs() <= 1e-9 * hp, "{hw} {hp}");
        // Every mass at one place: no spread, no bandwidth.
        assert!(silverman_of_masses(&[(origin, 5.0)]).is_none());
        assert!(kde_of_masses(&[], res, 600.0, Kernel::Quartic).is_empty());
    }

    #[test]
    fn single_point_at_a_cell_centre() {
        let res = Resolution::Nine;
        let cell = LatLng::new(10.78, 106.70).unwrap().to_cell(res);
        let c = LatLng::from(cell);
        let index = index_of(&[(c.lng(), c.lat())]);
        let h = 400.0;
        let out = kde(
            &index,
            &Filter::default(),
            res,
            h,
            Kernel::Quartic,
            &Weighting::Count,
        );
        let at = out.iter().find(|k| k.cell == cell).unwrap();
        let peak = 3.0 / (std::f64::consts::PI * h * h) * 1e6;
        assert!((at.density - peak).abs() <= 1e-12 * peak, "{}", at.density);
        // Every cell within the support and none beyond it; sorted.
        for k in &out {
            assert!(LatLng::from(k.cell).distance_m(c) < h + 1e-6);
        }
        let inside = cell
            .grid_disk::<Vec<_>>(6)
            .into_iter()
            .filter(|x| {
                haversine_m(
                    LatLng::from(*x).lng(),
                    LatLng::from(*x).lat(),
                    c.lng(),
                    c.lat(),
                ) < h
            })
            .count();
        assert_eq!(out.len(), inside);
        assert!(out.windows(2).all(|w| w[0].cell < w[1].cell));
        let g = kde(
            &index,
            &Filter::default(),
            res,
            h,
            Kernel::Gaussian,
            &Weighting::Count,
        );
        let at = g.iter().find(|k| k.cell == cell).unwrap();
        let peak = 1.0 / (2.0 * std::f64::consts::PI * h * h) * 1e6;
        assert!((at.density - peak).abs() <= 1e-12 * peak);
    }

    fn rows(points: &[(f64, f64)], first_id: i64) -> crate::index::Scanned {
        crate::index::Scanned {
            rows: points
                .iter()
                .zip(first_id..)
                .map(|(&(lon, lat), id)| crate::index::IncidentRow {
                    id,
                    occurred_at: id,
                    category: crate::index::CategoryRef::at(usize::from(id % 2 == 0)),
                    severity: crate::domain::Severity::from_code(u8::try_from(id % 4).unwrap()),
                    solved: false,
                    lon,
                    lat,
                    cell: crate::domain::LonLat::new(lon, lat).unwrap().cell15(),
                    key: 0,
                })
                .collect(),
            categories: vec!["theft".to_owned(), "fraud".to_owned()],
        }
    }

    /// The fast path (unit vectors from polynomials, d² from a series, pages, delta rows,
    /// a category filter) against a plain haversine sum over every point.
    #[test]
    fn equals_direct_haversine_sum() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut pts = Vec::new();
        for _ in 0..3000 {
            // A dense core and a sparse spread over ~30 km.
            let (spread, lon0, lat0) = if rng.random_bool(0.6) {
                (0.01, 106.70, 10.78)
            } else {
                (0.15, 106.65, 10.80)
            };
            pts.push((
                lon0 + rng.random_range(-spread..spread),
                lat0 + rng.random_range(-spread..spread),
            ));
        }
        let (main, delta) = pts.split_at(2500);
        let index = IncidentIndex::build(rows(main, 1)).with_appended(&rows(delta, 10_000));
        assert!(!index.delta().is_empty());
        let fraud = Filter {
            categories: Some(vec![index.categories().get("fraud").unwrap()]),
            ..Filter::default()
        };
        // Ids double as times: the time-only filter keeps ids 1000..10200 (both segments).
        let window = Filter {
            from: Some(1000),
            to: Some(10_200),
            ..Filter::default()
        };
        for (filter, keep, ids) in [
            (Filter::default(), 0..=1, 0..i64::MAX),
            (fraud, 1..=1, 0..i64::MAX),
            (window, 0..=1, 1000..10_200),
        ] {
            let kept: Vec<(f64, f64, i64)> = [(main, 1i64), (delta, 10_000)]
                .iter()
                .flat_map(|(p, first)| p.iter().zip(*first..))
                .filter(|(_, id)| keep.contains(&u8::from(id % 2 == 0)) && ids.contains(id))
                .map(|(p, id)| (p.0, p.1, id))
                .collect();
            // Harm: fraud (even ids) serious weighs 1000.5 days, everything else its class's
            // default; a row's class is its id mod 4.
            let weights = crate::domain::HarmWeights::with_overrides([(
                "fraud".to_owned(),
                crate::domain::Severity::Serious,
                1000.5,
            )]);
            let harm = Weighting::Harm(HarmTable::new(&weights, index.categories()));
            let weight_of = |id: i64| {
                let sev = crate::domain::Severity::from_code(u8::try_from(id % 4).unwrap());
                weights.days(if id % 2 == 0 { "fraud" } else { "theft" }, sev)
            };
            for (kernel, h, res) in [
                (Kernel::Quartic, 400.0, Resolution::Nine),
                (Kernel::Gaussian, 250.0, Resolution::Eight),
                (Kernel::Quartic, 60_000.0, Resolution::Five),
            ] {
                let out = kde(&index, &filter, res, h, kernel, &Weighting::Count);
                assert!(!out.is_empty());
                let weighed = kde(&index, &filter, res, h, kernel, &harm);
                assert_eq!(
                    weighed.iter().map(|k| k.cell).collect::<Vec<_>>(),
                    out.iter().map(|k| k.cell).collect::<Vec<_>>()
                );
                for (k, kw) in out.iter().zip(&weighed) {
                    let c = LatLng::from(k.cell);
                    let kern = |lon: f64, lat: f64| {
                        kernel.eval(haversine_m(c.lng(), c.lat(), lon, lat), h)
                    };
                    let want: f64 = kept
                        .iter()
                        .map(|&(lon, lat, _)| kern(lon, lat))
                        .sum::<f64>()
                        * 1e6;
                    let want_w: f64 = kept
                        .iter()
                        .map(|&(lon, lat, id)| weight_of(id) * kern(lon, lat))
                        .sum::<f64>()
                        * 1e6;
                    let floor_w = 1e-12 * kernel.eval(0.0, h) * 1e6 * 6392.0;
                    assert!(
                        (kw.density - want_w).abs() <= 1e-10 * want_w + floor_w,
                        "harm {kernel:?} {h} {}: {} vs {want_w}",
                        k.cell,
                        kw.density
                    );
                    // Relative agreement, with a floor of 1e-12 of one incident's peak:
                    // at the edge of the support 1 − d²/h² cancels, so a cell reached only
                    // by points there has a value that rounding in d itself (the inputs'
                    // last bits) moves by more than 1e-10 of that tiny value.
                    let floor = 1e-12 * kernel.eval(0.0, h) * 1e6;
                    assert!(
                        (k.density - want).abs() <= 1e-10 * want + floor,
                        "{kernel:?} {h} {}: {} vs {want}",
                        k.cell,
                        k.density
                    );
                }
            }
        }
    }

    #[test]
    fn local_vectors_are_offsets_of_unit_vectors() {
        let lat: Vec<f64> = (0..200)
            .map(|i| (10.0 + f64::from(i) * 0.05).to_radians())
            .collect();
        let lon: Vec<f64> = (0..200)
            .map(|i| (106.0 - f64::from(i) * 0.05).to_radians())
            .collect();
        let frame = Frame::around(&lat, &lon);
        assert!(frame.local);
        let [x, y, z] = frame.vectors(&lat, &lon);
        let o = unit_vector(frame.p0, frame.l0);
        for i in 0..lat.len() {
            let u = unit_vector(lat[i], lon[i]);
            assert!((x[i] + o[0] - u[0]).abs() < 1e-15 && (y[i] + o[1] - u[1]).abs() < 1e-15);
            assert!((z[i] + o[2] - u[2]).abs() < 1e-15);
        }
    }

    #[test]
    fn degenerate_inputs() {
        let index = index_of(&[(106.7, 10.78)]);
        for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                kde(
                    &index,
                    &Filter::default(),
                    Resolution::Nine,
                    h,
                    Kernel::Quartic,
                    &Weighting::Count
                )
                .is_empty()
            );
        }
        assert_eq!(silverman_bandwidth_m(&index, &Filter::default()), None);
        let same = index_of(&[(106.7, 10.78), (106.7, 10.78)]);
        assert_eq!(silverman_bandwidth_m(&same, &Filter::default()), None);
        assert!(
            silverman_bandwidth_m(
                &index_of(&[(106.7, 10.78), (106.71, 10.78)]),
                &Filter::default()
            )
            .is_some()
        );
    }
}
