//! Kernel density estimation (KDE) of incidents, evaluated at H3 cell centres.
//!
//! Method. For a bandwidth h (metres) and a kernel K, the density at a point x is
//!
//! ```text
//! f(x) = Σ_i K(d(x, p_i))          (incidents per m², × 1e6 → incidents per km²)
//! ```
//!
//! summed over the incidents p_i matching the filter, each of weight 1, where d is the
//! great-circle distance on the sphere of radius [`EARTH_RADIUS_M`] = 6,371,008.8 m (the
//! IUGG mean radius) by the haversine formula ([`haversine_m`]). This is the unnormalised
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
//! it). For each distinct candidate centre, the incidents within the lon/lat box enclosing
//! the support circle (Δφ = s/R, Δλ = Δφ / cos φ_max, widened by 1 % and 1e-9°) are
//! visited through the index's R-tree (the box is intersected with the filter's own box)
//! and K(d) is summed over those with d < s.
//!
//! Conventions. Degenerate bandwidths (≤ 0, NaN, infinite) give an empty result rather than
//! NaNs: validation is the caller's job. Boxes are clamped to ±90° / ±180°; incidents on
//! the far side of the antimeridian are not seen (no study area straddles it). Output is
//! sorted by cell.
//!
//! Complexity. O(m · k²) to build the candidates (m occupied cells, k as above, so
//! k² ∝ (s / edge)²), then per candidate one R-tree box query plus one haversine per
//! incident in the box: O(C · (log N + q)) with C candidates and q incidents per box. The
//! caller should bound s relative to the cell size (the candidate count grows with
//! (s / edge)²). Memory: the candidate list (8 bytes per cell, before dedup).

use h3o::{CellIndex, LatLng, Resolution};

use super::cells::count_cells;
use crate::index::{BBox, Filter, IncidentIndex};

/// The IUGG mean Earth radius, metres (the sphere all distances are measured on).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The fraction of a planar Gaussian kernel's mass within 3h: 1 − exp(−4.5).
pub const GAUSSIAN_MASS_WITHIN_3H: f64 = 0.988_891_003_461_757_7;

/// The kernel shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Incidents per km² at the cell's centre.
    pub density: f64,
}

/// Great-circle distance in metres between two lon/lat points (degrees), haversine formula
/// on the sphere of radius [`EARTH_RADIUS_M`].
#[must_use]
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let p1 = lat1.to_radians();
    let p2 = lat2.to_radians();
    hav(p1, p1.cos(), lon1.to_radians(), p2, lon2.to_radians())
}

/// Haversine with the first point's cos φ precomputed (angles in radians).
#[inline]
fn hav(p1: f64, cos_p1: f64, l1: f64, p2: f64, l2: f64) -> f64 {
    let s_phi = ((p2 - p1) / 2.0).sin();
    let s_lam = ((l2 - l1) / 2.0).sin();
    let a = s_phi * s_phi + cos_p1 * p2.cos() * s_lam * s_lam;
    2.0 * EARTH_RADIUS_M * a.min(1.0).sqrt().asin()
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
    #[allow(clippy::cast_precision_loss)] // n ≪ 2^53
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
        (below + upper) / 2.0
    };
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * dm) * nf.powf(-0.2);
    (h.is_finite() && h > 0.0).then_some(h)
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
) -> Vec<KdeCell> {
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Vec::new();
    }
    let h = bandwidth_m;
    let s = kernel.support_m(h);
    let candidates = candidates(index, filter, res, s);

    // Per-kernel constants, hoisted out of the inner loop.
    let (norm, inv_h2) = match kernel {
        Kernel::Quartic => (3.0 / (std::f64::consts::PI * h * h), 0.0),
        Kernel::Gaussian => (
            1.0 / (2.0 * std::f64::consts::PI * h * h),
            1.0 / (2.0 * h * h),
        ),
    };
    let dlat = (s / EARTH_RADIUS_M).to_degrees() * 1.01 + 1e-9;
    let mut query = filter.clone();
    let user_box = filter.bbox;
    let mut out = Vec::new();
    for cell in candidates {
        let c = LatLng::from(cell);
        let (lat, lon) = (c.lat(), c.lng());
        let Some(b) = support_box(lon, lat, dlat, user_box) else {
            continue;
        };
        query.bbox = Some(b);
        let (p1, l1) = (lat.to_radians(), lon.to_radians());
        let cos_p1 = p1.cos();
        let mut sum = 0.0;
        index.for_each(&query, |seg, i| {
            let d = hav(
                p1,
                cos_p1,
                l1,
                seg.lat[i].to_radians(),
                seg.lon[i].to_radians(),
            );
            if d < s {
                sum += match kernel {
                    Kernel::Quartic => {
                        let r = d / h;
                        let u = 1.0 - r * r;
                        u * u
                    }
                    Kernel::Gaussian => (-(d * d) * inv_h2).exp(),
                };
            }
        });
        let density = sum * norm * 1e6;
        if density > 0.0 {
            out.push(KdeCell { cell, density });
        }
    }
    out
}

/// The lon/lat box enclosing the circle of angular half-height `dlat` degrees around
/// (lon, lat), intersected with `user` (None when the intersection is empty).
fn support_box(lon: f64, lat: f64, dlat: f64, user: Option<BBox>) -> Option<BBox> {
    let min_lat = (lat - dlat).max(-90.0);
    let max_lat = (lat + dlat).min(90.0);
    let cos = min_lat.abs().max(max_lat.abs()).to_radians().cos();
    let dlon = if cos > 1e-6 { dlat / cos } else { 360.0 };
    let mut b = BBox {
        min_lon: (lon - dlon).max(-180.0),
        min_lat,
        max_lon: (lon + dlon).min(180.0),
        max_lat,
    };
    if let Some(u) = user {
        b.min_lon = b.min_lon.max(u.min_lon);
        b.min_lat = b.min_lat.max(u.min_lat);
        b.max_lon = b.max_lon.min(u.max_lon);
        b.max_lat = b.max_lat.min(u.max_lat);
        if b.min_lon > b.max_lon || b.min_lat > b.max_lat {
            return None;
        }
    }
    Some(b)
}

/// Every cell at `res` whose centre may lie within `support_m` of a matching incident
/// (a superset), sorted and deduplicated.
fn candidates(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    support_m: f64,
) -> Vec<CellIndex> {
    let mut out: Vec<CellIndex> = Vec::new();
    for (cell, _) in count_cells(index, filter, res) {
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
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let k = if k.is_finite() { k as u32 } else { 1 };
        out.extend(cell.grid_disk_safe(k));
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude() {
        let d = haversine_m(106.7, 10.0, 106.7, 11.0);
        assert!((d - 111_195.08).abs() < 0.01, "{d}");
        // Symmetric, zero on the diagonal, equator degree of longitude equals latitude's.
        assert!((haversine_m(106.7, 11.0, 106.7, 10.0) - d).abs() < 1e-9);
        assert_eq!(haversine_m(1.0, 2.0, 1.0, 2.0), 0.0);
        assert!((haversine_m(0.0, 0.0, 1.0, 0.0) - d).abs() < 1e-6);
    }

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
    fn kernel_at_zero_and_edge() {
        let h = 300.0;
        let peak = 3.0 / (std::f64::consts::PI * h * h);
        assert!((Kernel::Quartic.eval(0.0, h) - peak).abs() < 1e-18);
        assert_eq!(Kernel::Quartic.eval(h, h), 0.0);
        assert_eq!(Kernel::Gaussian.eval(3.0 * h, h), 0.0);
        assert!(Kernel::Gaussian.eval(3.0 * h - 1e-6, h) > 0.0);
    }

    fn index_of(points: &[(f64, f64)]) -> IncidentIndex {
        let rows = points
            .iter()
            .zip(1..)
            .map(|(&(lon, lat), id)| crate::store::IncidentRow {
                id,
                occurred_at: 0,
                category: 0,
                severity: crate::domain::Severity::from_code(0),
                solved: false,
                lon,
                lat,
                cell: u64::from(crate::domain::LonLat::new(lon, lat).unwrap().cell15()),
            })
            .collect();
        IncidentIndex::build(crate::store::Scanned {
            rows,
            categories: vec!["theft".to_owned()],
        })
    }

    #[test]
    fn single_point_at_a_cell_centre() {
        let res = Resolution::Nine;
        let cell = LatLng::new(10.78, 106.70).unwrap().to_cell(res);
        let c = LatLng::from(cell);
        let index = index_of(&[(c.lng(), c.lat())]);
        let h = 400.0;
        let out = kde(&index, &Filter::default(), res, h, Kernel::Quartic);
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
        let g = kde(&index, &Filter::default(), res, h, Kernel::Gaussian);
        let at = g.iter().find(|k| k.cell == cell).unwrap();
        let peak = 1.0 / (2.0 * std::f64::consts::PI * h * h) * 1e6;
        assert!((at.density - peak).abs() <= 1e-12 * peak);
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
                    Kernel::Quartic
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

    #[test]
    fn support_box_intersects_user_box() {
        let u = BBox::new(106.0, 10.0, 107.0, 11.0).unwrap();
        assert!(support_box(105.0, 10.5, 0.01, Some(u)).is_none());
        let b = support_box(106.0, 10.5, 0.01, Some(u)).unwrap();
        assert!((b.min_lon - 106.0).abs() < 1e-12 && b.max_lon > 106.0);
        let p = support_box(0.0, 89.999, 0.01, None).unwrap();
        assert_eq!((p.min_lon, p.max_lon, p.max_lat), (-180.0, 180.0, 90.0));
    }
}
