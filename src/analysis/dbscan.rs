//! DBSCAN point clusters (Ester, Kriegel, Sander & Xu 1996) in great-circle metres, in
//! bounded memory.
//!
//! A point is *core* when at least `min_points` points (itself included, as scikit-learn
//! and PostGIS count) lie within `eps` metres of it (haversine on the sphere of
//! [`super::geodesy`], radius 6,371,008.8 m; distance ≤ eps as scikit-learn's
//! `radius_neighbors`). Core points within eps of each other share a cluster; a non-core
//! point within eps of a core point is a *border* point of one such cluster (which one,
//! when several reach it, depends on the visiting order in every implementation: we take
//! the cluster of its first core neighbour in grid order); the rest is noise.
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
//! State is a handful of arrays of n entries (about 45 bytes a point); time is close to
//! linear for city data. Distances compare the haversine term `a` = sin²(d/2R) with
//! sin²(eps/2R), computed from unit vectors as a quarter of the squared chord
//! ([`super::geodesy::hav_of_chord`]), so a pair costs no trigonometry (the identity is
//! exact; rounding differs from scikit-learn's formula only within ~1e-15 of eps).

use std::collections::HashMap;

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

/// Points as unit vectors: the haversine term is a quarter of the squared chord,
/// a = sin²(d/2) = |p − q|² / 4, so a pair costs three subtractions and no trigonometry.
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

/// Clusters the incidents matching `filter`. `eps_m` > 0 and `min_points` ≥ 1 are the
/// caller's to check.
#[must_use]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "grid coordinates and indices of at most a few million points"
)]
pub fn dbscan(index: &IncidentIndex, filter: &Filter, eps_m: f64, min_points: usize) -> Clustering {
    let mut ids = Vec::new();
    let mut lon_deg = Vec::new();
    let mut lat_deg = Vec::new();
    index.for_each(filter, |seg, i| {
        ids.push(seg.id[i]);
        lon_deg.push(seg.lon[i]);
        lat_deg.push(seg.lat[i]);
    });
    let n = ids.len();
    if n == 0 || eps_m.is_nan() || eps_m <= 0.0 {
        return Clustering {
            labels: vec![-1; n],
            core: vec![false; n],
            ids,
            clusters: 0,
        };
    }
    let eps_rad = angle_of_distance_m(eps_m);
    let threshold = hav_of_distance_m(eps_m);
    // Grid: side 0.505·eps in latitude and, at the highest latitude present, in longitude
    // (wider in metres nearer the equator). A neighbour within eps is then at most 2 cells
    // away on each axis (eps / 0.505·eps < 2), so the 5×5 block around a cell holds them all.
    let max_abs_lat = lat_deg.iter().fold(0f64, |m, v| m.max(v.abs())).min(89.0);
    let min_abs_lat = lat_deg.iter().fold(90f64, |m, v| m.min(v.abs()));
    let cell_lat = (eps_rad * 0.505).to_degrees();
    let cell_lon = cell_lat / max_abs_lat.to_radians().cos();
    // Two points of one cell are neighbours when the cell's widest diagonal is below eps:
    // 0.505² · (1 + w²) < 1 with w the east-west stretch between the lowest and highest
    // latitude (≈ 1 for a city). Otherwise the cell shortcuts are not taken.
    let stretch = min_abs_lat.to_radians().cos() / max_abs_lat.to_radians().cos();
    let clique = 0.505f64.powi(2) * (1.0 + stretch * stretch) < 0.99;
    let key = |lon: f64, lat: f64| -> (i64, i64) {
        (
            (lon / cell_lon).floor() as i64,
            (lat / cell_lat).floor() as i64,
        )
    };
    let keys: Vec<(i64, i64)> = lon_deg
        .iter()
        .zip(&lat_deg)
        .map(|(&lo, &la)| key(lo, la))
        .collect();
    let mut pts = Points {
        x: Vec::with_capacity(n),
        y: Vec::with_capacity(n),
        z: Vec::with_capacity(n),
    };
    for (&lon, &lat) in lon_deg.iter().zip(&lat_deg) {
        let [x, y, z] = unit_vector(lat.to_radians(), lon.to_radians());
        pts.x.push(x);
        pts.y.push(y);
        pts.z.push(z);
    }
    // Points sorted by cell; `cells` maps a cell to its range in `order`.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&i| keys[i as usize]);
    let mut cells: HashMap<(i64, i64), (u32, u32)> = HashMap::new();
    let mut start = 0usize;
    while start < n {
        let k = keys[order[start] as usize];
        let mut end = start + 1;
        while end < n && keys[order[end] as usize] == k {
            end += 1;
        }
        cells.insert(k, (start as u32, end as u32));
        start = end;
    }
    drop(lon_deg);
    drop(lat_deg);
    let range = |k: (i64, i64)| cells.get(&k).map_or(0..0, |&(s, e)| s as usize..e as usize);

    // 1. Core points.
    let mut core = vec![false; n];
    for (&c, &(s, e)) in &cells {
        let (s, e) = (s as usize, e as usize);
        if clique && e - s >= min_points {
            for &i in &order[s..e] {
                core[i as usize] = true;
            }
            continue;
        }
        for &i in &order[s..e] {
            let i = i as usize;
            let mut count = 0usize;
            'search: for dx in -2..=2 {
                for dy in -2..=2 {
                    for &j in &order[range((c.0 + dx, c.1 + dy))] {
                        if pts.a(i, j as usize) <= threshold {
                            count += 1;
                            if count >= min_points {
                                break 'search;
                            }
                        }
                    }
                }
            }
            core[i] = count >= min_points;
        }
    }
    // 2. Core groups per cell, merged across cells at the first pair within eps.
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for &(s, e) in cells.values() {
        if !clique {
            break;
        }
        let mut first = None;
        for &i in &order[s as usize..e as usize] {
            if core[i as usize] {
                match first {
                    None => first = Some(i),
                    Some(f) => {
                        union(&mut parent, f, i);
                    }
                }
            }
        }
    }
    for (&c, &(s, e)) in &cells {
        let cores: Vec<u32> = order[s as usize..e as usize]
            .iter()
            .copied()
            .filter(|&i| core[i as usize])
            .collect();
        if cores.is_empty() {
            continue;
        }
        for dx in -2..=2i64 {
            for dy in -2..=2i64 {
                // Each unordered pair of cells once; a cell with itself only when its points
                // are not all neighbours of each other.
                if (dx, dy) < (0, 0) || ((dx, dy) == (0, 0) && clique) {
                    continue;
                }
                let other = range((c.0 + dx, c.1 + dy));
                if other.is_empty()
                    || find(&mut parent, cores[0])
                        == order[other.clone()]
                            .iter()
                            .find(|&&j| core[j as usize])
                            .map_or(u32::MAX, |&j| find(&mut parent, j))
                {
                    continue;
                }
                'pair: for &i in &cores {
                    for &j in &order[other.clone()] {
                        if core[j as usize] && pts.a(i as usize, j as usize) <= threshold {
                            union(&mut parent, i, j);
                            break 'pair;
                        }
                    }
                }
            }
        }
    }
    // 3. Labels: clusters numbered by their smallest core id; borders join their first
    // core neighbour's cluster.
    let mut root_min: HashMap<u32, i64> = HashMap::new();
    for i in 0..n {
        if core[i] {
            let r = find(&mut parent, i as u32);
            let e = root_min.entry(r).or_insert(i64::MAX);
            *e = (*e).min(ids[i]);
        }
    }
    let mut roots: Vec<(i64, u32)> = root_min.into_iter().map(|(r, m)| (m, r)).collect();
    roots.sort_unstable();
    let number: HashMap<u32, i32> = roots
        .iter()
        .enumerate()
        .map(|(k, (_, r))| (*r, k as i32))
        .collect();
    let mut labels = vec![-1i32; n];
    for i in 0..n {
        if core[i] {
            labels[i] = number[&find(&mut parent, i as u32)];
        }
    }
    for i in 0..n {
        if core[i] {
            continue;
        }
        let c = keys[i];
        'border: for dx in -2..=2 {
            for dy in -2..=2 {
                for &j in &order[range((c.0 + dx, c.1 + dy))] {
                    let j = j as usize;
                    if core[j] && pts.a(i, j) <= threshold {
                        labels[i] = labels[j];
                        break 'border;
                    }
                }
            }
        }
    }
    Clustering {
        clusters: roots.len(),
        ids,
        labels,
        core,
    }
}
