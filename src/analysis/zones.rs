//! Hotspot zones: contiguous hot cells dissolved into polygons, with what a committee asks
//! of each — how many incidents and what share, how large, which categories, when (hours of
//! the day and days of the week, in the committee's zone), which cameras and self-managed
//! models stand inside, and which wards and complex areas it touches.
//!
//! Cells are "hot" under a [`HotRule`] (their Gi* bin, on q or p, is at least `min_bin`);
//! two hot cells belong to the same zone when they are H3 neighbours (share an edge). Each
//! zone is dissolved with h3o's `Solvent`, which leaves no inner hexagon edges. A zone's id
//! is its smallest cell index in hex (`z` + 15 hex digits), so identical queries give
//! identical ids and a zone that grows keeps its id as long as its smallest cell stays in
//! it.
//!
//! Complexity: O(h log h) for the components of h hot cells, one pass over the matching incidents
//! for their statistics, then per zone its dissolve and R-tree queries of the cameras,
//! models and areas in its bounding box.

use std::collections::HashMap;

use geo::{BoundingRect, Contains, Intersects};
use h3o::geom::SolventBuilder;
use h3o::{CellIndex, Resolution};
use jiff::tz::TimeZone;

use super::cells::keyed_by_category;
use super::disclosure::PTable;
use super::gistar::{GiCell, HotRule};
use super::weights::HarmTable;
use crate::index::{BBox, CategoryRef, Filter, Snapshot};

/// One zone.
#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub cells: Vec<CellIndex>,
    pub geometry: geo::MultiPolygon<f64>,
    pub incidents: u64,
    /// `incidents` over every incident matching the filter.
    pub share: f64,
    /// When weighing by harm: the zone's harm in days, and its share of all the harm.
    pub harm: Option<(f64, f64)>,
    pub area_km2: f64,
    /// (category code, count), most frequent first, at most 5.
    pub top_categories: Vec<(String, u64)>,
    /// (hour 0–23, count), busiest first, at most 3.
    pub busiest_hours: Vec<(u8, u64)>,
    /// (ISO weekday 1 = Monday … 7 = Sunday, count), busiest first, at most 3.
    pub busiest_weekdays: Vec<(u8, u64)>,
    pub cameras: u64,
    pub models: u64,
    /// Codes of the wards and complex areas the zone touches.
    pub wards: Vec<String>,
    pub complex_areas: Vec<String>,
}

/// Groups hot cells into zones (connected through shared edges).
fn components(hot: &[CellIndex]) -> Vec<Vec<CellIndex>> {
    let mut sorted = hot.to_vec();
    sorted.sort_unstable();
    let mut seen = vec![false; sorted.len()];
    let mut out = Vec::new();
    for start in 0..sorted.len() {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![sorted[start]];
        let mut comp = Vec::new();
        while let Some(c) = stack.pop() {
            comp.push(c);
            for n in c.grid_disk::<Vec<_>>(1) {
                if let Ok(j) = sorted.binary_search(&n)
                    && !seen[j]
                {
                    seen[j] = true;
                    stack.push(n);
                }
            }
        }
        comp.sort_unstable();
        out.push(comp);
    }
    out
}

fn top<K: Copy + Ord>(counts: HashMap<K, u64>, n: usize) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = counts.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// The public counts of each zone: its cells' published counts, and per category the
/// published counts of its (cell, category) tables, zeros dropped.
fn publish(
    snap: &Snapshot,
    p: &ZoneParams<'_>,
    pb: Published<'_>,
    comps: &[Vec<CellIndex>],
    incidents: &mut [u64],
    categories: &mut [HashMap<CategoryRef, u64>],
) {
    let mut zone_cells: Vec<(CellIndex, usize)> = comps
        .iter()
        .enumerate()
        .flat_map(|(z, comp)| comp.iter().map(move |c| (*c, z)))
        .collect();
    zone_cells.sort_unstable();
    let cells: Vec<CellIndex> = zone_cells.iter().map(|(c, _)| *c).collect();
    for (c, z) in &zone_cells {
        if let Ok(j) = pb.counts.binary_search_by_key(c, |(c, _)| *c) {
            incidents[*z] += u64::from(pb.counts[j].1);
        }
    }
    for ((cell, cat), k) in keyed_by_category(&snap.incidents, p.filter, p.res, &cells) {
        let n = pb.ptable.perturb(k.count, k.key);
        if n > 0
            && let Ok(j) = cells.binary_search(&cell)
        {
            *categories[zone_cells[j].1].entry(cat).or_default() += u64::from(n);
        }
    }
}

/// How [`zones`] reads a Gi* result.
#[derive(Debug, Clone, Copy)]
pub struct ZoneParams<'a> {
    /// The incidents the statistics count (those Gi* was computed on).
    pub filter: &'a Filter,
    /// The resolution of the Gi* cells.
    pub res: Resolution,
    /// Which cells are hot.
    pub hot: HotRule,
    /// The committee's zone, for hours and weekdays.
    pub tz: &'a TimeZone,
}

/// Zones of the hot cells of `gi` (under `p.hot`), with their statistics over the incidents
/// matching `p.filter`; largest first.
#[must_use]
pub fn zones(snap: &Snapshot, gi: &[GiCell], p: &ZoneParams<'_>) -> Vec<Zone> {
    zones_weighted(snap, gi, p, None)
}

/// [`zones`], with each zone's harm when `harm` is given (the table `gi` was computed with).
#[must_use]
pub fn zones_weighted(
    snap: &Snapshot,
    gi: &[GiCell],
    p: &ZoneParams<'_>,
    harm: Option<&HarmTable>,
) -> Vec<Zone> {
    zones_of(snap, gi, p, harm, None)
}

/// The counts anonymous callers are published (issue 18), which public zones add up.
#[derive(Debug, Clone, Copy)]
pub struct Published<'a> {
    pub ptable: &'a PTable,
    /// Every cell's published count at the zones' resolution (positive ones), sorted by cell.
    pub counts: &'a [(CellIndex, u32)],
}

/// [`zones`] as anonymous callers see them, from `gi` computed on the published counts: a
/// zone's `incidents` is the sum of its cells' published counts and `share` is over the sum
/// of every published cell; `top_categories` adds up the published counts of each (cell,
/// category); no hours or weekdays (finer than any public period, and small sub-tables).
/// Cameras, models, wards and complex areas are not incident data: as for viewers.
#[must_use]
pub fn zones_published(
    snap: &Snapshot,
    gi: &[GiCell],
    p: &ZoneParams<'_>,
    published: Published<'_>,
) -> Vec<Zone> {
    zones_of(snap, gi, p, None, Some(published))
}

fn zones_of(
    snap: &Snapshot,
    gi: &[GiCell],
    p: &ZoneParams<'_>,
    harm: Option<&HarmTable>,
    published: Option<Published<'_>>,
) -> Vec<Zone> {
    let ZoneParams {
        filter,
        res,
        hot,
        tz,
    } = *p;
    let hot: Vec<CellIndex> = gi
        .iter()
        .filter(|c| hot.is_hot(c))
        .map(|c| c.cell)
        .collect();
    let comps = components(&hot);
    // (cell, zone), sorted: consecutive rows of the cell-sorted segment mostly share a cell,
    // so the zone is looked up only when the cell changes.
    let mut zone_of: Vec<(u64, usize)> = comps
        .iter()
        .enumerate()
        .flat_map(|(z, comp)| comp.iter().map(move |c| (u64::from(*c), z)))
        .collect();
    zone_of.sort_unstable();
    let mut last: (u64, Option<usize>) = (u64::MAX, None);
    let mut total = 0u64;
    let mut total_harm = 0f64;
    let mut harms = vec![0f64; comps.len()];
    let mut incidents = vec![0u64; comps.len()];
    let mut categories: Vec<HashMap<CategoryRef, u64>> = vec![HashMap::new(); comps.len()];
    let mut hours: Vec<HashMap<u8, u64>> = vec![HashMap::new(); comps.len()];
    let mut weekdays: Vec<HashMap<u8, u64>> = vec![HashMap::new(); comps.len()];
    if let Some(pb) = published {
        publish(snap, p, pb, &comps, &mut incidents, &mut categories);
        total = pb.counts.iter().map(|(_, n)| u64::from(*n)).sum();
    } else {
        snap.incidents.for_each(filter, |seg, i| {
            total += 1;
            let h = harm.map_or(0.0, |t| t.of(seg, i));
            total_harm += h;
            let c = seg.containing_cell(i, res);
            if c != last.0 {
                last = (
                    c,
                    zone_of
                        .binary_search_by_key(&c, |(cell, _)| *cell)
                        .ok()
                        .map(|j| zone_of[j].1),
                );
            }
            if let Some(z) = last.1 {
                incidents[z] += 1;
                harms[z] += h;
                *categories[z].entry(seg.category[i]).or_default() += 1;
                if let Ok(ts) = jiff::Timestamp::from_second(seg.time[i]) {
                    // The local time by the zone's offset at that instant (no civil date-time
                    // per row): hour of the day, and the ISO weekday from the day count
                    // (1970-01-01 was a Thursday, 4).
                    let local = seg.time[i] + i64::from(tz.to_offset(ts).seconds());
                    let hour = local.rem_euclid(86_400) / 3_600;
                    let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7) + 1;
                    *hours[z].entry(u8::try_from(hour).unwrap_or(0)).or_default() += 1;
                    *weekdays[z]
                        .entry(u8::try_from(weekday).unwrap_or(0))
                        .or_default() += 1;
                }
            }
        });
    }
    let solvent = SolventBuilder::new().build();
    let mut out = Vec::with_capacity(comps.len());
    for (z, comp) in comps.into_iter().enumerate() {
        let geometry = solvent
            .dissolve(comp.iter().copied())
            .unwrap_or_else(|_| geo::MultiPolygon::new(Vec::new()));
        let bbox = geometry
            .bounding_rect()
            .and_then(|b| BBox::new(b.min().x, b.min().y, b.max().x, b.max().y).ok());
        let inside = |lon: f64, lat: f64| geometry.contains(&geo::Point::new(lon, lat));
        let cameras = snap
            .cameras
            .in_bbox(bbox.as_ref())
            .into_iter()
            .filter(|&i| {
                let l = snap.cameras.records()[i].data.location;
                inside(l.lon(), l.lat())
            })
            .count() as u64;
        let models = snap
            .models
            .in_bbox(bbox.as_ref())
            .into_iter()
            .filter(|&i| {
                let l = snap.models.records()[i].data.location;
                inside(l.lon(), l.lat())
            })
            .count() as u64;
        let (mut wards, mut complex_areas) = (Vec::new(), Vec::new());
        for i in snap.areas.in_bbox(bbox.as_ref()) {
            let a = &snap.areas.areas()[i];
            if a.data.geometry.multi_polygon().intersects(&geometry) {
                match a.data.kind {
                    crate::domain::AreaKind::Ward => wards.push(a.data.code.clone()),
                    crate::domain::AreaKind::ComplexArea => complex_areas.push(a.data.code.clone()),
                    crate::domain::AreaKind::District => {}
                }
            }
        }
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let share = if total == 0 {
            0.0
        } else {
            incidents[z] as f64 / total as f64
        };
        let cats = std::mem::take(&mut categories[z]);
        out.push(Zone {
            id: format!("z{}", comp[0]),
            area_km2: comp.iter().map(|c| c.area_km2()).sum(),
            geometry,
            incidents: incidents[z],
            share,
            harm: harm.map(|_| {
                let share = if total_harm > 0.0 {
                    harms[z] / total_harm
                } else {
                    0.0
                };
                (harms[z], share)
            }),
            top_categories: top(cats, 5)
                .into_iter()
                .map(|(c, n)| (snap.incidents.categories().code(c).to_owned(), n))
                .collect(),
            busiest_hours: top(std::mem::take(&mut hours[z]), 3),
            busiest_weekdays: top(std::mem::take(&mut weekdays[z]), 3),
            cameras,
            models,
            wards,
            complex_areas,
            cells: comp,
        });
    }
    // Largest first: what a committee reads first.
    out.sort_by(|a, b| b.incidents.cmp(&a.incidents).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_join_and_gaps_split() {
        let a: CellIndex = "8965b193453ffff".parse().unwrap();
        let ring: Vec<CellIndex> = a.grid_disk(1);
        let far = a
            .grid_disk::<Vec<_>>(4)
            .into_iter()
            .find(|c| a.grid_distance(*c).ok() == Some(4))
            .unwrap();
        let mut hot = ring.clone();
        hot.push(far);
        let comps = components(&hot);
        assert_eq!(comps.len(), 2);
        assert!(comps.iter().any(|c| c.len() == 7));
        assert!(comps.iter().any(|c| c == &vec![far]));
    }
}
