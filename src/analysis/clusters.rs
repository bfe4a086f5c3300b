//! What a committee reads of each DBSCAN cluster ([`super::dbscan`]): its size, its core
//! points, its time span, its commonest categories, and an outline to draw.
//!
//! Summaries. One pass over the incidents matching the filter the clustering ran on, in the
//! index's order; each incident in a cluster adds its position, whether it is core, its time
//! and its category to its cluster's row. `top_categories` keeps the five commonest codes,
//! most frequent first, ties by code. Noise points are in no row.
//!
//! Outline. The convex hull of the members (`geo`'s quickhull), taken after
//! rounding them to the 6 decimals served, so that rounding cannot fold a thin hull, and
//! wound counter-clockwise (RFC 7946 §3.1.6). Whether it has an area is decided exactly:
//! twice its signed area in whole micro-degrees², an integer as every vertex is on the
//! 1e-6 grid. When the members are one place (coincident) or lie on one line (two points,
//! or collinear), the hull is a point or a segment, which is no valid polygon (OGC Simple
//! Features); the outline is then the hull of two octagons of radius
//! [`DEGENERATE_BUFFER_M`] around the segment's ends, vertices at odd multiples of π/8 and
//! metres turned into degrees on the sphere of [`super::geodesy`] (a degree of longitude
//! shrinking with cos φ): a 10 m-wide, octagon-capped strip along the segment, or a 10 m
//! octagon around the point. It covers every member and is valid and counter-clockwise.
//! (ArcGIS draws no outline for DBSCAN clusters; PostGIS's `ST_ConvexHull` returns the
//! point or line itself.)
//!
//! Complexity: O(n) to gather the n matching incidents (a hash lookup each), then
//! O(m log m) per cluster of m members for its hull and O(c log c) for its c categories.

use std::collections::HashMap;

use geo::ConvexHull;
use geo::orient::{Direction, Orient};

use super::dbscan::Clustering;
use super::geodesy::M_PER_DEG;
use crate::domain::lonlat::round6;
use crate::index::{Filter, IncidentIndex};

/// Radius, in metres, of the octagons a degenerate cluster outline is drawn with.
pub const DEGENERATE_BUFFER_M: f64 = 5.0;

/// Categories listed per cluster.
pub const TOP_CATEGORIES: usize = 5;

/// One cluster, as the map and the committee read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSummary {
    /// The cluster's label in the [`Clustering`] (numbered by smallest core id).
    pub id: usize,
    /// Members (core and border points).
    pub count: usize,
    /// Core members.
    pub core: u64,
    /// The earliest and latest member's time, Unix seconds.
    pub first: i64,
    pub last: i64,
    /// (category code, members), commonest first, at most [`TOP_CATEGORIES`].
    pub top_categories: Vec<(String, u64)>,
    /// The members' outline (module documentation), counter-clockwise, 6 decimals.
    pub outline: geo::Polygon<f64>,
}

/// One member of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterMember {
    /// The incident's id.
    pub id: i64,
    /// Its cluster's label.
    pub cluster: i32,
    pub core: bool,
}

/// Every clustered point (noise left out), by incident id.
#[must_use]
pub fn members(c: &Clustering) -> Vec<ClusterMember> {
    let mut out: Vec<ClusterMember> = (0..c.ids.len())
        .filter(|&k| c.labels[k] >= 0)
        .map(|k| ClusterMember {
            id: c.ids[k],
            cluster: c.labels[k],
            core: c.core[k],
        })
        .collect();
    out.sort_unstable();
    out
}

/// A cluster's members while they are gathered.
struct Acc {
    pts: Vec<geo::Point<f64>>,
    core: u64,
    first: i64,
    last: i64,
    cats: HashMap<String, u64>,
}

/// The summary of every cluster of `c`, in label order. `c` is the clustering of the
/// incidents of `index` matching `filter`.
#[must_use]
pub fn summaries(index: &IncidentIndex, filter: &Filter, c: &Clustering) -> Vec<ClusterSummary> {
    let pos: HashMap<i64, usize> = c.ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let mut acc: Vec<Acc> = (0..c.clusters)
        .map(|_| Acc {
            pts: Vec::new(),
            core: 0,
            first: i64::MAX,
            last: i64::MIN,
            cats: HashMap::new(),
        })
        .collect();
    index.for_each(filter, |seg, i| {
        let Some(&k) = pos.get(&seg.id[i]) else {
            return;
        };
        let Ok(label) = usize::try_from(c.labels[k]) else {
            return;
        };
        let a = &mut acc[label];
        a.pts.push(geo::Point::new(seg.lon[i], seg.lat[i]));
        a.core += u64::from(c.core[k]);
        a.first = a.first.min(seg.time[i]);
        a.last = a.last.max(seg.time[i]);
        *a.cats
            .entry(index.categories().code(seg.category[i]).to_owned())
            .or_default() += 1;
    });
    acc.into_iter()
        .enumerate()
        .map(|(id, a)| {
            let mut cats: Vec<(String, u64)> = a.cats.into_iter().collect();
            cats.sort_unstable_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            cats.truncate(TOP_CATEGORIES);
            ClusterSummary {
                id,
                count: a.pts.len(),
                core: a.core,
                first: a.first,
                last: a.last,
                top_categories: cats,
                outline: outline(&a.pts),
            }
        })
        .collect()
}

/// Each cluster of `c` as the cells at `res` that hold its members, sorted (issue 18: what
/// anonymous callers are shown instead of points). A cell holding members of two clusters
/// goes to the one with more of them there, ties to the lower label, so each cell is in at
/// most one set. Clusters without a cell are empty sets; labels index the result.
#[must_use]
pub fn cell_sets(
    index: &IncidentIndex,
    filter: &Filter,
    c: &Clustering,
    res: h3o::Resolution,
) -> Vec<Vec<h3o::CellIndex>> {
    let pos: HashMap<i64, usize> = c.ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    // (cell, label) → members.
    let mut held: HashMap<(u64, usize), u32> = HashMap::new();
    index.for_each(filter, |seg, i| {
        if let Some(&k) = pos.get(&seg.id[i])
            && let Ok(label) = usize::try_from(c.labels[k])
        {
            *held
                .entry((seg.containing_cell(i, res), label))
                .or_default() += 1;
        }
    });
    let mut claims: Vec<((u64, usize), u32)> = held.into_iter().collect();
    // By cell, then most members first, then lower label: the first claim of a cell wins.
    claims.sort_unstable_by(|a, b| {
        a.0.0
            .cmp(&b.0.0)
            .then(b.1.cmp(&a.1))
            .then(a.0.1.cmp(&b.0.1))
    });
    let mut out = vec![Vec::new(); c.clusters];
    let mut last = None;
    for ((cell, label), _) in claims {
        if last == Some(cell) {
            continue;
        }
        last = Some(cell);
        if let (Ok(cell), Some(set)) = (h3o::CellIndex::try_from(cell), out.get_mut(label)) {
            set.push(cell);
        }
    }
    for set in &mut out {
        set.sort_unstable();
    }
    out
}

/// The outline of a cluster's members (lon/lat degrees; module documentation).
#[must_use]
pub fn outline(pts: &[geo::Point<f64>]) -> geo::Polygon<f64> {
    let rounded: Vec<geo::Point<f64>> = pts
        .iter()
        .map(|p| geo::Point::new(round6(p.x()), round6(p.y())))
        .collect();
    let hull = geo::MultiPoint::new(rounded).convex_hull();
    // Twice the hull's area in whole micro-degrees²: exact, as every vertex is on the 1e-6
    // grid, so "no area" is decided without rounding error.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "|lon|, |lat| <= 180e6 fit an i64"
    )]
    let micro = |v: f64| i128::from((v * 1e6).round() as i64);
    let area2: i128 = hull
        .exterior()
        .lines()
        .map(|l| micro(l.start.x) * micro(l.end.y) - micro(l.end.x) * micro(l.start.y))
        .sum();
    if area2 != 0 {
        return hull.orient(Direction::Default);
    }
    // The segment's ends (the same point twice when all coincide).
    let cmp =
        |a: &&geo::Coord<f64>, b: &&geo::Coord<f64>| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y));
    let (Some(lo), Some(hi)) = (
        hull.exterior().coords().min_by(cmp),
        hull.exterior().coords().max_by(cmp),
    ) else {
        return hull;
    };
    let mut octagons = Vec::with_capacity(16);
    for c in [lo, hi] {
        let m_per_deg_lon = M_PER_DEG * c.y.to_radians().cos();
        for k in 0..8 {
            let a = std::f64::consts::FRAC_PI_8 * f64::from(2 * k + 1);
            octagons.push(geo::Point::new(
                round6(c.x + DEGENERATE_BUFFER_M * a.cos() / m_per_deg_lon),
                round6(c.y + DEGENERATE_BUFFER_M * a.sin() / M_PER_DEG),
            ));
        }
    }
    geo::MultiPoint::new(octagons)
        .convex_hull()
        .orient(Direction::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::geodesy::haversine_m;

    fn pt(x: f64, y: f64) -> geo::Point<f64> {
        geo::Point::new(x, y)
    }

    /// Each cell goes to the cluster with most members in it, ties to the lower label; noise
    /// claims nothing.
    #[test]
    fn a_cell_goes_to_the_cluster_with_most_members_there() {
        use h3o::{LatLng, Resolution};
        let res = Resolution::Nine;
        let a = LatLng::new(10.78, 106.70).unwrap().to_cell(res);
        let b = a
            .grid_disk::<Vec<_>>(2)
            .into_iter()
            .find(|n| a.grid_distance(*n).ok() == Some(2))
            .unwrap();
        let at = |c: h3o::CellIndex| {
            let ll = LatLng::from(c);
            (ll.lng(), ll.lat())
        };
        // ids 1–3 in a, 4–5 in b, 6 in a (noise).
        let places = [at(a), at(a), at(a), at(b), at(b), at(a)];
        let rows = places
            .iter()
            .zip(1..)
            .map(|(&(lon, lat), id)| crate::index::IncidentRow {
                id,
                occurred_at: 0,
                category: crate::index::CategoryRef::at(0),
                severity: crate::domain::Severity::from_code(0),
                solved: false,
                lon,
                lat,
                cell: crate::domain::LonLat::new(lon, lat).unwrap().cell15(),
                key: 0,
            })
            .collect();
        let index = IncidentIndex::build(crate::index::Scanned {
            rows,
            categories: vec!["theft".to_owned()],
        });
        // Cluster 0: ids 1, 4, 5 (one in a, two in b); cluster 1: ids 2, 3 (two in a).
        let c = Clustering {
            ids: vec![1, 2, 3, 4, 5, 6],
            labels: vec![0, 1, 1, 0, 0, -1],
            core: vec![true; 6],
            clusters: 2,
        };
        let sets = cell_sets(&index, &Filter::default(), &c, res);
        assert_eq!(sets, vec![vec![b], vec![a]]);
        // A tie (one member each in a) goes to the lower label.
        let c = Clustering {
            ids: vec![1, 2, 4, 5],
            labels: vec![1, 0, 1, 1],
            core: vec![true; 4],
            clusters: 2,
        };
        let mut want = vec![vec![a], vec![b]];
        want[1].sort_unstable();
        assert_eq!(cell_sets(&index, &Filter::default(), &c, res), want);
    }

    /// Twice the signed area of a ring (positive when counter-clockwise).
    fn area2(p: &geo::Polygon<f64>) -> f64 {
        p.exterior()
            .lines()
            .map(|l| l.start.x * l.end.y - l.end.x * l.start.y)
            .sum()
    }

    #[test]
    fn a_triangle_is_its_own_hull() {
        let o = outline(&[pt(106.7, 10.8), pt(106.701, 10.8), pt(106.7005, 10.801)]);
        assert_eq!(o.exterior().0.len(), 4);
        assert!(area2(&o) > 0.0);
    }

    /// A point becomes an octagon of 5 m radius around it; a segment a strip 10 m wide
    /// whose ends are that octagon's halves.
    #[test]
    fn degenerate_clusters_get_a_small_valid_outline() {
        let p = pt(106.7, 10.8);
        let o = outline(&[p, p, p]);
        assert_eq!(o.exterior().0.len(), 9);
        assert!(area2(&o) > 0.0);
        for c in o.exterior().coords() {
            let d = haversine_m(p.x(), p.y(), c.x, c.y);
            assert!((d - DEGENERATE_BUFFER_M).abs() < 0.15, "{d}");
        }
        let line = outline(&[pt(106.7, 10.8), pt(106.7005, 10.8), pt(106.701, 10.8)]);
        assert!(area2(&line) > 0.0);
        let (lo, hi) = line
            .exterior()
            .coords()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                (lo.min(c.y), hi.max(c.y))
            });
        let width = haversine_m(106.7, lo, 106.7, hi);
        assert!(
            (width - 2.0 * DEGENERATE_BUFFER_M * (3.0 * std::f64::consts::FRAC_PI_8).sin()).abs()
                < 0.2,
            "{width}"
        );
    }

    #[test]
    fn members_leave_noise_out_and_follow_ids() {
        let c = Clustering {
            ids: vec![9, 3, 5, 1],
            labels: vec![0, -1, 0, 1],
            core: vec![true, false, false, true],
            clusters: 2,
        };
        let m = members(&c);
        assert_eq!(
            m.iter()
                .map(|m| (m.id, m.cluster, m.core))
                .collect::<Vec<_>>(),
            vec![(1, 1, true), (5, 0, false), (9, 0, true)]
        );
        assert_eq!(c.noise(), 1);
    }
}
