//! Complex areas (địa bàn phức tạp): star-shaped polygons on the designated clusters and on a
//! few quiet places, designated in the sample's last two years, never overlapping.

use std::f64::consts::TAU;
use std::io;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::city::{Area, Tiling, distance_m, offset, round6};
use super::clusters::Cluster;
use super::tables::{LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, QUIET_COMPLEX, Shape};
use super::{io_err, normal};

/// Vertices of a star-shaped simple polygon around (`lon`, `lat`), counter-clockwise, closed,
/// shrunk until it lies inside the tiling's extent.
fn blob(rng: &mut ChaCha8Rng, lon: f64, lat: f64, radius_m: f64) -> Vec<[f64; 2]> {
    let n: u32 = rng.random_range(8..=12);
    let step = TAU / f64::from(n);
    let start = rng.random_range(0.0..step);
    let shape: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let angle = start + f64::from(k) * step + rng.random_range(-0.3..0.3) * step;
            (angle, rng.random_range(0.7..1.0))
        })
        .collect();
    let margin = 1e-5;
    let mut radius = radius_m;
    loop {
        let mut outline: Vec<[f64; 2]> = shape
            .iter()
            .map(|&(a, f)| {
                let (x, y) = offset(lon, lat, radius * f * a.cos(), radius * f * a.sin());
                [round6(x), round6(y)]
            })
            .collect();
        let inside = outline.iter().all(|c| {
            c[0] > LON_MIN + margin
                && c[0] < LON_MAX - margin
                && c[1] > LAT_MIN + margin
                && c[1] < LAT_MAX - margin
        });
        if inside || radius < 50.0 {
            if let Some(&first) = outline.first() {
                outline.push(first);
            }
            return outline;
        }
        radius *= 0.85;
    }
}

pub(super) fn build_complex(
    rng: &mut ChaCha8Rng,
    tiling: &Tiling,
    clusters: &[Cluster],
    end_year: i16,
) -> io::Result<Vec<Area>> {
    // Areas are designated in the sample's last two years: growing clusters in the last,
    // the others in the one before (the fading ones are those since turned around).
    let (first, last) = (end_year - 1, end_year);
    // (centre, radius, name, designation year)
    let mut plans: Vec<((f64, f64), f64, String, i16)> = Vec::new();
    for c in clusters.iter().filter(|c| c.spec.complex) {
        let (lon, lat) = offset(
            c.lon,
            c.lat,
            normal(rng) * 0.2 * c.sigma_m,
            normal(rng) * 0.2 * c.sigma_m,
        );
        let radius = (c.sigma_m * 2.0 * rng.random_range(0.9..1.2)).clamp(280.0, 700.0);
        let year = match c.trend.shape {
            Shape::Grow => last,
            _ => first,
        };
        plans.push((
            (lon, lat),
            radius,
            format!("Địa bàn phức tạp khu vực {}", c.spec.place),
            year,
        ));
    }
    let centres: Vec<(f64, f64)> = clusters.iter().map(|c| (c.lon, c.lat)).collect();
    let mut quiet: Vec<(f64, f64)> = Vec::new();
    let mut tries = 0;
    while quiet.len() < QUIET_COMPLEX {
        tries += 1;
        if tries > 10_000 {
            return Err(io_err("no quiet place for a complex area"));
        }
        let lon = rng.random_range(LON_MIN + 0.008..LON_MAX - 0.008);
        let lat = rng.random_range(LAT_MIN + 0.008..LAT_MAX - 0.008);
        let far = centres
            .iter()
            .chain(quiet.iter())
            .all(|&c| distance_m(c, (lon, lat)) > 1_500.0);
        let Some(ward) = tiling.locate(lon, lat) else {
            continue;
        };
        if !far {
            continue;
        }
        quiet.push((lon, lat));
        let district = tiling.district_of(ward);
        let street = district.streets[rng.random_range(0..district.streets.len())];
        let alley = rng.random_range(10..=400);
        let radius = rng.random_range(280.0..500.0);
        let year = if rng.random_bool(0.5) { first } else { last };
        plans.push((
            (lon, lat),
            radius,
            format!("Địa bàn phức tạp khu vực hẻm {alley} đường {street}"),
            year,
        ));
    }
    // Complex areas never overlap: the discs holding two polygons keep 40 m apart, shrinking
    // both in proportion when they would not (only neighbours in the centre ever need it).
    for _ in 0..8 {
        let mut changed = false;
        for i in 0..plans.len() {
            for j in i + 1..plans.len() {
                let gap = distance_m(plans[i].0, plans[j].0) - 40.0;
                let (ri, rj) = (plans[i].1, plans[j].1);
                if ri + rj > gap {
                    let scale = (gap / (ri + rj)).max(0.1);
                    plans[i].1 = ri * scale;
                    plans[j].1 = rj * scale;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut seq_first = 0;
    let mut seq_last = 0;
    let last = plans.len().saturating_sub(1);
    let mut out = Vec::with_capacity(plans.len());
    for (i, ((lon, lat), radius, name, year)) in plans.into_iter().enumerate() {
        let outline = blob(rng, lon, lat, radius);
        let seq = if year == first {
            seq_first += 1;
            seq_first
        } else {
            seq_last += 1;
            seq_last
        };
        let population = rng.random_range(1_500..=8_000_u32);
        // Two areas without a population on purpose: importers must cope.
        let population = (i != 5 && i != last).then_some(population);
        out.push(Area::new(
            format!("dbpt-{year}-{seq:02}"),
            name,
            "complex_area",
            population,
            outline,
        ));
    }
    Ok(out)
}
