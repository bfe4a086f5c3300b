//! The Earth every analysis measures on, and the distance identities they share.
//!
//! Model. A sphere of radius [`EARTH_RADIUS_M`] = 6,371,008.8 m, the IUGG mean radius
//! R₁ = (2a + b)/3 of WGS 84 (Moritz 1980, *Geodetic Reference System 1980*); it is the
//! radius scikit-learn's `haversine` metric and numpy reference sums are run with, so the
//! fixtures of KDE and DBSCAN share it. Over a city (tens of km) the sphere differs from the
//! ellipsoid by under 0.5 % in distance, well inside every bandwidth and eps a committee
//! chooses. Areas are not measured here: cells use h3o's exact spherical area and polygons
//! `geo`'s geodesic (ellipsoidal) area, as each file documents.
//!
//! Conventions. Positions enter in degrees (lon, lat) and are turned into radians once;
//! φ is latitude, λ longitude. The great-circle distance d between two points is taken from
//! the *haversine term*
//!
//! ```text
//! a = sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2) = sin²(d / 2R)       (haversine formula)
//! d = 2R · asin(√min(a, 1))
//! ```
//!
//! and, for the unit vectors u, v of the two points (x = cos φ cos λ, y = cos φ sin λ,
//! z = sin φ), a is exactly a quarter of their squared chord: a = |u − v|² / 4. The hot
//! loops (DBSCAN's pairs, KDE's sums) compare a with the haversine term of a threshold
//! distance, [`hav_of_distance_m`], so a pair costs three subtractions and no trigonometry;
//! the chord is taken from the components' differences, never from 2 − 2u·v, which would
//! cancel catastrophically for points metres apart.
//!
//! Complexity: every function is O(1); none allocates.

/// The IUGG mean Earth radius, metres: the sphere all distances are measured on.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres per degree of latitude on that sphere (and of longitude at the equator; a degree
/// of longitude at latitude φ is `M_PER_DEG · cos φ`).
pub const M_PER_DEG: f64 = EARTH_RADIUS_M.to_radians();

/// Great-circle distance in metres between two lon/lat points (degrees), by the haversine
/// formula on the sphere of radius [`EARTH_RADIUS_M`].
#[must_use]
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let p1 = lat1.to_radians();
    let p2 = lat2.to_radians();
    let (l1, l2) = (lon1.to_radians(), lon2.to_radians());
    let s_phi = ((p2 - p1) / 2.0).sin();
    let s_lam = ((l2 - l1) / 2.0).sin();
    let a = s_phi * s_phi + p1.cos() * p2.cos() * s_lam * s_lam;
    distance_m_of_hav(a)
}

/// The central angle, in radians, of a great-circle distance in metres.
#[inline]
#[must_use]
pub fn angle_of_distance_m(d_m: f64) -> f64 {
    d_m / EARTH_RADIUS_M
}

/// The haversine term a = sin²(d / 2R) of a distance `d_m` in metres.
#[inline]
#[must_use]
pub fn hav_of_distance_m(d_m: f64) -> f64 {
    (d_m / (2.0 * EARTH_RADIUS_M)).sin().powi(2)
}

/// Half the central angle, d / 2R in radians, of a haversine term (clamped at the
/// antipode, where rounding can push `a` just above 1).
#[inline]
#[must_use]
pub fn half_angle_of_hav(a: f64) -> f64 {
    a.min(1.0).sqrt().asin()
}

/// The distance in metres of a haversine term: d = 2R · asin(√a).
#[inline]
#[must_use]
pub fn distance_m_of_hav(a: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * half_angle_of_hav(a)
}

/// The unit vector (x, y, z) of the point at latitude `p`, longitude `l` (radians).
#[inline]
#[must_use]
pub fn unit_vector(p: f64, l: f64) -> [f64; 3] {
    let (sp, cp) = p.sin_cos();
    let (sl, cl) = l.sin_cos();
    [cp * cl, cp * sl, sp]
}

/// The haversine term of two points from the differences of their unit vectors' components:
/// a quarter of the squared chord (exact). Always inlined: it sits in loops that must
/// vectorise.
#[expect(
    clippy::inline_always,
    reason = "called in the KDE and DBSCAN inner loops, which must vectorise"
)]
#[inline(always)]
#[must_use]
pub fn hav_of_chord(dx: f64, dy: f64, dz: f64) -> f64 {
    0.25 * (dx * dx + dy * dy + dz * dz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::float_cmp,
        reason = "a point's distance to itself must be exactly 0, not nearly"
    )]
    fn one_degree_of_latitude() {
        let d = haversine_m(106.7, 10.0, 106.7, 11.0);
        assert!((d - 111_195.08).abs() < 0.01, "{d}");
        assert!((d - M_PER_DEG).abs() < 1e-6, "{d}");
        assert!((haversine_m(106.7, 11.0, 106.7, 10.0) - d).abs() < 1e-9);
        assert_eq!(haversine_m(1.0, 2.0, 1.0, 2.0), 0.0);
        assert!((haversine_m(0.0, 0.0, 1.0, 0.0) - d).abs() < 1e-6);
    }

    /// The chord identity and the term ↔ distance round trip, for points 1 m to 1,000 km
    /// apart (absolute unit vectors carry ~1e-16 per component, so the chord of points 1 m
    /// apart, ~1.6e-7, keeps ~1e-9 of relative precision: KDE's local frame exists for that).
    #[test]
    fn chord_and_haversine_agree() {
        let (lon, lat) = (106.7f64, 10.8f64);
        for d in [1.0, 37.5, 100.0, 5_000.0, 1_000_000.0] {
            let dlat = d / M_PER_DEG;
            let u = unit_vector(lat.to_radians(), lon.to_radians());
            let v = unit_vector((lat + dlat).to_radians(), lon.to_radians());
            let a = hav_of_chord(v[0] - u[0], v[1] - u[1], v[2] - u[2]);
            let want = haversine_m(lon, lat, lon, lat + dlat);
            assert!(
                (distance_m_of_hav(a) - want).abs() < 1e-6 * d.max(1.0),
                "{d}"
            );
            assert!((hav_of_distance_m(want) - a).abs() <= 1e-8 * a, "{d}");
            assert!((angle_of_distance_m(want) - 2.0 * half_angle_of_hav(a)).abs() < 1e-12);
        }
    }
}
