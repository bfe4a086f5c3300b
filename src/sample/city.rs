//! The city's geometry: wards tiling the extent, districts as blocks of wards, and placing
//! points inside them (uniform in a ward, Gaussian around a centre, along a main road), with
//! the generator's flat metre offsets.

use std::io;

use geo::{Contains, LineString, Point, Polygon};
use rand::Rng;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;

use super::tables::{CORRIDORS, DISTRICTS, DistrictSpec, JITTER, LAT_LINES, LON_LINES, M_PER_DEG};
use super::{io_err, normal};

/// A polygon area as written to `areas.geojson`.
pub(super) struct Area {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) population: Option<u32>,
    /// Closed exterior ring (first == last), counter-clockwise, 6-decimal coordinates.
    pub(super) ring: Vec<[f64; 2]>,
    pub(super) poly: Polygon<f64>,
    /// min lon, min lat, max lon, max lat.
    bbox: [f64; 4],
}

impl Area {
    pub(super) fn new(
        code: String,
        name: String,
        kind: &'static str,
        population: Option<u32>,
        ring: Vec<[f64; 2]>,
    ) -> Self {
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in &ring {
            bbox[0] = bbox[0].min(c[0]);
            bbox[1] = bbox[1].min(c[1]);
            bbox[2] = bbox[2].max(c[0]);
            bbox[3] = bbox[3].max(c[1]);
        }
        let poly = Polygon::new(LineString::from(ring.clone()), vec![]);
        Self {
            code,
            name,
            kind,
            population,
            ring,
            poly,
            bbox,
        }
    }

    /// Strictly inside (a point on the boundary belongs to no area).
    fn contains(&self, lon: f64, lat: f64) -> bool {
        lon > self.bbox[0]
            && lon < self.bbox[2]
            && lat > self.bbox[1]
            && lat < self.bbox[3]
            && self.poly.contains(&Point::new(lon, lat))
    }
}

pub(super) struct Tiling {
    pub(super) wards: Vec<Area>,
    /// District index of each ward.
    ward_district: Vec<usize>,
    pub(super) districts: Vec<Area>,
}

impl Tiling {
    /// A draw of a ward weighted by its population (a ward without one counts as 1): where
    /// incidents, cameras and models fall outside the clusters.
    pub(super) fn ward_by_population(&self) -> io::Result<WeightedIndex<f64>> {
        let population: Vec<f64> = self
            .wards
            .iter()
            .map(|w| f64::from(w.population.unwrap_or(1)))
            .collect();
        super::weighted(&population)
    }

    pub(super) fn build(rng: &mut ChaCha8Rng) -> Self {
        let (nx, ny) = (LON_LINES.len(), LAT_LINES.len());
        // Jittered vertices, row-major by (column line, row line).
        let mut vertices = vec![[0.0_f64; 2]; nx * ny];
        for j in 0..ny {
            for i in 0..nx {
                let dx = if i == 0 || i == nx - 1 {
                    0.0
                } else {
                    let span =
                        (LON_LINES[i] - LON_LINES[i - 1]).min(LON_LINES[i + 1] - LON_LINES[i]);
                    rng.random_range(-1.0..1.0) * JITTER * span
                };
                let dy = if j == 0 || j == ny - 1 {
                    0.0
                } else {
                    let span =
                        (LAT_LINES[j] - LAT_LINES[j - 1]).min(LAT_LINES[j + 1] - LAT_LINES[j]);
                    rng.random_range(-1.0..1.0) * JITTER * span
                };
                vertices[j * nx + i] = [round6(LON_LINES[i] + dx), round6(LAT_LINES[j] + dy)];
            }
        }
        let v = |i: usize, j: usize| vertices[j * nx + i];

        let mut wards = Vec::new();
        let mut ward_district = Vec::new();
        let mut districts = Vec::new();
        for (d, spec) in DISTRICTS.iter().enumerate() {
            let (c0, c1) = spec.cols;
            let (r0, r1) = spec.rows;
            let mut population = 0_u32;
            let mut number = 0;
            // Numbered in reading order from the north-west corner.
            for r in (r0..r1).rev() {
                for c in c0..c1 {
                    number += 1;
                    let pop = rng.random_range(10_000..=45_000_u32);
                    population += pop;
                    let outline = vec![v(c, r), v(c + 1, r), v(c + 1, r + 1), v(c, r + 1), v(c, r)];
                    wards.push(Area::new(
                        format!("ward-{}-{number:02}", spec.slug),
                        format!("Phường {number}"),
                        "ward",
                        Some(pop),
                        outline,
                    ));
                    ward_district.push(d);
                }
            }
            let mut outline = Vec::new();
            outline.extend((c0..=c1).map(|c| v(c, r0)));
            outline.extend((r0 + 1..=r1).map(|r| v(c1, r)));
            outline.extend((c0..c1).rev().map(|c| v(c, r1)));
            outline.extend((r0..r1).rev().map(|r| v(c0, r)));
            districts.push(Area::new(
                format!("district-{}", spec.slug),
                spec.name.to_owned(),
                "district",
                Some(population),
                outline,
            ));
        }
        Self {
            wards,
            ward_district,
            districts,
        }
    }

    pub(super) fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        self.wards.iter().position(|w| w.contains(lon, lat))
    }

    /// A uniform point strictly inside ward `w`, rounded to 6 decimals.
    pub(super) fn point_in_ward(&self, rng: &mut ChaCha8Rng, w: usize) -> io::Result<(f64, f64)> {
        let ward = self
            .wards
            .get(w)
            .ok_or_else(|| io_err(format!("no ward {w}")))?;
        let [x0, y0, x1, y1] = ward.bbox;
        for _ in 0..1000 {
            let lon = round6(rng.random_range(x0..x1));
            let lat = round6(rng.random_range(y0..y1));
            if ward.contains(lon, lat) {
                return Ok((lon, lat));
            }
        }
        Err(io_err(format!("could not place a point in {}", ward.code)))
    }

    /// A Gaussian point around (`lon`, `lat`) that falls strictly inside a ward.
    pub(super) fn point_near(
        &self,
        rng: &mut ChaCha8Rng,
        lon: f64,
        lat: f64,
        sigma_m: f64,
    ) -> Option<(f64, f64, usize)> {
        for _ in 0..64 {
            let (e, n) = (normal(rng) * sigma_m, normal(rng) * sigma_m);
            let (x, y) = offset(lon, lat, e, n);
            let (x, y) = (round6(x), round6(y));
            if let Some(w) = self.locate(x, y) {
                return Some((x, y, w));
            }
        }
        None
    }

    pub(super) fn district_of(&self, ward: usize) -> &'static DistrictSpec {
        let d = self.ward_district.get(ward).copied().unwrap_or(0);
        &DISTRICTS[d.min(DISTRICTS.len() - 1)]
    }

    pub(super) fn ward_name(&self, ward: usize) -> &str {
        self.wards.get(ward).map_or("", |w| w.name.as_str())
    }
}

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Metres east/north of (`lon`, `lat`) → coordinates.
pub(super) fn offset(lon: f64, lat: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    (
        lon + east_m / (M_PER_DEG * lat.to_radians().cos()),
        lat + north_m / M_PER_DEG,
    )
}

pub(super) fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dx = (a.0 - b.0) * M_PER_DEG * a.1.to_radians().cos();
    let dy = (a.1 - b.1) * M_PER_DEG;
    dx.hypot(dy)
}

/// A point on a random corridor, offset sideways by a few tens of metres.
pub(super) fn point_on_corridor(
    rng: &mut ChaCha8Rng,
    tiling: &Tiling,
    corridor: usize,
) -> Option<(f64, f64, usize)> {
    let (_, line) = CORRIDORS.get(corridor)?;
    let lengths: Vec<f64> = line.windows(2).map(|s| distance_m(s[0], s[1])).collect();
    let pick = WeightedIndex::new(lengths.iter().copied()).ok()?;
    for _ in 0..64 {
        let segment = rng.sample(&pick);
        let (from, to) = (line.get(segment)?, line.get(segment + 1)?);
        let along: f64 = rng.random();
        let (x, y) = (
            from.0 + along * (to.0 - from.0),
            from.1 + along * (to.1 - from.1),
        );
        let (x, y) = offset(x, y, normal(rng) * 25.0, normal(rng) * 25.0);
        let (x, y) = (round6(x), round6(y));
        if let Some(w) = tiling.locate(x, y) {
            return Some((x, y, w));
        }
    }
    None
}
