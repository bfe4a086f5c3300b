//! WGS84 coordinates that cannot be out of range or non-finite.

use serde::Serialize;

use super::error::DomainError;

/// A WGS84 position, longitude first as in RFC 7946.
///
/// Only [`LonLat::new`] builds one, so every `LonLat` in the program is finite with
/// −180 ≤ lon ≤ 180 and −90 ≤ lat ≤ 90.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// # Errors
    /// Names the offending field (`lon` or `lat`) when it is NaN, infinite or out of range.
    pub fn new(lon: f64, lat: f64) -> Result<Self, DomainError> {
        if !lon.is_finite() {
            return Err(DomainError::new(
                "lon",
                format!("{lon} is not a finite number"),
            ));
        }
        if !lat.is_finite() {
            return Err(DomainError::new(
                "lat",
                format!("{lat} is not a finite number"),
            ));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(DomainError::new(
                "lon",
                format!("{lon} is outside −180…180 (are longitude and latitude swapped?)"),
            ));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(DomainError::new(
                "lat",
                format!("{lat} is outside −90…90 (are longitude and latitude swapped?)"),
            ));
        }
        Ok(Self { lon, lat })
    }

    #[must_use]
    pub const fn lon(self) -> f64 {
        self.lon
    }

    #[must_use]
    pub const fn lat(self) -> f64 {
        self.lat
    }

    /// The resolution-15 H3 cell holding this point, as stored with every incident.
    #[must_use]
    pub fn cell15(self) -> h3o::CellIndex {
        match h3o::LatLng::new(self.lat, self.lon) {
            Ok(ll) => ll.to_cell(h3o::Resolution::Fifteen),
            // h3o refuses only non-finite values, which `new` already rejected.
            Err(_) => unreachable!("LonLat is finite by construction"),
        }
    }
}

impl From<LonLat> for geo::Point<f64> {
    fn from(p: LonLat) -> Self {
        geo::Point::new(p.lon, p.lat)
    }
}

/// Rounds a coordinate for output: 6 decimals is ~0.1 m, finer than any incident location.
#[must_use]
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_non_finite() {
        assert!(LonLat::new(106.7, 10.8).is_ok());
        assert_eq!(LonLat::new(106.7, 91.0).unwrap_err().field, "lat");
        assert_eq!(LonLat::new(f64::NAN, 10.0).unwrap_err().field, "lon");
        assert_eq!(LonLat::new(181.0, 10.0).unwrap_err().field, "lon");
        assert_eq!(LonLat::new(1.0, f64::INFINITY).unwrap_err().field, "lat");
        assert!(LonLat::new(-180.0, -90.0).is_ok());
    }

    #[test]
    fn cell15_is_resolution_15_and_contains_point() {
        let p = LonLat::new(106.700_981, 10.776_530).unwrap();
        let c = p.cell15();
        assert_eq!(c.resolution(), h3o::Resolution::Fifteen);
        let ll = h3o::LatLng::from(c);
        assert!((ll.lng() - p.lon()).abs() < 1e-5 && (ll.lat() - p.lat()).abs() < 1e-5);
    }
}
