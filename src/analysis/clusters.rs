//! What a committee reads of each DBSCAN cluster ([`super::dbscan`]): its size, its core
//! points, its time span, its commonest categories, and an outline to draw.
//!
//! Summaries. One pass over the incidents matching the filter the clustering ran on, in the
//! index's order (the order the clustering visited them in, so the k-th incident is the
//! clustering's k-th, with no lookup), places each clustered incident's position, time,
//! category and core flag in its cluster's run of flat columns (a counting sort by label,
//! members in visiting order); each cluster's row is then made from its run, clusters on
//! every core ([`crate::parallel::threads`]). `top_categories` keeps the five commonest
//! codes, most frequent first, ties by code. Noise points are in no row.
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
//! Complexity: O(n) to gather the n matching incidents, then O(m log m) per cluster of m
//! members for its hull and O(c log c) for its c categories.

use std::collections::HashMap;

use geo::ConvexHull;
use geo::orient::{Direction, Orient};

use super::dbscan::{Clustering, on_threads};
use super::geodesy::M_PER_DEG;
use crate::domain::lonlat::round6;
use crate::index::{CategoryRef, Filter, IncidentIndex, Interner};

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

/// The summary of every cluster of `c`, in label order. `c` is the clustering of the
/// incidents of `index` matching `filter`.
#[must_use]
pub fn summaries(index: &IncidentIndex, filter: &Filter, c: &Clustering) -> Vec<ClusterSummary> {
    let label = |k: usize| {
        usize::try_from(c.labels[k])
            .ok()
            .filter(|&l| l < c.clusters)
    };
    // A counting sort by label: cluster l's members go to `at[l]..at[l + 1]` of the columns
    // below, in visiting order.
    let mut at = vec![0usize; c.clusters + 1];
    for l in (0..c.labels.len()).filter_map(label) {
        at[l + 1] += 1;
    }
    for l in 0..c.clusters {
        at[l + 1] += at[l];
    }
    let total = at[c.clusters];
    let mut pts = vec![geo::Point::new(0.0, 0.0); total];
    let mut time = vec![0i64; total];
    let mut category = vec![CategoryRef::NONE; total];
    let mut core = vec![false; total];
    let mut next = at.clone();
    // The clustering visited these very incidents in this very order, so the k-th visited
    // is `c`'s k-th; should they differ (another index), incidents are found by id.
    let mut seen = 0;
    let mut by_id: Option<HashMap<i64, usize>> = None;
    index.for_each(filter, |seg, i| {
        let id = seg.id[i];
        let k = if by_id.is_none() && c.ids.get(seen) == Some(&id) {
            seen += 1;
            seen - 1
        } else {
            let by_id = by_id
                .get_or_insert_with(|| c.ids.iter().enumerate().map(|(k, id)| (*id, k)).collect());
            let Some(&k) = by_id.get(&id) else {
                return;
            };
            k
        };
        let Some(l) = label(k) else {
            return;
        };
        let m = next[l];
        next[l] += 1;
        pts[m] = geo::Point::new(seg.lon[i], seg.lat[i]);
        time[m] = seg.time[i];
        category[m] = seg.category[i];
        core[m] = c.core[k];
    });
    // Clusters are independent: runs of them with about equal numbers of members, taken in
    // turn by the threads, joined in label order.
    let threads = crate::parallel::threads();
    let mut runs = Vec::new();
    let mut first = 0;
    for l in 0..c.clusters {
        if at[l + 1] - at[first] >= total.div_ceil(threads * 8).max(1) {
            runs.push(first..l + 1);
            first = l + 1;
        }
    }
    if first < c.clusters {
        runs.push(first..c.clusters);
    }
    let summary = |l: usize| {
        let m = at[l]..at[l + 1];
        let span = time[m.clone()]
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        ClusterSummary {
            id: l,
            count: m.len(),
            core: core[m.clone()].iter().map(|&b| u64::from(b)).sum(),
            first: span.0,
            last: span.1,
            top_categories: top_categories(index.categories(), &category[m.clone()]),
            outline: outline(&pts[m]),
        }
    };
    on_threads(
        runs,
        threads,
        || (),
        |(), run| run.map(&summary).collect::<Vec<_>>(),
    )
    .concat()
}

/// The [`TOP_CATEGORIES`] commonest codes of `refs`, most frequent first, ties by code.
fn top_categories(codes: &Interner, refs: &[CategoryRef]) -> Vec<(String, u64)> {
    // Counted by reference, then by code (a reference outside the list reads as "").
    let mut counts = vec![0u64; codes.len() + 1];
    for r in refs {
        counts[r.index().min(codes.len())] += 1;
    }
    let mut cats: Vec<(&str, u64)> = Vec::new();
    for (i, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
        let code = codes.code(CategoryRef::at(i));
        match cats.iter_mut().find(|(c, _)| *c == code) {
            Some(e) => e.1 += n,
            None => cats.push((code, n)),
        }
    }
    cats.sort_unstable_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    cats.truncate(TOP_CATEGORIES);
    cats.into_iter().map(|(c, n)| (c.to_owned(), n)).collect()
}

/// DBSCAN of published cell counts (issue 18: what anonymous callers get): each cell of
/// `masses` (cells at one resolution with their published counts) is a point at its centre
/// weighing its count. A cell is core when the cells whose centres lie within `eps_m` of its
/// own (great-circle, itself included) weigh `min_points` or more together; clusters are the
/// core cells joined through those neighbourhoods, with the non-core cells they reach
/// (each to the first cluster that reaches it, clusters seeded in cell order). Nothing but
/// the published counts and the cells' public centres enters, so no sweep of `eps_m` or
/// `min_points` can tell more than the counts already say. Clusters come in the order of
/// their first core cell, each sorted.
#[must_use]
pub fn cell_dbscan(
    masses: &[(h3o::CellIndex, u32)],
    eps_m: f64,
    min_points: u32,
) -> Vec<Vec<h3o::CellIndex>> {
    let mut cells: Vec<(h3o::CellIndex, u32)> = masses.to_vec();
    cells.sort_unstable();
    let centres: Vec<(f64, f64)> = cells
        .iter()
        .map(|(c, _)| {
            let ll = h3o::LatLng::from(*c);
            (ll.lng(), ll.lat())
        })
        .collect();
    // Neighbours by a sweep over latitude: a centre within eps is within eps/R radians of
    // latitude (plus a margin for rounding).
    let mut by_lat: Vec<usize> = (0..cells.len()).collect();
    by_lat.sort_unstable_by(|&a, &b| centres[a].1.total_cmp(&centres[b].1));
    let dlat = (eps_m / super::geodesy::M_PER_DEG) * 1.000_001 + 1e-9;
    let mut near: Vec<Vec<usize>> = (0..cells.len()).map(|i| vec![i]).collect();
    for (a, &i) in by_lat.iter().enumerate() {
        for &j in &by_lat[a + 1..] {
            if centres[j].1 - centres[i].1 > dlat {
                break;
            }
            let (lon1, lat1) = centres[i];
            let (lon2, lat2) = centres[j];
            if super::geodesy::haversine_m(lon1, lat1, lon2, lat2) <= eps_m {
                near[i].push(j);
                near[j].push(i);
            }
        }
    }
    let core: Vec<bool> = near
        .iter()
        .map(|n| n.iter().map(|&j| u64::from(cells[j].1)).sum::<u64>() >= u64::from(min_points))
        .collect();
    let mut label: Vec<Option<usize>> = vec![None; cells.len()];
    let mut out: Vec<Vec<h3o::CellIndex>> = Vec::new();
    for seed in 0..cells.len() {
        if !core[seed] || label[seed].is_some() {
            continue;
        }
        let id = out.len();
        let mut members = vec![cells[seed].0];
        label[seed] = Some(id);
        let mut queue = vec![seed];
        while let Some(c) = queue.pop() {
            for &j in &near[c] {
                if label[j].is_none() {
                    label[j] = Some(id);
                    members.push(cells[j].0);
                    if core[j] {
                        queue.push(j);
                    }
                }
            }
        }
        members.sort_unstable();
        out.push(members);
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

    /// Published cells weigh their counts: two groups of cells 5 km apart make two clusters
    /// at eps 500 m; an isolated cell lighter than `min_points` is noise, heavier is a
    /// cluster of its own; a light cell next to a core one joins it as a border.
    #[test]
    fn cells_cluster_by_their_published_weight() {
        use h3o::{LatLng, Resolution};
        let res = Resolution::Nine;
        let a = LatLng::new(10.78, 106.70).unwrap().to_cell(res);
        let b = LatLng::new(10.78, 106.746).unwrap().to_cell(res);
        let lone = LatLng::new(10.70, 106.60).unwrap().to_cell(res);
        let far_east = LatLng::new(10.70, 106.80).unwrap().to_cell(res);
        let mut masses: Vec<(h3o::CellIndex, u32)> = Vec::new();
        for (centre, w) in [(a, 4), (b, 3)] {
            for c in centre.grid_disk::<Vec<_>>(1) {
                masses.push((c, w));
            }
        }
        masses.push((lone, 3));
        masses.push((far_east, 12));
        let out = cell_dbscan(&masses, 500.0, 10);
        assert_eq!(out.len(), 3, "{out:?}");
        let mut ring_a: Vec<_> = a.grid_disk::<Vec<_>>(1);
        ring_a.sort_unstable();
        let mut ring_b: Vec<_> = b.grid_disk::<Vec<_>>(1);
        ring_b.sort_unstable();
        assert!(out.contains(&ring_a) && out.contains(&ring_b) && out.contains(&vec![far_east]));
        assert!(!out.iter().flatten().any(|c| *c == lone));
        // Heavier thresholds drop the lone 12, then the lighter group (its centre's
        // neighbourhood weighs 7 × 3 = 21, the heavier one's 7 × 4 = 28), then everything.
        assert_eq!(cell_dbscan(&masses, 500.0, 13).len(), 2);
        assert_eq!(cell_dbscan(&masses, 500.0, 22).len(), 1);
        assert!(cell_dbscan(&masses, 500.0, 1000).is_empty());
        // A light cell within reach of a core cell is its border.
        let edge = a
            .grid_disk::<Vec<_>>(2)
            .into_iter()
            .find(|c| a.grid_distance(*c).ok() == Some(2))
            .unwrap();
        masses.push((edge, 1));
        let out = cell_dbscan(&masses, 500.0, 10);
        assert!(
            out.iter().any(|c| c.contains(&edge) && c.contains(&a)),
            "{out:?}"
        );
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
