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
//! Complexity: O(h log h) for the components of h hot cells; for their statistics, only the
//! rows of the hot cells (each one run of the cell-sorted index, on every core), or one pass
//! over the matching incidents when weighing by harm (the shares need all the harm); then per
//! zone its dissolve and R-tree queries of the cameras, models and areas in its bounding box.

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

/// The `n` largest counts, ties by key; zeros are not listed.
fn top<K: Copy + Ord>(counts: impl IntoIterator<Item = (K, u64)>, n: usize) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = counts.into_iter().filter(|(_, c)| *c > 0).collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// The committee zone's UTC offset at an instant, remembered over the interval between two
/// transitions: rows come in cell order, not time order, and a lookup in the zone's rules
/// per row was most of the zones' statistics.
struct Offsets<'a> {
    tz: &'a TimeZone,
    /// `[from, to)` in Unix seconds, with no transition inside, and its offset.
    from: i64,
    to: i64,
    seconds: i64,
}

impl<'a> Offsets<'a> {
    fn new(tz: &'a TimeZone) -> Self {
        Self {
            tz,
            from: 0,
            to: 0,
            seconds: 0,
        }
    }

    /// Seconds to add to `t` for the local time.
    fn at(&mut self, t: i64) -> i64 {
        if t >= self.from && t < self.to {
            return self.seconds;
        }
        let Ok(ts) = jiff::Timestamp::from_second(t) else {
            return 0;
        };
        let seconds = i64::from(self.tz.to_offset(ts).seconds());
        // The last transition at or before t and the first after it bound the interval;
        // kept only when it provably holds t (whatever the iterators' strictness).
        let from = ts
            .checked_add(jiff::SignedDuration::from_secs(1))
            .ok()
            .and_then(|next| self.tz.preceding(next).next())
            .map_or(i64::MIN, |tr| tr.timestamp().as_second());
        let to = self
            .tz
            .following(ts)
            .next()
            .map_or(i64::MAX, |tr| tr.timestamp().as_second());
        if from <= t && t < to {
            (self.from, self.to, self.seconds) = (from, to, seconds);
        }
        seconds
    }
}

/// The hour of the day (0–23) and the ISO weekday (1 = Monday) of a local time in seconds
/// (1970-01-01 was a Thursday, 4).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "both are reduced to small non-negative ranges first"
)]
fn hour_and_weekday(local: i64) -> (usize, usize) {
    let hour = local.rem_euclid(86_400) / 3_600;
    let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7) + 1;
    (hour as usize, weekday as usize)
}

/// At most `parts` contiguous ranges of `weights` with about equal sums (a thread each).
fn balanced(weights: &[u64], parts: usize) -> Vec<std::ops::Range<usize>> {
    let total: u64 = weights.iter().sum();
    let share = total.div_ceil(parts.max(1) as u64).max(1);
    let mut out = Vec::new();
    let (mut start, mut sum) = (0, 0);
    for (i, w) in weights.iter().enumerate() {
        sum += w;
        if sum >= share {
            out.push(start..i + 1);
            (start, sum) = (i + 1, 0);
        }
    }
    if start < weights.len() || out.is_empty() {
        let full = out.len() >= parts.max(1);
        match out.last_mut() {
            // Trailing cells of no weight join the last part rather than make one more.
            Some(last) if full => last.end = weights.len(),
            _ => out.push(start..weights.len()),
        }
    }
    out
}

/// `(key, count)` of a table indexed by small keys, from `first` on.
fn small_keys(table: &[u64], first: usize) -> impl Iterator<Item = (u8, u64)> + '_ {
    table
        .iter()
        .enumerate()
        .skip(first)
        .filter_map(|(k, n)| u8::try_from(k).ok().map(|k| (k, *n)))
}

/// Per zone: incidents, per category, per hour and per weekday (index 1–7).
struct Tables {
    incidents: Vec<u64>,
    categories: Vec<Vec<u64>>,
    hours: Vec<[u64; 24]>,
    weekdays: Vec<[u64; 8]>,
}

impl Tables {
    fn new(zones: usize, categories: usize) -> Self {
        Self {
            incidents: vec![0; zones],
            categories: vec![vec![0; categories]; zones],
            hours: vec![[0; 24]; zones],
            weekdays: vec![[0; 8]; zones],
        }
    }

    fn merge(&mut self, other: &Self) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.incidents, &other.incidents);
        for z in 0..self.incidents.len() {
            add(&mut self.categories[z], &other.categories[z]);
            add(&mut self.hours[z], &other.hours[z]);
            add(&mut self.weekdays[z], &other.weekdays[z]);
        }
    }

    #[inline]
    fn add(&mut self, z: usize, category: CategoryRef, local: i64) {
        self.incidents[z] += 1;
        if let Some(n) = self.categories[z].get_mut(category.index()) {
            *n += 1;
        }
        let (hour, weekday) = hour_and_weekday(local);
        self.hours[z][hour] += 1;
        self.weekdays[z][weekday] += 1;
    }
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
    let ncat = snap.incidents.categories().len();
    let mut t = Tables::new(comps.len(), ncat);
    let mut total = 0u64;
    let mut total_harm = 0f64;
    let mut harms = vec![0f64; comps.len()];
    let mut offsets = Offsets::new(tz);
    if let Some(pb) = published {
        let mut categories: Vec<HashMap<CategoryRef, u64>> = vec![HashMap::new(); comps.len()];
        publish(snap, p, pb, &comps, &mut t.incidents, &mut categories);
        for (z, cats) in categories.into_iter().enumerate() {
            for (c, n) in cats {
                if let Some(slot) = t.categories[z].get_mut(c.index()) {
                    *slot += n;
                }
            }
        }
        total = pb.counts.iter().map(|(_, n)| u64::from(*n)).sum();
    } else if let Some(table) = harm {
        // Harm shares need every matching incident's harm: a pass.
        let mut last: (u64, Option<usize>) = (u64::MAX, None);
        snap.incidents.for_each(filter, |seg, i| {
            total += 1;
            let h = table.of(seg, i);
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
                harms[z] += h;
                t.add(z, seg.category[i], seg.time[i] + offsets.at(seg.time[i]));
            }
        });
    } else {
        // `gi` holds every cell with matching incidents (any study set does): their counts
        // add up to the total, and only the hot cells' rows are read, on every core.
        total = gi.iter().map(|c| u64::from(c.count)).sum();
        let cells: Vec<u64> = zone_of.iter().map(|(c, _)| *c).collect();
        let counts: HashMap<u64, u64> = gi
            .iter()
            .map(|c| (u64::from(c.cell), u64::from(c.count)))
            .collect();
        let weights: Vec<u64> = cells
            .iter()
            .map(|c| counts.get(c).map_or(0, |n| *n))
            .collect();
        let parts = balanced(&weights, crate::parallel::threads());
        let zone_of = &zone_of;
        let nzones = comps.len();
        let tables: Vec<Tables> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|range| {
                    let cells = &cells[range.clone()];
                    scope.spawn(move || {
                        let mut t = Tables::new(nzones, ncat);
                        let mut offsets = Offsets::new(tz);
                        snap.incidents
                            .for_each_in_cells(filter, res, cells, |seg, i, k| {
                                let local = seg.time[i] + offsets.at(seg.time[i]);
                                t.add(zone_of[range.start + k].1, seg.category[i], local);
                            });
                        t
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for part in tables {
            t.merge(&part);
        }
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
            t.incidents[z] as f64 / total as f64
        };
        let cats = std::mem::take(&mut t.categories[z]);
        out.push(Zone {
            id: format!("z{}", comp[0]),
            area_km2: comp.iter().map(|c| c.area_km2()).sum(),
            geometry,
            incidents: t.incidents[z],
            share,
            harm: harm.map(|_| {
                let share = if total_harm > 0.0 {
                    harms[z] / total_harm
                } else {
                    0.0
                };
                (harms[z], share)
            }),
            top_categories: top(cats.into_iter().enumerate(), 5)
                .into_iter()
                .map(|(c, n)| {
                    (
                        snap.incidents
                            .categories()
                            .code(CategoryRef::at(c))
                            .to_owned(),
                        n,
                    )
                })
                .collect(),
            busiest_hours: top(small_keys(&t.hours[z], 0), 3),
            busiest_weekdays: top(small_keys(&t.weekdays[z], 1), 3),
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
    fn remembered_offsets_equal_the_zone_rules() {
        // New York has two transitions a year; Ho Chi Minh City none since 1975; UTC none.
        for name in ["America/New_York", "Asia/Ho_Chi_Minh", "UTC"] {
            let tz = TimeZone::get(name).unwrap();
            let mut offsets = Offsets::new(&tz);
            // 2024-03-10 07:00 UTC is New York's spring transition: step across it by the
            // second, then jump around the year out of order.
            let spring = 1_710_054_000;
            let mut times: Vec<i64> = (spring - 3..spring + 3).collect();
            times.extend((0..400).map(|i| 1_700_000_000 + (i * 7_919_993) % 40_000_000));
            times.extend([spring, spring - 1, 0, -86_400, spring + 1]);
            for t in times {
                let want = i64::from(
                    tz.to_offset(jiff::Timestamp::from_second(t).unwrap())
                        .seconds(),
                );
                assert_eq!(offsets.at(t), want, "{name} at {t}");
            }
        }
    }

    #[test]
    fn balanced_parts_cover_everything_in_order() {
        for (weights, parts) in [
            (vec![5u64, 1, 1, 1, 1, 1], 2),
            (vec![0; 4], 2),
            (vec![], 3),
            (vec![3, 3, 3], 5),
            (vec![5, 5, 0], 2),
        ] {
            let ranges = balanced(&weights, parts);
            assert!(ranges.len() <= parts.max(1) || weights.is_empty());
            let flat: Vec<usize> = ranges.iter().flat_map(Clone::clone).collect();
            assert_eq!(flat, (0..weights.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn hours_and_weekdays_of_local_times() {
        // 1970-01-01 00:00 was a Thursday; 2024-12-30 23:59:59 a Monday.
        assert_eq!(hour_and_weekday(0), (0, 4));
        assert_eq!(hour_and_weekday(1_735_603_199), (23, 1));
        assert_eq!(hour_and_weekday(-1), (23, 3));
    }

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
