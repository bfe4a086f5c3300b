//! Counting incidents per H3 cell at any resolution, straight from the index.
//!
//! An incident belongs to the cell that contains it, h3's `latLngToCell(lat, lon, res)`,
//! as every H3 tool counts it and as the map's hexagons show it.
//!
//! Every incident carries its resolution-15 cell, and the main segment is sorted by it. For
//! ~94% of incidents the containing cell at a coarser resolution is that cell's parent (bit
//! arithmetic: the resolution field lowered, the finer digits set to 7), and the parents of
//! a sorted segment form contiguous runs, so counting them is a single pass with no
//! hashing. The others — H3's children poke out of their parent's outline — are the
//! segment's exceptions at that resolution (`crate::index::containment`): the pass skips
//! them (one bit test per row) and counts their containing cells apart, sorted and merged
//! in, as the delta segment (recent writes, unsorted) is. Inside, cells are their raw bits
//! (`u64`); what comes out is `CellIndex`.

use std::collections::HashMap;
use std::ops::AddAssign;

use h3o::{CellIndex, Resolution};

use super::disclosure::PTable;
use super::weights::{HarmTable, Weighting};
use crate::index::containment::Taken;
use crate::index::{CategoryRef, Filter, IncidentIndex, Segment};

pub(crate) use crate::index::containment::parent15;

/// A cell's incidents and what they add up to: their count again (`weight=count`) or their
/// harm in days (`weight=harm`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub count: u32,
    pub value: f64,
}

impl From<u32> for Tally {
    /// A count weighed as itself (`weight=count`, and published counts).
    #[inline]
    fn from(count: u32) -> Self {
        Self {
            count,
            value: f64::from(count),
        }
    }
}

impl AddAssign for Tally {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        self.count += o.count;
        self.value += o.value;
    }
}

/// What one incident adds to its cell in a counting pass.
trait Weigh {
    type Acc: Copy + AddAssign;
    fn one(&self, seg: &Segment, i: usize) -> Self::Acc;
    /// Whether [`Weigh::of_cube`] answers: the accumulator is no more than a count and a
    /// key sum, which a time cube holds (not harm).
    const CUBED: bool = false;
    /// A cell's accumulator from its count and key sum (a time cube's answer); `None` unless
    /// [`Weigh::CUBED`].
    fn of_cube(&self, _count: u32, _key: u32) -> Option<Self::Acc> {
        None
    }
}

/// Counting: the hot loops add plain integers.
struct Unit;

impl Weigh for Unit {
    type Acc = u32;
    #[inline]
    fn one(&self, _: &Segment, _: usize) -> u32 {
        1
    }
    const CUBED: bool = true;
    fn of_cube(&self, count: u32, _: u32) -> Option<u32> {
        Some(count)
    }
}

impl Weigh for HarmTable {
    type Acc = Tally;
    #[inline]
    fn one(&self, seg: &Segment, i: usize) -> Tally {
        Tally {
            count: 1,
            value: self.of(seg, i),
        }
    }
}

/// A cell's incidents and its cell key: the wrapping sum of their record keys (the
/// cell-key method, issue 18). A sum, so the key of a set of incidents does not depend on
/// the order a pass visits them in (runs, listed exceptions, the delta).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keyed {
    pub count: u32,
    pub key: u32,
}

impl AddAssign for Keyed {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        self.count += o.count;
        self.key = self.key.wrapping_add(o.key);
    }
}

/// Counting with the record keys.
struct Keys;

impl Weigh for Keys {
    type Acc = Keyed;
    #[inline]
    fn one(&self, seg: &Segment, i: usize) -> Keyed {
        Keyed {
            count: 1,
            key: seg.key[i],
        }
    }
    const CUBED: bool = true;
    fn of_cube(&self, count: u32, key: u32) -> Option<Keyed> {
        Some(Keyed { count, key })
    }
}

/// Occupied cells at `res` with their counts and cell keys, sorted by cell: what a
/// perturbation of the counts for anonymous callers reads (issue 18).
#[must_use]
pub fn keyed_counts(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
) -> Vec<(CellIndex, Keyed)> {
    tally(index, filter, res, &Keys)
}

/// Occupied cells at `res` with their counts as published to anonymous callers: each cell's
/// count perturbed by `ptable` at its cell key ([`keyed_counts`]); cells published as 0 are
/// left out. Sorted by cell.
#[must_use]
pub fn published_counts(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    ptable: &PTable,
) -> Vec<(CellIndex, u32)> {
    keyed_counts(index, filter, res)
        .into_iter()
        .map(|(c, k)| (c, ptable.perturb(k.count, k.key)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Counts and cell keys of the incidents matching `filter` by (containing cell at `res`,
/// category), for the cells of `cells` (sorted) only: the published cells of one category
/// each, which zones and public clusters add up into their `top_categories`.
#[must_use]
pub fn keyed_by_category(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    cells: &[CellIndex],
) -> HashMap<(CellIndex, CategoryRef), Keyed> {
    let raw: Vec<u64> = cells.iter().map(|c| u64::from(*c)).collect();
    let mut out: HashMap<(CellIndex, CategoryRef), Keyed> = HashMap::new();
    let mut last = (u64::MAX, None);
    index.for_each(filter, |seg, i| {
        let c = seg.containing_cell(i, res);
        if c != last.0 {
            // Consecutive rows of the sorted segment mostly share a cell.
            last = (c, raw.binary_search(&c).ok().map(|j| cells[j]));
        }
        if let Some(cell) = last.1 {
            *out.entry((cell, seg.category[i])).or_default() += Keys.one(seg, i);
        }
    });
    out
}

/// Occupied cells at `res` with their counts, sorted by cell.
#[must_use]
pub fn count_cells(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
) -> Vec<(CellIndex, u32)> {
    tally(index, filter, res, &Unit)
}

/// Occupied cells at `res` with their counts and weighed values, sorted by cell.
#[must_use]
pub fn cell_values(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    w: &Weighting,
) -> Vec<(CellIndex, Tally)> {
    match w {
        Weighting::Count => count_cells(index, filter, res)
            .into_iter()
            .map(|(c, n)| (c, n.into()))
            .collect(),
        Weighting::Harm(t) => tally(index, filter, res, t),
    }
}

fn tally<W: Weigh>(
    index: &IncidentIndex,
    filter: &Filter,
    res: Resolution,
    w: &W,
) -> Vec<(CellIndex, W::Acc)> {
    let main = count_sorted(index.main(), filter, res, w);
    let mut delta: Vec<(u64, W::Acc)> = Vec::new();
    if !index.delta().is_empty() {
        IncidentIndex::for_each_in_segment(index.delta(), filter, |seg, i| {
            delta.push((seg.containing_cell(i, res), w.one(seg, i)));
        });
        delta.sort_unstable_by_key(|(c, _)| *c);
    }
    merge(main, &merge_adjacent(delta))
        .into_iter()
        .filter_map(|(c, n)| CellIndex::try_from(c).ok().map(|c| (c, n)))
        .collect()
}

/// One pass over the sorted main segment: the runs of parents of the rows their parent
/// contains, merged with the containing cells of the listed rows (already in cell order).
fn count_sorted<W: Weigh>(
    seg: &Segment,
    filter: &Filter,
    res: Resolution,
    w: &W,
) -> Vec<(u64, W::Acc)> {
    if let Some(counted) = from_cube(seg, filter, res, w) {
        return counted;
    }
    let Some(exceptions) = seg.exceptions(res) else {
        // A resolution the API does not serve: no list; ask h3 for every row.
        let mut cells = Vec::new();
        IncidentIndex::for_each_in_segment(seg, filter, |s, i| {
            cells.push((s.containing_cell(i, res), w.one(s, i)));
        });
        cells.sort_unstable_by_key(|(c, _)| *c);
        return merge_adjacent(cells);
    };
    let mut out: Vec<(u64, W::Acc)> = Vec::new();
    let mut taken = Taken::new(exceptions);
    let mut count = |i: usize| {
        if exceptions.is_listed(i) {
            taken.take(i);
            return;
        }
        let p = parent15(seg.cell[i], res);
        let one = w.one(seg, i);
        match out.last_mut() {
            Some((c, n)) if *c == p => *n += one,
            _ => out.push((p, one)),
        }
    };
    if filter.is_empty() {
        for i in 0..seg.len() {
            count(i);
        }
    } else if filter.is_time_only() {
        // The common map query (a time range, city-wide): one plain column, no per-row
        // filter call.
        let (from, to) = (
            filter.from.unwrap_or(i64::MIN),
            filter.to.unwrap_or(i64::MAX),
        );
        for (i, &t) in seg.time.iter().enumerate() {
            if t >= from && t < to {
                count(i);
            }
        }
    } else {
        IncidentIndex::for_each_in_segment(seg, filter, |_, i| count(i));
        // Page-wise bbox visits keep H3 order within and across pages only when pages come
        // back in order; sort the (short) run list to be safe, then merge equal cells.
        if filter.bbox.is_some() {
            out.sort_unstable_by_key(|(c, _)| *c);
            out = merge_adjacent(out);
        }
    }
    let listed: Vec<(u64, W::Acc)> = taken.rows().map(|(c, i)| (c, w.one(seg, i))).collect();
    merge(out, &merge_adjacent(listed))
}

/// The segment's counts from its time cube, when the filter is a time range on bucket starts
/// (or nothing) and the accumulator is a count or a keyed count: O(cells) instead of a pass.
fn from_cube<W: Weigh>(
    seg: &Segment,
    filter: &Filter,
    res: Resolution,
    w: &W,
) -> Option<Vec<(u64, W::Acc)>> {
    if !W::CUBED {
        return None;
    }
    let cube = seg.cube_for(filter, res)?;
    Some(
        cube.counts(filter.from, filter.to)
            .into_iter()
            .filter_map(|(c, (n, k))| w.of_cube(n, k).map(|a| (c, a)))
            .collect(),
    )
}

fn merge_adjacent<A: Copy + AddAssign>(v: Vec<(u64, A)>) -> Vec<(u64, A)> {
    let mut out: Vec<(u64, A)> = Vec::with_capacity(v.len());
    for (c, n) in v {
        match out.last_mut() {
            Some((lc, ln)) if *lc == c => *ln += n,
            _ => out.push((c, n)),
        }
    }
    out
}

/// Merges two cell-sorted lists.
fn merge<A: Copy + AddAssign>(a: Vec<(u64, A)>, b: &[(u64, A)]) -> Vec<(u64, A)> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                let mut v = x.1;
                v += y.1;
                out.push((x.0, v));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push(*x);
                i += 1;
            }
            (Some(_) | None, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{CategoryRef, IncidentRow, Scanned};

    /// Rows `first…first + n` spread over a box of the city, times `id × 1000` s, two
    /// categories, four classes.
    fn rows(first: i64, n: i64) -> Scanned {
        Scanned {
            rows: (first..first + n)
                .map(|id| {
                    #[expect(clippy::cast_precision_loss, reason = "below 1000: exact")]
                    let (lon, lat) = (
                        106.60 + (id * 7919 % 1000) as f64 * 2e-4,
                        10.70 + (id * 104_729 % 1000) as f64 * 2e-4,
                    );
                    IncidentRow {
                        id,
                        occurred_at: id * 1000,
                        category: CategoryRef::at(usize::from(id % 3 == 0)),
                        severity: crate::domain::Severity::from_code(u8::try_from(id % 4).unwrap()),
                        solved: false,
                        lon,
                        lat,
                        cell: crate::domain::LonLat::new(lon, lat).unwrap().cell15(),
                        key: crate::index::rows::derived_key(id),
                    }
                })
                .collect(),
            categories: vec!["theft".into(), "fraud".into()],
        }
    }

    /// 3,000 rows in the sorted main segment and 500 in the delta, and all of them.
    fn sample() -> (IncidentIndex, Vec<IncidentRow>) {
        let index = IncidentIndex::build(rows(1, 3000)).with_appended(&rows(5000, 500));
        let all: Vec<IncidentRow> = index.rows_by_id().into_iter().map(|(r, _)| r).collect();
        (index, all)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
        /// A time range on quarter-hour starts (either end open), with or without categories
        /// and classes, is counted from a time cube; it gives the counts and keys of a plain
        /// pass over the rows, at every served resolution the test picks.
        #[test]
        fn the_time_cube_counts_as_a_plain_pass(
            a in 0i64..7000,
            len in 1i64..7000,
            open in 0u8..4,
            r in 0usize..3,
            cats in 0u8..5,
            sev in proptest::option::of(0u8..16),
        ) {
            use crate::index::timecube::BUCKET_S;
            let (index, all) = sample();
            let res = [Resolution::Seven, Resolution::Nine, Resolution::Eleven][r];
            // Categories: none, one of the two, both (out of order), or an empty list; classes
            // any subset: each combination is counted from its own attribute cube.
            let categories = match cats {
                0 => None,
                1 | 2 => Some(vec![CategoryRef::at(usize::from(cats - 1))]),
                3 => Some(vec![CategoryRef::at(1), CategoryRef::at(0), CategoryRef::at(1)]),
                _ => Some(Vec::new()),
            };
            let severities = sev.map(|m| {
                crate::domain::Severity::ALL
                    .into_iter()
                    .filter(|s| m & (1 << s.code()) != 0)
                    .collect()
            });
            let f = Filter {
                from: (open & 1 == 0).then_some(a * BUCKET_S),
                to: (open & 2 == 0).then_some((a + len) * BUCKET_S),
                categories,
                severities,
                ..Filter::default()
            };
            let mut want: std::collections::BTreeMap<u64, Keyed> = std::collections::BTreeMap::new();
            for row in &all {
                if matches(&f, row) {
                    let c = u64::from(h3o::LatLng::new(row.lat, row.lon).unwrap().to_cell(res));
                    *want.entry(c).or_default() += Keyed { count: 1, key: row.key };
                }
            }
            let got: std::collections::BTreeMap<u64, Keyed> = keyed_counts(&index, &f, res)
                .into_iter()
                .map(|(c, k)| (u64::from(c), k))
                .collect();
            proptest::prop_assert_eq!(&got, &want);
            let counts: std::collections::BTreeMap<u64, u32> = count_cells(&index, &f, res)
                .into_iter()
                .map(|(c, n)| (u64::from(c), n))
                .collect();
            let want: std::collections::BTreeMap<u64, u32> = want.into_iter().map(|(c, k)| (c, k.count)).collect();
            proptest::prop_assert_eq!(counts, want);
        }
    }

    /// Whether row `r` passes `f` (time, categories, box: what these tests' filters use).
    fn matches(f: &Filter, r: &IncidentRow) -> bool {
        f.from.is_none_or(|x| r.occurred_at >= x)
            && f.to.is_none_or(|x| r.occurred_at < x)
            && f.categories
                .as_ref()
                .is_none_or(|c| c.contains(&r.category))
            && f.severities.is_none_or(|m| m.contains(r.severity))
            && f.bbox.is_none_or(|b| b.contains(r.lon, r.lat))
    }

    /// Every filter path (none, time only, time and category, a box) against a plain count
    /// over the rows, with rows in both the sorted main segment and the delta.
    #[test]
    fn counts_equal_a_plain_count_on_every_path() {
        let (index, all) = sample();
        let filters = [
            Filter::default(),
            Filter {
                from: Some(500_000),
                to: Some(2_600_000),
                ..Filter::default()
            },
            Filter {
                from: Some(500_000),
                categories: Some(vec![CategoryRef::at(1)]),
                ..Filter::default()
            },
            Filter {
                bbox: crate::index::BBox::new(106.6, 10.7, 106.7, 10.8).ok(),
                ..Filter::default()
            },
        ];
        let weights = crate::domain::HarmWeights::with_overrides([(
            "fraud".to_owned(),
            crate::domain::Severity::Serious,
            1000.5,
        )]);
        let harm = Weighting::Harm(HarmTable::new(&weights, index.categories()));
        for (k, f) in filters.iter().enumerate() {
            for res in [Resolution::Four, Resolution::Seven, Resolution::Nine] {
                // One plain pass over the rows: count, harm and cell key of each cell h3
                // puts the matching rows in.
                let mut want: std::collections::BTreeMap<u64, u32> =
                    std::collections::BTreeMap::new();
                let mut want_harm: std::collections::BTreeMap<u64, f64> =
                    std::collections::BTreeMap::new();
                let mut want_keys: std::collections::BTreeMap<u64, u32> =
                    std::collections::BTreeMap::new();
                for r in &all {
                    if matches(f, r) {
                        let c = u64::from(h3o::LatLng::new(r.lat, r.lon).unwrap().to_cell(res));
                        *want.entry(c).or_default() += 1;
                        *want_harm.entry(c).or_default() +=
                            weights.days(index.categories().code(r.category), r.severity);
                        let k = want_keys.entry(c).or_default();
                        *k = k.wrapping_add(r.key);
                    }
                }
                let got: std::collections::BTreeMap<u64, u32> = count_cells(&index, f, res)
                    .into_iter()
                    .map(|(c, n)| (u64::from(c), n))
                    .collect();
                assert!(!want.is_empty());
                assert_eq!(got, want, "filter {k} res {res}");
                // Keys: each cell's key is the wrapping sum of its incidents' record keys.
                let keyed = keyed_counts(&index, f, res);
                assert_eq!(keyed.len(), want.len(), "keyed cells");
                for (c, k) in keyed {
                    assert_eq!(Some(&k.count), want.get(&u64::from(c)), "keyed count {c}");
                    assert_eq!(Some(&k.key), want_keys.get(&u64::from(c)), "cell key {c}");
                }
                // Published: each cell's count perturbed at its key, zeros left out.
                let pt =
                    PTable::build(crate::analysis::disclosure::PTableParams::default()).unwrap();
                let published: std::collections::BTreeMap<u64, u32> = want
                    .iter()
                    .map(|(c, n)| (*c, pt.perturb(*n, want_keys[c])))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                let got: std::collections::BTreeMap<u64, u32> =
                    published_counts(&index, f, res, &pt)
                        .into_iter()
                        .map(|(c, n)| (u64::from(c), n))
                        .collect();
                assert_eq!(got, published, "published, filter {k} res {res}");
                assert!(got.values().all(|n| *n >= 3));
                // By category, for every other occupied cell.
                let some: Vec<CellIndex> = want
                    .keys()
                    .step_by(2)
                    .filter_map(|c| CellIndex::try_from(*c).ok())
                    .collect();
                let mut by_cat: std::collections::BTreeMap<(u64, CategoryRef), Keyed> =
                    std::collections::BTreeMap::new();
                for r in &all {
                    let c = h3o::LatLng::new(r.lat, r.lon).unwrap().to_cell(res);
                    if matches(f, r) && some.binary_search(&c).is_ok() {
                        *by_cat.entry((u64::from(c), r.category)).or_default() += Keyed {
                            count: 1,
                            key: r.key,
                        };
                    }
                }
                let got: std::collections::BTreeMap<(u64, CategoryRef), Keyed> =
                    keyed_by_category(&index, f, res, &some)
                        .into_iter()
                        .map(|((c, cat), k)| ((u64::from(c), cat), k))
                        .collect();
                assert_eq!(got, by_cat, "by category, filter {k} res {res}");
                let got_harm = cell_values(&index, f, res, &harm);
                assert_eq!(got_harm.len(), want_harm.len());
                for (c, t) in got_harm {
                    assert_eq!(Some(&t.count), want.get(&u64::from(c)));
                    let w = want_harm[&u64::from(c)];
                    assert!(
                        (t.value - w).abs() <= 1e-9 * w,
                        "harm of {c}: {} vs {w}",
                        t.value
                    );
                }
            }
        }
    }
}
