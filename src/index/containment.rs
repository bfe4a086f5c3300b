//! Which hexagon contains an incident, at every resolution the API serves.
//!
//! Every H3 tool (h3-py, h3-pg, the h3 extension of `DuckDB`, kepler.gl) puts a point in the cell that
//! contains it, `latLngToCell(lat, lon, res)`. The index sorts incidents by their
//! resolution-15 cell, and the parent of that cell at a coarser resolution is *usually* the
//! cell that contains the point — but H3's cells are not nested exactly (a child hexagon
//! pokes out of its parent's outline), and for about 4–7% of points per resolution the
//! parent is a neighbour of the containing cell (measured on 1M sample incidents:
//! `docs/plans/issue-11.md`).
//!
//! [`Exceptions`] lists, per segment and resolution, exactly those rows with the cell that
//! does contain them; every other row's containing cell is its parent, by bit arithmetic
//! ([`parent15`]). One bit per row says whether a row is listed, so asking costs a load and
//! a shift; the list is ~6% of the rows. Lists are built on first use per (segment,
//! resolution) and kept with the immutable segment, so each is built once per segment.

use std::ops::RangeInclusive;

use h3o::{CellIndex, LatLng, Resolution};

use super::Segment;

/// The resolutions the API serves, whose exceptions a segment keeps.
pub const SERVED: RangeInclusive<u8> = 5..=11;

/// How many resolutions [`SERVED`] holds.
pub const SERVED_COUNT: usize = 7;

const RES_SHIFT: u32 = 52;
const RES_MASK: u64 = 0xF << RES_SHIFT;

/// The raw bits of the parent at `res` of a resolution-15 cell, by bit arithmetic: an H3
/// index keeps its resolution in bits 52–55 and one 3-bit digit per resolution, coarse to
/// fine; a parent is the same index with the resolution lowered and the finer digits 7.
#[must_use]
#[inline]
pub fn parent15(cell: CellIndex, res: Resolution) -> u64 {
    let res = u8::from(res);
    let free = 3 * (15 - u32::from(res));
    let digits = if free == 0 { 0 } else { (1u64 << free) - 1 };
    (u64::from(cell) & !RES_MASK) | (u64::from(res) << RES_SHIFT) | digits
}

/// The raw bits every resolution-15 descendant of `cell` (raw bits, any resolution) lies
/// between: its digits below its resolution run from all 0 to all 7 (7 is never a child's
/// digit, so the bound is loose but exact at the ends). Rows sorted by resolution-15 cell
/// hold a cell's descendants as one run between these.
#[must_use]
#[inline]
pub fn descendants15(cell: u64) -> RangeInclusive<u64> {
    let res = (cell & RES_MASK) >> RES_SHIFT;
    let free = 3 * (15 - res.min(15));
    let digits = if free == 0 { 0 } else { (1u64 << free) - 1 };
    let base = (cell & !RES_MASK & !digits) | (15 << RES_SHIFT);
    base..=base | digits
}

/// The cell that contains a point at `res`: h3's `latLngToCell`. `None` only for a
/// coordinate that is not finite (the index never holds one).
#[must_use]
pub fn containing(lon: f64, lat: f64, res: Resolution) -> Option<u64> {
    LatLng::new(lat, lon)
        .ok()
        .map(|ll| u64::from(ll.to_cell(res)))
}

/// The rows of one segment, at one resolution, whose containing cell is not the parent of
/// their resolution-15 cell.
#[derive(Debug, Default, Clone)]
pub struct Exceptions {
    /// Bit `i % 64` of word `i / 64`: whether row `i` is listed.
    listed: Vec<u64>,
    /// (row, raw bits of its containing cell), by row.
    rows: Vec<(u32, u64)>,
    /// Positions in `rows`, ordered by (cell, row): a pass hands back the listed rows it
    /// counted already in cell order, with no sort per query.
    by_cell: Vec<u32>,
}

impl Exceptions {
    /// Finds the exceptions of `seg` at `res`, on up to `threads` threads.
    #[must_use]
    pub fn of(seg: &Segment, res: Resolution, threads: usize) -> Self {
        let n = seg.len();
        let chunk = n.div_ceil(threads.max(1)).max(1);
        let parts: Vec<Vec<(u32, u64)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|start| {
                    let end = (start + chunk).min(n);
                    s.spawn(move || exceptions_in(seg, res, start..end))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let rows: Vec<(u32, u64)> = parts.into_iter().flatten().collect();
        let mut listed = vec![0u64; n.div_ceil(64)];
        for &(i, _) in &rows {
            listed[i as usize / 64] |= 1 << (i % 64);
        }
        let mut by_cell: Vec<u32> = (0..u32::try_from(rows.len()).unwrap_or(u32::MAX)).collect();
        by_cell.sort_unstable_by_key(|&k| rows[k as usize].1);
        Self {
            listed,
            rows,
            by_cell,
        }
    }

    /// Whether row `i` is listed: one load and a shift.
    #[must_use]
    #[inline]
    pub fn is_listed(&self, i: usize) -> bool {
        self.listed
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The containing cell of row `i` when it is not its resolution-15 cell's parent.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<u64> {
        let word = *self.listed.get(i / 64)?;
        if word & (1 << (i % 64)) == 0 {
            return None;
        }
        let i = u32::try_from(i).ok()?;
        self.rows
            .binary_search_by_key(&i, |&(r, _)| r)
            .ok()
            .map(|k| self.rows[k].1)
    }

    /// Every listed row with its containing cell, `(cell, row)` in cell order.
    pub fn rows_by_cell(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.by_cell.iter().map(|&k| {
            let (row, cell) = self.rows[k as usize];
            (cell, row as usize)
        })
    }

    /// How many rows are listed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Heap bytes held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.listed.capacity() * 8
            + self.rows.capacity() * std::mem::size_of::<(u32, u64)>()
            + self.by_cell.capacity() * 4
    }
}

/// The listed rows one counting pass took, to be counted in their containing cells.
#[derive(Debug)]
pub struct Taken<'a> {
    e: &'a Exceptions,
    /// Bit `k`: `rows[k]` was taken.
    bits: Vec<u64>,
    /// Where the last taken row was found in `rows`: passes mostly go in row order, so the
    /// next one is found by stepping forward.
    cursor: usize,
}

impl<'a> Taken<'a> {
    #[must_use]
    pub fn new(e: &'a Exceptions) -> Self {
        Self {
            e,
            bits: vec![0; e.rows.len().div_ceil(64)],
            cursor: 0,
        }
    }

    /// Takes row `i`, which must be listed ([`Exceptions::is_listed`]).
    #[inline]
    pub fn take(&mut self, i: usize) {
        let Ok(i) = u32::try_from(i) else { return };
        let rows = &self.e.rows;
        let mut k = self.cursor;
        while k < rows.len() && rows[k].0 < i {
            k += 1;
        }
        if k >= rows.len() || rows[k].0 != i {
            // Out of row order (a box visits its pages in tree order): search.
            match rows.binary_search_by_key(&i, |&(r, _)| r) {
                Ok(found) => k = found,
                Err(_) => return,
            }
        }
        self.bits[k / 64] |= 1 << (k % 64);
        self.cursor = k;
    }

    /// The containing cells of the rows taken, one per row, in cell order.
    pub fn cells(&self) -> impl Iterator<Item = u64> + '_ {
        self.rows().map(|(cell, _)| cell)
    }

    /// The rows taken with their containing cells, `(cell, row)` in cell order.
    pub fn rows(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.e
            .by_cell
            .iter()
            .map(|&k| k as usize)
            .filter(|&k| self.bits[k / 64] & (1 << (k % 64)) != 0)
            .map(|k| (self.e.rows[k].1, self.e.rows[k].0 as usize))
    }
}

fn exceptions_in(seg: &Segment, res: Resolution, rows: std::ops::Range<usize>) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for i in rows {
        let parent = parent15(seg.cell[i], res);
        if let Some(cell) = containing(seg.lon[i], seg.lat[i], res)
            && cell != parent
            && let Ok(i) = u32::try_from(i)
        {
            out.push((i, cell));
        }
    }
    out
}

/// The slot of `res` among a segment's lists, if the API serves it.
#[must_use]
pub fn slot(res: Resolution) -> Option<usize> {
    let r = u8::from(res);
    SERVED.contains(&r).then(|| usize::from(r - SERVED.start()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LonLat, Severity};
    use crate::index::{CategoryRef, IncidentIndex, IncidentRow, Scanned};
    use proptest::prelude::*;

    fn index(points: &[(f64, f64)]) -> IncidentIndex {
        let rows = points
            .iter()
            .enumerate()
            .map(|(i, &(lon, lat))| IncidentRow {
                id: i64::try_from(i).unwrap() + 1,
                occurred_at: 0,
                category: CategoryRef::at(0),
                severity: Severity::from_code(0),
                solved: false,
                lon,
                lat,
                cell: LonLat::new(lon, lat).unwrap().cell15(),
                key: 0,
            })
            .collect();
        IncidentIndex::build(Scanned {
            rows,
            categories: vec!["theft".to_owned()],
        })
    }

    /// What h3o's `LatLng::to_cell` says, the oracle (h3's `latLngToCell`).
    fn oracle(lon: f64, lat: f64, res: Resolution) -> u64 {
        u64::from(LatLng::new(lat, lon).unwrap().to_cell(res))
    }

    fn check(points: &[(f64, f64)]) -> usize {
        let idx = index(points);
        let seg = idx.main();
        let mut listed = 0;
        for r in SERVED.chain(4..=4).chain(12..=12) {
            let res = Resolution::try_from(r).unwrap();
            for i in 0..seg.len() {
                assert_eq!(
                    seg.containing_cell(i, res),
                    oracle(seg.lon[i], seg.lat[i], res),
                    "row {i} ({}, {}) at res {r}",
                    seg.lon[i],
                    seg.lat[i]
                );
            }
            listed += seg.exceptions(res).map_or(0, Exceptions::len);
        }
        listed
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Anywhere on Earth (pentagons and face edges included), at every resolution.
        #[test]
        fn the_index_cell_is_the_containing_cell(
            points in prop::collection::vec((-180.0f64..180.0, -89.9f64..89.9), 1..200)
        ) {
            check(&points);
        }

        /// Densely, in a city, where most exceptions sit on the edges of small cells.
        #[test]
        fn in_a_city_too(
            points in prop::collection::vec((106.55f64..106.85, 10.65f64..10.90), 1..400)
        ) {
            check(&points);
        }
    }

    /// The committed sample: the exceptions exist (so the test above tests something), at
    /// the rate measured with h3-py (4–7% per resolution), and every one is right.
    #[test]
    fn the_sample_has_a_few_percent_of_exceptions_per_resolution() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/incidents.csv");
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let (ilon, ilat) = (
            header.iter().position(|h| *h == "lon").unwrap(),
            header.iter().position(|h| *h == "lat").unwrap(),
        );
        let points: Vec<(f64, f64)> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[ilon].parse().unwrap(), f[ilat].parse().unwrap())
            })
            .collect();
        assert!(points.len() > 19_000);
        let idx = index(&points);
        for r in SERVED {
            let res = Resolution::try_from(r).unwrap();
            let e = idx.main().exceptions(res).unwrap();
            #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
            let share = e.len() as f64 / points.len() as f64;
            assert!((0.02..0.10).contains(&share), "res {r}: {share}");
        }
        assert!(check(&points) > 0);
    }
}
