//! Cameras: around established clusters, along main roads and a population-weighted
//! background, installed over the six years up to the sample's end.

use std::io;

use jiff::civil::Date;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::city::{Tiling, point_on_corridor};
use super::clusters::Cluster;
use super::tables::{CAMERA_KINDS, CORRIDORS, Shape};
use super::{random_date, weighted};

pub(super) struct Camera {
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) kind: &'static str,
    pub(super) active: bool,
    pub(super) installed: Date,
}

pub(super) fn build_cameras(
    rng: &mut ChaCha8Rng,
    n: usize,
    tiling: &Tiling,
    clusters: &[Cluster],
    end: Date,
) -> io::Result<Vec<Camera>> {
    // Installed over the six years up to the sample's end, more of them recently.
    let first_year = end.year() - 5;
    // Cameras predate the new hotspots, so those attract none.
    let near_weights: Vec<f64> = clusters
        .iter()
        .map(|c| match c.trend.shape {
            Shape::New(_) => 0.0,
            _ => c.spec.weight,
        })
        .collect();
    let pick_cluster = weighted(&near_weights).ok();
    let pick_corridor = weighted(&[1.0; CORRIDORS.len()])?;
    let pick_ward = tiling.ward_by_population()?;
    let years = weighted(&[0.10, 0.12, 0.14, 0.18, 0.22, 0.24])?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let source: f64 = rng.random();
        let placed = if source < 0.45 {
            match &pick_cluster {
                Some(pick) => {
                    let c = &clusters[rng.sample(pick)];
                    tiling
                        .point_near(rng, c.lon, c.lat, c.sigma_m * 1.5 + 100.0)
                        .map(|p| (p, [50.0, 40.0, 10.0]))
                }
                None => None,
            }
        } else if source < 0.8 {
            let corridor = rng.sample(&pick_corridor);
            point_on_corridor(rng, tiling, corridor).map(|p| (p, [45.0, 20.0, 35.0]))
        } else {
            None
        };
        let ((lon, lat, _), kinds) = if let Some(p) = placed {
            p
        } else {
            let w = rng.sample(&pick_ward);
            let (x, y) = tiling.point_in_ward(rng, w)?;
            ((x, y, w), [80.0, 15.0, 5.0])
        };
        let kind = CAMERA_KINDS[rng.sample(weighted(&kinds)?)];
        let year_idx = rng.sample(&years);
        let year = first_year + i16::try_from(year_idx).unwrap_or(0);
        let installed = random_date(rng, year, end)?;
        let active = rng.random_bool(0.80 + 0.03 * f64::from(year - first_year));
        out.push(Camera {
            lon,
            lat,
            kind,
            active,
            installed,
        });
    }
    Ok(out)
}
